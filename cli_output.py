"""How the CLI presents results: pure functions that build text and JSON-ready values.

``cli.py`` decides where they go (stdout, stderr) and prints them; nothing here prints.
"""

from __future__ import annotations

import json
from typing import Any

MARK_OPEN, MARK_CLOSE = "[[", "]]"
SIZE_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(text: str) -> int:
    """``"500k"``, ``"20m"``, ``"1g"`` or a number of bytes; raises ValueError."""
    t = text.strip().lower().rstrip("b")
    if not t:
        raise ValueError(text)
    value = int(float(t[:-1]) * SIZE_UNITS[t[-1]]) if t[-1] in SIZE_UNITS else int(t)
    if value <= 0:
        raise ValueError(text)
    return value


def human_bytes(n: float) -> str:
    """1536 -> "1.5 KiB"."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def summary(report: Any, verb: str = "Indexed") -> str:
    """The human summary of a build report (``index``, ``add``, ``rebuild``)."""
    c = report.counts
    parts = [f"{c.added} new", f"{c.updated} updated", f"{c.unchanged} unchanged"]
    if c.removed:
        parts.append(f"{c.removed} removed")
    if c.duplicates:
        parts.append(f"{len(c.duplicates)} duplicate")
    line = (f"{verb} {report.articles_seen} article{_s(report.articles_seen)} ({', '.join(parts)}); "
            f"{c.chunks} passage{_s(c.chunks)} written")
    line += f" in {report.seconds:.1f} s"
    if report.skipped:
        line += f"; skipped {len(report.skipped)} input(s), listed above"
    if report.ignored:
        kinds = ", ".join(f"{n} {ext}" for ext, n in sorted(report.ignored.items()))
        line += f"; ignored files of unsupported types ({kinds})"
    if report.manifest:
        line += f".\nIndex {report.index_dir}: {report.manifest.articles} articles, {report.manifest.chunks} passages."
    return line


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def report_json(report: Any) -> dict[str, Any]:
    """A build report as a JSON object."""
    c = report.counts
    return {
        "index_dir": report.index_dir, "added": c.added, "updated": c.updated, "unchanged": c.unchanged,
        "removed": c.removed, "duplicates": [{"article_id": a, "duplicate_of": b} for a, b in c.duplicates],
        "pruned": [{"article_id": a, "path": p} for a, p in report.pruned],
        "chunks": c.chunks, "skipped": [{"path": s.path, "line": s.line, "reason": s.reason} for s in report.skipped],
        "ignored": report.ignored, "seconds": round(report.seconds, 3),
        "articles_total": report.manifest.articles if report.manifest else None,
        "chunks_total": report.manifest.chunks if report.manifest else None}


def stats_info(manifest: Any, index_dir: str, size: int) -> dict[str, Any]:
    """``newsdig stats --json``."""
    return {"articles": manifest.articles, "chunks": manifest.chunks, "model": manifest.model.name,
            "format_version": manifest.format_version, "bytes": size, "updated": manifest.updated,
            "index_dir": index_dir, "dim": manifest.model.dim, "model_path": manifest.model.path,
            "created": manifest.created, "settings": manifest.settings}


def stats_lines(info: dict[str, Any]) -> list[str]:
    """``newsdig stats`` for people."""
    rows = [("index", info["index_dir"]), ("articles", f"{info['articles']:,}"),
            ("passages", f"{info['chunks']:,}"), ("model", f"{info['model']} ({info['dim']}-d, "
                                                  f"{info['settings'].get('vectors', 'float32')} vectors)"),
            ("format", str(info["format_version"])), ("size", human_bytes(info["bytes"])),
            ("created", info["created"]), ("updated", info["updated"])]
    return [f"{key:<9} {value}" for key, value in rows]


def eval_lines(name: str, queries: int, results: dict[str, dict[str, float]], *, as_json: bool = False) -> list[str]:
    """``newsdig eval`` for people: a table."""
    lines = [f"{name}: {queries} judged queries", f"{'mode':<10}{'nDCG@10':>9}{'MRR@10':>9}{'Recall@100':>12}"]
    lines += [f"{mode:<10}{m['ndcg@10']:>9.4f}{m['mrr@10']:>9.4f}{m['recall@100']:>12.4f}" for mode, m in results.items()]
    return lines


def clean_lines(where: str, data: dict[str, Any]) -> list[str]:
    """``newsdig clean`` for people: the file, the metadata, then the body."""
    lines = [f"== {where}"]
    lines += [f"{key + ':':<11}{data[key] or '-'}" for key in ("title", "published", "author", "source", "url")]
    return [*lines, "", data["body"], ""]


def snippet_text(snippet: str, styled: bool) -> Any:
    """A snippet as rich Text: ``[[term]]`` becomes bold yellow when styled, stays marked otherwise."""
    from rich.text import Text

    text = Text()
    if not styled:
        text.append(snippet)
        return text
    pos = 0
    while (start := snippet.find(MARK_OPEN, pos)) != -1 and (end := snippet.find(MARK_CLOSE, start)) != -1:
        text.append(snippet[pos:start])
        text.append(snippet[start + len(MARK_OPEN):end], style="bold yellow")
        pos = end + len(MARK_CLOSE)
    text.append(snippet[pos:])
    return text


def hit_renderables(hit: Any, *, styled: bool, terminal: bool) -> list[Any]:
    """Rank and title; date, source, score, id; snippet; a blank line."""
    from rich.padding import Padding
    from rich.text import Text

    head = Text(f"{hit.rank:>2}. ", style="bold" if styled else "")
    head.append_text(snippet_text(hit.marked_title or hit.title or "(untitled)", styled))
    if styled:
        head.stylize("bold")
    meta = " · ".join([(hit.published or "no date")[:10], hit.source or "unknown source",
                       f"score {hit.score:.3f}", hit.article_id])
    snippet = snippet_text(hit.snippet, styled)
    if terminal:  # wrapped lines keep the indent
        body = [Padding(Text(meta, style="dim" if styled else ""), (0, 0, 0, 4)), Padding(snippet, (0, 0, 0, 4))]
    else:
        body = [Text("    " + meta), Text("    ") + snippet]
    return [head, *body, Text("")]


HIT_KEYS = ["rank", "article_id", "chunk_id", "title", "url", "published", "source", "score",
            "keyword_score", "semantic_score", "snippet", "marked_title"]


def table(rows: list[dict[str, Any]], keys: list[str], fmt: str) -> list[str]:
    """Rows as JSON lines, CSV (with a header) or a Markdown table."""
    if fmt == "json":
        return [json.dumps(row, ensure_ascii=False) for row in rows]
    if fmt == "csv":
        import csv
        import io
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if row.get(k) is None else row[k]) for k in keys} for row in rows)
        return buffer.getvalue().rstrip("\n").split("\n")
    cell = lambda v: "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    return ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)] + [
        "| " + " | ".join(cell(row.get(k)) for k in keys) + " |" for row in rows]


def explanation_lines(e: Any) -> list[str]:
    """``--explain`` for people, under a hit."""
    kw = f"{e.keyword_score:.4f} (rank {e.keyword_rank})" if e.keyword_score is not None else "no match"
    sem = f"{e.semantic_score:.4f} (rank {e.semantic_rank})" if e.semantic_score is not None else "not scored"
    terms = ", ".join(e.matched_terms) or "none"
    return [f"    why: {e.fusion}",
            f"         keyword {kw}; semantic {sem}; scored on passage {e.chunk_id} (query words in it: {terms})"]


def facet_lines(f: Any) -> list[str]:
    """``--facets`` for people."""
    sources = ", ".join(f"{name} ({n})" for name, n in f.sources) or "-"
    months = ", ".join(f"{name} ({n})" for name, n in f.months) or "-"
    return [f"{f.articles} matching article{'' if f.articles == 1 else 's'}", f"  by source: {sources}",
            f"  by month:  {months}"]


def passage_renderables(p: Any, *, styled: bool, terminal: bool) -> list[Any]:
    """``newsdig ask`` for people: the passage with its best sentence bold."""
    from rich.padding import Padding
    from rich.text import Text

    head = Text(f"{p.rank:>2}. ", style="bold" if styled else "")
    head.append(p.title or "(untitled)", style="bold" if styled else "")
    meta = " · ".join([(p.published or "no date")[:10], p.source or "unknown source", f"score {p.score:.3f}", p.chunk_id])
    body = snippet_text(p.excerpt, styled)
    if terminal:
        return [head, Padding(Text(meta, style="dim" if styled else ""), (0, 0, 0, 4)), Padding(body, (0, 0, 0, 4)), Text("")]
    return [head, Text("    " + meta), Text("    ") + body, Text("")]


def article_lines(stored: dict[str, Any]) -> list[str]:
    """``newsdig show`` for people: metadata, then the clean body."""
    lines = [stored.get("title") or "(untitled)"]
    for key in ("published", "author", "source", "url", "path"):
        if stored.get(key):
            lines.append(f"{key + ':':<11}{stored[key]}")
    lines.append(f"{'id:':<11}{stored['article_id']}")
    return [*lines, "", stored.get("body", "")]
