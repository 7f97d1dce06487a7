"""Late-interaction rerank of the top hits (opt-in: ``--rerank N``).

Each content word piece of the query is matched to the most similar token of a hit's passage,
both as the index's own model sees them in context (MaxSim, as in ColBERT, here with a model
trained for pooled vectors); the mean over the query's pieces is mixed with the fused score,
both min-max normalised over the reranked hits. It runs the model over every reranked passage
(about 0.16 s each on two CPU cores), so it is not on by default; measured in README's
"Late-interaction rerank".
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from indexer.analysis import text_analyzer
from indexer.errors import QueryError

from . import fusion

RERANK_MIX = 0.3        # share of the token match in a reranked hit's new score
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

    def __init__(self, encoder: object, passage_text: Callable[[int], str]) -> None:
        if not hasattr(encoder, "token_states"):
            raise QueryError(f"--rerank needs a transformer model; the index's model ({getattr(encoder, 'name', '?')}) "
                             "gives no token states", hint="search without --rerank")
        self.encoder, self.passage_text = encoder, passage_text
        self._states: OrderedDict[int, np.ndarray] = OrderedDict()
        self.matches: dict[int, float] = {}  # docnum -> token match, of the last call

    def __call__(self, ranked: Ranked, query: str, depth: int) -> Ranked:
        """``ranked`` with its first ``depth`` hits reordered; they keep their scores' falling
        order (the best score goes to the new first), so scores still fall down the list."""
        top = ranked[:depth]
        if len(top) < 2 or not query.strip():
            return ranked
        states, pieces = self.encoder.token_states([query])[0]  # type: ignore[attr-defined]
        q = states[content_mask(pieces)]
        docs = [d for _, (_, d) in top]
        self.matches = {d: maxsim(q, s) for d, s in zip(docs, self._passages(docs))}
        order = mixed_order([s for _, (s, _) in top], [self.matches[d] for d in docs])
        scores = sorted((s for _, (s, _) in top), reverse=True)
        return [(top[i][0], (scores[n], top[i][1][1])) for n, i in enumerate(order)] + ranked[depth:]

    def clear_cache(self) -> None:
        """Forget the passages' token states read so far."""
        self._states.clear()

    def _passages(self, docs: list[int]) -> list[np.ndarray]:
        """Token states of passages, from the cache or the model (in one call); the cache then
        drops its least recently used passages past CACHED_PASSAGES."""
        wanted = list(dict.fromkeys(docs))
        for d in wanted:
            if d in self._states:
                self._states.move_to_end(d)
        missing = [d for d in wanted if d not in self._states]
        if missing:
            for d, (states, _) in zip(missing, self.encoder.token_states([self.passage_text(d) for d in missing])):  # type: ignore[attr-defined]
                self._states[d] = states.astype(np.float16)
        found = [self._states[d] for d in docs]
        while len(self._states) > CACHED_PASSAGES:
            self._states.popitem(last=False)
        return found
