"""What token codes cost at index time and how close they stay to the model's token states.

    python bench/token_codes.py ../shared/data/cranfield [--rounds 2] [--sample 200] [--json out.json]

Builds the collection's corpus (a BEIR ``corpus.jsonl``, or any file ``newsdig index`` reads)
into fresh indexes with and without token codes (``--no-token-codes``), alternately, each build
in a child process of its own (``--rounds`` of each), and prints the build seconds, peak RSS,
the ratio of the medians (codes / no codes), and the disk the token files take against the
passage and sentence vectors. Then, on ``--sample`` passages of the last index with codes, the
mean and 5th-percentile cosine between each decoded token and the model's own state of it (the
numpy encoder, fp32, as the builds here: index_paths' defaults).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import peak_rss_mb, ratio, spawned, table, write_json


def build(corpus: str, index_dir: str, codes: bool) -> dict[str, Any]:
    """Index ``corpus`` with or without token codes (run with :func:`spawned`)."""
    from indexer.build import index_paths
    from indexer.settings import BuildSettings

    report = index_paths(index_dir, [corpus], settings=BuildSettings(token_codes=codes))
    return {"chunks": report.counts.chunks, "seconds": report.seconds, "peak_rss_mb": peak_rss_mb()}


def disk(index_dir: Path) -> dict[str, int]:
    """Bytes of the token files, the passage vectors and the sentence vectors of an index."""
    from indexer.layout import read_manifest, snapshot_path

    snap = snapshot_path(index_dir, read_manifest(index_dir).snapshot)
    groups = {"token codes": ("token_",), "passage vectors": ("vectors",), "sentence vectors": ("sentence_",)}
    return {name: sum(p.stat().st_size for p in snap.iterdir() if p.name.startswith(prefixes))
            for name, prefixes in groups.items()}


def fidelity(index_dir: Path, sample: int) -> dict[str, float]:
    """Cosine of decoded tokens with the model's states, over ``sample`` passages spread over the index."""
    import numpy as np

    from search.ranker import Searcher
    from search.rerank import passage_text

    cosines = []
    with Searcher(index_dir) as searcher:
        tokens = searcher.reader.tokens
        assert tokens is not None
        for d in np.linspace(0, tokens.documents - 1, min(sample, tokens.documents)).astype(int):
            (exact, _), = searcher.encoder.token_states([passage_text(searcher.reader, int(d))])  # type: ignore[attr-defined]
            decoded = tokens.states(int(d))
            if len(decoded) == len(exact):
                cosines.append((decoded * exact).sum(axis=1))
        trained = tokens.codebook.trained
    every = np.concatenate(cosines)
    return {"passages": len(cosines), "tokens": len(every), "mean": round(float(every.mean()), 4),
            "p5": round(float(np.percentile(every, 5)), 4), "codebook_tokens": trained}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("collection", type=Path, help="a BEIR folder (its corpus.jsonl) or a file to index")
    parser.add_argument("--rounds", type=int, default=2, help="builds of each kind (default 2)")
    parser.add_argument("--sample", type=int, default=200, help="passages compared with the model (default 200)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    corpus = args.collection / "corpus.jsonl" if args.collection.is_dir() else args.collection
    if not corpus.is_file():
        print(f"{corpus} not found: nothing to measure")
        return 0
    runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="newsdig-tokens-") as tmp:
        for n in range(args.rounds):
            for codes in (True, False):
                index_dir = Path(tmp) / f"{'codes' if codes else 'plain'}-{n}"
                runs[codes].append(spawned(build, str(corpus), str(index_dir), codes))
        sizes = disk(Path(tmp) / f"codes-{args.rounds - 1}")
        close = fidelity(Path(tmp) / f"codes-{args.rounds - 1}", args.sample)
    seconds = {codes: statistics.median(r["seconds"] for r in runs[codes]) for codes in runs}
    rss = {codes: max(r["peak_rss_mb"] for r in runs[codes]) for codes in runs}
    chunks = runs[True][0]["chunks"]
    print(f"{corpus}: {chunks} passages, {args.rounds} builds of each, alternating")
    print(table(["build", "median s", "peak RSS MiB"],
                [["with token codes", round(seconds[True], 1), rss[True]],
                 ["--no-token-codes", round(seconds[False], 1), rss[False]],
                 ["ratio", ratio(seconds[True], seconds[False]), ratio(rss[True], rss[False])]]))
    print(table(["files", "MiB", "bytes a passage"],
                [[name, round(size / 2**20, 1), round(size / max(chunks, 1))] for name, size in sizes.items()]))
    print(f"decoded tokens vs the model's ({close['passages']} passages, {close['tokens']} tokens, codebook "
          f"learned from {close['codebook_tokens']}): mean cosine {close['mean']}, 5th percentile {close['p5']}")
    write_json(args.json, {"corpus": str(corpus), "chunks": chunks, "seconds": {str(k): v for k, v in seconds.items()},
                           "peak_rss_mb": {str(k): v for k, v in rss.items()}, "disk": sizes, "fidelity": close})
    return 0


if __name__ == "__main__":
    sys.exit(main())
