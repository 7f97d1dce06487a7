"""Ragged row stores: a variable number of fixed-width rows per keyword document.

Sentence vectors (:mod:`indexer.sentence_store`) and token codes (:mod:`indexer.token_store`)
are both this shape: the rows of document ``d`` are ``offsets[d]:offsets[d + 1]`` of one long
array, in text order. Files (``allow_pickle=False``), named by a :class:`RaggedFiles`:
``NAME.K.npy`` (the rows, in parts named by ``PREFIX_parts.npy``: an update that only appends
passages writes their rows as a new part and keeps the old parts, hard-linked, instead of
copying gigabytes; past ``MAX_PARTS`` or after Whoosh renumbers documents, one part is written
again), optionally ``PREFIX_scales.npy`` (float32 per row) and ``PREFIX_offsets.npy`` (int64,
documents + 1). A document may have no rows (an older index, a deleted document).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import atomic_memmap, atomic_write
from .errors import IndexFormatError
from .vector_store import appended_layout, row_sources

MAX_PARTS = 8
BLOCK_ROWS = 65_536
# Turns new rows (as spooled) into stored rows plus a scale per row (None: the files have no scales).
Convert = Callable[[np.ndarray], tuple[np.ndarray, "np.ndarray | None"]]


@dataclass(frozen=True)
class RaggedFiles:
    """Where and how one kind of ragged rows is stored in a snapshot."""

    prefix: str          # "sentence": sentence_parts.npy, sentence_offsets.npy, ...
    rows: str            # "sentence_vectors": sentence_vectors.K.npy
    dtype: str           # of the stored rows
    scaled: bool = False  # whether a float32 scale is kept per row

    @property
    def parts(self) -> str:
        return f"{self.prefix}_parts.npy"

    @property
    def scales(self) -> str:
        return f"{self.prefix}_scales.npy"

    @property
    def offsets(self) -> str:
        return f"{self.prefix}_offsets.npy"

    def part_path(self, directory: str | os.PathLike[str], part: int) -> Path:
        """The file of rows part ``part``."""
        return Path(directory) / f"{self.rows}.{part}.npy"


class NewRows:
    """Rows made during an update, spooled to a raw file, with the count per passage."""

    def __init__(self, path: str | os.PathLike[str], width: int, dtype: str = "float32") -> None:
        self.path, self.width, self.dtype = Path(path), width, np.dtype(dtype)
        self.rows = 0
        self.counts: list[int] = []
        self._handle = open(self.path, "wb")  # noqa: SIM115 - closed in read()/discard()

    def append(self, rows: np.ndarray, counts: Sequence[int]) -> None:
        """Add the rows of some passages (``counts`` per passage, in order)."""
        block = np.ascontiguousarray(rows, dtype=self.dtype).reshape(-1, self.width)
        if len(block) != int(np.sum(counts)):
            raise IndexFormatError("internal error: row counts do not match the rows")
        self._handle.write(block.tobytes())
        self.rows += len(block)
        self.counts.extend(int(c) for c in counts)

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        """All rows so far (memory-mapped) and the count per passage."""
        self._handle.flush()
        counts = np.array(self.counts, dtype=np.int64)
        if not self.rows:
            return np.zeros((0, self.width), dtype=self.dtype), counts
        return np.memmap(self.path, dtype=self.dtype, mode="r", shape=(self.rows, self.width)), counts

    def discard(self) -> None:
        """Close and delete the file."""
        self._handle.close()
        self.path.unlink(missing_ok=True)


class RaggedStore:
    """The ragged rows of a snapshot (memory-mapped parts)."""

    files: RaggedFiles

    def __init__(self, parts: Sequence[np.ndarray], scales: np.ndarray | None, offsets: np.ndarray,
                 part_ids: Sequence[int] = ()) -> None:
        self.parts, self.part_ids = list(parts), list(part_ids)
        self.starts = np.concatenate([[0], np.cumsum([len(p) for p in self.parts], dtype=np.int64)]).astype(np.int64)
        total = int(self.starts[-1])
        if (any(p.ndim != 2 for p in self.parts) or (scales is not None and len(scales) != total)
                or not len(offsets) or offsets[-1] != total):
            raise IndexFormatError(f"{self.files.prefix} rows are inconsistent: {total} rows in {len(self.parts)} "
                                   f"part(s), {'no' if scales is None else len(scales)} scales, "
                                   f"offsets ending at {offsets[-1] if len(offsets) else None}")
        self.scales, self.offsets = scales, offsets

    @classmethod
    def exists(cls, directory: str | os.PathLike[str]) -> bool:
        """Whether ``directory`` holds these rows."""
        return (Path(directory) / cls.files.offsets).exists()

    @classmethod
    def load(cls, directory: str | os.PathLike[str]):  # the subclass
        """Open the files in ``directory`` (rows memory-mapped)."""
        directory, files = Path(directory), cls.files
        try:
            ids = [int(k) for k in np.load(directory / files.parts, allow_pickle=False)]
            parts = [np.load(files.part_path(directory, k), mmap_mode="r", allow_pickle=False) for k in ids]
            scales = np.load(directory / files.scales, mmap_mode="r", allow_pickle=False) if files.scaled else None
            offsets = np.load(directory / files.offsets, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexFormatError(f"cannot read the {files.prefix} rows in {directory}: {exc}",
                                   hint="run `newsdig rebuild`") from exc
        return cls(parts, scales, offsets, ids)

    @property
    def dim(self) -> int:
        """Row width (0 for a store without parts)."""
        return int(self.parts[0].shape[1]) if self.parts else 0

    def rows(self, index: np.ndarray) -> np.ndarray:
        """The rows at global row numbers ``index`` (any order), from whichever parts hold them."""
        index = np.asarray(index, dtype=np.int64)
        if len(self.parts) == 1:
            return np.asarray(self.parts[0][index])
        part = np.searchsorted(self.starts, index, side="right") - 1
        out = np.empty((len(index), self.dim), dtype=self.files.dtype)
        for k in np.unique(part):
            mask = part == k
            out[mask] = self.parts[k][index[mask] - self.starts[k]]
        return out

    @property
    def documents(self) -> int:
        """Rows (keyword documents) the store covers."""
        return len(self.offsets) - 1

    def counts(self, rows: np.ndarray) -> np.ndarray:
        """Rows held for each of documents ``rows`` (0 for documents past the end)."""
        rows = np.asarray(rows, dtype=np.int64)
        inside = rows < self.documents
        out = np.zeros(len(rows), dtype=np.int64)
        out[inside] = self.offsets[rows[inside] + 1] - self.offsets[rows[inside]]
        return out

    def document(self, row: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The rows (and scales) of document ``row``, in text order."""
        if row >= self.documents:
            return np.zeros((0, self.dim), dtype=self.files.dtype), None
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        return self.rows(np.arange(start, end)), None if self.scales is None else np.asarray(self.scales[start:end])


