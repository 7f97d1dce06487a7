"""The CLI driven in-process (fake encoder): output contracts, errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app

HIT_KEYS = ["rank", "article_id", "chunk_id", "title", "url", "published", "source", "score",
            "keyword_score", "semantic_score", "snippet", "marked_title"]


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), input=input, env=env)


def test_index_search_stats_roundtrip(tmp_path: Path, corpus: Path) -> None:
    idx = str(tmp_path / "idx")
    result = run("index", str(corpus), "--index-dir", idx)
    assert result.exit_code == 0, result.output
    assert "Indexed 4 articles (4 new, 0 updated, 0 unchanged)" in result.stdout
    hits = [json.loads(line) for line in run("search", "solar reservoir", "--json", "--index-dir", idx).stdout.splitlines()]
    assert list(hits[0]) == HIT_KEYS
    assert hits[0]["title"].startswith("Harbour Council") and "[[solar]]" in hits[0]["snippet"]
    assert hits[0]["marked_title"] == "Harbour Council Approves Floating [[Solar]] Farm on Old [[Reservoir]]"
    text = run("search", "solar reservoir", "-n", "1", "--index-dir", idx).stdout
    lines = text.splitlines()
    assert lines[0] == " 1. Harbour Council Approves Floating [[Solar]] Farm on Old [[Reservoir]]"
    assert lines[1].startswith("    no date · unknown source · score ")
    assert "[[solar]]" in lines[2]  # markers, since stdout is not a terminal
    stats = json.loads(run("stats", "--json", "--index-dir", idx).stdout)
    assert {k: stats[k] for k in ("articles", "chunks", "model", "format_version")} == {
        "articles": 4, "chunks": stats["chunks"], "model": "all-MiniLM-L6-v2", "format_version": 2}
    assert stats["bytes"] > 0 and stats["updated"]


def test_title_terms_bold_on_a_terminal() -> None:
    from cli_output import hit_renderables
    from search.results import Hit

    hit = Hit(1, "a1", "a1#0", "Ferry Strike Ends", None, None, None, 1.0, 1.0, None, "The port reopened.",
              marked_title="[[Ferry]] Strike Ends")
    head = hit_renderables(hit, styled=True, terminal=True)[0]
    assert head.plain == " 1. Ferry Strike Ends"
    marked = [head.plain[s.start:s.end] for s in head.spans if "yellow" in str(s.style)]
    assert marked == ["Ferry"]
    plain = hit_renderables(hit, styled=False, terminal=False)[0]
    assert plain.plain == " 1. [[Ferry]] Strike Ends"
    untitled = Hit(2, "a2", "a2#0", None, None, None, None, 1.0, None, 0.5, "x")
    assert hit_renderables(untitled, styled=False, terminal=False)[0].plain == " 2. (untitled)"


def test_index_dir_from_environment(tmp_path: Path, corpus: Path) -> None:
    env = {"NEWSDIG_INDEX": str(tmp_path / "envidx")}
    assert run("index", str(corpus / "feeds"), env=env).exit_code == 0
    result = run("search", "museum", "--mode", "keyword", "--json", env=env)
    assert json.loads(result.stdout.splitlines()[0])["article_id"] == "w2"


def test_stdin_and_partial_failure_exit_code(tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    lines = '{"id": "s1", "title": "From stdin", "text": "Piped articles are indexed too."}\n{oops\n'
    result = run("index", "-", str(tmp_path / "missing.html"), "--index-dir", idx, input=lines)
    assert result.exit_code == 3
    assert "newsdig: skipped -:2: invalid JSON" in result.stderr
    assert f"newsdig: skipped {tmp_path / 'missing.html'}: no such file or directory" in result.stderr
    assert "Indexed 1 article (1 new" in result.stdout


def test_nothing_indexed_is_an_error_and_creates_no_index(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    result = run("index", str(bad), "--index-dir", str(tmp_path / "idx"))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == "newsdig: nothing was indexed (every input was skipped)"
    assert not (tmp_path / "idx" / "manifest.json").exists()


def test_user_errors_are_one_line_without_traceback(tmp_path: Path, corpus: Path) -> None:
    missing = run("search", "anything", "--index-dir", str(tmp_path / "none"))
    assert missing.exit_code == 1
    assert missing.stderr.count("\n") == 1 and "no index at" in missing.stderr and "Traceback" not in missing.stderr
    idx = str(tmp_path / "idx")
    run("index", str(corpus), "--index-dir", idx)
    empty = run("search", "  ", "--index-dir", idx)
    assert (empty.exit_code, empty.stderr.strip()) == (1, "newsdig: empty query (give some words to search for)")
    usage = run("search", "x", "--mode", "fuzzy", "--index-dir", idx)
    assert usage.exit_code == 2 and usage.stderr.count("\n") == 1
    assert usage.stderr.startswith("newsdig: Invalid value for '--mode'")


def test_clean_json_keys_and_seed_chrome_removed(tmp_path: Path, corpus: Path) -> None:
    result = run("clean", str(corpus / "scraped" / "solar.txt"), "--json")
    doc = json.loads(result.stdout)
    assert list(doc) == ["title", "body", "published", "author", "source", "url"]
    assert doc["title"] == "Harbour Council Approves Floating Solar Farm on Old Reservoir"
    assert doc["body"].startswith("The Westmere harbour council voted on Tuesday")
    assert doc["body"].endswith("which begins in the spring.")
    assert doc["body"].count("\n\n") == 2
    human = run("clean", str(corpus / "page.html"))
    assert "title:     Central bank raises interest rates" in human.stdout
    assert "source:    The Ledger" in human.stdout


def test_model_mismatch_is_a_clear_error(tmp_path: Path, corpus: Path) -> None:
    idx = str(tmp_path / "idx")
    assert run("index", str(corpus / "feeds"), "--index-dir", idx).exit_code == 0
    other = tmp_path / "other-model"
    other.mkdir()
    for args in (["index", str(corpus / "page.html")], ["search", "museum"]):
        result = run(*args, "--model", str(other), "--index-dir", idx)
        assert result.exit_code == 1
        assert result.stderr.startswith("newsdig: the index was built with model 'all-MiniLM-L6-v2', not ")
    missing = run("index", str(corpus), "--model", str(tmp_path / "nope"), "--index-dir", str(tmp_path / "new"))
    assert missing.exit_code == 1 and "no model at" in missing.stderr
