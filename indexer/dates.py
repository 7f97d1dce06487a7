"""Date normalisation: the many spellings found in news pages and feeds → ISO 8601. Pure functions."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

_MONTHS = {
    "jan": 1, "january": 1, "janvier": 1, "januar": 1, "enero": 1, "gennaio": 1, "janeiro": 1,
    "feb": 2, "february": 2, "fevrier": 2, "février": 2, "februar": 2, "febrero": 2,
    "febbraio": 2, "fevereiro": 2,
    "mar": 3, "march": 3, "mars": 3, "märz": 3, "marz": 3, "marzo": 3, "março": 3, "marco": 3,
    "apr": 4, "april": 4, "avril": 4, "abril": 4, "aprile": 4,
    "may": 5, "mai": 5, "mayo": 5, "maggio": 5, "maio": 5,
    "jun": 6, "june": 6, "juin": 6, "juni": 6, "junio": 6, "giugno": 6, "junho": 6,
    "jul": 7, "july": 7, "juillet": 7, "juli": 7, "julio": 7, "luglio": 7, "julho": 7,
    "aug": 8, "august": 8, "août": 8, "aout": 8, "agosto": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9, "septiembre": 9, "settembre": 9,
    "setembro": 9,
    "oct": 10, "october": 10, "octobre": 10, "oktober": 10, "octubre": 10, "ottobre": 10,
    "outubro": 10,
    "nov": 11, "november": 11, "novembre": 11, "noviembre": 11, "novembro": 11,
    "dec": 12, "december": 12, "décembre": 12, "decembre": 12, "dezember": 12, "diciembre": 12,
    "dicembre": 12, "dezembro": 12,
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7,
    "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}  # fmt: skip
# Offsets of the time-zone abbreviations common in English-language news, in minutes.
_ZONES = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "wet": 0, "bst": 60, "cet": 60, "cest": 120,
    "eet": 120, "eest": 180, "msk": 180, "ist": 330, "jst": 540, "kst": 540,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
    "pst": -480, "pdt": -420, "aest": 600, "aedt": 660,
}  # fmt: skip

_ISO = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
    re.I,
)
_YMD = re.compile(r"\b(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_CJK = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")
_NUMERIC = re.compile(r"\b(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})\b")
_TIME = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?\s*([ap]\.?m\.?)?(?![\w:])", re.I
)
_OFFSET = re.compile(r"(?:\b(?:gmt|utc)\s*)?([+-])(\d{2}):?(\d{2})\b", re.I)
_WORD = re.compile(r"[^\W\d_]+\.?|\d+(?:st|nd|rd|th)?", re.I)


def normalize_date(value: str) -> str | None:
    """Any common date spelling → ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SS[+HH:MM]``; else None.

    Accepts ISO 8601, RFC 2822 (``Tue, 03 Mar 1987 09:12:00 GMT``), ``3-MAR-1987 09:12:00.00``,
    ``March 3, 1987``, ``3 March 1987``, ``1987/03/03``, ``03/04/1987`` (US order unless the
    first number is over 12; dotted dates are day first) and unix seconds (or milliseconds)
    written as digits. The time zone is kept when known.
    """
    text = " ".join((value or "").split())
    if not text:
        return None
    if text.isdigit():
        return _from_digits(text)
    match = _ISO.match(text)
    if match:
        y, mo, d, h, mi, s, tz = match.groups()
        offset = _parse_offset(tz) if tz else None
        clock = (int(h), int(mi), int(s or 0)) if h else None
        return _format(int(y), int(mo), int(d), clock, offset)
    return _parse_loose(text)


def _from_digits(text: str) -> str | None:
    """``YYYYMMDD`` or unix seconds / milliseconds."""
    if len(text) == 8 and text[:2] in ("19", "20"):
        return _format(int(text[:4]), int(text[4:6]), int(text[6:]), None, None)
    if len(text) < 9:  # a year or a count, not a moment (9 digits of seconds reach back to 1973)
        return None
    seconds = int(text)
    if seconds >= 10**11:
        seconds //= 1000
    try:
        moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return _format(moment.year, moment.month, moment.day, (moment.hour, moment.minute, moment.second), 0)


def _parse_offset(tz: str) -> int | None:
    """Minutes east of UTC for ``Z``, ``+05:30``, ``-0500``, ``+01``."""
    if tz.upper() in ("Z", "UTC", "GMT"):
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        return None
    return sign * (hours * 60 + minutes)


def _parse_loose(text: str) -> str | None:
    """Dates written with month names, slashes or dots, with an optional time and zone."""
    clock, offset, rest = _take_time(text)
    ymd = _YMD.search(rest)
    if ymd:
        return _format(int(ymd[1]), int(ymd[3]), int(ymd[4]), clock, offset)
    cjk = _CJK.search(rest)
    if cjk:
        return _format(int(cjk[1]), int(cjk[2]), int(cjk[3]), clock, offset)
    numeric = _NUMERIC.search(rest)
    if numeric:
        first, sep, second, y = int(numeric[1]), numeric[2], int(numeric[3]), numeric[4]
        year = int(y) if len(y) == 4 else _century(int(y))
        # Slashes are month first (US) unless that cannot be; dots and dashes are day first.
        if sep == "/" and first <= 12:
            return _format(year, first, second, clock, offset)
        return _format(year, second, first, clock, offset)
    found = _month_name_date(rest)
    return _format(*found, clock, offset) if found else None


def _month_name_date(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) from words: "March 3, 1987", "3rd of March 1987", "Tue 3 Mar 87"."""
    month: int | None = None
    year: int | None = None
    day: int | None = None
    for word in _WORD.findall(text.lower()):
        word = word.rstrip(".")
        if word in _MONTHS and month is None:
            month = _MONTHS[word]
        elif word[:1].isdigit():
            number = int(re.sub(r"\D", "", word))
            if len(word) == 4 and word.isdigit() and year is None:
                year = number
            elif 1 <= number <= 31 and day is None:
                day = number
            elif year is None and word.isdigit() and len(word) == 2:
                year = _century(number)
    if month is None or year is None or day is None:
        return None
    return year, month, day