def write_for_update(store: type[RaggedStore], directory: str | os.PathLike[str], keys: np.ndarray,
                     old_ids: np.ndarray | None, new_keys: np.ndarray, new: tuple[np.ndarray, np.ndarray] | None,
                     width: int, convert: Convert, *, recode: Callable[[np.ndarray], np.ndarray] | None = None,
                     ) -> RaggedStore:
    """An update's store in ``directory``: documents ``keys`` (passage ids by document number, b""
    deleted), from the new passages ``new_keys`` (``new``: their spooled rows and counts) or the
    old snapshot's rows ``old_ids`` (its files, cloned into ``directory``; ``recode`` rewrites them)."""
    new = new or (np.zeros((0, width), np.float32), np.zeros(0, np.int64))
    old = store.load(directory) if old_ids is not None and store.exists(directory) else None
    old_ids = old_ids if old_ids is not None else np.zeros(0, dtype="S1")
    targets, source = row_sources(keys, old_ids, new_keys)
    return write_rows(store, directory, len(keys), targets, source, new, old, np.flatnonzero(old_ids != b""),
                      width, convert, appended=recode is None and appended_layout(keys, old_ids, new_keys),
                      recode=recode)


def write_rows(store: type[RaggedStore], directory: str | os.PathLike[str], n_docs: int, targets: np.ndarray,
               source: np.ndarray, new: tuple[np.ndarray, np.ndarray], old: RaggedStore | None,
               old_live_rows: np.ndarray, width: int, convert: Convert, *, appended: bool = False,
               recode: Callable[[np.ndarray], np.ndarray] | None = None) -> RaggedStore:
    """Write the store of a snapshot with ``n_docs`` documents into ``directory``.

    ``targets``/``source`` come from :func:`indexer.vector_store.row_sources`: document
    ``targets[i]`` takes the rows of new passage ``source[i]`` or, past the new ones, of old
    live row ``old_live_rows[source[i] - n_new]`` (none when the old snapshot had no store).
    ``new`` is ``(spooled rows, count per new passage)``; ``convert`` makes them stored rows.
    ``appended``: the old documents kept their numbers and the new ones follow in order (see
    :func:`indexer.vector_store.appended_layout`), so the old parts are kept as they are.
    """
    new_rows, new_counts = new
    n_new = len(new_counts)
    if appended and old is not None and old.documents == n_docs - n_new and len(old.part_ids) < MAX_PARTS:
        return _write_appended(store, Path(directory), old, new_rows, new_counts, convert)
    new_starts = np.concatenate([[0], np.cumsum(new_counts)[:-1]]).astype(np.int64) if n_new else np.zeros(0, np.int64)
    from_new = source < n_new
    counts = np.zeros(n_docs, dtype=np.int64)
    starts = np.zeros(len(targets), dtype=np.int64)  # where each target's rows are read from
    counts[targets[from_new]] = new_counts[source[from_new]]
    starts[from_new] = new_starts[source[from_new]]
    if old is not None and (~from_new).any():
        old_doc = old_live_rows[source[~from_new] - n_new]
        counts[targets[~from_new]] = old.counts(old_doc)
        starts[~from_new] = np.where(old_doc < old.documents, old.offsets[np.minimum(old_doc, old.documents)], 0)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    total = int(offsets[-1])
    directory = Path(directory)
    plan: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (output rows, input rows, from new?) per block
    for begin in range(0, len(targets), BLOCK_ROWS // 8):
        t = targets[begin:begin + BLOCK_ROWS // 8]
        c = counts[t]
        if not c.sum():
            continue
        out_rows = np.repeat(offsets[t] - np.cumsum(c) + c, c) + np.arange(int(c.sum()))
        in_rows = np.repeat(starts[begin:begin + len(t)] - np.cumsum(c) + c, c) + np.arange(int(c.sum()))
        new_mask = np.repeat(from_new[begin:begin + len(t)], c)
        plan.append((out_rows, in_rows, new_mask))

    files = store.files
    scales = np.zeros(total, dtype=np.float32) if files.scaled else None

    def fill(out: np.ndarray) -> None:
        for out_rows, in_rows, new_mask in plan:
            if new_mask.any():
                rows, factors = convert(np.asarray(new_rows[in_rows[new_mask]]))
                out[out_rows[new_mask]] = rows
                if scales is not None:
                    scales[out_rows[new_mask]] = factors
            if (~new_mask).any():
                old_rows = in_rows[~new_mask]
                kept = old.rows(old_rows)  # type: ignore[union-attr]
                out[out_rows[~new_mask]] = recode(kept) if recode is not None else kept
                if scales is not None:
                    scales[out_rows[~new_mask]] = old.scales[old_rows]  # type: ignore[union-attr,index]

    part = max(old.part_ids, default=-1) + 1 if old is not None else 0
    atomic_memmap(files.part_path(directory, part), files.dtype, (total, width), fill)
    return _finish(store, directory, [part], scales, offsets)


def _write_appended(store: type[RaggedStore], directory: Path, old: RaggedStore, new_rows: np.ndarray,
                    new_counts: np.ndarray, convert: Convert) -> RaggedStore:
    """The old parts kept as they are (hard-linked from the old snapshot; a document deleted by
    this update keeps its rows, never read), the new passages' rows in a new part."""
    n_old = int(old.offsets[-1])
    scales = [np.asarray(old.scales, dtype=np.float32)] if old.scales is not None else None
    parts = list(old.part_ids)
    if len(new_rows):
        part = max(parts, default=-1) + 1

        def fill(out: np.ndarray) -> None:
            for start in range(0, len(new_rows), BLOCK_ROWS):
                rows, factors = convert(np.asarray(new_rows[start:start + BLOCK_ROWS]))
                out[start:start + len(rows)] = rows
                if scales is not None:
                    scales.append(factors)  # type: ignore[arg-type]

        atomic_memmap(store.files.part_path(directory, part), store.files.dtype, (len(new_rows), old.dim), fill)
        parts.append(part)
    offsets = np.concatenate([old.offsets, n_old + np.cumsum(new_counts, dtype=np.int64)]).astype(np.int64)
    return _finish(store, directory, parts, np.concatenate(scales) if scales is not None else None, offsets)


def _finish(store: type[RaggedStore], directory: Path, parts: list[int], scales: np.ndarray | None,
            offsets: np.ndarray) -> RaggedStore:
    """Write the part list, scales and offsets; remove part files the new list does not name."""
    files = store.files
    if scales is not None:
        atomic_write(directory / files.scales, lambda f: np.save(f, scales, allow_pickle=False))
    atomic_write(directory / files.offsets, lambda f: np.save(f, offsets, allow_pickle=False))
    atomic_write(directory / files.parts, lambda f: np.save(f, np.array(parts, dtype=np.int64), allow_pickle=False))
    keep = {files.part_path(directory, k).name for k in parts}
    for path in directory.glob(f"{files.rows}.*.npy"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
    return store.load(directory)
