"""Keyword candidates: the query parsed with the index's analyzer, scored by Whoosh BM25F."""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.searching import Searcher

from indexer.analysis import text_analyzer

SEARCH_FIELDS = ("text",)  # headline and passage (see indexer.analysis.chunk_schema)
TERM_FIELDS = ("text", "title")  # query terms in these fields are highlighted
# A "?" that ends a word is a question mark, not a one-letter wildcard ("who won?").
_QUESTION_MARK = re.compile(r"(?<=\w)\?+(?=[\s\"')]|$)")
# In a question, interrogatives name no topic: "who", "what"... are left to the semantic side
# (+0.006 nDCG@10 keyword, +0.002 hybrid on 1,500 squad-a questions).
INTERROGATIVES = frozenset("who whom whose what which when where why how".split())
_INTERROGATIVE = re.compile(r"\b(?:" + "|".join(sorted(INTERROGATIVES)) + r")\b", re.I)


def is_question(text: str) -> bool:
    """A natural-language question: ends with "?" or opens with an interrogative word."""
    words = text.strip().split()
    return bool(words) and (text.strip().endswith("?") or words[0].lower().strip("\"'(") in INTERROGATIVES)


def keyword_text(text: str) -> str:
    """The query as the keyword side reads it: question marks and, in questions, interrogatives
    removed (never inside a quoted phrase)."""
    question = is_question(text)
    parts = text.split('"')
    for i in range(0, len(parts), 2):  # outside quotes
        parts[i] = _QUESTION_MARK.sub(" ", parts[i])
        if question:
            parts[i] = _INTERROGATIVE.sub(" ", parts[i])
    return '"'.join(parts)


@dataclass(frozen=True)
class KeywordQuery:
    """A parsed query and the analysed terms used to highlight it."""

    text: str
    query: wq.Query
    terms: frozenset[str]


def parse_query(searcher: Searcher, text: str) -> KeywordQuery:
    """Parse with Whoosh's query language; plain words mean "any of these, more is better".

    A query Whoosh cannot parse is searched as plain words instead of failing.
    """
    parser = MultifieldParser(list(SEARCH_FIELDS), searcher.schema, group=OrGroup)
    words = keyword_text(text)
    try:
        parsed = parser.parse(words)
    except Exception:  # noqa: BLE001 - any parser failure falls back to plain words
        parsed = _plain_words(words)
    if parsed is wq.NullQuery:
        parsed = _plain_words(words)
    terms = frozenset(t.decode("utf-8") if isinstance(t, bytes) else str(t)
                      for field, t in parsed.iter_all_terms() if field in TERM_FIELDS)
    return KeywordQuery(text, parsed, terms)


def _plain_words(text: str) -> wq.Query:
    words = [token.text for token in text_analyzer()(text)]
    if not words:
        return wq.NullQuery
    return wq.Or([wq.Term(field, w) for w in dict.fromkeys(words) for field in SEARCH_FIELDS])


def keyword_candidates(searcher: Searcher, query: KeywordQuery, limit: int,
                       only: set[int] | None = None) -> dict[int, float]:
    """``{document number: BM25F score}`` of the best ``limit`` passages (optionally only among ``only``)."""
    if query.query is wq.NullQuery:
        return {}
    results = searcher.search(query.query, limit=limit, filter=only, terms=False)
    return {hit.docnum: float(hit.score) for hit in results}
