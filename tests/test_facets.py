"""Facets count each matching article once, by source and publication month, as a hand count does."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from search.ranker import Searcher


def _index(idx: Path, path: Path, records: list[dict], command: str = "index") -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = CliRunner().invoke(app, [command, str(path), "--index-dir", str(idx)])
    assert result.exit_code == 0, result.output


def test_facets_count_articles_by_source_and_month(tmp_path: Path) -> None:
    long_body = " ".join(["The harbour ferry timetable changed again this week."] * 60)  # several passages
    records = [
        {"id": "a", "title": "Ferry news", "text": long_body, "source": "Island Courier", "date": "2024-03-05"},
        {"id": "b", "title": "Ferry fares", "text": "Ferry fares rise.", "source": "island courier",
         "date": "2024-03-31T22:00:00-05:00"},  # April in UTC, as date filters read it
        {"id": "c", "title": "Ferry strike", "text": "The ferry crews strike.", "source": "Smith, Jones",
         "date": "2024-02-10"},
        {"id": "d", "title": "Ferry museum", "text": "A ferry museum opens."},  # no source, no date
        {"id": "e", "title": "Ferry sold", "text": "The old ferry was sold.", "source": "Bay Times",
         "date": "2023-12-01"},
        {"id": "f", "title": "Bridge works", "text": "Bridge works start.", "source": "Bay Times",
         "date": "2024-01-01"},  # does not match
    ]
    idx = tmp_path / "idx"
    _index(idx, tmp_path / "a.jsonl", records)
    # replace e (its old passage is deleted) and move it to another source and month
    _index(idx, tmp_path / "b.jsonl", [dict(records[4], text="The old ferry was sold twice.",
                                            source="Island Courier", date="2024-02-20")], command="add")
    with Searcher(idx) as s:
        for mode in ("keyword", "hybrid"):
            facets = s.search("ferry", mode=mode, limit=1, facets=True).facets
            assert facets is not None and facets.articles == 5
            assert sorted(facets.sources) == sorted([("Island Courier", 3), ("Smith, Jones", 1), ("(unknown)", 1)])
            assert facets.months == [("2024-04", 1), ("2024-03", 1), ("2024-02", 2), ("(undated)", 1)]
        narrowed = s.search("ferry source:smith", mode="keyword", facets=True).facets
        assert narrowed is not None and narrowed.articles == 1 and narrowed.sources == [("Smith, Jones", 1)]
        none = s.search("zeppelin", mode="keyword", facets=True).facets
        assert none is not None and (none.articles, none.sources, none.months) == (0, [], [])
        semantic = s.search("ferry", mode="semantic", limit=3, facets=True)
        assert semantic.facets is not None and semantic.facets.articles == semantic.total
