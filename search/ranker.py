"""Hybrid search: over-fetch from both retrievers, fuse, collapse chunks to articles, cut, snippet.

Steps: parse the query (Whoosh) and encode it (the index's model); take at least 100 passage
candidates from BM25F and from cosine similarity; in hybrid mode complete each side's scores for
the other side's candidates; fuse (convex combination of min-max scores, or RRF); collapse
passages to articles (best passage wins); cut to ``limit``; make snippets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from indexer import embed
from indexer.errors import IndexFormatError, ModelMismatchError, QueryError
from indexer.sentences import sentence_spans

from . import fusion
from .keyword import keyword_candidates, parse_query
from .reader import IndexReader
from .snippets import make_snippet, match_spans, query_terms

MODES = ("hybrid", "keyword", "semantic")
FUSIONS = ("convex", "rrf")
MIN_DEPTH = 100
SEMANTIC_SNIPPETS = 1  # hits (from the top) whose snippet sentence is always chosen by meaning too
SENTENCE_BUDGET = 24   # at most this many sentences are encoded per query for snippets


@dataclass
class Candidates:
    """Passage candidates of one query, keyed by keyword document number (= vector row)."""

    mode: str
    keyword: dict[int, float]
    semantic: dict[int, float]
    qvec: np.ndarray | None
    terms: frozenset[str]


@dataclass(frozen=True)
class Hit:
    """One article in a result list (``--json`` writes these keys)."""

    rank: int
    article_id: str
    chunk_id: str
    title: str | None
    url: str | None
    published: str | None
    source: str | None
    score: float
    keyword_score: float | None
    semantic_score: float | None
    snippet: str


class Searcher:
    """Answers queries against one committed snapshot of an index."""

    def __init__(self, index_dir: str | os.PathLike[str], *, model: str | None = None) -> None:
        self.reader = IndexReader(index_dir)
        info = self.reader.manifest.model
        if not embed.same_model(info.path, model):
            raise ModelMismatchError(info.name, model or "")
        self._encoder: embed.Encoder | None = None

    @property
    def encoder(self) -> embed.Encoder:
        """The index's own model, loaded on first semantic use."""
        if self._encoder is None:
            info = self.reader.manifest.model
            self._encoder = embed.load_encoder(info.name, info.path, fast=True)
        return self._encoder

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors for many queries at once (for batch search and evaluation)."""
        return self.encoder.encode(texts)

    def search(self, text: str, *, limit: int = 10, mode: str = "hybrid", fusion_method: str = "convex",
               weight: float = fusion.DEFAULT_WEIGHT, depth: int | None = None, snippets: bool = True,
               query_vector: np.ndarray | None = None) -> list[Hit]:
        """The best ``limit`` articles for ``text``; see the module docstring for the steps.

        ``query_vector`` skips encoding the query (it must come from the index's model);
        ``snippets=False`` leaves the snippets empty (faster, for evaluation).
        """
        if fusion_method not in FUSIONS:
            raise QueryError(f"unknown fusion {fusion_method!r} (choose from {', '.join(FUSIONS)})")
        if limit <= 0:
            return []
        found = self.candidates(text, mode=mode, depth=max(MIN_DEPTH, depth or 0, 3 * limit),
                                query_vector=query_vector)
        top = self.rank(found, limit=limit, fusion_method=fusion_method, weight=weight)
        if not snippets:
            store = self.reader.store
            return [Hit(rank, aid, store.chunk_id(d), None, None, None, None, round(float(score), 6),
                        found.keyword.get(d), found.semantic.get(d), "")
                    for rank, (aid, (score, d)) in enumerate(top, start=1)]
        return self._hits(top, found)

    def candidates(self, text: str, *, mode: str = "hybrid", depth: int = MIN_DEPTH,
                   query_vector: np.ndarray | None = None) -> Candidates:
        """Over-fetch ``depth`` passages from each retriever the mode uses.

        In hybrid mode each run is completed with exact scores for the other run's candidates.
        """
        if mode not in MODES:
            raise QueryError(f"unknown mode {mode!r} (choose from {', '.join(MODES)})")
        text = text.strip()
        if not text:
            raise QueryError("empty query", hint="give some words to search for")
        reader, store = self.reader, self.reader.store
        kq = parse_query(reader.searcher, text)
        found = Candidates(mode, {}, {}, None, kq.terms or query_terms(text))
        if mode != "semantic":
            found.keyword.update(keyword_candidates(reader.searcher, kq, depth))
        if mode != "keyword" and len(store):
            found.qvec = query_vector if query_vector is not None else self.encoder.encode([text])[0]
            if len(found.qvec) != store.dim:
                raise IndexFormatError(
                    f"the model at {self.reader.manifest.model.path} now gives {len(found.qvec)}-d vectors; "
                    f"the index holds {store.dim}-d vectors", hint="run `newsdig rebuild`")
            found.semantic.update(store.search(found.qvec, depth))
        if mode == "hybrid" and found.qvec is not None:
            found.semantic.update(store.scores_at(found.qvec, [d for d in found.keyword if d not in found.semantic]))
            missing = {d for d in found.semantic if d not in found.keyword}
            if missing:
                found.keyword.update(keyword_candidates(reader.searcher, kq, len(missing), only=missing))
        return found

    def rank(self, found: Candidates, *, limit: int, fusion_method: str = "convex",
             weight: float = fusion.DEFAULT_WEIGHT) -> list[tuple[str, tuple[float, int]]]:
        """Fuse the runs, collapse passages to articles, cut: ``[(article id, (score, docnum))]``."""
        if found.mode == "hybrid":
            if fusion_method == "rrf":
                fused = fusion.rrf([found.keyword, found.semantic])
            else:
                fused = fusion.convex(found.keyword, found.semantic, weight)
        else:
            fused = found.keyword if found.mode == "keyword" else found.semantic
        store = self.reader.store
        best = fusion.collapse(fused, lambda docnum: store.chunk_id(docnum).rsplit("#", 1)[0])
        return sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]

    def _hits(self, top: list[tuple[str, tuple[float, int]]], found: Candidates) -> list[Hit]:
        keyword, semantic, qvec = found.keyword, found.semantic, found.qvec
        fields = [self.reader.chunk_fields(docnum) for _, (_, docnum) in top]
        # Choosing a snippet sentence by meaning costs an encoder call per sentence (~30 ms on a
        # laptop CPU): do it for the top hit, and for passages that hold no query term (matched by
        # meaning only, they have no terms to go by), within a budget taken in rank order.
        texts, budget = [], SENTENCE_BUDGET
        for i, f in enumerate(fields):
            body = f.get("body", "")
            n = len(sentence_spans(body))
            by_meaning = i < SEMANTIC_SNIPPETS or not match_spans(body, found.terms)
            wanted = qvec is not None and by_meaning and n <= budget
            texts.append(body if wanted else "")
            budget -= n if wanted else 0
        sentence_scores = self._sentence_scores(texts, qvec)
        hits = []
        for rank, ((article_id, (score, d)), stored, sem) in enumerate(zip(top, fields, sentence_scores), start=1):
            hits.append(Hit(
                rank=rank, article_id=article_id, chunk_id=stored.get("chunk_id", ""),
                title=stored.get("title") or None, url=stored.get("url"), published=stored.get("date"),
                source=stored.get("source"), score=round(float(score), 6),
                keyword_score=round(keyword[d], 6) if d in keyword else None,
                semantic_score=round(semantic[d], 6) if d in semantic else None,
                snippet=make_snippet(stored.get("body", ""), found.terms, semantic=sem)))
        return hits

    def _sentence_scores(self, texts: list[str], qvec: np.ndarray | None) -> list[list[float] | None]:
        """Similarity of each sentence of each passage to the query (one encoder call for all)."""
        if qvec is None:
            return [None] * len(texts)
        spans = [sentence_spans(t) for t in texts]
        flat = [t[s:e] for t, sp in zip(texts, spans) for s, e in sp]
        if not flat:
            return [None] * len(texts)
        sims = self.encoder.encode(flat) @ qvec
        out: list[list[float] | None] = []
        pos = 0
        for sp in spans:
            out.append([float(x) for x in sims[pos:pos + len(sp)]] if sp else None)
            pos += len(sp)
        return out

    def close(self) -> None:
        """Release the index."""
        self.reader.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
