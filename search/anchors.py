"""Anchors: what a hybrid hit must contain to be safe from semantic-only hits above it.

A quoted phrase and the rare words of a query (names, codes, unusual terms) say what the user
is looking for more exactly than any embedding: an article that holds every one of them is never
outranked by an article that holds none of the query's words (a hit found by meaning only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from .keyword import SEARCH_FIELDS, scores_of

if TYPE_CHECKING:
    from .bm25 import BM25

# A word in at most this share of the passages is rare (0.5 %: in 100,000 passages, 500 or fewer).
RARE_SHARE = 0.005
RARE_MIN = 3  # in a small index a word in this many passages or fewer still counts as rare


def _positive(query: wq.Query) -> list[wq.Query]:
    """The leaves of a query that add to a match (negated parts left out)."""
    if isinstance(query, wq.Not):
        return []
    if isinstance(query, wq.AndNot):
        return _positive(query.a)
    if isinstance(query, (wq.Phrase, wq.Term)):
        return [query]
    if isinstance(query, wq.compound.CompoundQuery):
        return [leaf for sub in query.subqueries for leaf in _positive(sub)]
    return []


def anchor_query(searcher: Searcher, scoring: wq.Query) -> wq.Query | None:
    """Every quoted phrase of the scoring query, or every rare word of it (None: no anchor).

    Words absent from the index are left out (a typo must not void the guarantee for the rest).
    """
    leaves = _positive(scoring)
    phrases = [q for q in leaves if isinstance(q, wq.Phrase) and q.fieldname in SEARCH_FIELDS]
    limit = max(RARE_MIN, RARE_SHARE * searcher.doc_count())
    rare = []
    for q in leaves:
        if isinstance(q, wq.Term) and q.fieldname in SEARCH_FIELDS:
            df = searcher.doc_frequency(q.fieldname, q.text)
            if 0 < df <= limit:
                rare.append(wq.Term(q.fieldname, q.text))
    rare = list({(t.fieldname, t.text): t for t in rare}.values())
    groups = [group[0] if len(group) == 1 else wq.And(group) for group in (phrases, rare) if group]
    if not groups:
        return None
    return groups[0] if len(groups) == 1 else wq.Or(groups)


def anchored_docs(searcher: Searcher, scoring: wq.Query, candidates: set[int],
                  bm25: BM25 | None = None) -> set[int]:
    """The candidate passages that hold every anchor of the query.

    With ``bm25``, the words' postings and the phrases the keyword search has just located
    answer it with set operations; otherwise (or for an anchor they cannot read) Whoosh skips to
    each candidate in turn.
    """
    query = anchor_query(searcher, scoring)
    if query is None or not candidates:
        return set()
    if bm25 is not None:
        held = _held(query, np.array(sorted(candidates), dtype=np.int64), bm25)
        if held is not None:
            return held
    return set(scores_of(searcher, query, candidates))  # skips to each candidate, not every match


def _held(query: wq.Query, wanted: np.ndarray, bm25: BM25) -> set[int] | None:
    """``wanted`` documents holding every phrase or every rare word (None: a leaf bm25 cannot read)."""
    held = np.zeros(len(wanted), dtype=bool)
    for group in query.subqueries if type(query) is wq.Or else [query]:
        every = np.ones(len(wanted), dtype=bool)
        for leaf in group.subqueries if type(group) is wq.And else [group]:
            docs = bm25.holding(leaf)
            if docs is None:
                return None
            every &= np.isin(wanted, docs)
        held |= every
    return {int(d) for d in wanted[held]}
