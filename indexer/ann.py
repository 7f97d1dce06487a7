"""Approximate nearest-neighbour index (usearch HNSW) over the vector store, for big indexes.

Below :data:`MIN_ROWS` live passages exact search is fast enough and no ANN file exists. Above it
each commit keeps ``vectors.usearch`` in step with the store: keys are 64-bit hashes of passage
ids (stable when Whoosh renumbers documents on a merge), so an update only removes the vanished
keys and adds the new ones. ``ann_keys.npy`` holds each row's key and ``ann_order.npy`` the rows
sorted by key, so a hit's key maps back to its row with a binary search on memory-mapped files.
The ANN proposes candidates; their scores are recomputed exactly from the stored vectors.
usearch is imported lazily: small indexes never load it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .atomic import atomic_file, atomic_write
from .errors import IndexFormatError

ANN_FILE = "vectors.usearch"
KEYS_FILE = "ann_keys.npy"
ORDER_FILE = "ann_order.npy"
MIN_ROWS = 50_000         # live passages from which an ANN index is kept (exact search
                          # of 100k rows takes ~30 ms on 2 cores; the ANN ~3 ms)
CONNECTIVITY = 16
EXPANSION_ADD = 200       # graph quality at build time (not saved in the file: set after restore)
EXPANSION_SEARCH = 1024   # candidates explored per query: with EXPANSION_ADD 200, recall@10
                          # 0.996 at 1M rows, 7.4 ms p50 (bench/ann.py; 0.984 with 128/512)
OVERFETCH = 2             # ANN candidates per wanted result, rescored exactly
_FNV_OFFSET, _FNV_PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)


def row_keys(ids: np.ndarray) -> np.ndarray:
    """A 64-bit FNV-1a hash of each passage id (fixed-width bytes); 0 for deleted rows ("")."""
    ids = np.asarray(ids)
    width = ids.dtype.itemsize
    raw = np.frombuffer(ids.tobytes(), dtype=np.uint8).reshape(len(ids), width) if len(ids) else \
        np.zeros((0, max(width, 1)), dtype=np.uint8)
    keys = np.full(len(ids), _FNV_OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col in range(raw.shape[1]):
            byte = raw[:, col].astype(np.uint64)
            keys = np.where(byte != 0, (keys ^ byte) * _FNV_PRIME, keys)  # ids never hold NUL bytes
    keys[keys == 0] = 1
    keys[ids == b""] = 0
    return keys


def _new_index(dim: int):  # noqa: ANN202 - usearch's type, imported lazily
    from usearch.index import Index

    return Index(ndim=dim, metric="ip", dtype="f16", connectivity=CONNECTIVITY,
                 expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)


def update_ann(directory: str | os.PathLike[str], vectors: np.ndarray, ids: np.ndarray,
               previous_keys: np.ndarray | None, *, min_rows: int | None = None) -> bool:
    """Bring the snapshot's ANN files in line with ``vectors``/``ids`` (the new store); returns
    whether an ANN index exists afterwards. ``previous_keys`` are the keys the cloned ANN file
    holds (None: there is none). Below ``min_rows`` live rows the files are removed."""
    directory = Path(directory)
    if int(np.count_nonzero(ids != b"")) < (MIN_ROWS if min_rows is None else min_rows):
        remove_ann(directory)  # small index: no ANN, and no need to hash every passage id
        return False
    keys = row_keys(ids)
    live = np.flatnonzero(keys)
    if len(np.unique(keys[live])) != len(live):  # a hash collision: stay exact rather than wrong
        remove_ann(directory)
        return False
    from usearch.index import Index

    dim = int(vectors.shape[1])
    path = directory / ANN_FILE
    if previous_keys is not None and path.exists():
        index = Index.restore(str(path), view=False)
        if index is None or index.ndim != dim:
            raise IndexFormatError(f"the ANN index in {directory} cannot be read", hint="run `newsdig rebuild`")
        index.expansion_add = EXPANSION_ADD  # usearch does not save it
        old = np.asarray(previous_keys)
        gone = np.setdiff1d(old, keys[live], assume_unique=True)
        if len(gone):
            index.remove(gone)
        fresh = live[~np.isin(keys[live], old, assume_unique=True)]
    else:
        index, fresh = _new_index(dim), live
    for start in range(0, len(fresh), 65_536):
        rows = fresh[start:start + 65_536]
        index.add(keys[rows], np.asarray(vectors[rows], dtype=np.float32))
    atomic_file(path, lambda tmp: index.save(tmp))
    order = live[np.argsort(keys[live], kind="stable")]
    atomic_write(directory / KEYS_FILE, lambda f: np.save(f, keys[order], allow_pickle=False))
    atomic_write(directory / ORDER_FILE, lambda f: np.save(f, order, allow_pickle=False))
    return True


def remove_ann(directory: str | os.PathLike[str]) -> None:
    """Delete the ANN files of a snapshot (if any)."""
    for name in (ANN_FILE, KEYS_FILE, ORDER_FILE):
        (Path(directory) / name).unlink(missing_ok=True)


def stored_keys(directory: str | os.PathLike[str]) -> np.ndarray | None:
    """The keys the snapshot's ANN index holds (sorted), or None when it has none."""
    directory = Path(directory)
    if not (directory / ANN_FILE).exists() or not (directory / KEYS_FILE).exists():
        return None
    return np.load(directory / KEYS_FILE, allow_pickle=False)


class AnnIndex:
    """A memory-mapped (viewed) ANN index with its key → row map."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        from usearch.index import Index

        directory = Path(directory)
        try:
            self.index = Index.restore(str(directory / ANN_FILE), view=True)
            self.keys = np.load(directory / KEYS_FILE, mmap_mode="r", allow_pickle=False)
            self.order = np.load(directory / ORDER_FILE, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, RuntimeError) as exc:
            raise IndexFormatError(f"cannot read the ANN index in {directory}: {exc}",
                                   hint="run `newsdig rebuild`") from exc
        if self.index is None:
            raise IndexFormatError(f"cannot read the ANN index in {directory}", hint="run `newsdig rebuild`")
        self.index.expansion_search = EXPANSION_SEARCH

    @staticmethod
    def exists(directory: str | os.PathLike[str]) -> bool:
        """Whether a snapshot has an ANN index."""
        return (Path(directory) / ANN_FILE).exists()

    def rows(self, query: np.ndarray, k: int) -> np.ndarray:
        """Rows of (about) the ``OVERFETCH * k`` nearest live vectors, in no particular order."""
        matches = self.index.search(np.asarray(query, dtype=np.float32), count=OVERFETCH * k)
        found = np.asarray(matches.keys, dtype=np.uint64)
        pos = np.minimum(np.searchsorted(self.keys, found), max(len(self.keys) - 1, 0))
        hit = np.asarray(self.keys[pos]) == found if len(self.keys) else np.zeros(0, dtype=bool)
        return np.asarray(self.order[pos[hit]], dtype=np.int64)
