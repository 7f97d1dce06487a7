""""Did you mean ...?": spelling corrections from the index's own (unstemmed) vocabulary."""

from __future__ import annotations

from whoosh.searching import Searcher

from .keyword import SEARCH_FIELDS
from .query import ParsedQuery


def suggest(searcher: Searcher, parsed: ParsedQuery) -> str | None:
    """The query with unknown words replaced by close words of the index, or None if nothing changes."""
    if not list(parsed.scoring.iter_all_terms()):
        return None
    typed = " ".join(parsed.keyword_text.split()).lower()
    for maxdist in (1, 2):  # the closest spelling first, however common a farther one is
        try:
            correction = searcher.correct_query(parsed.scoring, parsed.keyword_text, maxdist=maxdist)
        except Exception:  # noqa: BLE001 - a suggestion is a nicety, never a failure
            return None
        corrected = " ".join(correction.string.split())
        if corrected and corrected.lower() != typed:
            fields = {f for f, _ in correction.query.iter_all_terms()}
            return corrected if fields & set(SEARCH_FIELDS) else None
    return None
