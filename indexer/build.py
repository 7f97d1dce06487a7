"""``newsdig index`` / ``add``: read inputs, clean, and feed articles into an :class:`IndexUpdate`."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import BinaryIO

from .articles import ArticleError, make_article
from .errors import IndexNotFoundError
from .ingest import DEFAULT_MAX_BYTES, STDIN, InputReader, discover
from .layout import Manifest, index_exists
from .lock import DEFAULT_TIMEOUT
from .records import Article, RawRecord, Skipped
from .settings import BuildSettings
from .update import IndexUpdate, UpdateCounts


@dataclass(frozen=True)
class Progress:
    """Where a build stands, for progress bars: ``done`` of ``total`` ``unit`` (bytes or articles)."""

    done: int
    total: int
    articles: int
    chunks: int
    unit: str = "bytes"


@dataclass
class BuildReport:
    """The summary of one ``index``, ``add`` or ``rebuild`` run."""

    index_dir: str
    counts: UpdateCounts
    skipped: list[Skipped] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)
    manifest: Manifest | None = None
    seconds: float = 0.0
    pruned: list[tuple[str, str]] = field(default_factory=list)  # (article id, vanished source path)

    @property
    def articles_seen(self) -> int:
        """Articles read from the inputs (indexed, unchanged or duplicate)."""
        c = self.counts
        return c.added + c.updated + c.unchanged + len(c.duplicates)


def feed(update: IndexUpdate, items: Iterable[RawRecord | Skipped], report: BuildReport, *,
         progress: Callable[[Progress], None] | None = None, bytes_read: Callable[[], int] = lambda: 0,
         total_bytes: int = 0, ids: dict[int, str] | None = None) -> None:
    """Clean the records and add them to ``update`` in two passes: the first learns each site's
    repeated chrome paragraphs (``site_chrome``) and spools the clean articles to a temporary file,
    the second strips that chrome and adds them. ``ids`` forces the article id of the n-th record
    (a rebuild keeps every article's id)."""
    seen: dict[str, str] = {}
    spooled = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for n, item in enumerate(items):
            if progress is not None:  # first pass: reading and cleaning
                progress(Progress(bytes_read(), total_bytes, spooled, 0))
            if isinstance(item, Skipped):
                report.skipped.append(item)
                continue
            try:
                article = replace(make_article(item), path=_source_path(item.path))
            except ArticleError as exc:
                report.skipped.append(Skipped(item.path, str(exc), item.line))
                continue
            if ids is not None and n in ids:
                article = replace(article, article_id=ids[n], path=item.path)
            if not update.is_unchanged(article):
                update.chrome.observe(article)
            spool.write(json.dumps([asdict(article), {"kind": item.kind, **item.fields}, item.path, item.line]) + "\n")
            spooled += 1
        spool.seek(0)
        for done, line in enumerate(spool, start=1):
            fields, raw, path, number = json.loads(line)
            article = update.chrome.strip(Article(**fields))
            where = f"{path}:{number}" if number is not None else path
            if update.add(article, raw=raw) == "repeated":
                report.skipped.append(Skipped(path, f"id {article.article_id!r} appears again "
                                                    f"(first at {seen[article.article_id]})", number))
            seen.setdefault(article.article_id, where)
            if progress is not None:  # second pass: chunking and embedding
                progress(Progress(done, spooled, report.articles_seen, update.counts.chunks, unit="articles"))


def _source_path(path: str) -> str:
    return path if path == STDIN else os.path.abspath(path)


def index_paths(index_dir: str | os.PathLike[str], paths: list[str], *, model: str | None = None,
                settings: BuildSettings | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                stdin: BinaryIO | None = None, lock_timeout: float = DEFAULT_TIMEOUT, prune: bool = False,
                must_exist: bool = False, progress: Callable[[Progress], None] | None = None,
                device: str = "cpu", precision: str = "fp32") -> BuildReport:
    """Index (or re-index) the articles under ``paths`` into ``index_dir``, committing once at the end.

    Articles that are new or changed are cleaned, chunked and embedded; unchanged ones are left
    as they are. Inputs that cannot be read are reported in ``BuildReport.skipped``. With
    ``prune``, articles whose source file under one of ``paths`` no longer exists are removed.
    ``must_exist`` refuses to create a new index (``newsdig add``). ``device``/``precision``
    choose how the encoder runs (``auto`` picks a GPU, and bf16 on a CPU that has it).
    """
    started = time.perf_counter()
    if must_exist and not index_exists(index_dir):
        raise IndexNotFoundError(str(index_dir))
    found = discover(paths, exclude=[index_dir])
    report = BuildReport(str(index_dir), UpdateCounts(), list(found.skipped), dict(found.ignored))
    reader = InputReader(found.files, max_bytes=max_bytes, stdin=stdin)
    with IndexUpdate(index_dir, model=model, settings=settings, lock_timeout=lock_timeout,
                     device=device, precision=precision) as update:
        report.counts = update.counts
        feed(update, reader, report, progress=progress, bytes_read=lambda: reader.bytes_read,
             total_bytes=found.total_bytes)
        if prune:
            for root in {_source_path(p) for p in paths if p != STDIN}:
                for article_id, source in update.articles_under(root):
                    if not os.path.exists(source) and update.remove(article_id):
                        report.pruned.append((article_id, source))
        if update.changed:
            report.manifest = update.commit()
    report.seconds = time.perf_counter() - started
    return report
