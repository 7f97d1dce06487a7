"""Late-interaction rerank of the top hits (``--rerank N``; the top 10 by default where the index
has token codes).

Each content word piece of the query is matched to the most similar token of a hit's passage,
both as the index's own model sees them in context (MaxSim, as in ColBERT, here with a model
trained for pooled vectors); the mean over the query's pieces is mixed with the fused score,
both min-max normalised over the reranked hits. A passage's token states come from the index's
token codes (:mod:`indexer.token_store`: about 0.4 ms a passage to decode, so the rerank of the
top ``RERANK_DEPTH`` hits is on by default where an index has them); a passage without codes
(an older index) is read by the model again, about 0.16 s a passage on two CPU cores. Measured in
README's "Late-interaction rerank".
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from indexer.analysis import text_analyzer
from indexer.embed import passage_prefix
from indexer.errors import QueryError

from . import fusion
from .reader import IndexReader

RERANK_MIX = 0.3        # share of the token match in a reranked hit's new score
RERANK_DEPTH = 10       # top hits reordered by default (where the index has token codes)
CACHED_PASSAGES = 1000  # token states kept per searcher (float16, ~170 kB a passage): eval repeats passages
Ranked = list[tuple[str, tuple[float, int]]]  # as search.ranker: (article id, (score, docnum))
_analyzer = text_analyzer()


def content_mask(pieces: Sequence[str]) -> np.ndarray:
    """Which word pieces carry content: not punctuation, not a stop word (a piece continuing a
    word, ``##ing``, counts). All of them when none does."""
    keep = np.array([any(ch.isalnum() for ch in p) and (p.startswith("##") or any(True for _ in _analyzer(p)))
                     for p in pieces], dtype=bool)
    return keep if keep.any() else np.ones(len(pieces), dtype=bool)


def maxsim(query: np.ndarray, passage: np.ndarray) -> float:
    """Mean over the query's unit token vectors of the best cosine with a passage token."""
    if not len(query) or not len(passage):
        return 0.0
    return float((np.asarray(query, dtype=np.float32) @ np.asarray(passage, dtype=np.float32).T).max(axis=1).mean())


def mixed_order(scores: Sequence[float], matches: Sequence[float], mix: float = RERANK_MIX) -> np.ndarray:
    """Order of hits by ``(1 - mix) × score + mix × match``, both min-max normalised (stable)."""
    fused, match = fusion.minmax(dict(enumerate(scores))), fusion.minmax(dict(enumerate(matches)))
    return np.argsort([-((1 - mix) * fused[i] + mix * match[i]) for i in range(len(fused))], kind="stable")


def reordered(depth: int, match: float) -> str:
    """``--explain``'s words for a reranked hit."""
    return (f"then the top {depth} reordered by {1 - RERANK_MIX:.1f} x fused + {RERANK_MIX:.1f} x token match "
            f"{match:.4f} (each min-max over them)")


class Reranker:
    """Reorders the top hits of a ranking by late interaction with the query."""

    def __init__(self, encoder: object, passage_text: Callable[[int], str],
                 stored: Callable[[int], np.ndarray | None] = lambda docnum: None,
                 turn: Callable[[np.ndarray], np.ndarray] = lambda states: states) -> None:
        """``passage_text(docnum)``: the text the index embedded; ``stored(docnum)``: the
        passage's token states from the index (None or none: read it with the model), in a space that
        ``turn`` takes the query's states to (see :meth:`indexer.token_store.Codebook.turn`)."""
        if not hasattr(encoder, "token_states"):
            raise QueryError(f"--rerank needs a transformer model; the index's model ({getattr(encoder, 'name', '?')}) "
                             "gives no token states", hint="search with --rerank 0")
        self.encoder, self.passage_text, self.stored, self.turn = encoder, passage_text, stored, turn
        self._states: OrderedDict[int, np.ndarray] = OrderedDict()
        self.matches: dict[int, float] = {}  # docnum -> token match, of the last call

    def __call__(self, ranked: Ranked, query: str, depth: int,
                 query_tokens: tuple[np.ndarray, list[str]] | None = None) -> Ranked:
        """``ranked`` with its first ``depth`` hits reordered; they keep their scores' falling
        order (the best score goes to the new first), so scores still fall down the list.
        ``query_tokens``: the query's token states and pieces, when already computed."""
        top = ranked[:depth]
        if len(top) < 2 or not query.strip():
            return ranked
        states, pieces = query_tokens or self.encoder.token_states([query])[0]  # type: ignore[attr-defined]
        q = states[content_mask(pieces)]
        docs = [d for _, (_, d) in top]
        passages, kept = self._passages(docs)
        turned = self.turn(q) if kept else q
        self.matches = {d: maxsim(turned if d in kept else q, s) for d, s in zip(docs, passages)}
        order = mixed_order([s for _, (s, _) in top], [self.matches[d] for d in docs])
        scores = sorted((s for _, (s, _) in top), reverse=True)
        return [(top[i][0], (scores[n], top[i][1][1])) for n, i in enumerate(order)] + ranked[depth:]

    def clear_cache(self) -> None:
        """Forget the passages' token states read so far."""
        self._states.clear()

    def _passages(self, docs: list[int]) -> tuple[list[np.ndarray], set[int]]:
        """Token states of passages and which came from the index (turned); the others come
        from the cache or the model (in one call), and the cache then drops its least recently
        used passages past CACHED_PASSAGES."""
        kept = {d: s for d in dict.fromkeys(docs) for s in [self.stored(d)] if s is not None and len(s)}
        if len(kept) == len(set(docs)):
            return [kept[d] for d in docs], set(kept)
        wanted = [d for d in dict.fromkeys(docs) if d not in kept]
        for d in wanted:
            if d in self._states:
                self._states.move_to_end(d)
        missing = [d for d in wanted if d not in self._states]
        if missing:
            for d, (states, _) in zip(missing, self.encoder.token_states([self.passage_text(d) for d in missing])):  # type: ignore[attr-defined]
                self._states[d] = states.astype(np.float16)
        found = [kept[d] if d in kept else self._states[d] for d in docs]
        while len(self._states) > CACHED_PASSAGES:
            self._states.popitem(last=False)
        return found, set(kept)


def passage_text(reader: IndexReader, docnum: int) -> str:
    """A passage's text as the index embedded it (headline first, unless the index says not)."""
    stored = reader.chunk_fields(docnum)
    return passage_prefix(stored.get("title"), bool(reader.manifest.settings.get("embed_title", True))) + \
        stored.get("body", "")


def index_reranker(reader: IndexReader, encoder: object) -> Reranker:
    """A :class:`Reranker` over an index: passages' token states decoded from its token codes
    (in the codebook's turned space, the query's states turned to match), else read by ``encoder``."""
    tokens = reader.tokens
    if tokens is None:
        return Reranker(encoder, lambda d: passage_text(reader, d))

    def stored(docnum: int) -> np.ndarray:  # no rows (a passage without codes): the model reads it
        return tokens.states(docnum, turned=True)

    return Reranker(encoder, lambda d: passage_text(reader, d), stored, tokens.codebook.turn)
