"""Clean article text → sentence-aware, overlapping passages with character offsets. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .records import Chunk
from .sentences import count_words, sentence_spans

_WORD_SPANS = re.compile(r"\S+")


@dataclass(frozen=True)
class ChunkSettings:
    """How articles are cut into passages (recorded in the index manifest)."""

    max_words: int = 160      # a passage never grows past this by adding a sentence
    min_words: int = 60       # a shorter final passage is merged into the previous one if it fits
    overlap_words: int = 40   # the last sentence(s) of a passage, up to this many words, open the next

    def as_dict(self) -> dict[str, int]:
        """JSON-ready form for the manifest."""
        return {"max_words": self.max_words, "min_words": self.min_words,
                "overlap_words": self.overlap_words}


def _pieces(text: str, max_words: int) -> list[tuple[int, int, int]]:
    """Sentence spans with word counts; sentences longer than ``max_words`` are cut into windows."""
    pieces: list[tuple[int, int, int]] = []
    for start, end in sentence_spans(text):
        words = count_words(text[start:end])
        if words <= max_words:
            pieces.append((start, end, words))
            continue
        tokens = [m.span() for m in _WORD_SPANS.finditer(text, start, end)]
        if len(tokens) <= 1:  # one unbroken run (CJK): cut by characters
            step = max_words
            for s in range(start, end, step):
                pieces.append((s, min(end, s + step), count_words(text[s:min(end, s + step)])))
            continue
        for i in range(0, len(tokens), max_words):
            window = tokens[i:i + max_words]
            pieces.append((window[0][0], window[-1][1], len(window)))
    return pieces


def chunk_text(article_id: str, text: str, settings: ChunkSettings = ChunkSettings()) -> list[Chunk]:
    """Cut ``text`` into passages of whole sentences, about ``max_words`` long, with overlap."""
    pieces = _pieces(text, settings.max_words)
    groups: list[list[int]] = []  # indices into pieces
    current: list[int] = []
    words = 0
    for i, (_, _, n) in enumerate(pieces):
        if current and words + n > settings.max_words:
            groups.append(current)
            current, words = _overlap(pieces, current, settings.overlap_words, n, settings.max_words)
        current.append(i)
        words += n
    if current:
        if groups and words - _overlap_words(pieces, current, groups[-1]) < settings.min_words:
            merged = sorted(set(groups[-1]) | set(current))
            if sum(pieces[i][2] for i in merged) <= settings.max_words + settings.min_words:
                groups[-1] = merged
                current = []
        if current:
            groups.append(current)
    chunks = []
    for position, group in enumerate(groups):
        start, end = pieces[group[0]][0], pieces[group[-1]][1]
        chunks.append(Chunk(f"{article_id}#{position}", article_id, position, text[start:end], start, end))
    return chunks


def _overlap(pieces: list[tuple[int, int, int]], group: list[int], budget: int,
             incoming: int, max_words: int) -> tuple[list[int], int]:
    """The tail sentences of ``group`` (at most ``budget`` words) that open the next passage."""
    tail: list[int] = []
    words = 0
    for i in reversed(group[1:]):  # never carry the whole group over
        n = pieces[i][2]
        if words + n > budget or words + n + incoming > max_words:
            break
        tail.insert(0, i)
        words += n
    return tail, words


def _overlap_words(pieces: list[tuple[int, int, int]], current: list[int], previous: list[int]) -> int:
    return sum(pieces[i][2] for i in current if i in previous)
