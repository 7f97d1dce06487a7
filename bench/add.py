"""Time of ``newsdig add`` for a few new articles into a big index vs into an empty one.

    python bench/add.py --base-index /tmp/reuters/idx20k [--json out.json]

The corpus is ../shared/data/reuters21578: the first 20,000 records form the big index (built
here into --base-index when it holds no index yet: about 35 minutes on 2 cores; the 1,694 records
among them that have a headline but no text are skipped), the next 10 records with text are
added. Each measurement runs on a fresh copy of the big index. Two figures per case, medians of
--repeat runs: the CLI wall time (cold process: imports and model load included) and the time of
the update itself in a warm process (model already loaded).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "reuters21578" / "corpus.jsonl"
BASE, NEW = 20_000, 10


def split_corpus(workdir: Path) -> tuple[Path, Path]:
    base, new = workdir / "base.jsonl", workdir / "new.jsonl"
    added = 0
    with open(DATA, encoding="utf-8") as src, open(base, "w", encoding="utf-8") as b, open(new, "w", encoding="utf-8") as n:
        for number, line in enumerate(src):
            if number < BASE:
                b.write(line)  # (title-only records among them are reported and skipped)
            elif added < NEW and json.loads(line).get("text", "").strip():
                n.write(line)
                added += 1
    return base, new


def cli_seconds(args: list[str]) -> float:
    from _common import compile_bytecode  # bench/ is this script's folder

    compile_bytecode()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from cli import app; app(prog_name='newsdig')", *args],
                   cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def warm_seconds(index_dir: Path, new: Path) -> float:
    from indexer.build import index_paths
    started = time.perf_counter()
    index_paths(index_dir, [str(new)])
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-index", type=Path, required=True, help="index of the first 20,000 articles")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not DATA.is_file():
        print(f"{DATA} not found: nothing to measure")
        return 0
    from indexer import embed
    from indexer.layout import index_exists, read_manifest
    work = Path(tempfile.mkdtemp(prefix="newsdig-bench-add-"))
    base, new = split_corpus(work)
    if not index_exists(args.base_index):
        print(f"building {args.base_index} from {BASE:,} articles (slow)...", flush=True)
        cli_seconds(["index", str(base), "--index-dir", str(args.base_index)])
    manifest = read_manifest(args.base_index)
    for fast in (False, True):  # warm: both encoders loaded once for the warm figures
        embed.load_encoder(manifest.model.name, manifest.model.path, fast=fast)
    results: dict[str, list[float]] = {"cli_big": [], "cli_empty": [], "warm_big": [], "warm_empty": []}
    for run in range(args.repeat):
        for case in ("big", "empty"):
            for kind in ("cli", "warm"):
                target = work / f"{case}-{kind}-{run}"
                if case == "big":
                    shutil.copytree(args.base_index, target)
                seconds = (cli_seconds(["add" if case == "big" else "index", str(new), "--index-dir", str(target)])
                           if kind == "cli" else warm_seconds(target, new))
                results[f"{kind}_{case}"].append(seconds)
                shutil.rmtree(target, ignore_errors=True)
    medians = {k: round(statistics.median(v), 3) for k, v in results.items()}
    summary = {"base_articles": manifest.articles, "base_chunks": manifest.chunks, "new_articles": NEW,
               "median_seconds": medians,
               "ratio_cli": round(medians["cli_big"] / medians["cli_empty"], 2),
               "ratio_warm": round(medians["warm_big"] / medians["warm_empty"], 2)}
    print(f"add {NEW} articles into an index of {manifest.articles:,} articles ({manifest.chunks:,} passages) "
          f"vs into an empty index, median of {args.repeat}:")
    print(f"  cold CLI:     {medians['cli_big']:.2f} s vs {medians['cli_empty']:.2f} s  (x{summary['ratio_cli']})")
    print(f"  warm process: {medians['warm_big']:.2f} s vs {medians['warm_empty']:.2f} s  (x{summary['ratio_warm']})")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
