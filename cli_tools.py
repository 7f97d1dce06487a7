"""The measuring and model commands: ``newsdig eval`` and ``newsdig distill``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

import cli_output as out
from cli_common import (DEFAULT_SUPPORT, DEFAULT_WEIGHT, FormatOption, Fusion, Mode, RerankOption, SupportOption,
                        output_format, progress_bar, run)


def eval_(
    collection: Annotated[Path, typer.Argument(help="A BEIR folder: corpus.jsonl, queries.jsonl, qrels.tsv.", show_default=False)],
    mode: Annotated[Optional[list[Mode]], typer.Option(help="Mode(s) to evaluate (repeatable; default: all three).")] = None,
    fusion: Annotated[Fusion, typer.Option(help="Fusion method of hybrid mode.")] = Fusion.convex,
    weight: Annotated[float, typer.Option(min=0.0, max=1.0, help="Semantic weight of convex fusion.")] = DEFAULT_WEIGHT,
    support: SupportOption = DEFAULT_SUPPORT,
    rerank: RerankOption = None,
    model: Annotated[Optional[str], typer.Option(help="Model folder for the index built here (default: the packaged all-MiniLM-L6-v2); a reused index keeps its own.")] = None,
    index_dir: Annotated[Optional[Path], typer.Option("--index-dir", help="Index to build or reuse for the corpus (default: a temporary one, deleted afterwards). NEWSDIG_INDEX is not read here, so an evaluation never writes into your archive's index.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per mode.")] = False,
    fmt: FormatOption = None,
) -> None:
    """Measure retrieval quality on a judged collection: nDCG@10, MRR@10 and Recall@100 per mode.

    Indexes the corpus (or reuses --index-dir), runs every judged query, and scores the ranked
    articles as trec_eval does (linear gain; every query in qrels counts, no result scores 0).
    """
    import tempfile

    from indexer.build import index_paths
    from search.evaluate import evaluate, load_collection
    from search.ranker import Searcher

    data = run(load_collection, collection)
    modes = [m.value for m in mode] if mode else ["keyword", "semantic", "hybrid"]
    with tempfile.TemporaryDirectory(prefix="newsdig-eval-") as tmp:
        directory = index_dir if index_dir is not None else Path(tmp) / "index"
        with progress_bar() as progress:
            report = run(index_paths, directory, [str(data.corpus)], progress=progress, model=model)
        for skip in report.skipped:
            typer.echo(f"newsdig: skipped {skip.where}: {skip.reason}", err=True)
        with run(Searcher, directory, model=model) as searcher:
            results = run(evaluate, searcher, data, modes, fusion_method=fusion.value, weight=weight,
                          support=support, rerank=rerank)
    form = output_format(fmt, as_json)
    if form == "text":
        lines = out.eval_lines(data.root.name, len(data.qrels), results, as_json=False)
    else:
        rows = [{"collection": data.root.name, "mode": m, "queries": len(data.qrels),
                 **{k: round(v, 4) for k, v in metrics.items()}} for m, metrics in results.items()]
        lines = out.table(rows, ["collection", "mode", "queries", "ndcg@10", "mrr@10", "recall@100"], form)
    typer.echo("\n".join(lines))


def distill(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the static model to (must not exist, or be empty).", show_default=False)],
    dims: Annotated[int, typer.Option(min=8, max=384, help="Vector dimension after PCA (384 keeps all; smaller is smaller and faster).")] = 256,
    overwrite: Annotated[bool, typer.Option(help="Replace a static model already in OUT_DIR.")] = False,
) -> None:
    """Make a fast static embedding model (model2vec) from the packaged all-MiniLM-L6-v2, offline.

    Every token of the model's vocabulary is embedded once (1-5 minutes); the table then embeds
    passages about 1,000x faster than the transformer, without torch, at clearly lower quality
    (hybrid nDCG@10 on scifact 0.650 vs 0.730; use --weight 0.3 with it). Index with
    `newsdig index --model OUT_DIR PATH...`. Needs `pip install -e '.[distill]'`.
    """
    from indexer.distill import distill as make

    typer.echo(f"Distilling {out_dir} (a few minutes)...", err=True)
    made = run(make, out_dir, pca_dims=dims, overwrite=overwrite)
    typer.echo(f"Distilled a {made.dim}-d static model of {made.vocab_size:,} tokens into {made.path} "
               f"in {made.seconds:.0f} s. Use it with: newsdig index --model {made.path} PATH...")
