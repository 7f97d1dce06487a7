"""The grouped posting pool writes the same segments as Whoosh's own pool, spilled or not."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage

from indexer.analysis import chunk_schema
from indexer.posting_pool import GroupedPostingPool, install_pool

WORDS = ("harbour council vote storm flood river bridge mayor budget school strike rail port "
         "Ukraine Moscow Kyiv talks ceasefire oil price market shares bank rates").split()


def _docs(seed: int, count: int) -> list[dict]:
    rng = random.Random(seed)
    return [dict(chunk_id=f"d{seed}-{i}", article_id=f"a{seed}-{i // 3}", position=i % 3,
                 text=" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 30))),
                 title=" ".join(rng.sample(WORDS, 3)), source=rng.choice(["bbc", "reuters"]))
            for i in range(count)]


def _contents(ix) -> dict:
    """Every field's terms and postings (a spelling field: its terms), lengths and stored fields."""
    out: dict = {}
    with ix.reader() as reader:
        for field in sorted(set(reader.indexed_field_names())):
            terms = list(reader.lexicon(field))
            if field.startswith("spell_"):
                out[field] = terms
                continue
            postings = {}
            for term in terms:
                m, got = reader.postings(field, term), []
                while m.is_active():
                    got.append((m.id(), m.weight(), m.value()))
                    m.next()
                postings[term] = got
            out[field] = postings
            out[field, "length"] = reader.field_length(field)
        out["stored"] = list(reader.all_stored_fields())
    return out


def _build(path: Path, batches: list[list[dict]], grouped: bool, limit: int | None = None,
           optimize_last: bool = False):
    ix = FileStorage(str(path)).create().create_index(chunk_schema())
    for n, docs in enumerate(batches):
        writer = ix.writer()
        if grouped:
            install_pool(writer, 1, count_field="text")
            if limit is not None:
                writer.pool.limit = limit
        for doc in docs:
            writer.add_document(**doc)
        if n == 1:
            writer.delete_by_term("article_id", "a0-0")
        writer.commit(optimize=optimize_last and n == len(batches) - 1)
    return ix


@pytest.mark.parametrize("limit", [None, 3000, 400])  # in memory; a few runs; more runs than open files
def test_grouped_pool_writes_what_whoosh_writes(tmp_path: Path, limit: int | None) -> None:
    batches = [_docs(0, 60), _docs(1, 25), _docs(2, 40)]
    expected = _contents(_build(tmp_path / "whoosh", batches, grouped=False, optimize_last=True))
    got = _contents(_build(tmp_path / "grouped", batches, grouped=True, limit=limit, optimize_last=True))
    assert got == expected  # the last commit merged the three segments through the pool


def test_spilled_runs_are_merged_and_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ix = FileStorage(str(tmp_path)).create().create_index(chunk_schema())
    writer = ix.writer()
    install_pool(writer, 1)
    pool: GroupedPostingPool = writer.pool
    pool.limit = 500
    for doc in _docs(3, 30):
        writer.add_document(**doc)
    assert len(pool.runs) > 4
    storage = pool.tempstore
    monkeypatch.setattr("indexer.posting_pool._MAX_OPEN_RUNS", 3)
    postings = list(pool.items(maxfiles=3))
    assert postings == sorted(postings, key=lambda p: (p[0], p[1], p[2]))
    assert not [name for name in storage.list() if name.endswith(".run")]  # read runs are deleted
    text = [p for p in postings if p[0] == "text"]
    assert len(text) == len({(p[1], p[2]) for p in text})  # each (term, document) once
    writer.cancel()


def test_counted_terms_are_the_last_documents(tmp_path: Path) -> None:
    ix = FileStorage(str(tmp_path)).create().create_index(chunk_schema())
    writer = ix.writer()
    posted = install_pool(writer, 1, count_field="text")
    writer.add_document(chunk_id="x", text="storm storm flooding the harbour")
    assert posted == {b"storm": 2, b"flood": 1, b"harbour": 1}
    posted.clear()
    writer.add_document(chunk_id="y", text="Harbour")
    assert posted == {b"harbour": 1}
    writer.cancel()
