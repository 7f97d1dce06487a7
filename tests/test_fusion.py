"""Fusion functions, with hand-computed expectations."""

from __future__ import annotations

import pytest

from search.fusion import collapse, convex, minmax, ranked, rrf


def test_minmax_and_ties() -> None:
    assert minmax({"a": 2.0, "b": 4.0, "c": 3.0}) == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert minmax({"a": 5.0, "b": 5.0}) == {"a": 1.0, "b": 1.0}
    assert minmax({}) == {}
    assert ranked({"b": 1.0, "a": 1.0, "c": 2.0}) == ["c", "a", "b"]


def test_rrf_k60() -> None:
    fused = rrf([{"a": 9.0, "b": 5.0}, {"b": 0.9, "c": 0.1}], k=60)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 62)
    assert ranked(fused) == ["b", "a", "c"]


def test_convex_weights_and_missing_ids() -> None:
    # Missing ids score 0 before normalisation: semantic a=0, b=0.8, c=0.4 -> 0, 1, 0.5.
    fused = convex({"a": 10.0, "b": 0.0}, {"b": 0.8, "c": 0.4}, weight=0.25)
    assert fused == pytest.approx({"a": 0.75, "b": 0.25, "c": 0.125})
    # A document matching one query term keeps keyword credit over one matching none.
    partial = convex({"x": 4.0, "y": 3.0}, {"x": 0.1, "y": 0.9, "z": 0.9}, weight=0.5)
    assert partial["y"] > partial["z"] and partial["y"] == pytest.approx(0.5 * 0.75 + 0.5 * 1.0)
    assert convex({"a": 1.0}, {"b": 1.0}, weight=1.0) == {"a": 0.0, "b": 1.0}
    with pytest.raises(ValueError):
        convex({}, {}, weight=1.5)


def test_collapse_keeps_best_chunk_per_article() -> None:
    best = collapse({"x#0": 0.2, "x#1": 0.9, "y#0": 0.5, "y#1": 0.5}, lambda c: c.split("#")[0])
    assert best == {"x": (0.9, "x#1"), "y": (0.5, "y#0")}


def test_lucene_idf() -> None:
    import math

    from search.scoring import bm25_idf

    assert bm25_idf(1, 1000) == pytest.approx(math.log(1 + 999.5 / 1.5))
    assert bm25_idf(500, 1000) == pytest.approx(math.log(2.0))
    assert bm25_idf(1000, 1000) > 0


def test_cli_default_weight_is_the_library_default() -> None:
    import inspect

    import cli_common
    import cli_search
    import cli_tools
    from search.fusion import DEFAULT_WEIGHT

    assert cli_common.DEFAULT_WEIGHT == DEFAULT_WEIGHT
    for command in (cli_search.search, cli_tools.eval_):
        assert inspect.signature(command).parameters["weight"].default == DEFAULT_WEIGHT
