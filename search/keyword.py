"""Keyword candidates scored by Whoosh BM25F, and how the keyword side reads a question."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

if TYPE_CHECKING:
    from .bm25 import BM25

SEARCH_FIELDS = ("text",)  # headline and passage (see indexer.analysis.chunk_schema)
TERM_FIELDS = ("text", "title")  # query terms in these fields are highlighted
# A "?" that ends a word (or a closing bracket or quote) is a question mark, not a one-letter
# wildcard ("who won?", "what is (MEDLARS)?"); one alone between spaces is punctuation too.
_QUESTION_MARK = re.compile(r"(?:(?<=[\w)\]\"'])|(?<![^\s(]))\?+(?=[\s\"')\]]|$)")
# In a question, interrogatives name no topic: "who", "what"... are left to the semantic side
# (+0.006 nDCG@10 keyword, +0.002 hybrid on 1,500 squad-a questions).
INTERROGATIVES = frozenset("who whom whose what which when where why how".split())
_INTERROGATIVE = re.compile(r"\b(?:" + "|".join(sorted(INTERROGATIVES)) + r")\b", re.I)


def is_question(text: str) -> bool:
    """A natural-language question: ends with "?" or opens with an interrogative word."""
    words = text.strip().split()
    return bool(words) and (text.strip().endswith("?") or words[0].lower().strip("\"'(") in INTERROGATIVES)


def keyword_text(text: str) -> str:
    """The query as the keyword side reads it: question marks and, in questions, interrogatives
    removed (never inside a quoted phrase)."""
    question = is_question(text)
    parts = text.split('"')
    for i in range(0, len(parts), 2):  # outside quotes
        parts[i] = _QUESTION_MARK.sub(" ", parts[i])
        if question:
            parts[i] = _INTERROGATIVE.sub(" ", parts[i])
    return '"'.join(parts)


def keyword_candidates(searcher: Searcher, query: wq.Query, limit: int | None, *, only: set[int] | None = None,
                       constraint: wq.Query | None = None, newest_first: bool | None = None,
                       bm25: BM25 | None = None, matching: np.ndarray | None = None) -> dict[int, float]:
    """``{document number: BM25 score}`` of the best ``limit`` passages (``None``: all of them);
    a plain query scored by ``bm25`` per article gives each article's score to its best passage.

    ``only`` restricts them to some documents, ``constraint`` to those matching a query;
    ``newest_first`` (True/False) takes them in date order instead of by score. With ``bm25``
    (the snapshot's numpy postings), a plain query is scored there.
    ``matching``: the documents that meet ``constraint`` (sorted), when the caller has them already.
    """
    if query is wq.NullQuery:
        return {}
    terms = None
    if bm25 is not None and newest_first is None:
        within = constraint is not None or only is not None
        terms = bm25.handles(_under_conditions(query) if within else query)
    if only is not None and constraint is None and newest_first is None:
        return bm25.scores_of(terms, only) if bm25 is not None and terms is not None else scores_of(searcher, query, only)
    allowed: set[int] | np.ndarray | None = only
    if constraint is not None:
        if matching is None:
            matching = np.sort(np.fromiter(searcher.docs_for_query(constraint), dtype=np.int64))
        allowed = matching if only is None else np.intersect1d(np.fromiter(only, dtype=np.int64), matching)
    if bm25 is not None and terms is not None:
        return bm25.top(terms, limit, allowed)
    options = {} if newest_first is None else {"sortedby": "published", "reverse": newest_first}
    if isinstance(allowed, np.ndarray):
        allowed = set(allowed.tolist())
    results = searcher.search(query, limit=limit, filter=allowed, terms=False, **options)
    return {hit.docnum: float(hit.score) if hit.score is not None else 0.0 for hit in results}


def _under_conditions(query: wq.Query) -> wq.Query:
    """What the scored query adds up once search.query's conditions (which it puts there) hold:
    ``a -b`` (a ANDNOT b) scores as a, ``+a b`` (a ANDMAYBE b) and ``a AND b`` as a OR b. Used only
    for documents that meet the conditions (the ``only`` documents are taken from within them)."""
    if isinstance(query, wq.AndNot):
        return _under_conditions(query.a)
    if isinstance(query, wq.AndMaybe):
        return wq.Or([query.a, query.b])
    if type(query) is wq.And:
        return wq.Or(list(query.subqueries), boost=query.boost)
    return query


def scores_of(searcher: Searcher, query: wq.Query, docnums: set[int]) -> dict[int, float]:
    """``{document number: BM25F score}`` of the given documents that match ``query``.

    The query's matcher skips straight to each document, so scoring the semantic side's
    candidates costs a few posting-list seeks, not a pass over every match of the query.
    """
    wanted = sorted(docnums)
    if not wanted:
        return {}
    weighting = searcher.weighting
    context = searcher.context()
    scores: dict[int, float] = {}
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.doc_count_all()
        local = [d - offset for d in wanted if offset <= d < end]
        if not local:
            continue
        matcher = query.matcher(sub, context)
        reader = sub.reader()
        for doc in local:
            if not matcher.is_active():
                break
            if matcher.id() < doc:
                matcher.skip_to(doc)
                if not matcher.is_active():
                    break
            if matcher.id() == doc and not reader.is_deleted(doc):
                score = matcher.score()
                if weighting.use_final:
                    score = weighting.final(sub, doc, score)
                scores[doc + offset] = float(score)
    return scores


def terms_within(reader: IndexReader, fieldname: str, text: str, maxdist: int, prefix: int = 0) -> set[str]:
    """The index's words within ``maxdist`` edits of ``text``, segment by segment.

    A single segment walks its term dictionary with a Levenshtein automaton (~50 ms at 91k
    passages); Whoosh's reader over several segments instead computes the distance to every
    word in Python (8 s at 91k passages, 411k words), so each segment is asked on its own.
    """
    return {word for sub, _ in reader.leaf_readers()
            for word in sub.terms_within(fieldname, text, maxdist, prefix=prefix)}
