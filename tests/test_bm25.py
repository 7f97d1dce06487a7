"""Vectorised BM25 over the numpy postings scores passages exactly as Whoosh's BM25F does, and
articles as their pooled passages, and stays aligned with the keyword documents through
additions, replacements and removals."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from whoosh import query as wq

from indexer.build import index_paths
from indexer.check import check_index
from indexer.layout import read_manifest, snapshot_path
from indexer.postings import FILES, Postings
from indexer.sentences import sentence_spans
from indexer.update import IndexUpdate
from search.bm25 import BM25, QueryTerm, article_numbers, flat_terms
from search.keyword import keyword_candidates
from search.ranker import Searcher
from search.scoring import bm25_idf
from conftest import HashEncoder

WORDS = ("bank rates inflation solar farm reservoir council vote harbour wheat exports storm "
         "river election minister budget school teachers strike train station fares").split()
QUERIES = ["bank rates", "solar solar farm", "harbour council vote", "wheat", "zzz absent", "rates OR storm",
           "election minister budget teachers strike train"]


def write_feed(path: Path, start: int, count: int, seed: int) -> None:
    rng = random.Random(seed)
    rows = []
    for i in range(start, start + count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(5, 400))]
        sentences = [" ".join(words[j:j + 12]) + "." for j in range(0, len(words), 12)]
        rows.append({"id": f"a{i}", "title": " ".join(rng.sample(WORDS, 3)) if i % 3 else "", "text": " ".join(sentences)})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def index_batches(tmp_path: Path, *batches: tuple[int, int, int]) -> Path:
    """Index feeds of (first id, count, seed) one after another: a segment each."""
    idx, feed = tmp_path / "idx", tmp_path / "feed.jsonl"
    for start, count, seed in batches:
        write_feed(feed, start, count, seed=seed)
        index_paths(idx, [str(feed)])
    return idx


def remove_every_third(index: Path) -> None:
    """Remove a0, a3, ... a39 in one update (deleted documents, no new segment)."""
    with IndexUpdate(index) as update:
        for i in range(0, 40, 3):
            update.remove(f"a{i}")
        update.commit()


def assert_same_as_whoosh(index: Path) -> None:
    with Searcher(index) as s:
        assert s.reader.bm25 is not None and s.reader.postings is not None
        searcher = s.reader.searcher
        bm25 = BM25(s.reader.postings, searcher)  # per passage
        for text in QUERIES:
            scoring = s.parse(text).scoring
            if bm25.handles(scoring) is None:
                continue
            whoosh = keyword_candidates(searcher, scoring, None)
            numpy_ = keyword_candidates(searcher, scoring, None, bm25=bm25)
            assert set(numpy_) == set(whoosh), text
            assert all(abs(numpy_[d] - whoosh[d]) <= 1e-9 * max(1.0, whoosh[d]) for d in whoosh), text
            top = keyword_candidates(searcher, scoring, 5, bm25=bm25)
            assert sorted(top.values(), reverse=True) == pytest.approx(sorted(whoosh.values(), reverse=True)[:5])
            some = set(list(whoosh)[::2]) | {0}
            assert keyword_candidates(searcher, scoring, None, only=some, bm25=bm25) == pytest.approx({d: whoosh[d] for d in some if d in whoosh})
        reader = searcher.reader()
        lengths = s.reader.postings.lengths
        for d in range(reader.doc_count_all()):
            if not reader.is_deleted(d):
                assert lengths[d] == reader.doc_field_length(d, "text"), d


def pooled_by_hand(s: Searcher, text: str) -> tuple[dict[str, float], dict[str, dict[int, float]]]:
    """Article BM25 of every matching article (its passages as one document), computed from
    Whoosh's own postings and field lengths, and each article's passages' Whoosh scores."""
    searcher = s.reader.searcher
    reader = searcher.reader()
    article_of = {d: searcher.stored_fields(d)["chunk_id"].rsplit("#", 1)[0]
                  for d in range(reader.doc_count_all()) if not reader.is_deleted(d)}
    lengths: dict[str, float] = {}
    for d, a in article_of.items():
        lengths[a] = lengths.get(a, 0.0) + reader.doc_field_length(d, "text")
    avg = sum(lengths.values()) / len(lengths)
    scores: dict[str, float] = {}
    for field, term, boost, _ in flat_terms(s.parse(text).scoring) or []:
        tf: dict[str, float] = {}
        if (field, term) in reader:
            for d, w in reader.postings(field, term).items_as("weight"):
                if d in article_of:
                    tf[article_of[d]] = tf.get(article_of[d], 0.0) + w
        idf = bm25_idf(len(tf), len(lengths))
        for a, f in tf.items():
            scores[a] = scores.get(a, 0.0) + boost * idf * f * 2.2 / (f + 1.2 * (0.25 + 0.75 * lengths[a] / avg))
    passages: dict[str, dict[int, float]] = {}
    for d, score in keyword_candidates(searcher, s.parse(text).scoring, None).items():
        passages.setdefault(article_of[d], {})[d] = score
    return scores, passages


