"""The rows of a vector store nearest to a query: exact, or proposed by the ANN and scored exactly.

* No filter, an ANN index: its candidates (and the rows waiting beside it), scored exactly.
* A filter that keeps at least :data:`ANN_FILTER_SHARE` of the rows, an ANN index, and more
  allowed rows than exact search reads in the time the ANN takes for the hits it must be asked
  for (:data:`EXACT_ROWS_PER_HIT`): its candidates post-filtered, asking for more hits (in
  proportion to what the filter removes, then 4x at a time) until ``k`` remain (float32 rows of
  which at least half are allowed cost less exactly: :data:`FULL_ROWS_PER_HIT`); exact search if
  :data:`MAX_FETCH` hits are not enough. At a million float16 rows, 300 hits: a filter keeping
  a third of the rows 83-107 ms vs 132-153 ms exact, nearly all of them 45-63 ms vs 267-387 ms;
  one keeping 8 % 36 ms exact vs 291 ms (the ANN asked for 20,000 hits).
* Otherwise exact: float32 rows with numpy; float16 rows with usearch's exact search, which reads
  float16 directly (numpy upcasts first: 400k gathered rows 0.8-1.5 s, usearch 0.15 s), over
  blocks of rows, then the few best rescored with numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .vector_store import VectorStore

ANN_FILTER_SHARE = 0.05  # filters keeping at least this share of the live rows go through the ANN
MAX_FETCH = 20_000       # ANN hits asked for at most when post-filtering
EXACT_ROWS_PER_HIT = 30  # exact search reads this many rows in the time the HNSW search spends per hit
                         # asked for (1M float16 rows: ~0.4 us a row, ~12 us a hit; bench/window.py)
FULL_ROWS_PER_HIT = 120  # the same for float32 rows when at least half are allowed: one contiguous
                         # product over every row, ~0.1 us a row (182k rows: 15-19 ms vs ANN 30-38 ms)
FETCH_FACTOR = 8         # hits asked per wanted row and per share of rows the filter removes: at 1M
                         # passages (a corpus repeated 12 times: many identical vectors) 2 found
                         # 0.958 of the exact top-10 scores on 24 filtered queries, 8 all of them
BLOCK_ROWS = 262_144     # rows per exact float16 search call


def nearest(store: VectorStore, query: np.ndarray, k: int, rows: np.ndarray | None) -> list[tuple[int, float]]:
    """``(row, similarity)`` of the ``k`` best live rows (among ``rows``: sorted live row numbers)."""
    if store.ann is not None:
        if rows is None:
            found = _ann_rows(store, query, k)
            return top(found, store.similarities(query, found), k)
        if ann_filters(store, k, rows):
            hits = _ann_filtered(store, query, k, rows)
            if hits is not None:
                return hits
    if store.vectors.dtype == np.float16:
        return _exact_float16(store, query, k, rows)
    if rows is not None and not _one_product(store, rows):
        return top(rows, store.similarities(query, rows), k)
    scores = store.similarities(query)
    usable = store.live
    if rows is not None:
        usable = np.zeros(len(store.ids), dtype=bool)
        usable[rows] = True
    scores[~usable] = -np.inf
    return top(np.flatnonzero(usable), scores[usable], k)


def ann_filters(store: VectorStore, k: int, rows: np.ndarray) -> bool:
    """Whether a search for ``k`` rows among ``rows`` should ask the ANN (else: exact search)."""
    per_hit = FULL_ROWS_PER_HIT if _one_product(store, rows) else EXACT_ROWS_PER_HIT
    return len(rows) >= ANN_FILTER_SHARE * len(store) and len(rows) > per_hit * _fetch(store, k, rows)


def _one_product(store: VectorStore, rows: np.ndarray) -> bool:
    """Whether exact search among ``rows`` scores every row in one product (float32 rows, at
    least half of them allowed) instead of gathering the allowed ones."""
    return store.vectors.dtype != np.float16 and len(rows) >= len(store.ids) // 2


def top(rows: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best ``(row, score)``, best first, ties by row."""
    k = min(k, len(rows))
    if k == 0:
        return []
    best = np.argpartition(-scores, k - 1)[:k] if k < len(rows) else np.arange(len(rows))
    best = best[np.lexsort((rows[best], -scores[best]))]
    return [(int(rows[i]), float(scores[i])) for i in best]


def _ann_rows(store: VectorStore, query: np.ndarray, k: int) -> np.ndarray:
    found = np.unique(np.concatenate([store.ann.rows(query, k), store.ann.pending]))
    return found[store.live[found]]


def _ann_filtered(store: VectorStore, query: np.ndarray, k: int, rows: np.ndarray) -> list[tuple[int, float]] | None:
    allowed = np.zeros(len(store.ids), dtype=bool)
    allowed[rows] = True
    fetch = _fetch(store, k, rows)
    while True:
        found = _ann_rows(store, query, fetch)
        found = found[allowed[found]]
        if len(found) >= k:
            return top(found, store.similarities(query, found), k)
        if fetch >= MAX_FETCH:
            return None
        fetch = min(MAX_FETCH, 4 * fetch)


def _fetch(store: VectorStore, k: int, rows: np.ndarray) -> int:
    """ANN hits to ask for first, so that about ``k`` survive a filter that keeps ``rows``."""
    return min(MAX_FETCH, k + int(FETCH_FACTOR * k * len(store) / max(len(rows), 1)))


def _exact_float16(store: VectorStore, query: np.ndarray, k: int, rows: np.ndarray | None) -> list[tuple[int, float]]:
    from usearch.index import search as exact_search

    q = np.asarray(query, dtype=np.float32)
    vectors, live = store.vectors, store.live
    picked = []
    for start in range(0, len(store.ids) if rows is None else len(rows), BLOCK_ROWS):
        if rows is None:  # a contiguous block: no copy; ask past its deleted rows
            block = np.arange(start, min(start + BLOCK_ROWS, len(store.ids)))
            data = vectors[start:start + len(block)]
            count = min(len(block), k + int(np.count_nonzero(~live[block])))
        else:
            block = rows[start:start + BLOCK_ROWS]
            data, count = vectors[block], min(len(block), k)
        found = exact_search(np.asarray(data), q, count, metric="ip", exact=True)
        hits = block[np.asarray(found.keys, dtype=np.int64).reshape(-1)]
        picked.append(hits[live[hits]])
    found_rows = np.unique(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)
    return top(found_rows, store.similarities(query, found_rows), k)
