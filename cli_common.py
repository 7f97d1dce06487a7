"""What the newsdig commands share: option types, defaults, error mapping, progress and output."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer

EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 1, 2, 3
DEFAULT_INDEX_DIR = "index_data"
DEFAULT_WEIGHT = 0.6  # = search.fusion.DEFAULT_WEIGHT (not imported: --help stays light)
DEFAULT_SUPPORT = 0.25  # = search.neighbours.SUPPORT_WEIGHT (likewise)


class Mode(str, Enum):
    """Search modes."""

    hybrid = "hybrid"
    keyword = "keyword"
    semantic = "semantic"


class Fusion(str, Enum):
    """Fusion methods of hybrid mode."""

    convex = "convex"
    rrf = "rrf"


class Format(str, Enum):
    """Output formats of the commands that list results."""

    text = "text"
    json = "json"
    csv = "csv"
    md = "md"


class Device(str, Enum):
    """Where the encoder runs when indexing."""

    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class Precision(str, Enum):
    """Number format of the encoder when indexing."""

    auto = "auto"
    fp32 = "fp32"
    bf16 = "bf16"
    fp16 = "fp16"


class VectorType(str, Enum):
    """How vectors are stored."""

    float32 = "float32"
    float16 = "float16"


DeviceOption = Annotated[Device, typer.Option(
    help="Where to run the embedding model: auto picks a GPU when torch sees one, else the CPU.")]
PrecisionOption = Annotated[Precision, typer.Option(
    help="Embedding precision: auto = fp16 on a GPU, bf16 on a CPU with native bf16 (AVX-512 BF16 "
         "or AMX; about 2x faster, same results), fp32 otherwise.")]
VectorsOption = Annotated[Optional[VectorType], typer.Option(
    help="Store vectors as float32 or float16 (half the disk and memory, same ranking), for a new "
         "index or a rebuild (default float32).")]
SentenceVectorsOption = Annotated[Optional[bool], typer.Option(
    "--sentence-vectors/--no-sentence-vectors",
    help="Also store a vector per sentence (default on): better answers to questions and snippets "
         "chosen by meaning, for about twice the disk of the passage vectors. For a new index or a rebuild.",
    show_default=False)]
TokenCodesOption = Annotated[Optional[bool], typer.Option(
    "--token-codes/--no-token-codes",
    help="Also store every token's state in 16 bytes (default on; about 3.5 kB a passage, a little more "
         "than the sentence vectors), so the default rerank of the top hits costs milliseconds instead "
         "of the model reading each passage again. For a new index or a rebuild.",
    show_default=False)]
IndexDir = Annotated[Optional[Path], typer.Option(
    "--index-dir", envvar="NEWSDIG_INDEX", show_envvar=True, help="Index directory (default: ./index_data).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output (JSON).")]
FormatOption = Annotated[Optional[Format], typer.Option("--format", help="Output format (default text; --json is short for --format json).")]
PagerFlag = Annotated[bool, typer.Option("--pager", help="Show long output through a pager ($PAGER, else less).")]
LimitOption = Annotated[int, typer.Option("-n", "--limit", min=1, help="Number of results to show.")]
SupportOption = Annotated[float, typer.Option(
    min=0.0, max=1.0, help="Neighbour support in hybrid mode: this share of each of the top 100 hits' score comes from "
                           "the 3 hits most similar to it, so articles among strong hits rise; the top hit stays first (0 = off).")]

RerankOption = Annotated[Optional[int], typer.Option(
    min=0, max=100, show_default=False,
    help="Reorder the top N hits by how well each query word matches the passage's words in context "
         "(not in keyword mode). Default: 10 where the index stores token codes (a few ms), else off; "
         "a passage without codes is read by the model again (~0.16 s each on 2 CPU cores). 0 = off.")]


def fail(message: object, hint: str | None = None, code: int = EXIT_ERROR) -> NoReturn:
    """One line on stderr, then exit."""
    hint = hint or getattr(message, "hint", None)
    typer.echo(f"newsdig: {message}" + (f" ({hint})" if hint else ""), err=True)
    raise typer.Exit(code)


def run(fn: Any, *args: Any, writing: bool = False, **kwargs: Any) -> Any:
    """Call library code, mapping its typed errors (and failed writes) to one-line messages."""
    from indexer.errors import NewsdigError
    try:
        return fn(*args, **kwargs)
    except NewsdigError as exc:
        fail(exc)
    except OSError as exc:  # disk full, permission denied...: nothing was committed
        where = f" ({exc.filename})" if exc.filename else ""
        fail(f"{exc.strerror or exc}{where}" + ("; the index is unchanged" if writing else ""))
    except KeyboardInterrupt:
        fail("interrupted" + ("; the index is unchanged" if writing else ""), code=130)


def index_dir(path: Path | None) -> Path:
    """The index directory: --index-dir, else NEWSDIG_INDEX (typer reads it), else ./index_data."""
    return path if path is not None else Path(DEFAULT_INDEX_DIR)


def output_format(fmt: Format | None, as_json: bool) -> str:
    """--format wins; --json means json; text otherwise."""
    if fmt is not None and as_json and fmt is not Format.json:
        raise typer.BadParameter("--json and --format disagree; give one of them")
    return fmt.value if fmt is not None else ("json" if as_json else "text")


def warn(message: str) -> None:
    """A warning line on stderr."""
    typer.echo(f"newsdig: warning: {message}", err=True)


def console() -> Any:
    """A rich console for stdout: styled only on a terminal and never with NO_COLOR."""
    from rich.console import Console
    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


def emit(lines: list[Any], *, pager: bool = False) -> None:
    """Print strings or rich renderables, through a pager when asked."""
    out = console()
    if pager and out.is_terminal:
        with out.pager(styles=True):
            for line in lines:
                out.print(line)
        return
    for line in lines:
        if isinstance(line, str):
            typer.echo(line)
        else:
            out.print(line)


class progress_bar:
    """A rich progress bar on stderr while indexing, only when stderr is a terminal."""

    def __enter__(self) -> Any:
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
        self.bar = Progress(TextColumn("indexing"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                            TextColumn("{task.fields[info]}"), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=True)
        self.bar.start()
        self.task = self.bar.add_task("index", total=None, info="")

        def update(p: Any) -> None:
            self.bar.update(self.task, completed=p.done, total=p.total or None,
                            info=f"{p.articles} articles, {p.chunks} passages")
        return update

    def __exit__(self, *exc: object) -> None:
        if hasattr(self, "bar"):
            self.bar.stop()
