"""Read files, directories and stdin into :class:`RawRecord` items (or :class:`Skipped` reasons).

Formats: ``.html/.htm`` (saved pages), ``.txt`` (headline on the first non-empty line), ``.md``,
``.json`` (an object, a list of objects, or an object holding such a list), ``.jsonl``,
``.csv``/``.tsv`` with a header row, each optionally gzip-compressed (``.gz``), and ``-`` for
JSON lines on stdin.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .decode import BinaryContentError, decode_bytes
from .fields import map_fields
from .records import RawRecord, Skipped

FORMATS: dict[str, str] = {
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".txt": "text", ".text": "text",
    ".md": "markdown", ".markdown": "markdown",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".csv": "csv", ".tsv": "tsv",
}
STDIN = "-"
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_LIST_KEYS = ("articles", "items", "data", "results", "docs", "documents", "records")


def file_format(path: str | os.PathLike[str]) -> str | None:
    """The format name of a path by its extension (``.gz`` looked through), or None."""
    name = os.fspath(path).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return FORMATS.get(os.path.splitext(name)[1])


@dataclass
class Discovery:
    """The files found under the given paths, and what was passed over."""

    files: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)  # extension -> count, inside directories
    total_bytes: int = 0


def discover(paths: Iterable[str], *, exclude: Iterable[str | os.PathLike[str]] = ()) -> Discovery:
    """Expand files and directories (recursively, sorted, hidden entries skipped) into input files.

    Paths under ``exclude`` (the index directory itself) are never read.
    """
    found = Discovery()
    excluded = {os.path.realpath(p) for p in exclude}
    seen: set[str] = set()

    def add(path: str) -> None:
        real = os.path.realpath(path)
        if real in seen:
            return
        seen.add(real)
        found.files.append(path)
        try:
            found.total_bytes += os.path.getsize(path)
        except OSError:
            pass

    for arg in paths:
        if arg == STDIN:
            found.files.append(STDIN)
            continue
        if os.path.realpath(arg) in excluded:
            found.skipped.append(Skipped(arg, "is the index directory itself"))
        elif os.path.isdir(arg):
            for root, dirs, names in os.walk(arg):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                                 and os.path.realpath(os.path.join(root, d)) not in excluded)
                for name in sorted(names):
                    if name.startswith("."):
                        continue
                    path = os.path.join(root, name)
                    if file_format(name) is None:
                        found.ignored[Path(name).suffix.lower() or "(none)"] += 1
                    else:
                        add(path)
        elif os.path.isfile(arg):
            if file_format(arg) is None:
                suffix = Path(arg).suffix or "(no extension)"
                found.skipped.append(Skipped(arg, f"unsupported file type {suffix} "
                                                  f"(supported: {', '.join(sorted(set(FORMATS)))})"))
            else:
                add(arg)
        elif os.path.lexists(arg):
            found.skipped.append(Skipped(arg, "not a regular file or directory"))
        else:
            found.skipped.append(Skipped(arg, "no such file or directory"))
    return found


class InputReader:
    """Iterates :class:`RawRecord` / :class:`Skipped` items from discovered files.

    ``bytes_read`` grows as files are consumed, for progress reporting.
    """

    def __init__(self, files: list[str], *, max_bytes: int = DEFAULT_MAX_BYTES,
                 stdin: BinaryIO | None = None) -> None:
        self.files = files
        self.max_bytes = max_bytes
        self.stdin = stdin
        self.bytes_read = 0

    def __iter__(self) -> Iterator[RawRecord | Skipped]:
        for path in self.files:
            if path == STDIN:
                stream = self.stdin if self.stdin is not None else sys.stdin.buffer
                yield from _read_jsonl(STDIN, stream)
                continue
            try:
                yield from self._read_file(path)
            except OSError as exc:
                yield Skipped(path, _os_reason(exc))

    def _read_file(self, path: str) -> Iterator[RawRecord | Skipped]:
        fmt = file_format(path)
        size = os.path.getsize(path)
        if size > self.max_bytes:
            self.bytes_read += size
            yield Skipped(path, f"file is {size:,} bytes, over the limit of {self.max_bytes:,} "
                                "(raise it with --max-file-size)")
            return
        with open(path, "rb") as raw:
            stream: BinaryIO = gzip.open(raw) if path.lower().endswith(".gz") else raw  # type: ignore[assignment]
            try:
                if fmt == "jsonl":
                    yield from _read_jsonl(path, stream)
                    return
                data = stream.read(self.max_bytes + 1)
            except (gzip.BadGzipFile, EOFError) as exc:
                yield Skipped(path, f"not a valid gzip file ({exc})")
                return
            finally:
                self.bytes_read += size
        if len(data) > self.max_bytes:
            yield Skipped(path, f"uncompressed size is over the limit of {self.max_bytes:,} bytes")
            return
        if not data.strip():
            yield Skipped(path, "empty file")
            return
        try:
            text = decode_bytes(data, html=fmt == "html")
        except BinaryContentError as exc:
            yield Skipped(path, str(exc))
            return
        if fmt == "html":
            yield RawRecord(path, None, "html", {"html": text})
        elif fmt in ("text", "markdown"):
            yield RawRecord(path, None, fmt, {"text": text})
        elif fmt == "json":
            yield from _read_json(path, text)
        else:
            yield from _read_csv(path, text, "\t" if fmt == "tsv" else ",")


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "no such file or directory"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    return exc.strerror or str(exc)


def _record(path: str, line: int | None, obj: object, what: str) -> RawRecord | Skipped:
    if not isinstance(obj, dict):
        return Skipped(path, f"{what} is not a JSON object", line)
    fields = map_fields(obj)
    if not fields.get("text") and not fields.get("html"):
        return Skipped(path, f"{what} has no text (expected a text, body, content or html field)", line)
    return RawRecord(path, line, "record" if fields.get("text") else "html", fields)


def _read_jsonl(path: str, stream: BinaryIO) -> Iterator[RawRecord | Skipped]:
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(decode_bytes(raw))
        except (BinaryContentError, ValueError) as exc:
            yield Skipped(path, f"invalid JSON ({_short(exc)})", number)
            continue
        yield _record(path, number, obj, "line")


def _read_json(path: str, text: str) -> Iterator[RawRecord | Skipped]:
    try:
        obj = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        yield Skipped(path, f"invalid JSON ({_short(exc)})", line)
        return
    if isinstance(obj, dict):
        for key in _LIST_KEYS:
            if isinstance(obj.get(key), list):
                obj = obj[key]
                break
    if isinstance(obj, list):
        for number, item in enumerate(obj, start=1):
            yield _record(path, None, item, f"item {number}")
    else:
        yield _record(path, None, obj, "the document")


def _read_csv(path: str, text: str, delimiter: str) -> Iterator[RawRecord | Skipped]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        yield Skipped(path, "empty file")
        return
    except csv.Error as exc:
        yield Skipped(path, f"invalid CSV header ({exc})", 1)
        return
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Skipped(path, f"invalid CSV ({exc})", line)
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Skipped(path, f"row has {len(row)} fields, the header has {len(header)}", start)
            continue
        yield _record(path, start, dict(zip(header, row)), "row")


def _short(exc: Exception) -> str:
    return str(exc).split("\n", 1)[0][:200]
