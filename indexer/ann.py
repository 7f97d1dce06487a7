"""Approximate nearest-neighbour index (usearch HNSW) over the vector store, for big indexes.

Below :data:`MIN_ROWS` live passages exact search is fast enough and no ANN file exists. Above it
a snapshot holds ``vectors.usearch``: keys are 64-bit hashes of passage ids (stable when Whoosh
renumbers documents on a merge). ``ann_keys.npy`` holds the live rows' keys sorted and
``ann_order.npy`` the rows in that order, so a hit's key maps back to its row with a binary
search on memory-mapped files (a key no longer live is not found: its hit is dropped).

An update does not rewrite the HNSW file (hundreds of MB at a million rows) for a few new
passages: the file is kept as it is (hard-linked from the previous snapshot), and the live rows
it lacks (new passages, and replaced ones: they keep their ids) are listed in ``ann_pending.npy``
and searched exactly beside it. Only when the pending rows pass :func:`pending_limit`, or the
entries of the file that no longer describe a live passage pass :func:`stale_limit`, are they
folded in (removed, added, saved). ``ann_members.npy`` lists the keys whose entry in the file is
still right. The ANN proposes candidates; their scores are recomputed exactly from the
stored vectors. usearch is imported lazily: small indexes never load it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .atomic import atomic_file, atomic_write
from .errors import IndexFormatError
from .sorted_find import find
from .vector_store import encode_ids

ANN_FILE = "vectors.usearch"
KEYS_FILE = "ann_keys.npy"
ORDER_FILE = "ann_order.npy"
MEMBERS_FILE = "ann_members.npy"
PENDING_FILE = "ann_pending.npy"
MIN_ROWS = 50_000         # live passages from which an ANN index is kept (exact search
                          # of 100k rows takes ~30 ms on 2 cores; the ANN ~3 ms)
CONNECTIVITY = 16
EXPANSION_ADD = 200       # graph quality at build time (not saved in the file: set after restore)
EXPANSION_SEARCH = 1024   # candidates explored per query: with EXPANSION_ADD 200, recall@10
                          # 0.996 at 1M rows, 7.4 ms p50 (bench/ann.py; 0.984 with 128/512)
OVERFETCH = 2             # ANN candidates per wanted result, rescored exactly
PENDING_MIN = 2_000       # live rows searched exactly beside the ANN before they are folded in
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


def pending_limit(live: int) -> int:
    """How many live rows may wait outside the ANN file. Each semantic query scores them
    exactly: ~2 µs a row for float16 rows (numpy upcasts), so up to ~20 ms at a million rows,
    against a rewrite of the whole HNSW file (hundreds of MB) per update otherwise."""
    return max(PENDING_MIN, live // 100)


def stale_limit(live: int) -> int:
    """How many deleted passages the ANN file may still hold (they take a share of its hits)."""
    return max(PENDING_MIN, live // 10)


def update_ann(directory: str | os.PathLike[str], vectors: np.ndarray, ids: np.ndarray,
               previous_members: np.ndarray | None, renewed_ids: Sequence[str] | None = None, *,
               min_rows: int | None = None) -> bool:
    """Bring the snapshot's ANN files in line with ``vectors``/``ids`` (the new store); returns
    whether an ANN index exists afterwards. ``previous_members`` are the keys the cloned ANN file
    holds (None: there is none); ``renewed_ids``, the passages embedded by this update (a
    replaced article's passages keep their ids, so the file may hold their old vectors). Below
    ``min_rows`` live rows the files are removed."""
    directory = Path(directory)
    if int(np.count_nonzero(ids != b"")) < (MIN_ROWS if min_rows is None else min_rows):
        remove_ann(directory)  # small index: no ANN, and no need to hash every passage id
        return False
    keys = row_keys(ids)
    live = np.flatnonzero(keys)
    by_key = live[np.argsort(keys[live], kind="stable")]  # (numpy's unique hashes: ~15x slower)
    ordered = keys[by_key]
    if bool(np.any(ordered[1:] == ordered[:-1])):  # a hash collision: stay exact rather than wrong
        remove_ann(directory)
        return False
    path = directory / ANN_FILE
    if previous_members is not None and path.exists():
        held = find(np.asarray(previous_members), keys[live])[1]  # np.isin sorts both sides
        if renewed_ids is not None and len(renewed_ids):  # by key (unique among live rows), not by id string
            held &= ~find(np.sort(row_keys(encode_ids(renewed_ids))), keys[live])[1]
        pending = live[~held]
        current = np.sort(keys[live[held]])  # the keys whose vector in the file is still right
        if len(pending) <= pending_limit(len(live)) and _size(path) - len(current) <= stale_limit(len(live)):
            _write_maps(directory, ordered, by_key, pending, current)  # the HNSW file stays as it is
            return True
        index = _restore(path, int(vectors.shape[1]))
        gone = np.setdiff1d(np.asarray(index.keys, dtype=np.uint64), current, assume_unique=True)
        if len(gone):
            index.remove(gone)
        fresh = pending
    else:
        index, fresh = _new_index(int(vectors.shape[1])), live
    for start in range(0, len(fresh), 65_536):
        rows = fresh[start:start + 65_536]
        index.add(keys[rows], np.asarray(vectors[rows], dtype=np.float32))
    atomic_file(path, lambda tmp: index.save(tmp))
    _write_maps(directory, ordered, by_key, live[:0], ordered)
    return True


def _size(path: Path) -> int:
    """How many keys an ANN file holds (read from its header)."""
    from usearch.index import Index

    meta = Index.metadata(str(path)) or {}
    if "count_present" in meta:
        return int(meta["count_present"])
    view = Index.restore(str(path), view=True)
    return len(view) if view is not None else 0


def _restore(path: Path, dim: int):  # noqa: ANN202 - usearch's type, imported lazily
    from usearch.index import Index

    index = Index.restore(str(path), view=False)
    if index is None or index.ndim != dim:
        raise IndexFormatError(f"the ANN index in {path.parent} cannot be read", hint="run `newsdig rebuild`")
    index.expansion_add = EXPANSION_ADD  # usearch does not save it
    return index


def _write_maps(directory: Path, ordered: np.ndarray, by_key: np.ndarray, pending: np.ndarray,
                members: np.ndarray) -> None:
    """Key -> row map of the live rows (their keys sorted, and the rows in that order), the
    pending rows, and the keys the file holds right."""
    atomic_write(directory / KEYS_FILE, lambda f: np.save(f, ordered, allow_pickle=False))
    atomic_write(directory / ORDER_FILE, lambda f: np.save(f, by_key, allow_pickle=False))
    atomic_write(directory / PENDING_FILE, lambda f: np.save(f, pending.astype(np.int64), allow_pickle=False))
    atomic_write(directory / MEMBERS_FILE, lambda f: np.save(f, members, allow_pickle=False))


def remove_ann(directory: str | os.PathLike[str]) -> None:
    """Delete the ANN files of a snapshot (if any)."""
    for name in (ANN_FILE, KEYS_FILE, ORDER_FILE, MEMBERS_FILE, PENDING_FILE):
        (Path(directory) / name).unlink(missing_ok=True)


def stored_keys(directory: str | os.PathLike[str]) -> np.ndarray | None:
    """The keys whose vectors the snapshot's ANN file holds as stored (sorted; it may also hold
    deleted or replaced passages' keys), or None when it has none. (Snapshots written before
    pending rows existed hold exactly the live keys, listed in ``ann_keys.npy``.)"""
    directory = Path(directory)
    if not (directory / ANN_FILE).exists():
        return None
    for name in (MEMBERS_FILE, KEYS_FILE):
        if (directory / name).exists():
            return np.load(directory / name, allow_pickle=False)
    return None


def pending_rows(directory: str | os.PathLike[str]) -> np.ndarray:
    """The live rows the snapshot's ANN file lacks (searched exactly beside it)."""
    path = Path(directory) / PENDING_FILE
    return np.load(path, allow_pickle=False) if path.exists() else np.zeros(0, dtype=np.int64)


class AnnIndex:
    """A memory-mapped (viewed) ANN index with its key → row map."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        from usearch.index import Index

        directory = Path(directory)
        try:
            self.index = Index.restore(str(directory / ANN_FILE), view=True)
            self.keys = np.load(directory / KEYS_FILE, mmap_mode="r", allow_pickle=False)
            self.order = np.load(directory / ORDER_FILE, mmap_mode="r", allow_pickle=False)
            self.pending = pending_rows(directory)
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
        """Rows of (about) the ``OVERFETCH * k`` nearest live vectors the file holds, in no
        particular order (the caller adds :attr:`pending`)."""
        matches = self.index.search(np.asarray(query, dtype=np.float32), count=OVERFETCH * k)
        found = np.asarray(matches.keys, dtype=np.uint64)
        pos, hit = find(self.keys, found)
        return np.asarray(self.order[pos[hit]], dtype=np.int64)
