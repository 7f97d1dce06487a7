"""BM25F with Lucene's idf, as a Whoosh weighting model.

Whoosh's default idf, ``log(N / (df + 1)) + 1``, gives common terms far more weight than the
BM25 idf used by Lucene, Pyserini and bm25s, ``log(1 + (N - df + 0.5) / (df + 0.5))``: with a
thousand documents, a term in half of them scores 1.69 against 7.2 for a unique term (Lucene:
0.69 against 6.5). The Lucene form ranks better on every judged collection we measured.
"""

from __future__ import annotations

import math
from typing import Any

from whoosh.scoring import BM25F

K1 = 1.2
B = 0.75


def bm25_idf(doc_frequency: int, doc_count: int) -> float:
    """Lucene's BM25 idf (always positive)."""
    return math.log(1.0 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


class LuceneBM25F(BM25F):
    """Whoosh's per-field BM25 (summed over fields, field boosts applied) with Lucene's idf."""

    def __init__(self, B: float = B, K1: float = K1, **kwargs: float) -> None:  # noqa: N803 - Whoosh's names
        super().__init__(B=B, K1=K1, **kwargs)

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        return bm25_idf(parent.doc_frequency(fieldname, text), parent.doc_count())
