"""Sentence similarities for snippets: which sentence of a hit's passage answers the query when
its terms cannot choose, from the index's sentence vectors or, for a passage without them (an
older index), by encoding its sentences within a budget."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from indexer.sentence_store import SentenceStore
from indexer.sentences import sentence_spans

from .keyword import is_question
from .results import Candidates
from .snippets import match_spans

SEMANTIC_SNIPPETS = 1  # for a question: hits (from the top) whose snippet sentence is chosen by meaning too
SENTENCE_BUDGET = 8    # at most this many sentences are encoded per query for snippets (~25 ms each)
Encode = Callable[[list[str]], np.ndarray]


def snippet_sentence_scores(stored: SentenceStore | None, encode: Encode, bodies: list[str], docnums: list[int],
                            found: Candidates) -> list[list[float] | None]:
    """Similarity of each sentence of some passages to the query.

    Only where terms cannot pick the sentence: passages that hold no query term (matched by
    meaning only), and for a question the top hit (its answer is rarely the sentence with the
    most query words). The index's sentence vectors answer at once; a passage without them
    (an older index) has its sentences encoded, within a budget of sentences in rank order
    (about as costly as encoding the passage again: tens of ms on a laptop CPU).
    """
    if found.qvec is None:
        return [None] * len(bodies)
    spans = [sentence_spans(body) for body in bodies]
    top = SEMANTIC_SNIPPETS if is_question(found.text) else 0
    picked, budget = [], SENTENCE_BUDGET
    for i, (body, d) in enumerate(zip(bodies, docnums)):
        if i >= top and match_spans(body, found.terms):
            continue  # its terms pick the sentence
        if not has_sentences(stored, d, len(spans[i])):
            if len(spans[i]) > budget:
                continue
            budget -= len(spans[i])
        picked.append(i)
    sims = sentence_similarities(stored, encode, [docnums[i] for i in picked], [bodies[i] for i in picked],
                                 [spans[i] for i in picked], found.qvec)
    out: list[list[float] | None] = [None] * len(bodies)
    for i, own in zip(picked, sims):
        out[i] = own or None
    return out


def has_sentences(stored: SentenceStore | None, docnum: int, count: int) -> bool:
    """Whether the index holds vectors for exactly these ``count`` sentences of a passage."""
    return stored is not None and int(stored.counts([docnum])[0]) == count


def sentence_similarities(stored: SentenceStore | None, encode: Encode, docnums: list[int], bodies: list[str],
                          spans: list[list[tuple[int, int]]], qvec: np.ndarray) -> list[list[float]]:
    """Similarity to the query of each sentence (``spans`` of ``bodies``) of some passages:
    from the index's sentence vectors where it has them for a passage, else encoded."""
    out: list[list[float] | None] = [
        [float(x) for x in stored.similarities(qvec, d)] if stored is not None and has_sentences(stored, d, len(sp))
        else None for d, sp in zip(docnums, spans)]
    flat = [b[s:e] for b, sp, o in zip(bodies, spans, out) if o is None for s, e in sp]
    sims = iter(encode(flat) @ qvec if flat else [])
    return [o if o is not None else [float(next(sims)) for _ in sp] for o, sp in zip(out, spans)]
