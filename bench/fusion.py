"""Compare fusion methods and weights on judged collections, from one set of candidates per query.

    python bench/fusion.py ../shared/data/scifact --index-dir /tmp/eval-scifact [--json out.json]
    python bench/fusion.py ../shared/data/{scifact,squad-a,cranfield,cisi,med} --index-dir '/tmp/eval-{name}'

Each index must already hold its collection's corpus (``newsdig eval DIR --index-dir D`` builds
it; with several collections ``{name}`` in ``--index-dir`` stands for each one's folder name).
For every judged query the hybrid candidates (both runs, completed over their union) are
fetched once; then each fusion is applied to the same candidates and scored with nDCG@10,
MRR@10 and Recall@100 at the article level; "rank ms" is its time per query (``Searcher.rank``:
fusion, collapse to articles, neighbour support, anchors). Rows ``sentences s=...`` vary the
share of the best sentence in the semantic score (``search.fusion.with_sentences``; hybrid at the
default convex weight, and semantic only), on indexes with sentence vectors; rows ``support
a=...`` vary the weight of neighbour support (``search.neighbours``; 0 = none). Every hybrid row
uses the defaults for what it does not vary. With several collections it ends with a held-out
check: for each collection, the convex weight (the sentence share, the support weight) that is
best on the *other* collections (mean nDCG@10), and what it scores on the one left out, beside
the default's.
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
from search.fusion import DEFAULT_WEIGHT, SENTENCE_WEIGHT, with_sentences  # noqa: E402
from search.neighbours import SUPPORT_WEIGHT  # noqa: E402
from search.ranker import Candidates, Searcher  # noqa: E402

WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
SENTENCE_SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
SUPPORTS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("collection", type=Path, nargs="+")
    parser.add_argument("--index-dir", required=True, help="the index (with several collections: a pattern with {name})")
    parser.add_argument("--depth", type=int, default=300, help="candidates per retriever")
    parser.add_argument("--json", type=Path, help="also write the table here")
    args = parser.parse_args()
    tables = {}
    for collection in args.collection:
        if not collection.is_dir():
            print(f"{collection} not found: skipped")
            continue
        index_dir = Path(args.index_dir.format(name=collection.name))
        tables[collection.name] = measure(collection, index_dir, args.depth)
    if len(tables) > 1:
        held_out(tables)
    if args.json:
        args.json.write_text(json.dumps([{"collection": name, "rows": rows} for name, rows in tables.items()], indent=2))
    return 0


def held_out(tables: dict[str, list[dict[str, object]]]) -> None:
    """Leave-one-collection-out choice of the convex weight."""
    def ndcg(name: str, label: str) -> float | None:
        return next((float(r["ndcg@10"]) for r in tables[name] if r["fusion"] == label), None)  # type: ignore[arg-type]

    for what, values, label, default in (("convex weight", WEIGHTS, "convex w={}", DEFAULT_WEIGHT),
                                         ("sentence share", SENTENCE_SHARES, "sentences s={}", SENTENCE_WEIGHT),
                                         ("support weight", SUPPORTS, "support a={}", SUPPORT_WEIGHT)):
        if any(ndcg(name, label.format(v)) is None for name in tables for v in values):
            continue
        print(f"\nheld-out check ({what} chosen on the other collections):")
        for name in tables:
            others = [n for n in tables if n != name]
            chosen = max(values, key=lambda v: sum(ndcg(n, label.format(v)) or 0.0 for n in others))
            print(f"  {name}: chosen {chosen}, held-out nDCG@10 {ndcg(name, label.format(chosen)):.4f} "
                  f"(default {default}: {ndcg(name, label.format(default)):.4f})")


def measure(collection: Path, index_dir: Path, depth: int) -> list[dict[str, object]]:
    """The fusion table of one collection."""
    data = load_collection(collection)
    searcher = Searcher(index_dir)
    qids = list(data.queries)
    started = time.perf_counter()
    parsed = {qid: searcher.parse(data.queries[qid]) for qid in qids}
    vectors = searcher.encode_queries([parsed[q].semantic_text or data.queries[q] for q in qids])  # as `eval` does
    found: dict[str, Candidates] = {}
    for n, qid in enumerate(qids):
        found[qid] = searcher.candidates(parsed[qid], mode="hybrid", depth=depth, query_vector=vectors[n])
    fetched = time.perf_counter() - started

    def score(label: str, mode: str, share: float | None = None, **options: object) -> dict[str, object]:
        run = {}
        started = time.perf_counter()
        for qid, cands in found.items():
            if share is not None and cands.passage:
                cands = replace(cands, semantic=with_sentences(cands.passage, cands.sentence, share))
            top = searcher.rank(replace(cands, mode=mode), limit=100, **options)  # type: ignore[arg-type]
            run[qid] = [aid for aid, _ in top]
        took = (time.perf_counter() - started) / max(len(found), 1)
        metrics = evaluate_run(run, data.qrels)
        return {"fusion": label, **{k: round(v, 4) for k, v in metrics.items()}, "rank_ms": round(took * 1000, 2)}

    rows = [score("keyword only", "keyword"), score("semantic only", "semantic"),
            score("rrf k=60", "hybrid", fusion_method="rrf"), score("rrf k=60 a=0", "hybrid", fusion_method="rrf", support=0.0)]
    rows += [score(f"convex w={w}", "hybrid", fusion_method="convex", weight=w) for w in WEIGHTS]
    rows += [score(f"support a={a}", "hybrid", support=a) for a in SUPPORTS]
    if any(cands.sentence for cands in found.values()):
        rows += [score(f"sentences s={s}", "hybrid", share=s) for s in SENTENCE_SHARES]
        rows += [score(f"semantic s={s}", "semantic", share=s) for s in SENTENCE_SHARES]
    print(f"{data.root.name}: {len(qids)} queries, candidates fetched in {fetched:.0f} s (depth {depth})")
    print(f"{'fusion':<18}{'nDCG@10':>9}{'MRR@10':>9}{'Recall@100':>12}{'rank ms':>9}")
    for row in rows:
        print(f"{row['fusion']:<18}{row['ndcg@10']:>9.4f}{row['mrr@10']:>9.4f}{row['recall@100']:>12.4f}"
              f"{row['rank_ms']:>9.2f}")
    return rows


if __name__ == "__main__":
    sys.exit(main())
