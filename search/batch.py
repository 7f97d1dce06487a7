"""Many queries in one process: read a JSON-lines query file, encode all queries at once, search."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

from indexer.errors import QueryError

from .ranker import Searcher
from .results import Results


def read_queries(path: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """``[(id, text)]`` from a JSON-lines file of objects with ``id`` (or ``_id``) and ``text``."""
    queries = []
    try:
        handle = open(path, encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                qid = obj["id"] if "id" in obj else obj["_id"]
                text = str(obj["text"])
            except (ValueError, KeyError, TypeError):
                raise QueryError(f"{path}:{number}: expected a JSON object with id and text") from None
            queries.append((str(qid), text))
    return queries


def search_many(searcher: Searcher, queries: list[tuple[str, str]], *, mode: str = "hybrid",
                **options: object) -> Iterator[tuple[str, Results]]:
    """``(query id, results)`` for each query; the semantic side encodes every query in one batch."""
    vectors = None
    if options.get("rerank") and mode != "keyword" and len(queries) > 1 and searcher.reader.tokens is None:
        searcher.rerank_with_torch()
    if mode != "keyword" and queries:
        texts = [searcher.parse(text).semantic_text or text for _, text in queries]
        vectors = searcher.encode_queries(texts)
    for n, (qid, text) in enumerate(queries):
        yield qid, searcher.search(text, mode=mode, query_vector=None if vectors is None else vectors[n],
                                   **options)  # type: ignore[arg-type]
