"""IR metrics as trec_eval / pytrec_eval define them (linear gain). Pure functions.

A run maps query ids to ranked document ids; qrels map query ids to ``{doc id: relevance}``.
Every query in the qrels counts; a query with no results scores 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at_k(ranking: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain at ``k`` with gain = relevance, discount log2(rank + 1)."""
    dcg = sum(judged.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(ranking[:k], start=1))
    ideal = sorted((r for r in judged.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(rank + 1) for rank, r in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def mrr_at_k(ranking: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document within the top ``k`` (0 if none)."""
    for rank, doc in enumerate(ranking[:k], start=1):
        if judged.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranking: Sequence[str], judged: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents found in the top ``k``."""
    relevant = {doc for doc, r in judged.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


METRICS = {"ndcg@10": lambda r, j: ndcg_at_k(r, j, 10),
           "mrr@10": lambda r, j: mrr_at_k(r, j, 10),
           "recall@100": lambda r, j: recall_at_k(r, j, 100)}


def evaluate_run(run: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    """Mean of each metric over every query of ``qrels``."""
    if not qrels:
        return {name: 0.0 for name in METRICS}
    totals = {name: 0.0 for name in METRICS}
    for qid, judged in qrels.items():
        ranking = run.get(qid, [])
        for name, metric in METRICS.items():
            totals[name] += metric(ranking, judged)
    return {name: total / len(qrels) for name, total in totals.items()}
