"""Snippets that show the query: how many keyword-matched hits mark none of the query's words.

    python bench/snippets.py --index-dir /tmp/bench-idx [--queries 200] [--json out.json]

bench/query.py's queries (made from the index's own passages), hybrid, ``-n 10``. Three
settings: as before (each hit shows its best-scoring passage; prefixes mark nothing), with the
shown passage chosen to hold the query's words, and with prefix words marked too (newsdig's
default). For the hits still without a mark, the reason: the words are only in the headline,
the hit is a question's top hit (its sentence is chosen by meaning), or other; and how many of
them show the words marked in the title (``marked_title``) instead.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import passages, write_json
from query import make_queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, required=True, help="an existing index")
    parser.add_argument("--queries", type=int, default=200, help="number of queries (default 200)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    import search.query as query_module
    from search import ranker
    from search.snippets import match_spans

    rows, _ = passages(args.index_dir)
    queries = make_queries(rows, args.queries)
    searcher = ranker.Searcher(args.index_dir)
    shown, marks = ranker.Searcher._shown, query_module.PREFIX_MARKS
    settings = {"best passage, no prefix marks": (lambda self, aid, d, found: (d, self.reader.chunk_fields(d)), 0),
                "passage holding the words": (shown, 0), "and prefix marks (default)": (shown, marks)}
    summary: dict[str, Any] = {"index_dir": str(args.index_dir), "queries": len(queries), "settings": {}}
    for name, (pick, prefix_marks) in settings.items():
        ranker.Searcher._shown, query_module.PREFIX_MARKS = pick, prefix_marks  # type: ignore[method-assign]
        hits = unmarked = in_title = 0
        why: Counter[str] = Counter()
        for q in queries:
            results = searcher.search(q["text"], limit=10)
            terms = searcher.parse(q["text"]).terms
            for rank, hit in enumerate(results.hits):
                if hit.keyword_score is None:
                    continue
                hits += 1
                if "[[" in hit.snippet:
                    continue
                unmarked += 1
                titled = "[[" in (hit.marked_title or "")  # the title holds a query word
                in_title += titled
                docs = searcher.reader.article_docnums(hit.article_id)
                in_body = any(match_spans(searcher.reader.chunk_fields(d).get("body", ""), terms) for d in docs)
                why["question's top hit" if in_body and rank == 0 and q["kind"] == "question" else
                    "headline only" if not in_body and titled else f"other ({q['kind']})"] += 1
        summary["settings"][name] = {"keyword_matched_hits": hits, "no_marked_word": unmarked, "why": dict(why),
                                     "marked_in_title": in_title}
        print(f"{name:32s} {unmarked:5d} of {hits:,} keyword-matched hits mark no query word in the snippet: "
              + ", ".join(f"{k} {v}" for k, v in why.most_common()) + f"; {in_title} of them in the title")
    ranker.Searcher._shown, query_module.PREFIX_MARKS = shown, marks  # type: ignore[method-assign]
    write_json(args.json, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
