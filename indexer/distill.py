"""Distil a static (model2vec) embedding model from a sentence-transformers model, fully offline.

Each token of the source model's vocabulary goes once through the transformer; the pooled outputs,
reduced by PCA and weighted by SIF (Zipf-estimated frequencies), become a token-embedding table
that :class:`indexer.static_encoder.StaticEncoder` averages at run time without torch.

Needs the ``distill`` extra (model2vec and skeletoken); torch and transformers are already there.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .embed import DEFAULT_MODEL_PATH, resolve_model_path
from .errors import ModelLoadError
from .static_encoder import is_static_model

DEFAULT_PCA_DIMS = 256
DEFAULT_SIF_COEFFICIENT = 1e-4
QUANTIZE_TO = ("float16", "float32", "int8")
_INSTALL_HINT = "pip install 'newsdig[distill]' (model2vec and skeletoken)"


@dataclass(frozen=True)
class DistilledModel:
    """What :func:`distill` wrote."""

    path: str
    dim: int
    vocab_size: int
    seconds: float


def transformer_dir(source: Path) -> Path:
    """The folder holding the Hugging Face transformer of a sentence-transformers model.

    It is the model folder itself, or the path its ``modules.json`` gives the Transformer module.
    """
    try:
        modules = json.loads((source / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return source
    for module in modules if isinstance(modules, list) else []:
        if isinstance(module, dict) and str(module.get("type", "")).endswith(".Transformer"):
            return source / str(module.get("path") or "")
    return source


@contextlib.contextmanager
def _quiet(progress: bool) -> Iterator[None]:
    """Unless ``progress``, swallow what the libraries write to stderr (progress bars, notices)."""
    if progress:
        yield
        return
    with contextlib.redirect_stderr(io.StringIO()):
        yield


def _check_out_dir(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ModelLoadError(f"{out} exists and is not a folder", hint="give a new folder for the model")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise ModelLoadError(f"{out} exists and is not empty",
                                 hint="give a new folder, or --overwrite to replace a static model there")
        if not is_static_model(str(out)):
            raise ModelLoadError(f"{out} holds something other than a static model; not overwriting it")


def distill(out_dir: str | os.PathLike[str], *, source_path: str = DEFAULT_MODEL_PATH,
            pca_dims: int | str | None = DEFAULT_PCA_DIMS, sif_coefficient: float | None = DEFAULT_SIF_COEFFICIENT,
            quantize_to: str = "float16", device: str = "cpu", overwrite: bool = False,
            progress: bool = False) -> DistilledModel:
    """Distil the model at ``source_path`` (default: the packaged all-MiniLM-L6-v2) into ``out_dir``.

    ``pca_dims`` is the output dimension (``"auto"``: the source's, PCA-rotated; None: no PCA at
    all; on scifact and squad-a 256 is within 0.01 nDCG@10 of ``"auto"``, 384), ``sif_coefficient``
    the SIF weighting (None for none), ``quantize_to`` the stored dtype. Nothing is downloaded: the source
    must be a local folder. The folder is written under a temporary name and renamed at the end.
    Raises :class:`ModelLoadError` when the extra is missing, the source cannot be loaded, the
    options are invalid or ``out_dir`` is in the way.
    """
    started = time.perf_counter()
    if quantize_to not in QUANTIZE_TO:
        raise ModelLoadError(f"unknown dtype {quantize_to!r}", hint=f"use one of {', '.join(QUANTIZE_TO)}")
    if pca_dims is not None and pca_dims != "auto" and (not isinstance(pca_dims, int) or pca_dims < 1):
        raise ModelLoadError(f"pca_dims must be a positive integer, 'auto' or None, not {pca_dims!r}")
    if sif_coefficient is not None and not 0 < sif_coefficient < 1:
        raise ModelLoadError(f"sif_coefficient must be between 0 and 1, not {sif_coefficient}")
    out = Path(out_dir).expanduser().resolve()
    _check_out_dir(out, overwrite)
    source = Path(resolve_model_path(source_path)).expanduser()
    if not source.is_dir():
        raise ModelLoadError(f"no model folder at {source}", hint="models are never downloaded: give a local folder")
    hf_dir = transformer_dir(source)

    # Read when huggingface_hub is first imported; a local folder never needs the hub anyway.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        from model2vec.distill import distill as model2vec_distill  # imports torch and transformers
    except ImportError as exc:
        raise ModelLoadError(f"distilling needs model2vec's distill dependencies: {exc}", hint=_INSTALL_HINT) from exc

    with _quiet(progress):
        try:
            static = model2vec_distill(str(hf_dir), device=device, pca_dims=pca_dims,
                                       sif_coefficient=sif_coefficient, quantize_to=quantize_to)
        except Exception as exc:  # transformers, skeletoken and torch raise many kinds: all "cannot distil"
            raise ModelLoadError(f"cannot distil the model at {hf_dir}: {exc}".splitlines()[0]) from exc

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.distill-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        static.config["source_model"] = str(source_path)
        static.save_pretrained(tmp, model_name=out.name)
        umask = os.umask(0)
        os.umask(umask)
        for file in tmp.iterdir():  # safetensors writes its file 0600
            file.chmod(0o666 & ~umask)
        if out.exists():
            shutil.rmtree(out)  # _check_out_dir allowed only an empty folder or a static model
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelLoadError(f"cannot write the model to {out}: {exc}") from exc
    return DistilledModel(path=str(out), dim=int(static.dim), vocab_size=len(static.tokens),
                          seconds=time.perf_counter() - started)
