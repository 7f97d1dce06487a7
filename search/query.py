"""The query language (Whoosh's, extended a little) and search filters.

A query is split in three parts:

- the **scoring** query, Whoosh syntax over the passage text: plain words mean "any of these,
  more is better"; ``AND``/``OR``/``NOT``, ``+``/``-``, ``"phrases"``, ``"phrase"~N``,
  ``wild*``, ``?``, ``fuzzy~``, ``title:word`` and ``^`` boosts work as in Whoosh;
- **field conditions** ``source:``, ``author:``, ``url:`` and ``date:`` (ISO dates, ranges
  ``date:[2024-01-01 TO 2024-03-31]``, ``date:yesterday``, ``date:"last week"``...), which every
  hit must meet, in every mode, like the ``--since/--until/--source/--author`` options;
- the **plain text** the semantic side embeds: the words, without syntax, exclusions or conditions.

Required (``+word``, ``AND``) and excluded (``-word``, ``NOT``) terms also constrain the semantic
side, so a hybrid hit found by meaning still honours them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from whoosh import query as wq
from whoosh.qparser import FuzzyTermPlugin, MultifieldParser, OrGroup, PlusMinusPlugin
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.qparser.plugins import FieldAliasPlugin
from whoosh.searching import Searcher

from indexer.analysis import text_analyzer

from .keyword import SEARCH_FIELDS, TERM_FIELDS, keyword_text, terms_within

FILTER_FIELDS = ("source", "author", "url", "date", "published")
PREFIX_MARKS = 64  # words of one prefix (`ferr*`) that snippets mark, at most
_CONDITION = re.compile(r"""(?<![^\s(])(?P<field>source|author|url|date|published):"""
                        r"""(?P<value>"[^"]*"|\[[^\]]*\]|\{[^}]*\}|[^\s()]+)""", re.I)
_NEGATED = re.compile(r"""(?:(?<![^\s(])-|\bNOT\s+)(?:"[^"]*"|\S+)""")
_SYNTAX = re.compile(r"""\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE|TO)\b|[~^]\d*(?:\.\d+)?|\b(?:title|text):|[()"\[\]{}+*?]""")
_RELATIVE = re.compile(r"^(?P<n>\d+)\s*(?P<unit>d|day|days|w|week|weeks|m|month|months|y|year|years)$", re.I)
_NATURAL = re.compile(r"^(?:(?P<when>last|this|past)\s+(?:(?P<n>\d+)\s+)?(?P<unit>day|days|week|weeks|month|months|year|years))$", re.I)


@dataclass(frozen=True)
class Filters:
    """Conditions every hit meets (``--since``, ``--until``, ``--source``, ``--author``)."""

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedQuery:
    """A query split into what scores the keyword side, what every hit must meet, and what is embedded."""

    text: str
    scoring: wq.Query
    constraint: wq.Query | None
    semantic_text: str
    terms: frozenset[str]
    keyword_text: str = ""  # the text the scoring query was parsed from
    warnings: tuple[str, ...] = field(default=())


def parse_date(text: str, *, today: date | None = None) -> date:
    """An ISO date (``2024-03-01``, ``2024-03``, ``2024``) or a span back from today (``7d``, ``3m``, ``1y``)."""
    today = today or date.today()
    value = text.strip()
    relative = _RELATIVE.match(value)
    if relative:
        n, unit = int(relative["n"]), relative["unit"][0].lower()
        days = {"d": 1, "w": 7, "m": 30, "y": 365}[unit] * n
        return today - timedelta(days=days)
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    raise ValueError(f"not a date: {text!r} (use 2024-03-01, 2024-03, 2024, or 7d, 2w, 3m, 1y)")


def natural_range(phrase: str, today: date) -> tuple[date, date] | None:
    """``last week``, ``this month``, ``past 3 days``... as an inclusive date range, or None."""
    m = _NATURAL.match(" ".join(phrase.lower().split()))
    if not m:
        return None
    unit, n = m["unit"].rstrip("s"), int(m["n"] or 1)
    if m["when"] == "this":
        start = {"day": today, "week": today - timedelta(days=today.weekday()),
                 "month": today.replace(day=1), "year": today.replace(month=1, day=1)}[unit]
        return start, today
    days = {"day": 1, "week": 7, "month": 30, "year": 365}[unit] * n
    return today - timedelta(days=days), today


