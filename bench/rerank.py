"""Cost of ``--rerank``: hybrid search with and without the late-interaction rerank.

    python bench/rerank.py ../shared/data/scifact --index-dir /tmp/eval-scifact [--queries 40] [--json out.json]

The index must hold the collection (``newsdig eval DIR --index-dir D`` builds it) and a model
with token states (MiniLM, not a distilled static model). Queries are the collection's first
``--queries``; each is searched (``-n 10``, snippets) in rotation: without the rerank
(``--rerank 0``); with the default rerank of the top 10, its passages' token states decoded from
the index's token codes (where it has them); and with the model reading the passages again
(``--rerank 5`` and ``10`` on an index without codes), the cache of passage states emptied
before every query, so each pays for reading its passages as a first search would. Each query
is searched once untimed first, so that no setting pays for the query's first touch of the
index's files (the plain search, timed first, did: it measured ~8 % slower than the rerank). Prints
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

SETTINGS = (("plain hybrid (--rerank 0)", 0, False), ("rerank 10 from token codes (default)", 10, True),
            ("rerank 5, model reads passages", 5, False), ("rerank 10, model reads passages", 10, False))


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
    with Searcher(args.index_dir) as searcher:
        settings = [s for s in SETTINGS if searcher.reader.tokens is not None or not s[2]]
        times: dict[str, list[float]] = {name: [] for name, _, _ in settings}
        reranker = searcher.reranker
        stored = reranker.stored
        searcher.search(texts[0], rerank=1)  # model and first-use costs out of the figures
        for text in texts:
            searcher.search(text, limit=10, rerank=0)  # the query's first touch of the index, untimed
            for name, n, codes in settings:
                reranker.clear_cache()
                reranker.stored = stored if codes else (lambda docnum: None)
                started = time.perf_counter()
                searcher.search(text, limit=10, rerank=n)
                times[name].append(time.perf_counter() - started)
    stats = {name: percentiles_ms(t) for name, t in times.items()}
    base = stats[settings[0][0]]["p50"]
    rows = [[name, stats[name]["p50"], stats[name]["p95"], ratio(stats[name]["p50"], base)] for name, _, _ in settings]
    print(f"{args.collection.name}: {len(texts)} queries, hybrid, -n 10, snippets"
          + ("" if searcher.reader.tokens is not None else " (the index has no token codes)"))
    print(table(["setting", "p50 ms", "p95 ms", "p50 ratio"], rows))
    write_json(args.json, {"collection": str(args.collection), "queries": len(texts), "settings": stats})
    return 0


if __name__ == "__main__":
    sys.exit(main())
