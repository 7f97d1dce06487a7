"""The documents that meet a query's conditions, as a sorted numpy array of document numbers.

Whoosh answers a condition by walking its matchers in Python, one document at a time: excluding
a word (``-word``) visits every document of the index, and a broad filter (``source:reuters``)
every document it keeps, before the set is built. Here the scored field's words come from the
numpy postings, AND/OR/NOT are array operations, and only the other conditions (dates, sources,
authors, phrases...) are asked of Whoosh, whose matches arrive in one ``numpy.fromiter``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.postings import Postings, term_key

from .keyword import SEARCH_FIELDS


def condition_docs(searcher: Searcher, query: wq.Query, live: np.ndarray,
                   postings: Postings | None = None,
                   published: Callable[[], np.ndarray] | None = None) -> np.ndarray:
    """Sorted document numbers (int64) of the live documents that match ``query``.

    ``live``: a boolean per document number (False: deleted); ``postings``: the snapshot's
    numpy postings, for words of the scored field (None: Whoosh answers those too);
    ``published``: gives the ``published`` column (:func:`numeric_column`), for date ranges.
    """
    recurse = lambda q: condition_docs(searcher, q, live, postings, published)  # noqa: E731
    if isinstance(query, wq.And):
        positive = [q for q in query.subqueries if not isinstance(q, wq.Not)]
        negative = [q.query for q in query.subqueries if isinstance(q, wq.Not)]
        docs = (recurse(positive[0]) if positive
                else np.flatnonzero(live).astype(np.int64))
        for sub in positive[1:]:
            if not len(docs):
                break
            docs = np.intersect1d(docs, recurse(sub), assume_unique=True)
        for sub in negative:
            if not len(docs):
                break
            docs = np.setdiff1d(docs, recurse(sub), assume_unique=True)
        return docs
    if isinstance(query, wq.Or):
        parts = [recurse(sub) for sub in query.subqueries]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    if isinstance(query, wq.Not):
        return np.setdiff1d(np.flatnonzero(live).astype(np.int64),
                            recurse(query.query), assume_unique=True)
    if isinstance(query, wq.Every) and not query.fieldname:
        return np.flatnonzero(live).astype(np.int64)
    if type(query) is wq.Term and query.fieldname in SEARCH_FIELDS and postings is not None:
        text = query.text.decode("utf-8") if isinstance(query.text, bytes) else str(query.text)
        return np.asarray(postings.lookup(term_key(text))[0], dtype=np.int64)
    if isinstance(query, wq.NumericRange) and query.fieldname == "published" and published is not None:
        return _in_range(published(), query, live)
    if type(query) is wq.Term:  # source:, author:, url: ... read a block of postings at a time
        docs = term_docs(searcher, query.fieldname, query.text)
        return docs[live[docs]]
    docs = np.fromiter(searcher.docs_for_query(query), dtype=np.int64)
    docs.sort()
    return docs


def term_docs(searcher: Searcher, fieldname: str, text: str | bytes) -> np.ndarray:
    """Sorted document numbers of a term's postings (deleted documents included), read a block
    (up to 128 postings) at a time from whoosh3's leaf matchers, not one posting per Python call."""
    parts = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        if (fieldname, text) not in reader:
            continue
        matcher = reader.postings(fieldname, text)
        if not hasattr(matcher, "_read_ids") or not hasattr(matcher, "_next_block"):  # not a whoosh3 leaf
            parts.append(np.fromiter(matcher.all_ids(), dtype=np.int64) + offset)
            continue
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            parts.append(np.asarray(matcher._ids[matcher._i:], dtype=np.int64) + offset)
            matcher._next_block()
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _in_range(values: np.ndarray, query: wq.NumericRange, live: np.ndarray) -> np.ndarray:
    """Documents whose column value is in the range (Whoosh's own range query walks a term per
    value band: 1.3 s for one month at 91k passages). Documents without a value (the column's
    default, the largest uint64) never match, as they hold no term in Whoosh either."""
    keep = live[:len(values)] & (values != np.iinfo(np.uint64).max)
    if query.start is not None:
        start = np.uint64(query.start)
        keep &= values > start if query.startexcl else values >= start
    if query.end is not None:
        end = np.uint64(query.end)
        keep &= values < end if query.endexcl else values <= end
    return np.flatnonzero(keep).astype(np.int64)


def numeric_column(searcher: Searcher, fieldname: str) -> np.ndarray:
    """A sortable numeric column (uint64, e.g. ``published``) of every document, read segment by
    segment as one big-endian array instead of one Python call per document."""
    parts = []
    for sub, _ in searcher.leaf_searchers():
        reader = sub.reader()
        size = reader.doc_count_all()
        column = reader.column_reader(fieldname, translate=False)
        raw = getattr(column, "_dbfile", None)
        if raw is None or getattr(column, "_typecode", "") != "Q" or not hasattr(raw, "get"):
            values = np.fromiter((column[d] for d in range(size)), dtype=np.uint64, count=size)
        else:
            values = np.full(size, column._default, dtype=np.uint64)
            stored = np.frombuffer(raw.get(column._basepos, column._count * 8), dtype=">u8")
            values[:len(stored)] = stored
        parts.append(values)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)


def term_codes(searcher: Searcher, fieldname: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The term each document holds in a field with few distinct terms (``source``), as numbers:
    ``(code per document, first document of each code)``. Codes index the field's terms in order;
    -1: no term, -2: several (e.g. a comma-separated source), left for the caller to look up."""
    codes = np.full(size, -1, dtype=np.int32)
    firsts = []
    for code, text in enumerate(searcher.reader().lexicon(fieldname)):
        docs = term_docs(searcher, fieldname, text)
        docs = docs[docs < size]
        taken = codes[docs] != -1
        codes[docs[taken]] = -2
        codes[docs[~taken]] = code
        firsts.append(docs[0] if len(docs) else 0)
    return codes, np.asarray(firsts, dtype=np.int64)
