"""The benchmark metric (bench/shingle_metric.py) against METRIC.md's table, and the cleaner's
score on the news-html pages when that data folder is present."""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "news-html"


def _load_metric():
    spec = importlib.util.spec_from_file_location("shingle_metric", ROOT / "bench" / "shingle_metric.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("shingle_metric", module)
    spec.loader.exec_module(module)
    return module


metric = _load_metric()


@pytest.mark.parametrize(
    ("truth", "pred", "expected"),
    [
        ("a b c d", "a b c d", (1, 0, 0)),
        ("a b c d e", "a b c d", (0.5, 0, 0.5)),
        ("a b c d", "a b c d e", (0.5, 0.5, 0)),
        ("one two three", "one two three", (1, 0, 0)),
        ("one two three", "one two three four", (0, 0.5, 0.5)),
        ("", "x", (0, 1, 0)),
        ("x", "", (0, 0, 1)),
        ("", "", (0, 0, 0)),
        ("!!!", "...", (0, 0, 0)),
        ("Hello, world! Foo-bar baz", "hello world foo bar baz", (0, 0.5, 0.5)),
        ("a b c d a b c d", "a b c d", (0.2, 0, 0.8)),
        ("snake_case 3.14 x", "snake_case 3 14 x", (1, 0, 0)),
    ],
)
def test_page_counts_match_the_metric_table(truth: str, pred: str, expected: tuple[float, float, float]) -> None:
    assert metric.page_counts(truth, pred) == pytest.approx(expected, abs=1e-12)


def test_aggregate_is_f1_of_macro_means() -> None:
    rows = [(1, 0, 0), (0, 0, 1), (0, 1, 0), (0, 0, 0), (0.5, 0, 0.5)]
    f1, p, r = metric.aggregate(rows)
    assert (round(p, 4), round(r, 4), round(f1, 4)) == (0.6667, 0.5, 0.5714)


def test_evaluate_counts_exact_matches_and_empty_predictions() -> None:
    scores = metric.evaluate([("a b c d", "a, b c d!"), ("x y", ""), ("p q r s t", "p q r s")])
    assert scores.pages == 3 and scores.empty_predictions == 1
    assert scores.accuracy == pytest.approx(1 / 3)
    assert scores.precision == pytest.approx(1.0) and scores.recall == pytest.approx((1 + 0 + 0.5) / 3)


def test_shingles_are_a_multiset_and_tokens_keep_case() -> None:
    assert metric.tokens("Héllo, wörld_1 3.14") == ["Héllo", "wörld_1", "3", "14"]
    assert metric.shingles("a b c d a b c d")[("a", "b", "c", "d")] == 2


@pytest.mark.data
def test_cleaner_beats_the_trafilatura_bar_on_news_html() -> None:
    if not (DATA / "ground-truth.json").is_file():
        pytest.skip(f"benchmark data not found at {DATA}")
    from indexer.clean import clean_html

    truth = json.loads((DATA / "ground-truth.json").read_text(encoding="utf8"))
    pairs = []
    for page_id, item in sorted(truth.items()):
        with gzip.open(DATA / "html" / f"{page_id}.html.gz", "rt", encoding="utf8") as fh:
            pairs.append((item["articleBody"], clean_html(fh.read()).body))
    scores = metric.evaluate(pairs)
    assert scores.f1 >= 0.96
    assert scores.empty_predictions == 0