def _take_time(text: str) -> tuple[tuple[int, int, int] | None, int | None, str]:
    """Find a clock time and a time zone; return them and the text without them."""
    match = _TIME.search(text)
    if not match:
        return None, None, text
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    meridian = (match[4] or "").lower().replace(".", "")
    if meridian == "pm" and hour < 12:
        hour += 12
    elif meridian == "am" and hour == 12:
        hour = 0
    tail = text[match.end() :]
    offset: int | None = None
    off = _OFFSET.match(tail.strip())
    if off:
        value = _parse_offset(off[1] + off[2] + off[3])
        offset = value
    else:
        zone = re.match(r"\s*\(?([a-z]{1,4})\b", tail, re.I)
        if zone and zone[1].lower() in _ZONES:
            offset = _ZONES[zone[1].lower()]
    return (hour, minute, second), offset, text[: match.start()] + " " + tail


def _century(two_digits: int) -> int:
    """Two-digit years: 00–68 → 2000s, 69–99 → 1900s (the POSIX rule)."""
    return 2000 + two_digits if two_digits < 69 else 1900 + two_digits


def _format(
    year: int, month: int, day: int, clock: tuple[int, int, int] | None, offset: int | None
) -> str | None:
    """Validate and format; None for impossible dates or times."""
    try:
        day_part = date(year, month, day).isoformat()
    except ValueError:
        return None
    if clock is None:
        return day_part
    hour, minute, second = clock
    if hour > 23 or minute > 59 or second > 60:
        return day_part
    stamp = f"{day_part}T{hour:02d}:{minute:02d}:{min(second, 59):02d}"
    if offset is None:
        return stamp
    sign = "-" if offset < 0 else "+"
    return f"{stamp}{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
