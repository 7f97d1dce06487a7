"""Evaluate search modes on a BEIR-format folder (corpus.jsonl, queries.jsonl, qrels.tsv)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import NewsdigError

from .metrics import evaluate_run
from .batch import search_many
from .ranker import Searcher

EVAL_DEPTH = 100  # results per query: enough for Recall@100


@dataclass(frozen=True)
class Collection:
    """A judged collection: the corpus file, the judged queries and their judgements."""

    root: Path
    corpus: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_collection(root: str | os.PathLike[str]) -> Collection:
    """Read a BEIR folder; only queries that have judgements are kept."""
    root = Path(root)
    paths = {name: root / name for name in ("corpus.jsonl", "queries.jsonl", "qrels.tsv")}
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        raise NewsdigError(f"{root} is not a BEIR folder: missing {', '.join(missing)}",
                           hint="it needs corpus.jsonl, queries.jsonl and qrels.tsv")
    qrels: dict[str, dict[str, int]] = {}
    with open(paths["qrels.tsv"], encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if not row or (number == 1 and not row[-1].strip().lstrip("-").isdigit()):
                continue  # blank line or header
            if len(row) == 4:  # TREC style: qid, 0, docid, rel
                row = [row[0], row[2], row[3]]
            try:
                qid, doc, rel = row[0].strip(), row[1].strip(), int(row[2])
            except (IndexError, ValueError):
                raise NewsdigError(f"{paths['qrels.tsv']}:{number}: expected query-id, corpus-id, score") from None
            qrels.setdefault(qid, {})[doc] = rel
    queries: dict[str, str] = {}
    with open(paths["queries.jsonl"], encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                queries[str(obj["_id"] if "_id" in obj else obj["id"])] = str(obj["text"])
            except (ValueError, KeyError, TypeError):
                raise NewsdigError(f"{paths['queries.jsonl']}:{number}: expected an object with id and text") from None
    unknown = sorted(set(qrels) - set(queries))
    if unknown:
        raise NewsdigError(f"{len(unknown)} judged queries are missing from queries.jsonl (e.g. {unknown[0]})")
    return Collection(root, paths["corpus.jsonl"], {q: queries[q] for q in qrels}, qrels)


def run_queries(searcher: Searcher, queries: dict[str, str], mode: str, *, depth: int = EVAL_DEPTH,
                progress: Callable[[int], None] | None = None, **options: object) -> dict[str, list[str]]:
    """Ranked article ids per query, without snippets."""
    run: dict[str, list[str]] = {}
    batch = search_many(searcher, list(queries.items()), mode=mode, limit=depth, snippets=False, **options)
    for n, (qid, results) in enumerate(batch, start=1):
        run[qid] = [hit.article_id for hit in results.hits]
        if progress:
            progress(n)
    return run


def evaluate(searcher: Searcher, collection: Collection, modes: list[str],
             progress: Callable[[str, int, int], None] | None = None, **options: object) -> dict[str, dict[str, float]]:
    """``{mode: {metric: mean}}`` over the judged queries."""
    results = {}
    for mode in modes:
        tick = (lambda n, m=mode: progress(m, n, len(collection.queries))) if progress else None
        run = run_queries(searcher, collection.queries, mode, progress=tick, **options)
        results[mode] = evaluate_run(run, collection.qrels)
    return results
