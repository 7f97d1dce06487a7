"""Candidate window: hybrid latency and page consistency with 100 or 300 passages per retriever,
the anchor check by postings against Whoosh's matchers, `ask` at either window, and filtered
semantic searches by the ANN, exactly, or as indexer/vector_search.py chooses.

    python bench/window.py --index-dir /tmp/bench-idx [--queries 200] [--repeat 3] [--json out.json]

The queries are bench/query.py's (made from the index's own passages). Each configuration runs
every query in turn, query by query in rotating order (so drift on a shared machine falls on
all of them alike), as ``Searcher.search(query, limit=10)`` with snippets. "Consistent" counts
the queries whose first page (``-n 10``) is the first 10 of ``-n 100`` (what `eval` ranks).
`ask` runs the question-kind queries (``-n 5``) at each window, alternating, and counts the
questions whose 5 passages are the first 5 of ``-n 30``. The filtered semantic searches are the
queries with conditions (``source:``, ``+word``, ``-word``), each timed warm for 300 hits per path.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

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

    from search import anchors, ranker
    from search import passages as answers

    rows, _ = passages(args.index_dir)
    queries = make_queries(rows, args.queries)
    texts = [q["text"] for q in queries]
    questions = [q["text"] for q in queries if q["kind"] == "question"]
    searcher = ranker.Searcher(args.index_dir)
    whoosh_anchors = lambda s, scoring, cands, bm25=None: anchors.anchored_docs(s, scoring, cands)
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
    asked: dict[int, list[float]] = {w: [] for w in WINDOWS}
    agree = dict.fromkeys(WINDOWS, 0)
    for n, text in enumerate(questions * args.repeat):
        for w in WINDOWS if n % 2 else WINDOWS[::-1]:
            answers.WINDOW = w
            started = time.perf_counter()
            few = [p.chunk_id for p in answers.ask(searcher, text, limit=5)]
            asked[w].append(time.perf_counter() - started)
            if n < len(questions):
                agree[w] += few == [p.chunk_id for p in answers.ask(searcher, text, limit=30)][:5]
    filtered = _filtered(searcher, texts)
    base = percentiles_ms(times[f"window {WINDOWS[0]}, anchors by Whoosh"])
    summary: dict[str, Any] = {"index_dir": str(args.index_dir), "queries": len(texts), "repeat": args.repeat,
                               "latency_ms": {c: percentiles_ms(t) for c, t in times.items()},
                               "consistent_first_page": {str(w): f"{consistent[w]}/{len(texts)}" for w in WINDOWS}}
    summary["ask_ms"] = {str(w): percentiles_ms(t) for w, t in asked.items()}
    summary["ask_consistent"] = {str(w): f"{agree[w]}/{len(questions)}" for w in WINDOWS}
    summary["filtered_semantic_ms"] = filtered
    summary["ratio_to_old"] = {c: {p: ratio(v[p], base[p]) for p in ("p50", "p95", "mean")}
                               for c, v in summary["latency_ms"].items()}
    print(f"{len(texts)} queries x {args.repeat} passes on {args.index_dir} (hybrid, -n 10, snippets)")
    for config, v in summary["latency_ms"].items():
        r = summary["ratio_to_old"][config]
        print(f"  {config:32s} p50 {v['p50']:7.1f} ms  p95 {v['p95']:7.1f} ms  mean {v['mean']:7.1f} ms   "
              f"vs window {WINDOWS[0]} + Whoosh: {r['p50']}x / {r['p95']}x / {r['mean']}x")
    for w in WINDOWS:
        print(f"  window {w}: first page = first 10 of -n 100 for {summary['consistent_first_page'][str(w)]} queries")
    for w in WINDOWS:
        a = summary["ask_ms"][str(w)]
        print(f"  ask -n 5, window {w}: p50 {a['p50']} ms, mean {a['mean']} ms; its 5 passages are the first 5 "
              f"of -n 30 for {summary['ask_consistent'][str(w)]} questions")
    for row in filtered:
        print(f"  filtered semantic, {row['rows']:>9,} rows allowed: ANN {row['ann']:7.1f} ms, exact {row['exact']:7.1f} ms,"
              f" chosen {row['chosen']:7.1f} ms ({row['path']})  {row['query']}")
    if filtered:
        print("  filtered semantic, total: " + ", ".join(f"{p} {sum(r[p] for r in filtered):.0f} ms"
                                                          for p in ("ann", "exact", "chosen")))
    print(f"  median query: {statistics.median(len(t.split()) for t in texts)} words")
    write_json(args.json, summary)
    return 0


def _filtered(searcher: Any, texts: list[str], k: int = 300) -> list[dict[str, Any]]:
    """Warm time of each filtered query's semantic search: ANN-filtered, exact, and as chosen."""
    from indexer import vector_search
    from search.docsets import condition_docs

    reader, store, out = searcher.reader, searcher.reader.store, []
    if store.ann is None:
        return out
    default = (vector_search.ANN_FILTER_SHARE, vector_search.EXACT_ROWS_PER_HIT, vector_search.FULL_ROWS_PER_HIT)
    paths = {"ann": (0.0, 0, 0), "exact": (2.0, 0, 0), "chosen": default}
    for text in texts:
        parsed = searcher.parse(text)
        if parsed.constraint is None or not parsed.semantic_text:
            continue
        allowed = condition_docs(reader.searcher, parsed.constraint, store.live, reader.postings, lambda: reader.published)
        if allowed is None or not len(allowed):
            continue
        qvec = searcher.encoder.encode([parsed.semantic_text])[0]
        row: dict[str, Any] = {"query": text, "rows": len(allowed)}
        for path, (share, per_hit, full) in paths.items():
            vector_search.ANN_FILTER_SHARE, vector_search.EXACT_ROWS_PER_HIT, vector_search.FULL_ROWS_PER_HIT = \
                share, per_hit, full
            store.search(qvec, k, allowed=allowed)
            started = time.perf_counter()
            store.search(qvec, k, allowed=allowed)
            row[path] = round((time.perf_counter() - started) * 1000, 1)
        vector_search.ANN_FILTER_SHARE, vector_search.EXACT_ROWS_PER_HIT, vector_search.FULL_ROWS_PER_HIT = default
        rows = np.asarray(sorted(allowed), dtype=np.int64)
        row["path"] = "ANN" if vector_search.ann_filters(store, k, rows) else "exact"
        out.append(row)
    return out


if __name__ == "__main__":
    sys.exit(main())
