"""The vector store: one L2-normalised float32 row per passage, row ``i`` = keyword document ``i``.

Rows are aligned with the Whoosh document numbers of the same snapshot, so the two retrievers
exchange candidates as plain integers: no id lookups on the query path. Saved as two ``.npy``
files (``allow_pickle=False``): ``vectors.npy`` (rows × dim) and ``chunk_ids.npy`` (the passage
id of each row as UTF-8 bytes; empty for a row whose keyword document is deleted).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .errors import IndexFormatError

VECTORS = "vectors.npy"
IDS = "chunk_ids.npy"


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def encode_ids(ids: Sequence[str]) -> np.ndarray:
    """Passage ids as a fixed-width UTF-8 bytes array (what ``chunk_ids.npy`` holds)."""
    encoded = [i.encode("utf-8") for i in ids]
    return np.array(encoded, dtype=f"S{max((len(e) for e in encoded), default=1) or 1}")


class VectorStore:
    """Passage vectors with exact cosine search (dot products of unit vectors)."""

    def __init__(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        if vectors.ndim != 2 or len(vectors) != len(ids):
            raise IndexFormatError(f"vector store is inconsistent: {vectors.shape} rows vs {len(ids)} ids")
        self.vectors = vectors
        self.ids = ids
        self.live = ids != b""

    @classmethod
    def empty(cls, dim: int) -> VectorStore:
        """A store with no rows."""
        return cls(np.zeros((0, dim), dtype=np.float32), np.zeros(0, dtype="S1"))

    @classmethod
    def load(cls, directory: str | os.PathLike[str], *, mmap: bool = True) -> VectorStore:
        """Open the store in ``directory``; the vectors are memory-mapped by default."""
        directory = Path(directory)
        try:
            vectors = np.load(directory / VECTORS, mmap_mode="r" if mmap else None, allow_pickle=False)
            ids = np.load(directory / IDS, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexFormatError(f"cannot read the vector store in {directory}: {exc}",
                                   hint="re-index into a new --index-dir") from exc
        return cls(vectors, ids)

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write both files atomically."""
        directory = Path(directory)
        atomic_write(directory / VECTORS, lambda f: np.save(f, np.ascontiguousarray(self.vectors),
                                                            allow_pickle=False))
        atomic_write(directory / IDS, lambda f: np.save(f, self.ids, allow_pickle=False))

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        """The number of live rows."""
        return int(self.live.sum())

    def chunk_id(self, row: int) -> str:
        """The passage id of a row."""
        return self.ids[row].decode("utf-8")

    def search(self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """``(row, similarity)`` of the ``k`` live rows most similar to a unit query vector, best first.

        ``allowed`` (row numbers) restricts the search to those rows: filters apply before the cut.
        """
        if not len(self.ids) or k <= 0:
            return []
        scores = self.vectors @ np.asarray(query, dtype=np.float32)
        usable = self.live
        if allowed is not None:
            usable = np.zeros(len(self.ids), dtype=bool)
            usable[allowed[(allowed >= 0) & (allowed < len(self.ids))]] = True
            usable &= self.live
        scores[~usable] = -np.inf
        k = min(k, int(usable.sum()))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]  # best first, ties by row
        return [(int(r), float(scores[r])) for r in top]

    def scores_at(self, query: np.ndarray, rows: Sequence[int]) -> dict[int, float]:
        """Exact similarity of the query to the given live rows."""
        rows = [r for r in rows if 0 <= r < len(self.ids) and self.live[r]]
        if not rows:
            return {}
        values = np.asarray(self.vectors[rows], dtype=np.float32) @ np.asarray(query, dtype=np.float32)
        return {r: float(v) for r, v in zip(rows, values)}

    def realigned(self, doc_ids: Sequence[str], new_ids: Sequence[str], new_vectors: np.ndarray) -> VectorStore:
        """A store whose row ``i`` holds the vector of ``doc_ids[i]`` ("" = a deleted document).

        Each vector comes from ``new_ids``/``new_vectors`` or else from this store's live rows (a
        new vector wins over an old row with the same id); an id found in neither is an internal error.
        """
        old_rows = np.flatnonzero(self.live)
        pool = np.concatenate([encode_ids(new_ids), self.ids[old_rows]])
        keys = encode_ids(doc_ids)
        wanted = keys != b""
        order = np.argsort(pool, kind="stable")  # equal ids keep pool order: new before old
        pos = np.minimum(np.searchsorted(pool[order], keys[wanted]), max(len(pool) - 1, 0))
        source = order[pos] if len(pool) else np.zeros(0, dtype=np.int64)
        if len(source) != int(wanted.sum()) or not np.array_equal(pool[source], keys[wanted]):
            raise IndexFormatError("internal error: a keyword document has no vector")
        vectors = np.zeros((len(doc_ids), self.dim), dtype=np.float32)
        new_vectors = np.asarray(new_vectors, dtype=np.float32).reshape(-1, self.dim)
        targets = np.flatnonzero(wanted)
        from_new = source < len(new_ids)
        if from_new.any():
            vectors[targets[from_new]] = new_vectors[source[from_new]]
        if (~from_new).any():
            vectors[targets[~from_new]] = self.vectors[old_rows[source[~from_new] - len(new_ids)]]
        return VectorStore(vectors, keys)
