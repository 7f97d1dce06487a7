"""Merging an update's new postings into a snapshot's old ones (see :mod:`indexer.postings`).

The postings are term-major: for each term (sorted by key) its documents, ascending. An update
drops the documents it deleted or replaced, renumbers the others as Whoosh did, and adds the
new documents' postings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .sorted_find import find

if TYPE_CHECKING:
    from .postings import Postings

Merged = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # unique terms, ptr, docs (int32), tf


def merge(old: Postings, moved: np.ndarray, new_terms: np.ndarray, new_docs: np.ndarray,
          new_tf: np.ndarray) -> Merged:
    """Old postings renumbered by ``moved`` (old document -> new number, -1: gone) plus the new
    postings (sorted by term, then document)."""
    kept = moved >= 0
    renumbered = moved[kept]
    appended = not len(new_docs) or not len(renumbered) or int(new_docs.min()) > int(renumbered.max())
    if appended and np.array_equal(renumbered, np.flatnonzero(kept)):
        return _append(old, kept, new_terms, new_docs, new_tf)
    return _renumber(old, moved, new_terms, new_docs, new_tf)


def _append(old: Postings, kept: np.ndarray, new_terms: np.ndarray, new_docs: np.ndarray,
            new_tf: np.ndarray) -> Merged:
    """The usual update (a new segment, no merge): old documents keep their numbers, so the old
    arrays are copied once with the new postings inserted, never expanded per posting (a
    million passages hold ~100M postings: 6 bytes each here instead of ~30)."""
    terms, ptr = np.asarray(old.terms), np.asarray(old.ptr, dtype=np.int64)
    docs, tf = np.asarray(old.docs), np.asarray(old.tf)
    counts = np.diff(ptr)
    if not kept.all():  # postings of deleted or replaced documents go
        keep = kept[docs]
        gone = np.flatnonzero(~keep)
        if len(gone):
            counts = counts - np.bincount(np.searchsorted(ptr, gone, side="right") - 1, minlength=len(counts))
            docs, tf = docs[keep], tf[keep]
    kept_ptr = np.concatenate([[0], np.cumsum(counts)])
    at = kept_ptr[np.searchsorted(terms, new_terms, side="right")]  # after the term's old postings
    docs = _insert(docs, at, new_docs.astype(np.int32))
    tf = _insert(tf, at, new_tf)
    starts = _firsts(new_terms)
    added, added_counts = new_terms[starts], np.diff(np.append(starts, len(new_terms)))  # new_terms are sorted
    unique = _union_sorted(terms, added)
    total = np.zeros(len(unique), dtype=np.int64)
    total[np.searchsorted(unique, terms)] += counts
    total[np.searchsorted(unique, added)] += added_counts
    held = total > 0
    return unique[held], np.concatenate([[0], np.cumsum(total[held])]).astype(np.int64), docs.astype(np.int32), tf


def _insert(values: np.ndarray, at: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``np.insert(values, at, new)`` for sorted ``at``: one copy of the slices between insertion
    points (``np.insert`` builds index masks as long as ``values``: ~3x slower)."""
    if not len(at) or len(at) > 100_000:
        return np.insert(values, at, new)
    cuts, first = np.unique(at, return_index=True)
    ends = np.append(first[1:], len(at))
    pieces, prev = [], 0
    for cut, begin, end in zip(cuts.tolist(), first.tolist(), ends.tolist()):
        pieces += [values[prev:cut], new[begin:end]]
        prev = cut
    pieces.append(values[prev:])
    return np.concatenate(pieces).astype(values.dtype, copy=False)


def _renumber(old: Postings, moved: np.ndarray, new_terms: np.ndarray, new_docs: np.ndarray,
              new_tf: np.ndarray) -> Merged:
    """Whoosh merged segments: renumber every old posting, then restore (term, document) order."""
    doc_map = moved[np.asarray(old.docs, dtype=np.int64)]
    keep = doc_map >= 0
    old_docs, old_tf = doc_map[keep], np.asarray(old.tf)[keep]
    renumbered = moved[moved >= 0]
    if not (bool(np.all(renumbered[1:] > renumbered[:-1])) and (
            not len(new_docs) or not len(renumbered) or int(new_docs.min()) > int(renumbered.max()))):
        return _sorted(old, keep, old_docs, old_tf, new_terms, new_docs, new_tf)  # merged out of order
    # Whoosh kept the old documents' order and appended the new ones: the old postings are still
    # in (term, document) order, and each new one goes after its term's.
    old_terms = np.repeat(np.asarray(old.terms), np.diff(np.asarray(old.ptr)))[keep]
    at = np.searchsorted(old_terms, new_terms, side="right")
    return pack(np.insert(old_terms, at, new_terms), np.insert(old_docs, at, new_docs), np.insert(old_tf, at, new_tf))


