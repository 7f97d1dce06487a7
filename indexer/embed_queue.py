"""The embedding side of an update: passages queue up, one background thread embeds them batch
by batch while the caller goes on cleaning, chunking and writing Whoosh, and the vectors are
spooled to disk in the order the passages were queued."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .embed import Encoder
from .sentence_pooling import Spans, embed_with_sentences
from .sentence_store import NEW_SENTENCES, NewSentences
from .token_store import TokenCoder
from .vector_store import NewVectors

# Passages per encoder call. The encoder sorts a call's passages by length before batching, so a
# larger call pads less (MiniLM batches of 64 over news passages: 8 % padding at 256 passages per
# call, 2 % at 1,024); the first call is small so that embedding starts early, and each call
# doubles the next one's size up to FLUSH_PASSAGES. Memory stays bounded by one call.
FLUSH_PASSAGES = 1024
FIRST_FLUSH = 128


class EmbedQueue:
    """Passages waiting for their vectors; at most one batch is embedded at a time, in a thread.

    ``load(fast)`` returns the encoder (``fast``: a small final batch may use the quick-start
    numpy encoder); vectors go to a :class:`NewVectors` spool at ``spool_path`` and sentence
    vectors to a :class:`NewSentences` spool beside it; ``ids`` lists the passage ids of the
    spooled rows, in order. ``tokens``, when given, codes each passage's token states (in the
    encoder thread, as they come out of the forward pass).
    """

    def __init__(self, spool_path: Path, load: Callable[[bool], Encoder], batch_size: int,
                 tokens: TokenCoder | None = None) -> None:
        self.spool_path = spool_path
        self.tokens = tokens
        self.load = load
        self.batch_size = batch_size
        self.ids: list[str] = []
        self.spool: NewVectors | None = None
        self.sentence_spool: NewSentences | None = None
        self.encoder: Encoder | None = None
        self._pending: list[tuple[str, str, Spans]] = []  # (passage id, text to embed, its sentences)
        self._flush_at = FIRST_FLUSH
        self._pool: ThreadPoolExecutor | None = None
        self._job: tuple[list[str], Future] | None = None  # the batch being embedded
        self._loading: Future | None = None  # the model, loading in the encoder thread

    def add(self, passage_id: str, text: str, sentences: Spans) -> None:
        """Queue one passage (``sentences``: its sentences' character spans in ``text``); a full
        batch goes to the encoder thread."""
        self._pending.append((passage_id, text, sentences))
        if len(self._pending) >= min(self._flush_at, FLUSH_PASSAGES):
            self._flush_at *= 2
            self.flush()

    def flush(self, *, final: bool = False) -> None:
        """Hand the queued passages to the encoder thread (after collecting the batch in flight).

        ``final`` marks the last batch: when the whole update fits in one small batch (a few new
        articles) it is embedded at once with the numpy encoder, which starts in a fraction of a
        second instead of the seconds torch takes to import (same vectors, cosine > 0.99999).
        Otherwise the batch stays in flight until :meth:`wait`, so the caller's own finishing
        work (the Whoosh commits) overlaps with it.
        """
        if not self._pending:
            return
        fast = final and self.encoder is None and self._loading is None and len(self._pending) <= self.batch_size
        ids = [pid for pid, _, _ in self._pending]
        texts = [text for _, text, _ in self._pending]
        spans = [sp for _, _, sp in self._pending]
        self._pending = []
        self.wait()
        if fast:
            self.encoder = self.load(True)
            self._store(ids, self._embed(texts, spans))
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdig-embed")
        if self.encoder is None and self._loading is None:
            # The model loads (torch imports) in the encoder thread, while the caller goes on.
            self._loading = self._pool.submit(self.load, False)
        self._job = (ids, self._pool.submit(self._encode, texts, spans))

    def _encode(self, texts: list[str], spans: list[Spans]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.encoder is None and self._loading is not None:
            self.encoder = self._loading.result()
        return self._embed(texts, spans)

    def _embed(self, texts: list[str], spans: list[Spans]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Embed one batch; its token states (if coded) go to the coder in queue order."""
        assert self.encoder is not None
        if self.tokens is None:
            return embed_with_sentences(self.encoder, texts, spans, batch_size=self.batch_size)
        coder = self.tokens
        prepared: list[np.ndarray | None] = [None] * len(texts)

        def keep(i: int, states: np.ndarray, pieces: list[str]) -> None:
            prepared[i] = coder.prepare(states)

        result = embed_with_sentences(self.encoder, texts, spans, batch_size=self.batch_size, on_tokens=keep)
        coder.push(prepared)
        return result

    def wait(self) -> None:
        """Collect the batch in flight (re-raising its error, if any)."""
        if self._job is not None:
            ids, future = self._job
            self._job = None
            self._store(ids, future.result())

    def finish(self) -> np.ndarray | None:
        """Wait for everything and return the new vectors in queue order (None: nothing embedded)."""
        self.flush(final=True)
        self.wait()
        self.stop()
        return self.spool.read() if self.spool else None

    def sentences(self) -> tuple[np.ndarray, np.ndarray] | None:
        """After :meth:`finish`: the new sentence vectors and the count per passage (None: nothing embedded)."""
        return self.sentence_spool.read() if self.sentence_spool else None

    def _store(self, ids: list[str], result: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
        vectors, sentences, counts = result
        self.ids.extend(ids)
        dim = int(vectors.shape[1]) if vectors.ndim == 2 else 0
        if self.spool is None:
            self.spool = NewVectors(self.spool_path, dim)
            self.sentence_spool = NewSentences(self.spool_path.with_name(NEW_SENTENCES), dim)
        self.spool.append(vectors)
        assert self.sentence_spool is not None
        self.sentence_spool.append(sentences, counts)

    def stop(self) -> None:
        """Stop the encoder thread (a batch not yet started is dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def discard(self) -> None:
        """Stop and delete the spool."""
        self.stop()
        if self.spool is not None:
            self.spool.discard()
        if self.sentence_spool is not None:
            self.sentence_spool.discard()
        if self.tokens is not None:
            self.tokens.discard()
