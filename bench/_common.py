"""Helpers shared by bench/indexing.py and bench/query.py: child processes, peak memory, cold CLI
runs, the passage texts of an index, percentiles, per-stage timers, and the bm25s / tantivy baselines."""

from __future__ import annotations

import functools
import importlib.util as importlib_util
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEPTH = 100  # passages the baselines fetch per query: the candidates newsdig takes from each retriever


def spawned(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a fresh Python process (so its peak memory and its imports are its own)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def build_child(corpus: str, index_dir: str) -> dict[str, Any]:
    """Index the corpus with the default settings (run it with :func:`spawned`, so the measuring
    process starts clean)."""
    from indexer.build import index_paths
    report = index_paths(index_dir, [corpus])
    return {"articles": report.counts.added, "chunks": report.counts.chunks, "seconds": report.seconds}


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB.

    Linux's VmHWM, which starts afresh at exec; ``ru_maxrss`` (the fallback) carries the
    high-water mark of the process that started this one, so a child spawned by the bench
    after it had read every passage reported the bench's memory (499 MiB "after open" at 182k
    passages, where the searcher itself holds 47 MiB)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def newsdig_command() -> list[str]:
    """The ``newsdig`` console script of this Python's environment, else the CLI module run directly."""
    script = Path(sys.executable).parent / "newsdig"
    if script.is_file():
        return [str(script)]
    found = shutil.which("newsdig")
    return [found] if found else [sys.executable, "-c", "from cli import app; app(prog_name='newsdig')"]


# Started from a small launcher process: a child's peak RSS counts the pages of the process that
# started it (Linux carries the parent's high-water mark through fork/vfork and exec), so run
# from this (large) bench process directly, a cold `newsdig` would report the bench's RSS.
_LAUNCHER = ("import json, os, sys, time\n"
             "start = time.perf_counter()\n"
             "pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)\n"
             "_, status, usage = os.wait4(pid, 0)\n"
             "seconds = time.perf_counter() - start\n"
             "with open(sys.argv[1], 'w') as f:\n"
             "    json.dump([seconds, usage.ru_maxrss, os.waitstatus_to_exitcode(status)], f)\n")


@functools.cache
def compile_bytecode() -> int:
    """Byte-compile newsdig's own modules into ``__pycache__`` (once per bench run); returns how
    many were compiled.

    An installed package has its bytecode; an editable checkout gets it on the first run, except
    where ``PYTHONDONTWRITEBYTECODE`` is set (as on this project's machines), when every cold run
    would compile ~35 modules again (~0.05-0.1 s at 2 cores) and time that instead of newsdig.
    """
    import compileall
    import py_compile

    count = 0
    for path in [*ROOT.glob("cli*.py"), *ROOT.glob("search/*.py"), *ROOT.glob("indexer/*.py")]:
        cached = Path(importlib_util.cache_from_source(str(path)))
        if not cached.exists() or cached.stat().st_mtime < path.stat().st_mtime:
            count += compileall.compile_file(str(path), quiet=2, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    return count


def run_cold(args: Sequence[str], *, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``newsdig ARGS`` in a new process: wall seconds, its own peak RSS (MiB) and exit status
    (newsdig's modules byte-compiled first, as an installed package has them)."""
    compile_bytecode()
    command = newsdig_command()
    program = shutil.which(command[0]) or command[0]
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        subprocess.run([sys.executable, "-c", _LAUNCHER, report.name, program, *command[1:], *args], cwd=ROOT,
                       stdout=out, stderr=out, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})}, check=False)
        with open(report.name) as handle:
            seconds, rss_kib, rc = json.load(handle)
        out.seek(0)
        tail = out.read()[-400:].decode("utf-8", "replace")
    return {"seconds": seconds, "rss_mb": round(rss_kib / 1024, 1), "rc": rc, "tail": tail}


