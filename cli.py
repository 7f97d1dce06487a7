"""newsdig: search your news archive by keywords and by meaning.

The command-line edge: resolves options (flag > NEWSDIG_* environment > default), prints what
``cli_output`` formats, and turns library errors into one-line messages with exit codes.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

import cli_output as out
import cli_search
import cli_tools
from cli_common import (EXIT_ERROR, EXIT_PARTIAL, Device, DeviceOption, IndexDir, JsonFlag, Precision, PrecisionOption,
                        SentenceVectorsOption, TokenCodesOption, VectorsOption, VectorType, fail, progress_bar, run)
from cli_common import index_dir as resolve_index_dir

try:  # typer >= 0.2x carries its own copy of click
    from typer import TyperException as _CliError
except ImportError:  # pragma: no cover - older typer on top of click
    from click import ClickException as _CliError

EXIT_STATUS_HELP = ("Exit status: 0 all inputs indexed; 1 error (the index is unchanged); 3 done, but some "
                    "inputs were skipped (each is reported on stderr with its file, line and reason).")


class _OneLineErrors(TyperGroup):
    """Usage errors as one line on stderr (exit 2), not a panel."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _CliError as exc:
            ctx = getattr(exc, "ctx", None)
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            typer.echo(f"newsdig: {exc.format_message()}{where}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("newsdig: aborted", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors, help=__doc__.split("\n\n")[0], no_args_is_help=True,
    pretty_exceptions_enable=False, add_completion=True, rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


LockTimeout = Annotated[float, typer.Option(help="Seconds to wait for another writer of the index to finish.")]
MaxWords = Annotated[Optional[int], typer.Option(min=20, help="Passage length in words, for a new index or a rebuild (default 160).")]
OverlapWords = Annotated[Optional[int], typer.Option(min=0, help="Words shared by neighbouring passages, for a new index or a rebuild (default 40).")]


def _version(value: bool) -> None:
    if value:
        from indexer.version import __version__
        typer.echo(f"newsdig {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="Print the version and exit.")] = False) -> None:
    """newsdig: search your news archive by keywords and by meaning.

    Build an index with `newsdig index PATH...`, then `newsdig search "words or a question"`.
    The index lives in ./index_data unless --index-dir or NEWSDIG_INDEX says otherwise.
    """
    # Models are only ever loaded from disk: never let a library reach for the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# The query side first: what people use most.
for command in (cli_search.search, cli_search.ask, cli_search.explain, cli_search.show, cli_search.similar):
    app.command(epilog=cli_search.QUERY_LANGUAGE if command in (cli_search.search, cli_search.explain) else None)(command)


def _settings(max_words: int | None, overlap_words: int | None, vectors: VectorType | None = None,
              sentence_vectors: bool | None = None, token_codes: bool | None = None) -> Any:
    from indexer.settings import BuildSettings
    try:
        return BuildSettings.from_options(max_words, overlap_words, vectors.value if vectors else None,
                                          sentence_vectors, token_codes)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _finish_build(report: Any, as_json: bool, verb: str) -> None:
    for skip in report.skipped:
        typer.echo(f"newsdig: skipped {skip.where}: {skip.reason}", err=True)
    for article_id, path in report.pruned:
        typer.echo(f"newsdig: removed {article_id} (its source {path} is gone)", err=True)
    typer.echo(json.dumps(out.report_json(report)) if as_json else out.summary(report, verb))
    if report.articles_seen == 0 and not report.counts.removed and verb != "Rebuilt":
        fail("nothing was indexed" + (" (every input was skipped)" if report.skipped else ""))
    if report.skipped:
        raise typer.Exit(EXIT_PARTIAL)


def _index(paths: list[str], index_dir: Path | None, model: str | None, max_file_size: str, lock_timeout: float,
           prune: bool, must_exist: bool, settings: Any, as_json: bool, device: Device, precision: Precision) -> None:
    from indexer.build import index_paths
    try:
        limit = out.parse_size(max_file_size)
    except (ValueError, KeyError):
        raise typer.BadParameter(f"not a size: {max_file_size!r} (e.g. 500k, 20m, 1g)") from None
    with progress_bar() as progress:
        report = run(index_paths, resolve_index_dir(index_dir), paths, writing=True, model=model, max_bytes=limit, settings=settings,
                      lock_timeout=lock_timeout, prune=prune, must_exist=must_exist, progress=progress,
                      device=device.value, precision=precision.value)
    _finish_build(report, as_json, "Indexed")


Paths = Annotated[list[str], typer.Argument(help="Files or directories (recursive); '-' reads JSON lines from stdin.", show_default=False)]
MaxFileSize = Annotated[str, typer.Option(help="Skip input files larger than this (e.g. 50m, 1g).")]


@app.command(epilog=EXIT_STATUS_HELP)
def index(
    paths: Paths, index_dir: IndexDir = None,
    model: Annotated[Optional[str], typer.Option(help="Path of a sentence-transformers model folder, for a new index (default: the packaged all-MiniLM-L6-v2).")] = None,
    prune: Annotated[bool, typer.Option(help="Also remove articles whose source file under PATHS no longer exists.")] = False,
    max_words: MaxWords = None, overlap_words: OverlapWords = None, vectors: VectorsOption = None,
    sentence_vectors: SentenceVectorsOption = None, token_codes: TokenCodesOption = None,
    device: DeviceOption = Device.auto, precision: PrecisionOption = Precision.auto,
    max_file_size: MaxFileSize = "256m", lock_timeout: LockTimeout = 30.0, as_json: JsonFlag = False,
) -> None:
    """Index news articles: .html/.htm pages, .txt/.md scrapes, .json/.jsonl/.csv exports.

    A .txt file's first non-empty line is its headline. JSON and CSV records may use the fields
    id, title/headline, text/body/content, html, url, date/published, author, source/site.
    On an existing index the update is incremental: only new or changed articles (by content)
    are embedded; an article with the same id or canonical URL replaces its old version.
    """
    _index(paths, index_dir, model, max_file_size, lock_timeout, prune, False,
           _settings(max_words, overlap_words, vectors, sentence_vectors, token_codes), as_json, device, precision)


@app.command(epilog=EXIT_STATUS_HELP)
def add(paths: Paths, index_dir: IndexDir = None, max_file_size: MaxFileSize = "256m",
        device: DeviceOption = Device.auto, precision: PrecisionOption = Precision.auto,
        lock_timeout: LockTimeout = 30.0, as_json: JsonFlag = False) -> None:
    """Add new or changed articles to an existing index (like `index`, but never creates one)."""
    _index(paths, index_dir, None, max_file_size, lock_timeout, False, True, None, as_json, device, precision)


@app.command()
def remove(
    ids: Annotated[list[str], typer.Argument(help="Article ids (as `search --json` shows them).", show_default=False)],
    index_dir: IndexDir = None, lock_timeout: LockTimeout = 30.0, as_json: JsonFlag = False,
) -> None:
    """Delete articles from the index. Exit status 3 if some ids were not found, 1 if none was."""
    from indexer.update import IndexUpdate

    def remove_all() -> tuple[list[str], list[str]]:
        with IndexUpdate(resolve_index_dir(index_dir), lock_timeout=lock_timeout, must_exist=True) as update:
            results = [(i, update.remove(i)) for i in dict.fromkeys(ids)]
            if update.changed:
                update.commit()
        return [i for i, ok in results if ok], [i for i, ok in results if not ok]

    removed, missing = run(remove_all, writing=True)
    if as_json:
        typer.echo(json.dumps({"removed": removed, "not_found": missing}))
    else:
        typer.echo(f"Removed {len(removed)} article(s)." + (f" Not in the index: {', '.join(missing)}." if missing else ""))
    if missing:
        raise typer.Exit(EXIT_ERROR if not removed else EXIT_PARTIAL)


@app.command()
def rebuild(
    index_dir: IndexDir = None,
    model: Annotated[Optional[str], typer.Option(help="Re-embed with this sentence-transformers model folder instead of the index's.")] = None,
    max_words: MaxWords = None, overlap_words: OverlapWords = None, vectors: VectorsOption = None,
    sentence_vectors: SentenceVectorsOption = None, token_codes: TokenCodesOption = None,
    device: DeviceOption = Device.auto, precision: PrecisionOption = Precision.auto,
    lock_timeout: LockTimeout = 30.0, as_json: JsonFlag = False,
) -> None:
    """Re-clean, re-chunk and re-embed every article from its stored source, then swap the new
    index in atomically (the original files are not needed). Needed after changing --model or
    the passage settings; searches keep using the old index until the new one is complete."""
    from indexer.rebuild import rebuild_index

    with progress_bar() as progress:
        report = run(rebuild_index, resolve_index_dir(index_dir), writing=True, model=model,
                     settings=_settings(max_words, overlap_words, None, sentence_vectors, token_codes),
                     vectors=vectors.value if vectors else None,
                     lock_timeout=lock_timeout, progress=progress, device=device.value, precision=precision.value)
    _finish_build(report, as_json, "Rebuilt")


@app.command()
def stats(index_dir: IndexDir = None, as_json: JsonFlag = False) -> None:
    """Show what the index holds: articles, passages, model, format version, size, last update."""
    from indexer.layout import read_manifest

    directory = resolve_index_dir(index_dir)
    manifest = run(read_manifest, directory)
    size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    info = out.stats_info(manifest, str(directory), size)
    typer.echo(json.dumps(info) if as_json else "\n".join(out.stats_lines(info)))


@app.command()
def check(index_dir: IndexDir = None, as_json: JsonFlag = False) -> None:
    """Verify the index: keyword documents, vector rows and manifest counts agree, every passage
    belongs to a stored article, vectors are unit length. Exit status 1 if it is damaged."""
    from indexer.check import REPAIR_HINT, check_index

    report = run(check_index, resolve_index_dir(index_dir))
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, "articles": report.articles, "chunks": report.chunks,
                               "problems": report.problems, "warnings": report.warnings}))
    else:
        for warning in report.warnings:
            typer.echo(f"newsdig: warning: {warning}", err=True)
        if report.ok:
            typer.echo(f"ok: {report.articles} articles, {report.chunks} passages; keyword index, vectors "
                       "and manifest agree")
    if not report.ok:
        if not as_json:
            for problem in report.problems:
                typer.echo(f"newsdig: {problem}", err=True)
        fail(f"the index at {report.index_dir} is damaged", hint=REPAIR_HINT)


