"""Sentence vectors out of the encoders: pooled from a passage's own forward pass where the
encoder can, else each sentence embedded as a text of its own (see :mod:`indexer.sentence_store`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Spans = Sequence[tuple[int, int]]


def embed_with_sentences(encoder: object, texts: Sequence[str], spans: Sequence[Spans], *,
                         batch_size: int = 32, on_tokens: Callable[[int, np.ndarray, list[str]], None] | None = None,
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(passage vectors, sentence vectors, sentences per passage)`` for ``texts``.

    ``spans[i]`` are the character spans of the sentences of ``texts[i]``. Encoders with an
    ``encode_with_sentences`` method pool them from the passage's own forward pass, and give
    each text's token states to ``on_tokens(i, states, pieces)`` (see
    :func:`indexer.numpy_encoder.late_pooled`); others embed each sentence as a text of its own
    and give no token states.
    """
    own = getattr(encoder, "encode_with_sentences", None)
    if own is not None:
        if on_tokens is not None:
            return own(texts, spans, batch_size=batch_size, on_tokens=on_tokens)  # type: ignore[no-any-return]
        return own(texts, spans, batch_size=batch_size)  # type: ignore[no-any-return]
    flat = [text[s:e] for text, sp in zip(texts, spans) for s, e in sp]
    both = np.asarray(encoder.encode([*texts, *flat], batch_size=batch_size), dtype=np.float32)  # type: ignore[attr-defined]
    return both[:len(texts)], both[len(texts):], np.array([len(sp) for sp in spans], dtype=np.int64)


def pool_spans(states: np.ndarray, offsets: Sequence[tuple[int, int]], special: Sequence[int],
               spans: Spans) -> np.ndarray:
    """Mean of the token states (tokens × dim) whose characters lie inside each span.

    ``offsets``/``special`` are the tokenizer's character offsets and special-token mask for
    the same tokens. A span with no token (cut off by the model's length limit) gets a zero row.
    """
    dim = states.shape[1]
    out = np.zeros((len(spans), dim), dtype=np.float32)
    if not len(spans):
        return out
    offs = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)[:len(states)]
    real = ~np.asarray(special, dtype=bool)[:len(states)] & (offs[:, 1] > offs[:, 0])
    for n, (start, end) in enumerate(spans):
        inside = real & (offs[:, 0] >= start) & (offs[:, 1] <= end)
        if inside.any():
            out[n] = states[inside].mean(axis=0)
    return out
