"""The vector store: one L2-normalised row per passage, row ``i`` = keyword document ``i``.

Rows are aligned with the Whoosh document numbers of the same snapshot, so the two retrievers
exchange candidates as plain integers: no id lookups on the query path. Saved as two ``.npy``
files (``allow_pickle=False``): ``vectors.npy`` (rows × dim, float32 or float16, memory-mapped
when opened) and ``chunk_ids.npy`` (the passage id of each row as UTF-8 bytes; empty for a row
whose keyword document is deleted). Scores are always computed in float32, a block of rows at a
time, so float16 storage halves disk and memory without a float16 matmul.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .atomic import atomic_file, atomic_memmap, atomic_write
from .errors import IndexFormatError
from .vector_search import nearest

VECTORS = "vectors.npy"
IDS = "chunk_ids.npy"
NEW_VECTORS = "new-vectors.f32"  # an update's freshly embedded rows, before they are aligned
VECTOR_DTYPES = ("float32", "float16")
BLOCK_ROWS = 65_536  # rows scored (and upcast, for float16) per matmul


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def encode_ids(ids: Sequence[str] | np.ndarray) -> np.ndarray:
    """Passage ids as a fixed-width UTF-8 bytes array (what ``chunk_ids.npy`` holds); an array
    that is one already is returned as it is."""
    if isinstance(ids, np.ndarray) and ids.dtype.kind == "S":
        return ids
    encoded = [i.encode("utf-8") for i in ids]
    return np.array(encoded, dtype=f"S{max((len(e) for e in encoded), default=1) or 1}")


def appended_layout(keys: np.ndarray, old_ids: np.ndarray, new_ids: np.ndarray) -> bool:
    """Whether documents ``keys`` are the old ones at their old numbers (some now deleted: b"")
    followed by the new ones in the order they were written: an update that added a segment and
    merged none, where nothing has to be looked up by id."""
    n_old = len(old_ids)
    return (len(keys) == n_old + len(new_ids) and np.array_equal(keys[n_old:], new_ids)
            and bool(np.all((keys[:n_old] == old_ids) | (keys[:n_old] == b""))))


def row_sources(keys: np.ndarray, old_ids: np.ndarray, new_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each row of a new snapshot comes from.

    ``keys`` are the new snapshot's passage ids by document number (b"" = deleted). Returns
    ``(targets, source)``: the rows that hold a passage, and for each, ``source < len(new_keys)``
    for a freshly embedded row (its position in ``new_keys``) or ``len(new_keys) + j`` for the
    ``j``-th live row of the old snapshot. A new row wins over an old row with the same id.
    """
    old_rows = np.flatnonzero(old_ids != b"")
    wanted = keys != b""
    targets = np.flatnonzero(wanted)
    n_new, n_old = len(new_keys), len(old_ids)
    pool = np.concatenate([new_keys, old_ids[old_rows]]) if len(old_rows) else new_keys
    if appended_layout(keys, old_ids, new_keys):  # old rows kept their numbers: no sort needed
        source = np.where(targets < n_old, n_new + np.searchsorted(old_rows, targets), targets - n_old)
    else:
        order = np.argsort(pool, kind="stable")  # equal ids keep pool order: new before old
        pos = np.minimum(np.searchsorted(pool[order], keys[wanted]), max(len(pool) - 1, 0))
        source = order[pos] if len(pool) else np.zeros(0, dtype=np.int64)
    if len(source) != len(targets) or not np.array_equal(pool[source], keys[wanted]):
        raise IndexFormatError("internal error: a keyword document has no vector")
    return targets, source


class NewVectors:
    """Vectors embedded during an update, appended to a raw float32 file so that memory holds one
    batch, not the whole corpus; read back memory-mapped at commit."""

    def __init__(self, path: str | os.PathLike[str], dim: int) -> None:
        self.path = Path(path)
        self.dim = dim
        self.rows = 0
        self._handle = open(self.path, "wb")  # noqa: SIM115 - closed in read()/discard()

    def append(self, vectors: np.ndarray) -> None:
        """Add a batch of rows."""
        block = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        self._handle.write(block.tobytes())
        self.rows += len(block)

    def read(self) -> np.ndarray:
        """All rows so far, memory-mapped."""
        self._handle.flush()
        if not self.rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.memmap(self.path, dtype=np.float32, mode="r", shape=(self.rows, self.dim))

    def discard(self) -> None:
        """Close and delete the file."""
        self._handle.close()
        self.path.unlink(missing_ok=True)


