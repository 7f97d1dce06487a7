"""Building an index and searching it, with the fake encoder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from indexer.build import index_paths
from indexer.analysis import CHUNK_INDEX
from indexer.errors import IndexNotFoundError, ModelMismatchError, QueryError
from indexer.keyword_index import chunk_ids_by_docnum, open_index
from indexer.layout import read_manifest, snapshot_path
from indexer.vector_store import VectorStore
from search.ranker import Searcher


@pytest.fixture
def built(tmp_path: Path, corpus: Path) -> Path:
    index_dir = tmp_path / "idx"
    report = index_paths(index_dir, [str(corpus)])
    assert report.counts.added == 4 and not report.skipped
    return index_dir


def test_manifest_vectors_and_keyword_index_agree(built: Path) -> None:
    manifest = read_manifest(built)
    assert (manifest.articles, manifest.model.dim) == (4, 64)
    snap = snapshot_path(built, manifest.snapshot)
    store = VectorStore.load(snap)
    assert len(store) == manifest.chunks
    assert np.allclose(np.linalg.norm(store.vectors, axis=1), 1.0, atol=1e-5)
    # Row i is keyword document i of the same snapshot.
    assert [i.decode() for i in store.ids] == chunk_ids_by_docnum(open_index(snap, CHUNK_INDEX))
    raw = json.loads((built / "manifest.json").read_text())
    assert set(raw) == {"format_version", "newsdig_version", "snapshot", "model", "counts", "settings",
                        "created", "updated"}
    assert raw["settings"]["chunking"] == {"max_words": 160, "min_words": 60, "overlap_words": 40}


def test_keyword_search_finds_and_highlights(built: Path) -> None:
    with Searcher(built) as s:
        hits = s.search("floating solar reservoir", mode="keyword").hits
    top = hits[0]
    assert top.title == "Harbour Council Approves Floating Solar Farm on Old Reservoir"
    assert top.semantic_score is None and top.keyword_score > 0
    assert "[[floating]] [[solar]] farm" in top.snippet and "[[reservoir]]" in top.snippet
    assert top.chunk_id == f"{top.article_id}#0"


def test_stemming_and_title_metadata(built: Path) -> None:
    with Searcher(built) as s:
        hits = s.search("raising interest", mode="keyword", limit=1).hits
    assert hits[0].title == "Central bank raises interest rates"
    assert hits[0].source == "The Ledger" and hits[0].published == "2025-03-13T09:00:00+00:00"
    assert "[[raised]]" in hits[0].snippet and "[[interest]]" in hits[0].snippet


def test_hybrid_and_semantic_modes_rank_and_fill_scores(built: Path) -> None:
    with Searcher(built) as s:
        hybrid = s.search("wheat harvest drought", limit=4, support=0.0).hits
        semantic = s.search("wheat harvest drought", mode="semantic", limit=4).hits
    assert hybrid[0].article_id == "w1" and semantic[0].article_id == "w1"
    assert hybrid[0].keyword_score is not None and hybrid[0].semantic_score is not None
    assert hybrid[0].score == pytest.approx(1.0)  # best on both sides after min-max
    assert [h.rank for h in hybrid] == [1, 2, 3, 4]
    assert len({h.article_id for h in semantic}) == len(semantic)  # chunks collapsed to articles


def test_rrf_fusion_is_available(built: Path) -> None:
    with Searcher(built) as s:
        hits = s.search("museum looms", fusion_method="rrf", limit=2, support=0.0).hits
    assert hits[0].article_id == "w2"
    assert hits[0].score == pytest.approx(2 / 61, abs=1e-6)


CLUSTER = [  # a, b, c, h: one story told four times; d-g: unrelated
    ("a", "Flood warning for valley towns", "The river burst its banks and a flood warning was issued for the valley towns. Sandbags were handed out at the town hall and the road to the bridge was closed."),
    ("b", "Valley towns clear up", "Sandbags at the town hall, the road to the bridge closed: the valley towns began to clear up after the river burst its banks and the flood."),
    ("c", "Bridge road reopens in valley", "The road to the bridge reopened in the valley towns, where sandbags still line the town hall after the river burst its banks in the flood."),
    ("d", "Warning on garden ponds", "A warning for garden ponds: frogs spawn early this spring, and keepers should check pumps, nets and filters before the weather warms."),
    ("e", "Museum reopens textile hall", "The city museum reopened its textile hall after restoring four Victorian looms. Weavers will demonstrate them every weekend."),
    ("f", "Chess club wins cup", "The chess club won the county cup on Saturday after a tense final round against the grammar school team."),
    ("g", "Bakery prices rise", "Bread and pastry prices rose at the corner bakery as flour and butter costs climbed through the winter."),
    ("h", "Sandbags stay at town hall", "Sandbags stay at the town hall in the valley towns and the road to the bridge is still closed after the river burst its banks in the flood."),
]


def test_neighbour_support_lifts_a_hit_among_strong_hits(tmp_path: Path) -> None:
    from search.results import Candidates

    feed = tmp_path / "cluster.jsonl"
    feed.write_text("".join(json.dumps({"id": i, "title": t, "text": x}) + "\n" for i, t, x in CLUSTER))
    index_paths(tmp_path / "idx", [str(feed)])
    with Searcher(tmp_path / "idx") as s:
        doc = {aid: s.reader.article_docnums(aid)[0] for aid, _, _ in CLUSTER}
        vectors = np.asarray(s.reader.store.vectors)
        cos = lambda x, y: float(vectors[doc[x]] @ vectors[doc[y]])  # noqa: E731
        assert min(cos(x, y) for x, y in ("ab", "bc", "bh")) > 0.6 > max(cos("d", x) for x in "abcefgh")  # fake encoder
        # Keyword scores alone decide (equal cosines): d edges out b without support.
        keyword = dict(zip((doc[x] for x in "abcdefgh"), (10.0, 5.6, 5.0, 5.8, 1.0, 1.0, 1.0, 5.4)))
        found = Candidates("hybrid", keyword, {d: 0.5 for d in keyword}, None, frozenset())
        plain = [aid for aid, _ in s.rank(found, support=0.0)]
        supported = s.rank(found)
    assert plain[:5] == ["a", "d", "b", "h", "c"]
    # b and h: their nearest hits are each other, a and c; d's are g, a and a weaker one.
    assert [aid for aid, _ in supported][:5] == ["a", "b", "h", "d", "c"]
    scores = [score for _, (score, _) in supported]
    assert scores == sorted(scores, reverse=True) and 0.0 <= min(scores) and max(scores) <= 1.0


def test_neighbour_support_leaves_the_top_hit_and_the_other_modes(built: Path) -> None:
    with Searcher(built) as s:
        for query in ("wheat harvest drought", "solar farm", "interest rates inflation", "looms"):
            plain = s.search(query, limit=4, support=0.0).hits
            supported = s.search(query, limit=4, explain=True)
            assert supported.hits[0].article_id == plain[0].article_id
            assert {h.article_id for h in supported.hits} == {h.article_id for h in plain}
            changed = [h for h, p in zip(supported.hits, plain) if h.score != p.score]
            assert changed and all("neighbour support" in supported.explanations[h.article_id].fusion for h in changed)
            for mode in ("keyword", "semantic"):
                assert s.search(query, mode=mode, limit=4).hits == s.search(query, mode=mode, limit=4, support=0.0).hits


def _crowded_feed(path: Path, count: int = 400) -> Path:
    """``count`` one-passage articles drawn from a small vocabulary: every query matches hundreds."""
    import random

    rng = random.Random(7)
    words = "harbour ferry strike pay council vote river flood bridge school museum bakery price market".split()
    filler = "the a of in on and with for after before during about over under".split()
    lines = []
    for i in range(count):
        text = " ".join(rng.choice(words) if rng.random() < 0.3 else rng.choice(filler) for _ in range(rng.randint(20, 60)))
        lines.append(json.dumps({"id": f"a{i:03d}", "title": " ".join(rng.sample(words, 2)), "text": text.capitalize() + "."}))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_pages_explain_and_ask_rank_from_the_same_candidates(tmp_path: Path) -> None:
    from search.explain import explain_article
    from search.passages import ask

    index_paths(tmp_path / "idx", [str(_crowded_feed(tmp_path / "feed.jsonl"))])
    with Searcher(tmp_path / "idx") as s:
        for query in ("ferry strike pay", "river flood", "harbour"):
            full = [h.article_id for h in s.search(query, limit=100, snippets=False).hits]
            pages = [h.article_id for offset in range(0, 100, 10)
                     for h in s.search(query, limit=10, offset=offset, snippets=False).hits]
            assert pages == full and len(set(full)) == 100
            # The window matters on this corpus: from 100 candidates per side the order differs.
            narrow = [aid for aid, _ in s.rank(s.candidates(s.parse(query), depth=100))]
            assert narrow[:30] != full[:30]
            assert any(line.startswith("hybrid result: rank 13;")  # the 3rd hit of page 2
                       for line in explain_article(s, query, pages[12], limit=10))
            few, many = ask(s, query, limit=3), ask(s, query, limit=30)
            assert [p.chunk_id for p in few] == [p.chunk_id for p in many[:3]]


def test_errors(built: Path, tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError):
        Searcher(tmp_path / "none")
    with Searcher(built) as s, pytest.raises(QueryError):
        s.search("   ").hits
    other = tmp_path / "model"
    other.mkdir()
    with pytest.raises(ModelMismatchError):
        Searcher(built, model=str(other))


def test_reindex_is_incremental_and_replaces_changed_articles(built: Path, corpus: Path,
                                                               fake_encoder: object) -> None:
    before = read_manifest(built)
    again = index_paths(built, [str(corpus)])
    assert (again.counts.added, again.counts.updated, again.counts.unchanged) == (0, 0, 4)
    assert again.manifest is None and read_manifest(built) == before  # nothing to commit
    feed = corpus / "feeds" / "wire.jsonl"
    feed.write_text(feed.read_text().replace("by a third", "by half"))
    changed = index_paths(built, [str(feed)])
    assert (changed.counts.added, changed.counts.updated, changed.counts.unchanged) == (0, 1, 1)
    after = read_manifest(built)
    assert after.articles == 4 and after.snapshot != before.snapshot
    assert not snapshot_path(built, before.snapshot).exists()
    with Searcher(built) as s:
        hits = s.search("half", mode="keyword").hits
        assert [h.article_id for h in hits] == ["w1"]
        assert "w1" not in [h.article_id for h in s.search("third", mode="keyword").hits]


def test_sentences_are_embedded_for_snippets_only_where_terms_cannot_choose(built: Path, fake_encoder) -> None:
    calls: list[int] = []
    original = fake_encoder.encode

    def counting(texts, *, batch_size=32):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return original(texts, batch_size=batch_size)

    fake_encoder.encode = counting
    with Searcher(built) as searcher:
        hits = searcher.search("central bank interest rate", mode="hybrid", limit=1).hits
        assert hits and "[[" in hits[0].snippet
        assert calls == [1]  # the query only: its terms pick the snippet sentence
        calls.clear()
        question = "why did the central bank raise interest rates?"
        stored = searcher.search(question, mode="hybrid", limit=1).hits
        assert calls == [1]  # a question: the top hit's sentences are scored by the index's sentence vectors
        searcher.reader.sentences = None  # an index written before sentence vectors: they are encoded
        calls.clear()
        encoded = searcher.search(question, mode="hybrid", limit=1).hits
        assert calls[0] == 1 and len(calls) == 2 and calls[1] > 1
        assert [h.snippet for h in stored] == [h.snippet for h in encoded]


def test_a_hit_shows_a_passage_that_holds_the_query_words(tmp_path: Path) -> None:
    from search.results import Candidates

    filler = " ".join(f"Residents of the island waited on the quay for news number {i} from the harbour office."
                      for i in range(30))
    rows = [{"id": "isl", "title": "Island service resumes", "text": "The ferry will run again on Saturday. " + filler},
            {"id": "far", "title": "Quay repairs", "text": "The quay will be repaired by the harbour office."}]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in rows))
    index_paths(tmp_path / "idx", [str(feed)])
    with Searcher(tmp_path / "idx") as s:
        first, *rest = s.reader.article_docnums("isl")
        assert rest and "ferry" in s.reader.chunk_fields(first)["body"]
        assert not any("ferry" in s.reader.chunk_fields(d)["body"] for d in rest)
        qvec = s.encoder.encode(["ferry"])[0]
        page = [("isl", (0.9, rest[-1]))]  # scored on a passage without the word (by meaning, say)
        for mode, expected in (("hybrid", first), ("semantic", rest[-1]), ("keyword", rest[-1])):
            found = Candidates(mode, {rest[-1]: 2.0}, {rest[-1]: 0.5}, qvec, frozenset({"ferri"}), "ferry")
            hit = s._hits(page, found, 0, snippets=True)[0]
            assert hit.chunk_id == s.reader.chunk_fields(expected)["chunk_id"], mode
            assert ("[[ferry]]" in hit.snippet) == (mode == "hybrid")
            assert (hit.score, hit.keyword_score, hit.semantic_score) == (0.9, 2.0, 0.5)  # the article's, as fused
        found = Candidates("hybrid", {}, {}, qvec, frozenset({"quay"}), "quay")  # every passage holds it
        assert s._hits(page, found, 0, snippets=True)[0].chunk_id == s.reader.chunk_fields(rest[-1])["chunk_id"]