def assert_articles_pooled(index: Path) -> None:
    with Searcher(index) as s:
        bm25 = s.reader.bm25
        assert bm25 is not None and bm25.articles is not None and s.reader.postings is not None
        assert s.reader.postings.articles is not None  # written with the postings, not recomputed
        assert np.array_equal(s.reader.postings.articles, article_numbers(s.reader.store.ids))
        for text in QUERIES:
            scoring = s.parse(text).scoring
            if bm25.handles(scoring) is None:
                continue
            expected, passages = pooled_by_hand(s, text)
            found = keyword_candidates(s.reader.searcher, scoring, None, bm25=bm25)
            got = {s.reader.store.chunk_id(d).rsplit("#", 1)[0]: (d, v) for d, v in found.items()}
            assert len(got) == len(found) and set(got) == set(expected), text
            for article, (d, value) in got.items():
                assert value == pytest.approx(expected[article], rel=1e-9), (text, article)
                best = max(passages[article].values())
                assert passages[article][d] == best, (text, article)  # its best passage stands for it
            top = keyword_candidates(s.reader.searcher, scoring, 3, bm25=bm25)
            assert sorted(top.values(), reverse=True) == pytest.approx(sorted(expected.values(), reverse=True)[:3])
            some = set(list(found)[::2]) | {0, 1}
            by_docnum = keyword_candidates(s.reader.searcher, scoring, None, only=some, bm25=bm25)
            for d in some:
                article = s.reader.store.chunk_id(d).rsplit("#", 1)[0]
                assert by_docnum.get(d) == (pytest.approx(expected[article]) if article in expected else None)


def test_article_numbers_follow_the_passage_ids() -> None:
    ids = np.array([b"a#0", b"a#1", b"", b"b#0", b"x#10#0", b"x#10#1", b"c#0"])
    assert article_numbers(ids).tolist() == [0, 0, -1, 1, 2, 2, 3]


def test_articles_are_scored_as_their_passages_pooled_through_updates(tmp_path: Path) -> None:
    idx = index_batches(tmp_path, (0, 40, 1))
    with Searcher(idx) as s:  # the feed has articles of one, two and three passages
        assert len(s.reader.store.ids) > 50
    assert_articles_pooled(idx)
    index_batches(tmp_path, (30, 25, 2))
    assert_articles_pooled(idx)
    remove_every_third(idx)
    assert_articles_pooled(idx)


def test_flat_terms() -> None:
    a, b = wq.Term("text", "a"), wq.Term("text", "b", boost=2.0)
    assert flat_terms(a) == [QueryTerm("text", "a", 1.0)]
    assert flat_terms(wq.Or([a, wq.Or([b])], boost=0.5)) == [QueryTerm("text", "a", 0.5), QueryTerm("text", "b", 1.0)]
    assert flat_terms(wq.And([a, b])) is None
    assert flat_terms(wq.Phrase("text", ["a", "b"])) is None
    assert flat_terms(wq.Prefix("text", "a")) is None


def test_numpy_bm25_matches_whoosh_through_updates(tmp_path: Path) -> None:
    idx = index_batches(tmp_path, (0, 40, 1))
    assert_same_as_whoosh(idx)
    index_batches(tmp_path, (30, 25, 2))  # a30..a39 change, a40..a54 are new
    assert_same_as_whoosh(idx)
    remove_every_third(idx)
    assert check_index(idx).ok
    assert_same_as_whoosh(idx)


