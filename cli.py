"""newsdig: search your news archive by keywords and by meaning.

The command-line edge: resolves options (flag > NEWSDIG_* environment > default), renders
results, and turns library errors into one-line messages with exit codes.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

from enum import Enum

import typer
from typer.core import TyperGroup

try:  # typer >= 0.2x carries its own copy of click
    from typer import TyperException as _CliError
except ImportError:  # pragma: no cover - older typer on top of click
    from click import ClickException as _CliError

EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 1, 2, 3
DEFAULT_INDEX_DIR = "index_data"
DEFAULT_WEIGHT = 0.6  # = search.fusion.DEFAULT_WEIGHT (not imported: --help stays light)
MARK_OPEN, MARK_CLOSE = "[[", "]]"


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

class Mode(str, Enum):
    """Search modes."""

    hybrid = "hybrid"
    keyword = "keyword"
    semantic = "semantic"


class Fusion(str, Enum):
    """Fusion methods of hybrid mode."""

    convex = "convex"
    rrf = "rrf"


IndexDir = Annotated[Path, typer.Option(
    "--index-dir", envvar="NEWSDIG_INDEX", show_envvar=True,
    help="Index directory (default: ./index_data).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output: one JSON object per line.")]


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


def _fail(exc: Exception, code: int = EXIT_ERROR) -> NoReturn:
    hint = getattr(exc, "hint", None)
    typer.echo(f"newsdig: {exc}" + (f" ({hint})" if hint else ""), err=True)
    raise typer.Exit(code)


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call library code, mapping its typed errors to one-line messages."""
    from indexer.errors import NewsdigError
    try:
        return fn(*args, **kwargs)
    except NewsdigError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        typer.echo("newsdig: interrupted; the index is unchanged", err=True)
        raise typer.Exit(130) from None


def _index_dir(path: Path | None) -> Path:
    return path if path is not None else Path(DEFAULT_INDEX_DIR)


