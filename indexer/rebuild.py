"""``newsdig rebuild``: re-clean, re-chunk and re-embed every article from its stored source.

The original files may be gone: each article's input fields are kept (compressed) in the
article store. The new index is built beside the current one and replaces it in one step.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from collections.abc import Callable, Iterator

from .analysis import ARTICLE_INDEX
from .build import BuildReport, Progress, feed
from .keyword_index import open_index
from .layout import snapshot_path
from .lock import DEFAULT_TIMEOUT
from .records import RawRecord
from .settings import BuildSettings
from .update import IndexUpdate, UpdateCounts


def stored_sources(update: IndexUpdate) -> Iterator[tuple[str, RawRecord]]:
    """``(article id, raw record)`` of every article of the index being replaced."""
    if update.previous is None:
        return
    index = open_index(snapshot_path(update.index_dir, update.previous.snapshot), ARTICLE_INDEX)
    with index.searcher() as searcher:
        for stored in searcher.all_stored_fields():
            yield stored["article_id"], _raw_record(stored)


def _raw_record(stored: dict) -> RawRecord:
    path = stored.get("path") or "-"
    try:
        fields = json.loads(zlib.decompress(stored["raw"]))
        kind = fields.pop("kind")
        if fields:
            return RawRecord(path, None, kind, {k: str(v) for k, v in fields.items()})
    except (KeyError, ValueError, TypeError, zlib.error):
        pass
    # No usable source: rebuild from the clean text that was indexed.
    fields = {k: str(stored[k]) for k in ("title", "published", "author", "source", "url") if stored.get(k)}
    return RawRecord(path, None, "record", {**fields, "text": stored.get("body") or ""})


def rebuild_index(index_dir: str | os.PathLike[str], *, model: str | None = None,
                  settings: BuildSettings | None = None, lock_timeout: float = DEFAULT_TIMEOUT,
                  progress: Callable[[Progress], None] | None = None, device: str = "cpu",
                  precision: str = "fp32", vectors: str | None = None) -> BuildReport:
    """Rebuild the whole index (optionally with another model, settings or vector type) and swap it in."""
    started = time.perf_counter()
    report = BuildReport(str(index_dir), UpdateCounts())
    with IndexUpdate(index_dir, model=model, settings=settings, lock_timeout=lock_timeout, fresh=True,
                     device=device, precision=precision, vectors=vectors) as update:
        report.counts = update.counts
        ids: dict[int, str] = {}

        def records() -> Iterator[RawRecord]:
            for n, (article_id, record) in enumerate(stored_sources(update)):
                ids[n] = article_id  # a rebuilt article keeps its id
                yield record

        feed(update, records(), report, progress=progress, ids=ids)
        report.manifest = update.commit()
    report.seconds = time.perf_counter() - started
    return report