@app.command()
def clean(
    files: Annotated[list[str], typer.Argument(help="Files to clean, in any format `newsdig index` reads.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per article: title, body, published, author, source, url.")] = False,
) -> None:
    """Show what the cleaner makes of a file: title, metadata and body (nothing is indexed)."""
    from indexer.articles import ArticleError, make_article
    from indexer.ingest import InputReader, discover
    from indexer.records import Skipped

    found = discover(files)
    problems = list(found.skipped)
    for item in InputReader(found.files):
        try:
            if isinstance(item, Skipped):
                raise ArticleError(item.reason)
            article = make_article(item)
        except ArticleError as exc:
            problems.append(Skipped(item.path, str(exc), item.line))
            continue
        data = {"title": article.title or None, "body": article.body, "published": article.published,
                "author": article.author, "source": article.source, "url": article.url}
        typer.echo(json.dumps(data, ensure_ascii=False) if as_json else "\n".join(out.clean_lines(item.where, data)))
    for skip in problems:
        typer.echo(f"newsdig: skipped {skip.where}: {skip.reason}", err=True)
    if problems:
        raise typer.Exit(EXIT_ERROR)


app.command("eval")(cli_tools.eval_)
app.command()(cli_tools.distill)


if __name__ == "__main__":  # pragma: no cover
    app()
