"""Open the committed state of an index for searching (the snapshot its manifest names)."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import numpy as np

from whoosh.searching import Searcher

from indexer.analysis import ARTICLE_INDEX, CHUNK_INDEX
from indexer.errors import IndexFormatError
from indexer.keyword_index import open_index
from indexer.layout import Manifest, read_manifest, snapshot_path
from indexer.postings import Postings
from indexer.sentence_store import SentenceStore
from indexer.token_store import TokenStore
from indexer.vector_store import VectorStore

from .bm25 import BM25, article_numbers
from .docsets import numeric_column, term_codes
from .scoring import LuceneBM25F

_ATTEMPTS = 3


class IndexReader:
    """A consistent read-only view of one snapshot; later commits do not change it."""

    def __init__(self, index_dir: str | os.PathLike[str]) -> None:
        self.index_dir = Path(index_dir)
        for attempt in range(_ATTEMPTS):
            self.manifest: Manifest = read_manifest(self.index_dir)
            self.dir = snapshot_path(self.index_dir, self.manifest.snapshot)
            try:
                self.chunks = open_index(self.dir, CHUNK_INDEX)
                self.searcher: Searcher = self.chunks.searcher(weighting=LuceneBM25F())
                # Opened now (memory-mapped), so a writer that removes this snapshot later
                # cannot pull the files from under us.
                self.store = VectorStore.load(self.dir)
                self.postings = Postings.load(self.dir) if Postings.exists(self.dir) else None
                self.sentences = SentenceStore.load(self.dir) if SentenceStore.exists(self.dir) else None
                self.tokens = TokenStore.load(self.dir) if TokenStore.exists(self.dir) else None
                break
            except IndexFormatError:
                # A writer may have switched snapshots between our reads: look again.
                if attempt == _ATTEMPTS - 1 or read_manifest(self.index_dir).snapshot == self.manifest.snapshot:
                    raise

    @cached_property
    def bm25(self) -> BM25 | None:
        """Vectorised BM25 over the snapshot's postings (None for indexes built without them)."""
        if self.postings is None or len(self.postings) != len(self.store.ids):
            return None
        return BM25(self.postings, self.searcher, self.article_numbers)

    @cached_property
    def article_numbers(self) -> np.ndarray | None:
        """Each document's article number (consecutive passages share one; -1: deleted), or None
        when an article's passages are not consecutive documents (then articles go by passage id)."""
        articles = self.postings.articles if self.postings is not None else None
        if articles is None or len(articles) != len(self.store.ids):  # written before article scoring
            articles = article_numbers(self.store.ids)
        if bool(np.any((np.asarray(articles) < 0) & self.store.live)):
            return None
        return np.asarray(articles)

    @cached_property
    def sources(self) -> tuple[np.ndarray, list[str]]:
        """``(code per document, source name per code)`` (see :func:`search.docsets.term_codes`)."""
        codes, firsts = term_codes(self.searcher, "source", len(self.store.ids))
        return codes, [self.chunk_fields(int(d)).get("source") or "" for d in firsts]

    @cached_property
    def published(self) -> np.ndarray:
        """Each document's publication time as Whoosh sorts it (uint64; the largest: none)."""
        return numeric_column(self.searcher, "published")

    @cached_property
    def articles(self) -> Searcher:
        """A searcher over the article store."""
        return open_index(self.dir, ARTICLE_INDEX).searcher()

    def chunk_fields(self, docnum: int) -> dict:
        """Stored fields of a chunk document."""
        return self.searcher.stored_fields(docnum)

    def article_fields(self, article_id: str) -> dict | None:
        """Stored fields of an article (clean body, metadata), or None."""
        return self.articles.document(article_id=article_id)

    def article_docnums(self, article_id: str, *, in_order: bool = True) -> list[int]:
        """Keyword document numbers (= vector rows) of an article's passages, in passage order
        (``in_order=False``: in any order, without reading each passage's stored fields)."""
        docnums = list(self.searcher.document_numbers(article_id=article_id))
        return sorted(docnums, key=lambda d: self.chunk_fields(d).get("position", 0)) if in_order else docnums

    def close(self) -> None:
        """Release the Whoosh searchers."""
        self.searcher.close()
        if "articles" in self.__dict__:
            self.articles.close()

    def __enter__(self) -> IndexReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
