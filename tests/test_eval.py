"""Metrics against hand-computed values, and `newsdig eval` on a tiny hand-made collection."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from search.metrics import evaluate_run, mrr_at_k, ndcg_at_k, recall_at_k


def test_ndcg_linear_gain_and_ideal_from_all_judgements() -> None:
    judged = {"a": 2, "b": 1, "c": 1}
    # ranking: x, a, c  -> DCG = 2/log2(3) + 1/log2(4); ideal: 2, 1, 1 -> 2 + 1/log2(3) + 1/2
    dcg = 2 / math.log2(3) + 1 / 2
    idcg = 2 + 1 / math.log2(3) + 1 / 2
    assert ndcg_at_k(["x", "a", "c"], judged, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["a", "b", "c"], judged, 10) == pytest.approx(1.0)
    assert ndcg_at_k([], judged, 10) == 0.0
    assert ndcg_at_k(["b", "a"], judged, 1) == pytest.approx(1 / 2)  # cut at k: 1 vs ideal 2


def test_mrr_and_recall() -> None:
    judged = {"a": 1, "b": 1}
    assert mrr_at_k(["x", "y", "b"], judged, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"] * 10 + ["a"], judged, 10) == 0.0
    assert recall_at_k(["a", "x"], judged, 100) == 0.5
    assert recall_at_k(["x", "a"], judged, 1) == 0.0


def test_every_judged_query_counts_even_without_results() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    scores = evaluate_run({"q1": ["a"]}, qrels)
    assert scores == {"ndcg@10": 0.5, "mrr@10": 0.5, "recall@100": 0.5}


def _collection(root: Path) -> Path:
    docs = [
        ("d1", "Solar farm on reservoir", "The council approved a floating solar farm on the old reservoir."),
        ("d2", "Wheat harvest shrinks", "Drought cut the wheat harvest and bread prices rose."),
        ("d3", "Ferry strike", "The ferry strike ended with a pay deal for the crews."),
        ("d4", "Bakers warn", "Bakers warned that flour from the poor wheat harvest costs more."),
    ]
    root.mkdir()
    (root / "corpus.jsonl").write_text("".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n"
                                               for i, t, x in docs))
    (root / "queries.jsonl").write_text(
        '{"_id": "q1", "text": "floating solar reservoir"}\n'
        '{"_id": "q2", "text": "wheat harvest"}\n'
        '{"_id": "q3", "text": "unjudged query"}\n'
        '{"_id": "q4", "text": "zzzz qqqq"}\n')
    (root / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\nq2\td4\t1\nq4\td3\t1\n")
    return root


def test_eval_command_on_a_tiny_collection(tmp_path: Path) -> None:
    root = _collection(tmp_path / "tiny")
    result = CliRunner().invoke(app, ["eval", str(root), "--mode", "keyword", "--json",
                                      "--index-dir", str(tmp_path / "idx")])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)
    # q1: d1 first -> 1. q2: d2 and d4 both match "wheat harvest"; q4 finds nothing -> 0.
    # d4's passage is longer than d2's, so BM25 ranks d2 (gain 2) first: nDCG 1, MRR 1, recall 1.
    assert row == {"collection": "tiny", "mode": "keyword", "queries": 3,
                   "ndcg@10": round(2 / 3, 4), "mrr@10": round(2 / 3, 4), "recall@100": round(2 / 3, 4)}
    again = CliRunner().invoke(app, ["eval", str(root), "--index-dir", str(tmp_path / "idx")])
    assert again.exit_code == 0 and "hybrid" in again.stdout and "semantic" in again.stdout


def test_eval_rejects_a_folder_that_is_not_beir(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 1
    assert "missing corpus.jsonl, queries.jsonl, qrels.tsv" in result.stderr