def test_an_index_without_postings_is_searched_by_whoosh_and_gets_them_at_its_next_update(tmp_path: Path) -> None:
    idx = index_batches(tmp_path, (0, 30, 3), (20, 15, 4))  # two segments, some deleted documents
    snap = snapshot_path(idx, read_manifest(idx).snapshot)
    for name in FILES.values():
        (snap / name).unlink()
    with Searcher(idx) as s:
        assert s.reader.bm25 is None and s.search("bank rates", mode="keyword").hits
    index_batches(tmp_path, (33, 5, 5))  # read from Whoosh's postings, then updated
    assert Postings.exists(snapshot_path(idx, read_manifest(idx).snapshot)) and check_index(idx).ok
    assert_same_as_whoosh(idx)


def test_whoosh_or_of_three_clauses_matches_on_several_segments(tmp_path: Path) -> None:
    idx = index_batches(tmp_path, (0, 40, 1), (30, 25, 2))
    with Searcher(idx) as s:
        for text in ("harbour council vote", '"harbour council" vote storm'):
            scoring = s.parse(text).scoring
            found = keyword_candidates(s.reader.searcher, scoring, None)  # Whoosh's own matchers
            assert len(found) == len(set(s.reader.searcher.docs_for_query(scoring))) > 10, text


def test_check_reports_postings_that_do_not_match(tmp_path: Path) -> None:
    idx, feed = tmp_path / "idx", tmp_path / "feed.jsonl"
    write_feed(feed, 0, 10, seed=5)
    index_paths(idx, [str(feed)])
    snap = snapshot_path(idx, read_manifest(idx).snapshot)
    np.save(snap / FILES["lengths"], np.zeros(3, dtype=np.float32))
    assert any("postings" in p for p in check_index(idx).problems)


def test_numpy_bm25_matches_whoosh_through_random_updates(tmp_path: Path) -> None:
    rng = random.Random(11)
    idx, feed = tmp_path / "idx", tmp_path / "feed.jsonl"
    live: set[int] = set()
    for step in range(6):
        if live and rng.random() < 0.4:
            gone = rng.sample(sorted(live), k=min(len(live), rng.randint(1, 6)))
            with IndexUpdate(idx) as update:
                for i in gone:
                    update.remove(f"a{i}")
                update.commit()
            live -= set(gone)
        else:
            start = rng.randint(0, 40)
            write_feed(feed, start, rng.randint(1, 12), seed=100 + step)  # new and changed articles
            index_paths(idx, [str(feed)])
            live |= set(range(start, start + 12))
        assert check_index(idx).ok
        assert_same_as_whoosh(idx)


def test_write_postings_renumbers_in_any_order(tmp_path: Path) -> None:
    from collections import Counter


    from indexer.postings import NewPostings, term_key, write_postings

    def table(postings: Postings, ids: list[str]) -> dict[tuple[str, str], int]:
        names = {term_key(t): t for t in ("x", "y", "z")}
        out = {}
        for i, key in enumerate(np.asarray(postings.terms)):
            for d, f in zip(postings.docs[postings.ptr[i]:postings.ptr[i + 1]], postings.tf[postings.ptr[i]:postings.ptr[i + 1]]):
                out[(names[int(key)], ids[int(d)])] = int(f)
        return out

    first = NewPostings()
    for pid, terms in (("a", {"x": 1, "y": 2}), ("b", {"y": 1}), ("c", {"x": 3, "z": 1})):
        first.add(pid, Counter(terms))
    old = write_postings(tmp_path, ["a", "b", "c"], first, None, None)
    assert table(old, ["a", "b", "c"]) == {("x", "a"): 1, ("y", "a"): 2, ("y", "b"): 1, ("x", "c"): 3, ("z", "c"): 1}
    for doc_ids in (["a", "", "c", "b2", "d"],   # kept in order, new ones appended: the fast path
                    ["c", "d", "a", "", "b2"],   # renumbered out of order (a merge): the sorting path
                    ["c", "b2", "a", "", "d"]):  # ... and the new documents too (b2 written after d)
        more = NewPostings()
        more.add("d", Counter({"z": 2}))
        more.add("b2", Counter({"x": 1}))
        out = tmp_path / str(len(list(tmp_path.iterdir())))
        out.mkdir()
        got = write_postings(out, doc_ids, more, old, np.array([b"a", b"b", b"c"]))
        assert table(got, doc_ids) == {("x", "a"): 1, ("y", "a"): 2, ("x", "c"): 3, ("z", "c"): 1,
                                        ("z", "d"): 2, ("x", "b2"): 1}, doc_ids
        assert list(got.lengths[[doc_ids.index("a"), doc_ids.index("d")]]) == [3, 2]
        assert all((np.diff(got.docs[got.ptr[i]:got.ptr[i + 1]]) > 0).all() for i in range(len(got.terms)))
        assert (np.asarray(got.terms)[1:] > np.asarray(got.terms)[:-1]).all()


