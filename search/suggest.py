""""Did you mean ...?": spelling corrections from the index's own (unstemmed) vocabulary."""

from __future__ import annotations

from collections.abc import Iterator

from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.spelling import Corrector

from .keyword import SEARCH_FIELDS, terms_within
from .query import ParsedQuery


# Suggestions keep the word's first letter (as Lucene's spell checker does by default): the edit
# distance walk over each segment's words is then ~6x shorter (certifictaes: 0.98 s -> 0.15 s at 91k
# passages), and few typos are in the first letter.
PREFIX = 1


class _SegmentCorrector(Corrector):
    """Whoosh's reader corrector (closest first, then most frequent), asking each segment on its
    own (see :func:`search.keyword.terms_within`)."""

    def __init__(self, reader: IndexReader, fieldname: str) -> None:
        self.reader, self.fieldname = reader, fieldname

    def _suggestions(self, text: str, maxdist: int, prefix: int) -> Iterator[tuple[float, str]]:
        spelling = self.reader.schema[self.fieldname].spelling_fieldname(self.fieldname)
        for word in terms_within(self.reader, spelling, text, maxdist, prefix):
            frequency = self.reader.frequency(self.fieldname, word) or 1
            yield 0 - (maxdist + (1.0 / frequency * 0.5)), word


def suggest(searcher: Searcher, parsed: ParsedQuery) -> str | None:
    """The query with unknown words replaced by close words of the index, or None if nothing changes."""
    if not list(parsed.scoring.iter_all_terms()):
        return None
    typed = " ".join(parsed.keyword_text.split()).lower()
    for maxdist in (1, 2):  # the closest spelling first, however common a farther one is
        try:
            correctors = {f: _SegmentCorrector(searcher.reader(), f) for f in SEARCH_FIELDS}
            correction = searcher.correct_query(parsed.scoring, parsed.keyword_text, correctors=correctors,
                                                maxdist=maxdist, prefix=PREFIX)
        except Exception:  # noqa: BLE001 - a suggestion is a nicety, never a failure
            return None
        corrected = " ".join(correction.string.split())
        if corrected and corrected.lower() != typed:
            fields = {f for f, _ in correction.query.iter_all_terms()}
            return corrected if fields & set(SEARCH_FIELDS) else None
    return None
