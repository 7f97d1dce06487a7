"""One atomic update of an index: a new snapshot (hard-link clone of the current one) is written,
then the manifest is switched to it. Readers keep seeing the old snapshot until the switch."""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from whoosh.query import Prefix, Term
from whoosh.writing import IndexWriter

from . import ann, embed, sentence_store, token_store
from .analysis import ARTICLE_INDEX, CHUNK_INDEX
from .atomic import clone_tree, remove_tree
from .chunk import chunk_text
from .embed_queue import EmbedQueue
from .errors import IndexFormatError, IndexNotFoundError, ModelMismatchError, RebuildRequiredError
from .fast_analysis import fast_writer_analyzers
from .keyword_index import (WRITER_LIMIT_MB, chunk_keys_by_docnum, create_indexes, open_writable,
                            segment_ids, to_datetime)
from .layout import (Manifest, ModelInfo, index_exists, next_snapshot, read_manifest, remove_other_snapshots,
                     snapshot_path, write_manifest)
from .lock import DEFAULT_TIMEOUT, WriteLock
from .posting_pool import install_pool
from .postings import NEW_POSTINGS, NewPostings, cloned_postings, write_postings
from .records import Article
from .sentences import sentence_spans
from .settings import BuildSettings
from .site_chrome import SiteChrome
from .vector_store import NEW_VECTORS, VectorStore, encode_ids, write_aligned
from .version import __version__