def passages(index_dir: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The stored fields of every live passage of an index (title, body, source...) and its manifest settings."""
    from indexer.analysis import CHUNK_INDEX
    from indexer.keyword_index import open_index
    from indexer.layout import read_manifest, snapshot_path

    manifest = read_manifest(index_dir)
    ix = open_index(snapshot_path(index_dir, manifest.snapshot), CHUNK_INDEX)
    with ix.searcher() as searcher:
        rows = [dict(fields) for fields in searcher.all_stored_fields()]
    return rows, manifest.settings


def keyword_texts(rows: list[dict[str, Any]], settings: dict[str, Any]) -> list[str]:
    """The text newsdig scores with BM25F per passage: the headline ``title_weight`` times, then the passage."""
    weight = int(settings.get("title_weight", 2))
    return [f"{r['title']}\n" * weight + r.get("body", "") if r.get("title") else r.get("body", "") for r in rows]


def embed_texts(rows: list[dict[str, Any]], settings: dict[str, Any]) -> list[str]:
    """The text newsdig embeds per passage: the headline on its own line (``embed_title``), then the passage."""
    from indexer.embed import passage_prefix

    title = bool(settings.get("embed_title", True))
    return [passage_prefix(r.get("title"), title) + r.get("body", "") for r in rows]


def texts_digest(texts: Sequence[str], start: int = 0) -> int:
    """An order-free digest of texts (the sum of their 64-bit hashes), which can be extended batch by batch."""
    total = start
    for text in texts:
        total += int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")
    return total % 2**64


def percentiles_ms(seconds: Sequence[float]) -> dict[str, float | None]:
    """p50 / p95 / p99 / mean / max of latencies, in milliseconds (None when there are none)."""
    import numpy as np
    if not seconds:
        return dict.fromkeys(("p50", "p95", "p99", "mean", "max"))
    ms = np.asarray(seconds) * 1000
    return {"p50": round(float(np.percentile(ms, 50)), 2), "p95": round(float(np.percentile(ms, 95)), 2),
            "p99": round(float(np.percentile(ms, 99)), 2), "mean": round(float(ms.mean()), 2),
            "max": round(float(ms.max()), 2)}


def ratio(ours: float | None, base: float | None) -> float | None:
    return round(ours / base, 2) if ours is not None and base else None


# -- stage timers ----------------------------------------------------------------------------------
class StageTimer:
    """Exclusive wall time per stage, per thread (a stage entered inside another pauses it)."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.threads: defaultdict[str, set[str]] = defaultdict(set)  # stage -> names of the threads it ran on
        self.busy: defaultdict[str, float] = defaultdict(float)  # thread name -> seconds in timed stages
        self._local = threading.local()
        self._lock = threading.Lock()

    def _add(self, stage: str, seconds: float) -> None:
        current = threading.current_thread()
        thread = "main" if current is threading.main_thread() else current.name.rsplit("_", 1)[0]
        with self._lock:
            self.seconds[stage] += seconds
            self.threads[stage].add(thread)
            self.busy[thread] += seconds

    def call(self, stage: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        stack = self._local.__dict__.setdefault("stack", [])
        now = time.perf_counter()
        if stack:
            self._add(stack[-1][0], now - stack[-1][1])
        stack.append([stage, now])
        try:
            return fn(*args, **kwargs)
        finally:
            end = time.perf_counter()
            name, start = stack.pop()
            self._add(name, end - start)
            self.calls[name] += 1
            if stack:
                stack[-1][1] = end

    def wrap(self, stage: str | Any, fn: Any) -> Any:
        """``fn`` timed under ``stage`` (a name, or a function of the call's first argument giving one)."""
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            name = stage(args[0]) if callable(stage) else stage
            return self.call(name, fn, *args, **kwargs)
        return timed


def hook(timer: StageTimer, owner: Any, name: str, stage: Any) -> bool:
    """Wrap ``owner.name`` (a module function or a class's own method) with a timer; False if absent."""
    fn = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
    if fn is None:
        return False
    if isinstance(fn, (classmethod, staticmethod)):
        setattr(owner, name, type(fn)(timer.wrap(stage, fn.__func__)))
    else:
        setattr(owner, name, timer.wrap(stage, fn))
    return True


# -- keyword baselines ----------------------------------------------------------------------------
class Bm25s:
    """bm25s over the same passage texts: Snowball English stemming and English stop words (as
    newsdig's Porter stemmer and stop list), Lucene BM25, numpy backend, one thread."""

    name = "bm25s"

    def __init__(self) -> None:
        import bm25s
        import Stemmer
        self._bm25s, self._stem = bm25s, Stemmer.Stemmer("english").stemWords
        self.model: Any = None
        self.n = 0

    def build(self, texts: list[str]) -> float:
        started = time.perf_counter()
        tokens = self._bm25s.tokenize(texts, stopwords="en", stemmer=self._stem, show_progress=False)
        self.model = self._bm25s.BM25()
        self.model.index(tokens, show_progress=False)
        self.n = len(texts)
        return time.perf_counter() - started

    def query(self, text: str, k: int = DEPTH) -> int:
        tokens = self._bm25s.tokenize([text], stopwords="en", stemmer=self._stem, show_progress=False)
        docs, _ = self.model.retrieve(tokens, k=min(k, self.n), show_progress=False)
        return len(docs[0])


class Tantivy:
    """tantivy over the same passage texts: ``en_stem`` tokenizer, an on-disk index written by one
    thread (newsdig's writer is single-threaded too); queries in tantivy's own (lenient) syntax."""

    name = "tantivy"

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        import tantivy
        self._tantivy, self.directory = tantivy, Path(directory)
        self.index: Any = None
        self.searcher: Any = None

    def build(self, texts: list[str]) -> float:
        tv = self._tantivy
        self.directory.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        schema = tv.SchemaBuilder()
        schema.add_text_field("text", stored=False, tokenizer_name="en_stem")
        self.index = tv.Index(schema.build(), path=str(self.directory))
        writer = self.index.writer(heap_size=256_000_000, num_threads=1)
        for text in texts:
            writer.add_document(tv.Document(text=text))
        writer.commit()
        writer.wait_merging_threads()
        seconds = time.perf_counter() - started
        self.index.reload()
        self.searcher = self.index.searcher()
        return seconds

    def query(self, text: str, k: int = DEPTH) -> int:
        parsed, _errors = self.index.parse_query_lenient(text, ["text"])
        return len(self.searcher.search(parsed, k).hits)


def baselines(workdir: Path, skip_tantivy: bool = False) -> tuple[list[Any], dict[str, str]]:
    """The keyword baselines that are installed, and why the others are missing."""
    found, missing = [], {}
    for name, make in (("bm25s", Bm25s), ("tantivy", lambda: Tantivy(workdir / "tantivy"))):
        if name == "tantivy" and skip_tantivy:
            missing[name] = "skipped (--no-tantivy)"
            continue
        try:
            found.append(make())
        except ImportError as exc:
            missing[name] = f"not installed ({exc.name}): pip install bm25s PyStemmer tantivy"
    return found, missing


# -- output -----------------------------------------------------------------------------------------
def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain fixed-width table (first column left-aligned, the others right-aligned)."""
    def cell(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
        return str(value)
    text = [[cell(v) for v in row] for row in [headers, *rows]]
    widths = [max(len(r[i]) for r in text) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in text]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def write_json(path: Path | None, data: dict[str, Any]) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"figures written to {path}")

