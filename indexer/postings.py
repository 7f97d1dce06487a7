"""A numpy copy of the passage index's scored postings, so plain keyword queries are scored by
vectorised BM25 instead of Whoosh's pure-Python matchers.

For every term of the scored ``text`` field (headline × title weight + passage, analysed exactly
as Whoosh analyses it) the snapshot holds the live documents that contain it and how often,
term-major (like a CSC matrix), aligned with the keyword document numbers like the vectors:

- ``postings_terms.npy``: uint64, sorted: a 64-bit hash of each term (:func:`term_key`);
- ``postings_ptr.npy``: int64, len(terms) + 1: where each term's documents start;
- ``postings_docs.npy``: int32, ascending within a term: document numbers;
- ``postings_tf.npy``: uint16: the term's frequency in each of those documents;
- ``postings_len.npy``: float32, one per document number: the field length as Whoosh stores it
  (quantised to a byte), so BM25 scores match Whoosh's.

An update keeps the rows of unchanged documents (renumbered), drops deleted ones and adds the
new documents' terms, counted while they were written.
"""

from __future__ import annotations

import functools
import hashlib
import os
from array import array
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .atomic import atomic_write
from .errors import IndexFormatError
from .postings_merge import merge, pack, pack_spooled
from .sorted_find import find
from .vector_store import appended_layout, encode_ids

if TYPE_CHECKING:
    from whoosh.index import FileIndex
    from whoosh.reading import IndexReader

FILES = {"terms": "postings_terms.npy", "ptr": "postings_ptr.npy", "docs": "postings_docs.npy",
         "tf": "postings_tf.npy", "lengths": "postings_len.npy"}
ARTICLES = "postings_art.npy"  # int32 per document: its article's number (-1: deleted); see article_numbers
MAX_TF = np.iinfo(np.uint16).max
NEW_POSTINGS = "new-postings"  # an update's counted postings (.keys, .tf), before they are merged in


def term_key(term: str | bytes) -> int:
    """A stable 64-bit hash of an analysed term (blake2b of its UTF-8; 0 is never returned)."""
    data = term if isinstance(term, bytes) else term.encode("utf-8")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little") or 1


@functools.cache
def _length_table() -> np.ndarray:
    from whoosh.util.numeric import byte_to_length, length_to_byte

    return np.array([byte_to_length(length_to_byte(n)) for n in range(4096)], dtype=np.float32)


def whoosh_lengths(lengths: np.ndarray) -> np.ndarray:
    """Field lengths as Whoosh reads them back (a byte-sized logarithmic approximation)."""
    from whoosh.util.numeric import byte_to_length, length_to_byte

    table = _length_table()
    lengths = np.asarray(lengths, dtype=np.int64)
    out = table[np.minimum(lengths, len(table) - 1)]
    for i in np.flatnonzero(lengths >= len(table)):
        out[i] = byte_to_length(length_to_byte(int(lengths[i])))
    return out.astype(np.float32)


def article_numbers(ids: np.ndarray) -> np.ndarray:
    """Each passage's article as a number, from passage ids ``<article>#<n>`` in document order
    ("" = deleted: -1). An article's passages are written together, numbered from 0, so they
    are consecutive (Whoosh keeps the order of a segment's documents, also when merging):
    each ``#0`` opens the next article. ``newsdig check`` verifies this."""
    ids = np.asarray(ids)
    live = ids != b""
    out = np.cumsum(np.char.endswith(ids, b"#0") & live) - 1
    out[~live] = -1
    return out