def _sorted(old: Postings, keep: np.ndarray, old_docs: np.ndarray, old_tf: np.ndarray, new_terms: np.ndarray,
            new_docs: np.ndarray, new_tf: np.ndarray) -> Merged:
    """Postings re-sorted by one int64 key, term number x documents + document: each term's old
    postings are already a few sorted runs (one per block of documents Whoosh moved), which a
    stable sort (timsort) merges in about linear time (~7x faster than a lexsort of term hashes
    and documents)."""
    terms = np.asarray(old.terms)
    counts = np.diff(np.asarray(old.ptr, dtype=np.int64))
    unique = _union_sorted(terms, new_terms[_firsts(new_terms)])
    size = int(max(old_docs.max(initial=-1), new_docs.max(initial=-1))) + 1
    key = np.concatenate([np.repeat(np.searchsorted(unique, terms), counts)[keep] * size + old_docs,
                          np.searchsorted(unique, new_terms) * size + np.asarray(new_docs, dtype=np.int64)])
    sort = np.argsort(key, kind="stable")
    docs = np.concatenate([old_docs, new_docs])[sort].astype(np.int32)
    tf = np.concatenate([old_tf, new_tf])[sort]
    total = np.bincount(key[sort] // size, minlength=len(unique)) if size else np.zeros(len(unique), np.int64)
    held = total > 0
    return unique[held], np.concatenate([[0], np.cumsum(total[held])]).astype(np.int64), docs, tf


def _firsts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array starts."""
    return np.flatnonzero(np.r_[True, values[1:] != values[:-1]]) if len(values) else np.zeros(0, np.int64)


def _union_sorted(terms: np.ndarray, added: np.ndarray) -> np.ndarray:
    """The sorted union of two sorted arrays of distinct terms (no sort of all of them)."""
    extra = added[~find(terms, added)[1]]
    return np.insert(terms, np.searchsorted(terms, extra), extra)


def pack_spooled(keys: np.ndarray, tf: np.ndarray, docs: np.ndarray, sizes: np.ndarray,
                 vocabulary: np.ndarray, block: int = 1 << 22) -> Merged:
    """Term-major arrays of postings spooled document by document, by a counting sort.

    ``keys``/``tf`` hold one row per posting, a document's rows together; ``docs`` is each
    document's number (increasing), ``sizes`` its row count; ``vocabulary`` the sorted distinct
    keys. Two passes over blocks of ``block`` rows: count each term's postings, then scatter each
    block's rows to their term's next free slots (a stable sort of the block keeps documents
    ascending within a term). Memory holds the term numbers and the output (10 bytes a posting)
    and one block; sorting all rows at once took ~40 bytes a posting (68M postings, a million
    passages: 1.5 GiB peak instead of 2.9 GiB).
    """
    n, terms = len(keys), len(vocabulary)
    numbers = np.empty(n, dtype=np.int32)  # each row's term number (4 bytes a posting)
    for start in range(0, n, block):
        numbers[start:start + block] = np.searchsorted(vocabulary, keys[start:start + block])
    counts = np.bincount(numbers, minlength=terms)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    cursor = ptr[:-1].copy()
    out_docs, out_tf = np.empty(n, dtype=np.int32), np.empty(n, dtype=tf.dtype)
    firsts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])  # each document's first row
    for start in range(0, n, block):
        end = min(n, start + block)
        term = numbers[start:end]
        first, last = np.searchsorted(firsts, start, side="right") - 1, np.searchsorted(firsts, end)
        rows = np.diff(np.clip(firsts[first:last + 1], start, end))
        order = np.argsort(term, kind="stable")
        term = term[order]
        group = _firsts(term)
        group_sizes = np.diff(np.append(group, len(term)))
        dest = cursor[term] + np.arange(len(term)) - np.repeat(group, group_sizes)
        out_docs[dest] = np.repeat(np.asarray(docs[first:last], dtype=np.int32), rows)[order]
        out_tf[dest] = np.asarray(tf[start:end])[order]
        cursor[term[group]] += group_sizes
    held = counts > 0
    if not held.all():
        ptr = np.concatenate([[0], np.cumsum(counts[held])]).astype(np.int64)
    return vocabulary[held], ptr, out_docs, out_tf


def pack(terms: np.ndarray, docs: np.ndarray, tf: np.ndarray) -> Merged:
    """Term-major arrays from one row per posting (sorted by term, then document)."""
    starts = _firsts(terms)
    return terms[starts], np.append(starts, len(terms)).astype(np.int64), docs.astype(np.int32), tf
