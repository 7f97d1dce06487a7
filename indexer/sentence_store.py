"""Sentence vectors: one int8 row per sentence of every passage, for ranking and snippets.

A passage vector averages its whole text; a question is often answered by one sentence of it.
The BERT encoders pool each sentence's own tokens out of the passage's forward pass ("late
chunking": the sentence is read in its context, at no extra encoder cost); other encoders embed
the sentences separately. The ranker mixes a passage's best sentence similarity into its
semantic score, and snippets pick the sentence most similar to the query without encoding
anything at query time.

Files (``allow_pickle=False``), rows aligned with the keyword document numbers like the vector
store: ``sentence_vectors.K.npy`` (sentences × dim, int8: each row scaled so its largest
component is ±127), in parts named by ``sentence_parts.npy`` (the part numbers, in row order:
an update that only appends passages writes its sentences as a new part and keeps the old
parts, hard-linked, instead of copying gigabytes; past ``MAX_PARTS`` or after Whoosh renumbers
documents, one part is written again), ``sentence_scales.npy`` (float32 per sentence: the factor back to a unit vector) and
``sentence_offsets.npy`` (int64, documents + 1: the sentences of document ``d`` are rows
``offsets[d]:offsets[d + 1]``, in text order). A passage may have none (an index written before
sentence vectors existed, or a deleted document): it is then ranked by its passage vector alone.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .atomic import atomic_memmap, atomic_write
from .errors import IndexFormatError
from .vector_store import appended_layout, row_sources

PARTS = "sentence_parts.npy"
MAX_PARTS = 8
SCALES = "sentence_scales.npy"
OFFSETS = "sentence_offsets.npy"
NEW_SENTENCES = "new-sentences.f32"
BLOCK_ROWS = 65_536


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as int8 (largest component ±127) plus a float32 scale each that makes the int8 row a
    unit vector again (row ≈ int8 row × scale, same direction to cosine > 0.9999); zero rows stay zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(vectors).max(axis=1, keepdims=True) if len(vectors) else np.zeros((0, 1), np.float32)
    q = np.rint(vectors * (127.0 / np.where(peak > 0, peak, 1.0))).astype(np.int8)
    norms = np.linalg.norm(q.astype(np.float32), axis=1)
    return q, np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)


class NewSentences:
    """Sentence vectors embedded during an update, spooled to a raw float32 file, with counts."""

    def __init__(self, path: str | os.PathLike[str], dim: int) -> None:
        self.path = Path(path)
        self.dim = dim
        self.rows = 0
        self.counts: list[int] = []
        self._handle = open(self.path, "wb")  # noqa: SIM115 - closed in read()/discard()

    def append(self, vectors: np.ndarray, counts: Sequence[int]) -> None:
        """Add the sentences of some passages (``counts`` per passage, in order)."""
        block = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if len(block) != int(np.sum(counts)):
            raise IndexFormatError("internal error: sentence counts do not match the vectors")
        self._handle.write(block.tobytes())
        self.rows += len(block)
        self.counts.extend(int(c) for c in counts)

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        """All rows so far (memory-mapped) and the count per passage."""
        self._handle.flush()
        counts = np.array(self.counts, dtype=np.int64)
        if not self.rows:
            return np.zeros((0, self.dim), dtype=np.float32), counts
        return np.memmap(self.path, dtype=np.float32, mode="r", shape=(self.rows, self.dim)), counts

    def discard(self) -> None:
        """Close and delete the file."""
        self._handle.close()
        self.path.unlink(missing_ok=True)


def part_path(directory: str | os.PathLike[str], part: int) -> Path:
    """The file of sentence-vector part ``part``."""
    return Path(directory) / f"sentence_vectors.{part}.npy"


class SentenceStore:
    """The sentence vectors of a snapshot (memory-mapped parts)."""

    def __init__(self, parts: Sequence[np.ndarray], scales: np.ndarray, offsets: np.ndarray,
                 part_ids: Sequence[int] = ()) -> None:
        self.parts, self.part_ids = list(parts), list(part_ids)
        self.starts = np.concatenate([[0], np.cumsum([len(p) for p in self.parts], dtype=np.int64)]).astype(np.int64)
        total = int(self.starts[-1])
        if any(p.ndim != 2 for p in self.parts) or len(scales) != total or not len(offsets) or offsets[-1] != total:
            raise IndexFormatError(f"sentence vectors are inconsistent: {total} rows in {len(self.parts)} part(s), "
                                   f"{len(scales)} scales, offsets ending at {offsets[-1] if len(offsets) else None}")
        self.scales, self.offsets = scales, offsets

    @staticmethod
    def exists(directory: str | os.PathLike[str]) -> bool:
        """Whether ``directory`` holds sentence vectors."""
        return (Path(directory) / OFFSETS).exists()

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> SentenceStore:
        """Open the files in ``directory`` (vectors memory-mapped)."""
        directory = Path(directory)
        try:
            ids = [int(k) for k in np.load(directory / PARTS, allow_pickle=False)]
            parts = [np.load(part_path(directory, k), mmap_mode="r", allow_pickle=False) for k in ids]
            scales = np.load(directory / SCALES, mmap_mode="r", allow_pickle=False)
            offsets = np.load(directory / OFFSETS, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexFormatError(f"cannot read the sentence vectors in {directory}: {exc}",
                                   hint="run `newsdig rebuild`") from exc
        return cls(parts, scales, offsets, ids)

    @property
    def dim(self) -> int:
        """Vector dimension (0 for a store without parts)."""
        return int(self.parts[0].shape[1]) if self.parts else 0

    def rows(self, index: np.ndarray) -> np.ndarray:
        """The int8 rows at global sentence numbers ``index`` (any order), from whichever parts hold them."""
        index = np.asarray(index, dtype=np.int64)
        if len(self.parts) == 1:
            return np.asarray(self.parts[0][index])
        part = np.searchsorted(self.starts, index, side="right") - 1
        out = np.empty((len(index), self.dim), dtype=np.int8)
        for k in np.unique(part):
            mask = part == k
            out[mask] = self.parts[k][index[mask] - self.starts[k]]
        return out

    @property
    def documents(self) -> int:
        """Rows (keyword documents) the store covers."""
        return len(self.offsets) - 1

    def counts(self, rows: np.ndarray) -> np.ndarray:
        """Sentences held for each of ``rows`` (0 for rows past the end)."""
        rows = np.asarray(rows, dtype=np.int64)
        inside = rows < self.documents
        out = np.zeros(len(rows), dtype=np.int64)
        out[inside] = self.offsets[rows[inside] + 1] - self.offsets[rows[inside]]
        return out

    def similarities(self, query: np.ndarray, row: int) -> np.ndarray:
        """Cosine of a unit query vector with each sentence of document ``row``, in text order."""
        if row >= self.documents:
            return np.zeros(0, dtype=np.float32)
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        q = np.asarray(query, dtype=np.float32)
        return (self.rows(np.arange(start, end)).astype(np.float32) @ q) * self.scales[start:end]

    def best(self, query: np.ndarray, rows: Sequence[int]) -> dict[int, float]:
        """The best sentence similarity of each of ``rows`` that has sentences."""
        rows_a = np.asarray(list(rows), dtype=np.int64)
        counts = self.counts(rows_a)
        keep = counts > 0
        rows_a, counts = rows_a[keep], counts[keep]
        if not len(rows_a):
            return {}
        starts = self.offsets[rows_a]
        index = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        order = np.argsort(index, kind="stable")  # read the memory map in file order
        sims = np.empty(len(index), dtype=np.float32)
        picked = index[order]
        q = np.asarray(query, dtype=np.float32)
        sims[order] = (self.rows(picked).astype(np.float32) @ q) * self.scales[picked]
        best = np.maximum.reduceat(sims, np.concatenate([[0], np.cumsum(counts)[:-1]]))
        return {int(r): float(b) for r, b in zip(rows_a, best)}


def write_for_update(directory: str | os.PathLike[str], keys: np.ndarray, old_ids: np.ndarray | None,
                     new_keys: np.ndarray, new: tuple[np.ndarray, np.ndarray] | None, dim: int) -> SentenceStore:
    """An update's sentence store in ``directory``: documents ``keys`` (passage ids by document
    number, b"" deleted), from the new passages ``new_keys`` (``new``: their sentence vectors and
    counts) or the old snapshot's rows ``old_ids`` (its sentence files, cloned into ``directory``)."""
    new = new or (np.zeros((0, dim), np.float32), np.zeros(0, np.int64))
    old = SentenceStore.load(directory) if old_ids is not None and SentenceStore.exists(directory) else None
    old_ids = old_ids if old_ids is not None else np.zeros(0, dtype="S1")
    targets, source = row_sources(keys, old_ids, new_keys)
    return write_sentences(directory, len(keys), targets, source, new, old, np.flatnonzero(old_ids != b""), dim,
                           appended=appended_layout(keys, old_ids, new_keys))


