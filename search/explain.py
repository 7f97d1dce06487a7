"""Explanations: why a hit ranks where it does, and why an article is not among the hits."""

from __future__ import annotations

from indexer.vector_store import VectorStore

from . import fusion
from .results import Candidates, Explanation
from .snippets import match_spans


def _rank(run: dict[int, float], docnum: int) -> int | None:
    if docnum not in run:
        return None
    score = run[docnum]
    return 1 + sum(1 for d, s in run.items() if s > score or (s == score and d < docnum))


def explain_hit(store: VectorStore, found: Candidates, docnum: int, fusion_method: str, weight: float,
                score: float, text: str = "") -> Explanation:
    """The scores, ranks and arithmetic behind one hit (its best passage ``docnum``)."""
    kw, sem = found.keyword.get(docnum), found.semantic.get(docnum)
    fused = score
    if found.mode == "keyword":
        how = f"keyword mode: BM25 score {kw:.4f}" if kw is not None else "keyword mode"
    elif found.mode == "semantic":
        how = f"semantic mode: cosine similarity {sem:.4f}" if sem is not None else "semantic mode"
    elif fusion_method == "rrf":
        ranks = [r for r in (_rank(found.keyword, docnum), _rank(found.semantic, docnum)) if r]
        fused = sum(1.0 / (fusion.RRF_K + r) for r in ranks)
        how = f"rrf: {' + '.join(f'1/({fusion.RRF_K}+{r})' for r in ranks)} = {fused:.4f}"
    else:
        ids = set(found.keyword) | set(found.semantic)
        nk = fusion.minmax({i: found.keyword.get(i, 0.0) for i in ids}).get(docnum, 0.0)
        ns = fusion.minmax({i: found.semantic.get(i, 0.0) for i in ids}).get(docnum, 0.0)
        fused = (1 - weight) * nk + weight * ns
        how = (f"convex: {1 - weight:.2f} x {nk:.3f} (keyword, min-max over {len(ids)} candidates) + "
               f"{weight:.2f} x {ns:.3f} (semantic, min-max) = {fused:.4f}")
    if docnum in found.sentence and docnum in found.passage:
        w = fusion.SENTENCE_WEIGHT
        how += (f"; semantic score = {1 - w:.2f} x passage cosine {found.passage[docnum]:.4f} + "
                f"{w:.2f} x best sentence cosine {found.sentence[docnum]:.4f}")
    if found.mode == "hybrid" and abs(score - fused) > 5e-7:
        how += (f"; with neighbour support (the mean score of the top hits most like it; the first hit "
                f"keeps its place): {score:.4f}")
    matched = tuple(dict.fromkeys(term for _, _, term in match_spans(text, found.terms))) if text else ()
    return Explanation(store.chunk_id(docnum), kw, _rank(found.keyword, docnum), sem,
                       _rank(found.semantic, docnum), round(score, 6), how, matched)


def explain_article(searcher, text: str, article_id: str, *, mode: str = "hybrid", limit: int = 10,  # type: ignore[no-untyped-def]
                    filters=None, fusion_method: str = "convex", weight: float = fusion.DEFAULT_WEIGHT) -> list[str]:
    """Why an article is (or is not) among the top ``limit`` hits: lines for people."""
    import numpy as np

    from .keyword import keyword_candidates
    from .query import Filters
    from .ranker import WINDOW

    filters = filters or Filters()
    reader, store = searcher.reader, searcher.reader.store
    rows = reader.article_docnums(article_id)
    if not rows:
        return [f"{article_id}: not in the index"]
    title = reader.chunk_fields(rows[0]).get("title") or "(untitled)"
    parsed = searcher.parse(text, filters)
    lines = [f"{article_id}: {title}", f"query: {text!r}; keyword side reads {parsed.keyword_text.strip()!r}, "
                                       f"semantic side embeds {parsed.semantic_text!r}"]
    if parsed.constraint is not None:
        allowed = set(reader.searcher.docs_for_query(parsed.constraint))
        if not allowed.intersection(rows):
            return [*lines, f"filtered out: it does not meet the conditions {parsed.constraint}",
                    "so it cannot appear in any mode"]
        lines.append(f"conditions: {parsed.constraint} (met)")
    per_article = lambda run: fusion.collapse(run, lambda d: store.chunk_id(d).rsplit("#", 1)[0])  # noqa: E731
    keyword = per_article(keyword_candidates(reader.searcher, parsed.scoring, None, constraint=parsed.constraint,
                                             bm25=reader.bm25))
    kw_rank = _article_rank(keyword, article_id)
    lines.append(f"keyword side: {'no keyword match' if kw_rank is None else f'rank {kw_rank} of {len(keyword)} matching articles, BM25 {keyword[article_id][0]:.3f}'}")
    if mode != "keyword" and len(store):
        qvec = searcher.encoder.encode([parsed.semantic_text])[0]
        scores = store.similarities(qvec)  # a block of rows at a time, never all of them in float32
        scores[~store.live] = -np.inf
        mine = float(scores[rows].max())
        articles = reader.article_numbers
        if articles is not None:  # article numbers: no passage id is read
            own = int(articles[rows[0]])
            better = len(np.setdiff1d(np.unique(articles[scores > mine]), [own]))
            total = len(np.unique(articles[store.live]))
        else:
            better = len({store.chunk_id(int(r)).rsplit("#", 1)[0] for r in np.flatnonzero(scores > mine)} - {article_id})
            total = len({store.chunk_id(int(r)).rsplit("#", 1)[0] for r in np.flatnonzero(store.live)})
        lines.append(f"semantic side: rank {better + 1} of {total} articles, cosine {mine:.3f}")
    depth = max(WINDOW // 3, limit)  # results ranked from the same candidates as `search -n {limit}`
    results = searcher.search(text, mode=mode, limit=depth, filters=filters, fusion_method=fusion_method,
                              weight=weight, snippets=False)
    rank = next((h.rank for h in results.hits if h.article_id == article_id), None)
    if rank is None:
        lines.append(f"{mode} result: not in the first {depth} results (each side contributes its best "
                     f"{max(WINDOW, 3 * depth)} passages)")
    elif rank <= limit:
        lines.append(f"{mode} result: rank {rank}, within the top {limit}")
    else:
        lines.append(f"{mode} result: rank {rank}; -n {limit} cuts it off (use -n {rank} or --offset {rank - 1})")
    return lines


def _article_rank(best: dict, article_id: str) -> int | None:  # type: ignore[type-arg]
    if article_id not in best:
        return None
    score = best[article_id][0]
    return 1 + sum(1 for aid, (s, _) in best.items() if s > score or (s == score and aid < article_id))
