"""``newsdig ask``: the passages that answer a question, each with its best sentence marked."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.sentences import sentence_spans

from . import fusion
from .query import Filters
from .ranker import WINDOW, Searcher
from .snippets import CLOSE, OPEN, match_spans, sentence_keyword_scores

ASK_WEIGHT = 0.8       # a question leans on meaning
PER_ARTICLE = 2        # passages of one article at most


@dataclass(frozen=True)
class Passage:
    """One answering passage (``--json`` writes these keys)."""

    rank: int
    article_id: str
    chunk_id: str
    title: str | None
    url: str | None
    published: str | None
    source: str | None
    score: float
    answer: str        # the passage's sentence that best answers the question
    passage: str       # the passage, with the answer marked [[like this]]
    excerpt: str       # the answer with a sentence of context on each side, marked


def ask(searcher: Searcher, question: str, *, limit: int = 5, filters: Filters = Filters(),
        weight: float = ASK_WEIGHT) -> list[Passage]:
    """The best passages for a question: hybrid candidates fused with a semantic lean, passage by
    passage (not collapsed to articles), overlapping neighbours of a better passage dropped."""
    parsed = searcher.parse(question, filters)
    found = searcher.candidates(parsed, mode="hybrid", depth=max(WINDOW, 10 * limit))  # -n 5 and -n 30 agree on the first 5
    fused = (fusion.convex(found.keyword, found.semantic, weight) if found.qvec is not None
             else dict(found.keyword))
    reader, chosen = searcher.reader, []
    per_article: dict[str, list[tuple[int, int]]] = {}
    for docnum in fusion.ranked(fused):
        stored = reader.chunk_fields(docnum)
        spans = per_article.setdefault(stored["article_id"], [])
        start, end = stored.get("start", 0), stored.get("end", 0)
        if len(spans) >= PER_ARTICLE or any(s < end and start < e for s, e in spans):
            continue  # overlaps a better passage of the same article
        spans.append((start, end))
        chosen.append((docnum, stored))
        if len(chosen) == limit:
            break
    bodies = [stored.get("body", "") for _, stored in chosen]
    all_spans = [sentence_spans(body) for body in bodies]
    sims = (searcher.sentence_similarities([d for d, _ in chosen], bodies, all_spans, found.qvec)
            if found.qvec is not None else [[0.0] * len(spans) for spans in all_spans])
    passages = []
    for rank, ((docnum, stored), body, spans, own) in enumerate(zip(chosen, bodies, all_spans, sims), start=1):
        terms = sentence_keyword_scores(spans, match_spans(body, found.terms))
        scores = [own[i] + 0.05 * terms[i] for i in range(len(spans))]
        best = max(range(len(spans)), key=lambda i: (scores[i], -i)) if spans else None
        s, e = spans[best] if best is not None else (0, len(body))
        lo = spans[best - 1][0] if best else s
        hi = spans[best + 1][1] if best is not None and best + 1 < len(spans) else e
        marked = lambda a, b: " ".join(f"{body[a:s]}{OPEN}{body[s:e]}{CLOSE}{body[e:b]}".split())  # noqa: E731
        passages.append(Passage(
            rank, stored["article_id"], stored["chunk_id"], stored.get("title") or None, stored.get("url"),
            stored.get("date"), stored.get("source"), round(float(fused[docnum]), 6), " ".join(body[s:e].split()),
            marked(0, len(body)), ("…" if lo > 0 else "") + marked(lo, hi) + ("…" if hi < len(body.rstrip()) else "")))
    return passages
