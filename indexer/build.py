"""``newsdig index``: read inputs, clean, and feed articles into an :class:`IndexUpdate`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from .articles import ArticleError, make_article
from .ingest import DEFAULT_MAX_BYTES, InputReader, discover
from .layout import Manifest
from .lock import DEFAULT_TIMEOUT
from .records import Skipped
from .settings import BuildSettings
from .update import IndexUpdate, UpdateCounts


@dataclass(frozen=True)
class Progress:
    """Where a build stands, for progress bars."""

    bytes_done: int
    bytes_total: int
    articles: int
    chunks: int


@dataclass
class BuildReport:
    """The summary of one ``index`` run."""

    index_dir: str
    counts: UpdateCounts
    skipped: list[Skipped] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)
    manifest: Manifest | None = None
    seconds: float = 0.0

    @property
    def articles_seen(self) -> int:
        """Articles read from the inputs (indexed, unchanged or duplicate)."""
        c = self.counts
        return c.added + c.updated + c.unchanged + len(c.duplicates)


def index_paths(index_dir: str | os.PathLike[str], paths: list[str], *, model: str | None = None,
                settings: BuildSettings | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                stdin: BinaryIO | None = None, lock_timeout: float = DEFAULT_TIMEOUT,
                progress: Callable[[Progress], None] | None = None) -> BuildReport:
    """Index (or re-index) the articles under ``paths`` into ``index_dir``, committing once at the end.

    Articles that are new or changed are cleaned, chunked and embedded; unchanged ones are left
    as they are. Inputs that cannot be read are reported in ``BuildReport.skipped``.
    """
    started = time.perf_counter()
    found = discover(paths, exclude=[index_dir])
    report = BuildReport(str(index_dir), UpdateCounts(), list(found.skipped), dict(found.ignored))
    reader = InputReader(found.files, max_bytes=max_bytes, stdin=stdin)
    with IndexUpdate(index_dir, model=model, settings=settings, lock_timeout=lock_timeout) as update:
        report.counts = update.counts
        seen: dict[str, str] = {}
        for item in reader:
            if isinstance(item, Skipped):
                report.skipped.append(item)
                continue
            try:
                article = make_article(item)
            except ArticleError as exc:
                report.skipped.append(Skipped(item.path, str(exc), item.line))
                continue
            outcome = update.add(article, raw={"kind": item.kind, **item.fields})
            if outcome == "repeated":
                report.skipped.append(Skipped(item.path, f"id {article.article_id!r} appears again "
                                                         f"(first at {seen[article.article_id]})", item.line))
            seen.setdefault(article.article_id, item.where)
            if progress is not None:
                progress(Progress(reader.bytes_read, found.total_bytes, report.articles_seen,
                                  update.counts.chunks))
        if update.changed:
            report.manifest = update.commit()
    report.seconds = time.perf_counter() - started
    return report
