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


def _unit(*rows: list[float]):  # type: ignore[no-untyped-def]
    import numpy as np

    out = np.array(rows, dtype=np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


# Hits 0 and 2 point the same way, hit 1 leans towards hit 3, the rest are orthogonal.
CLUSTERED = _unit([1, 0, 0, 0], [0, 0, 1, 0.5], [1, 0.1, 0, 0], [0, 0, 0, 1])


def test_neighbour_means_hand_computed() -> None:
    from search.neighbours import neighbour_means

    scores = [1.0, 0.7, 0.65, 0.1]
    assert neighbour_means(scores, CLUSTERED, k=1) == pytest.approx([0.65, 0.1, 1.0, 0.7])
    # k=2: hit 0's second neighbour is a tie at cosine 0 (hits 1 and 3): the earlier one, hit 1.
    assert neighbour_means(scores, CLUSTERED, k=2)[0] == pytest.approx((0.65 + 0.7) / 2)
    assert neighbour_means(scores, CLUSTERED, k=10) == pytest.approx(  # fewer others than k: all of them
        [(0.7 + 0.65 + 0.1) / 3, (1.0 + 0.65 + 0.1) / 3, (1.0 + 0.7 + 0.1) / 3, (1.0 + 0.7 + 0.65) / 3])
    assert list(neighbour_means([0.5], CLUSTERED[:1])) == [0.0]


def test_support_lifts_a_hit_among_strong_hits_above_an_isolated_one() -> None:
    from search.neighbours import with_support

    order, scores = with_support([1.0, 0.7, 0.65, 0.1], CLUSTERED, weight=0.25, k=1)
    # 0.75 x own + 0.25 x its nearest hit's score: hit 2 (near hit 0) passes hit 1 (near hit 3).
    assert list(order) == [0, 2, 1, 3]
    assert scores == pytest.approx([0.75 + 0.25 * 0.65, 0.75 * 0.7 + 0.025, 0.75 * 0.65 + 0.25, 0.075 + 0.25 * 0.7])


def test_support_keeps_the_top_hit_first_and_scores_falling() -> None:
    from search.neighbours import with_support

    # Hit 0 is isolated (its nearest hit is the weak hit 3); hits 1 and 2 support each other.
    vectors = _unit([1, 0, 0, 0.5], [0, 1, 0, 0], [0, 1, 0.1, 0], [0, 0, 0, 1])
    order, scores = with_support([1.0, 0.9, 0.85, 0.1], vectors, weight=0.25, k=1)
    assert list(order) == [0, 1, 2, 3]
    assert 0.75 * 0.9 + 0.25 * 0.85 > 0.75 + 0.25 * 0.1  # hit 1 would have passed hit 0 ...
    assert scores[0] == pytest.approx(scores[1]) == pytest.approx(0.75 * 0.9 + 0.25 * 0.85)  # ... so 0 is raised
    same, unchanged = with_support([1.0, 0.9, 0.85, 0.1], vectors, weight=0.0)
    assert list(same) == [0, 1, 2, 3] and list(unchanged) == [1.0, 0.9, 0.85, 0.1]
    with pytest.raises(ValueError):
        with_support([1.0, 0.5], vectors[:2], weight=1.5)


def test_cli_default_support_is_the_library_default() -> None:
    import inspect

    import cli_common
    import cli_search
    import cli_tools
    from search.neighbours import SUPPORT_WEIGHT

    assert cli_common.DEFAULT_SUPPORT == SUPPORT_WEIGHT
    for command in (cli_search.search, cli_tools.eval_):
        assert inspect.signature(command).parameters["support"].default == SUPPORT_WEIGHT