class VectorStore:
    """Passage vectors with exact cosine search (dot products of unit vectors)."""

    def __init__(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        if vectors.ndim != 2 or len(vectors) != len(ids):
            raise IndexFormatError(f"vector store is inconsistent: {vectors.shape} rows vs {len(ids)} ids")
        self.vectors = vectors
        self.ids = ids
        self.live = ids != b""
        self.directory: Path | None = None  # where it was loaded from (its ANN index lives there)
        self._ann: object | None = None

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
        store = cls(vectors, ids)
        store.directory = directory
        return store

    @property
    def ann(self):  # noqa: ANN201 - an AnnIndex, imported lazily
        """The snapshot's ANN index, opened on first use; None when the store has none."""
        if self._ann is None and self.directory is not None:
            from .ann import AnnIndex

            self._ann = AnnIndex(self.directory) if AnnIndex.exists(self.directory) else False
        return self._ann or None

    def save(self, directory: str | os.PathLike[str], *, dtype: str = "float32") -> None:
        """Write both files atomically, the vectors as ``dtype`` (float32 or float16)."""
        directory = Path(directory)

        def fill(out: np.ndarray) -> None:
            for start in range(0, len(self.vectors), BLOCK_ROWS):
                out[start:start + BLOCK_ROWS] = self.vectors[start:start + BLOCK_ROWS]

        atomic_memmap(directory / VECTORS, dtype, self.vectors.shape, fill)
        atomic_write(directory / IDS, lambda f: np.save(f, self.ids, allow_pickle=False))

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self.vectors.shape[1])

    @property
    def dtype(self) -> str:
        """How the vectors are stored: ``float32`` or ``float16``."""
        return str(self.vectors.dtype)

    def __len__(self) -> int:
        """The number of live rows."""
        return int(self.live.sum())

    def chunk_id(self, row: int) -> str:
        """The passage id of a row."""
        return self.ids[row].decode("utf-8")

    def similarities(self, query: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Float32 dot products of a unit query vector with every row (or with ``rows``)."""
        q = np.asarray(query, dtype=np.float32)
        if rows is not None:
            return np.asarray(self.vectors[rows], dtype=np.float32) @ q
        if self.vectors.dtype == np.float32:
            return np.asarray(self.vectors) @ q
        out = np.empty(len(self.vectors), dtype=np.float32)
        for start in range(0, len(self.vectors), BLOCK_ROWS):
            block = np.asarray(self.vectors[start:start + BLOCK_ROWS], dtype=np.float32)
            out[start:start + len(block)] = block @ q
        return out

    def search(self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """``(row, similarity)`` of the ``k`` live rows most similar to a unit query vector, best first.

        ``allowed`` (row numbers) restricts the search to those rows: filters apply before the cut
        (with an ANN index, a broad filter to its candidates; see :mod:`indexer.vector_search`).
        """
        if not len(self.ids) or k <= 0:
            return []
        if allowed is not None:
            rows = np.asarray(allowed, dtype=np.int64)
            if len(rows) > 1 and not bool(np.all(rows[1:] > rows[:-1])):  # not already sorted and distinct
                rows = np.unique(rows)
            rows = rows[(rows >= 0) & (rows < len(self.ids))]
            rows = rows[self.live[rows]]
        else:
            rows = None
        return nearest(self, query, k, rows)

    def scores_at(self, query: np.ndarray, rows: Sequence[int]) -> dict[int, float]:
        """Exact similarity of the query to the given live rows."""
        rows = [r for r in rows if 0 <= r < len(self.ids) and self.live[r]]
        if not rows:
            return {}
        values = self.similarities(query, np.asarray(rows, dtype=np.int64))
        return {r: float(v) for r, v in zip(rows, values)}


def write_aligned(directory: str | os.PathLike[str], doc_ids: Sequence[str] | np.ndarray, new_ids: Sequence[str],
                  new_vectors: np.ndarray, old: VectorStore | None, *, dim: int,
                  dtype: str = "float32") -> VectorStore:
    """Write the store whose row ``i`` holds the vector of ``doc_ids[i]`` ("" = a deleted document)
    into ``directory`` and return it (memory-mapped).

    Each vector comes from ``new_ids``/``new_vectors`` or else from ``old``'s live rows (a new
    vector wins over an old row with the same id); an id found in neither is an internal error.
    Rows are copied a block at a time, so memory stays bounded whatever the index size.
    """
    if dtype not in VECTOR_DTYPES:
        raise IndexFormatError(f"unknown vector type {dtype!r}")
    old = old if old is not None else VectorStore.empty(dim)
    old_rows = np.flatnonzero(old.live)
    new_keys = encode_ids(new_ids)
    keys = encode_ids(doc_ids)
    n_new = len(new_ids)
    directory = Path(directory)
    if appended_layout(keys, old.ids, new_keys) and _copyable(old, dtype):
        # old rows kept their numbers: the old rows' bytes as they are, then the new rows
        _write_appended(directory / VECTORS, old, keys, new_keys, new_vectors, dim, dtype)
        atomic_write(directory / IDS, lambda f: np.save(f, keys, allow_pickle=False))
        return VectorStore.load(directory)
    targets, source = row_sources(keys, old.ids, new_keys)

    def fill(out: np.ndarray) -> None:
        for start in range(0, len(targets), BLOCK_ROWS):
            rows, src = targets[start:start + BLOCK_ROWS], source[start:start + BLOCK_ROWS]
            from_new = src < n_new
            if from_new.any():
                out[rows[from_new]] = new_vectors[src[from_new]]
            if (~from_new).any():
                out[rows[~from_new]] = old.vectors[old_rows[src[~from_new] - n_new]]

    atomic_memmap(directory / VECTORS, dtype, (len(keys), dim), fill)
    atomic_write(directory / IDS, lambda f: np.save(f, keys, allow_pickle=False))
    return VectorStore.load(directory)


def _copyable(old: VectorStore, dtype: str) -> bool:
    """Whether ``old``'s vectors are a memory-mapped file of ``dtype`` whose bytes can be copied."""
    vectors = old.vectors
    return (isinstance(vectors, np.memmap) and vectors.dtype == np.dtype(dtype) and len(vectors) > 0
            and vectors.flags.c_contiguous and getattr(vectors, "filename", None) is not None)


