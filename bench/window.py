"""Candidate window: hybrid latency and page consistency with 100 or 300 passages per retriever,
and the anchor check by postings against Whoosh's matchers.

    python bench/window.py --index-dir /tmp/bench-idx [--queries 200] [--repeat 3] [--json out.json]

The queries are bench/query.py's (made from the index's own passages). Each configuration runs
every query in turn, query by query in rotating order (so drift on a shared machine falls on
all of them alike), as ``Searcher.search(query, limit=10)`` with snippets. "Consistent" counts
the queries whose first page (``-n 10``) is the first 10 of ``-n 100`` (what `eval` ranks).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import passages, percentiles_ms, ratio, write_json
from query import make_queries

WINDOWS = (100, 300)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, required=True, help="an existing index")
    parser.add_argument("--queries", type=int, default=200, help="number of queries (default 200)")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the queries (default 3)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    import search.anchors as anchors
    from search import ranker

    rows, _ = passages(args.index_dir)
    texts = [q["text"] for q in make_queries(rows, args.queries)]
    searcher = ranker.Searcher(args.index_dir)
    whoosh_anchors = lambda s, scoring, cands, bm25=None: anchors.anchored_docs(s, scoring, cands)  # noqa: E731
    configs = {f"window {w}, anchors by {name}": (w, fn) for w in WINDOWS
               for name, fn in (("postings", anchors.anchored_docs), ("Whoosh", whoosh_anchors))}

    def run(config: str, text: str, limit: int = 10) -> list[str]:
        ranker.WINDOW, ranker.anchored_docs = configs[config]
        return [h.article_id for h in searcher.search(text, limit=limit).hits]

    for text in texts[:10]:  # warm-up
        run(next(iter(configs)), text)
    times: dict[str, list[float]] = {c: [] for c in configs}
    names = list(configs)
    for rep in range(args.repeat):
        for n, text in enumerate(texts):
            k = (n + rep) % len(names)
            for config in names[k:] + names[:k]:
                started = time.perf_counter()
                run(config, text)
                times[config].append(time.perf_counter() - started)
    consistent = {w: sum(run(f"window {w}, anchors by postings", t) == run(f"window {w}, anchors by postings", t, 100)[:10]
                         for t in texts) for w in WINDOWS}
    base = percentiles_ms(times[f"window {WINDOWS[0]}, anchors by Whoosh"])
    summary: dict[str, Any] = {"index_dir": str(args.index_dir), "queries": len(texts), "repeat": args.repeat,
                               "latency_ms": {c: percentiles_ms(t) for c, t in times.items()},
                               "consistent_first_page": {str(w): f"{consistent[w]}/{len(texts)}" for w in WINDOWS}}
    summary["ratio_to_old"] = {c: {p: ratio(v[p], base[p]) for p in ("p50", "p95", "mean")}
                               for c, v in summary["latency_ms"].items()}
    print(f"{len(texts)} queries x {args.repeat} passes on {args.index_dir} (hybrid, -n 10, snippets)")
    for config, v in summary["latency_ms"].items():
        r = summary["ratio_to_old"][config]
        print(f"  {config:32s} p50 {v['p50']:7.1f} ms  p95 {v['p95']:7.1f} ms  mean {v['mean']:7.1f} ms   "
              f"vs window {WINDOWS[0]} + Whoosh: {r['p50']}x / {r['p95']}x / {r['mean']}x")
    for w in WINDOWS:
        print(f"  window {w}: first page = first 10 of -n 100 for {summary['consistent_first_page'][str(w)]} queries")
    print(f"  median query: {statistics.median(len(t.split()) for t in texts)} words")
    write_json(args.json, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
