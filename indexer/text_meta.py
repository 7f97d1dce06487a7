"""Metadata that plain-text scrapes carry in their first lines: a byline and a dateline.

    *By Priya Menon, Polar Science Weekly, 9 January 2026*   -> author, date
    SERRANO, 22 August 2024 — Farmers on the plains ...      -> date
"""

from __future__ import annotations

import re

from .dates import normalize_date

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
DATE = re.compile(rf"\b(?:\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})\b")
_BYLINE = re.compile(r"^\W*by\s+(?P<name>[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|van|von|da|and|&)){0,4})", re.I)
_DATELINE = re.compile(rf"^[A-Z][A-Za-z .'’-]{{1,40}},\s*(?P<date>{DATE.pattern})\s*[—–-]")
HEAD_LINES = 6  # how many non-empty lines under the headline may hold a byline


def scrape_metadata(lines: list[str]) -> tuple[str | None, str | None]:
    """``(published, author)`` from a byline among the first lines or a dateline opening the text."""
    published = author = None
    head = [line.strip() for line in lines if line.strip()][:HEAD_LINES]
    for line in head:
        byline = _BYLINE.match(line)
        if byline and len(line.split()) <= 20:
            name = byline["name"]
            author = name if name[:1].isupper() else None
            found = DATE.search(line)
            published = normalize_date(found.group(0)) if found else None
            break
    if published is None:
        for line in head:
            dateline = _DATELINE.match(line)
            if dateline:
                published = normalize_date(dateline["date"])
                break
    return published, author
