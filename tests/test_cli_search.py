"""search / ask / explain / show / similar through the CLI: output formats and contracts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app


@pytest.fixture
def idx(tmp_path: Path, corpus: Path) -> str:
    path = str(tmp_path / "idx")
    assert CliRunner().invoke(app, ["index", str(corpus), "--index-dir", path]).exit_code == 0
    return path


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def test_formats_csv_md_json(idx: str) -> None:
    rows = list(csv.DictReader(io.StringIO(run("search", "wheat", "--format", "csv", "--index-dir", idx).stdout)))
    assert rows[0]["article_id"] == "w1" and list(rows[0])[:3] == ["rank", "article_id", "chunk_id"]
    md = run("search", "wheat", "--format", "md", "-n", "1", "--index-dir", idx).stdout.splitlines()
    assert md[0].startswith("| rank | article_id |") and md[1].startswith("|---|") and "| w1 |" in md[2]
    conflict = run("search", "wheat", "--format", "csv", "--json", "--index-dir", idx)
    assert conflict.exit_code == 2


def test_json_extras_suggestion_facets_explanation(idx: str) -> None:
    lines = [json.loads(line) for line in run("search", "wheet", "--mode", "keyword", "--json", "--facets",
                                              "--index-dir", idx).stdout.splitlines()]
    assert {"did_you_mean": "wheat"} in lines
    facets = [line["facets"] for line in lines if "facets" in line][0]
    assert facets["articles"] == 0
    explained = json.loads(run("search", "wheat", "--explain", "--json", "-n", "1", "--index-dir", idx).stdout.splitlines()[0])
    assert explained["explanation"]["chunk_id"] == "w1#0" and explained["explanation"]["keyword_rank"] == 1
    text = run("search", "wheet", "--mode", "keyword", "--index-dir", idx)
    assert "Did you mean: wheat" in text.stdout and "No matching articles." in text.stderr


def test_ask_show_similar_explain(idx: str) -> None:
    answers = [json.loads(line) for line in run("ask", "Why will bread cost more?", "--json", "-n", "2",
                                               "--index-dir", idx).stdout.splitlines()]
    assert answers[0]["article_id"] == "w1"
    assert answers[0]["answer"] in answers[0]["passage"] and f"[[{answers[0]['answer']}]]" in answers[0]["passage"]
    assert list(answers[0]) == ["rank", "article_id", "chunk_id", "title", "url", "published", "source", "score",
                                "answer", "passage", "excerpt"]
    shown = run("show", "w2", "--index-dir", idx)
    assert shown.stdout.splitlines()[:2] == ["Museum reopens textile hall", "published: 2025-02-07"]
    assert shown.stdout.rstrip().endswith("Weavers will demonstrate them every weekend.")
    as_json = json.loads(run("show", "w2", "--json", "--index-dir", idx).stdout)
    assert as_json["source"] == "City Chronicle" and as_json["chunks"] == 1
    missing = run("show", "nope", "--index-dir", idx)
    assert missing.exit_code == 1 and "no article 'nope'" in missing.stderr
    similar = [json.loads(line)["article_id"] for line in run("similar", "w1", "--json", "--index-dir", idx).stdout.splitlines()]
    assert "w1" not in similar and len(similar) == 3
    why = run("explain", "museum looms", "w1", "-n", "1", "--index-dir", idx).stdout
    assert "keyword side: no keyword match" in why and "cuts it off" in why
    semantic = [json.loads(line)["article_id"] for line in run("search", "museum looms", "--mode", "semantic", "--json",
                                                               "-n", "50", "--index-dir", idx).stdout.splitlines()]
    total = json.loads(run("stats", "--json", "--index-dir", idx).stdout)["articles"]
    assert f"semantic side: rank {semantic.index('w1') + 1} of {total} articles" in why
    filtered = run("explain", "wheat", "w1", "--source", "City Chronicle", "--index-dir", idx).stdout
    assert "filtered out" in filtered


def test_no_color_and_pager_flags(idx: str) -> None:
    plain = run("search", "wheat", "-n", "1", "--pager", "--index-dir", idx, env={"NO_COLOR": "1"})
    assert plain.exit_code == 0 and "[[wheat]]" in plain.stdout and "\x1b[" not in plain.stdout


def test_batch_search_from_a_queries_file(idx: str, tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "q1", "text": "wheat"}\n{"_id": "q2", "text": "museum looms"}\n', encoding="utf-8")
    rows = [json.loads(line) for line in run("search", "--queries", str(queries), "--json", "-n", "1",
                                             "--index-dir", idx).stdout.splitlines()]
    assert [(r["query_id"], r["article_id"]) for r in rows] == [("q1", "w1"), ("q2", "w2")]
    assert list(rows[0])[:2] == ["query_id", "rank"]
    both = run("search", "wheat", "--queries", str(queries), "--index-dir", idx)
    assert both.exit_code == 2
    queries.write_text('{"id": "q1", "text": "wheat"}\nnot json\n', encoding="utf-8")
    bad = run("search", "--queries", str(queries), "--index-dir", idx)
    assert bad.exit_code == 1 and f"{queries}:2: expected a JSON object with id and text" in bad.stderr
