"""Bytes → text: BOM and charset detection, binary detection. Pure functions."""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Control characters that never occur in text (tab, newlines, form feed and ESC excepted).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


class BinaryContentError(ValueError):
    """The bytes are not text in any encoding newsdig recognises."""


def detect_bom(data: bytes) -> tuple[str | None, int]:
    """The encoding named by a byte-order mark, and the mark's length (``(None, 0)`` if none)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return None, 0


def decode_bytes(data: bytes, *, html: bool = False) -> str:
    """Decode file contents: BOM, then UTF-8, then a declared HTML charset, then Windows-1252/Latin-1.

    Raises :class:`BinaryContentError` for binary data (NUL bytes or many control characters).
    """
    encoding, skip = detect_bom(data)
    if encoding:
        try:
            return _check_text(data[skip:].decode(encoding))
        except UnicodeDecodeError as exc:
            raise BinaryContentError(f"invalid {encoding} after a byte-order mark") from exc
    if b"\x00" in data[:65536]:
        raise BinaryContentError("binary file (NUL bytes)")
    try:
        return _check_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if html:
        declared = _META_CHARSET.search(data[:4096])
        if declared:
            try:
                return _check_text(data.decode(declared.group(1).decode("ascii")))
            except (LookupError, UnicodeDecodeError):
                pass
    try:
        return _check_text(data.decode("cp1252"))
    except UnicodeDecodeError:
        return _check_text(data.decode("latin-1"))


def _check_text(text: str) -> str:
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise BinaryContentError("binary file (control characters)")
    return text