def write_sentences(directory: str | os.PathLike[str], n_docs: int, targets: np.ndarray, source: np.ndarray,
                    new: tuple[np.ndarray, np.ndarray], old: SentenceStore | None,
                    old_live_rows: np.ndarray, dim: int, *, appended: bool = False) -> SentenceStore:
    """Write the sentence store of a snapshot with ``n_docs`` documents into ``directory``.

    ``targets``/``source`` come from :func:`indexer.vector_store.row_sources`: document
    ``targets[i]`` takes the sentences of new passage ``source[i]`` or, past the new ones, of old
    live row ``old_live_rows[source[i] - n_new]`` (none when the old snapshot had no sentences).
    ``new`` is ``(float32 vectors, count per new passage)``; they are quantized here.
    ``appended``: the old documents kept their numbers and the new ones follow in order (see
    :func:`indexer.vector_store.appended_layout`), so the old parts are kept as they are.
    """
    new_vectors, new_counts = new
    n_new = len(new_counts)
    if appended and old is not None and old.documents == n_docs - n_new and len(old.part_ids) < MAX_PARTS:
        return _write_appended(Path(directory), old, new_vectors, new_counts)
    new_starts = np.concatenate([[0], np.cumsum(new_counts)[:-1]]).astype(np.int64) if n_new else np.zeros(0, np.int64)
    from_new = source < n_new
    counts = np.zeros(n_docs, dtype=np.int64)
    starts = np.zeros(len(targets), dtype=np.int64)  # where each target's sentences are read from
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

    scales = np.zeros(total, dtype=np.float32)

    def fill(out: np.ndarray) -> None:
        for out_rows, in_rows, new_mask in plan:
            if new_mask.any():
                rows, factors = quantize(np.asarray(new_vectors[in_rows[new_mask]], dtype=np.float32))
                out[out_rows[new_mask]], scales[out_rows[new_mask]] = rows, factors
            if (~new_mask).any():
                old_rows = in_rows[~new_mask]
                out[out_rows[~new_mask]] = old.rows(old_rows)  # type: ignore[union-attr]
                scales[out_rows[~new_mask]] = old.scales[old_rows]  # type: ignore[union-attr]

    part = max(old.part_ids, default=-1) + 1 if old is not None else 0
    atomic_memmap(part_path(directory, part), "int8", (total, dim), fill)
    return _finish(directory, [part], scales, offsets)


