"""Score fusion: pure functions over ``{id: score}`` runs. Ties are broken by id.

Ids are anything hashable and orderable: passage ids, or keyword document numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)
G = TypeVar("G", bound=Hashable)

RRF_K = 60
# Weight of the semantic run in the convex combination. Against 0.5, 0.6 gained nDCG@10 on
# scifact, med, cisi, cranfield and adi (+0.003 to +0.019) and was level on squad-a (-0.0002);
# the same value serves every collection (bench/fusion.py).
DEFAULT_WEIGHT = 0.6


# Share of a passage's semantic score that comes from its best sentence (the rest: the passage
# vector). Chosen on scifact, squad-a, cranfield, cisi and med with bench/fusion.py: with
# neighbour support, each collection left out in turn gets 0.6 from the other four (before it,
# 0.5 or 0.6); against no sentence share, 0.6 raises hybrid nDCG@10 on four of five (cranfield
# -0.001) and semantic nDCG@10 on three (cranfield -0.001, cisi -0.0001).
SENTENCE_WEIGHT = 0.6


def with_sentences(passage: Mapping[K, float], sentence: Mapping[K, float],
                   weight: float = SENTENCE_WEIGHT) -> dict[K, float]:
    """``(1 - weight) * passage + weight * best sentence`` similarity; a passage without
    sentence vectors keeps its passage similarity."""
    return {i: (1.0 - weight) * s + weight * sentence.get(i, s) for i, s in passage.items()}


def ranked(scores: Mapping[K, float]) -> list[K]:
    """Ids by descending score, ties broken by ascending id."""
    return sorted(scores, key=lambda i: (-scores[i], i))  # type: ignore[no-any-return]


def minmax(scores: Mapping[K, float]) -> dict[K, float]:
    """Scale scores to [0, 1]; a run whose scores are all equal maps to 1.0."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high <= low:
        return {i: 1.0 for i in scores}
    span = high - low
    return {i: (s - low) / span for i, s in scores.items()}


def rrf(runs: Sequence[Mapping[K, float]], k: int = RRF_K) -> dict[K, float]:
    """Reciprocal rank fusion: ``sum(1 / (k + rank))`` over the runs an id appears in (rank from 1)."""
    fused: dict[Any, float] = {}
    for run in runs:
        for rank, doc in enumerate(ranked(run), start=1):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + rank)
    return fused


def convex(keyword: Mapping[K, float], semantic: Mapping[K, float],
           weight: float = DEFAULT_WEIGHT) -> dict[K, float]:
    """``(1 - weight) * minmax(keyword) + weight * minmax(semantic)`` over the union of ids.

    An id missing from a run has raw score 0 there, before normalisation: for BM25 that is the
    exact score of a document matching no query term, so a document that matches one term is
    not scored as if it matched none.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be between 0 and 1, not {weight}")
    ids = set(keyword) | set(semantic)
    kw = minmax({i: keyword.get(i, 0.0) for i in ids})
    sem = minmax({i: semantic.get(i, 0.0) for i in ids})
    return {i: (1.0 - weight) * kw[i] + weight * sem[i] for i in ids}


def collapse(scores: Mapping[K, float], group_of: Callable[[K], G]) -> dict[G, tuple[float, K]]:
    """Group item scores (chunks) by ``group_of`` (their article): each group keeps its best item.

    Returns ``{group: (best score, best item)}``; ties between items go to the smaller id.
    """
    best: dict[G, tuple[float, K]] = {}
    for item in ranked(scores):
        group = group_of(item)
        if group not in best:
            best[group] = (scores[item], item)
    return best


def anchors_first(order: Sequence[G], anchored: set[G], unmatched: set[G]) -> list[G]:
    """Reorder so that no ``unmatched`` item (a semantic-only hit) stays above an ``anchored`` one.

    Unmatched items that rank above the last anchored item move to just below it, keeping their
    order; everything else keeps its place relative to the rest.
    """
    last = max((n for n, item in enumerate(order) if item in anchored), default=-1)
    demoted = unmatched - anchored
    if last < 0 or not demoted:
        return list(order)
    head = [item for item in order[:last + 1] if item not in demoted]
    moved = [item for item in order[:last + 1] if item in demoted]
    return head + moved + list(order[last + 1:])
