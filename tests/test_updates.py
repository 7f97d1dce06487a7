"""add / remove / --prune / rebuild / check, and the rules for replacing and de-duplicating."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from indexer.layout import read_manifest, snapshot_path
from indexer.vector_store import VECTORS


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def jsonl(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def ids(idx: Path, query: str = "story") -> list[str]:
    result = run("search", query, "--mode", "keyword", "--json", "-n", "50", "--index-dir", str(idx))
    return sorted(json.loads(line)["article_id"] for line in result.stdout.splitlines())


def test_add_needs_an_index_and_counts_new_updated_unchanged(tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    feed = jsonl(tmp_path / "a.jsonl", {"id": "x", "title": "Story x", "text": "First story text."},
                 {"id": "y", "title": "Story y", "text": "Second story text."})
    missing = run("add", str(feed), "--index-dir", idx)
    assert missing.exit_code == 1 and "no index at" in missing.stderr
    assert not (tmp_path / "idx").exists()
    assert run("index", str(feed), "--index-dir", idx).exit_code == 0
    jsonl(feed, {"id": "x", "title": "Story x", "text": "First story text, corrected."},
          {"id": "y", "title": "Story y", "text": "Second story text."},
          {"id": "z", "title": "Story z", "text": "Third story text."})
    result = run("add", str(feed), "--json", "--index-dir", idx)
    summary = json.loads(result.stdout)
    assert (summary["added"], summary["updated"], summary["unchanged"], summary["removed"]) == (1, 1, 1, 0)
    assert summary["articles_total"] == 3 and ids(Path(idx)) == ["x", "y", "z"]


def test_same_url_replaces_and_identical_content_is_indexed_once(tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    first = jsonl(tmp_path / "1.jsonl", {"id": "old-id", "url": "https://News.example/a?utm_source=x#top",
                                          "title": "Story", "text": "Version one of the story."})
    assert run("index", str(first), "--index-dir", idx).exit_code == 0
    second = jsonl(tmp_path / "2.jsonl",
                   {"id": "new-id", "url": "https://news.example/a", "title": "Story", "text": "Version two of the story."},
                   {"id": "copy", "title": "Story", "text": "Version two of the story."})
    summary = json.loads(run("index", str(second), "--json", "--index-dir", idx).stdout)
    assert summary["updated"] == 1 and summary["added"] == 0
    assert summary["duplicates"] == [{"article_id": "copy", "duplicate_of": "new-id"}]
    assert ids(Path(idx)) == ["new-id"]


def test_remove_and_prune(tmp_path: Path) -> None:
    idx = str(tmp_path / "idx")
    src = tmp_path / "src"
    src.mkdir()
    (src / "one.txt").write_text("Story one\n\nThe first story is about a harbour.", encoding="utf-8")
    (src / "two.txt").write_text("Story two\n\nThe second story is about a bridge.", encoding="utf-8")
    jsonl(src / "feed.jsonl", {"id": "f1", "title": "Story f1", "text": "A story from a feed."},
          {"id": "f2", "title": "Story f2", "text": "Another story from a feed."})
    assert run("index", str(src), "--index-dir", idx).exit_code == 0
    assert len(ids(Path(idx))) == 4
    removed = run("remove", "f1", "nope", "--index-dir", idx)
    assert removed.exit_code == 3 and "Removed 1 article(s). Not in the index: nope." in removed.stdout
    assert run("remove", "nope", "--index-dir", idx).exit_code == 1
    (src / "two.txt").unlink()
    plain = run("index", str(src), "--json", "--index-dir", idx)  # f1 comes back from the feed
    assert json.loads(plain.stdout)["removed"] == 0 and len(ids(Path(idx))) == 4  # two.txt's article is kept
    pruned = run("index", str(src), "--prune", "--json", "--index-dir", idx)
    report = json.loads(pruned.stdout)
    assert report["removed"] == 1 and report["pruned"][0]["path"] == str((src / "two.txt").resolve())
    assert "its source" in pruned.stderr and len(ids(Path(idx))) == 3


def test_rebuild_from_stored_sources_with_new_settings(tmp_path: Path, corpus: Path) -> None:
    idx = tmp_path / "idx"
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("page.html", "scraped/solar.txt", "feeds/wire.jsonl"):
        (copy / Path(name).name).write_bytes((corpus / name).read_bytes())
    assert run("index", str(copy), "--index-dir", str(idx)).exit_code == 0
    before = read_manifest(idx)
    before_ids = ids(idx, "the")
    refused = run("index", str(copy), "--max-words", "40", "--index-dir", str(idx))
    assert refused.exit_code == 1 and "newsdig rebuild" in refused.stderr
    for path in copy.iterdir():
        path.unlink()  # the sources are gone: rebuild works from the stored text
    rebuilt = run("rebuild", "--max-words", "40", "--overlap-words", "10", "--json", "--index-dir", str(idx))
    assert rebuilt.exit_code == 0, rebuilt.output
    after = read_manifest(idx)
    assert after.settings["chunking"]["max_words"] == 40 and after.articles == before.articles
    assert after.chunks > before.chunks and after.created == before.created
    assert ids(idx, "the") == before_ids
    assert run("check", "--index-dir", str(idx)).exit_code == 0


def test_check_reports_damage_and_how_to_repair(tmp_path: Path, corpus: Path) -> None:
    idx = tmp_path / "idx"
    assert run("index", str(corpus), "--index-dir", str(idx)).exit_code == 0
    healthy = run("check", "--index-dir", str(idx))
    assert healthy.exit_code == 0 and healthy.stdout.startswith("ok: 4 articles")
    manifest = json.loads((idx / "manifest.json").read_text())
    manifest["counts"]["chunks"] += 1
    (idx / "manifest.json").write_text(json.dumps(manifest))
    damaged = run("check", "--json", "--index-dir", str(idx))
    assert damaged.exit_code == 1
    assert json.loads(damaged.stdout)["problems"][0].startswith("passage counts disagree: manifest")
    assert "newsdig rebuild" in damaged.stderr
    (snapshot_path(idx, manifest["snapshot"]) / VECTORS).unlink()
    broken = run("check", "--index-dir", str(idx))
    assert broken.exit_code == 1 and "cannot read the vector store" in broken.stderr
    repaired = run("rebuild", "--index-dir", str(idx))
    assert repaired.exit_code == 0, repaired.output
    assert run("check", "--index-dir", str(idx)).exit_code == 0


def test_a_new_model_needs_a_rebuild_which_never_mixes_vectors(tmp_path: Path, corpus: Path) -> None:
    idx = tmp_path / "idx"
    assert run("index", str(corpus), "--index-dir", str(idx)).exit_code == 0
    other = tmp_path / "other-model"
    other.mkdir()
    refused = run("index", str(corpus), "--model", str(other), "--index-dir", str(idx))
    assert refused.exit_code == 1 and f"newsdig rebuild --model {other}" in refused.stderr
    before = read_manifest(idx)
    rebuilt = run("rebuild", "--model", str(other), "--index-dir", str(idx))
    assert rebuilt.exit_code == 0, rebuilt.output
    after = read_manifest(idx)
    assert after.model.path == str(other.resolve()) and after.articles == before.articles
    assert after.snapshot != before.snapshot and not snapshot_path(idx, before.snapshot).exists()
    assert run("check", "--index-dir", str(idx)).exit_code == 0


def test_an_index_of_an_older_format_is_refused_and_rebuild_converts_it(tmp_path: Path, corpus: Path) -> None:
    idx = tmp_path / "idx"
    assert run("index", str(corpus), "--index-dir", str(idx)).exit_code == 0
    manifest = json.loads((idx / "manifest.json").read_text())
    manifest["format_version"] = 1
    (idx / "manifest.json").write_text(json.dumps(manifest))
    old = run("search", "solar", "--index-dir", str(idx))
    assert old.exit_code == 1 and "has format version 1" in old.stderr and "`newsdig rebuild` converts it" in old.stderr
    assert run("add", str(corpus), "--index-dir", str(idx)).exit_code == 1
    assert run("rebuild", "--index-dir", str(idx)).exit_code == 0
    assert read_manifest(idx).format_version == 2 and ids(idx, "solar")
