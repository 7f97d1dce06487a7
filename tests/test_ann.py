"""The ANN index kept beside big vector stores: created above a size, updated incrementally,
consistent with the store, and giving the exact search's results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app
from indexer import ann
from indexer.check import check_index
from indexer.layout import read_manifest, snapshot_path
from indexer.vector_store import VectorStore, encode_ids
from search.ranker import Searcher

pytest.importorskip("usearch")


def write_feed(path: Path, start: int, count: int) -> None:
    lines = []
    for i in range(start, start + count):
        words = " ".join(f"w{(i * 13 + j * 7) % 97}" for j in range(40))
        lines.append(json.dumps({"id": f"a{i:03d}", "title": f"Story {i}", "text": f"Story {i} says {words}."}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_row_keys_are_stable_distinct_and_zero_for_deleted_rows() -> None:
    ids = encode_ids(["a#0", "a#1", "", "b#0", "a#0"])
    keys = ann.row_keys(ids)
    assert keys[2] == 0 and keys[0] == keys[4] and len({int(k) for k in keys[[0, 1, 3]]}) == 3
    assert np.array_equal(ann.row_keys(encode_ids(["a#1"])), keys[[1]])  # independent of width
    many = ann.row_keys(encode_ids([f"article-{i}#{j}" for i in range(5000) for j in range(4)]))
    assert len(np.unique(many)) == len(many)


def test_ann_is_built_above_the_threshold_updated_incrementally_and_checked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ann, "MIN_ROWS", 30)
    runner = CliRunner()
    idx = str(tmp_path / "idx")
    small, more = tmp_path / "small.jsonl", tmp_path / "more.jsonl"
    write_feed(small, 0, 20)
    assert runner.invoke(app, ["index", str(small), "--index-dir", idx]).exit_code == 0
    assert not ann.AnnIndex.exists(snapshot_path(idx, read_manifest(idx).snapshot))  # below the threshold
    write_feed(more, 20, 40)
    assert runner.invoke(app, ["add", str(more), "--index-dir", idx]).exit_code == 0
    snap = snapshot_path(idx, read_manifest(idx).snapshot)
    assert ann.AnnIndex.exists(snap) and len(ann.stored_keys(snap)) == 60
    assert check_index(idx).ok
    removed = runner.invoke(app, ["remove", "a005", "a025", "--index-dir", idx])
    assert removed.exit_code == 0
    snap = snapshot_path(idx, read_manifest(idx).snapshot)
    # the HNSW file is kept as it was (two stale entries in it); 58 of its keys are still right
    assert ann._size(snap / ann.ANN_FILE) == 60 and len(ann.stored_keys(snap)) == 58
    assert check_index(idx).ok
    with Searcher(idx) as searcher:
        store = searcher.reader.store
        assert store.ann is not None
        for text in ("Story 7 says w3 w10", "w50 w57 w64", "Story 44"):
            qvec = searcher.encode_queries([text])[0]
            approximate = store.search(qvec, 10)
            exact_scores = store.similarities(qvec)
            exact_scores[~store.live] = -np.inf
            exact = np.argsort(-exact_scores, kind="stable")[:10]
            assert len({r for r, _ in approximate} & set(exact.tolist())) >= 9
            assert all(store.live[r] for r, _ in approximate)
            assert [s for _, s in approximate] == sorted((s for _, s in approximate), reverse=True)
        words = " ".join(f"w{(44 * 13 + j * 7) % 97}" for j in range(40))
        hits = searcher.search(f"Story 44 says {words}", mode="semantic").hits  # a044's own text
        assert hits and hits[0].article_id == "a044"
    # Below the threshold again: the ANN files go away.
    monkeypatch.setattr(ann, "MIN_ROWS", 1000)
    assert runner.invoke(app, ["remove", "a001", "--index-dir", idx]).exit_code == 0
    assert not ann.AnnIndex.exists(snapshot_path(idx, read_manifest(idx).snapshot)) and check_index(idx).ok


def test_check_reports_an_ann_index_out_of_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ann, "MIN_ROWS", 5)
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, 0, 10)
    idx = str(tmp_path / "idx")
    assert CliRunner().invoke(app, ["index", str(feed), "--index-dir", idx]).exit_code == 0
    snap = snapshot_path(idx, read_manifest(idx).snapshot)
    keys = ann.stored_keys(snap)
    np.save(snap / ann.KEYS_FILE, keys[1:], allow_pickle=False)
    report = check_index(idx)
    assert not report.ok and any("ANN" in p for p in report.problems)


def test_a_store_without_ann_files_searches_exactly(tmp_path: Path) -> None:
    rows = np.eye(4, dtype=np.float32)
    VectorStore(rows, encode_ids(["a", "b", "c", "d"])).save(tmp_path)
    store = VectorStore.load(tmp_path)
    assert store.ann is None and store.search(rows[2], 1)[0][0] == 2


def test_new_and_replaced_passages_wait_beside_the_ann_file_until_folded_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ann, "MIN_ROWS", 30)
    monkeypatch.setattr(ann, "PENDING_MIN", 4)
    runner = CliRunner()
    idx = str(tmp_path / "idx")
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, 0, 80)
    assert runner.invoke(app, ["index", str(feed), "--index-dir", idx]).exit_code == 0
    snap = snapshot_path(idx, read_manifest(idx).snapshot)
    inode = (snap / ann.ANN_FILE).stat().st_ino
    # a replaced article keeps its passage ids: the file holds its old vector, so it waits too
    feed.write_text(json.dumps({"id": "a007", "title": "Zebra crossing", "text": "zebra zebra crossing "
                                "stripes painted zebra"}) + "\n" + json.dumps(
        {"id": "new1", "title": "Okapi sighting", "text": "okapi okapi forest sighting"}) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["add", str(feed), "--index-dir", idx]).exit_code == 0
    snap = snapshot_path(idx, read_manifest(idx).snapshot)
    assert (snap / ann.ANN_FILE).stat().st_ino == inode  # not rewritten
    with Searcher(idx) as searcher:
        store = searcher.reader.store
        waiting = sorted(store.chunk_id(int(r)) for r in store.ann.pending)
        assert waiting == ["a007#0", "new1#0"]
        for text, expected in (("zebra crossing stripes", "a007#0"), ("okapi forest", "new1#0")):
            assert store.chunk_id(store.search(searcher.encode_queries([text])[0], 1)[0][0]) == expected
    assert check_index(idx).ok
    write_feed(feed, 100, 5)  # 7 waiting > 4: folded into the file
    assert runner.invoke(app, ["add", str(feed), "--index-dir", idx]).exit_code == 0
    snap = snapshot_path(idx, read_manifest(idx).snapshot)
    assert len(ann.pending_rows(snap)) == 0 and len(ann.stored_keys(snap)) == 86
    assert (snap / ann.ANN_FILE).stat().st_ino != inode and check_index(idx).ok
    with Searcher(idx) as searcher:
        store = searcher.reader.store
        assert store.chunk_id(store.search(searcher.encode_queries(["zebra crossing stripes"])[0], 1)[0][0]) == "a007#0"
    np.save(snap / ann.PENDING_FILE, np.array([0, 10**6]), allow_pickle=False)
    assert not check_index(idx).ok
