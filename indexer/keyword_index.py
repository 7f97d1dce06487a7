"""Whoosh indexes inside a snapshot: ``chunks`` (searched) and ``articles`` (the article store)."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from whoosh.index import EmptyIndexError, FileIndex

from .analysis import ARTICLE_INDEX, CHUNK_INDEX, article_schema, chunk_schema
from .errors import IndexFormatError
from .mapped_files import MappedStorage

WRITER_LIMIT_MB = 256


def create_indexes(directory: str | os.PathLike[str]) -> tuple[FileIndex, FileIndex]:
    """Create empty chunk and article indexes in ``directory``."""
    os.makedirs(directory, exist_ok=True)
    storage = MappedStorage(str(directory), readonly=False)
    return (storage.create_index(chunk_schema(), indexname=CHUNK_INDEX),
            storage.create_index(article_schema(), indexname=ARTICLE_INDEX))


def open_index(directory: str | os.PathLike[str], name: str) -> FileIndex:
    """Open one of the Whoosh indexes of a snapshot for reading, memory-mapped without copies."""
    try:
        return MappedStorage(str(directory)).open_index(indexname=name)
    except (EmptyIndexError, OSError) as exc:
        raise IndexFormatError(f"cannot open the keyword index in {directory}: {exc}",
                               hint="run `newsdig check`, or re-index into a new --index-dir") from exc


def open_writable(directory: str | os.PathLike[str], name: str) -> FileIndex:
    """Open a Whoosh index of a snapshot that is being built."""
    return MappedStorage(str(directory), readonly=False).open_index(indexname=name)


def chunk_ids_by_docnum(index: FileIndex) -> list[str]:
    """The passage id of every keyword document number ("" for deleted documents)."""
    ids: list[str] = []
    with index.reader() as reader:
        for sub, _ in reader.leaf_readers():  # segment by segment: a column is read whole
            deleted = sub.is_deleted if sub.has_deletions() else None
            for docnum, value in enumerate(sub.column_reader("chunk_id")):
                if deleted is not None and deleted(docnum):
                    ids.append("")
                else:
                    ids.append(value.decode("utf-8") if isinstance(value, bytes) else str(value))
    return ids


def to_datetime(iso: str | None) -> datetime | None:
    """An ISO 8601 date for Whoosh's DATETIME field (naive UTC), or None."""
    if not iso:
        return None
    try:
        value = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value
