"""Facets: how many matching articles each source and each month has."""

from __future__ import annotations

from collections import Counter

from whoosh import query as wq

from .query import ParsedQuery
from .reader import IndexReader
from .results import Candidates, Facets

TOP = 20  # values listed per facet


def count_facets(reader: IndexReader, parsed: ParsedQuery, found: Candidates,
                 ranked: list[tuple[str, tuple[float, int]]]) -> Facets:
    """Counts over every article matching the query: in keyword and hybrid mode all articles with a
    keyword match (within the query's conditions); in semantic mode, the ranked candidates (meaning
    has no yes/no match)."""
    store = reader.store
    best: dict[str, int] = {}
    if found.mode == "semantic":
        best = {aid: d for aid, (_, d) in ranked}
    elif parsed.scoring is not wq.NullQuery:
        query = parsed.scoring if parsed.constraint is None else wq.And([parsed.scoring, parsed.constraint])
        for docnum in reader.searcher.docs_for_query(query):
            best.setdefault(store.chunk_id(docnum).rsplit("#", 1)[0], docnum)
    sources: Counter[str] = Counter()
    months: Counter[str] = Counter()
    for docnum in best.values():
        stored = reader.chunk_fields(docnum)
        sources[stored.get("source") or "(unknown)"] += 1
        months[(stored.get("date") or "")[:7] or "(undated)"] += 1
    return Facets(len(best), sources.most_common(TOP), sorted(months.items(), reverse=True)[:TOP])