@dataclass
class UpdateCounts:
    """What an update did, article by article."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (article id, duplicate of)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class IndexUpdate:
    """Context manager for adding and removing articles; nothing is visible before :meth:`commit`.

    Leaving the block without committing (or with an exception) discards the new snapshot.
    """

    def __init__(self, index_dir: str | os.PathLike[str], *, model: str | None = None,
                 settings: BuildSettings | None = None, lock_timeout: float = DEFAULT_TIMEOUT,
                 fresh: bool = False, must_exist: bool = False, device: str = "cpu",
                 precision: str = "fp32", vectors: str | None = None) -> None:
        """``fresh=True`` starts from an empty snapshot (a rebuild): the committed index stays
        readable until the new one replaces it, and ``model``/``settings`` may differ from it.
        ``must_exist=True`` refuses to create a new index. ``device``/``precision``: how to run
        the encoder (see :func:`indexer.embed.load_encoder`); ``vectors`` (a rebuild) changes how
        vectors are stored and nothing else."""
        self.requested_vectors = vectors
        self.device = device
        self.precision = precision
        self.index_dir = Path(index_dir)
        self.fresh = fresh
        self.must_exist = must_exist
        self.requested_model = model
        self.requested_settings = settings
        self.lock = WriteLock(self.index_dir, lock_timeout)
        self.counts = UpdateCounts()
        self._run_ids: set[str] = set()
        self._run_hashes: dict[str, str] = {}
        self._committed = False

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> IndexUpdate:
        if (self.must_exist or self.fresh) and not index_exists(self.index_dir):
            raise IndexNotFoundError(str(self.index_dir))
        self.lock.acquire()
        try:
            self._open()
        except BaseException:
            self.lock.release()
            raise
        return self

    def _open(self) -> None:
        self.previous: Manifest | None = (read_manifest(self.index_dir, accept_older=self.fresh)
                                          if index_exists(self.index_dir) else None)
        if self.previous is not None and not self.fresh:
            if not embed.same_model(self.previous.model.path, self.requested_model):
                raise ModelMismatchError(
                    self.previous.model.name, self.requested_model or "",
                    hint=f"re-embed every article with it: newsdig rebuild --model {self.requested_model}")
            self.settings = BuildSettings.from_dict(self.previous.settings)
            if self.requested_settings is not None and self.requested_settings.as_dict() != self.settings.as_dict():
                raise RebuildRequiredError(
                    f"the index was built with {self.settings.describe()}, not {self.requested_settings.describe()}",
                    hint="`newsdig rebuild` with the new settings re-chunks and re-embeds every article")
            self.model_name, self.model_path = self.previous.model.name, self.previous.model.path
        elif self.previous is not None:  # fresh: keep what is not asked to change
            self.settings = self.requested_settings or BuildSettings.from_dict(self.previous.settings)
            if self.settings.token_codes is None:
                self.settings = replace(self.settings, token_codes=True)  # re-embedding anyway: add them
            if self.requested_vectors:
                self.settings = replace(self.settings, vectors=self.requested_vectors)
            self.model_name, self.model_path = (embed.model_spec(self.requested_model) if self.requested_model
                                                else (self.previous.model.name, self.previous.model.path))
        else:
            self.settings = self.requested_settings or BuildSettings()
            self.model_name, self.model_path = embed.model_spec(self.requested_model)
        current = self.previous.snapshot if self.previous else None
        remove_other_snapshots(self.index_dir, current)  # left by finished or killed writers
        self.snapshot = next_snapshot(self.index_dir, current)
        self.dir = snapshot_path(self.index_dir, self.snapshot)
        if self.previous is not None and not self.fresh:
            old = snapshot_path(self.index_dir, self.previous.snapshot)
            clone_tree(old, self.dir, skip=lambda name: name.endswith("LOCK") or name.endswith(".tmp"))
            self.store = VectorStore.load(self.dir)
            self.chunk_ix = open_writable(self.dir, CHUNK_INDEX)
            self.article_ix = open_writable(self.dir, ARTICLE_INDEX)
        else:
            self.chunk_ix, self.article_ix = create_indexes(self.dir)
            self.store = None
        self.articles = self.article_ix.searcher()
        self.chrome = SiteChrome() if self.fresh else SiteChrome.load(self.dir)
        self.chunk_writer: IndexWriter = self.chunk_ix.writer()
        self.article_writer: IndexWriter = self.article_ix.writer()
        self._analyzers = fast_writer_analyzers(self.chunk_writer.schema)
        self._posted = install_pool(self.chunk_writer, WRITER_LIMIT_MB, count_field="text")  # the last document's terms
        install_pool(self.article_writer, WRITER_LIMIT_MB // 4)
        old_tokens = token_store.TokenStore.load(self.dir) if self.store is not None and \
            token_store.TokenStore.exists(self.dir) else None
        coder = token_store.TokenCoder(self.dir / token_store.NEW_TOKENS, old_tokens) if self.settings.token_codes else None
        self.queue = EmbedQueue(self.dir / NEW_VECTORS, self._load_encoder, self.settings.embed_batch, coder)
        self.old_postings = None if self.store is None else cloned_postings(self.dir, self.chunk_ix)
        # the passage ids of the segments as they are now, reused at commit for those Whoosh keeps
        self._known_ids = None if self.store is None else segment_ids(self.chunk_ix, self.store.ids)
        self.new_postings = NewPostings(self.dir / NEW_POSTINGS)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if not self._committed:
                self._abort()
        finally:
            self.lock.release()

    def _abort(self) -> None:
        closers = [self.queue.discard, self.new_postings.discard, self.chunk_writer.cancel, self.article_writer.cancel, self.articles.close]
        for closer in closers:
            try:
                closer()
            except Exception:  # noqa: BLE001 - best effort while unwinding
                pass
        remove_tree(self.dir)

    # -- changes -----------------------------------------------------------------------------
    def _stored(self, field_name: str, value: str) -> dict | None:
        return self.articles.document(**{field_name: value})

    def is_unchanged(self, article: Article) -> bool:
        """Whether the index already holds this article with the same content."""
        old = self._stored("article_id", article.article_id)
        return old is not None and old.get("content_hash") == article.content_hash

    def add(self, article: Article, raw: dict[str, str] | None = None) -> str:
        """Add or replace one article (``raw``: its input fields, kept for rebuilds); returns ``added``, ``updated``, ``unchanged``, ``duplicate`` or ``repeated``."""
        aid = article.article_id
        if aid in self._run_ids:
            return "repeated"
        old = self._stored("article_id", aid)
        if old is not None and old.get("content_hash") == article.content_hash:
            self._run_ids.add(aid)
            self.counts.unchanged += 1
            return "unchanged"
        twin = self._run_hashes.get(article.content_hash)
        if twin is None:
            same = self._stored("content_hash", article.content_hash)
            twin = same["article_id"] if same and same["article_id"] != aid else None
        if twin is not None and twin != aid:
            self.counts.duplicates.append((aid, twin))
            return "duplicate"
        replaced = old is not None
        if article.url and not replaced:
            same_url = self._stored("url", article.url)
            if same_url is not None and same_url["article_id"] not in self._run_ids:
                self._delete(same_url["article_id"])
                replaced = True
        if old is not None:
            self._delete(aid)
        self._run_ids.add(aid)
        self._run_hashes[article.content_hash] = aid
        self._write(article, raw)
        if replaced:
            self.counts.updated += 1
            return "updated"
        self.counts.added += 1
        return "added"

    def remove(self, article_id: str) -> bool:
        """Delete an article; False if the index does not hold it."""
        old = self._stored("article_id", article_id)
        if old is None:
            return False
        self._delete(article_id)
        self.counts.removed += 1
        return True

    def articles_under(self, root: str) -> list[tuple[str, str]]:
        """``(article id, source path)`` of the stored articles read from ``root`` or below it."""
        found = []
        for query in (Term("path", root), Prefix("path", root.rstrip(os.sep) + os.sep)):
            for hit in self.articles.search(query, limit=None):
                found.append((hit["article_id"], hit["path"]))
        return found

    def _delete(self, article_id: str) -> None:
        self.chunk_writer.delete_by_term("article_id", article_id)
        self.article_writer.delete_by_term("article_id", article_id)

    def _write(self, article: Article, raw: dict | None = None) -> None:
        chunks = chunk_text(article.article_id, article.body, self.settings.chunking)
        published = to_datetime(article.published)
        for chunk in chunks:
            text = f"{article.title}\n" * self.settings.title_weight + chunk.text if article.title else chunk.text
            self._posted.clear()
            self.chunk_writer.add_document(
                chunk_id=chunk.chunk_id, article_id=article.article_id, position=chunk.position, text=text,
                title=article.title, body=chunk.text, published=published, date=article.published,
                source=article.source or None, author=article.author or None, url=article.url or None,
                start=chunk.start, end=chunk.end)
            self.new_postings.add(chunk.chunk_id, self._posted)
            prefix = embed.passage_prefix(article.title, self.settings.embed_title)
            self.queue.add(chunk.chunk_id, prefix + chunk.text,
                           [(len(prefix) + a, len(prefix) + b) for a, b in sentence_spans(chunk.text)]
                           if self.settings.sentence_vectors else [])
        self.article_writer.add_document(
            article_id=article.article_id, content_hash=article.content_hash,
            url=article.url or None, path=article.path or None, title=article.title, body=article.body,
            published=article.published, author=article.author, source=article.source,
            chunks=len(chunks), raw=zlib.compress(json.dumps(raw or {}).encode("utf-8")))
        self.counts.chunks += len(chunks)

    # -- embedding and commit ---------------------------------------------------------------
    def _load_encoder(self, fast: bool) -> embed.Encoder:
        encoder = embed.load_encoder(self.model_name, self.model_path, fast=fast,
                                     device=self.device, precision=self.precision)
        if self.previous is not None and not self.fresh and encoder.dim != self.previous.model.dim:
            raise IndexFormatError(
                f"the model at {self.model_path} gives {encoder.dim}-d vectors; "
                f"the index holds {self.previous.model.dim}-d vectors")
        return encoder

    def flush(self) -> None:
        """Hand the passages written so far to the encoder thread (see :class:`EmbedQueue`)."""
        self.queue.flush()

    @property
    def changed(self) -> bool:
        """Whether the update has anything to commit (a rebuild always has)."""
        c = self.counts
        return bool(c.added or c.updated or c.removed or self.fresh)

    def commit(self) -> Manifest:
        """Write everything and switch the manifest to the new snapshot (the atomic step)."""
        self.queue.flush(final=True)
        self.articles.close()
        for analyzer in self._analyzers:
            analyzer.clean()  # its word cache (up to 2 x 200k words) is not needed past this point
        self.chunk_writer.commit()  # while the encoder thread embeds the last batch
        self.article_writer.commit()
        vectors = self.queue.finish()
        encoder = self.queue.encoder
        dim = encoder.dim if encoder else (self.previous.model.dim if self.previous and not self.fresh else 0)
        if vectors is None:
            vectors = np.zeros((0, dim), np.float32)
        doc_ids = chunk_keys_by_docnum(self.chunk_ix, self._known_ids)
        write_postings(self.dir, doc_ids, self.new_postings, self.old_postings,
                       self.store.ids if self.store is not None else None)
        self.new_postings.discard()
        sentence_store.write_for_update(self.dir, encode_ids(doc_ids), self.store.ids if self.store is not None else None,
                                        encode_ids(self.queue.ids), self.queue.sentences(), dim)
        if self.queue.tokens is not None:
            token_store.write_for_update(self.dir, encode_ids(doc_ids), self.store.ids if self.store is not None else None,
                                         encode_ids(self.queue.ids), self.queue.tokens)
        store = write_aligned(self.dir, doc_ids, self.queue.ids, vectors, self.store,
                              dim=dim, dtype=self.settings.vectors)
        self.queue.discard()
        ann.update_ann(self.dir, store.vectors, store.ids, ann.stored_keys(self.dir), self.queue.ids)
        self.chrome.save(self.dir)
        n_chunks = self.chunk_ix.doc_count()
        n_articles = self.article_ix.doc_count()
        if n_chunks != len(store):
            raise IndexFormatError(f"internal error: {n_chunks} keyword documents but {len(store)} vectors")
        now = _now()
        manifest = Manifest(
            snapshot=self.snapshot, model=ModelInfo(self.model_name, self.model_path, dim),
            articles=n_articles, chunks=n_chunks, settings=self.settings.as_dict(),
            created=self.previous.created if self.previous else now, updated=now,
            newsdig_version=__version__)
        write_manifest(self.index_dir, manifest)
        self._committed = True
        if self.previous is not None:
            remove_tree(snapshot_path(self.index_dir, self.previous.snapshot))
        return manifest
