"""The text analyzer fused into one loop, for writing the keyword index.

Whoosh runs :func:`indexer.analysis.text_analyzer` as a chain of five generators (tokenize,
lower-case, fold accents, drop stop words, stem), each touching every token, and analyzes every
passage twice (once for the postings, once unstemmed for the spelling words). Indexing spends
about a quarter of its keyword-writing time there. :class:`IndexingAnalyzer` gives the same
tokens with one regular-expression scan and one dictionary lookup per word (each distinct word
is lower-cased, folded, checked and stemmed once), and pickles as the Whoosh chain it replaces,
so the schema Whoosh writes into the index is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Token
from whoosh.analysis.analyzers import CompositeAnalyzer

from .analysis import WORD_PATTERN, text_analyzer

CACHE_WORDS = 200_000  # distinct words remembered per cache before it starts afresh
_STOPPED = None


class IndexingAnalyzer(CompositeAnalyzer):
    """The chain ``text_analyzer()`` (same items, same tokens), run as one fused loop.

    Calls with options the fused loop does not implement (character offsets, kept stop words,
    ``tokenize=False``...) run the chain.
    """

    def __init__(self, chain: CompositeAnalyzer) -> None:
        if chain != text_analyzer():
            raise ValueError("IndexingAnalyzer replaces only indexer.analysis.text_analyzer()")
        super().__init__(*chain.items)
        tokenizer, _lower, charset, stop, stem = self.items
        assert tokenizer.expression.pattern == WORD_PATTERN
        self._findall = re.compile(WORD_PATTERN.replace("(", "(?:")).findall  # whole matches
        self._charmap, self._stops, self._min, self._max = charset.charmap, stop.stops, stop.min, stop.max
        self._stem, self._ignore = stem._stem, stem.ignore
        self._words: dict[bool, dict[str, str | None]] = {False: {}, True: {}}

    def clean(self) -> None:
        """Forget the cached words (once the writer has added its documents)."""
        for words in self._words.values():
            words.clear()
        super().clean()

    def __reduce__(self) -> Any:
        # Pickled as the Whoosh chain it stands for: the schema in the index never names this class.
        return CompositeAnalyzer, tuple(self.items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompositeAnalyzer) and self.items == other.items

    __hash__ = None  # type: ignore[assignment]

    def __call__(self, value: str, positions: bool = False, chars: bool = False,  # type: ignore[override]
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "", no_morph: bool = False,
                 **kwargs: Any) -> Iterator[Token]:
        if chars or keeporiginal or not removestops or not tokenize \
                or any(key != "boosts" for key in kwargs):  # Whoosh's postings formats pass boosts=True
            return super().__call__(value, positions=positions, chars=chars, keeporiginal=keeporiginal,
                              removestops=removestops, start_pos=start_pos, start_char=start_char,
                              tokenize=tokenize, mode=mode, no_morph=no_morph, **kwargs)
        return self._tokens(value, positions, start_pos, mode, no_morph, kwargs)

    def _tokens(self, value: str, positions: bool, start_pos: int, mode: str,
                no_morph: bool, kwargs: dict[str, Any]) -> Iterator[Token]:
        assert isinstance(value, str), f"{value!r} is not unicode"
        words = self._words[no_morph]
        if len(words) > CACHE_WORDS:
            words.clear()
        token = Token(positions, False, removestops=True, mode=mode, **kwargs)
        token.boost, token.stopped = 1.0, False
        pos = None
        for index, raw in enumerate(self._findall(value)):
            word = words.get(raw, "")
            if word == "":
                word = words[raw] = self._analyze(raw, no_morph)
            if word is _STOPPED:
                continue
            if positions:
                # The tokenizer numbers every word; the stop filter renumbers the kept ones from
                # the first kept word's number on.
                pos = start_pos + index if pos is None else pos + 1
                token.pos = pos
            token.text = word
            yield token

    def _analyze(self, raw: str, no_morph: bool) -> str | None:
        text = raw.lower().translate(self._charmap)
        if len(text) < self._min or (self._max is not None and len(text) > self._max) \
                or text in self._stops:
            return _STOPPED
        if no_morph or text in self._ignore:
            return text
        return self._stem(text)


def fast_writer_analyzers(schema: Any) -> list[IndexingAnalyzer]:
    """Give ``schema``'s fields analyzed by ``text_analyzer()`` the fused analyzer (in place);
    returns the fused analyzers (``clean()`` them when the documents are added)."""
    reference, fused = text_analyzer(), []
    for _, field in schema.items():
        analyzer = getattr(field, "analyzer", None)
        if analyzer is not None and not isinstance(analyzer, IndexingAnalyzer) and analyzer == reference:
            field.analyzer = analyzer = IndexingAnalyzer(analyzer)
        if isinstance(analyzer, IndexingAnalyzer):
            fused.append(analyzer)
    return fused