class Postings:
    """The postings of one snapshot (memory-mapped)."""

    def __init__(self, terms: np.ndarray, ptr: np.ndarray, docs: np.ndarray, tf: np.ndarray,
                 lengths: np.ndarray, articles: np.ndarray | None = None) -> None:
        if len(ptr) != len(terms) + 1 or int(ptr[-1]) != len(docs) or len(docs) != len(tf):
            raise IndexFormatError("the keyword postings files do not agree with each other")
        self.terms, self.ptr, self.docs, self.tf, self.lengths = terms, ptr, docs, tf, lengths
        # each document's article number (written since article scoring; None: compute it)
        self.articles = articles if articles is not None and len(articles) == len(lengths) else None

    @staticmethod
    def exists(directory: str | os.PathLike[str]) -> bool:
        """Whether the snapshot has postings (indexes built before them have none)."""
        return all((Path(directory) / name).exists() for name in FILES.values())

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> Postings:
        """Open a snapshot's postings, memory-mapped."""
        arrays = {key: np.load(Path(directory) / name, mmap_mode="r", allow_pickle=False)
                  for key, name in FILES.items()}
        path = Path(directory) / ARTICLES
        articles = np.load(path, mmap_mode="r", allow_pickle=False) if path.exists() else None
        return cls(**arrays, articles=articles)

    def __len__(self) -> int:
        """Document numbers covered (deleted ones included)."""
        return len(self.lengths)

    def lookup(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        """``(document numbers, term frequencies)`` of a term key (empty when absent)."""
        i = int(np.searchsorted(self.terms, np.uint64(key)))
        if i >= len(self.terms) or int(self.terms[i]) != key:
            return self.docs[:0], self.tf[:0]
        start, end = int(self.ptr[i]), int(self.ptr[i + 1])
        return self.docs[start:end], self.tf[start:end]


def from_whoosh(reader: IndexReader, fieldname: str = "text") -> Postings:
    """Read the postings of a Whoosh index (for an index built before newsdig kept its own; O(index),
    once). Document numbers are the reader's; deleted documents are left out."""
    terms, ptr, docs, tf = [], [0], [], []
    for text in reader.lexicon(fieldname):
        ids, weights = [], []
        for docnum, weight in reader.postings(fieldname, text).items_as("weight"):
            if not reader.is_deleted(docnum):
                ids.append(docnum)
                weights.append(weight)
        if ids:
            terms.append(term_key(text.decode("utf-8") if isinstance(text, bytes) else text))
            ptr.append(ptr[-1] + len(ids))
            docs.append(np.array(ids, dtype=np.int32))
            tf.append(np.minimum(np.array(weights, dtype=np.float64), MAX_TF).astype(np.uint16))
    n = reader.doc_count_all()
    lengths = np.array([0 if reader.is_deleted(d) else reader.doc_field_length(d, fieldname) for d in range(n)],
                       dtype=np.float32)
    keys = np.array(terms, dtype=np.uint64)
    order = np.argsort(keys, kind="stable")
    starts, sizes = np.array(ptr[:-1], dtype=np.int64)[order], np.diff(ptr)[order]
    all_docs = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int32)
    all_tf = np.concatenate(tf) if tf else np.zeros(0, dtype=np.uint16)
    take = np.concatenate([np.arange(a, a + b) for a, b in zip(starts, sizes)]) if len(order) else np.zeros(0, dtype=np.int64)
    return Postings(keys[order], np.append(0, np.cumsum(sizes)).astype(np.int64), all_docs[take], all_tf[take], lengths)


def cloned_postings(directory: str | os.PathLike[str], index: FileIndex) -> Postings:
    """The postings of a snapshot about to be updated; an index built before newsdig kept postings
    gets them from Whoosh's (once, O(index))."""
    if Postings.exists(directory):
        return Postings.load(directory)
    with index.reader() as reader:
        return from_whoosh(reader)


class NewPostings:
    """Term counts of the documents written by an update, in the order they were written.

    The counts go to two raw files (``<path>.keys``: uint64 term keys, ``<path>.tf``: uint16
    frequencies) a block at a time, so memory holds one block, not every new posting (about 1.6
    KiB per passage as Python objects: 1.6 GiB for a million passages); without ``path`` they
    stay in memory. :meth:`read` maps them back at commit.
    """

    BLOCK = 1 << 20  # postings buffered before a write

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.ids: list[str] = []
        self.sizes = array("q")  # distinct terms per document
        self.lengths = array("q")  # tokens per document (its field length)
        self.path = None if path is None else Path(path)
        self._keys: list[np.ndarray] = []
        self._tf: list[np.ndarray] = []
        self._buffered = 0
        self._written = 0
        self._cache: dict[str | bytes, int] = {}

    def add(self, passage_id: str, terms: Mapping[str, int] | Mapping[bytes, int]) -> None:
        """Record one document's analysed terms and their frequencies (distinct terms, as text or
        UTF-8)."""
        cache = self._cache
        keys = np.fromiter((cache[t] if t in cache else cache.setdefault(t, term_key(t)) for t in terms),
                           dtype=np.uint64, count=len(terms))
        counts = np.fromiter(terms.values(), dtype=np.int64, count=len(terms))
        self.ids.append(passage_id)
        self.sizes.append(len(keys))
        self.lengths.append(int(counts.sum()))
        self._keys.append(keys)
        self._tf.append(np.minimum(counts, MAX_TF).astype(np.uint16))
        self._buffered += len(keys)
        if self.path is not None and self._buffered >= self.BLOCK:
            self._flush()

    def _flush(self) -> None:
        assert self.path is not None
        if not self._keys:
            return
        for suffix, parts in ((".keys", self._keys), (".tf", self._tf)):
            with open(self.path.with_name(self.path.name + suffix), "ab") as handle:
                np.concatenate(parts).tofile(handle)
        self._written += self._buffered
        self._keys, self._tf, self._buffered = [], [], 0

    def vocabulary(self) -> np.ndarray:
        """The sorted distinct term keys of the recorded postings."""
        return np.unique(np.fromiter(self._cache.values(), dtype=np.uint64, count=len(self._cache)))

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        """``(term keys, frequencies)`` of every document, concatenated in writing order."""
        if self.path is None or not self._written:
            if not self._keys:
                return np.zeros(0, np.uint64), np.zeros(0, np.uint16)
            return np.concatenate(self._keys), np.concatenate(self._tf)
        self._flush()
        return (np.memmap(self.path.with_name(self.path.name + ".keys"), dtype=np.uint64, mode="r"),
                np.memmap(self.path.with_name(self.path.name + ".tf"), dtype=np.uint16, mode="r"))

    def discard(self) -> None:
        """Delete the spool files."""
        if self.path is not None:
            for suffix in (".keys", ".tf"):
                self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        self._keys, self._tf, self._buffered, self._written = [], [], 0, 0