def _parser(searcher: Searcher) -> MultifieldParser:
    parser = MultifieldParser(list(SEARCH_FIELDS), searcher.schema, group=OrGroup)
    parser.add_plugin(FuzzyTermPlugin())
    # "+" and "-" only at the start of a word: "go-between" and "covid-19" are not exclusions.
    # +word / -word only: a dash or plus standing alone ("Biden - Trump", "a -- b") is punctuation
    parser.add_plugin(PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+(?=[^\s+-])", minusexpr=r"(?<![^\s(])-(?=[^\s+-])"))
    parser.add_plugin(DateParserPlugin(free=False))
    parser.add_plugin(FieldAliasPlugin({"published": ["date"]}))
    return parser


def _balanced(text: str) -> str | None:
    """A description of what is unbalanced in the query syntax, or None."""
    if text.count('"') % 2:
        return "an unclosed quote"
    for opening, closing, name in (("(", ")", "parenthesis"), ("[", "]", "bracket"), ("{", "}", "brace")):
        depth = 0
        for char in text:
            depth += (char == opening) - (char == closing)
            if depth < 0:
                return f"an unmatched closing {name}"
        if depth:
            return f"an unclosed {name}"
    if re.search(r"(?:^|\s)(?:AND|OR|NOT)\s*$|^\s*(?:AND|OR)\b", text):
        return "an operator with nothing on one side"
    return None


def _condition(parser: MultifieldParser, name: str, value: str, today: date, warnings: list[str]) -> wq.Query | None:
    name = "date" if name.lower() == "published" else name.lower()
    if name == "date" and value.startswith('"'):
        span = natural_range(value.strip('"'), today)
        if span:
            return wq.DateRange("published", datetime.combine(span[0], time.min), datetime.combine(span[1], time.max))
    parsed = parser.parse(f"{name}:{value}")
    if parsed is wq.NullQuery or not list(parsed.iter_all_terms()) and not isinstance(parsed, wq.DateRange):
        warnings.append(f"could not read {name}:{value}; it was ignored")
        return None
    return parsed


def filter_queries(parser: MultifieldParser, filters: Filters) -> list[wq.Query]:
    """The ``--since/--until/--source/--author`` options as Whoosh queries."""
    queries: list[wq.Query] = []
    if filters.since or filters.until:
        start = datetime.combine(filters.since, time.min) if filters.since else None
        end = datetime.combine(filters.until, time.max) if filters.until else None
        queries.append(wq.DateRange("published", start, end))
    if filters.sources:
        queries.append(wq.Or([wq.Term("source", s.strip().lower()) for s in filters.sources]))
    if filters.authors:
        queries.append(wq.Or([parser.parse(f'author:"{a}"') for a in filters.authors]))
    return queries


def _constraints(query: wq.Query) -> list[wq.Query]:
    """The parts of a scoring query that every hit must meet: AND, required and excluded terms."""
    if isinstance(query, wq.And):
        return [query]
    if isinstance(query, wq.AndNot):
        return [*_constraints(query.a), wq.Not(query.b)]
    if isinstance(query, wq.AndMaybe):  # "+a b": a is required
        return [query.a]
    if isinstance(query, wq.Require):
        return [query]
    if isinstance(query, wq.Not):
        return [query]
    if isinstance(query, wq.Or):
        return [q for sub in query.subqueries if isinstance(sub, wq.Not) for q in [sub]]
    return []


def semantic_text(text: str) -> str:
    """The words of a query without syntax, conditions or excluded terms, for the semantic side."""
    plain = _CONDITION.sub(" ", text)
    plain = _NEGATED.sub(" ", plain)
    plain = _SYNTAX.sub(" ", plain)
    return " ".join(plain.split())


def parse(searcher: Searcher, text: str, *, filters: Filters = Filters(), today: date | None = None) -> ParsedQuery:
    """Split ``text`` into its scoring query, its conditions and its plain words (see the module doc)."""
    today = today or date.today()
    parser = _parser(searcher)
    warnings: list[str] = []
    conditions: list[wq.Query] = filter_queries(parser, filters)
    problem = _balanced(text)
    rest = text
    if problem:
        warnings.append(f"the query has {problem}; it was searched as plain words")
        rest = re.sub(r"""["()\[\]{}]""", " ", text)
    for match in list(_CONDITION.finditer(rest)):
        condition = _condition(parser, match["field"], match["value"], today, warnings)
        if condition is not None:
            conditions.append(condition)
    rest = _CONDITION.sub(" ", rest)
    words = keyword_text(rest)
    try:
        scoring = parser.parse(words) if words.strip() else wq.NullQuery
    except Exception:  # noqa: BLE001 - any parser failure: plain words
        warnings.append("the query could not be parsed; it was searched as plain words")
        scoring = _plain_words(words)
    scoring = _weight_repeats(_hoist_negations(_expand_fuzzy(scoring, words, searcher)), words)
    conditions += _constraints(scoring)
    constraint = wq.And(conditions).normalize() if conditions else None
    if scoring is wq.NullQuery and constraint is not None:
        scoring = wq.Every()  # conditions only: every article that meets them
    for query in (scoring, constraint):
        _tree_matchers(query)
    terms = frozenset(t.decode("utf-8") if isinstance(t, bytes) else str(t)
                      for f, t in scoring.iter_all_terms() if f in TERM_FIELDS) | _prefix_words(scoring, searcher)
    return ParsedQuery(text, scoring, constraint, semantic_text(rest if not problem else text), terms, words,
                       tuple(warnings))


def _prefix_words(query: wq.Query, searcher: Searcher) -> frozenset[str]:
    """The index's words that a query's prefixes (``ferr*``) stand for, so snippets mark them
    (at most PREFIX_MARKS per prefix; an excluded prefix marks nothing)."""
    if isinstance(query, wq.Not):
        return frozenset()
    if isinstance(query, wq.AndNot):
        return _prefix_words(query.a, searcher)
    if type(query) is wq.Prefix and query.fieldname in TERM_FIELDS:
        words = itertools.islice(searcher.reader().expand_prefix(query.fieldname, query.text), PREFIX_MARKS)
        return frozenset(w.decode("utf-8") if isinstance(w, bytes) else str(w) for w in words)
    return frozenset().union(*(_prefix_words(q, searcher) for q in query.children()))


def _tree_matchers(query: wq.Query | None) -> None:
    """Make every OR use Whoosh's binary tree of union matchers.

    On a segment of at most 5,000 documents Whoosh otherwise pre-loads an OR of three or more
    clauses into an array matcher, which in whoosh3 matches nothing on an index of several
    segments (tests/test_bm25.py: "harbour council vote" found 2 of 56 passages).
    """
    if query is None:
        return
    if isinstance(query, wq.Or):
        query.matcher_type = wq.Or.DEFAULT_MATCHER
    for child in query.children():
        _tree_matchers(child)


def _expand_fuzzy(query: wq.Query, text: str, searcher: Searcher) -> wq.Query:
    """``word~`` as the stems of the index's words within the edit distance of the word as typed.

    (Whoosh expands a fuzzy term from the unstemmed spelling words but matches the result against
    the stemmed field, so on a stemming field its own fuzzy query finds nothing.)
    """
    if isinstance(query, wq.FuzzyTerm) and query.fieldname in SEARCH_FIELDS:
        typed = text[query.startchar:query.endchar].split("~")[0] if query.startchar is not None else query.text
        reader = searcher.reader()
        words = terms_within(reader, query.fieldname, typed.lower(), query.maxdist, query.prefixlength)
        stems = {token.text for word in words for token in text_analyzer()(word)} | {query.text}
        return wq.Or([wq.Term(query.fieldname, s, boost=query.boost) for s in sorted(stems)])
    return query.apply(lambda q: _expand_fuzzy(q, text, searcher)) if query.children() else query


def _hoist_negations(query: wq.Query) -> wq.Query:
    """``a b NOT c`` means a or b, but not c (Whoosh's OR group would read it as a, b, or anything without c)."""
    if isinstance(query, wq.Or):
        negated = [q.query for q in query.subqueries if isinstance(q, wq.Not)]
        kept = [q for q in query.subqueries if not isinstance(q, wq.Not)]
        if negated and kept:
            return wq.AndNot(wq.Or(kept) if len(kept) > 1 else kept[0], wq.Or(negated) if len(negated) > 1 else negated[0])
    return query


K3 = 8.0  # BM25's query-term saturation: a word said twice weighs 1.8, three times 2.5


def _weight_repeats(query: wq.Query, text: str) -> wq.Query:
    """Give a word repeated in a long query BM25's query-term-frequency weight, (k3+1)·n/(k3+n).

    Whoosh's parser merges repeated words into one term; verbose queries ("What problems of
    retrieval... retrieval of titles...") lose what the repetition says. nDCG@10 keyword, same
    index: cisi 0.322 → 0.392, adi 0.474 → 0.488, cranfield 0.368 → 0.368, med 0.687 → 0.683.
    """
    if not isinstance(query, wq.Or):
        return query
    counts: dict[str, int] = {}
    for token in text_analyzer()(text):
        counts[token.text] = counts.get(token.text, 0) + 1
    if all(n == 1 for n in counts.values()):
        return query
    weighted = [wq.Term(q.fieldname, q.text, boost=q.boost * (K3 + 1) * counts.get(q.text, 1) / (K3 + counts.get(q.text, 1)))
                if isinstance(q, wq.Term) else q for q in query.subqueries]
    return wq.Or(weighted, boost=query.boost)


def _plain_words(text: str) -> wq.Query:
    words = [token.text for token in text_analyzer()(text)]
    if not words:
        return wq.NullQuery
    return wq.Or([wq.Term(f, w) for w in dict.fromkeys(words) for f in SEARCH_FIELDS])
