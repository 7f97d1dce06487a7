"""Facets: how many matching articles each source and each month has."""

from __future__ import annotations

from collections import Counter

import numpy as np
from whoosh import query as wq

from .docsets import condition_docs
from .query import ParsedQuery
from .reader import IndexReader
from .results import Candidates, Facets

TOP = 20  # values listed per facet
_UNDATED = np.iinfo(np.uint64).max  # the published column of a document without a date
# Whoosh stores a date as microseconds since 0001-01-01; numpy counts them from 1970-01-01.
_EPOCH_US = int((np.datetime64("1970-01-01", "us") - np.datetime64("0001-01-01", "us")).astype(np.int64))


def count_facets(reader: IndexReader, parsed: ParsedQuery, found: Candidates,
                 ranked: list[tuple[str, tuple[float, int]]]) -> Facets:
    """Counts over every article matching the query: in keyword and hybrid mode all articles with a
    keyword match (within the query's conditions); in semantic mode, the ranked candidates (meaning
    has no yes/no match). An article counts once, under the source and publication month (UTC, as
    date filters read it) of its first matching passage."""
    if found.mode == "semantic":
        docs = np.asarray(sorted(d for _, (_, d) in ranked), dtype=np.int64)
    elif parsed.scoring is not wq.NullQuery:
        query = parsed.scoring if parsed.constraint is None else wq.And([parsed.scoring, parsed.constraint])
        docs = _one_per_article(reader, condition_docs(reader.searcher, query, reader.store.live,
                                                       reader.postings, lambda: reader.published))
    else:
        docs = np.zeros(0, dtype=np.int64)
    return Facets(len(docs), _sources(reader, docs).most_common(TOP),
                  sorted(_months(reader.published[docs]).items(), reverse=True)[:TOP])


def _one_per_article(reader: IndexReader, docs: np.ndarray) -> np.ndarray:
    """The first of each article's documents among ``docs`` (sorted)."""
    articles = reader.article_numbers
    if articles is not None:
        return docs[np.unique(articles[docs], return_index=True)[1]]
    best: dict[str, int] = {}
    for docnum in docs.tolist():
        best.setdefault(reader.store.chunk_id(docnum).rsplit("#", 1)[0], docnum)
    return np.asarray(sorted(best.values()), dtype=np.int64)


def _sources(reader: IndexReader, docs: np.ndarray) -> Counter[str]:
    codes, names = reader.sources
    picked = codes[docs]
    counts: Counter[str] = Counter()
    for code, n in zip(*np.unique(picked[picked >= 0], return_counts=True)):
        counts[names[code] or "(unknown)"] += int(n)
    counts["(unknown)"] += int(np.count_nonzero(picked == -1))
    for docnum in docs[picked == -2].tolist():  # several source terms: the stored name
        counts[reader.chunk_fields(docnum).get("source") or "(unknown)"] += 1
    return +counts


def _months(published: np.ndarray) -> Counter[str]:
    dated = published[published != _UNDATED].astype(np.int64) - _EPOCH_US
    labels, counts = np.unique(dated.astype("datetime64[us]").astype("datetime64[M]"), return_counts=True)
    out = Counter({str(label): int(n) for label, n in zip(labels, counts)})
    out["(undated)"] += len(published) - len(dated)
    return +out
