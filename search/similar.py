"""``newsdig similar``: articles close in meaning to a given one (more-like-this)."""

from __future__ import annotations

import numpy as np

from indexer.errors import QueryError

from . import fusion
from .docsets import condition_docs
from .query import Filters
from .ranker import Searcher
from .results import Hit
from .snippets import make_snippet

DEPTH = 200


def similar(searcher: Searcher, article_id: str, *, limit: int = 10, filters: Filters = Filters()) -> list[Hit]:
    """Articles nearest to the mean of the article's passage vectors (the article itself excluded)."""
    reader, store = searcher.reader, searcher.reader.store
    rows = reader.article_docnums(article_id)
    if not rows:
        raise QueryError(f"no article {article_id!r} in the index", hint="ids are shown by `newsdig search --json`")
    centre = np.asarray(store.vectors[rows], dtype=np.float32).mean(axis=0)
    centre /= max(float(np.linalg.norm(centre)), 1e-12)
    allowed = None
    if any((filters.since, filters.until, filters.sources, filters.authors)):
        constraint = searcher.parse("*", filters).constraint
        allowed = None if constraint is None else condition_docs(
            reader.searcher, constraint, store.live, reader.postings, lambda: reader.published)
    found = dict(store.search(centre, DEPTH + len(rows), allowed=allowed))
    best = fusion.collapse(found, lambda d: store.chunk_id(d).rsplit("#", 1)[0])
    best.pop(article_id, None)
    top = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    hits = []
    for rank, (aid, (score, docnum)) in enumerate(top, start=1):
        stored = reader.chunk_fields(docnum)
        hits.append(Hit(rank, aid, stored["chunk_id"], stored.get("title") or None, stored.get("url"),
                        stored.get("date"), stored.get("source"), round(float(score), 6), None,
                        round(float(score), 6), make_snippet(stored.get("body", ""), frozenset())))
    return hits
