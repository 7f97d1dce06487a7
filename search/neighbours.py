"""Neighbour support: hits that resemble other good hits move up (pure functions).

Relevant articles resemble each other (the cluster hypothesis): a story is covered by several
articles, a topic by several papers. After fusion, each of the top hits' scores becomes
``(1 - weight) * its own + weight * the mean score of the k hits whose vectors are most similar
to its own`` (itself left out), a form of score regularisation over the hits' similarity graph.
An article that matches the query only moderately but sits among strong hits rises; an isolated
near-miss sinks. Scores stay within the range of the fused scores (0-1 for convex fusion).

The top hit keeps its place. It cannot be its own neighbour while it is everyone else's best
neighbour, so without this rule support would push the single best direct match below hits
that merely resemble it, which costs most where a query has one right answer (squad-a, scifact).

Chosen on scifact, squad-a, cranfield, cisi and med with ``bench/fusion.py`` (see README
"Quality"): k 3, weight 0.25, over the top 100 hits.
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = 3         # k: the most similar hits whose scores support a hit
SUPPORT_WEIGHT = 0.25  # share of a hit's score that comes from its neighbours' mean score
SUPPORT_DEPTH = 100    # how many of the top hits take part


def neighbour_means(scores: np.ndarray, vectors: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """For each item, the mean of ``scores`` over the ``k`` other items most similar to it
    (cosine of the rows of ``vectors``; ties go to the earlier item). Fewer others: all of them."""
    n = len(scores)
    if n < 2 or k < 1:
        return np.zeros(n, dtype=np.float64)
    unit = np.asarray(vectors, dtype=np.float32)
    unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    k = min(k, n - 1)
    nearest = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return np.asarray(scores, dtype=np.float64)[nearest].mean(axis=1)


def with_support(scores: np.ndarray, vectors: np.ndarray, weight: float = SUPPORT_WEIGHT,
                 k: int = NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """Reorder hits given best first: ``(order, new scores)``, both over the input positions.

    Each hit's new score is ``(1 - weight) * score + weight * neighbour mean``
    (:func:`neighbour_means`); ``order`` puts hit 0 first and the rest by new score (ties keep
    their input order). Hit 0's new score is raised, where needed, to the best of the others, so
    scores never rise down the list.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"support weight must be between 0 and 1, not {weight}")
    base = np.asarray(scores, dtype=np.float64)
    if len(base) < 2 or weight == 0:
        return np.arange(len(base)), base.copy()
    new = (1.0 - weight) * base + weight * neighbour_means(base, vectors, k)
    rest = 1 + np.argsort(-new[1:], kind="stable")
    new[0] = max(new[0], float(new[1:].max()))
    return np.concatenate(([0], rest)), new