def _write_appended(path: Path, old: VectorStore, keys: np.ndarray, new_keys: np.ndarray,
                    new_vectors: np.ndarray, dim: int, dtype: str) -> None:
    """The vectors file of an appended layout: the old file's rows copied by the kernel
    (``copy_file_range``: about twice as fast as through a memory map), the new rows after them.
    Rows of documents deleted by this update keep their old bytes (deleted rows are never read)."""
    n_old, itemsize = len(old.ids), np.dtype(dtype).itemsize
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
              "shape": (len(keys), dim)}
    tail = keys[n_old:]

    def produce(tmp: str) -> None:
        with open(tmp, "wb") as out, open(old.vectors.filename, "rb") as src:
            np.lib.format.write_array_header_1_0(out, header)
            out.flush()
            offset, left = old.vectors.offset, n_old * dim * itemsize
            while left:
                done = os.copy_file_range(src.fileno(), out.fileno(), left, offset)
                if done <= 0:
                    raise OSError(f"short copy of {old.vectors.filename}")
                offset, left = offset + done, left - done
            for start in range(0, len(tail), BLOCK_ROWS):  # the new rows, in the order written
                out.write(np.ascontiguousarray(new_vectors[start:start + BLOCK_ROWS], dtype=dtype).tobytes())

    if len(new_keys) != len(tail) or not np.array_equal(new_keys, tail):
        raise IndexFormatError("internal error: appended vectors out of order")
    atomic_file(path, produce)