def _parse_size(text: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    t = text.strip().lower().rstrip("b")
    try:
        return int(float(t[:-1]) * units[t[-1]]) if t and t[-1] in units else int(t)
    except (ValueError, IndexError):
        raise typer.BadParameter(f"not a size: {text!r} (e.g. 500k, 20m, 1g)") from None


@app.command()
def index(
    paths: Annotated[list[str], typer.Argument(help="Files or directories to index (recursive); '-' reads JSON lines from stdin.", show_default=False)],
    index_dir: IndexDir = None,  # type: ignore[assignment]
    model: Annotated[Optional[str], typer.Option(help="Path of a sentence-transformers model folder, for a new index (default: the packaged all-MiniLM-L6-v2).")] = None,
    max_file_size: Annotated[str, typer.Option(help="Skip input files larger than this (e.g. 50m, 1g).")] = "256m",
    lock_timeout: Annotated[float, typer.Option(help="Seconds to wait for another writer to finish.")] = 30.0,
    as_json: JsonFlag = False,
) -> None:
    """Index news articles: .html/.htm pages, .txt/.md scrapes, .json/.jsonl/.csv exports.

    A .txt file's first non-empty line is its headline. JSON and CSV records may use the fields
    id, title/headline, text/body/content, html, url, date/published, author, source/site.
    Re-indexing is incremental: unchanged articles are skipped, changed ones replaced.

    Exit status: 0 all inputs indexed; 1 error (nothing changed); 3 indexed, but some inputs
    were skipped (each is reported on stderr with its file, line and reason).
    """
    from indexer.build import index_paths

    directory = _index_dir(index_dir)
    limit = _parse_size(max_file_size)
    with _progress_bar() as progress:
        report = _run(index_paths, directory, paths, model=model, max_bytes=limit,
                      lock_timeout=lock_timeout, progress=progress)
    for skip in report.skipped:
        typer.echo(f"newsdig: skipped {skip.where}: {skip.reason}", err=True)
    c = report.counts
    if as_json:
        typer.echo(json.dumps({
            "index_dir": str(directory), "added": c.added, "updated": c.updated, "unchanged": c.unchanged,
            "duplicates": [{"article_id": a, "duplicate_of": b} for a, b in c.duplicates],
            "chunks": c.chunks, "skipped": [{"path": s.path, "line": s.line, "reason": s.reason} for s in report.skipped],
            "ignored": report.ignored, "seconds": round(report.seconds, 3),
            "articles_total": report.manifest.articles if report.manifest else None,
            "chunks_total": report.manifest.chunks if report.manifest else None}))
    else:
        typer.echo(_summary(report))
    if report.articles_seen == 0:
        _fail(RuntimeError("nothing was indexed" + (" (every input was skipped)" if report.skipped else "")))
    if report.skipped:
        raise typer.Exit(EXIT_PARTIAL)


def _summary(report: Any) -> str:
    c = report.counts
    parts = [f"{c.added} new", f"{c.updated} updated", f"{c.unchanged} unchanged"]
    if c.duplicates:
        parts.append(f"{len(c.duplicates)} duplicate")
    line = f"Indexed {report.articles_seen} articles ({', '.join(parts)}); {c.chunks} passages written"
    line += f" in {report.seconds:.1f} s"
    if report.skipped:
        line += f"; skipped {len(report.skipped)} input(s), listed above"
    if report.ignored:
        kinds = ", ".join(f"{n} {ext}" for ext, n in sorted(report.ignored.items()))
        line += f"; ignored files of unsupported types ({kinds})"
    if report.manifest:
        line += f".\nIndex {report.index_dir}: {report.manifest.articles} articles, {report.manifest.chunks} passages."
    return line


class _progress_bar:
    """A rich progress bar on stderr while indexing, only when stderr is a terminal."""

    def __enter__(self) -> Any:
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
        self.bar = Progress(TextColumn("indexing"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[info]}"),
                            TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.bar.start()
        self.task = self.bar.add_task("index", total=None, info="")

        def update(p: Any) -> None:
            self.bar.update(self.task, completed=p.bytes_done, total=p.bytes_total or None,
                            info=f"{p.articles} articles, {p.chunks} passages")
        return update

    def __exit__(self, *exc: object) -> None:
        if hasattr(self, "bar"):
            self.bar.stop()


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words, a phrase in quotes, or a question in plain words.", show_default=False)],
    limit: Annotated[int, typer.Option("-n", "--limit", min=1, help="Number of articles to show.")] = 10,
    mode: Annotated[Mode, typer.Option(help="hybrid: keywords and meaning fused; keyword: BM25 only (fast, no model); semantic: meaning only.")] = Mode.hybrid,
    fusion: Annotated[Fusion, typer.Option(help="How hybrid mode merges the two rankings: convex (weighted min-max scores) or rrf (reciprocal rank fusion, k=60).")] = Fusion.convex,
    weight: Annotated[float, typer.Option(min=0.0, max=1.0, help="Weight of the semantic side in convex fusion (0 = keyword only, 1 = semantic only).")] = DEFAULT_WEIGHT,
    model: Annotated[Optional[str], typer.Option(help="Check that the index was built with this model (queries always use the index's model).")] = None,
    index_dir: IndexDir = None,  # type: ignore[assignment]
    as_json: JsonFlag = False,
) -> None:
    """Search the index; plain words match any of them (more is better), questions match by meaning.

    Each hit shows rank, title, date, source, score and a snippet with the query terms marked.
    --json writes one object per hit with the keys rank, article_id, chunk_id, title, url,
    published, source, score, keyword_score, semantic_score, snippet (null where unknown).
    """
    from search.ranker import Searcher

    def run() -> list[Any]:
        with Searcher(_index_dir(index_dir), model=model) as searcher:
            return searcher.search(query, limit=limit, mode=mode.value, fusion_method=fusion.value,
                                   weight=weight)

    hits = _run(run)
    if as_json:
        for hit in hits:
            typer.echo(json.dumps(asdict(hit), ensure_ascii=False))
        return
    if not hits:
        typer.echo("No matching articles.", err=True)
        return
    _print_hits(hits)


def _print_hits(hits: list[Any]) -> None:
    from rich.console import Console
    from rich.padding import Padding
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
    styled = console.is_terminal and not console.no_color
    for hit in hits:
        head = Text(f"{hit.rank:>2}. ", style="bold" if styled else "")
        head.append(hit.title or "(untitled)", style="bold" if styled else "")
        console.print(head)
        meta = [(hit.published or "no date")[:10], hit.source or "unknown source", f"score {hit.score:.3f}", hit.article_id]
        if console.is_terminal:  # wrapped lines keep the indent
            console.print(Padding(Text(" · ".join(meta), style="dim" if styled else ""), (0, 0, 0, 4)))
            console.print(Padding(_snippet_text(hit.snippet, styled), (0, 0, 0, 4)))
        else:
            console.print(Text("    " + " · ".join(meta)))
            console.print(Text("    ") + _snippet_text(hit.snippet, styled))
        console.print()


def _snippet_text(snippet: str, styled: bool) -> Any:
    from rich.text import Text

    text = Text()
    if not styled:
        text.append(snippet)
        return text
    pos = 0
    while (start := snippet.find(MARK_OPEN, pos)) != -1 and (end := snippet.find(MARK_CLOSE, start)) != -1:
        text.append(snippet[pos:start])
        text.append(snippet[start + len(MARK_OPEN):end], style="bold yellow")
        pos = end + len(MARK_CLOSE)
    text.append(snippet[pos:])
    return text


@app.command()
def stats(index_dir: IndexDir = None, as_json: JsonFlag = False) -> None:  # type: ignore[assignment]
    """Show what the index holds: articles, passages, model, format version, size, last update."""
    from indexer.layout import read_manifest

    directory = _index_dir(index_dir)
    manifest = _run(read_manifest, directory)
    size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    info = {"articles": manifest.articles, "chunks": manifest.chunks, "model": manifest.model.name,
            "format_version": manifest.format_version, "bytes": size, "updated": manifest.updated,
            "index_dir": str(directory), "dim": manifest.model.dim, "created": manifest.created}
    if as_json:
        typer.echo(json.dumps(info))
        return
    rows = [("index", str(directory)), ("articles", f"{manifest.articles:,}"), ("passages", f"{manifest.chunks:,}"),
            ("model", f"{manifest.model.name} ({manifest.model.dim}-d)"), ("format", str(manifest.format_version)),
            ("size", _human_bytes(size)), ("created", manifest.created), ("updated", manifest.updated)]
    for key, value in rows:
        typer.echo(f"{key:<9} {value}")


def _human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


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
        if isinstance(item, Skipped):
            problems.append(item)
            continue
        try:
            article = make_article(item)
        except ArticleError as exc:
            problems.append(Skipped(item.path, str(exc), item.line))
            continue
        data = {"title": article.title or None, "body": article.body, "published": article.published,
                "author": article.author, "source": article.source, "url": article.url}
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False))
            continue
        typer.echo(f"== {item.where}")
        for key in ("title", "published", "author", "source", "url"):
            typer.echo(f"{key + ':':<11}{data[key] or '-'}")
        typer.echo("")
        typer.echo(article.body)
        typer.echo("")
    for skip in problems:
        typer.echo(f"newsdig: skipped {skip.where}: {skip.reason}", err=True)
    if problems:
        raise typer.Exit(EXIT_ERROR)