def _write_appended(directory: Path, old: SentenceStore, new_vectors: np.ndarray, new_counts: np.ndarray) -> SentenceStore:
    """The old parts kept as they are (hard-linked from the old snapshot; a document deleted by
    this update keeps its sentences, never read), the new passages' sentences in a new part."""
    n_old = int(old.offsets[-1])
    scales = [np.asarray(old.scales, dtype=np.float32)]
    parts = list(old.part_ids)
    if len(new_vectors):
        part = max(parts, default=-1) + 1

        def fill(out: np.ndarray) -> None:
            for start in range(0, len(new_vectors), BLOCK_ROWS):
                rows, factors = quantize(np.asarray(new_vectors[start:start + BLOCK_ROWS], dtype=np.float32))
                out[start:start + len(rows)] = rows
                scales.append(factors)

        atomic_memmap(part_path(directory, part), "int8", (len(new_vectors), old.dim), fill)
        parts.append(part)
    offsets = np.concatenate([old.offsets, n_old + np.cumsum(new_counts, dtype=np.int64)]).astype(np.int64)
    return _finish(directory, parts, np.concatenate(scales), offsets)


def _finish(directory: Path, parts: list[int], scales: np.ndarray, offsets: np.ndarray) -> SentenceStore:
    """Write the part list, scales and offsets; remove part files the new list does not name."""
    atomic_write(directory / SCALES, lambda f: np.save(f, scales, allow_pickle=False))
    atomic_write(directory / OFFSETS, lambda f: np.save(f, offsets, allow_pickle=False))
    atomic_write(directory / PARTS, lambda f: np.save(f, np.array(parts, dtype=np.int64), allow_pickle=False))
    keep = {part_path(directory, k).name for k in parts}
    for path in directory.glob("sentence_vectors.*.npy"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
    return SentenceStore.load(directory)
