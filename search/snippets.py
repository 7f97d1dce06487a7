"""Snippets: the best sentence(s) of a passage, with query terms marked ``[[like this]]``.

Terms are found with the index's own analyzer, so "talks" in the text matches the query word
"talk". A sentence is chosen by the query terms it holds and, when given, by its semantic
similarity to the query (so a hit found only by meaning shows its most similar sentence).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from indexer.analysis import text_analyzer
from indexer.sentences import sentence_spans

OPEN, CLOSE = "[[", "]]"
MAX_CHARS = 300
ELLIPSIS = "…"
TERM_BONUS = 0.15
_analyzer = text_analyzer()


def query_terms(text: str) -> frozenset[str]:
    """The analysed (lower-cased, stemmed, stop-word-free) terms of a plain-text query."""
    return frozenset(token.text for token in _analyzer(text))


def match_spans(text: str, terms: frozenset[str]) -> list[tuple[int, int, str]]:
    """``(start, end, term)`` of every token of ``text`` whose analysed form is a query term."""
    if not terms:
        return []
    return [token for token in _tokens(text) if token[2] in terms]


@functools.lru_cache(maxsize=256)
def _tokens(text: str) -> tuple[tuple[int, int, str], ...]:
    """Every analysed token of a text with its place (kept: a search looks at a hit's passage
    several times, to choose it, its sentence and its marks, and analysing costs ~1 ms)."""
    return tuple((t.startchar, t.endchar, t.text) for t in _analyzer(text, chars=True, mode="index"))


def sentence_keyword_scores(spans: Sequence[tuple[int, int]],
                            matches: Sequence[tuple[int, int, str]]) -> list[float]:
    """Per sentence: distinct query terms matched, plus a little for repeats."""
    scores = []
    for start, end in spans:
        inside = [term for s, e, term in matches if s >= start and e <= end]
        scores.append(len(set(inside)) + 0.1 * len(inside))
    return scores


def best_window(text: str, spans: Sequence[tuple[int, int]], scores: Sequence[float],
                max_chars: int = MAX_CHARS) -> tuple[int, int]:
    """The best sentence, widened with its neighbours (next ones first) up to ``max_chars``."""
    if not spans:
        return 0, min(len(text), max_chars)
    best = max(range(len(spans)), key=lambda i: (scores[i], -i))
    lo = hi = best
    while hi + 1 < len(spans) and spans[hi + 1][1] - spans[lo][0] <= max_chars:
        hi += 1
    while lo > 0 and spans[hi][1] - spans[lo - 1][0] <= max_chars:
        lo -= 1
    return spans[lo][0], spans[hi][1]


def render(text: str, start: int, end: int, matches: Sequence[tuple[int, int, str]],
           max_chars: int = MAX_CHARS) -> str:
    """``text[start:end]`` with matches marked; cut to ``max_chars`` around the first match."""
    if end - start > max_chars:
        inside = [s for s, e, _ in matches if s >= start and e <= end]
        centre = inside[0] if inside else start
        start = max(start, min(centre - max_chars // 3, end - max_chars))
        end = min(end, start + max_chars)
        while start > 0 and start < end and not text[start - 1].isspace():
            start += 1  # do not start inside a word
        while end < len(text) and end > start and not text[end].isspace():
            end -= 1
    out: list[str] = []
    pos = start
    for s, e, _ in matches:
        if s < pos or e > end:
            continue
        out.append(text[pos:s])
        out.append(f"{OPEN}{text[s:e]}{CLOSE}")
        pos = e
    out.append(text[pos:end])
    snippet = " ".join("".join(out).split())
    prefix = ELLIPSIS if start > 0 and not _starts_sentence(text, start) else ""
    suffix = ELLIPSIS if end < len(text.rstrip()) and text[end - 1] not in ".!?。\"”’" else ""
    return f"{prefix}{snippet}{suffix}"


def _starts_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?。\"”’\n"


def mark_all(text: str, terms: frozenset[str]) -> str:
    """The whole of a short text (a headline) with the query's terms marked, spaces collapsed."""
    return render(text, 0, len(text), match_spans(text, terms), max_chars=max(1, len(text)))


def make_snippet(text: str, terms: frozenset[str], *, semantic: Sequence[float] | None = None,
                 max_chars: int = MAX_CHARS) -> str:
    """The snippet of a passage for a query.

    ``semantic``, when given, holds the similarity of each sentence of ``sentence_spans(text)``
    to the query; it then leads the choice, with query terms as a tie-breaker.
    """
    spans = sentence_spans(text)
    matches = match_spans(text, terms)
    keyword = sentence_keyword_scores(spans, matches)
    if semantic is not None and len(semantic) == len(spans):
        # Meaning leads; the share of the query's terms a sentence holds adds up to 0.15.
        scores = [s + TERM_BONUS * k / max(1, len(terms)) for s, k in zip(semantic, keyword)]
    else:
        scores = keyword
    start, end = best_window(text, spans, scores, max_chars)
    return render(text, start, end, matches, max_chars)
