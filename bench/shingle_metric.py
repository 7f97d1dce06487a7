"""Word 4-gram shingle metric of the article-extraction benchmark (see news-html/METRIC.md).

Pure functions only: tokenise, shingle, per-page (tp, fp, fn) and the macro aggregate.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

TOKEN_RE = re.compile(r"\w+")
N = 4


@dataclass(frozen=True)
class Scores:
    """Aggregate scores over a set of pages."""

    f1: float
    precision: float
    recall: float
    accuracy: float
    pages: int
    empty_predictions: int


def tokens(text: str | None) -> list[str]:
    """Maximal runs of Unicode word characters, case preserved."""
    return TOKEN_RE.findall(text or "")


def shingles(text: str | None, n: int = N) -> Counter[tuple[str, ...]]:
    """Multiset of word n-grams; a text shorter than n has one shingle (all its tokens)."""
    toks = tokens(text)
    if not toks:
        return Counter()
    if len(toks) < n:
        return Counter([tuple(toks)])
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def page_counts(truth: str | None, pred: str | None) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of one page; (0, 0, 0) when neither text has a shingle."""
    t, p = shingles(truth), shingles(pred)
    tp = fp = fn = 0
    for s in t.keys() | p.keys():
        tc, pc = t[s], p[s]
        tp += min(tc, pc)
        fp += max(0, pc - tc)
        fn += max(0, tc - pc)
    total = tp + fp + fn
    if total == 0:
        return (0.0, 0.0, 0.0)
    return (tp / total, fp / total, fn / total)


def aggregate(rows: Sequence[tuple[float, float, float]]) -> tuple[float, float, float]:
    """(F1, P, R): P and R are macro means over pages with predicted / true shingles."""
    ps = [tp / (tp + fp) for tp, fp, _ in rows if tp + fp > 0]
    rs = [tp / (tp + fn) for tp, _, fn in rows if tp + fn > 0]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return f1, p, r


def evaluate(pairs: Iterable[tuple[str | None, str | None]]) -> Scores:
    """Score (truth, prediction) pairs, one per page."""
    rows: list[tuple[float, float, float]] = []
    exact = empty = 0
    for truth, pred in pairs:
        rows.append(page_counts(truth, pred))
        exact += tokens(truth) == tokens(pred)
        empty += not tokens(pred)
    f1, p, r = aggregate(rows)
    n = len(rows)
    return Scores(f1, p, r, exact / n if n else 0.0, n, empty)
