"""Sentence vectors: one int8 row per sentence of every passage, for ranking and snippets.

A passage vector averages its whole text; a question is often answered by one sentence of it.
The BERT encoders pool each sentence's own tokens out of the passage's forward pass ("late
chunking": the sentence is read in its context, at no extra encoder cost); other encoders embed
the sentences separately. The ranker mixes a passage's best sentence similarity into its
semantic score, and snippets pick the sentence most similar to the query without encoding
anything at query time.

Stored as ragged rows (:mod:`indexer.ragged_store`), aligned with the keyword document numbers
like the vector store: ``sentence_vectors.K.npy`` (sentences × dim, int8: each row scaled so
its largest component is ±127) in parts named by ``sentence_parts.npy``, ``sentence_scales.npy``
(float32 per sentence: the factor back to a unit vector) and ``sentence_offsets.npy``. A passage
may have none (an index written before sentence vectors existed, or a deleted document): it is
then ranked by its passage vector alone.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import ragged_store
from .ragged_store import MAX_PARTS, NewRows, RaggedFiles, RaggedStore

FILES = RaggedFiles("sentence", "sentence_vectors", "int8", scaled=True)
PARTS, SCALES, OFFSETS = FILES.parts, FILES.scales, FILES.offsets
NEW_SENTENCES = "new-sentences.f32"
__all__ = ["MAX_PARTS", "NEW_SENTENCES", "NewSentences", "SentenceStore", "part_path", "quantize", "write_for_update"]


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as int8 (largest component ±127) plus a float32 scale each that makes the int8 row a
    unit vector again (row ≈ int8 row × scale, same direction to cosine > 0.9999); zero rows stay zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(vectors).max(axis=1, keepdims=True) if len(vectors) else np.zeros((0, 1), np.float32)
    q = np.rint(vectors * (127.0 / np.where(peak > 0, peak, 1.0))).astype(np.int8)
    norms = np.linalg.norm(q.astype(np.float32), axis=1)
    return q, np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32)


class NewSentences(NewRows):
    """Sentence vectors embedded during an update, spooled to a raw float32 file, with counts."""

    def __init__(self, path: str | os.PathLike[str], dim: int) -> None:
        super().__init__(path, dim, "float32")
        self.dim = dim


def part_path(directory: str | os.PathLike[str], part: int) -> Path:
    """The file of sentence-vector part ``part``."""
    return FILES.part_path(directory, part)


class SentenceStore(RaggedStore):
    """The sentence vectors of a snapshot (memory-mapped parts)."""

    files = FILES
    scales: np.ndarray

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
    return ragged_store.write_for_update(SentenceStore, directory, keys, old_ids, new_keys, new, dim,
                                         quantize)  # type: ignore[return-value]