def test_fuzzy_words_and_suggestions_come_from_every_segment(tmp_path: Path) -> None:
    from search.keyword import terms_within

    idx, feed = tmp_path / "idx", tmp_path / "feed.jsonl"
    write_feed(feed, 0, 20, seed=1)
    index_paths(idx, [str(feed)])
    feed.write_text(json.dumps({"id": "late", "title": "Lighthouse keepers", "text": "The lighthouse keepers met."}) + "\n",
                    encoding="utf-8")
    index_paths(idx, [str(feed)])  # "lighthouse" lives in the second segment only
    with Searcher(idx) as s:
        reader = s.reader.searcher.reader()
        assert len(reader.leaf_readers()) > 1
        for word, dist in (("lighthuose", 2), ("harbor", 1), ("councel", 1)):
            assert terms_within(reader, "spell_text", word, dist) == set(reader.terms_within("spell_text", word, dist))
        assert "lighthouse" in terms_within(reader, "spell_text", "lighthose", 1)
        assert [h.article_id for h in s.search("lighthose~", mode="keyword").hits] == ["late"]
        assert s.search("lighthose keepers", mode="keyword").suggestion == "lighthouse keepers"


def test_check_reports_article_numbers_that_do_not_match(tmp_path: Path) -> None:
    from indexer.postings import ARTICLES

    idx = index_batches(tmp_path, (0, 12, 3))
    snap = snapshot_path(idx, read_manifest(idx).snapshot)
    assert check_index(idx).ok
    numbers = np.load(snap / ARTICLES)
    np.save(snap / ARTICLES, numbers[::-1].copy())
    report = check_index(idx)
    assert any("number the articles" in p for p in report.problems)


def test_check_finds_an_article_whose_passages_are_not_consecutive() -> None:
    from indexer.check import scattered_article

    assert scattered_article(["a#0", "a#1", "", "b#0", "x#1#0", "x#1#1", "c#0"]) is None
    assert scattered_article(["a#0", "b#0", "a#1"]) == "a"
    assert scattered_article(["a#1", "a#2"]) == "a"
    assert scattered_article(["a#0", "a#2"]) == "a"
    assert scattered_article(["a#0", "a#0"]) == "a"


def test_new_postings_spooled_to_disk_a_block_at_a_time_give_the_same_scores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer.postings import NEW_POSTINGS, NewPostings

    flushed: list[int] = []
    real_flush = NewPostings._flush

    def counting_flush(self: NewPostings) -> None:
        flushed.append(self._buffered)
        real_flush(self)

    monkeypatch.setattr(NewPostings, "BLOCK", 200)
    monkeypatch.setattr(NewPostings, "_flush", counting_flush)
    idx = index_batches(tmp_path, (0, 40, 1), (30, 25, 2))
    assert len([n for n in flushed if n]) > 5 and max(flushed) < 200 + 60  # a block, then a write
    assert_same_as_whoosh(idx)
    assert_articles_pooled(idx)
    assert not list(idx.rglob(f"{NEW_POSTINGS}*"))  # the spool is gone after the commit


def test_conditions_and_excluded_words_agree_with_whoosh(tmp_path: Path) -> None:
    from search.docsets import condition_docs
    from search.keyword import _under_conditions

    idx = index_batches(tmp_path, (0, 40, 1), (30, 25, 2))  # two segments, replaced (deleted) passages
    with Searcher(idx) as s:
        searcher, live = s.reader.searcher, s.reader.store.live
        assert not live.all()
        bm25 = BM25(s.reader.postings, searcher)  # per passage: Whoosh's exact scores
        numpy_scored = 0
        for text in ("bank -rates", "storm -wheat -river", "+harbour vote", "bank AND rates", "NOT storm",
                     "solar (farm OR vote) -bank", 'wheat -"harbour council"', "title:storm -bank",
                     "+harbour +vote storm", "bank AND rates AND storm -wheat"):
            parsed = s.parse(text)
            assert parsed.constraint is not None, text
            # whoosh3's NOT matcher also yields deleted documents: those are left out here
            whoosh_docs = sorted(d for d in searcher.docs_for_query(parsed.constraint) if live[d])
            docs = condition_docs(searcher, parsed.constraint, live, s.reader.postings)
            assert docs.tolist() == whoosh_docs and 0 < len(docs) < live.sum(), text
            expected = {d: v for d, v in keyword_candidates(searcher, parsed.scoring, None, constraint=parsed.constraint).items()
                        if live[d]}
            got = keyword_candidates(searcher, parsed.scoring, None, constraint=parsed.constraint, bm25=bm25,
                                     matching=docs)
            assert got == pytest.approx(expected), text
            numpy_scored += bm25.handles(_under_conditions(parsed.scoring)) is not None
        assert numpy_scored >= 7