def write_postings(directory: str | os.PathLike[str], doc_ids: Sequence[str] | np.ndarray, new: NewPostings,
                   old: Postings | None, old_ids: np.ndarray | None) -> Postings:
    """Write the postings whose document numbers follow ``doc_ids`` ("" = deleted) into ``directory``.

    A document's terms come from ``new`` or else from ``old`` (whose document ``i`` had the id
    ``old_ids[i]``); a new document wins over an old one with the same id.
    """
    keys = encode_ids(doc_ids)

    def docnums_of(ids: np.ndarray) -> np.ndarray:
        """The new document number of each id (-1 where it is not a live document)."""
        if not len(ids) or not len(keys):
            return np.full(len(ids), -1, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        pos, found = find(sorted_keys, ids)
        return np.where(found & (ids != b""), order[pos], -1)

    new_ids = encode_ids(new.ids) if new.ids else np.zeros(0, dtype="S1")
    n_old = 0 if old_ids is None else len(old_ids)
    appended = old_ids is not None and appended_layout(keys, np.asarray(old_ids), new_ids)
    new_docs = n_old + np.arange(len(new_ids)) if appended else docnums_of(new_ids)
    if (new_docs < 0).any():
        raise IndexFormatError("internal error: a new passage has no keyword document")
    lengths = np.zeros(len(keys), dtype=np.int64)
    new_terms, new_docs_rep, new_tf = np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.uint16)
    packed = None
    if new.ids:
        spooled_terms, spooled_tf = new.read()
        sizes = np.frombuffer(new.sizes, dtype=np.int64)
        if len(new_docs) < 2 or bool(np.all(new_docs[1:] > new_docs[:-1])):
            packed = pack_spooled(spooled_terms, spooled_tf, new_docs, sizes, new.vocabulary())
        else:  # Whoosh numbered the new documents out of writing order
            new_docs_rep = np.repeat(new_docs, sizes)
            sort = np.lexsort((new_docs_rep, spooled_terms))
            new_terms, new_docs_rep, new_tf = spooled_terms[sort], new_docs_rep[sort], spooled_tf[sort]
            del sort
        del spooled_terms, spooled_tf
        lengths[new_docs] = np.frombuffer(new.lengths, dtype=np.int64)
    quantised = whoosh_lengths(lengths)
    if old is not None and old_ids is not None and len(old.docs):
        if appended:  # old documents kept their numbers; replaced ones are deleted (b"")
            moved = np.where(keys[:n_old] != b"", np.arange(n_old), -1)
        else:
            moved = docnums_of(np.asarray(old_ids))
            if len(new_ids):
                moved[np.isin(np.asarray(old_ids), new_ids)] = -1  # replaced by a new version
        kept_rows = moved >= 0
        quantised[moved[kept_rows]] = np.asarray(old.lengths)[np.flatnonzero(kept_rows)]
        if packed is not None:  # one row per new posting again, for the merge
            new_terms, new_docs_rep, new_tf = np.repeat(packed[0], np.diff(packed[1])), packed[2], packed[3]
        unique, ptr, docs, tf = merge(old, moved, new_terms, new_docs_rep, new_tf)
    elif packed is not None:
        unique, ptr, docs, tf = packed
    else:
        unique, ptr, docs, tf = pack(new_terms, new_docs_rep, new_tf)
    directory = Path(directory)
    for name, array in (("terms", unique), ("ptr", ptr), ("docs", docs), ("tf", tf), ("lengths", quantised)):
        atomic_write(directory / FILES[name], lambda f, a=array: np.save(f, a, allow_pickle=False))
    articles = article_numbers(keys).astype(np.int32)
    atomic_write(directory / ARTICLES, lambda f: np.save(f, articles, allow_pickle=False))
    return Postings.load(directory)
