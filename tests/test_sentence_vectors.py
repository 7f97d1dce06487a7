"""Sentence vectors: storage, alignment, the semantic mix, older indexes, and late pooling."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from indexer.build import index_paths
from indexer.check import check_index
from indexer.layout import read_manifest, snapshot_path
from indexer.sentence_pooling import pool_spans
from indexer.sentence_store import MAX_PARTS, OFFSETS, PARTS, SentenceStore, part_path, quantize
from indexer.sentences import sentence_spans
from search import fusion
from search.explain import explain_hit
from search.ranker import Searcher
from conftest import HashEncoder


def unit_rows(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_int8_rows_keep_the_direction_and_zero_rows_stay_zero() -> None:
    rows = np.vstack([unit_rows(200), np.zeros((1, 384), np.float32)])
    q, scales = quantize(rows)
    assert q.dtype == np.int8 and scales.dtype == np.float32 and int(np.abs(q).max()) == 127
    back = q.astype(np.float32) * scales[:, None]
    assert float((back[:-1] * rows[:-1]).sum(axis=1).min()) > 0.9999
    assert not back[-1].any() and scales[-1] == 0


def test_best_sentence_per_row_matches_brute_force() -> None:
    counts = np.array([3, 0, 1, 5, 2])
    vectors = unit_rows(int(counts.sum()), dim=16, seed=1)
    q, scales = quantize(vectors)
    store = SentenceStore([q[:4], q[4:]], scales, np.concatenate([[0], np.cumsum(counts)]))  # two parts
    query = unit_rows(1, dim=16, seed=2)[0]
    rows = [4, 0, 1, 3, 9]  # unordered, one without sentences, one past the end
    best = store.best(query, rows)
    assert set(best) == {0, 3, 4}
    exact = q.astype(np.float32) * scales[:, None] @ query
    for row in best:
        start = int(store.offsets[row])
        assert best[row] == pytest.approx(float(exact[start:start + counts[row]].max()), abs=1e-6)
        assert np.allclose(store.similarities(query, row), exact[start:start + counts[row]], atol=1e-6)
    assert store.similarities(query, 9).size == 0 and store.best(query, []) == {}


def test_the_semantic_mix_is_a_pure_weighted_sum() -> None:
    mixed = fusion.with_sentences({1: 0.5, 2: 0.4}, {1: 0.9}, weight=0.25)
    assert mixed == {1: pytest.approx(0.75 * 0.5 + 0.25 * 0.9), 2: pytest.approx(0.4)}


def test_pooling_takes_each_span_s_own_tokens_and_zero_for_cut_off_spans() -> None:
    states = np.arange(12, dtype=np.float32).reshape(6, 2)
    offsets = [(0, 0), (0, 3), (4, 7), (8, 9), (10, 12), (0, 0)]  # [CLS] 3 tokens ... [SEP]
    special = [1, 0, 0, 0, 0, 1]
    out = pool_spans(states, offsets, special, [(0, 7), (8, 12), (20, 30)])
    assert np.allclose(out[0], states[1:3].mean(0)) and np.allclose(out[1], states[3:5].mean(0))
    assert not out[2].any()


def write_feed(path: Path, texts: dict[str, str]) -> None:
    path.write_text("\n".join(json.dumps({"id": k, "title": f"Title {k}", "text": v}) for k, v in texts.items()) + "\n",
                    encoding="utf-8")


TEXTS = {
    "a1": "The harbour council met on Tuesday. It approved a floating solar farm. Work starts in May.",
    "a2": "Wheat prices rose sharply. Farmers blamed the drought. Bakers expect dearer bread.",
    "a3": "The central bank raised interest rates. Inflation had reached six per cent. Markets fell.",
}


def test_candidates_mix_the_best_sentence_into_the_semantic_score(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, TEXTS)
    idx = tmp_path / "idx"
    index_paths(idx, [str(feed)])
    with Searcher(idx) as searcher:
        found = searcher.candidates(searcher.parse("farmers blamed the drought"), mode="hybrid")
        sentences = searcher.reader.sentences
        assert sentences is not None and found.sentence and set(found.sentence) == set(found.passage)
        assert found.semantic == fusion.with_sentences(found.passage, found.sentence)
        for d, best in found.sentence.items():
            assert best == pytest.approx(float(sentences.similarities(found.qvec, d).max()), abs=1e-6)
        a2 = next(d for d in found.sentence if searcher.reader.store.chunk_id(d) == "a2#0")
        assert found.sentence[a2] > found.passage[a2]  # the query is one of a2's sentences
        how = explain_hit(searcher.reader.store, found, a2, "convex", 0.6, 1.0).fusion
        assert "best sentence cosine" in how
        assert searcher.search("farmers blamed the drought", mode="semantic").hits[0].article_id == "a2"


def test_an_index_without_sentence_vectors_is_searched_updated_and_rebuilt(tmp_path: Path,
                                                                          fake_encoder: HashEncoder) -> None:
    from cli import app
    from typer.testing import CliRunner

    feed, more = tmp_path / "feed.jsonl", tmp_path / "more.jsonl"
    write_feed(feed, TEXTS)
    idx = tmp_path / "idx"
    index_paths(idx, [str(feed)])
    snap = snapshot_path(idx, read_manifest(idx).snapshot)
    for path in [*snap.glob("sentence_*.npy")]:  # as written by a newsdig before sentence vectors
        path.unlink()
    report = check_index(idx)
    assert report.ok and any("no sentence vectors" in w for w in report.warnings)
    with Searcher(idx) as searcher:
        assert searcher.reader.sentences is None
        found = searcher.candidates(searcher.parse("drought"), mode="semantic")
        assert found.semantic and not found.sentence  # passage vectors alone
    write_feed(more, {"a4": "A new bridge opened downtown. Traffic eased at once."})
    assert CliRunner().invoke(app, ["add", str(more), "--index-dir", str(idx)]).exit_code == 0
    with Searcher(idx) as searcher:
        sentences, store = searcher.reader.sentences, searcher.reader.store
        assert sentences is not None and sentences.documents == len(store.ids)
        held = {store.chunk_id(d): int(sentences.counts([d])[0]) for d in range(len(store.ids))}
        assert held == {"a1#0": 0, "a2#0": 0, "a3#0": 0, "a4#0": 2}  # only the new passage has them
    assert check_index(idx).ok
    assert CliRunner().invoke(app, ["rebuild", "--index-dir", str(idx)]).exit_code == 0
    with Searcher(idx) as searcher:
        sentences, store = searcher.reader.sentences, searcher.reader.store
        assert sentences is not None
        for d in np.flatnonzero(store.live):
            body = searcher.reader.chunk_fields(int(d))["body"]
            assert int(sentences.counts([d])[0]) == len(sentence_spans(body)) == 3 - (store.chunk_id(int(d)) == "a4#0")
    assert not check_index(idx).warnings


def test_damaged_sentence_offsets_are_reported(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, TEXTS)
    idx = tmp_path / "idx"
    index_paths(idx, [str(feed)])
    snap = snapshot_path(idx, read_manifest(idx).snapshot)
    offsets = np.load(snap / OFFSETS)
    np.save(snap / OFFSETS, offsets[:-1] * 0 + offsets[-1])  # one row short
    assert any("sentence" in p for p in check_index(idx).problems)


@pytest.mark.model
def test_late_pooled_sentences_from_the_numpy_and_torch_encoders() -> None:
    from indexer import embed
    from indexer.numpy_encoder import NumpyBertEncoder
    from indexer.torch_encoder import TorchBertEncoder

    local = embed.resolve_model_path(embed.DEFAULT_MODEL_PATH)
    fast = NumpyBertEncoder(embed.DEFAULT_MODEL_NAME, embed.DEFAULT_MODEL_PATH, local)
    slow = TorchBertEncoder(embed.DEFAULT_MODEL_NAME, embed.DEFAULT_MODEL_PATH, local)
    bodies = list(TEXTS.values()) + ["One sentence only, with no title.", "word " * 400 + ". Cut off here."]
    texts = [f"Title {n}\n{b}" if n < 3 else b for n, b in enumerate(bodies)]
    spans = [[(a + len(t) - len(b), z + len(t) - len(b)) for a, z in sentence_spans(b)] for t, b in zip(texts, bodies)]
    v1, s1, c1 = fast.encode_with_sentences(texts, spans, batch_size=2)
    v2, s2, c2 = slow.encode_with_sentences(texts, spans, batch_size=3)
    assert c1.tolist() == c2.tolist() == [len(sp) for sp in spans] and len(s1) == len(s2) == int(c1.sum())
    assert float((v1 * fast.encode(texts)).sum(axis=1).min()) > 0.99999  # passage vectors unchanged
    assert float((v1 * v2).sum(axis=1).min()) > 0.9999
    live = np.linalg.norm(s2, axis=1) > 0
    assert live.sum() == len(s2) - 1 and not s1[-1].any()  # the sentence past 256 tokens has no tokens
    assert float((s1[live] * s2[live]).sum(axis=1).min()) > 0.9999
    # a sentence's pooled vector is nearest, among its passage's sentences, to that sentence alone
    own = slow.encode([t[a:z] for t, sp in zip(texts[:3], spans[:3]) for a, z in sp])
    for start in range(0, 9, 3):
        sims = s2[start:start + 3] @ own[start:start + 3].T
        assert (sims.argmax(axis=1) == np.arange(3)).all()


def test_sentence_vectors_can_be_left_out_and_added_by_a_rebuild(tmp_path: Path) -> None:
    from cli import app
    from typer.testing import CliRunner

    feed, idx = tmp_path / "feed.jsonl", tmp_path / "idx"
    write_feed(feed, TEXTS)
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(feed), "--index-dir", str(idx), "--no-sentence-vectors"]).exit_code == 0
    assert read_manifest(idx).settings["sentence_vectors"] is False
    with Searcher(idx) as searcher:
        assert searcher.reader.sentences is not None and searcher.reader.sentences.offsets[-1] == 0
        found = searcher.candidates(searcher.parse("farmers blamed the drought"), mode="semantic")
        assert found.semantic and not found.sentence
    again = runner.invoke(app, ["index", str(feed), "--index-dir", str(idx), "--sentence-vectors"])
    assert again.exit_code == 1 and "no sentence vectors" in again.output  # a setting: needs a rebuild
    assert runner.invoke(app, ["rebuild", "--index-dir", str(idx), "--sentence-vectors"]).exit_code == 0
    with Searcher(idx) as searcher:
        assert searcher.reader.sentences is not None and searcher.reader.sentences.offsets[-1] == 9
    assert check_index(idx).ok


def test_appending_updates_add_parts_and_a_renumbering_or_the_part_limit_writes_one(tmp_path: Path,
                                                                                     fake_encoder: HashEncoder) -> None:
    feed, idx = tmp_path / "feed.jsonl", tmp_path / "idx"
    write_feed(feed, TEXTS)
    index_paths(idx, [str(feed)])

    def parts() -> tuple[list[int], Path]:
        snap = snapshot_path(idx, read_manifest(idx).snapshot)
        return [int(k) for k in np.load(snap / PARTS)], snap

    first, snap = parts()
    inode = (snap / part_path(snap, first[0]).name).stat().st_ino
    seen = [first]
    for n in range(MAX_PARTS + 1):
        more = tmp_path / f"more{n}.jsonl"
        write_feed(more, {f"n{n}": f"Story {n} begins here. It ends there."})
        index_paths(idx, [str(more)])
        seen.append(parts()[0])
        ids, snap = parts()
        assert sorted(p.name for p in snap.glob("sentence_vectors.*.npy")) == sorted(part_path(snap, k).name for k in ids)
    assert seen[1] == [0, 1] and seen[2] == [0, 1, 2]  # appended: a new part each time, old ones kept
    assert (snap.parent / read_manifest(idx).snapshot / part_path(snap, 0).name).exists() is (0 in seen[-1])
    assert any(len(p) == 1 for p in seen[2:])  # past MAX_PARTS (or a Whoosh merge): one part again
    ids, snap = parts()
    if 0 in ids:
        assert part_path(snap, 0).stat().st_ino == inode  # the first part was never copied
    with Searcher(idx) as searcher:  # every passage's sentences are its own
        store, sentences = searcher.reader.store, searcher.reader.sentences
        for d in np.flatnonzero(store.live):
            body = searcher.reader.chunk_fields(int(d))["body"]
            own = fake_encoder.encode([body[a:b] for a, b in sentence_spans(body)])
            start, end = sentences.offsets[d], sentences.offsets[d + 1]
            got = sentences.rows(np.arange(start, end)).astype(np.float32) * sentences.scales[start:end, None]
            assert got.shape == own.shape and np.all(np.sum(got * own, axis=1) > 0.995)
    assert check_index(idx).ok
