"""Sentence vectors: what they cost on disk and what they save at query time.

    python bench/sentences.py [--index-dir D] [--size 300] [--queries 60] [--json out.json]

On an index (built here from the first ``--size`` articles of bench/corpus.py's corpus with the
default model when ``--index-dir`` holds none), in one process and alternating query by query:
``newsdig ask`` and a hybrid search of the same questions (made from the index's passages,
``what did <headline words> say about <body words>?``; an untitled passage's first words stand in
for the headline) with the index's sentence vectors, and
with them switched off (sentences encoded at query time, as before they existed). Prints the
p50/p95 latencies and their ratio, and the disk per passage of the passage vectors and the
sentence files.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import build_child, passages, percentiles_ms, ratio, spawned, table, write_json
from corpus import make_corpus, nothing_to_measure


def questions(rows: list[dict[str, Any]], n: int, seed: int = 11) -> list[str]:
    """Plain-word questions made from the passages (deterministic for an index)."""
    rng = random.Random(seed)
    out = []
    for row in rng.sample(rows, len(rows)):
        body = re.findall(r"[a-z]{5,}", row.get("body") or "")
        head = re.findall(r"[A-Za-z]{4,}", row.get("title") or "")[:2] or body[:2]  # untitled: its first words
        if head and len(body) >= 3:
            out.append(f"what did {' '.join(head)} say about {' '.join(rng.sample(body, 2))}?")
        if len(out) == n:
            break
    return out


def measure_child(index_dir: str, texts: list[str], warmup: int) -> dict[str, Any]:
    """Latency of ask and hybrid search with and without the stored sentence vectors."""
    from search.passages import ask
    from search.ranker import Searcher

    with Searcher(index_dir) as searcher:
        stored = searcher.reader.sentences
        for text in texts[:warmup]:
            ask(searcher, text)
        times: dict[str, list[float]] = {}
        for text in texts:
            for label, sentences in (("stored", stored), ("encoded", None)):
                searcher.reader.sentences = sentences
                started = time.perf_counter()
                ask(searcher, text)
                middle = time.perf_counter()
                searcher.search(text, mode="hybrid")
                times.setdefault(f"ask {label}", []).append(middle - started)
                times.setdefault(f"search {label}", []).append(time.perf_counter() - middle)
        searcher.reader.sentences = stored
        return {key: percentiles_ms(values) for key, values in times.items()}


def sizes(index_dir: Path) -> dict[str, Any]:
    """Bytes per passage of the vector files and the sentence files."""
    import numpy as np

    from indexer.layout import read_manifest, snapshot_path

    snap = snapshot_path(index_dir, read_manifest(index_dir).snapshot)
    offsets = np.load(snap / "sentence_offsets.npy")
    n = max(len(offsets) - 1, 1)
    sentence_bytes = sum((snap / f).stat().st_size for f in
                         ("sentence_vectors.npy", "sentence_scales.npy", "sentence_offsets.npy"))
    return {"passages": n, "sentences_per_passage": round(float(offsets[-1]) / n, 2),
            "vector_bytes_per_passage": round((snap / "vectors.npy").stat().st_size / n),
            "sentence_bytes_per_passage": round(sentence_bytes / n)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, help="an existing index (built here from --size articles if it holds none)")
    parser.add_argument("--size", type=int, default=300, help="articles to index when there is no index (default 300)")
    parser.add_argument("--queries", type=int, default=60, help="questions (default 60)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    from indexer.layout import index_exists

    have_index = args.index_dir is not None and index_exists(args.index_dir)
    if not have_index and nothing_to_measure():
        return 0
    work = Path(tempfile.mkdtemp(prefix="newsdig-bench-sentences-"))
    try:
        index_dir = args.index_dir or work / "index"
        if not have_index:
            make_corpus(work / "corpus.jsonl", args.size)
            print(f"building {index_dir} from {args.size:,} articles ...", flush=True)
            spawned(build_child, str(work / "corpus.jsonl"), str(index_dir))
        rows, _ = passages(index_dir)
        texts = questions(rows, args.queries)
        if not texts:
            print("no passage gives a question: nothing to measure")
            return 0
        print(f"{len(rows):,} passages, {len(texts)} questions ...", flush=True)
        latency = spawned(measure_child, str(index_dir), texts, args.warmup)
        result = {"sizes": sizes(Path(index_dir)), "latency_ms": latency}
        rows_out = []
        for what in ("ask", "search"):
            s, e = latency[f"{what} stored"], latency[f"{what} encoded"]
            rows_out.append([what, s["p50"], e["p50"], ratio(s["p50"], e["p50"]), s["p95"], e["p95"]])
        print(table(["", "p50 stored ms", "p50 encoded ms", "stored/encoded", "p95 stored", "p95 encoded"], rows_out))
        print(", ".join(f"{k} {v}" for k, v in result["sizes"].items()))
        write_json(args.json, result)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