def test_term_postings_read_block_by_block_match_whoosh(tmp_path: Path) -> None:
    from search.docsets import condition_docs, term_docs

    idx, feed = tmp_path / "idx", tmp_path / "feed.jsonl"
    for batch in range(2):  # two segments; the second replaces some articles of the first
        rows = [{"id": f"s{i}", "title": f"story {i}", "text": f"Harbour news number {i}. Storm and rain, take {batch}.",
                 "source": ("Daily Post" if i % 3 else "Courier") if batch == 0 else "Courier"}
                for i in range(batch * 200, 600 + batch * 100)]
        feed.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
        index_paths(idx, [str(feed)])
    with Searcher(idx) as s:
        searcher, live = s.reader.searcher, s.reader.store.live
        assert len(list(searcher.leaf_searchers())) == 2 and not live.all()
        for value in ("courier", "daily post", "absent"):
            raw = term_docs(searcher, "source", value)
            assert raw.tolist() == sorted(searcher.reader().postings("source", value).all_ids()) if value != "absent" else not len(raw)
            parsed = s.parse(f'source:"{value}" harbour')
            docs = condition_docs(searcher, parsed.constraint, live)
            assert docs.tolist() == sorted(d for d in searcher.docs_for_query(parsed.constraint) if live[d])
            assert len(docs) > 128 or value == "absent"  # more than one block of postings


def test_a_phrase_is_scored_as_its_words_where_it_occurs(tmp_path: Path) -> None:
    idx = index_batches(tmp_path, (0, 40, 1), (30, 25, 2))
    with Searcher(idx) as s:
        searcher, live = s.reader.searcher, s.reader.store.live
        passages = BM25(s.reader.postings, searcher)
        whoosh_scores = lambda q: keyword_candidates(searcher, q, None)  # noqa: E731
        for text in ('"harbour council"', '"harbour council" vote', '"solar farm" OR "train station" strike'):
            scoring = s.parse(text).scoring
            terms = passages.handles(scoring)
            assert terms is not None, text
            phrases = [q for q in [scoring, *scoring.children()] if isinstance(q, wq.Phrase)]
            plain = [q for q in scoring.children() if type(q) is wq.Term]
            expected: dict[int, float] = {}
            for phrase in phrases:
                where = {d for d in searcher.docs_for_query(phrase) if live[d]}
                assert 0 < len(where) < live.sum(), text
                words = whoosh_scores(wq.Or([wq.Term("text", w) for w in phrase.words]))
                for d in where:
                    expected[d] = expected.get(d, 0.0) + words[d]
            for term in plain:
                for d, v in whoosh_scores(term).items():
                    expected[d] = expected.get(d, 0.0) + v
            got = keyword_candidates(searcher, scoring, None, bm25=passages)
            assert got == pytest.approx(expected), text
            per_article = keyword_candidates(searcher, scoring, None, bm25=s.reader.bm25)
            article = lambda d: s.reader.store.chunk_id(d).rsplit("#", 1)[0]  # noqa: E731
            assert {article(d) for d in per_article} == {article(d) for d in expected}, text


