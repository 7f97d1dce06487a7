"""Late-interaction rerank (``--rerank``): the pure parts by hand, the pipeline with a fake token encoder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import HashEncoder, TokenEncoder
from typer.testing import CliRunner

from cli import app
from indexer.build import index_paths
from indexer.errors import QueryError
from search.ranker import Searcher
from search.rerank import content_mask, maxsim, mixed_order
from search.results import Candidates


def test_content_mask_keeps_words_and_word_pieces_not_stop_words_or_punctuation() -> None:
    pieces = ["the", "talks", "of", "moscow", "and", "ky", "##iv", "?", "who"]  # the index's stop words
    assert content_mask(pieces).tolist() == [False, True, False, True, False, True, True, False, True]
    assert content_mask(["the", "?"]).tolist() == [True, True]  # nothing but stop words: all of them


def test_maxsim_is_the_mean_of_each_query_token_best_match() -> None:
    query = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32)
    passage = np.array([[0.6, 0.8, 0], [1, 0, 0], [0, 0, 1]], dtype=np.float32)
    assert maxsim(query, passage) == pytest.approx((1.0 + 0.8) / 2)
    assert maxsim(query, passage[2:]) == 0.0 and maxsim(query, passage[:0]) == 0.0


def test_mixed_order_by_hand() -> None:
    # fused 1, 0.9, 0.85, 0 -> same after min-max; matches 0, 0, 1, 0.5: 0.7, 0.63, 0.895, 0.15
    assert mixed_order([1.0, 0.9, 0.85, 0.0], [0.2, 0.2, 0.6, 0.4]).tolist() == [2, 0, 1, 3]
    assert mixed_order([1.0, 0.9], [0.5, 0.5]).tolist() == [0, 1]  # equal matches: fused order
    assert mixed_order([1.0, 0.9, 0.85], [0.0, 0.0, 1.0], mix=0.0).tolist() == [0, 1, 2]


ROWS = [("x", "Council budget", "The council met to agree its budget for the coming year."),
        ("y", "Weather outlook", "Rain is expected across the county through the weekend."),
        ("z", "Island service resumes", "The harbour ferry strike ended and crossings resume."),
        ("w", "Museum looms", "The museum restored four looms for the textile hall.")]


@pytest.fixture()
def searcher(tmp_path: Path):  # type: ignore[no-untyped-def]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps({"id": i, "title": t, "text": x}) + "\n" for i, t, x in ROWS))
    index_paths(tmp_path / "idx", [str(feed)])
    with Searcher(tmp_path / "idx") as s:
        s._encoder = TokenEncoder()
        yield s


def test_rerank_lifts_the_hit_whose_words_match_and_keeps_scores_falling(searcher: Searcher) -> None:
    doc = {aid: searcher.reader.article_docnums(aid)[0] for aid, _, _ in ROWS}
    qvec = searcher.encoder.encode(["harbour ferry strike"])[0]
    found = Candidates("semantic", {}, dict(zip((doc[a] for a in "xyzw"), (1.0, 0.9, 0.85, 0.0))), qvec,
                       frozenset(), "harbour ferry strike", semantic_text="harbour ferry strike")
    plain = searcher.rank(found, support=0.0)
    assert [aid for aid, _ in plain] == ["x", "y", "z", "w"]
    reranked = searcher.rank(found, support=0.0, rerank=4)
    assert [aid for aid, _ in reranked] == ["z", "x", "y", "w"]
    assert [s for _, (s, _) in reranked] == [s for _, (s, _) in plain]  # the same scores, still falling
    assert searcher.reranker.matches[doc["z"]] == pytest.approx(1.0)  # all three words in its passage
    assert [aid for aid, _ in searcher.rank(found, support=0.0, rerank=2)] == ["x", "y", "z", "w"]  # only the top 2
    calls = searcher.encoder.token_calls  # type: ignore[attr-defined]
    searcher.rank(found, support=0.0, rerank=4)
    assert calls[-1] == 1  # the query only: the passages' states are kept
    keyword = Candidates("keyword", found.semantic, {}, None, frozenset(), "harbour ferry strike")
    assert searcher.rank(keyword, rerank=4) == searcher.rank(keyword)  # keyword mode never loads the model


def test_the_passage_cache_stays_bounded_and_rereads_what_it_dropped(searcher: Searcher,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from search import rerank

    monkeypatch.setattr(rerank, "CACHED_PASSAGES", 2)
    first = [aid for aid, _ in searcher.rank(searcher.candidates(searcher.parse("ferry museum"), mode="semantic"),
                                             rerank=4)]
    calls = searcher.encoder.token_calls  # type: ignore[attr-defined]
    assert calls[-1] == 4 and len(searcher.reranker._states) == 2  # query, then 4 passages in one call
    again = [aid for aid, _ in searcher.rank(searcher.candidates(searcher.parse("ferry museum"), mode="semantic"),
                                             rerank=4)]
    assert again == first and calls[-1] == 2  # the 2 kept were not read again


def test_explain_says_a_hit_was_reordered(searcher: Searcher) -> None:
    results = searcher.search("harbour ferry strike", mode="semantic", limit=4, rerank=4, explain=True)
    assert all("reordered by 0.7 x fused + 0.3 x token match" in e.fusion for e in results.explanations.values())
    plain = searcher.search("harbour ferry strike", mode="semantic", limit=4, explain=True)
    assert not any("token match" in e.fusion for e in plain.explanations.values())


def test_a_model_without_token_states_cannot_rerank(searcher: Searcher) -> None:
    searcher._encoder = HashEncoder()
    with pytest.raises(QueryError, match="--rerank needs a transformer model"):
        searcher.search("harbour ferry", rerank=5)


def test_cli_refuses_rerank_in_keyword_mode(searcher: Searcher) -> None:
    result = CliRunner().invoke(app, ["search", "ferry", "--mode", "keyword", "--rerank", "5",
                                      "--index-dir", str(searcher.reader.index_dir)])
    assert result.exit_code == 2 and "use hybrid or semantic mode" in result.output


def test_batch_search_reranks_as_single_searches_do(searcher: Searcher) -> None:
    from search.batch import search_many

    queries = [("q1", "harbour ferry strike"), ("q2", "museum looms council")]
    single = {qid: [h.article_id for h in searcher.search(text, mode="semantic", rerank=3).hits] for qid, text in queries}
    calls = searcher.encoder.token_calls  # type: ignore[attr-defined]
    before = len(calls)
    batch = {qid: [h.article_id for h in r.hits] for qid, r in search_many(searcher, queries, mode="semantic", rerank=3)}
    assert batch == single and calls[before:] == [1, 1]  # each query read by the model; passages kept
    # the loaded (non-fast) encoder of the fake model has no token states: the searcher's own stays
    assert isinstance(searcher.reranker.encoder, TokenEncoder)
