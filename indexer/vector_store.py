"""The vector store: one L2-normalised float32 row per chunk, rows sorted by chunk id.

Saved as two ``.npy`` files (``allow_pickle=False``): ``vectors.npy`` (rows × dim) and
``chunk_ids.npy`` (UTF-8 bytes, sorted, aligned with the rows), so that a chunk's row is found
by binary search without building a dictionary.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
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


def _encode_ids(ids: Iterable[str]) -> np.ndarray:
    encoded = [i.encode("utf-8") for i in ids]
    return np.array(encoded, dtype=f"S{max((len(e) for e in encoded), default=1)}")


class VectorStore:
    """Chunk vectors with exact cosine search (dot products of unit vectors)."""

    def __init__(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        if vectors.ndim != 2 or len(vectors) != len(ids):
            raise IndexFormatError(f"vector store is inconsistent: {vectors.shape} rows vs {len(ids)} ids")
        self.vectors = vectors
        self.ids = ids

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
                                   hint="run `newsdig rebuild` or re-index into a new --index-dir") from exc
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
        return len(self.ids)

    def chunk_ids(self) -> list[str]:
        """All chunk ids, in row order."""
        return [i.decode("utf-8") for i in self.ids]

    def rows_of(self, chunk_ids: Sequence[str]) -> np.ndarray:
        """Row numbers of the given chunk ids (-1 where absent)."""
        if not len(chunk_ids) or not len(self.ids):
            return np.full(len(chunk_ids), -1, dtype=np.int64)
        keys = _encode_ids(chunk_ids)
        pos = np.minimum(np.searchsorted(self.ids, keys), len(self.ids) - 1)
        found = self.ids[pos] == keys
        return np.where(found, pos, -1)

    def search(self, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The ``k`` rows most similar to a unit query vector, best first (ties by id)."""
        if not len(self.ids) or k <= 0:
            return []
        scores = self.vectors @ np.asarray(query, dtype=np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        order = sorted(top, key=lambda r: (-float(scores[r]), r))
        return [(self.ids[r].decode("utf-8"), float(scores[r])) for r in order]

    def scores_of(self, query: np.ndarray, chunk_ids: Sequence[str]) -> dict[str, float]:
        """Exact similarity of the query to each given chunk that has a row."""
        rows = self.rows_of(chunk_ids)
        present = [(c, r) for c, r in zip(chunk_ids, rows) if r >= 0]
        if not present:
            return {}
        matrix = np.asarray(self.vectors[[r for _, r in present]], dtype=np.float32)
        values = matrix @ np.asarray(query, dtype=np.float32)
        return {c: float(v) for (c, _), v in zip(present, values)}

    def updated(self, remove: Iterable[str], add_ids: Sequence[str], add_vectors: np.ndarray) -> VectorStore:
        """A new store without the ``remove`` ids and with the added rows, re-sorted by id."""
        keep = np.ones(len(self.ids), dtype=bool)
        removed = list(remove)
        if removed and len(self.ids):
            rows = self.rows_of(removed)
            keep[rows[rows >= 0]] = False
        kept_ids = [i.decode("utf-8") for i in self.ids[keep]]
        all_ids = kept_ids + list(add_ids)
        if len(set(all_ids)) != len(all_ids):
            raise ValueError("duplicate chunk ids in vector store update")
        vectors = np.concatenate([np.asarray(self.vectors[keep], dtype=np.float32),
                                  np.asarray(add_vectors, dtype=np.float32).reshape(-1, self.dim)])
        order = sorted(range(len(all_ids)), key=all_ids.__getitem__)
        ids = _encode_ids([all_ids[i] for i in order]) if all_ids else np.zeros(0, dtype="S1")
        return VectorStore(vectors[order] if order else vectors, ids)