def test_date_conditions_read_from_the_column_match_whoosh(tmp_path: Path) -> None:
    from search.docsets import condition_docs, numeric_column

    idx, feed = tmp_path / "idx", tmp_path / "feed.jsonl"
    for batch in range(2):  # two segments; replaced articles; some undated
        rows = [{"id": f"d{i}", "title": f"report {i}", "text": f"Harbour report {i}, take {batch}.",
                 **({"date": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z"} if i % 7 else {})}
                for i in range(batch * 40, 120 + batch * 30)]
        feed.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
        index_paths(idx, [str(feed)])
    with Searcher(idx) as s:
        searcher, live = s.reader.searcher, s.reader.store.live
        column = s.reader.published
        assert column.tolist() == numeric_column(searcher, "published").tolist()
        assert len(list(searcher.leaf_searchers())) == 2 and not live.all()
        for text in ("harbour date:2024", "harbour date:2024-03", "harbour date:2024-03-03",
                     "harbour date:[2024-02-01 TO 2024-05-01]", "harbour date:[2024-10-01 TO]", "harbour date:2023"):
            constraint = s.parse(text).constraint
            expected = sorted(d for d in searcher.docs_for_query(constraint) if live[d])
            got = condition_docs(searcher, constraint, live, s.reader.postings, lambda: column)
            assert got.tolist() == expected, text
            assert (len(got) > 0) == (text != "harbour date:2023"), text


def assert_vectors_are_their_passages(index: Path, encoder: HashEncoder) -> None:
    with Searcher(index) as s:
        store = s.reader.store
        rows = np.flatnonzero(store.live)
        fields = [s.reader.chunk_fields(int(r)) for r in rows]
        texts = [f"{f['title']}\n{f['body']}" if f.get("title") else f["body"] for f in fields]
        assert np.allclose(np.asarray(store.vectors[rows], dtype=np.float32), encoder.encode(texts), atol=1e-6)
        sentences = s.reader.sentences  # each row's sentence vectors are its own sentences' (int8)
        assert sentences is not None and sentences.documents == len(store.ids)
        for row, f in zip(rows, fields):
            own = encoder.encode([f["body"][a:b] for a, b in sentence_spans(f["body"])])
            start, end = sentences.offsets[row], sentences.offsets[row + 1]
            stored = sentences.rows(np.arange(start, end)).astype(np.float32) * sentences.scales[start:end, None]
            assert stored.shape == own.shape and np.all(np.sum(stored * own, axis=1) > 0.995)


def test_updates_take_both_merge_paths_and_stay_exact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      fake_encoder: HashEncoder) -> None:
    from indexer import postings_merge, vector_store

    taken: list[str] = []
    for name in ("_append", "_renumber"):
        real = getattr(postings_merge, name)
        monkeypatch.setattr(postings_merge, name, lambda *a, _r=real, _n=name: taken.append(_n) or _r(*a))
    from indexer import ragged_store

    real_append = ragged_store._write_appended
    monkeypatch.setattr(ragged_store, "_write_appended",
                        lambda *a: taken.append(a[0].files.prefix + "s") or real_append(*a))
    layouts: list[bool] = []
    real_layout = vector_store.appended_layout
    monkeypatch.setattr(vector_store, "appended_layout", lambda *a: layouts.append(real_layout(*a)) or layouts[-1])
    idx = index_batches(tmp_path, (0, 40, 1))
    for step in range(6):  # small segments get merged by Whoosh now and then
        index_batches(tmp_path, (30 + 7 * step, 9, 10 + step))
        assert_same_as_whoosh(idx)
        assert check_index(idx).ok  # the passage ids kept for unchanged segments are the column's
        assert_vectors_are_their_passages(idx, fake_encoder)
    remove_every_third(idx)
    assert_same_as_whoosh(idx)
    assert_articles_pooled(idx)
    assert check_index(idx).ok
    assert {"_append", "_renumber", "sentences"} <= set(taken), taken  # sentences: appended and rewritten
    assert True in layouts and False in layouts  # vectors: appended without lookups, and by id
    assert_vectors_are_their_passages(idx, fake_encoder)


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 22])
def test_spooled_postings_are_packed_by_term_then_document(block: int) -> None:
    from indexer.postings_merge import pack, pack_spooled

    rng = np.random.default_rng(block)
    vocabulary = np.unique(rng.integers(0, 2**63, 40, dtype=np.uint64))
    sizes = rng.integers(0, 12, 60)  # some documents have no postings
    docs = np.cumsum(rng.integers(1, 4, 60))  # increasing, with gaps
    keys = np.concatenate([rng.choice(vocabulary[:-3], size, replace=False) for size in sizes])  # 3 unused
    tf = rng.integers(1, 9, len(keys)).astype(np.uint16)
    rows = np.repeat(docs, sizes)
    order = np.lexsort((rows, keys))
    expected = pack(keys[order], rows[order], tf[order])
    got = pack_spooled(keys, tf, docs, sizes, vocabulary, block=block)
    assert len(got[0]) == len(expected[0]) < len(vocabulary)
    for a, b in zip(got, expected):
        assert np.array_equal(a, b) and a.dtype == b.dtype
