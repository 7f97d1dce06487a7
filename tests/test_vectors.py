"""Vector storage (float32/float16, blockwise scoring, filtered search) and encoder device/precision."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app
from indexer import embed, vector_store
from indexer.errors import ModelLoadError
from indexer.layout import read_manifest, snapshot_path
from indexer.vector_store import VectorStore, encode_ids, write_aligned

CPUINFO = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f {extra}\nbogomips\t: 4000\n"


def unit_rows(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_bf16_is_detected_from_cpu_flags() -> None:
    assert embed.cpu_has_bf16(CPUINFO.format(extra="avx512_bf16"))
    assert embed.cpu_has_bf16(CPUINFO.format(extra="amx_bf16 amx_tile"))
    assert not embed.cpu_has_bf16(CPUINFO.format(extra="avx512_vnni"))
    assert not embed.cpu_has_bf16("")


@pytest.mark.parametrize("asked, device, bf16, expected", [
    ("auto", "cpu", True, "bf16"), ("auto", "cpu", False, "fp32"), ("auto", "cuda", False, "fp16"),
    ("fp32", "cpu", True, "fp32"), ("bf16", "cpu", False, "bf16"), ("fp16", "cuda", False, "fp16"),
])
def test_precision_resolution(asked: str, device: str, bf16: bool, expected: str) -> None:
    assert embed.resolve_precision(asked, device, bf16_cpu=bf16) == expected


def test_bad_precision_and_device_are_clear_errors() -> None:
    with pytest.raises(ModelLoadError, match="needs a GPU"):
        embed.resolve_precision("fp16", "cpu")
    with pytest.raises(ModelLoadError, match="unknown precision"):
        embed.resolve_precision("int4", "cpu")
    with pytest.raises(ModelLoadError, match="unknown device"):
        embed.resolve_device("tpu")
    assert embed.resolve_device("cpu") == "cpu"


def test_cuda_without_a_gpu_is_refused_and_auto_falls_back_to_cpu() -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        assert embed.resolve_device("auto") == "cuda"
    else:
        assert embed.resolve_device("auto") == "cpu"
        with pytest.raises(ModelLoadError, match="no GPU"):
            embed.resolve_device("cuda")


def test_float16_storage_keeps_the_ranking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vector_store, "BLOCK_ROWS", 100)  # several blocks
    rows = unit_rows(1000, seed=1)
    ids = encode_ids([f"c{i}" for i in range(1000)])
    VectorStore(rows, ids).save(tmp_path, dtype="float16")
    half = VectorStore.load(tmp_path)
    assert half.dtype == "float16" and isinstance(half.vectors, np.memmap)
    assert (tmp_path / "vectors.npy").stat().st_size < 1000 * 32 * 2 + 200
    full = VectorStore(rows, ids)
    queries = unit_rows(50, seed=2)
    overlap = [len({r for r, _ in half.search(q, 10)} & {r for r, _ in full.search(q, 10)}) / 10 for q in queries]
    assert np.mean(overlap) >= 0.99
    np.testing.assert_allclose(half.similarities(queries[0]), rows @ queries[0], atol=2e-3)


def test_filtered_search_scores_only_allowed_live_rows() -> None:
    rows = unit_rows(200, seed=3)
    ids = encode_ids([f"c{i}" if i % 10 else "" for i in range(200)])  # every 10th row deleted
    store = VectorStore(rows, ids)
    q = rows[5]
    assert store.search(q, 1)[0][0] == 5
    allowed = np.array([0, 10, 20, 7, 7, 250, -1])  # deleted, duplicate and out-of-range rows too
    assert [r for r, _ in store.search(q, 5, allowed=allowed)] == [7]
    big = np.arange(1, 200)  # more than half the rows: the full-scan path
    hits = store.search(q, 200, allowed=big)
    assert {r for r, _ in hits} == {r for r in range(1, 200) if r % 10}
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_write_aligned_takes_new_vectors_first_and_old_rows_otherwise(tmp_path: Path) -> None:
    old_rows = unit_rows(3, seed=4)
    old = VectorStore(old_rows, encode_ids(["a", "b", "c"]))
    new = unit_rows(2, seed=5)
    store = write_aligned(tmp_path, ["c", "", "b2", "a"], ["b2", "a"], new, old, dim=32, dtype="float16")
    assert [store.chunk_id(i) for i in range(4)] == ["c", "", "b2", "a"]
    np.testing.assert_allclose(store.vectors[0], old_rows[2], atol=1e-3)
    np.testing.assert_allclose(store.vectors[2], new[0], atol=1e-3)
    np.testing.assert_allclose(store.vectors[3], new[1], atol=1e-3)  # the new vector of "a" wins
    assert not store.vectors[1].any()


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_write_aligned_appends_to_a_copy_of_the_old_file(tmp_path: Path, dtype: str) -> None:
    old_rows = unit_rows(5, seed=6)
    (tmp_path / "old").mkdir()
    VectorStore(old_rows, encode_ids(["a#0", "a#1", "b#0", "c#0", "d#0"])).save(tmp_path / "old", dtype=dtype)
    old = VectorStore.load(tmp_path / "old")
    new = unit_rows(2, seed=7)
    (tmp_path / "new").mkdir()
    store = write_aligned(tmp_path / "new", ["a#0", "a#1", "", "c#0", "d#0", "e#0", "f#0"], ["e#0", "f#0"], new,
                          old, dim=32, dtype=dtype)
    assert store.dtype == dtype and [store.chunk_id(i) for i in range(7)] == ["a#0", "a#1", "", "c#0", "d#0", "e#0", "f#0"]
    got = np.asarray(store.vectors, dtype=np.float32)
    np.testing.assert_allclose(got[[0, 1, 3, 4]], old_rows[[0, 1, 3, 4]], atol=1e-3)
    np.testing.assert_allclose(got[5:], new, atol=1e-3)
    assert store.search(new[1], 1)[0][0] == 6 and all(r != 2 for r, _ in store.search(old_rows[2], 7))
    other = "float16" if dtype == "float32" else "float32"  # another type: rows converted, not copied
    (tmp_path / "conv").mkdir()
    converted = write_aligned(tmp_path / "conv", ["a#0", "a#1", "", "c#0", "d#0", "e#0", "f#0"], ["e#0", "f#0"],
                              new, old, dim=32, dtype=other)
    assert converted.dtype == other
    expected = got.copy()
    expected[2] = 0.0  # a deleted row is left empty when rows are written one by one
    np.testing.assert_allclose(np.asarray(converted.vectors, dtype=np.float32), expected, atol=1e-3)


def test_cli_float16_index_search_and_rebuild(tmp_path: Path, corpus: Path) -> None:
    runner = CliRunner()
    idx = str(tmp_path / "idx")
    built = runner.invoke(app, ["index", str(corpus), "--index-dir", idx, "--vectors", "float16",
                                "--max-words", "40", "--device", "cpu", "--precision", "fp32"])
    assert built.exit_code in (0, 3), built.stderr
    manifest = read_manifest(idx)
    assert manifest.settings["vectors"] == "float16"
    vectors = np.load(snapshot_path(idx, manifest.snapshot) / "vectors.npy", mmap_mode="r")
    assert vectors.dtype == np.float16
    found = runner.invoke(app, ["search", "wheat harvest drought", "--index-dir", idx, "--json"])
    assert found.exit_code == 0 and json.loads(found.stdout.splitlines()[0])["rank"] == 1
    again = runner.invoke(app, ["index", str(corpus), "--index-dir", idx, "--vectors", "float32"])
    assert again.exit_code == 1 and "float16 vectors" in again.stderr and "rebuild" in again.stderr
    rebuilt = runner.invoke(app, ["rebuild", "--index-dir", idx, "--vectors", "float32"])
    assert rebuilt.exit_code == 0, rebuilt.stderr
    after = read_manifest(idx)
    assert after.settings["vectors"] == "float32" and after.settings["chunking"] == manifest.settings["chunking"]
    assert runner.invoke(app, ["check", "--index-dir", idx]).exit_code == 0
    assert "float32 vectors" in runner.invoke(app, ["stats", "--index-dir", idx]).stdout


@pytest.mark.model
def test_bf16_autocast_gives_the_fp32_vectors() -> None:
    texts = ["Talks between Moscow and Kyiv resumed in Istanbul.", "The central bank raised rates."]
    fp32 = embed.SentenceTransformerEncoder(embed.DEFAULT_MODEL_NAME, embed.DEFAULT_MODEL_PATH).encode(texts)
    bf16 = embed.SentenceTransformerEncoder(embed.DEFAULT_MODEL_NAME, embed.DEFAULT_MODEL_PATH,
                                            precision="bf16").encode(texts)
    assert bf16.dtype == np.float32
    assert float(np.min(np.sum(fp32 * bf16, axis=1))) > 0.995
    from indexer.torch_encoder import TorchBertEncoder  # the encoder indexing uses on a CPU

    local = embed.resolve_model_path(embed.DEFAULT_MODEL_PATH)
    bf16 = TorchBertEncoder(embed.DEFAULT_MODEL_NAME, embed.DEFAULT_MODEL_PATH, local, precision="bf16").encode(texts)
    assert bf16.dtype == np.float32
    assert float(np.min(np.sum(fp32 * bf16, axis=1))) > 0.995


@pytest.mark.model
def test_gpu_fp16_encoding_matches_cpu() -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no GPU here")
    texts = ["Talks between Moscow and Kyiv resumed in Istanbul.", "The central bank raised rates."]
    cpu = embed.load_encoder(embed.DEFAULT_MODEL_NAME, embed.DEFAULT_MODEL_PATH, device="cpu").encode(texts)
    gpu = embed.load_encoder(embed.DEFAULT_MODEL_NAME, embed.DEFAULT_MODEL_PATH, device="auto",
                             precision="auto").encode(texts)
    assert float(np.min(np.sum(cpu * gpu, axis=1))) > 0.995


def test_embedding_in_the_background_thread_keeps_rows_aligned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import HashEncoder
    from indexer import embed_queue
    from indexer.build import index_paths
    from indexer.check import check_index

    monkeypatch.setattr(embed_queue, "FLUSH_PASSAGES", 3)  # many batches, each embedded in the thread
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps({"id": f"a{i}", "title": f"Story {i}", "text": f"unique{i} words here {i}"})
                              for i in range(20)) + "\n", encoding="utf-8")
    idx = tmp_path / "idx"
    index_paths(idx, [str(feed)])
    assert check_index(idx).ok
    store = VectorStore.load(snapshot_path(idx, read_manifest(idx).snapshot))
    encoder = HashEncoder()
    for row in range(len(store.ids)):  # each row holds the vector of its own passage
        n = store.chunk_id(row).split("#")[0][1:]
        expected = encoder.encode([f"Story {n}\nunique{n} words here {n}"])[0]
        assert float(np.dot(store.vectors[row], expected)) > 0.999


def test_encoder_calls_grow_from_a_small_first_batch_to_the_flush_size(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import HashEncoder
    from indexer import embed_queue
    from indexer.build import index_paths

    sizes: list[int] = []

    class Counting(HashEncoder):
        def encode(self, texts, *, batch_size=32):  # type: ignore[no-untyped-def]
            sizes.append(len(texts))
            return super().encode(texts, batch_size=batch_size)

    monkeypatch.setattr(embed, "load_encoder", lambda name, path, **kwargs: Counting())
    monkeypatch.setattr(embed_queue, "FIRST_FLUSH", 2)
    monkeypatch.setattr(embed_queue, "FLUSH_PASSAGES", 8)
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps({"id": f"a{i}", "text": f"words {i}"}) for i in range(33)) + "\n",
                    encoding="utf-8")
    index_paths(tmp_path / "idx", [str(feed)])
    # small first call, doubling, capped; the rest at commit. This encoder has no late pooling,
    # so each call embeds its passages and then their sentences (one each here).
    assert sizes == [2 * n for n in (2, 4, 8, 8, 8, 3)]


def test_an_encoder_failure_in_the_thread_leaves_the_index_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import HashEncoder
    from indexer import embed_queue
    from indexer.build import index_paths
    from indexer.check import check_index

    class Failing(HashEncoder):
        calls = 0

        def encode(self, texts, *, batch_size=32):  # type: ignore[no-untyped-def]
            Failing.calls += 1
            if Failing.calls == 2:
                raise RuntimeError("out of memory")
            return super().encode(texts, batch_size=batch_size)

    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps({"id": f"a{i}", "text": f"words {i}"}) for i in range(10)) + "\n",
                    encoding="utf-8")
    idx = tmp_path / "idx"
    index_paths(idx, [str(feed)])
    before = read_manifest(idx)
    monkeypatch.setattr(embed_queue, "FLUSH_PASSAGES", 2)
    monkeypatch.setattr(embed, "load_encoder", lambda name, path, **kwargs: Failing())
    more = tmp_path / "more.jsonl"
    more.write_text("\n".join(json.dumps({"id": f"b{i}", "text": f"other {i}"}) for i in range(10)) + "\n",
                    encoding="utf-8")
    with pytest.raises(RuntimeError, match="out of memory"):
        index_paths(idx, [str(more)])
    assert read_manifest(idx) == before and check_index(idx).ok
    assert [p.name for p in (idx / "snapshots").iterdir()] == [before.snapshot]


def test_float16_search_skips_deleted_rows(tmp_path: Path) -> None:
    rows = unit_rows(300, seed=7)
    ids = encode_ids([f"c{i}" if i % 3 else "" for i in range(300)])  # a third deleted
    VectorStore(rows, ids).save(tmp_path, dtype="float16")
    store = VectorStore.load(tmp_path)
    for q in unit_rows(20, seed=8):
        hits = store.search(q, 50)
        assert len(hits) == 50 and all(r % 3 for r, _ in hits)
        exact = [r for r in np.argsort(-(rows @ q), kind="stable") if r % 3][:10]
        assert len({r for r, _ in hits[:10]} & set(exact)) >= 9


def _exact(rows: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int, allowed: np.ndarray | None) -> list[int]:
    scores = rows.astype(np.float32) @ query
    usable = ids != b""
    if allowed is not None:
        mask = np.zeros(len(ids), dtype=bool)
        mask[allowed] = True
        usable &= mask
    order = np.lexsort((np.arange(len(ids)), -np.where(usable, scores, -np.inf)))
    return [int(r) for r in order[:k] if usable[r]]


def test_float16_exact_search_in_blocks_matches_numpy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("usearch")
    from indexer import vector_search

    monkeypatch.setattr(vector_search, "BLOCK_ROWS", 64)  # several blocks
    rows = unit_rows(300, seed=8)
    ids = encode_ids([f"a{i}" if i % 7 else "" for i in range(300)])  # every 7th row deleted
    VectorStore(rows, ids).save(tmp_path, dtype="float16")
    store = VectorStore.load(tmp_path)
    half = np.asarray(store.vectors, dtype=np.float32)
    rng = np.random.default_rng(9)
    for allowed in (None, np.sort(rng.choice(300, 40, replace=False)), np.arange(0, 300, 2)):
        for query in unit_rows(5, seed=10):
            got = [r for r, _ in store.search(query, 15, allowed=allowed)]
            assert got == _exact(half, ids, query, 15, allowed)


def test_a_broad_filter_uses_the_ann_and_a_narrow_one_exact_search(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("usearch")
    from indexer import ann, vector_search

    rows = unit_rows(2000, seed=11)
    ids = encode_ids([f"a{i}" for i in range(2000)])
    VectorStore(rows, ids).save(tmp_path)
    assert ann.update_ann(tmp_path, rows, ids, None, min_rows=10)
    store = VectorStore.load(tmp_path)
    calls = []
    original = store.ann.rows
    monkeypatch.setattr(store.ann, "rows", lambda q, k: calls.append(k) or original(q, k))
    queries = unit_rows(20, seed=12)
    broad = np.arange(0, 2000, 3)  # a third of the rows
    # 667 allowed rows: exact search reads them faster than the ANN finds the 250 hits it would
    # need (10 wanted, x 8 per share removed), so with the measured costs the ANN is not asked.
    assert [r for r, _ in store.search(queries[0], 10, allowed=broad)] == _exact(rows, ids, queries[0], 10, broad)
    assert not calls
    monkeypatch.setattr(vector_search, "EXACT_ROWS_PER_HIT", 2)  # as if exact search were slow: 667 > 2 x 250
    # float32 rows of which at least half are allowed: one product over all rows, still cheaper.
    most = np.arange(0, 2000)[np.arange(2000) % 4 != 0]  # 1,500 rows: 1,500 < 120 x 116 hits
    assert not vector_search.ann_filters(store, 10, most) and vector_search.ann_filters(store, 10, broad)
    assert [r for r, _ in store.search(queries[0], 10, allowed=most)] == _exact(rows, ids, queries[0], 10, most)
    assert not calls
    overlap = []
    for query in queries:
        got = [r for r, _ in store.search(query, 10, allowed=broad)]
        assert len(got) == 10 and all(r % 3 == 0 for r in got)
        overlap.append(len(set(got) & set(_exact(rows, ids, query, 10, broad))) / 10)
    assert calls and np.mean(overlap) >= 0.9
    calls.clear()
    narrow = np.arange(0, 2000, 40)  # 2.5 %: exact, the ANN is not asked
    for query in queries[:5]:
        assert [r for r, _ in store.search(query, 10, allowed=narrow)] == _exact(rows, ids, query, 10, narrow)
    assert not calls
    # Too few hits can survive the filter: the ANN returns at most OVERFETCH x 4 = 8 < 10 rows,
    # so exact search answers. (MAX_FETCH 12 let 24 hits through, of which a third survive on
    # average: now and then 10 did, and the approximate answer failed the equality.)
    monkeypatch.setattr(vector_search, "MAX_FETCH", 4)
    for query in queries[:5]:
        assert [r for r, _ in store.search(query, 10, allowed=broad)] == _exact(rows, ids, query, 10, broad)
