"""Typed results of the query side (``--json`` writes their fields)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Candidates:
    """Passage candidates of one query, keyed by keyword document number (= vector row)."""

    mode: str
    keyword: dict[int, float]
    semantic: dict[int, float]
    qvec: np.ndarray | None
    terms: frozenset[str]
    text: str = ""  # the query as typed
    anchored: set[int] = field(default_factory=set)  # passages holding the query's phrases or rare words
    passage: dict[int, float] = field(default_factory=dict)  # passage-vector similarity (before the sentence mix)
    sentence: dict[int, float] = field(default_factory=dict)  # best sentence similarity
    semantic_text: str = ""  # what the semantic side embedded (the query's plain words)
    query_tokens: tuple[np.ndarray, list[str]] | None = None  # its token states and pieces (for the rerank)


@dataclass(frozen=True)
class Hit:
    """One article in a result list (``--json`` writes these keys)."""

    rank: int
    article_id: str
    chunk_id: str
    title: str | None
    url: str | None
    published: str | None
    source: str | None
    score: float
    keyword_score: float | None
    semantic_score: float | None
    snippet: str
    marked_title: str | None = None  # the title with the query's words marked [[like this]]


@dataclass(frozen=True)
class Explanation:
    """Why a hit ranks where it does (``--explain``)."""

    chunk_id: str
    keyword_score: float | None
    keyword_rank: int | None     # rank of the passage among the keyword candidates (1 = best)
    semantic_score: float | None
    semantic_rank: int | None
    score: float
    fusion: str                  # how the score was computed, in words and numbers
    matched_terms: tuple[str, ...]


@dataclass(frozen=True)
class Facets:
    """Counts of matching articles by source and by month (``YYYY-MM``), largest first."""

    articles: int
    sources: list[tuple[str, int]]
    months: list[tuple[str, int]]


@dataclass(frozen=True)
class Results:
    """A page of hits and what else the search found out."""

    hits: list[Hit]
    total: int                   # articles that matched (among the candidates), before paging
    warnings: tuple[str, ...] = ()
    suggestion: str | None = None
    facets: Facets | None = None
    explanations: dict[str, Explanation] = field(default_factory=dict)
