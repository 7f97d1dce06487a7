"""Sentence boundaries in clean text, as character spans. Pure and dependency-free."""

from __future__ import annotations

import re

# Words that end with a full stop without ending the sentence.
ABBREVIATIONS = frozenset("""
mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm gov sen rep rev hon pres
inc ltd co corp plc llc bros dept univ assn est approx vs etc al fig no nos vol pp ed eds
jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
ave blvd rd e.g i.e a.m p.m u.s u.k u.n e.u u.s.a
""".split())

# A candidate boundary: terminal punctuation (plus closing quotes/brackets) then whitespace,
# or a paragraph break, or CJK full stops (which need no space after them).
_BOUNDARY = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s)|[。！？]+["'”’」』)\]]*|\n\s*\n""")
_WORD_BEFORE = re.compile(r"(\S+)$")
_LOOKBACK = 64  # characters searched back for the word before a full stop (abbreviations are short)
_NEXT_START = re.compile(r"\s*(\S)")


def _is_abbreviation(text: str, end: int) -> bool:
    """True when the full stop ending at ``end`` belongs to an abbreviation or an initial."""
    match = _WORD_BEFORE.search(text, max(0, end - _LOOKBACK), end)  # from 0 it was O(n²) per text
    if not match:
        return False
    word = match.group(1).rstrip(".").lower().lstrip("(\"'“‘")
    if word in ABBREVIATIONS:
        return True
    # Single letters ("J. Smith") and dotted acronyms ("U.S.") are not sentence ends.
    return len(word) == 1 and word.isalpha() or bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentences; each span is stripped of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        token = match.group(0)
        alone = match.start() > 0 and text[match.start() - 1].isspace()  # "word . word": tokenized text
        if token.startswith(".") and "\n" not in token and len(token.rstrip("\"'”’)]")) == 1 and not alone:
            if _is_abbreviation(text, match.start() + 1):
                continue
            nxt = _NEXT_START.match(text, end)
            if nxt and nxt.group(1).islower():
                continue  # "3.5 per cent" is split by \s only; "e.g. this" continues
        _append(text, start, end, spans)
        start = end
    _append(text, start, len(text), spans)
    return spans


def _append(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        left = start + (len(piece) - len(piece.lstrip()))
        spans.append((left, left + len(stripped)))


_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORDS = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")


def count_words(text: str) -> int:
    """Whitespace-separated words; each CJK character counts as one word."""
    return len(_WORDS.findall(text))
