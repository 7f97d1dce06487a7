"""Vectorised BM25 over the snapshot's numpy postings, for plain keyword queries.

A query that is a word or an OR of words over the scored field (what most searches are) is
scored here, term by term with numpy, exactly as Whoosh's BM25F would score it (Lucene's idf,
the same k1 and b, Whoosh's document frequencies, average length and stored field lengths);
anything else (phrases, prefixes, AND/NOT, conditions on other fields) goes to Whoosh.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.postings import Postings, term_key

from .keyword import SEARCH_FIELDS
from .scoring import LuceneBM25F, bm25_idf


def flat_terms(query: wq.Query) -> list[tuple[str, str, float]] | None:
    """``[(field, term, boost)]`` when ``query`` is a term or an OR of terms (None otherwise)."""
    if isinstance(query, wq.Term) and type(query) is wq.Term:
        text = query.text.decode("utf-8") if isinstance(query.text, bytes) else str(query.text)
        return [(query.fieldname, text, float(query.boost))]
    if type(query) is wq.Or and getattr(query, "scale", None) is None:
        out: list[tuple[str, str, float]] = []
        for sub in query.subqueries:
            terms = flat_terms(sub)
            if terms is None:
                return None
            out += [(f, t, b * float(query.boost)) for f, t, b in terms]
        return out
    return None


class BM25:
    """Scores plain keyword queries against one snapshot's postings."""

    def __init__(self, postings: Postings, searcher: Searcher) -> None:
        self.postings = postings
        self.searcher = searcher
        weighting = searcher.weighting
        self.k1 = float(getattr(weighting, "K1", 1.2))
        self.b = float(getattr(weighting, "B", 0.75))
        self.usable = isinstance(weighting, LuceneBM25F) and not weighting.use_final

    def handles(self, query: wq.Query) -> list[tuple[str, str, float]] | None:
        """The query's terms when this scorer can score it, else None."""
        if not self.usable:
            return None
        terms = flat_terms(query)
        if terms is None or any(field not in SEARCH_FIELDS for field, _, _ in terms):
            return None
        return terms

    def _term_scores(self, terms: list[tuple[str, str, float]]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        searcher, postings = self.searcher, self.postings
        doc_count = searcher.doc_count()
        for field, text, boost in terms:
            docs, tf = postings.lookup(term_key(text))
            if not len(docs):
                continue
            idf = bm25_idf(searcher.doc_frequency(field, text), doc_count)
            avg = searcher.avg_field_length(field) or 1.0
            tf = tf.astype(np.float64)
            norm = self.k1 * ((1.0 - self.b) + self.b * postings.lengths[docs].astype(np.float64) / avg)
            yield docs, (boost * idf) * (tf * (self.k1 + 1.0)) / (tf + norm)

    def top(self, terms: list[tuple[str, str, float]], limit: int | None,
            allowed: set[int] | None = None) -> dict[int, float]:
        """``{document number: score}`` of the best ``limit`` matching documents (all: None)."""
        scores = np.zeros(len(self.postings), dtype=np.float64)
        matched = np.zeros(len(self.postings), dtype=bool)
        for docs, values in self._term_scores(terms):
            scores[docs] += values  # a term's documents are distinct
            matched[docs] = True
        if allowed is not None:
            mask = np.zeros(len(scores), dtype=bool)
            wanted = np.fromiter((d for d in allowed if 0 <= d < len(scores)), dtype=np.int64)
            mask[wanted] = True
            matched &= mask
        hits = np.flatnonzero(matched)
        if limit is not None and len(hits) > limit:
            part = np.argpartition(-scores[hits], limit - 1)[:limit]
            hits = hits[part]
        return {int(d): float(scores[d]) for d in hits}

    def scores_of(self, terms: list[tuple[str, str, float]], docnums: set[int]) -> dict[int, float]:
        """``{document number: score}`` of the given documents that match."""
        wanted = np.array(sorted(docnums), dtype=np.int64)
        if not len(wanted):
            return {}
        total = np.zeros(len(wanted), dtype=np.float64)
        matched = np.zeros(len(wanted), dtype=bool)
        for docs, values in self._term_scores(terms):
            pos = np.minimum(np.searchsorted(docs, wanted), len(docs) - 1)
            hit = docs[pos] == wanted
            total[hit] += values[pos[hit]]
            matched |= hit
        return {int(d): float(s) for d, s, m in zip(wanted, total, matched) if m}
