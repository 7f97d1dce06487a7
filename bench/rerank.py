"""Cost of ``--rerank``: hybrid search with and without the late-interaction rerank.

    python bench/rerank.py ../shared/data/scifact --index-dir /tmp/eval-scifact [--queries 40] [--json out.json]

The index must hold the collection (``newsdig eval DIR --index-dir D`` builds it) and a model
with token states (MiniLM, not a distilled static model). Queries are the collection's first
``--queries``; each is searched (``-n 10``, snippets) without the rerank, then with
``--rerank 5`` and ``--rerank 10``, in rotation; the rerank's cache of passage states is emptied
before every query, so each pays for reading its passages as a first search would. Prints
p50/p95 per setting and the ratio of the p50s to the plain search, measured in the same process.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import percentiles_ms, ratio, table, write_json

SETTINGS = (0, 5, 10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("collection", type=Path, help="a BEIR folder (its queries.jsonl is read)")
    parser.add_argument("--index-dir", type=Path, required=True, help="an index of that collection")
    parser.add_argument("--queries", type=int, default=40, help="number of queries (default 40)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    from search.evaluate import load_collection
    from search.ranker import Searcher

    if not (args.collection / "queries.jsonl").is_file():
        print(f"{args.collection} not found: nothing to measure")
        return 0
    texts = list(load_collection(args.collection).queries.values())[:args.queries]
    times: dict[int, list[float]] = {n: [] for n in SETTINGS}
    with Searcher(args.index_dir) as searcher:
        searcher.search(texts[0], rerank=1)  # model and first-use costs out of the figures
        for text in texts:
            for n in SETTINGS:
                searcher.reranker.clear_cache()
                started = time.perf_counter()
                searcher.search(text, limit=10, rerank=n)
                times[n].append(time.perf_counter() - started)
    stats = {n: percentiles_ms(t) for n, t in times.items()}
    rows = [[f"--rerank {n}" if n else "plain hybrid", stats[n]["p50"], stats[n]["p95"],
             ratio(stats[n]["p50"], stats[0]["p50"])] for n in SETTINGS]
    print(f"{args.collection.name}: {len(texts)} queries, hybrid, -n 10, snippets")
    print(table(["setting", "p50 ms", "p95 ms", "p50 ratio"], rows))
    write_json(args.json, {"collection": str(args.collection), "queries": len(texts),
                           "settings": {str(n): stats[n] for n in SETTINGS}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
