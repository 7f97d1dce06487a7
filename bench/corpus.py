"""A benchmark corpus of news-like articles from ../shared/data, of any size.

    python bench/corpus.py OUT.jsonl --size 100000

Draws from reuters21578, 20newsgroups, ag_news_test and bbc_news (about 48,000 records with
text; records with empty text are skipped), interleaved in proportion to their sizes so that
the first N articles of any corpus mix the four collections the same way. Each line is a JSON
object ``id, title, text, source`` (plus ``date`` for Reuters). Ids are prefixed by collection;
past the end the same articles repeat as copy k >= 2 with id ``...#k`` and title ``... (k)``
(a different title, else newsdig would skip the copy as a duplicate of the first one).
Deterministic: the same size gives the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# collection folder -> id prefix
COLLECTIONS = {"reuters21578": "reuters", "20newsgroups": "20ng", "ag_news_test": "ag", "bbc_news": "bbc"}


def data_missing() -> list[str]:
    """The corpus files of the four collections that are absent."""
    return [str(DATA / name / "corpus.jsonl") for name in COLLECTIONS
            if not (DATA / name / "corpus.jsonl").is_file()]


def nothing_to_measure() -> bool:
    """Whether a corpus file is absent; says which on stdout (a bench then exits cleanly)."""
    missing = data_missing()
    if missing:
        print(f"{missing[0]} not found: nothing to measure")
    return bool(missing)


def _source(name: str, obj: dict) -> str:
    if name == "reuters21578":
        return "Reuters"
    if name == "20newsgroups":
        return str(obj.get("newsgroup") or "Usenet")
    return "AG News" if name == "ag_news_test" else "BBC News"


def _records(name: str) -> Iterator[dict]:
    """The usable records of one collection as output objects (copy 1)."""
    prefix = COLLECTIONS[name]
    with open(DATA / name / "corpus.jsonl", encoding="utf-8") as handle:
        for line in handle:
            obj = json.loads(line)
            text = str(obj.get("text") or "").strip()
            if not text:
                continue
            oid = str(obj["id"])
            record = {"id": oid if oid.startswith(f"{prefix}-") else f"{prefix}-{oid}",
                      "title": str(obj.get("title") or "").strip(), "text": text, "source": _source(name, obj)}
            if obj.get("date"):
                record["date"] = obj["date"]
            yield record


def _counts() -> dict[str, int]:
    return {name: sum(1 for _ in _records(name)) for name in COLLECTIONS}


def _one_pass(counts: dict[str, int]) -> Iterator[dict]:
    """All usable records once, interleaved: the next record comes from the collection that has
    given the smallest share of its records so far (ties in COLLECTIONS order)."""
    streams = {name: _records(name) for name in counts if counts[name]}
    taken = dict.fromkeys(streams, 0)
    while streams:
        name = min(streams, key=lambda n: ((taken[n] + 0.5) / counts[n], list(COLLECTIONS).index(n)))
        record = next(streams[name], None)
        if record is None:
            del streams[name]
            continue
        taken[name] += 1
        yield record


def iter_corpus(size: int) -> Iterator[dict]:
    """The first ``size`` articles of the benchmark corpus."""
    counts = _counts()
    if not sum(counts.values()):
        return
    produced, copy = 0, 1
    while produced < size:
        for record in _one_pass(counts):
            if produced >= size:
                return
            if copy > 1:
                record = {**record, "id": f"{record['id']}#{copy}",
                          "title": f"{record['title']} ({copy})".strip()}
            produced += 1
            yield record
        copy += 1


def make_corpus(out_path: str | Path, size: int) -> dict[str, int]:
    """Write the first ``size`` articles to ``out_path`` (JSON lines); returns counts per source collection."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    per: dict[str, int] = {}
    with open(out_path, "w", encoding="utf-8") as out:
        for record in iter_corpus(size):
            prefix = record["id"].split("-", 1)[0]
            per[prefix] = per.get(prefix, 0) + 1
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return per


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the JSON-lines file to write")
    parser.add_argument("--size", type=int, default=50_000, help="number of articles (default 50,000)")
    args = parser.parse_args()
    missing = data_missing()
    if missing:
        print(f"{missing[0]} not found: no corpus to make ({len(missing)} collection(s) missing)")
        return 0
    per = make_corpus(args.out, args.size)
    print(f"wrote {sum(per.values()):,} articles to {args.out}: "
          + ", ".join(f"{k} {v:,}" for k, v in per.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
