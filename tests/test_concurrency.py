"""Readers keep answering from the last commit while a writer works; writers take turns."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from indexer.articles import content_hash
from indexer.build import index_paths
from indexer.records import Article
from indexer.update import IndexUpdate
from search.ranker import Searcher

ROOT = Path(__file__).resolve().parents[1]
HOLD_LOCK = ("import sys, time\n"
             "from indexer.lock import WriteLock\n"
             "lock = WriteLock(sys.argv[1]); lock.acquire()\n"
             "print('locked', flush=True); time.sleep(float(sys.argv[2])); lock.release()\n")


def article(aid: str, text: str) -> Article:
    return Article(aid, f"Story {aid}", text, content_hash=content_hash(f"Story {aid}", text))


def test_searches_see_the_last_commit_during_and_after_an_update(tmp_path: Path, corpus: Path) -> None:
    idx = tmp_path / "idx"
    index_paths(idx, [str(corpus / "feeds")])
    before = Searcher(idx)
    with IndexUpdate(idx) as update:
        update.add(article("w1", "The wheat story now speaks of a bumper crop of barley."))
        update.add(article("new", "A brand new story about a barley festival."))
        update.flush()
        during = Searcher(idx)  # opened while the update is written, not committed
        assert [h.article_id for h in during.search("barley", mode="keyword").hits] == []
        assert [h.article_id for h in during.search("drought", mode="keyword").hits] == ["w1"]
        update.commit()
    after = Searcher(idx)
    assert sorted(h.article_id for h in after.search("barley", mode="keyword").hits) == ["new", "w1"]
    # A searcher opened before the commit still answers from its snapshot, now deleted on disk.
    assert [h.article_id for h in before.search("drought", mode="keyword").hits] == ["w1"]
    assert [h.article_id for h in before.search("drought", mode="hybrid").hits][:1] == ["w1"]
    for searcher in (before, during, after):
        searcher.close()


def test_a_second_writer_waits_then_fails_with_a_clear_message(tmp_path: Path, corpus: Path) -> None:
    idx = tmp_path / "idx"
    index_paths(idx, [str(corpus / "feeds")])
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(idx), "30"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        result = CliRunner().invoke(app, ["index", str(corpus), "--index-dir", str(idx), "--lock-timeout", "0.5"])
        waited = time.monotonic() - started
        assert result.exit_code == 1 and waited >= 0.5
        message = result.stderr.strip()
        assert message.count("\n") == 0 and "LockError" not in message
        assert message.startswith(f"newsdig: the index at {idx} is being written by another process (held by pid {holder.pid} ")
        assert "gave up after 0.5 s" in message
    finally:
        holder.kill()
        holder.wait()


def test_a_waiting_writer_proceeds_when_the_lock_is_released(tmp_path: Path, corpus: Path) -> None:
    idx = tmp_path / "idx"
    index_paths(idx, [str(corpus / "feeds")])
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(idx), "1"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = CliRunner().invoke(app, ["index", str(corpus), "--index-dir", str(idx), "--lock-timeout", "20"])
        assert result.exit_code == 0, result.output
        assert "Indexed 4 articles (2 new, 0 updated, 2 unchanged)" in result.stdout
    finally:
        holder.kill()
        holder.wait()
