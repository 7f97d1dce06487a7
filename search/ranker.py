"""Hybrid search: over-fetch from both retrievers, fuse, collapse passages to articles, cut, snippet.

Steps: parse the query (``search.query``) and encode its plain words (the index's model); take
at least 100 passage candidates from BM25F and from cosine similarity, both restricted to what
meets the query's conditions and filters; in hybrid mode complete each side's scores for the
other side's candidates; fuse (convex combination of min-max scores, or RRF); collapse passages
to articles (best passage wins); let each of the top hits gain from the hits most similar to it
(``search.neighbours``); keep hits holding the query's phrases or rare words above
semantic-only hits (``search.anchors``); order (relevance or date), page, make snippets.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date

import numpy as np

from indexer import embed
from indexer.errors import IndexFormatError, ModelMismatchError, QueryError

from . import fusion, neighbours
from .anchors import anchored_docs
from .docsets import condition_docs
from .explain import explain_hit
from .facets import count_facets
from .keyword import keyword_candidates
from .query import Filters, ParsedQuery, parse
from .reader import IndexReader
from .rerank import RERANK_DEPTH, Reranker, index_reranker, reordered
from .results import Candidates, Hit, Results
from .sentence_scores import sentence_similarities, snippet_sentence_scores
from .snippets import make_snippet, mark_all, match_spans
from .suggest import suggest

MODES = ("hybrid", "keyword", "semantic")
FUSIONS = ("convex", "rrf")
SORTS = ("relevance", "date", "-date")
# Passages each retriever contributes to a query, whatever the page asked for. Hybrid scores are
# normalised over the candidates, so a window that moved with -n/--offset would reorder the hits:
# with a fixed window the first WINDOW // 3 results are the same on every page, in `explain` and
# in `eval` (which ranks 100 per query).
WINDOW = 300
Ranked = list[tuple[str, tuple[float, int]]]  # (article id, (score, docnum of its best passage))


class Searcher:
    """Answers queries against one committed snapshot of an index."""

    def __init__(self, index_dir: str | os.PathLike[str], *, model: str | None = None) -> None:
        self.reader = IndexReader(index_dir)
        info = self.reader.manifest.model
        if not embed.same_model(info.path, model):
            raise ModelMismatchError(info.name, model or "")
        self._encoder: embed.Encoder | None = None
        self._reranker: Reranker | None = None

    @property
    def encoder(self) -> embed.Encoder:
        """The index's own model, loaded on first semantic use."""
        if self._encoder is None:
            info = self.reader.manifest.model
            self._encoder = embed.load_encoder(info.name, info.path, fast=True)
        return self._encoder

    @property
    def reranker(self) -> Reranker:
        """Late-interaction rerank with the index's model and token codes, made on first use."""
        if self._reranker is None:
            self._reranker = index_reranker(self.reader, self.encoder)
        return self._reranker

    @property
    def default_rerank(self) -> int:
        """Hits reranked when the caller does not say: ``RERANK_DEPTH`` where the index holds
        token codes (cheap), else none (the model would read every passage again)."""
        return RERANK_DEPTH if self.reader.tokens is not None else 0

    def rerank_with_torch(self) -> None:
        """Rerank with the torch encoder: 2-3 s to import, then passages read in about half the
        numpy encoder's time; worth it for many queries (batch search, eval) on an index without
        token codes. Where it cannot give token states, the numpy encoder stays."""
        info = self.reader.manifest.model
        encoder = embed.load_encoder(info.name, info.path)
        if hasattr(encoder, "token_states"):
            self._reranker = index_reranker(self.reader, encoder)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Query vectors for many queries at once (for batch search and evaluation)."""
        return self.encoder.encode(texts)

    def parse(self, text: str, filters: Filters = Filters(), today: date | None = None) -> ParsedQuery:
        """Parse a query against this index (raises :class:`QueryError` when it is empty)."""
        if not text.strip():
            raise QueryError("empty query", hint="give some words to search for")
        return parse(self.reader.searcher, text, filters=filters, today=today)

    def search(self, text: str, *, limit: int = 10, offset: int = 0, mode: str = "hybrid",
               fusion_method: str = "convex", weight: float = fusion.DEFAULT_WEIGHT, filters: Filters = Filters(),
               sort: str = "relevance", min_score: float | None = None, depth: int | None = None,
               snippets: bool = True, facets: bool = False, explain: bool = False,
               query_vector: np.ndarray | None = None, support: float = neighbours.SUPPORT_WEIGHT,
               rerank: int | None = None) -> Results:
        """The articles for ``text``, best first (or by date), ``limit`` from ``offset``.

        ``support`` is the weight of neighbour support in hybrid mode (0: none); ``rerank`` the
        number of top hits reordered by late interaction (:mod:`search.rerank`; not in keyword
        mode, which never loads the model; None: :attr:`default_rerank`); ``query_vector``
        skips encoding the query (it must come from the index's model); ``snippets=False`` leaves
        the snippets empty (faster, for evaluation).
        """
        for value, allowed, what in ((fusion_method, FUSIONS, "fusion"), (sort, SORTS, "sort order")):
            if value not in allowed:
                raise QueryError(f"unknown {what} {value!r} (choose from {', '.join(allowed)})")
        parsed = self.parse(text, filters)
        rerank = self.default_rerank if rerank is None else rerank
        depth = max(WINDOW, depth or 0, 3 * (offset + limit))
        newest = None if sort == "relevance" or mode != "keyword" else sort == "-date"
        found = self.candidates(parsed, mode=mode, depth=depth, query_vector=query_vector, newest_first=newest,
                                tokens=rerank > 0)
        ranked = self.rank(found, fusion_method=fusion_method, weight=weight, support=support, rerank=rerank)
        if min_score is not None:
            ranked = [item for item in ranked if item[1][0] >= min_score]
        if sort != "relevance":
            ranked = self._by_date(ranked, newest_first=sort == "-date")
        page = ranked[offset:offset + limit] if limit > 0 else []
        hits = self._hits(page, found, offset, snippets=snippets)
        explanations = {aid: explain_hit(self.reader.store, found, d, fusion_method, weight, score,
                                         self.reader.chunk_fields(d).get("body", ""))
                        for aid, (score, d) in page} if explain else {}
        matches = self._reranker.matches if rerank and self._reranker else {}
        for aid, (_, d) in (page if explain else []):
            if d in matches:
                e = explanations[aid]
                explanations[aid] = replace(e, fusion=f"{e.fusion}; {reordered(rerank, matches[d])}")
        return Results(
            hits=hits, total=len(ranked), warnings=parsed.warnings,
            suggestion=suggest(self.reader.searcher, parsed) if len(ranked) < max(limit, 1) and mode != "semantic" else None,
            facets=count_facets(self.reader, parsed, found, ranked) if facets else None,
            explanations=explanations)

    def candidates(self, parsed: ParsedQuery, *, mode: str = "hybrid", depth: int = WINDOW,
                   query_vector: np.ndarray | None = None, newest_first: bool | None = None,
                   tokens: bool = False) -> Candidates:
        """Over-fetch ``depth`` passages from each retriever the mode uses, within the query's
        conditions; in hybrid mode each run is completed with exact scores for the other's candidates.
        ``tokens``: also keep the query's token states (for the rerank), from the same forward pass."""
        if mode not in MODES:
            raise QueryError(f"unknown mode {mode!r} (choose from {', '.join(MODES)})")
        searcher, store = self.reader.searcher, self.reader.store
        found = Candidates(mode, {}, {}, None, parsed.terms, parsed.text, semantic_text=parsed.semantic_text or "")
        allowed = None
        if parsed.constraint is not None:
            allowed = condition_docs(searcher, parsed.constraint, store.live, self.reader.postings,
                                     lambda: self.reader.published)
        if mode != "semantic":
            found.keyword.update(keyword_candidates(
                searcher, parsed.scoring, depth, constraint=parsed.constraint, newest_first=newest_first,
                bm25=self.reader.bm25, matching=allowed))
        if mode != "keyword" and len(store) and parsed.semantic_text and (allowed is None or len(allowed)):
            both = getattr(self.encoder, "encode_with_tokens", None) if tokens and query_vector is None else None
            if both is not None:
                vectors, states = both([parsed.semantic_text])
                found.qvec, found.query_tokens = vectors[0], states[0]
            else:
                found.qvec = query_vector if query_vector is not None else self.encoder.encode([parsed.semantic_text])[0]
            if len(found.qvec) != store.dim:
                raise IndexFormatError(
                    f"the model at {self.reader.manifest.model.path} now gives {len(found.qvec)}-d vectors; "
                    f"the index holds {store.dim}-d vectors", hint="run `newsdig rebuild`")
            found.semantic.update(store.search(found.qvec, depth, allowed=allowed))
        if mode == "hybrid" and found.qvec is not None:
            found.semantic.update(store.scores_at(found.qvec, [d for d in found.keyword if d not in found.semantic]))
            missing = {d for d in found.semantic if d not in found.keyword}
            if missing:
                found.keyword.update(keyword_candidates(searcher, parsed.scoring, len(missing), only=missing,
                                                        bm25=self.reader.bm25))
            found.anchored = anchored_docs(searcher, parsed.scoring, set(found.keyword), self.reader.bm25)
        if found.semantic and self.reader.sentences is not None:
            found.passage = dict(found.semantic)
            found.sentence = self.reader.sentences.best(found.qvec, list(found.semantic))
            found.semantic = fusion.with_sentences(found.passage, found.sentence)
        return found

    def rank(self, found: Candidates, *, fusion_method: str = "convex", weight: float = fusion.DEFAULT_WEIGHT,
             support: float = neighbours.SUPPORT_WEIGHT, limit: int | None = None, rerank: int | None = None) -> Ranked:
        """Fuse the runs, collapse passages to articles, (hybrid mode) add neighbour support and
        (``rerank``, not in keyword mode) reorder the top hits by late interaction, best first:
        ``[(article id, (score, docnum))]``."""
        if found.mode == "hybrid":
            if fusion_method == "rrf":
                fused = fusion.rrf([found.keyword, found.semantic])
            else:
                fused = fusion.convex(found.keyword, found.semantic, weight)
        else:
            fused = found.keyword if found.mode == "keyword" else found.semantic
        store = self.reader.store

        def article(docnum: int) -> str:
            return store.chunk_id(docnum).rsplit("#", 1)[0]

        best = fusion.collapse(fused, article)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))
        if found.mode == "hybrid" and support > 0 and len(store):
            ranked = self._supported(ranked, support)
        rerank = self.default_rerank if rerank is None else rerank
        if rerank > 0 and found.mode != "keyword" and found.qvec is not None:
            ranked = self.reranker(ranked, found.semantic_text or found.text, rerank, found.query_tokens)
        if found.mode == "hybrid" and found.anchored:  # no semantic-only hit above a phrase/rare-word match
            matched = {article(d) for d in found.keyword}
            order = fusion.anchors_first([aid for aid, _ in ranked], {article(d) for d in found.anchored},
                                         {aid for aid, _ in ranked if aid not in matched})
            entry = dict(ranked)
            ranked = [(aid, entry[aid]) for aid in order]
        return ranked[:limit]

    def _supported(self, ranked: Ranked, weight: float) -> Ranked:
        """The top hits reordered by neighbour support (their best passages' vectors)."""
        top = ranked[:neighbours.SUPPORT_DEPTH]
        vectors = self.reader.store.vectors[np.array([d for _, (_, d) in top], dtype=np.int64)]
        order, scores = neighbours.with_support(np.array([s for _, (s, _) in top]), vectors, weight)
        return [(top[i][0], (float(scores[i]), top[i][1][1])) for i in order] + ranked[len(top):]

    def _by_date(self, ranked: Ranked, *, newest_first: bool) -> Ranked:
        column = self.reader.searcher.reader().column_reader("published", translate=False)
        keyed = [(column[d] or b"", item) for item in ranked for d in [item[1][1]]]
        undated = [item for key, item in keyed if not key]
        dated = sorted(((key, item) for key, item in keyed if key), key=lambda kv: kv[0], reverse=newest_first)
        return [item for _, item in dated] + undated  # articles without a date go last

    def _hits(self, page: Ranked, found: Candidates, offset: int, *, snippets: bool) -> list[Hit]:
        keyword, semantic = found.keyword, found.semantic
        shown = [self._shown(aid, d, found) if snippets else (d, self.reader.chunk_fields(d)) for aid, (_, d) in page]
        fields = [f for _, f in shown]
        sentence_scores = self._sentence_scores([f.get("body", "") for f in fields], [d for d, _ in shown],
                                                found) if snippets else []
        hits = []
        for n, ((article_id, (score, d)), stored) in enumerate(zip(page, fields)):
            hits.append(Hit(
                rank=offset + n + 1, article_id=article_id, chunk_id=stored.get("chunk_id", ""),
                title=stored.get("title") or None, url=stored.get("url"), published=stored.get("date"),
                source=stored.get("source"), score=round(float(score), 6),
                keyword_score=round(keyword[d], 6) if d in keyword else None,
                semantic_score=round(semantic[d], 6) if d in semantic else None,
                snippet=make_snippet(stored.get("body", ""), found.terms, semantic=sentence_scores[n])
                if snippets else "",
                marked_title=mark_all(stored["title"], found.terms) if snippets and stored.get("title") else None))
        return hits

    def _shown(self, article_id: str, docnum: int, found: Candidates) -> tuple[int, dict]:
        """The passage a hit shows: its best one, unless (hybrid mode) that holds none of the query's
        words while others of the article do; then the one of those closest in meaning."""
        stored = self.reader.chunk_fields(docnum)
        if found.mode != "hybrid" or found.qvec is None or match_spans(stored.get("body", ""), found.terms):
            return docnum, stored
        holding = [(d, fields) for d in self.reader.article_docnums(article_id, in_order=False) if d != docnum
                   for fields in [self.reader.chunk_fields(d)] if match_spans(fields.get("body", ""), found.terms)]
        if not holding:
            return docnum, stored
        sims = self.reader.store.scores_at(found.qvec, [d for d, _ in holding])
        return max(holding, key=lambda item: (sims.get(item[0], -1.0), -item[0]))

    def _sentence_scores(self, bodies: list[str], docnums: list[int],
                         found: Candidates) -> list[list[float] | None]:
        """Similarity of each sentence of some passages to the query, where terms cannot pick
        the snippet's sentence (see :func:`search.sentence_scores.snippet_sentence_scores`)."""
        return snippet_sentence_scores(self.reader.sentences, self._encode, bodies, docnums, found)

    def sentence_similarities(self, docnums: list[int], bodies: list[str], spans: list[list[tuple[int, int]]],
                              qvec: np.ndarray) -> list[list[float]]:
        """Similarity to the query of each sentence (``spans`` of ``bodies``) of some passages:
        from the index's sentence vectors where it has them for a passage, else encoded."""
        return sentence_similarities(self.reader.sentences, self._encode, docnums, bodies, spans, qvec)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode(texts)

    def close(self) -> None:
        """Release the index."""
        self.reader.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
