"""Token codes: every passage token's contextual state, product-quantised, for the rerank.

The late-interaction rerank (:mod:`search.rerank`) matches the query's word pieces with a
passage's tokens as the model reads them in context. Reading ten passages again at query time
costs ~1.5 s on two CPU cores; the states come free from the forward pass that indexing already
runs for the passage and sentence vectors, so they are kept, in 16 bytes a token instead of
1.5 kB: each state is cut into ``SUBSPACES`` slices and each slice stored as the number of its
nearest of 256 centroids (product quantisation, as in FAISS and ColBERT's PLAID). Before that
the states are centred and turned onto their principal axes, dealt round-robin to the slices so
each slice holds strong and weak directions alike (without it a decoded token keeps cosine 0.70
with the original on scifact's passages, with it 0.77). Decoded, a token is the concatenation of
its centroids plus the mean, made unit length again; the rerank compares it with the query's
tokens turned the same way (a dot product does not change under the turn).

The centroids (the *codebook*) are learned by k-means from the first ``TRAIN_TOKENS`` token
states an index sees and kept for later updates, so codes stay comparable. While an index holds
fewer tokens than that, each update learns the codebook again from all of them (the old tokens
decoded) and rewrites the old codes with it: a small first build does not fix a poor codebook.

Files: ragged rows (:mod:`indexer.ragged_store`) ``token_codes.K.npy`` (tokens × subspaces,
uint8), ``token_parts.npy``, ``token_offsets.npy``; and ``token_codebook.npy`` (float32,
centroids × dim, in the turned space: centroid ``c`` of slice ``m`` is row ``c`` over that
slice's columns), ``token_projection.npy`` (float32, dim + 1 rows: the mean, then the turn, one
column per axis) and ``token_codebook_trained.npy`` (the tokens it was learned from, the slices).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from . import ragged_store
from .atomic import atomic_write
from .errors import IndexFormatError
from .ragged_store import NewRows, RaggedFiles, RaggedStore
from .vector_store import normalize_rows

FILES = RaggedFiles("token", "token_codes", "uint8")
CODEBOOK, PROJECTION, TRAINED = "token_codebook.npy", "token_projection.npy", "token_codebook_trained.npy"
NEW_TOKENS = "new-tokens.u8"
SUBSPACES = 16        # bytes a token
CENTROIDS = 256
TRAIN_TOKENS = 32_768  # token states the codebook is learned from
ITERATIONS = 6         # of k-means
_BLOCK = 16_384        # tokens coded at a time (bounds the distance matrix)


class Codebook:
    """Product quantiser: ``centroids`` (≤ 256 × dim) over ``subspaces`` slices of the dimensions
    of states centred on ``mean`` and turned by ``rotation`` (an orthogonal dim × dim matrix)."""

    def __init__(self, centroids: np.ndarray, subspaces: int, trained: int, mean: np.ndarray | None = None,
                 rotation: np.ndarray | None = None) -> None:
        self.centroids = np.ascontiguousarray(centroids, dtype=np.float32)
        self.subspaces, self.trained = subspaces, trained
        dim = self.centroids.shape[1]
        self.mean = np.zeros(dim, np.float32) if mean is None else np.asarray(mean, dtype=np.float32)
        self.rotation = np.eye(dim, dtype=np.float32) if rotation is None else np.asarray(rotation, dtype=np.float32)
        if (not 0 < subspaces <= min(dim, 255) or not 0 < len(self.centroids) <= CENTROIDS
                or self.mean.shape != (dim,) or self.rotation.shape != (dim, dim)):
            raise IndexFormatError(f"token codebook of shape {self.centroids.shape} for {subspaces} slices")
        self.slices = _slices(dim, subspaces)
        self._norms = [np.einsum("ij,ij->i", self.centroids[:, a:b], self.centroids[:, a:b]) for a, b in self.slices]
        self._turned_mean = self.mean @ self.rotation
        widths = {b - a for a, b in self.slices}
        # equal slices (384 dimensions in 16): decoding is one gather from (slice, centroid) rows
        self._rows = np.concatenate([self.centroids[:, a:b] for a, b in self.slices]) if len(widths) == 1 else None
        self._offsets = np.arange(subspaces, dtype=np.intp) * len(self.centroids)

    @classmethod
    def train(cls, states: np.ndarray, *, subspaces: int = SUBSPACES, seed: int = 0) -> Codebook:
        """Principal axes, then k-means (``ITERATIONS`` rounds) on each slice, from up to
        ``TRAIN_TOKENS`` of ``states``."""
        states = np.asarray(states, dtype=np.float32)
        if not len(states):
            raise IndexFormatError("internal error: no token states to learn a codebook from")
        rng = np.random.default_rng(seed)
        if len(states) > TRAIN_TOKENS:
            states = states[np.sort(rng.choice(len(states), TRAIN_TOKENS, replace=False))]
        dim = states.shape[1]
        mean = states.mean(axis=0)
        centred = states - mean
        _, axes = np.linalg.eigh(centred.T.astype(np.float64) @ centred)  # ascending variance
        deal = np.concatenate([np.arange(m, dim, subspaces) for m in range(subspaces)])
        rotation = axes[:, ::-1][:, deal].astype(np.float32)  # slice m: axes m, m + subspaces, ...
        turned = centred @ rotation
        k = min(CENTROIDS, len(states))
        centroids = np.zeros((k, dim), dtype=np.float32)
        first = rng.choice(len(states), k, replace=False)
        for a, b in _slices(dim, subspaces):
            x = np.ascontiguousarray(turned[:, a:b])
            c = x[first].copy()
            for _ in range(ITERATIONS):
                nearest = _nearest(x, c)
                sizes = np.bincount(nearest, minlength=k)
                sums = np.stack([np.bincount(nearest, weights=x[:, j], minlength=k) for j in range(b - a)], axis=1)
                filled = sizes > 0  # an empty cluster keeps its centroid
                c[filled] = sums[filled] / sizes[filled, None]
            centroids[:, a:b] = c
        return cls(centroids, subspaces, len(states), mean, rotation)

    def encode(self, states: np.ndarray) -> np.ndarray:
        """Codes (tokens × subspaces, uint8) of unit token states."""
        codes = np.empty((len(states), self.subspaces), dtype=np.uint8)
        for start in range(0, len(states), _BLOCK):
            block = np.asarray(states[start:start + _BLOCK], dtype=np.float32) @ self.rotation
            block -= self._turned_mean
            for m, (a, b) in enumerate(self.slices):
                codes[start:start + len(block), m] = _nearest(block[:, a:b], self.centroids[:, a:b], self._norms[m])
        return codes

    def decode_turned(self, codes: np.ndarray) -> np.ndarray:
        """Unit token states back from codes, in the turned space (compare them with
        :meth:`turn` of the query's states)."""
        codes = np.asarray(codes)
        if self._rows is not None:
            out = np.take(self._rows, (codes.astype(np.intp) + self._offsets).ravel(), axis=0).reshape(len(codes), -1)
        else:
            out = np.empty((len(codes), self.centroids.shape[1]), dtype=np.float32)
            for m, (a, b) in enumerate(self.slices):
                out[:, a:b] = self.centroids[codes[:, m], a:b]
        out += self._turned_mean
        return normalize_rows(out)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Unit token states (float32) back from codes, in the model's own space."""
        return self.decode_turned(codes) @ self.rotation.T

    def turn(self, states: np.ndarray) -> np.ndarray:
        """States turned as the decoded ones are (dot products unchanged)."""
        return np.asarray(states, dtype=np.float32) @ self.rotation

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the codebook files (atomically)."""
        directory = Path(directory)
        atomic_write(directory / CODEBOOK, lambda f: np.save(f, self.centroids, allow_pickle=False))
        atomic_write(directory / PROJECTION, lambda f: np.save(f, np.vstack([self.mean, self.rotation]),
                                                               allow_pickle=False))
        atomic_write(directory / TRAINED, lambda f: np.save(f, np.array([self.trained, self.subspaces], np.int64),
                                                            allow_pickle=False))

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> Codebook:
        """Read the codebook files."""
        directory = Path(directory)
        try:
            centroids = np.load(directory / CODEBOOK, allow_pickle=False)
            projection = np.load(directory / PROJECTION, allow_pickle=False)
            trained, subspaces = (int(x) for x in np.load(directory / TRAINED, allow_pickle=False))
        except (OSError, ValueError) as exc:
            raise IndexFormatError(f"cannot read the token codebook in {directory}: {exc}",
                                   hint="run `newsdig rebuild`") from exc
        return cls(centroids, subspaces, trained, projection[0], projection[1:])


def _slices(dim: int, subspaces: int) -> list[tuple[int, int]]:
    """Column ranges of the ``subspaces`` slices of ``dim`` dimensions (as equal as can be)."""
    return [(int(p[0]), int(p[-1]) + 1) for p in np.array_split(np.arange(dim), subspaces)]


def _nearest(x: np.ndarray, centroids: np.ndarray, norms: np.ndarray | None = None) -> np.ndarray:
    """The nearest centroid of each row of ``x`` (squared Euclidean distance; ``norms``: the
    centroids' squared norms, when known)."""
    distance = x @ (-2.0 * centroids.T)
    distance += np.einsum("ij,ij->i", centroids, centroids) if norms is None else norms
    return np.argmin(distance, axis=1)


class TokenStore(RaggedStore):
    """The token codes of a snapshot (memory-mapped) and their codebook."""

    files = FILES

    codebook: Codebook

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> TokenStore:
        """Open the codes (memory-mapped) and read the codebook now, so that a writer removing
        this snapshot later cannot take it from under a search."""
        store = super().load(directory)
        store.codebook = Codebook.load(directory)
        return store  # type: ignore[no-any-return]

    def states(self, row: int, *, turned: bool = False) -> np.ndarray:
        """Decoded unit token states of document ``row`` (none: an empty array); ``turned``: as
        :meth:`Codebook.decode_turned` gives them (cheaper: compare with turned query states)."""
        codes, _ = self.document(row)
        book = self.codebook
        return (book.decode_turned(codes) if turned else book.decode(codes)) if len(codes) else \
            np.zeros((0, book.centroids.shape[1]), np.float32)


class TokenCoder:
    """Codes the token states of an update's passages, learning the codebook first when needed.

    ``old``: the previous snapshot's store. Its codebook is kept when it was learned from
    ``TRAIN_TOKENS`` tokens, or when the index has not yet doubled the tokens it was learned
    from (so adding an article to a small index does not learn a codebook each time);
    otherwise the old tokens (decoded) join the sample a new one is learned from, and
    :meth:`recode` rewrites the old codes. Passages wait, as float16 states, until the sample is
    full or the update ends. Codes go to a :class:`NewRows` spool in the order passages were pushed.
    """

    def __init__(self, spool_path: str | os.PathLike[str], old: TokenStore | None = None) -> None:
        self.spool_path = Path(spool_path)
        self.old = old if old is not None and old.parts else None
        self.old_book = self.old.codebook if self.old is not None else None
        self.book = self.old_book if self.old_book is not None and self.old_book.trained >= TRAIN_TOKENS else None
        self._waiting: list[np.ndarray] = []  # float16 states of passages not yet coded
        self._sampled = int(self.old.offsets[-1]) if self.old is not None and self.book is None else 0
        self.spool: NewRows | None = None

    def prepare(self, states: np.ndarray | None) -> np.ndarray | None:
        """What to keep of one passage's unit token states until :meth:`push`: its codes when
        the codebook is known, else the states as float16 (None: the encoder gives none)."""
        if states is None:
            return None
        return self.book.encode(states) if self.book is not None else np.asarray(states, dtype=np.float16)

    def push(self, prepared: Sequence[np.ndarray | None]) -> None:
        """Add passages in order (each as :meth:`prepare` left it)."""
        coded: list[np.ndarray] = []
        for item in prepared:
            if self.book is None:
                waiting = item if item is not None else np.zeros((0, 1), np.float16)
                self._waiting.append(waiting)
                self._sampled += len(waiting)
                if self._sampled >= TRAIN_TOKENS:
                    self._learn()
            elif item is None or not len(item):
                coded.append(np.zeros((0, self.book.subspaces), np.uint8))
            else:  # states prepared before the codebook was learned earlier in this call are coded now
                coded.append(item if item.dtype == np.uint8 else self.book.encode(item))
        if coded:
            self._write(coded)

    def finish(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Code what still waits; the spooled codes and the count per passage (None: neither the
        old snapshot nor this update has token states)."""
        if self.book is None:
            if self.old_book is not None and self._sampled < 2 * self.old_book.trained:
                self.book = self.old_book  # too few new tokens to learn again
                waiting, self._waiting = self._waiting, []
                self.push(waiting)
            else:
                self._learn()
        if self.book is None:
            return None
        if self.spool is None:
            self._write([])
        assert self.spool is not None
        return self.spool.read()

    def recode(self) -> Callable[[np.ndarray], np.ndarray] | None:
        """None when old codes stay valid, else a function that rewrites them with the new codebook."""
        if self.old_book is None or self.book is self.old_book or self.book is None:
            return None
        old, new = self.old_book, self.book
        return lambda codes: new.encode(old.decode(codes)) if len(codes) else codes

    def discard(self) -> None:
        """Delete the spool."""
        if self.spool is not None:
            self.spool.discard()

    def _learn(self) -> None:
        """Learn the codebook from the sample and the waiting passages (keep the old one when
        there are no states at all), then code the waiting passages."""
        states = [w for w in self._waiting if len(w)]
        if self.old is not None and states:
            rows = int(self.old.offsets[-1])
            pick = np.linspace(0, rows - 1, min(rows, TRAIN_TOKENS)).astype(np.int64) if rows else np.zeros(0, np.int64)
            states.insert(0, self.old_book.decode(self.old.rows(pick)).astype(np.float16))  # type: ignore[union-attr]
        self.book = Codebook.train(np.concatenate(states).astype(np.float32)) if states else self.old_book
        waiting, self._waiting = self._waiting, []
        if self.book is not None:
            self._write([self.book.encode(w) if len(w) else np.zeros((0, self.book.subspaces), np.uint8)
                         for w in waiting])

    def _write(self, codes: list[np.ndarray]) -> None:
        assert self.book is not None
        width = self.book.subspaces
        if self.spool is None:
            self.spool = NewRows(self.spool_path, width, "uint8")
        self.spool.append(np.concatenate(codes) if codes else np.zeros((0, width), np.uint8), [len(c) for c in codes])


def write_for_update(directory: str | os.PathLike[str], keys: np.ndarray, old_ids: np.ndarray | None,
                     new_keys: np.ndarray, coder: TokenCoder) -> TokenStore | None:
    """An update's token store in ``directory`` (see :func:`indexer.ragged_store.write_for_update`),
    with the coder's codebook; None when neither the old snapshot nor this update has token states."""
    new = coder.finish()
    if new is None or coder.book is None:
        return None
    coder.book.save(directory)  # first: loading the store reads it (old codes are recoded from the coder's books)
    return ragged_store.write_for_update(TokenStore, directory, keys, old_ids, new_keys, new,  # type: ignore[return-value]
                                         coder.book.subspaces, lambda rows: (rows, None), recode=coder.recode())
