"""Whoosh indexes inside a snapshot: ``chunks`` (searched) and ``articles`` (the article store)."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import numpy as np
from whoosh.index import EmptyIndexError, FileIndex

from .analysis import ARTICLE_INDEX, CHUNK_INDEX, article_schema, chunk_schema
from .errors import IndexFormatError
from .mapped_files import MappedStorage
from .vector_store import encode_ids

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


def segment_ids(index: FileIndex, ids: np.ndarray) -> dict[str, np.ndarray]:
    """``{segment id: its documents' passage ids}``, cut from ``ids`` (by document number) by the
    index's current segments: what :func:`chunk_keys_by_docnum` can reuse after an update."""
    out: dict[str, np.ndarray] = {}
    with index.reader() as reader:
        for sub, offset in reader.leaf_readers():
            count = sub.doc_count_all()
            if offset + count <= len(ids):
                out[sub.segment().segment_id()] = ids[offset:offset + count]
    return out


def chunk_keys_by_docnum(index: FileIndex, known: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """The passage id of every keyword document number as UTF-8 bytes (b"" for deleted ones).

    The ids of a segment in ``known`` (see :func:`segment_ids`) are reused, with the deletions
    made since; only new or merged segments have their column read, one document at a time.
    """
    parts: list[np.ndarray] = []
    with index.reader() as reader:
        for sub, _ in reader.leaf_readers():
            count = sub.doc_count_all()
            reused = (known or {}).get(sub.segment().segment_id())
            if reused is not None and len(reused) == count:
                ids = np.array(reused)
            else:
                ids = encode_ids([v.decode("utf-8") if isinstance(v, bytes) else str(v)
                                  for v in sub.column_reader("chunk_id")]) if count else np.zeros(0, dtype="S1")
            if sub.has_deletions():
                dead = np.fromiter(sub.segment().deleted_docs(), dtype=np.int64)
                ids[dead[dead < count]] = b""
            parts.append(ids)
    if not parts:
        return np.zeros(0, dtype="S1")
    width = max(p.dtype.itemsize for p in parts)
    return np.concatenate([p.astype(f"S{width}") for p in parts])


def chunk_ids_by_docnum(index: FileIndex) -> list[str]:
    """The passage id of every keyword document number ("" for deleted documents)."""
    return [key.decode("utf-8") for key in chunk_keys_by_docnum(index)]


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
