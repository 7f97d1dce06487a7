"""The query language: README examples run against examples/articles, and the parts one by one."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from search.query import Filters, natural_range, parse_date, semantic_text
from search.ranker import Searcher

ROOT = Path(__file__).resolve().parents[1]


def readme_examples() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("<!-- query-examples -->")[1].split("<!-- /query-examples -->")[0]
    rows = [line.split("|") for line in table.strip().splitlines()[2:]]
    return [(re.sub(r"^`|`$", "", cells[1].strip()), cells[3].strip()) for cells in rows]


@pytest.fixture(scope="module")
def examples_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import tests.conftest as conf
    from indexer import embed

    original = embed.load_encoder
    embed.load_encoder = lambda name, path, **kwargs: conf.HashEncoder()  # type: ignore[assignment]
    try:
        idx = tmp_path_factory.mktemp("examples") / "idx"
        result = CliRunner().invoke(app, ["index", str(ROOT / "examples" / "articles"), "--index-dir", str(idx)])
        assert result.exit_code == 0, result.output
    finally:
        embed.load_encoder = original
    return idx


def test_readme_has_the_examples() -> None:
    assert len(readme_examples()) >= 10


@pytest.mark.parametrize("query, expected", readme_examples())
def test_readme_query_examples(examples_index: Path, query: str, expected: str) -> None:
    result = CliRunner().invoke(app, ["search", query, "--mode", "keyword", "--json", "-n", "3",
                                      "--index-dir", str(examples_index)])
    assert result.exit_code == 0, result.output
    hits = [json.loads(line) for line in result.stdout.splitlines() if '"rank"' in line]
    assert hits and hits[0]["title"].startswith(expected), [h["title"] for h in hits]


def test_conditions_filter_every_mode_before_the_cut(examples_index: Path) -> None:
    with Searcher(examples_index) as s:
        for mode in ("keyword", "semantic", "hybrid"):
            hits = s.search("news", mode=mode, limit=5, filters=Filters(sources=("Island Courier",))).hits
            assert [h.source for h in hits] == ["Island Courier"]
            dated = s.search("the", mode=mode, limit=20, filters=Filters(since=date(2025, 1, 1), until=date(2025, 3, 31))).hits
            assert dated and all("2025-01-01" <= (h.published or "")[:10] <= "2025-03-31" for h in dated)
            excluded = s.search("ferry -strike", mode=mode, limit=20).hits
            assert "csv-001" not in [h.article_id for h in excluded]
        # -n 2 gives two hits when the filter leaves more than two: filtered before the cut
        assert len(s.search("the", mode="semantic", limit=2, filters=Filters(since=date(2025, 1, 1))).hits) == 2


def test_sorting_paging_and_min_score(examples_index: Path) -> None:
    with Searcher(examples_index) as s:
        newest = s.search("date:[2024-01-01 TO 2026-12-31]", mode="keyword", limit=15, sort="-date").hits
        dates = [h.published[:10] for h in newest]
        assert dates == sorted(dates, reverse=True) and len(dates) == 15
        oldest = s.search("the", mode="hybrid", limit=5, sort="date").hits
        assert [h.published[:10] for h in oldest] == sorted(h.published[:10] for h in oldest)
        page1 = s.search("said", mode="keyword", limit=3).hits
        page2 = s.search("said", mode="keyword", limit=3, offset=3)
        assert [h.rank for h in page2.hits] == [4, 5, 6]
        assert not {h.article_id for h in page1} & {h.article_id for h in page2.hits}
        between = (page1[0].score + page1[1].score) / 2
        assert [h.article_id for h in s.search("said", mode="keyword", limit=10, min_score=between).hits] == [
            page1[0].article_id]


def test_facets_suggestions_and_explanations(examples_index: Path) -> None:
    with Searcher(examples_index) as s:
        results = s.search("ferry OR harbour", mode="keyword", limit=1, facets=True, explain=True)
        assert results.facets is not None and results.facets.articles >= 2
        assert ("Island Courier", 1) in results.facets.sources
        assert sum(n for _, n in results.facets.months) == results.facets.articles
        why = results.explanations[results.hits[0].article_id]
        assert why.keyword_rank == 1 and why.fusion.startswith("keyword mode: BM25 score")
        assert set(why.matched_terms) <= {"ferri", "harbour"} and why.matched_terms
        assert s.search("wheet harvst", mode="keyword").suggestion == "wheat harvest"
        assert s.search("wheat harvest", mode="keyword").suggestion is None
        hybrid = s.search("bread prices", limit=1, explain=True)
        assert hybrid.explanations[hybrid.hits[0].article_id].fusion.startswith("convex: 0.40 x ")


def test_malformed_queries_warn_and_search_plain_words(examples_index: Path) -> None:
    for query in ('"unclosed drought', "(drought", "drought AND", "drought]"):
        result = CliRunner().invoke(app, ["search", query, "--mode", "keyword", "--json", "--index-dir", str(examples_index)])
        assert result.exit_code == 0
        assert result.stderr.startswith("newsdig: warning: the query has ") and "searched as plain words" in result.stderr
        assert json.loads(result.stdout.splitlines()[0])["title"].startswith("Second Summer of Drought")


def test_dates_and_plain_text() -> None:
    today = date(2026, 11, 27)
    assert parse_date("7d", today=today) == date(2026, 11, 20)
    assert parse_date("2024-03", today=today) == date(2024, 3, 1)
    with pytest.raises(ValueError):
        parse_date("soon", today=today)
    assert natural_range("last week", today) == (date(2026, 11, 20), today)
    assert natural_range("this month", today) == (date(2026, 11, 1), today)
    assert natural_range("past 3 days", today) == (date(2026, 11, 24), today)
    assert semantic_text('"interest rate" inflation source:ledger -sport date:[2024 TO 2025] +bank') == "interest rate inflation bank"


def test_hyphenated_words_are_not_exclusions(examples_index: Path) -> None:
    with Searcher(examples_index) as s:
        for text in ("go-between negotiators", "covid-19 vaccine", "door-to-door measles"):
            parsed = s.parse(text)
            assert parsed.constraint is None, (text, parsed.scoring)
        assert s.parse("measles -ferry").constraint is not None
        for text in ("measles - ferry strike", "measles -- ferry", "ferry + strike"):  # a dash alone is punctuation
            parsed = s.parse(text)
            assert parsed.constraint is None and "ferri" in parsed.terms, (text, parsed.scoring)


def test_a_question_mark_after_a_bracket_or_quote_is_not_a_wildcard(examples_index: Path) -> None:
    from whoosh import query as wq

    with Searcher(examples_index) as s:
        for text in ("what is the ferry (strike)?", 'who said "ferry strike"?', "ferry strike ?"):
            scoring = s.parse(text).scoring
            assert not any(isinstance(q, wq.Wildcard) for q in [scoring, *scoring.children()]), (text, scoring)


def test_repeated_words_of_a_long_query_weigh_more(examples_index: Path) -> None:
    with Searcher(examples_index) as s:
        weights = {t.text: round(t.boost, 3) for t in s.parse("ferry strike and the ferry crews' ferry").scoring.subqueries}
        assert weights == {"ferri": round(9 * 3 / 11, 3), "strike": 1.0, "crew": 1.0}
        assert all(t.boost == 1.0 for t in s.parse("ferry strike").scoring.subqueries)


def test_snippets_mark_the_words_a_prefix_stands_for(examples_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import search.query as query

    with Searcher(examples_index) as s:
        assert s.parse("ferr*").terms == {"ferri", "ferreira"}  # the index's words (stems) under the prefix
        hit = s.search("ferr*", mode="keyword", limit=1).hits[0]
        assert "[[ferry]]" in hit.snippet
        assert s.parse("strike -ferr*").terms == {"strike"}  # an excluded prefix marks nothing
        monkeypatch.setattr(query, "PREFIX_MARKS", 1)
        assert len(s.parse("ferr*").terms) == 1
