"""Score the article cleaner on the news-html benchmark (word 4-gram shingle P / R / F1).

Usage (from the repository root):
    python bench/clean_quality.py [--data DIR] [--json OUT] [--pages] [--predictions FILE]

``--predictions`` scores a stored ``{id: {"articleBody": str | null}}`` file (another
extractor's output) instead of running newsdig's cleaner. Exits 0 with a message when the
data folder is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "news-html"

if str(ROOT) not in sys.path:  # so that `python bench/clean_quality.py` finds the packages
    sys.path.insert(0, str(ROOT))

from bench.shingle_metric import evaluate, page_counts  # noqa: E402


def load_truth(data: Path) -> dict[str, dict[str, str]]:
    """The ground truth: ``{id: {"articleBody": str, "url": str}}``."""
    with open(data / "ground-truth.json", encoding="utf8") as fh:
        truth: dict[str, dict[str, str]] = json.load(fh)
    return truth


def predict(data: Path, truth: dict[str, dict[str, str]]) -> dict[str, str]:
    """Run newsdig's HTML cleaner on every page of the benchmark."""
    from indexer.clean import clean_html

    out: dict[str, str] = {}
    for page_id in truth:
        with gzip.open(data / "html" / f"{page_id}.html.gz", "rt", encoding="utf8") as fh:
            out[page_id] = clean_html(fh.read()).body
    return out


def load_predictions(path: Path, ids: set[str]) -> dict[str, str]:
    """Read a stored prediction file; its id set must equal the truth's."""
    with open(path, encoding="utf8") as fh:
        raw = json.load(fh)
    if "output" in raw and "version" in raw:
        raw = raw["output"]
    if set(raw) != ids:
        raise SystemExit(f"error: {path} does not have the same page ids as the ground truth")
    return {k: (v or {}).get("articleBody") or "" for k, v in raw.items()}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark folder")
    parser.add_argument("--json", type=Path, help="also write the scores as JSON to this path")
    parser.add_argument("--pages", action="store_true", help="list per-page P / R, worst first")
    parser.add_argument("--predictions", type=Path, help="score this prediction file instead")
    args = parser.parse_args(argv)

    if not (args.data / "ground-truth.json").is_file():
        print(f"benchmark data not found at {args.data}; nothing to score")
        return 0
    truth = load_truth(args.data)
    if args.predictions:
        preds = load_predictions(args.predictions, set(truth))
    else:
        preds = predict(args.data, truth)
    ids = sorted(truth)
    scores = evaluate((truth[k]["articleBody"], preds[k]) for k in ids)

    if args.pages:
        rows = []
        for k in ids:
            tp, fp, fn = page_counts(truth[k]["articleBody"], preds[k])
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            rows.append((min(p, r), p, r, k, truth[k]["url"]))
        for _, p, r, k, url in sorted(rows):
            print(f"P={p:.3f} R={r:.3f} {k[:12]} {url[:90]}")
    print(f"pages:                  {scores.pages}")
    print(f"F1:                     {scores.f1:.4f}")
    print(f"precision:              {scores.precision:.4f}")
    print(f"recall:                 {scores.recall:.4f}")
    print(f"accuracy:               {scores.accuracy:.4f}")
    print(f"pages without shingles: {scores.empty_predictions}")
    if args.json:
        result = {
            "pages": scores.pages,
            "f1": scores.f1,
            "precision": scores.precision,
            "recall": scores.recall,
            "accuracy": scores.accuracy,
            "pages_without_shingles": scores.empty_predictions,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
