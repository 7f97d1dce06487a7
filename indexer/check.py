"""``newsdig check``: verify that an index is whole and its parts agree."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .analysis import ARTICLE_INDEX, CHUNK_INDEX
from .ann import KEYS_FILE, pending_rows, row_keys, stored_keys
from .errors import NewsdigError
from .keyword_index import chunk_ids_by_docnum, open_index
from .layout import SNAPSHOTS, read_manifest, snapshot_path
from .postings import Postings, article_numbers
from .ragged_store import RaggedStore
from .sentence_store import SentenceStore
from .token_store import TokenStore
from .vector_store import VectorStore

NORM_TOLERANCE = 1e-3
REPAIR_HINT = "repair it with `newsdig rebuild` (it re-indexes every article from its stored source)"


@dataclass
class CheckReport:
    """What ``check`` found: counts, problems (the index is damaged) and warnings."""

    index_dir: str
    articles: int = 0
    chunks: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def check_index(index_dir: str | os.PathLike[str]) -> CheckReport:
    """Check manifest, keyword indexes and vectors against each other. Never raises for damage
    (only :class:`IndexNotFoundError` when there is no index at all)."""
    report = CheckReport(str(index_dir))
    manifest = read_manifest(index_dir)  # IndexNotFoundError / IndexFormatError propagate
    report.articles, report.chunks = manifest.articles, manifest.chunks
    snap = snapshot_path(index_dir, manifest.snapshot)
    if not snap.is_dir():
        report.problems.append(f"the snapshot {manifest.snapshot} named by the manifest is missing")
        return report
    try:
        chunks_ix, articles_ix = open_index(snap, CHUNK_INDEX), open_index(snap, ARTICLE_INDEX)
        store = VectorStore.load(snap)
    except NewsdigError as exc:
        report.problems.append(str(exc))
        return report
    _check_counts(report, manifest.chunks, manifest.articles, chunks_ix.doc_count(), articles_ix.doc_count(), len(store))
    doc_ids = chunk_ids_by_docnum(chunks_ix)
    if store.dim != manifest.model.dim:
        report.problems.append(f"vectors have {store.dim} dimensions, the manifest says {manifest.model.dim}")
    if [i.decode("utf-8") for i in store.ids] != doc_ids:
        report.problems.append("vector rows are not aligned with the keyword documents")
    live = np.flatnonzero(store.live)
    for start in range(0, len(live), 65536):
        rows = live[start:start + 65536]
        norms = np.linalg.norm(np.asarray(store.vectors[rows], dtype=np.float32), axis=1)
        bad = int((np.abs(norms - 1.0) > NORM_TOLERANCE).sum())
        if bad:
            report.problems.append(f"{bad} vectors are not unit length")
            break
    _check_ann(report, snap, store)
    _check_sentences(report, snap, store)
    _check_tokens(report, snap, store)
    _check_postings(report, snap, store)
    _check_articles(report, doc_ids, articles_ix)
    leftovers = [p.name for p in (Path(index_dir) / SNAPSHOTS).iterdir() if p.name != manifest.snapshot]
    if leftovers:
        report.warnings.append(f"{len(leftovers)} unused snapshot(s) ({', '.join(sorted(leftovers))}): "
                               "left by an interrupted or running writer; the next update removes them")
    return report


def _check_sentences(report: CheckReport, snap: Path, store: VectorStore) -> None:
    if not SentenceStore.exists(snap):
        report.warnings.append("no sentence vectors (an index from an older newsdig): semantic ranking uses "
                               "passage vectors only; `newsdig rebuild` adds them")
        return
    sentences = _ragged(report, SentenceStore, snap, store, "sentence")
    if sentences is not None and sentences.parts and sentences.dim != store.dim:
        report.problems.append(f"sentence vectors have {sentences.dim} dimensions, the passage vectors {store.dim}")


def _check_tokens(report: CheckReport, snap: Path, store: VectorStore) -> None:
    if not TokenStore.exists(snap):
        return  # an index built without token codes (or before them): the rerank reads passages itself
    tokens = _ragged(report, TokenStore, snap, store, "token")
    if tokens is None:
        return
    book = tokens.codebook  # type: ignore[attr-defined]
    if book.centroids.shape[1] != store.dim or (tokens.parts and tokens.dim != book.subspaces):
        report.problems.append(f"the token codebook ({book.subspaces} slices of {book.centroids.shape[1]} "
                               f"dimensions) does not fit the codes ({tokens.dim} bytes) or vectors ({store.dim})")
    elif any(len(part) and int(np.max(part)) >= len(book.centroids) for part in tokens.parts):
        report.problems.append(f"token codes name centroids the codebook does not have ({len(book.centroids)})")


def _ragged(report: CheckReport, kind: type[RaggedStore], snap: Path, store: VectorStore,
            what: str) -> RaggedStore | None:
    """A ragged store of the snapshot whose offsets describe the vector rows (None: a problem, noted)."""
    try:
        ragged = kind.load(snap)
    except NewsdigError as exc:
        report.problems.append(str(exc))
        return None
    offsets = ragged.offsets
    if ragged.documents != len(store.ids) or bool(np.any(np.diff(offsets) < 0)) or offsets[0] != 0:
        report.problems.append(f"{what} offsets do not describe the {len(store.ids)} vector rows")
        return None
    return ragged


def _check_counts(report: CheckReport, m_chunks: int, m_articles: int, k_chunks: int, k_articles: int,
                  vectors: int) -> None:
    if not m_chunks == k_chunks == vectors:
        report.problems.append(f"passage counts disagree: manifest {m_chunks}, keyword index {k_chunks}, "
                               f"vector store {vectors}")
    if m_articles != k_articles:
        report.problems.append(f"article counts disagree: manifest {m_articles}, article store {k_articles}")


def _check_articles(report: CheckReport, doc_ids: list[str], articles_ix: object) -> None:
    per_article = Counter(cid.rsplit("#", 1)[0] for cid in doc_ids if cid)
    expected: dict[str, int] = {}
    with articles_ix.searcher() as searcher:  # type: ignore[attr-defined]
        for stored in searcher.all_stored_fields():
            expected[stored["article_id"]] = int(stored.get("chunks", 0))
    wrong = [a for a, n in expected.items() if per_article.get(a, 0) != n]
    orphans = [a for a in per_article if a not in expected]
    if wrong:
        report.problems.append(f"{len(wrong)} article(s) do not have all their passages (e.g. {wrong[0]!r})")
    if orphans:
        report.problems.append(f"{len(orphans)} article(s) have passages but no stored article (e.g. {orphans[0]!r})")
    scattered = scattered_article(doc_ids)
    if scattered is not None:
        report.problems.append(f"the passages of {scattered!r} are not consecutive keyword documents")


def scattered_article(doc_ids: list[str]) -> str | None:
    """An article whose passages are not consecutive documents numbered from ``#0`` (None: all are),
    as article scoring (``indexer.postings.article_numbers``) needs them."""
    previous = ("", -1)
    for cid in doc_ids:
        if not cid:
            continue
        article, _, number = cid.rpartition("#")
        n = int(number) if number.isdigit() else -1
        if (n, article == previous[0]) not in ((0, False), (previous[1] + 1, True)):
            return article
        previous = (article, n)
    return None


def _check_ann(report: CheckReport, snap: Path, store: VectorStore) -> None:
    """The ANN file's keys plus its pending rows cover every live row, and its key map is the store's."""
    members = stored_keys(snap)
    if members is None:
        return
    keys = row_keys(store.ids)
    pending = pending_rows(snap)
    mapped = np.load(snap / KEYS_FILE, allow_pickle=False) if (snap / KEYS_FILE).exists() else None
    waiting = np.zeros(len(keys), dtype=bool)
    if len(pending) and (pending.min() < 0 or pending.max() >= len(keys) or not store.live[pending].all()):
        report.problems.append("the ANN index lists pending passages that are not stored vectors")
        return
    waiting[pending] = True
    if (mapped is None or not np.array_equal(np.sort(keys[store.live]), mapped)
            or not np.isin(keys[store.live & ~waiting], members).all()):
        report.problems.append(f"the ANN index holds {len(members)} passages (+{len(pending)} pending) that "
                               f"do not match the {len(store)} stored vectors")


def _check_postings(report: CheckReport, snap: Path, store: VectorStore) -> None:
    if not Postings.exists(snap):
        return
    try:
        postings = Postings.load(snap)
    except NewsdigError as exc:
        report.problems.append(str(exc))
        return
    docs = np.asarray(postings.docs)
    if len(postings) != len(store.ids) or (len(docs) and (docs.max() >= len(store.ids) or not store.live[docs].all())):
        report.problems.append("the keyword postings do not match the live keyword documents")
    if postings.articles is not None and not np.array_equal(postings.articles, article_numbers(store.ids)):
        report.problems.append("the keyword postings number the articles differently from the passage ids")
