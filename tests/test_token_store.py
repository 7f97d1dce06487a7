"""Token codes (indexer.token_store): the quantiser by hand, the streaming coder, and an index
whose rerank reads its passages' token states from the codes instead of the model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import TokenEncoder, word_states

from indexer import embed, token_store
from indexer.build import index_paths
from indexer.check import check_index
from indexer.layout import read_manifest, snapshot_path
from indexer.token_store import Codebook, TokenCoder, TokenStore
from indexer.update import IndexUpdate
from search.ranker import Searcher
from search.rerank import passage_text


@pytest.fixture()
def tokens_encoder(monkeypatch: pytest.MonkeyPatch) -> TokenEncoder:
    encoder = TokenEncoder()
    monkeypatch.setattr(embed, "load_encoder", lambda name, path, **kwargs: encoder)
    return encoder


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_codebook_learned_from_few_tokens_gives_them_back_exactly() -> None:
    rng = np.random.default_rng(3)
    states = unit(rng.standard_normal((40, 20)).astype(np.float32))
    book = Codebook.train(states, subspaces=16)  # 20 dimensions in 16 slices: 4 of 2 and 12 of 1
    assert [b - a for a, b in book.slices] == [2] * 4 + [1] * 12
    codes = book.encode(states)
    assert codes.dtype == np.uint8 and codes.shape == (40, 16) and book.trained == 40
    np.testing.assert_allclose(book.decode(codes), states, atol=1e-5)


def test_a_codebook_finds_clusters_and_is_saved(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    centres = unit(rng.standard_normal((3, 32)).astype(np.float32))
    labels = rng.integers(0, 3, 900)
    states = unit(centres[labels] + 0.01 * rng.standard_normal((900, 32)).astype(np.float32))
    book = Codebook.train(states, subspaces=4)
    decoded = book.decode(book.encode(states))
    assert np.min(np.sum(decoded * states, axis=1)) > 0.99
    book.save(tmp_path)
    again = Codebook.load(tmp_path)
    assert again.trained == 900 and again.subspaces == 4
    np.testing.assert_array_equal(again.encode(states), book.encode(states))


def test_the_coder_learns_once_the_sample_is_full_and_keeps_passage_order(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(token_store, "TRAIN_TOKENS", 12)
    rng = np.random.default_rng(5)
    passages = [unit(rng.standard_normal((n, 16)).astype(np.float32)) for n in (5, 0, 4, 6, 3, 2)]
    coder = TokenCoder(tmp_path / "spool")
    coder.push([coder.prepare(p) for p in passages[:2]] + [None])  # 5 tokens, none, no states at all
    assert coder.book is None
    coder.push([coder.prepare(p) for p in passages[2:4]])  # 15 tokens: learned from 12 of them
    assert coder.book is not None and coder.book.trained == 12
    coder.push([coder.prepare(passages[4]), coder.prepare(passages[5])])  # coded as they come
    codes, counts = coder.finish()  # type: ignore[misc]
    assert counts.tolist() == [5, 0, 0, 4, 6, 3, 2]
    np.testing.assert_array_equal(codes[:5], coder.book.encode(passages[0].astype(np.float16)))  # waited as float16
    np.testing.assert_array_equal(codes[-2:], coder.book.encode(passages[5]))
    assert coder.recode() is None
    coder.discard()


def test_a_small_update_keeps_the_codebook_of_a_small_index_and_codes_passages_without_states(
        tmp_path: Path, tokens_encoder: TokenEncoder) -> None:
    index = tmp_path / "idx"
    index_paths(index, [feed(tmp_path, ROWS)])
    old = TokenStore.load(snapshot_path(index, read_manifest(index).snapshot))
    coder = TokenCoder(tmp_path / "spool", old)
    assert coder.book is None  # learned from fewer than TRAIN_TOKENS: may be learned again
    rng = np.random.default_rng(6)
    coder.push([None, coder.prepare(unit(rng.standard_normal((3, 64)).astype(np.float32)))])
    codes, counts = coder.finish()  # type: ignore[misc]
    assert coder.book is coder.old_book and coder.recode() is None  # 3 new tokens do not double them
    assert counts.tolist() == [0, 3] and codes.shape == (3, token_store.SUBSPACES)
    coder.discard()


def test_a_coder_without_states_writes_nothing(tmp_path: Path) -> None:
    coder = TokenCoder(tmp_path / "spool")
    coder.push([None, None])
    assert coder.finish() is None


ROWS = [("x", "Council budget", "The council met to agree its budget for the coming year."),
        ("y", "Weather outlook", "Rain is expected across the county through the weekend."),
        ("z", "Island service resumes", "The harbour ferry strike ended and crossings resume."),
        ("w", "Museum looms", "The museum restored four looms for the textile hall.")]
MORE = [("v", "Ferry fares", "Ferry fares rise for island residents next month."),
        ("u", "Harbour works", "Harbour walls repaired after the winter storms.")]


def feed(tmp_path: Path, rows: list[tuple[str, str, str]], name: str = "feed.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps({"id": i, "title": t, "text": x}) + "\n" for i, t, x in rows))
    return str(path)


def assert_codes_are_the_passages(index: Path, encoder: TokenEncoder) -> None:
    with Searcher(index) as searcher:
        tokens = searcher.reader.tokens
        assert tokens is not None and tokens.documents == len(searcher.reader.store.ids)
        for d in np.flatnonzero(searcher.reader.store.live):
            np.testing.assert_allclose(tokens.states(int(d)), word_states(passage_text(searcher.reader, int(d)), encoder.dim),
                                       atol=1e-5)


def test_an_index_keeps_token_codes_through_updates_and_reranks_from_them(tmp_path: Path,
                                                                         tokens_encoder: TokenEncoder) -> None:
    index = tmp_path / "idx"
    index_paths(index, [feed(tmp_path, ROWS[:2])])
    assert read_manifest(index).settings["token_codes"] is True
    assert_codes_are_the_passages(index, tokens_encoder)  # fewer tokens than centroids: exact

    def codebook() -> Codebook:
        return Codebook.load(snapshot_path(index, read_manifest(index).snapshot))

    first = codebook().trained
    index_paths(index, [feed(tmp_path, ROWS[2:] + MORE[:1], "more.jsonl")])  # more than doubles the tokens
    assert codebook().trained > first  # learned again, from the old tokens (decoded) and the new
    assert_codes_are_the_passages(index, tokens_encoder)  # old codes rewritten with it
    with Searcher(index) as searcher:
        searcher._encoder = tokens_encoder
        assert searcher.default_rerank == 10
        before = len(tokens_encoder.token_calls)
        default = searcher.search("harbour ferry strike", mode="semantic", explain=True)
        assert tokens_encoder.token_calls[before:] == [1]  # the query alone: passages come from the codes
        assert all("token match" in e.fusion for e in default.explanations.values())
        from_codes = dict(searcher.reranker.matches)
        assert len(from_codes) == len(default.hits) == 5 and max(from_codes.values()) == pytest.approx(1.0)
        searcher.reranker.stored = lambda docnum: None  # the model reads every passage instead
        read = searcher.search("harbour ferry strike", mode="semantic")
        assert tokens_encoder.token_calls[-1] == len(read.hits)
        assert searcher.reranker.matches == pytest.approx(from_codes, abs=1e-5)
        # the same order, but for the hits sharing no word with the query (all tied at 0, where
        # decoding's rounding, 1e-8, may break the tie either way)
        assert [h.article_id for h in read.hits][:2] == [h.article_id for h in default.hits][:2] == ["z", "v"]
    second = codebook()
    index_paths(index, [feed(tmp_path, MORE[1:], "last.jsonl")])  # a few tokens more: the codebook stays
    np.testing.assert_array_equal(codebook().centroids, second.centroids)
    with Searcher(index) as searcher:  # coded with a codebook that never saw its words: only approximately
        tokens = searcher.reader.tokens
        assert tokens is not None and [int(tokens.counts([d])[0]) for d in range(tokens.documents)] == \
            [len(word_states(passage_text(searcher.reader, d), 64)) for d in range(tokens.documents)]
    with IndexUpdate(index) as update:
        update.remove("y")
        update.commit()
    assert check_index(index).ok


def test_a_full_codebook_is_kept_by_later_updates(tmp_path: Path, tokens_encoder: TokenEncoder,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(token_store, "TRAIN_TOKENS", 20)
    index = tmp_path / "idx"
    index_paths(index, [feed(tmp_path, ROWS)])
    first = np.load(snapshot_path(index, read_manifest(index).snapshot) / token_store.CODEBOOK)
    index_paths(index, [feed(tmp_path, MORE, "more.jsonl")])
    snap = snapshot_path(index, read_manifest(index).snapshot)
    np.testing.assert_array_equal(np.load(snap / token_store.CODEBOOK), first)
    assert [int(k) for k in np.load(snap / token_store.FILES.parts)] == [0, 1]  # appended, old part kept
    store = TokenStore.load(snap)
    assert store.counts(np.arange(store.documents)).sum() == int(store.offsets[-1]) > 0
    assert check_index(index).ok


def test_no_token_codes_and_older_indexes_rerank_only_when_asked(tmp_path: Path, tokens_encoder: TokenEncoder) -> None:
    from typer.testing import CliRunner

    from cli import app

    index = tmp_path / "idx"
    result = CliRunner().invoke(app, ["index", feed(tmp_path, ROWS), "--index-dir", str(index), "--no-token-codes"])
    assert result.exit_code == 0, result.output
    assert read_manifest(index).settings["token_codes"] is False
    assert not TokenStore.exists(snapshot_path(index, read_manifest(index).snapshot))
    with Searcher(index) as searcher:
        assert searcher.default_rerank == 0
    # an index from before token codes (no setting) gets them from a rebuild, not from an update
    manifest = json.loads((index / "manifest.json").read_text())
    del manifest["settings"]["token_codes"]
    (index / "manifest.json").write_text(json.dumps(manifest))
    index_paths(index, [feed(tmp_path, MORE, "more.jsonl")])
    assert not TokenStore.exists(snapshot_path(index, read_manifest(index).snapshot))
    result = CliRunner().invoke(app, ["rebuild", "--index-dir", str(index)])
    assert result.exit_code == 0, result.output
    assert read_manifest(index).settings["token_codes"] is True
    assert_codes_are_the_passages(index, tokens_encoder)


def test_check_finds_token_codes_that_do_not_fit(tmp_path: Path, tokens_encoder: TokenEncoder) -> None:
    index = tmp_path / "idx"
    index_paths(index, [feed(tmp_path, ROWS)])
    snap = snapshot_path(index, read_manifest(index).snapshot)
    assert check_index(index).ok
    centroids = np.load(snap / token_store.CODEBOOK)
    np.save(snap / token_store.CODEBOOK, centroids[:2])  # codes now name centroids past the end
    assert any("centroids the codebook does not have" in p for p in check_index(index).problems)
    np.save(snap / token_store.CODEBOOK, centroids)
    np.save(snap / token_store.FILES.offsets, np.load(snap / token_store.FILES.offsets)[:-1])
    assert not check_index(index).ok


def test_a_search_keeps_its_codebook_when_a_writer_removes_the_snapshot(tmp_path: Path,
                                                                       tokens_encoder: TokenEncoder) -> None:
    import shutil

    index = tmp_path / "idx"
    index_paths(index, [feed(tmp_path, ROWS)])
    with Searcher(index) as searcher:
        searcher._encoder = tokens_encoder
        index_paths(index, [feed(tmp_path, MORE, "more.jsonl")])  # a new snapshot; the old one is removed
        shutil.rmtree(searcher.reader.dir, ignore_errors=True)
        results = searcher.search("harbour ferry strike", mode="semantic", explain=True)
        assert results.hits and all("token match" in e.fusion for e in results.explanations.values())
