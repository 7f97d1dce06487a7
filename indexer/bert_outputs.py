"""What the BERT encoders (numpy and torch) make of a forward pass's last-layer token states:
mean-pooled passage vectors, sentence vectors pooled from the passage's own states ("late
chunking", :mod:`indexer.sentence_store`), and the unit states of each token (the rerank's token
matches, :mod:`search.rerank`; kept as codes by :mod:`indexer.token_store`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .numpy_encoder import BertModel

TokenSink = Callable[[int, np.ndarray, list[str]], None]  # (text number, its unit token states, their pieces)
Forward = Callable[[list], tuple[np.ndarray, np.ndarray]]  # encodings -> (states, real-token mask)


def mean_pool(states: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the real tokens' states of each text (not yet normalised), as float32."""
    weights = np.asarray(mask, dtype=np.float32)[:, :, None]
    summed = (np.asarray(states, dtype=np.float32) * weights).sum(1)
    return summed / np.maximum(weights.sum(1), 1e-9)


def late_pooled(model: BertModel, forward: Forward,
                texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                batch_size: int, on_tokens: TokenSink | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(unit passage vectors, unit sentence vectors, sentences per text)`` from one forward pass
    per batch: a sentence's vector is the mean of its own tokens' states in the passage.
    ``on_tokens(i, states, pieces)`` receives the unit token states of text ``i`` and the word
    pieces they stand for (special tokens left out), batch by batch, in no particular order."""
    from .sentence_pooling import pool_spans
    from .vector_store import normalize_rows

    dim = model.dim
    counts = np.array([len(sp) for sp in spans], dtype=np.int64)
    vectors = np.zeros((len(texts), dim), dtype=np.float32)
    sentences = np.zeros((int(counts.sum()), dim), dtype=np.float32)
    if not len(texts):
        return vectors, sentences, counts
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    encodings, order = model.tokenize(texts)
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        states, mask = forward([encodings[i] for i in batch])
        states = np.asarray(states, dtype=np.float32)
        vectors[batch] = mean_pool(states, mask)
        for row, i in enumerate(batch):
            enc = encodings[i]
            n = len(enc.ids)
            sentences[starts[i]:starts[i] + counts[i]] = pool_spans(
                states[row, :n], enc.offsets, enc.special_tokens_mask, spans[i])
            if on_tokens is not None:
                keep = _content_tokens(enc)
                on_tokens(i, normalize_rows(states[row, keep]), [enc.tokens[j] for j in keep])
    return normalize_rows(vectors), normalize_rows(sentences), counts


def token_states(model: BertModel, forward: Forward,
                 texts: Sequence[str], batch_size: int = 16) -> list[tuple[np.ndarray, list[str]]]:
    """Per text: the unit last-layer states of its tokens (special tokens left out) and the word
    pieces they stand for, for late interaction (see :mod:`search.rerank`)."""
    return pooled_and_tokens(model, forward, texts, batch_size)[1]


def pooled_and_tokens(model: BertModel, forward: Forward,
                      texts: Sequence[str], batch_size: int = 16,
                      ) -> tuple[np.ndarray, list[tuple[np.ndarray, list[str]]]]:
    """Unit mean-pooled vectors of ``texts`` and, from the same forward pass, :func:`token_states`."""
    out: list[tuple[np.ndarray, list[str]]] = [(np.zeros((0, model.dim), dtype=np.float32), [])] * len(texts)

    def keep(i: int, states: np.ndarray, pieces: list[str]) -> None:
        out[i] = (states, pieces)

    vectors, _, _ = late_pooled(model, forward, texts, [()] * len(texts), batch_size, keep)
    return vectors, out


def _content_tokens(encoding: object) -> list[int]:
    """Positions of an encoding's tokens that are not special ([CLS], [SEP], padding)."""
    return [j for j, special in enumerate(encoding.special_tokens_mask) if not special]  # type: ignore[attr-defined]
