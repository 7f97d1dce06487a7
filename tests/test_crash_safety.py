"""Killed or failing writers never damage the index: real processes SIGKILLed at many points.

Each kill leaves, for every article, either its old or its new state (never half of one), an
index that opens, and keyword index, vectors and manifest that agree (``check_index``).
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from indexer.analysis import ARTICLE_INDEX
from indexer.check import check_index
from indexer.keyword_index import open_index
from indexer.layout import read_manifest, snapshot_path
from search.ranker import Searcher

HELPER = Path(__file__).parent / "helpers" / "fake_newsdig.py"
N_OLD, N_NEW = 60, 15

# Named kill points: module:function:call[:after]. Together with the timed kills below they
# cover cloning, reading, cleaning, chunking, embedding, both Whoosh commits, the vector files,
# the manifest switch and the clean-up of the old snapshot.
KILL_POINTS = [
    "indexer.update:clone_tree:1:after",
    "indexer.ingest:decode_bytes:20",
    "indexer.build:make_article:30",
    "indexer.update:chunk_text:45",
    "indexer.embed_queue:EmbedQueue.flush:1",
    "indexer.embed_queue:EmbedQueue.wait:2:after",
    "whoosh.writing:SegmentWriter.commit:1",
    "whoosh.writing:SegmentWriter.commit:1:after",
    "whoosh.writing:SegmentWriter.commit:2:after",
    "indexer.update:chunk_keys_by_docnum:1",
    "indexer.postings:atomic_write:3:after",
    "indexer.vector_store:atomic_file:1",  # the old rows copied, the new ones appended
    "indexer.vector_store:atomic_file:1:after",
    "indexer.vector_store:atomic_write:1:after",
    "indexer.layout:atomic_write_bytes:1",
    "indexer.atomic:os.replace:3",
    "indexer.atomic:os.replace:3:after",
    "indexer.atomic:fsync_dir:3",
    "indexer.update:remove_tree:1",
]
TIMED_KILLS = 8


def write_version(path: Path, version: str, count: int, extra: int = 0) -> None:
    lines = []
    for i in range(count + extra):
        words = " ".join(f"w{(i * 7 + j) % 53}" for j in range(60))
        lines.append(json.dumps({"id": f"a{i:03d}", "title": f"Story {i} {version}",
                                 "text": f"Version {version} of story {i}. {words}. The end of story {i}."}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_cli(*args: str, kill: str | None = None, slow: float = 0.0, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "NEWSDIG_TEST_SLOW": str(slow)}
    env.pop("NEWSDIG_TEST_KILL", None)
    if kill:
        env["NEWSDIG_TEST_KILL"] = kill
    return subprocess.run([sys.executable, str(HELPER), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def stored_versions(index_dir: Path) -> dict[str, str]:
    manifest = read_manifest(index_dir)
    index = open_index(snapshot_path(index_dir, manifest.snapshot), ARTICLE_INDEX)
    with index.searcher() as searcher:
        return {s["article_id"]: s["body"].split()[1] for s in searcher.all_stored_fields()}


def assert_whole(index_dir: Path, allowed: list[dict[str, str]]) -> None:
    """The index opens, its parts agree, and it holds exactly one of the allowed states."""
    report = check_index(index_dir)
    assert report.ok, report.problems
    state = stored_versions(index_dir)
    assert state in allowed, f"a mixed or half-written state: {sorted(set(state.values()))}, {len(state)} articles"
    with Searcher(index_dir) as searcher:
        assert searcher.search("story", mode="keyword", limit=3).hits


def test_sigkill_at_many_points_of_index_and_add_leaves_old_or_new_state(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    index_dir = tmp_path / "idx"
    write_version(feed, "alpha", N_OLD)
    assert run_cli("index", str(feed), "--index-dir", str(index_dir)).returncode == 0
    killed = 0

    def kill_once(start_process: object) -> None:
        nonlocal killed
        current = set(stored_versions(index_dir).values())
        assert len(current) == 1
        old = current.pop()
        new = "beta" if old != "beta" else "alpha"
        write_version(feed, new, N_OLD)
        start_process()  # type: ignore[operator]
        killed += 1
        assert_whole(index_dir, [{f"a{i:03d}": v for i in range(N_OLD)} for v in (old, new)])

    for n, point in enumerate(KILL_POINTS):
        def named(point: str = point, command: str = ("index", "add")[n % 2]) -> None:
            result = run_cli(command, str(feed), "--index-dir", str(index_dir), kill=point)
            assert result.returncode == -9, f"{point} was never reached: {result.stderr[-300:]}"
        kill_once(named)
    # Timed kills, spread over a slowed-down run (the encoder sleeps in each call).
    write_version(feed, "gamma", N_OLD)
    started = time.perf_counter()
    assert run_cli("index", str(feed), "--index-dir", str(tmp_path / "timing"), slow=0.3).returncode == 0
    duration = time.perf_counter() - started
    for k in range(TIMED_KILLS):
        def timed(k: int = k) -> None:
            process = subprocess.Popen([sys.executable, str(HELPER), "index", str(feed), "--index-dir", str(index_dir)],
                                       env={**os.environ, "NEWSDIG_TEST_SLOW": "0.3"},
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(duration * (0.3 + 0.65 * k / TIMED_KILLS))
            process.kill()
            process.wait()
        kill_once(timed)
    assert killed >= 20
    write_version(feed, "delta", N_OLD, N_NEW)
    assert run_cli("index", str(feed), "--index-dir", str(index_dir)).returncode == 0
    assert_whole(index_dir, [{f"a{i:03d}": "delta" for i in range(N_OLD + N_NEW)}])


@pytest.mark.parametrize("point", [
    "whoosh.writing:SegmentWriter.commit:1:after",
    "indexer.update:write_aligned:1:after",  # remove copies the old rows, rebuild writes them all
    "indexer.vector_store:atomic_write:1:after",
    "indexer.atomic:os.replace:3",
    "indexer.atomic:os.replace:3:after",
])
def test_sigkill_during_remove_and_rebuild(tmp_path: Path, point: str) -> None:
    feed = tmp_path / "feed.jsonl"
    index_dir = tmp_path / "idx"
    write_version(feed, "alpha", 20)
    assert run_cli("index", str(feed), "--index-dir", str(index_dir)).returncode == 0
    full = {f"a{i:03d}": "alpha" for i in range(20)}
    result = run_cli("remove", "a000", "a001", "--index-dir", str(index_dir), kill=point)
    assert result.returncode == -9
    without = {k: v for k, v in full.items() if k not in ("a000", "a001")}
    assert_whole(index_dir, [full, without])
    before = read_manifest(index_dir)
    result = run_cli("rebuild", "--max-words", "30", "--overlap-words", "5", "--index-dir", str(index_dir), kill=point)
    assert result.returncode == -9
    assert_whole(index_dir, [full, without])
    after = read_manifest(index_dir)
    assert after.settings["chunking"]["max_words"] in (before.settings["chunking"]["max_words"], 30)


@pytest.mark.parametrize("target, error", [
    ("indexer.vector_store.atomic_write", OSError(errno.ENOSPC, "No space left on device")),
    ("indexer.vector_store.atomic_memmap", OSError(errno.ENOSPC, "No space left on device")),  # rebuild
    ("indexer.vector_store.atomic_file", OSError(errno.ENOSPC, "No space left on device")),  # appended rows
    ("indexer.layout.atomic_write_bytes", PermissionError(errno.EACCES, "Permission denied")),
    ("indexer.update.clone_tree", OSError(errno.ENOSPC, "No space left on device")),
])
def test_disk_full_or_permission_error_leaves_the_previous_index(tmp_path: Path, corpus: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  target: str, error: OSError) -> None:
    index_dir = tmp_path / "idx"
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(corpus / "feeds"), "--index-dir", str(index_dir)]).exit_code == 0
    before = read_manifest(index_dir)

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    module, name = target.rsplit(".", 1)
    monkeypatch.setattr(f"{module}.{name}", fail)
    command = ["rebuild", "--max-words", "30"] if target.endswith("atomic_memmap") else ["index", str(corpus)]
    result = runner.invoke(app, [*command, "--index-dir", str(index_dir)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and error.strerror in result.stderr
    assert result.stderr.rstrip().endswith("the index is unchanged")
    assert read_manifest(index_dir) == before
    assert [p.name for p in (index_dir / "snapshots").iterdir()] == [before.snapshot]
    assert check_index(index_dir).ok