@app.command("eval")
def eval_(
    collection: Annotated[Path, typer.Argument(help="A BEIR folder: corpus.jsonl, queries.jsonl, qrels.tsv.", show_default=False)],
    mode: Annotated[Optional[list[Mode]], typer.Option(help="Mode(s) to evaluate (repeatable; default: all three).")] = None,
    fusion: Annotated[Fusion, typer.Option(help="Fusion method of hybrid mode.")] = Fusion.convex,
    weight: Annotated[float, typer.Option(min=0.0, max=1.0, help="Semantic weight of convex fusion.")] = DEFAULT_WEIGHT,
    index_dir: Annotated[Optional[Path], typer.Option("--index-dir", help="Index to build or reuse for the corpus (default: a temporary one, deleted afterwards). NEWSDIG_INDEX is not read here, so an evaluation never writes into your archive's index.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per mode.")] = False,
) -> None:
    """Measure retrieval quality on a judged collection: nDCG@10, MRR@10 and Recall@100 per mode.

    Indexes the corpus (or reuses --index-dir), runs every judged query, and scores the ranked
    articles as trec_eval does (linear gain; every query in qrels counts, no result scores 0).
    """
    import tempfile

    from indexer.build import index_paths
    from search.evaluate import evaluate, load_collection
    from search.ranker import Searcher

    data = _run(load_collection, collection)
    modes = [m.value for m in mode] if mode else ["keyword", "semantic", "hybrid"]
    with tempfile.TemporaryDirectory(prefix="newsdig-eval-") as tmp:
        directory = index_dir if index_dir is not None else Path(tmp) / "index"
        with _progress_bar() as progress:
            report = _run(index_paths, directory, [str(data.corpus)], progress=progress)
        for skip in report.skipped:
            typer.echo(f"newsdig: skipped {skip.where}: {skip.reason}", err=True)
        with _run(Searcher, directory) as searcher:
            results = _run(evaluate, searcher, data, modes, fusion_method=fusion.value, weight=weight)
    name = data.root.name
    if as_json:
        for m, metrics in results.items():
            typer.echo(json.dumps({"collection": name, "mode": m, "queries": len(data.qrels),
                                   **{k: round(v, 4) for k, v in metrics.items()}}))
        return
    typer.echo(f"{name}: {len(data.qrels)} judged queries")
    typer.echo(f"{'mode':<10}{'nDCG@10':>9}{'MRR@10':>9}{'Recall@100':>12}")
    for m, metrics in results.items():
        typer.echo(f"{m:<10}{metrics['ndcg@10']:>9.4f}{metrics['mrr@10']:>9.4f}{metrics['recall@100']:>12.4f}")


if __name__ == "__main__":  # pragma: no cover
    app()
