"""Indexing speed: a fresh index of the first N benchmark articles, seconds per stage, and the
baselines of the same run (raw SentenceTransformer encode of the same passages; bm25s, tantivy).

    python bench/indexing.py [--size 2000] [--device cpu] [--precision fp32] [--cli] [--json out.json]

The corpus is bench/corpus.py's (reuters21578 + 20newsgroups + ag_news_test + bbc_news from
../shared/data, repeated with distinct ids past ~48k articles). The build runs in-process through
``indexer.build.index_paths`` in a child process of its own (its peak RSS is the build's), with
the functions of each stage wrapped by timers: read (input files), clean (make_article, site
chrome), chunk (chunk_text), keyword write (Whoosh writer of the passage index: add_document,
which also analyses the text, and commit), article store (the Whoosh article index), model load
(load_encoder, which imports torch), embed (the encoder's encode or encode_with_sentences, on whichever thread runs it),
embed wait (the main thread waiting for the encoder thread, when there is one), vector write
(vector spool, alignment, VectorStore files). Timers count exclusive time per thread; "other" is
the main thread's untimed time. Hooks that the code no longer has are reported, not fatal.

Baselines, each over exactly the passage texts the index holds (read back from it, and checked
against the texts the encoder was given): raw ``SentenceTransformer(model).encode(texts,
batch_size=64)`` in fp32 in its own fresh process, the floor for indexing: the headline figure is
newsdig's total / that encode time (target <= 1.15), with CPU seconds beside it (steadier on a
shared machine); bm25s (and tantivy, when installed) indexing of the BM25F texts (headline twice,
then the passage), against the keyword write stage. ``--keep DIR`` leaves the index for
``bench/query.py --index-dir DIR``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    StageTimer,
    baselines,
    embed_texts,
    hook,
    keyword_texts,
    passages,
    peak_rss_mb,
    ratio,
    run_cold,
    spawned,
    table,
    texts_digest,
    write_json,
)
from corpus import make_corpus, nothing_to_measure

STAGES = ("read", "clean", "chunk", "keyword_write", "article_store", "model_load", "embed", "embed_wait",
          "vector_write")


def _instrument(timer: StageTimer, encoded: list[int]) -> dict[str, list[str]]:
    """Wrap the functions of each stage (in this child process only); returns the hooks found per stage."""
    from whoosh import writing

    from indexer import build, embed, embed_queue, site_chrome, update, vector_store

    class TimedReader(build.InputReader):
        def __iter__(self):  # type: ignore[no-untyped-def]
            items = super().__iter__()
            while True:
                try:
                    item = timer.call("read", next, items)
                except StopIteration:
                    return
                yield item

    build.InputReader = TimedReader
    which = lambda w: "article_store" if getattr(w, "indexname", "") == "articles" else "keyword_write"
    hooks: list[tuple[Any, str, Any, str]] = [
        (build, "make_article", "clean", "make_article"),
        (site_chrome.SiteChrome, "observe", "clean", "SiteChrome.observe"),
        (site_chrome.SiteChrome, "strip", "clean", "SiteChrome.strip"),
        (update, "chunk_text", "chunk", "chunk_text"),
        (embed_queue.EmbedQueue, "wait", "embed_wait", "EmbedQueue.wait")]
    writers = [writing.SegmentWriter]
    try:
        from whoosh.multiproc import MpWriter
        writers.append(MpWriter)
    except ImportError:
        pass
    hooks += [(cls, name, which, f"{cls.__name__}.{name}") for cls in writers
              for name in ("add_document", "commit", "delete_by_term")]
    hooks += [(update, "chunk_ids_by_docnum", "vector_write", "chunk_ids_by_docnum"),
              (update, "write_aligned", "vector_write", "write_aligned")]
    for cls in (getattr(vector_store, "VectorStore", None), getattr(vector_store, "NewVectors", None)):
        if cls is not None:
            hooks += [(cls, name, "vector_write", f"{cls.__name__}.{name}")
                      for name in ("realigned", "save", "append", "read")]
    found: dict[str, list[str]] = {}
    for owner, name, stage, label in hooks:
        if hook(timer, owner, name, stage):
            key = "keyword_write/article_store" if callable(stage) else stage
            found.setdefault(key, []).append(label)
    load = embed.load_encoder

    def timed_load(*args: Any, **kwargs: Any) -> Any:
        encoder = timer.call("model_load", load, *args, **kwargs)
        if not getattr(encoder, "_bench_wrapped", False):
            original = encoder.encode

            def counted(method: Any) -> Any:
                def call(texts: Any, *a: Any, **k: Any) -> Any:
                    encoded[0] += len(texts)  # a count and a digest: keeping the texts would add to the peak RSS
                    encoded[1] = texts_digest(texts, encoded[1])
                    return timer.call("embed", method, texts, *a, **k)
                return call
            encoder.encode = counted(original)
            with_sentences = getattr(encoder, "encode_with_sentences", None)
            if with_sentences is not None:  # passages and their sentences in one forward pass
                encoder.encode_with_sentences = counted(with_sentences)
            encoder._bench_wrapped = True
        return encoder
    embed.load_encoder = timed_load
    found["read"], found["model_load"] = ["InputReader"], ["load_encoder"]
    found["embed"] = ["Encoder.encode", "encode_with_sentences"]
    return found


def build_child(corpus: str, index_dir: str, options: dict[str, str]) -> dict[str, Any]:
    """Index ``corpus`` into ``index_dir`` with the stage timers on; runs in a fresh process."""
    from indexer.build import index_paths

    timer, encoded = StageTimer(), [0, 0]
    hooks = _instrument(timer, encoded)
    accepted = inspect.signature(index_paths).parameters
    kwargs = {k: v for k, v in options.items() if k in accepted}
    started, cpu = time.perf_counter(), time.process_time()
    report = index_paths(index_dir, [corpus], **kwargs)
    total, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"total_seconds": total, "cpu_seconds": cpu, "articles": report.counts.added,
            "chunks": report.counts.chunks, "skipped": len(report.skipped), "duplicates": len(report.counts.duplicates),
            "stage_seconds": dict(timer.seconds), "stage_calls": dict(timer.calls), "options_passed": kwargs,
            "stage_threads": {k: sorted(v) for k, v in timer.threads.items()}, "thread_busy": dict(timer.busy),
            "options_ignored": sorted(set(options) - set(kwargs)), "hooks": hooks, "encoded_texts": encoded[0],
            "encoded_digest": encoded[1], "peak_rss_mb": peak_rss_mb()}


def raw_encode_child(texts_file: str, model_path: str, device: str, batch: int) -> dict[str, Any]:
    """The floor: load the model and encode the texts with plain sentence-transformers, fp32."""
    imported = time.perf_counter()
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    imported = time.perf_counter() - imported
    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    started = time.perf_counter()
    model = SentenceTransformer(model_path, device=device, local_files_only=True)
    loaded, cpu = time.perf_counter(), time.process_time()
    model.encode(texts, batch_size=batch, show_progress_bar=False)
    done, cpu = time.perf_counter(), time.process_time() - cpu
    return {"import_seconds": imported, "load_seconds": loaded - started, "encode_seconds": done - loaded,
            "encode_cpu_seconds": cpu, "device": device, "threads": torch.get_num_threads(), "peak_rss_mb": peak_rss_mb()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2000, help="articles to index (default 2,000)")
    parser.add_argument("--corpus", type=Path, help="index this JSON-lines file instead of making the corpus")
    parser.add_argument("--device", help="passed to index_paths (and the raw encode) when given")
    parser.add_argument("--precision", help="passed to index_paths when given (the raw encode stays fp32)")
    parser.add_argument("--batch", type=int, default=64, help="batch size of the raw encode (default 64)")
    parser.add_argument("--cli", action="store_true", help="also time a cold `newsdig index` of the same corpus")
    parser.add_argument("--no-tantivy", action="store_true")
    parser.add_argument("--keep", type=Path, help="leave the index here (default: removed)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.corpus is None and nothing_to_measure():
        return 0
    work = Path(tempfile.mkdtemp(prefix="newsdig-bench-index-"))
    try:
        return _run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, work: Path) -> int:
    corpus = args.corpus or work / "corpus.jsonl"
    if args.corpus is None:
        make_corpus(corpus, args.size)
    index_dir = args.keep or work / "index"
    if args.keep and args.keep.exists():
        print(f"{args.keep} exists: give --keep a new folder")
        return 2
    options = {k: v for k, v in (("device", args.device), ("precision", args.precision)) if v}
    print(f"indexing {corpus} into {index_dir} ...", flush=True)
    built = spawned(build_child, str(corpus), str(index_dir), options)
    for name in built["options_ignored"]:
        print(f"note: index_paths takes no {name!r} argument yet: --{name} was not passed")

    from indexer.embed import resolve_model_path
    from indexer.layout import read_manifest
    rows, settings = passages(index_dir)
    embedded, scored = embed_texts(rows, settings), keyword_texts(rows, settings)
    same = texts_digest(embedded) == built["encoded_digest"]
    texts_file = work / "texts.json"
    texts_file.write_text(json.dumps(embedded), encoding="utf-8")
    model_path = resolve_model_path(read_manifest(index_dir).model.path)
    print(f"raw encode of the same {len(embedded):,} passages ...", flush=True)
    raw = spawned(raw_encode_child, str(texts_file), model_path, args.device or "cpu", args.batch)

    keyword: dict[str, Any] = {}
    found, missing = baselines(work, args.no_tantivy)
    for engine in found:
        print(f"{engine.name} indexing of the same passages ...", flush=True)
        keyword[engine.name] = {"index_seconds": engine.build(scored)}
    cli = None
    if args.cli:
        print("cold `newsdig index` ...", flush=True)
        extra = [a for k, v in options.items() for a in (f"--{k}", v)]
        cli = run_cold(["index", str(corpus), "--index-dir", str(work / "cli-index"), *extra])

    stages = {s: round(built["stage_seconds"].get(s, 0.0), 3) for s in STAGES}
    total = built["total_seconds"]
    stages["other"] = round(total - built["thread_busy"].get("main", 0.0), 3)  # untimed main-thread time
    threads = {**built["stage_threads"], "other": ["main"]}
    rate = lambda n: round(n / total, 1) if total else None
    enc = raw["encode_seconds"]
    summary: dict[str, Any] = {
        "articles": built["articles"], "chunks": built["chunks"], "skipped": built["skipped"],
        "duplicates": built["duplicates"], "total_seconds": round(total, 3), "cpu_seconds": round(built["cpu_seconds"], 3),
        "articles_per_s": rate(built["articles"]), "chunks_per_s": rate(built["chunks"]),
        "stage_seconds": stages, "stage_share": {s: round(v / total, 4) for s, v in stages.items()},
        "stage_threads": threads, "thread_busy_seconds": {k: round(v, 3) for k, v in built["thread_busy"].items()},
        "stage_calls": built["stage_calls"], "options": built["options_passed"], "options_ignored": built["options_ignored"],
        "peak_rss_mb": built["peak_rss_mb"], "hooks": built["hooks"],
        "stages_not_found": [k for k in ("clean", "chunk", "keyword_write/article_store", "vector_write")
                             if not built["hooks"].get(k)],
        "raw_encode": {**{k: round(v, 3) if isinstance(v, float) else v for k, v in raw.items()},
                       "batch_size": args.batch, "precision": "fp32", "texts": len(embedded),
                       "same_texts_as_index": same, "texts_encoded_by_newsdig": built["encoded_texts"]},
        "ratio_total_to_raw_encode": ratio(total, enc),
        "ratio_cpu_total_to_raw_encode": ratio(built["cpu_seconds"], raw["encode_cpu_seconds"]),
        "ratio_total_to_raw_import_load_encode": ratio(total, raw["import_seconds"] + raw["load_seconds"] + enc),
        "ratio_embed_stage_to_raw_encode": ratio(stages["embed"], enc),
        "keyword_baselines": {name: {"index_seconds": round(v["index_seconds"], 3),
                                     "ratio_keyword_write_to_it": ratio(stages["keyword_write"], v["index_seconds"])}
                              for name, v in keyword.items()},
        "baselines_missing": missing,
        "cli": None if cli is None else {"seconds": round(cli["seconds"], 3), "rss_mb": cli["rss_mb"], "rc": cli["rc"],
                                         "ratio_to_raw_encode": ratio(cli["seconds"], enc)},
    }
    _print(summary, cli)
    write_json(args.json, summary)
    return 0


def _print(s: dict[str, Any], cli: dict[str, Any] | None) -> None:
    raw = s["raw_encode"]
    print(f"\nnewsdig index: {s['articles']:,} articles, {s['chunks']:,} passages in {s['total_seconds']:.2f} s "
          f"({s['articles_per_s']} articles/s, {s['chunks_per_s']} passages/s; {s['cpu_seconds']:.1f} CPU s; "
          f"{s['duplicates']} duplicates, {s['skipped']} skipped), peak RSS {s['peak_rss_mb']:,.0f} MiB"
          + (f", options {s['options']}" if s["options"] else ""))
    print(table(["stage", "seconds", "share %", "ms/article", "thread"],
                [[k.replace("_", " "), v, 100 * s["stage_share"][k], 1000 * v / max(s["articles"], 1),
                  ",".join(s["stage_threads"].get(k, []))] for k, v in s["stage_seconds"].items()]))
    if any(t != "main" for ts in s["stage_threads"].values() for t in ts):
        print("(stages on other threads overlap the main thread's: shares are of the wall time and may sum past 100%;"
              " 'embed wait' is the main thread waiting for the encoder; 'other' is untimed main-thread time)")
    print(f"\nbaselines over the same {raw['texts']:,} passages (same texts as the index: {raw['same_texts_as_index']}):")
    rows = [[f"raw encode fp32 ({raw['device']}, batch {raw['batch_size']}, {raw['threads']} threads)",
             raw["encode_seconds"], "newsdig total / it", s["ratio_total_to_raw_encode"]],
            ["raw encode CPU seconds (all threads)", raw["encode_cpu_seconds"], "newsdig CPU s / it",
             s["ratio_cpu_total_to_raw_encode"]],
            ["raw import torch + load model", raw["import_seconds"] + raw["load_seconds"],
             "total / (import + load + encode)", s["ratio_total_to_raw_import_load_encode"]],
            ["(newsdig embed stage)", s["stage_seconds"]["embed"], "embed stage / raw encode",
             s["ratio_embed_stage_to_raw_encode"]]]
    for name, v in s["keyword_baselines"].items():
        rows.append([f"{name} indexing", v["index_seconds"], "keyword write / it", v["ratio_keyword_write_to_it"]])
    if cli is not None:
        rows.append(["cold `newsdig index` (CLI)", s["cli"]["seconds"], "CLI / raw encode", s["cli"]["ratio_to_raw_encode"]])
    print(table(["baseline", "seconds", "ratio", "x"], rows))
    for stage in s["stages_not_found"]:
        print(f"note: no function to time for stage {stage!r} was found: its time is in 'other'")
    for name, why in s["baselines_missing"].items():
        print(f"{name}: {why}")
    if cli is not None and cli["rc"] != 0:
        print(f"warning: `newsdig index` exited {cli['rc']}: {cli['tail'].strip()[-200:]}")
    verdict = "meets" if (s["ratio_total_to_raw_encode"] or 99) <= 1.15 else "misses"
    print(f"\nheadline: newsdig index / raw fp32 encode = {s['ratio_total_to_raw_encode']} "
          f"({verdict} the target <= 1.15); raw encode peak RSS {raw['peak_rss_mb']:,.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
