"""The query-side commands of the newsdig CLI: search, ask, explain, show, similar.

``cli.py`` registers them on the app; they print through ``cli_common`` and ``cli_output``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

import cli_output as out
from cli_common import (DEFAULT_SUPPORT, DEFAULT_WEIGHT, EXIT_ERROR, FormatOption, Fusion, IndexDir, JsonFlag,
                        LimitOption, Mode, PagerFlag, RerankOption, SupportOption, console, emit, fail, index_dir, output_format, run, warn)

Since = Annotated[Optional[str], typer.Option(help="Only articles published on or after this date: 2024-03-01, 2024-03, or 7d, 2w, 3m, 1y back from today.")]
Until = Annotated[Optional[str], typer.Option(help="Only articles published on or before this date (same forms as --since).")]
Sources = Annotated[Optional[list[str]], typer.Option("--source", help="Only articles from this source (repeatable; case does not matter).")]
Authors = Annotated[Optional[list[str]], typer.Option("--author", help="Only articles by this author (repeatable).")]
ModelCheck = Annotated[Optional[str], typer.Option(help="Check that the index was built with this model (queries always use the index's model).")]
QUERY_LANGUAGE = ("Query language: plain words match any of them (more is better); \"a phrase\", \"phrase\"~3 "
                  "(words within 3), AND, OR, NOT, +required, -excluded, wild*, te?t, fuzzy~, title:word, "
                  "source:name, author:name, url:text, date:2024-03-01, date:[2024-01-01 TO 2024-03-31], "
                  "date:yesterday, date:\"last week\". Conditions (source:, author:, url:, date:, +, -, AND, NOT) "
                  "apply in every mode; the semantic side embeds the plain words. A query that starts with "
                  "\"-\" goes after \"--\": newsdig search -- \"-sport election\".")


def _filters(since: str | None, until: str | None, sources: list[str] | None, authors: list[str] | None) -> Any:
    from search.query import Filters, parse_date
    try:
        return Filters(since=parse_date(since) if since else None, until=parse_date(until) if until else None,
                       sources=tuple(sources or ()), authors=tuple(authors or ()))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _searcher(directory: Any, model: str | None = None) -> Any:
    from search.ranker import Searcher
    return run(Searcher, index_dir(directory), model=model)


def search(
    query: Annotated[Optional[str], typer.Argument(help="Words, a phrase in quotes, a question, or query syntax (see below).", show_default=False)] = None,
    queries: Annotated[Optional[Path], typer.Option("--queries", help="Answer many queries in one process: a JSON-lines file of objects with id and text; each output row carries query_id.")] = None,
    limit: LimitOption = 10,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many results (paging).")] = 0,
    mode: Annotated[Mode, typer.Option(help="hybrid: keywords and meaning fused; keyword: BM25 only (fast, no model); semantic: meaning only.")] = Mode.hybrid,
    sort: Annotated[str, typer.Option(help="relevance, date (oldest first) or -date (newest first). In keyword mode dates order every match; otherwise the best candidates.")] = "relevance",
    since: Since = None, until: Until = None, source: Sources = None, author: Authors = None,
    min_score: Annotated[Optional[float], typer.Option(help="Drop hits scoring below this (BM25F in keyword mode, cosine in semantic mode, 0-1 in hybrid mode).")] = None,
    facets: Annotated[bool, typer.Option("--facets", help="Also count the matching articles by source and by month.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show for each hit its keyword and semantic scores and ranks, how they were fused, the matched terms and the passage.")] = False,
    fusion: Annotated[Fusion, typer.Option(help="How hybrid mode merges the two rankings: convex (weighted min-max scores) or rrf (reciprocal rank fusion, k=60).")] = Fusion.convex,
    weight: Annotated[float, typer.Option(min=0.0, max=1.0, help="Weight of the semantic side in convex fusion (0 = keyword only, 1 = semantic only).")] = DEFAULT_WEIGHT,
    support: SupportOption = DEFAULT_SUPPORT,
    rerank: RerankOption = None,
    model: ModelCheck = None, index_dir_: IndexDir = None, fmt: FormatOption = None, as_json: JsonFlag = False,
    pager: PagerFlag = False,
) -> None:
    """Search the index; plain words match any of them (more is better), questions match by meaning.

    Each hit shows rank, title, date, source, score and a snippet, the query terms marked in
    the title and the snippet. JSON output is one object per hit with the keys rank,
    article_id, chunk_id, title, url, published, source, score, keyword_score, semantic_score,
    snippet, marked_title (the title with the terms marked; null where unknown), plus
    "explanation" with --explain; then, when there is one, an object {"did_you_mean": ...} and
    with --facets an object {"facets": ...}.
    """
    if sort not in ("relevance", "date", "-date"):
        raise typer.BadParameter("--sort takes relevance, date or -date")
    if (query is None) == (queries is None):
        raise typer.BadParameter("give a QUERY or --queries FILE (one of them)")
    if rerank and mode == Mode.keyword:
        raise typer.BadParameter("--rerank reads passages with the model: use hybrid or semantic mode")
    form = output_format(fmt, as_json)
    options = dict(limit=limit, offset=offset, mode=mode.value, sort=sort, filters=_filters(since, until, source, author),
                   min_score=min_score, fusion_method=fusion.value, weight=weight, support=support,
                   rerank=rerank)
    if queries is not None:
        _search_many(queries, index_dir_, model, form, options, pager)
        return
    searcher = _searcher(index_dir_, model)
    with searcher:
        results = run(searcher.search, query, facets=facets, explain=explain, **options)
    for message in results.warnings:
        warn(message)
    if form != "text":
        rows = [{**asdict(h), **({"explanation": asdict(results.explanations[h.article_id])} if explain else {})}
                for h in results.hits]
        lines = out.table(rows, out.HIT_KEYS + (["explanation"] if explain and form == "json" else []), form)
        if form == "json":
            lines += [json.dumps({"did_you_mean": results.suggestion})] if results.suggestion else []
            lines += [json.dumps({"facets": asdict(results.facets)})] if results.facets else []
        emit(lines, pager=pager)
        return
    shown = console()
    styled = shown.is_terminal and not shown.no_color
    lines: list[Any] = []
    for hit in results.hits:
        lines += out.hit_renderables(hit, styled=styled, terminal=shown.is_terminal)
        if explain:
            lines[-1:-1] = out.explanation_lines(results.explanations[hit.article_id])
    if results.hits and (offset or results.total > offset + len(results.hits)):
        lines.append(f"Showing {offset + 1}-{offset + len(results.hits)} of {results.total} results "
                     f"(more with --offset {offset + len(results.hits)}).")
    elif not results.hits:
        typer.echo("No matching articles.", err=True)
    if results.suggestion:
        lines.append(f"Did you mean: {results.suggestion}")
    if results.facets:
        lines += out.facet_lines(results.facets)
    emit(lines, pager=pager)


def _search_many(path: Path, directory: Any, model: str | None, form: str, options: dict[str, Any], pager: bool) -> None:
    from search.batch import read_queries, search_many

    with _searcher(directory, model) as searcher:
        pairs = run(read_queries, path)
        batch = run(lambda: list(search_many(searcher, pairs, **options)))
    if form == "text":
        lines: list[Any] = []
        shown = console()
        styled = shown.is_terminal and not shown.no_color
        for qid, results in batch:
            lines.append(f"== {qid}: {dict(pairs)[qid]}")
            lines += [r for h in results.hits for r in out.hit_renderables(h, styled=styled, terminal=shown.is_terminal)]
        emit(lines, pager=pager)
        return
    rows = [{"query_id": qid, **asdict(h)} for qid, results in batch for h in results.hits]
    emit(out.table(rows, ["query_id", *out.HIT_KEYS], form), pager=pager)


def ask(
    question: Annotated[str, typer.Argument(help="A question in plain words.", show_default=False)],
    limit: LimitOption = 5, since: Since = None, until: Until = None, source: Sources = None, author: Authors = None,
    index_dir_: IndexDir = None, fmt: FormatOption = None, as_json: JsonFlag = False, pager: PagerFlag = False,
) -> None:
    """Answer a question with the passages that answer it (not whole articles), the best sentence
    of each marked, with title, date and source. Leans on meaning (hybrid, semantic weight 0.8).
    JSON keys: rank, article_id, chunk_id, title, url, published, source, score, answer, passage,
    excerpt (the answer with a sentence of context; text output shows it)."""
    from search.passages import ask as ask_passages

    form = output_format(fmt, as_json)
    with _searcher(index_dir_) as searcher:
        passages = run(ask_passages, searcher, question, limit=limit, filters=_filters(since, until, source, author))
    if form != "text":
        keys = ["rank", "article_id", "chunk_id", "title", "url", "published", "source", "score", "answer", "passage",
                "excerpt"]
        emit(out.table([asdict(p) for p in passages], keys, form), pager=pager)
        return
    if not passages:
        fail("no passage found", code=EXIT_ERROR)
    shown = console()
    styled = shown.is_terminal and not shown.no_color
    emit([r for p in passages for r in out.passage_renderables(p, styled=styled, terminal=shown.is_terminal)], pager=pager)


def explain(
    query: Annotated[str, typer.Argument(help="The query, as given to `newsdig search`.", show_default=False)],
    article_id: Annotated[str, typer.Argument(help="The article to explain (its id, as `search --json` shows).", show_default=False)],
    limit: LimitOption = 10, mode: Annotated[Mode, typer.Option(help="The search mode to explain.")] = Mode.hybrid,
    since: Since = None, until: Until = None, source: Sources = None, author: Authors = None,
    index_dir_: IndexDir = None,
) -> None:
    """Say why an article is or is not among the top hits of a query: whether the conditions and
    filters keep it out, its rank on the keyword and the semantic side, and where -n cuts."""
    from search.explain import explain_article

    with _searcher(index_dir_) as searcher:
        lines = run(explain_article, searcher, query, article_id, mode=mode.value, limit=limit,
                    filters=_filters(since, until, source, author))
    emit(lines)


def show(
    article_id: Annotated[str, typer.Argument(help="The article's id (as `search --json` shows).", show_default=False)],
    index_dir_: IndexDir = None, fmt: FormatOption = None, as_json: JsonFlag = False, pager: PagerFlag = False,
) -> None:
    """Print a clean article with its metadata. JSON keys: article_id, title, published, author,
    source, url, path, chunks, body."""
    form = output_format(fmt, as_json)
    with _searcher(index_dir_) as searcher:
        stored = run(searcher.reader.article_fields, article_id)
    if stored is None:
        fail(f"no article {article_id!r} in the index", hint="ids are shown by `newsdig search --json`")
    keys = ["article_id", "title", "published", "author", "source", "url", "path", "chunks", "body"]
    row = {k: stored.get(k) for k in keys}
    emit(out.article_lines(row) if form == "text" else out.table([row], keys, form), pager=pager)


def similar(
    article_id: Annotated[str, typer.Argument(help="The article's id (as `search --json` shows).", show_default=False)],
    limit: LimitOption = 10, since: Since = None, until: Until = None, source: Sources = None, author: Authors = None,
    index_dir_: IndexDir = None, fmt: FormatOption = None, as_json: JsonFlag = False, pager: PagerFlag = False,
) -> None:
    """Find articles related to one (more-like-this, by meaning). Same output as `search`."""
    from search.similar import similar as similar_articles

    form = output_format(fmt, as_json)
    with _searcher(index_dir_) as searcher:
        hits = run(similar_articles, searcher, article_id, limit=limit, filters=_filters(since, until, source, author))
    if form != "text":
        emit(out.table([asdict(h) for h in hits], out.HIT_KEYS, form), pager=pager)
        return
    shown = console()
    styled = shown.is_terminal and not shown.no_color
    emit([r for h in hits for r in out.hit_renderables(h, styled=styled, terminal=shown.is_terminal)], pager=pager)


