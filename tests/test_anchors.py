"""The anchor guarantee: a hit holding the query's phrase or rare words is never outranked by a
hit that holds none of the query's words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from whoosh import query as wq

from indexer.build import index_paths
from search.anchors import anchor_query
from search.fusion import anchors_first
from search.ranker import Searcher
from search.results import Candidates


def test_anchors_first_moves_semantic_only_hits_below_the_last_anchored_hit() -> None:
    order = ["s1", "a1", "k1", "s2", "a2", "s3", "k2"]
    assert anchors_first(order, {"a1", "a2"}, {"s1", "s2", "s3"}) == ["a1", "k1", "a2", "s1", "s2", "s3", "k2"]
    assert anchors_first(order, set(), {"s1"}) == order          # nothing anchored: unchanged
    assert anchors_first(["a1", "s1"], {"a1"}, {"s1"}) == ["a1", "s1"]  # already safe
    assert anchors_first(order, {"a1"}, set()) == order          # no semantic-only hits


@pytest.fixture
def index(tmp_path: Path) -> Path:
    rows = [{"id": "zel", "title": "Zelensky addresses parliament", "text": "Zelensky gave a speech on peace talks."}]
    rows += [{"id": f"s{i}", "title": f"Speech {i}", "text": f"A speech about the harvest number {i} and peace."}
             for i in range(12)]
    rows += [{"id": "other", "title": "Weather", "text": "Rain and wind all week along the coast."}]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    index_paths(tmp_path / "idx", [str(feed)])
    return tmp_path / "idx"


def test_anchor_query_takes_rare_words_and_phrases(index: Path) -> None:
    with Searcher(index) as s:
        rare = anchor_query(s.reader.searcher, s.parse("zelensky speech").scoring)
        assert rare == wq.Term("text", "zelenski")  # "speech" is in 13 of 14 passages: not rare
        assert anchor_query(s.reader.searcher, s.parse("speech peace").scoring) is None
        assert anchor_query(s.reader.searcher, s.parse("speech zelensky -rain").scoring) == rare
        phrase = anchor_query(s.reader.searcher, s.parse('"peace talks" speech').scoring)
        assert isinstance(phrase, wq.Phrase) and phrase.words == ["peac", "talk"]
        either = anchor_query(s.reader.searcher, s.parse('"peace talks" zelensky').scoring)
        assert isinstance(either, wq.Or) and set(either.subqueries) == {phrase, rare}  # the phrase, or the rare words
        assert anchor_query(s.reader.searcher, s.parse("zelenskyy speech").scoring) is None  # absent word


def test_a_semantic_only_hit_never_outranks_an_anchored_one(index: Path) -> None:
    with Searcher(index) as s:
        docnum = {s.reader.store.chunk_id(d).split("#")[0]: d for d in range(len(s.reader.store))}
        zel, other, s1 = docnum["zel"], docnum["other"], docnum["s1"]
        found = Candidates("hybrid", keyword={zel: 1.0, s1: 9.0}, semantic={zel: 0.1, s1: 0.2, other: 0.99},
                           qvec=None, terms=frozenset(), text="zelensky speech")
        plain = [aid for aid, _ in s.rank(found)]
        assert plain.index("other") < plain.index("zel")  # fusion alone puts the semantic-only hit first
        found.anchored = {zel}
        assert [aid for aid, _ in s.rank(found)] == ["s1", "zel", "other"]
        hits = s.search("zelensky speech", mode="hybrid").hits
        ids = [h.article_id for h in hits]
        assert "other" not in ids or ids.index("zel") < ids.index("other")


def test_postings_and_located_phrases_find_the_same_anchored_passages_as_whoosh(index: Path, monkeypatch) -> None:
    import search.anchors as anchors

    queries = ["zelensky speech", '"peace talks" speech', '"peace talks" zelensky', "zelensky parliament rain",
               '"harvest number" coast', "rain coast wind -zelensky", "speech peace"]
    with Searcher(index) as s:
        everything = set(range(len(s.reader.store)))
        searcher, bm25 = s.reader.searcher, s.reader.bm25
        expected = {q: anchors.anchored_docs(searcher, s.parse(q).scoring, everything) for q in queries}
        article = lambda docs: {s.reader.store.chunk_id(d).split("#")[0] for d in docs}  # noqa: E731
        assert article(expected['"peace talks" zelensky']) == {"zel"}                  # the phrase or the rare word
        assert article(expected['"harvest number" coast']) == {"other"} | {f"s{i}" for i in range(12)}
        assert expected["zelensky parliament rain"] == set() and expected["speech peace"] == set()
        bm25._phrases.clear()  # a phrase no search has located: Whoosh answers
        assert anchors.anchored_docs(searcher, s.parse('"peace talks" speech').scoring, everything, bm25) \
            == expected['"peace talks" speech']
        for q in queries:
            s.search(q)  # the keyword side locates the query's phrases
        monkeypatch.setattr(anchors, "scores_of", lambda *a: pytest.fail("Whoosh asked"))
        for q in queries:
            assert anchors.anchored_docs(searcher, s.parse(q).scoring, everything, bm25) == expected[q], q
