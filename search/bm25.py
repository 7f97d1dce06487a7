"""Vectorised BM25 over the snapshot's numpy postings, for plain keyword queries.

A query that is a word, a prefix (``poly*``, as the words it expands to), a quoted phrase (its
words, where the phrase occurs) or an OR of them over the scored field (what most searches are)
is scored here, term by term with numpy; anything else (words scoped to another field, an AND
nested inside an OR) goes to Whoosh, passage by passage.

Passage scores are exactly Whoosh's BM25F (Lucene's idf, the same k1 and b, Whoosh's document
frequencies, average length and stored field lengths). Given each passage's article
(:func:`article_numbers`), articles are scored instead: an article's passages pooled into one
document (term frequencies and lengths summed; document frequency, count and average length
over articles), as a search engine indexing whole articles would score it, and the article's
best-scoring passage stands for it. An article is what the reader gets, and a long article is
no longer judged by one slice of it (nDCG@10, keyword mode: med +0.014, scifact +0.008; see
README "Search quality").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.postings import Postings, article_numbers, term_key

from .keyword import SEARCH_FIELDS
from .scoring import LuceneBM25F, bm25_idf

__all__ = ["BM25", "QueryTerm", "article_numbers", "flat_terms"]

# A prefix that stands for more words than this is left to Whoosh (its matcher scores each
# match with a constant instead of BM25, and does not pay per word).
MAX_EXPANSION = 1000


class QueryTerm(NamedTuple):
    """A word of a query as BM25 scores it."""

    field: str
    text: str
    boost: float
    within: np.ndarray | None = None  # only in these documents (a phrase's word: where the phrase is)


def flat_terms(query: wq.Query, expand: Callable[[wq.Prefix], list[str] | None] | None = None,
               phrase_docs: Callable[[wq.Phrase], np.ndarray] | None = None) -> list[QueryTerm] | None:
    """The query's words when it is a word or an OR of words (None otherwise).

    With ``expand``, a prefix (``poly*``) counts as the OR of the index's words it expands to
    (``expand`` returns None when it will not expand one). With ``phrase_docs``, a quoted phrase
    counts as its words, each only where the phrase occurs (``phrase_docs``: sorted document
    numbers).
    """
    if isinstance(query, wq.Term) and type(query) is wq.Term:
        text = query.text.decode("utf-8") if isinstance(query.text, bytes) else str(query.text)
        return [QueryTerm(query.fieldname, text, float(query.boost))]
    if type(query) is wq.Prefix and expand is not None:
        words = expand(query)
        return None if words is None else [QueryTerm(query.fieldname, w, float(query.boost)) for w in words]
    if type(query) is wq.Phrase and phrase_docs is not None and query.slop == 1:
        docs = phrase_docs(query)
        words = dict.fromkeys(w.decode("utf-8") if isinstance(w, bytes) else str(w) for w in query.words)
        return [QueryTerm(query.fieldname, w, float(query.boost), docs) for w in words]
    if type(query) is wq.Or and getattr(query, "scale", None) is None:
        out: list[QueryTerm] = []
        for sub in query.subqueries:
            terms = flat_terms(sub, expand, phrase_docs)
            if terms is None:
                return None
            out += [t._replace(boost=t.boost * float(query.boost)) for t in terms]
        return out
    return None


class BM25:
    """Scores plain keyword queries against one snapshot's postings (per article when
    ``articles``, each document's article number, is given; per passage otherwise)."""

    def __init__(self, postings: Postings, searcher: Searcher, articles: np.ndarray | None = None) -> None:
        self.postings = postings
        self.searcher = searcher
        weighting = searcher.weighting
        self.k1 = float(getattr(weighting, "K1", 1.2))
        self.b = float(getattr(weighting, "B", 0.75))
        self.usable = isinstance(weighting, LuceneBM25F) and not weighting.use_final
        self.articles = None if articles is None else np.asarray(articles, dtype=np.int64)
        self._phrases: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}
        self._last_articles: tuple[tuple, tuple[np.ndarray, np.ndarray]] | None = None
        if self.articles is not None:
            live = self.articles >= 0
            self.article_count = int(self.articles.max(initial=-1)) + 1
            lengths = np.bincount(self.articles[live], weights=np.asarray(postings.lengths, dtype=np.float64)[live],
                                  minlength=self.article_count)
            avg = float(lengths.mean()) if self.article_count else 1.0
            self._article_norm = self.k1 * ((1.0 - self.b) + self.b * lengths / (avg or 1.0))

    def handles(self, query: wq.Query) -> list[QueryTerm] | None:
        """The query's terms when this scorer can score it, else None."""
        if not self.usable:
            return None
        terms = flat_terms(query, self._expand, self._phrase_docs)
        if terms is None or any(t.field not in SEARCH_FIELDS for t in terms):
            return None
        return terms

    def holding(self, query: wq.Query) -> np.ndarray | None:
        """Sorted document numbers that hold a word or a quoted phrase of the scored field (None:
        a query of another kind, or a phrase no search has read yet: Whoosh answers that faster)."""
        if type(query) is wq.Term and query.fieldname in SEARCH_FIELDS:
            text = query.text.decode("utf-8") if isinstance(query.text, bytes) else str(query.text)
            return self.postings.lookup(term_key(text))[0]
        if type(query) is wq.Phrase and query.fieldname in SEARCH_FIELDS and query.slop == 1:
            return self._phrases.get((query.fieldname, tuple(query.words)))
        return None

    def _expand(self, prefix: wq.Prefix) -> list[str] | None:
        """The index's words that start with a prefix (None: more than MAX_EXPANSION)."""
        words = []
        for word in self.searcher.reader().expand_prefix(prefix.fieldname, prefix.text):
            words.append(word.decode("utf-8") if isinstance(word, bytes) else str(word))
            if len(words) > MAX_EXPANSION:
                return None
        return words

    def _phrase_docs(self, phrase: wq.Phrase) -> np.ndarray:
        """Where a phrase occurs (Whoosh reads the words' positions; scoring stays here). A hybrid
        search asks several times per query, so the last few answers are kept."""
        key = (phrase.fieldname, tuple(phrase.words))
        docs = self._phrases.pop(key, None)
        if docs is None:
            docs = np.fromiter(self.searcher.docs_for_query(phrase), dtype=np.int64)
            docs.sort()
        self._phrases[key] = docs
        while len(self._phrases) > 32:
            del self._phrases[next(iter(self._phrases))]
        return docs

    def _term_scores(self, terms: list[QueryTerm],
                     chosen: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Per term: the passages holding it and their BM25F scores (only the passages of the
        ``chosen`` articles, a boolean per article number, when given)."""
        searcher, postings = self.searcher, self.postings
        doc_count = searcher.doc_count()
        for field, text, boost, within in terms:
            docs, tf = postings.lookup(term_key(text))
            idf = bm25_idf(searcher.doc_frequency(field, text), doc_count)
            if chosen is not None and self.articles is not None:
                keep = chosen[self.articles[docs]]
                docs, tf = docs[keep], tf[keep]
            if within is not None:
                keep = np.isin(docs, within, assume_unique=True)
                docs, tf = docs[keep], tf[keep]
            if not len(docs):
                continue
            avg = searcher.avg_field_length(field) or 1.0
            tf = tf.astype(np.float64)
            norm = self.k1 * ((1.0 - self.b) + self.b * postings.lengths[docs].astype(np.float64) / avg)
            yield docs, (boost * idf) * (tf * (self.k1 + 1.0)) / (tf + norm)

    def _article_term_scores(self, terms: list[QueryTerm],
                             mask: np.ndarray | None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Per term: the articles holding it (in ``mask``'s passages) and their pooled scores."""
        assert self.articles is not None
        count, norm = self.article_count, self._article_norm
        for _, text, boost, within in terms:
            docs, tf = self.postings.lookup(term_key(text))
            if not len(docs):
                continue
            arts = self.articles[docs]
            tf = tf.astype(np.float64)
            pooled = np.bincount(arts, weights=tf, minlength=count)
            idf = bm25_idf(int(np.count_nonzero(pooled)), count)
            keep = None
            if within is not None:  # a phrase's word counts only in the passages that hold the phrase
                keep = np.isin(docs, within, assume_unique=True)
            if mask is not None:
                keep = mask[docs] if keep is None else keep & mask[docs]
            if keep is not None:
                pooled = np.bincount(arts[keep], weights=tf[keep], minlength=count)
            held = np.flatnonzero(pooled)
            ptf = pooled[held]
            yield held, (boost * idf) * (ptf * (self.k1 + 1.0)) / (ptf + norm[held])

    def _article_scores(self, terms: list[QueryTerm], mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Every article's score and whether it matches; a hybrid search asks twice per query
        (its candidates, then the semantic side's), so the last unmasked answer is kept."""
        key = tuple((t.field, t.text, t.boost, None if t.within is None else id(t.within)) for t in terms)
        if mask is None and self._last_articles is not None and self._last_articles[0] == key:
            return self._last_articles[1]
        result = self._sum(self._article_term_scores(terms, mask), self.article_count)
        if mask is None:
            self._last_articles = (key, result)
        return result

    def _sum(self, runs: Iterator[tuple[np.ndarray, np.ndarray]], size: int) -> tuple[np.ndarray, np.ndarray]:
        scores = np.zeros(size, dtype=np.float64)
        matched = np.zeros(size, dtype=bool)
        for ids, values in runs:
            scores[ids] += values  # a term's ids are distinct
            matched[ids] = True
        return scores, matched

    def _mask(self, allowed: set[int] | np.ndarray | None) -> np.ndarray | None:
        if allowed is None:
            return None
        docs = allowed if isinstance(allowed, np.ndarray) else np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        docs = np.asarray(docs, dtype=np.int64)
        mask = np.zeros(len(self.postings), dtype=bool)
        mask[docs[(docs >= 0) & (docs < len(mask))]] = True
        return mask

    def top(self, terms: list[QueryTerm], limit: int | None,
            allowed: set[int] | np.ndarray | None = None) -> dict[int, float]:
        """``{document number: score}`` of the best ``limit`` matches (all: None), among the
        ``allowed`` documents; per article, each article is keyed by its best passage."""
        mask = self._mask(allowed)
        if self.articles is not None:
            return self._best_articles(terms, limit, mask)
        scores, matched = self._sum(self._term_scores(terms), len(self.postings))
        if mask is not None:
            matched &= mask
        hits = np.flatnonzero(matched)
        if limit is not None and len(hits) > limit:
            hits = hits[np.argpartition(-scores[hits], limit - 1)[:limit]]
        return {int(d): float(scores[d]) for d in hits}

    def _best_articles(self, terms: list[QueryTerm], limit: int | None, mask: np.ndarray | None) -> dict[int, float]:
        """The best ``limit`` articles, each keyed by its best-scoring passage (passage scores are
        computed for those articles only)."""
        assert self.articles is not None
        scores, matched = self._article_scores(terms, mask)
        hits = np.flatnonzero(matched)
        if limit is not None and len(hits) > limit:
            hits = hits[np.argpartition(-scores[hits], limit - 1)[:limit]]
        chosen = np.zeros(self.article_count, dtype=bool)
        chosen[hits] = True
        passage_scores, passage_matched = self._sum(self._term_scores(terms, chosen), len(self.postings))
        if mask is not None:
            passage_matched &= mask
        docs = np.flatnonzero(passage_matched)
        order = np.lexsort((docs, -passage_scores[docs], self.articles[docs]))  # per article: best, then first
        docs = docs[order]
        arts = self.articles[docs]
        best = docs[np.r_[True, arts[1:] != arts[:-1]]] if len(docs) else docs
        return {int(d): float(scores[self.articles[d]]) for d in best}

    def scores_of(self, terms: list[QueryTerm], docnums: set[int]) -> dict[int, float]:
        """``{document number: score}`` of the given documents that match (per article: whose
        article matches, each with its article's score)."""
        wanted = np.array(sorted(docnums), dtype=np.int64)
        wanted = wanted[(wanted >= 0) & (wanted < len(self.postings))]
        if not len(wanted):
            return {}
        if self.articles is not None:
            scores, matched = self._article_scores(terms, None)
            arts = self.articles[wanted]
            ok = arts >= 0
            wanted, arts = wanted[ok], arts[ok]
            return {int(d): float(scores[a]) for d, a in zip(wanted, arts) if matched[a]}
        total = np.zeros(len(wanted), dtype=np.float64)
        hit_any = np.zeros(len(wanted), dtype=bool)
        for docs, values in self._term_scores(terms):
            pos = np.minimum(np.searchsorted(docs, wanted), len(docs) - 1)
            hit = docs[pos] == wanted
            total[hit] += values[pos[hit]]
            hit_any |= hit
        return {int(d): float(s) for d, s, m in zip(wanted, total, hit_any) if m}
