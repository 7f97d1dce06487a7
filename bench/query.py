"""Query speed: in-process latency per mode over varied queries, cold CLI wall time per mode, memory,
and the bm25s / tantivy query latency of the same run over the same passages.

    python bench/query.py --index-dir /tmp/bench-100k [--size 40000] [--json out.json]

``--index-dir`` names an existing index; when it holds none (or is not given) one is built first
from the first ``--size`` articles (default 2,000) of bench/corpus.py's corpus. The queries (200 by
default, deterministic) are made from the index's own passages: 1-3 headline words, quoted
phrases, questions in plain words ("what did X say about Y?"), longer word lists, conditions
(``source:``, ``title:``, ``+``/``-``), prefix and fuzzy terms. In-process latency is that of
``Searcher.search(query, mode=M)`` with the CLI's defaults (10 hits, snippets included), measured
in a child process of its own after a warm-up (its peak RSS is the search's); the first query of
each mode is reported apart. Cold CLI time: median of --repeat runs of ``newsdig search QUERY
--mode M --index-dir D``. Baselines: bm25s and tantivy indexes over the texts newsdig scores (the
headline twice, then the passage), queried with the same texts for the top 100 passages (the
candidates newsdig takes per retriever); they parse no conditions and make no snippets.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    baselines,
    build_child,
    keyword_texts,
    passages,
    peak_rss_mb,
    percentiles_ms,
    ratio,
    run_cold,
    spawned,
    table,
    write_json,
)
from corpus import make_corpus, nothing_to_measure
from whoosh.analysis import STOP_WORDS

MODES = ("keyword", "semantic", "hybrid")
KINDS = (("words", 0.30), ("question", 0.25), ("phrase", 0.15), ("long", 0.10), ("source", 0.07),
         ("boolean", 0.05), ("title", 0.03), ("prefix", 0.03), ("fuzzy", 0.02))
STOP = frozenset(STOP_WORDS | {
    "about", "after", "all", "also", "any", "been", "before", "being", "between", "both", "but", "could", "did",
    "does", "each", "had", "has", "her", "his", "how", "its", "just", "more", "most", "new", "one", "only", "other",
    "our", "over", "own", "said", "same", "says", "she", "some", "such", "than", "their", "them", "then", "there",
    "these", "they", "three", "two", "very", "was", "were", "what", "which", "who", "why", "would"})
TEMPLATES = ("what did {e} say about {y}?", "how will {y} affect {e}?", "why did {e} change its {y} plans?",
             "who is behind the {y} in {e}?", "when will {e} decide on {y}?", "is {y} good news for {e}?")
TARGETS = {"hybrid_p50_ms": 50, "hybrid_p95_ms": 150, "keyword_p50_vs_bm25s": 3.0, "cli_keyword_s": 0.6,
           "cli_hybrid_s": 3.0}


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*[A-Za-z]", text) if w.lower() not in STOP and len(w) > 2]


def make_queries(rows: list[dict[str, Any]], n: int = 200, seed: int = 7) -> list[dict[str, str]]:
    """``n`` varied queries ``{kind, text}`` drawn from the passages, the same for the same index."""
    rng = random.Random(seed)
    docs = [r for r in rows if _words(r.get("body", ""))]
    counts = {kind: round(n * share) for kind, share in KINDS}
    counts["words"] += n - sum(counts.values())
    kinds = [kind for kind, count in counts.items() for _ in range(count)]
    rng.shuffle(kinds)
    out = []
    for kind in kinds:
        for _ in range(50):  # a document that gives this kind of query
            text = _query(kind, rng.choice(docs), rng)
            if text:
                out.append({"kind": kind, "text": text})
                break
    return out


def _query(kind: str, doc: dict[str, Any], rng: random.Random) -> str | None:
    body = doc.get("body", "")
    title = [w.lower() for w in _words(doc.get("title") or "")] or [w.lower() for w in _words(body)[:10]]
    content = _words(body)
    if kind == "words":
        k = min(len(title), rng.choice((1, 2, 2, 3, 3)))
        return " ".join(title[i] for i in sorted(rng.sample(range(len(title)), k))) or None
    if kind == "phrase":
        pairs = re.findall(r"\b([A-Za-z]{3,}) ([A-Za-z]{3,})\b", body)
        pairs = [p for p in pairs if p[0].lower() not in STOP and p[1].lower() not in STOP]
        if not pairs:
            return None
        phrase = '"' + " ".join(rng.choice(pairs)).lower() + '"'
        return f"{phrase} {rng.choice(title)}" if rng.random() < 0.3 and title else phrase
    if kind == "question":
        names = re.findall(r"(?<=[a-z,;] )[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})?", body)
        names = [x for x in names if x.lower() not in STOP] or [w.capitalize() for w in title]
        y = " ".join(title[:rng.choice((1, 2))])
        return rng.choice(TEMPLATES).format(e=rng.choice(names), y=y) if names and y else None
    if kind == "long":
        if len(content) < 6:
            return None
        start = rng.randrange(len(content) - 5)
        return " ".join(w.lower() for w in content[start:start + rng.choice((4, 5, 6))])
    if kind == "source":
        source = (doc.get("source") or "").lower()
        if not source or not title:
            return None
        value = source if re.fullmatch(r"[\w.-]+", source) else f'"{source}"'
        return f"source:{value} {rng.choice(title)}"
    if len(title) < 2 and kind == "boolean":
        return None
    a, b = rng.sample(title, 2) if len(title) > 1 else (title[0], title[0])
    if kind == "boolean":
        return rng.choice((f"+{a} {b}", f"{a} -{b}", f"{a} AND {b}"))
    if kind == "title":
        return f"title:{a}"
    if kind == "prefix":
        long = [w for w in title + [w.lower() for w in content] if len(w) >= 6]
        return f"{rng.choice(long)[:4]}*" if long else None
    if kind == "fuzzy" and len(a) >= 5:
        i = rng.randrange(1, len(a) - 2)
        return a[:i] + a[i + 1] + a[i] + a[i + 2:] + "~"
    return None


def measure_child(index_dir: str, queries: list[str], modes: list[str], warmup: int) -> dict[str, Any]:
    """In-process latency per mode, as `newsdig search QUERY --mode M` runs it, in a fresh process.

    The time spent in ``Searcher._hits`` (stored fields and snippets of the page) is reported apart."""
    from indexer.errors import NewsdigError
    from search.ranker import Searcher

    in_hits: list[float] = []
    hits_fn = Searcher.__dict__.get("_hits")
    if hits_fn is not None:
        def timed_hits(self: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return hits_fn(self, *args, **kwargs)
            finally:
                in_hits.append(time.perf_counter() - started)
        Searcher._hits = timed_hits
    started = time.perf_counter()
    searcher = Searcher(index_dir)
    result: dict[str, Any] = {"open_seconds": round(time.perf_counter() - started, 3), "rss_after_open_mb": peak_rss_mb()}
    for mode in modes:
        started = time.perf_counter()
        searcher.search(queries[0], mode=mode)
        first = time.perf_counter() - started
        for text in queries[1:1 + warmup]:
            searcher.search(text, mode=mode)
        latencies, snippet_part, errors, empty = [], [], [], 0
        for text in queries:
            in_hits.clear()
            started = time.perf_counter()
            try:
                results = searcher.search(text, mode=mode)
            except NewsdigError as exc:
                errors.append(f"{text}: {exc}")
                continue
            latencies.append(time.perf_counter() - started)
            snippet_part.append(sum(in_hits))
            empty += not results.hits
        result[mode] = {**percentiles_ms(latencies), "first_query_ms": round(first * 1000, 1), "queries": len(latencies),
                        "hits_and_snippets_ms": percentiles_ms(snippet_part) if hits_fn else None,
                        "no_hits": empty, "errors": errors, "peak_rss_mb_after": peak_rss_mb()}
        print(f"  {mode}: {len(latencies)} queries in {sum(latencies):.1f} s", flush=True)
    searcher.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, help="an existing index (built here from --size articles if it holds none)")
    parser.add_argument("--size", type=int, default=2000, help="articles to index when there is no index (default 2,000)")
    parser.add_argument("--queries", type=int, default=200, help="number of queries (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="queries run per mode before measuring")
    parser.add_argument("--repeat", type=int, default=3, help="cold CLI runs per mode (median)")
    parser.add_argument("--cli-query", help="the query of the cold CLI runs (default: the first 2-word query)")
    parser.add_argument("--no-tantivy", action="store_true")
    parser.add_argument("--no-baselines", action="store_true",
                        help="skip bm25s and tantivy (at a million passages they take minutes and GiBs to build)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    from indexer.layout import index_exists
    have_index = args.index_dir is not None and index_exists(args.index_dir)
    if not have_index and nothing_to_measure():
        return 0
    work = Path(tempfile.mkdtemp(prefix="newsdig-bench-query-"))
    try:
        return _run(args, work, have_index)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, work: Path, have_index: bool) -> int:
    index_dir = args.index_dir or work / "index"
    built = None
    if not have_index:
        make_corpus(work / "corpus.jsonl", args.size)
        print(f"building {index_dir} from {args.size:,} articles ...", flush=True)
        built = spawned(build_child, str(work / "corpus.jsonl"), str(index_dir))
    rows, settings = passages(index_dir)
    queries = make_queries(rows, args.queries)
    texts = [q["text"] for q in queries]
    print(f"{len(rows):,} passages, {len(queries)} queries; in-process latency ...", flush=True)
    ours = spawned(measure_child, str(index_dir), texts, list(MODES), args.warmup)

    base: dict[str, Any] = {}
    found, missing = ([], {"bm25s": "--no-baselines", "tantivy": "--no-baselines"}) if args.no_baselines \
        else baselines(work, args.no_tantivy)
    scored = keyword_texts(rows, settings)
    for engine in found:
        print(f"{engine.name}: indexing and querying the same passages ...", flush=True)
        index_seconds = engine.build(scored)
        for text in texts[:args.warmup]:
            engine.query(text)
        latencies = []
        for text in texts:
            started = time.perf_counter()
            engine.query(text)
            latencies.append(time.perf_counter() - started)
        base[engine.name] = {**percentiles_ms(latencies), "index_seconds": round(index_seconds, 3)}

    cli_query = args.cli_query or next((t for t in texts if len(t.split()) == 2 and t.replace(" ", "").isalpha()), texts[0])
    cli: dict[str, Any] = {"query": cli_query}
    for mode in MODES:
        print(f"cold CLI, {mode} ...", flush=True)
        runs = [run_cold(["search", cli_query, "--mode", mode, "--index-dir", str(index_dir)]) for _ in range(args.repeat)]
        cli[mode] = {"median_s": round(statistics.median(r["seconds"] for r in runs), 3),
                     "runs_s": [round(r["seconds"], 3) for r in runs], "peak_rss_mb": max(r["rss_mb"] for r in runs),
                     "rc": [r["rc"] for r in runs]}
        if any(r["rc"] not in (0,) for r in runs):
            cli[mode]["tail"] = runs[-1]["tail"]

    kinds: dict[str, int] = {}
    for q in queries:
        kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
    ratios = {f"{mode}_vs_{name}": {p: ratio(ours[mode][p], b[p]) for p in ("p50", "p95", "p99")}
              for mode in MODES for name, b in base.items()}
    checks = {"hybrid_p50_ms": ours["hybrid"]["p50"], "hybrid_p95_ms": ours["hybrid"]["p95"],
              "keyword_p50_vs_bm25s": ratios.get("keyword_vs_bm25s", {}).get("p50"),
              "cli_keyword_s": cli["keyword"]["median_s"], "cli_hybrid_s": cli["hybrid"]["median_s"]}
    summary = {"index_dir": str(index_dir), "passages": len(rows), "built": built, "queries": len(queries),
               "query_kinds": kinds, "query_list": queries, "in_process": ours, "baselines": base,
               "baselines_missing": missing, "ratios": ratios, "cli": cli,
               "targets": {k: {"value": v, "target": TARGETS[k], "met": v is not None and v <= TARGETS[k]}
                           for k, v in checks.items()}}
    _print(summary)
    write_json(args.json, summary)
    return 0


def _print(s: dict[str, Any]) -> None:
    ours, base = s["in_process"], s["baselines"]
    print(f"\n{s['queries']} queries over {s['passages']:,} passages ({', '.join(f'{k} {v}' for k, v in s['query_kinds'].items())})")
    print(f"searcher open {ours['open_seconds']:.3f} s, RSS after open {ours['rss_after_open_mb']:,.0f} MiB")
    part = lambda m, p: (ours[m]["hits_and_snippets_ms"] or {}).get(p)
    rows = [[f"newsdig {m}", ours[m]["p50"], ours[m]["p95"], ours[m]["p99"], ours[m]["mean"], part(m, "p50"),
             part(m, "mean"), ours[m]["first_query_ms"], ours[m]["peak_rss_mb_after"], ours[m]["no_hits"],
             len(ours[m]["errors"])] for m in MODES]
    rows += [[name, b["p50"], b["p95"], b["p99"], b["mean"], None, None, None, None, None, None] for name, b in base.items()]
    print(table(["in-process (ms)", "p50", "p95", "p99", "mean", "snip p50", "snip mean", "1st query", "RSS MiB",
                 "no hits", "errors"], rows))
    print("(snip: time in Searcher._hits, i.e. stored fields + snippets of the 10 hits, included in the total)")
    if s["ratios"]:
        print(table(["ours / baseline", "p50", "p95", "p99"],
                    [[k.replace("_vs_", " / "), v["p50"], v["p95"], v["p99"]] for k, v in s["ratios"].items()]))
    for name, b in base.items():
        print(f"{name} index build: {b['index_seconds']:.2f} s")
    for name, why in s["baselines_missing"].items():
        print(f"{name}: {why}")
    cli = s["cli"]
    print(f"\ncold CLI: newsdig search {cli['query']!r} --mode M (median of {len(cli['keyword']['runs_s'])})")
    print(table(["mode", "median s", "runs", "peak RSS MiB"],
                [[m, cli[m]["median_s"], " ".join(f"{x:.2f}" for x in cli[m]["runs_s"]), cli[m]["peak_rss_mb"]] for m in MODES]))
    for m in MODES:
        if "tail" in cli[m]:
            print(f"warning: the {m} CLI run exited {cli[m]['rc']}: {cli[m]['tail'].strip()[-200:]}")
    errors = [e for m in MODES for e in ours[m]["errors"]]
    if errors:
        print(f"{len(errors)} query errors, e.g. {errors[0]}")
    print("\ntargets: " + "; ".join(f"{k} {t['value']} (<= {t['target']}: {'met' if t['met'] else 'missed'})"
                                    for k, t in s["targets"].items()))


if __name__ == "__main__":
    sys.exit(main())
