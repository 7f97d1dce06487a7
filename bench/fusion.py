"""Compare fusion methods and weights on judged collections, from one set of candidates per query.

    python bench/fusion.py ../shared/data/scifact --index-dir /tmp/eval-scifact [--json out.json]

The index must already hold the collection's corpus (``newsdig eval DIR --index-dir D`` builds
it). For every judged query the hybrid candidates (both runs, completed over their union) are
fetched once; then each fusion is applied to the same candidates and scored with nDCG@10,
MRR@10 and Recall@100 at the article level.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.evaluate import load_collection  # noqa: E402
from search.metrics import evaluate_run  # noqa: E402
from search.ranker import Candidates, Searcher  # noqa: E402

WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("collection", type=Path)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--depth", type=int, default=300, help="candidates per retriever")
    parser.add_argument("--json", type=Path, help="also write the table here")
    args = parser.parse_args()
    if not args.collection.is_dir():
        print(f"{args.collection} not found: nothing to measure")
        return 0
    data = load_collection(args.collection)
    searcher = Searcher(args.index_dir)
    qids = list(data.queries)
    started = time.perf_counter()
    vectors = searcher.encode_queries([data.queries[q] for q in qids])
    found: dict[str, Candidates] = {}
    for n, qid in enumerate(qids):
        parsed = searcher.parse(data.queries[qid])
        found[qid] = searcher.candidates(parsed, mode="hybrid", depth=args.depth, query_vector=vectors[n])
    fetched = time.perf_counter() - started

    def score(label: str, mode: str, **options: object) -> dict[str, object]:
        run = {}
        for qid, cands in found.items():
            top = searcher.rank(replace(cands, mode=mode), limit=100, **options)  # type: ignore[arg-type]
            run[qid] = [aid for aid, _ in top]
        metrics = evaluate_run(run, data.qrels)
        return {"fusion": label, **{k: round(v, 4) for k, v in metrics.items()}}

    rows = [score("keyword only", "keyword"), score("semantic only", "semantic"),
            score("rrf k=60", "hybrid", fusion_method="rrf")]
    rows += [score(f"convex w={w}", "hybrid", fusion_method="convex", weight=w) for w in WEIGHTS]
    print(f"{data.root.name}: {len(qids)} queries, candidates fetched in {fetched:.0f} s (depth {args.depth})")
    print(f"{'fusion':<16}{'nDCG@10':>9}{'MRR@10':>9}{'Recall@100':>12}")
    for row in rows:
        print(f"{row['fusion']:<16}{row['ndcg@10']:>9.4f}{row['mrr@10']:>9.4f}{row['recall@100']:>12.4f}")
    if args.json:
        args.json.write_text(json.dumps({"collection": data.root.name, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
