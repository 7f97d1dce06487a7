"""Static (model2vec) encoders: a token-embedding table, no transformer.

A text's vector is the mean of its tokens' rows, as model2vec's ``StaticModel.encode`` computes it
(no special tokens, unknown tokens dropped, truncation to ``max_length`` tokens), then L2-normalised.
Only ``tokenizers``, ``safetensors`` and numpy are imported: no torch, no model2vec, so a search
with a static model starts in a fraction of a second. Build such a model with
:func:`indexer.distill.distill`.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelLoadError
from .vector_store import normalize_rows

CONFIG = "config.json"
WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
MODEL_TYPE = "model2vec"
DEFAULT_MAX_LENGTH = 512  # model2vec's default when the config names none
_CHUNK = 4096  # texts tokenized and pooled at once (bounds the gathered token rows in memory)
_MAX_CONFIG_BYTES = 1 << 20


def _safetensors_keys(path: Path) -> set[str]:
    """Tensor names in a safetensors file, from its header alone."""
    with path.open("rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        if size > 100_000_000:
            return set()
        header = json.loads(f.read(size))
    return {k for k in header if k != "__metadata__"} if isinstance(header, dict) else set()


def is_static_model(path: str) -> bool:
    """Whether ``path`` is a model2vec model folder (``config.json`` with ``model_type`` model2vec,
    ``model.safetensors`` and ``tokenizer.json``). Never raises; anything else gives False.

    A config with no ``model_type`` counts when the weights hold an ``embeddings`` table; a
    sentence-transformers or transformers folder (``model_type`` bert, ...) does not.
    """
    try:
        folder = Path(path)
        if not all((folder / name).is_file() for name in (CONFIG, WEIGHTS, TOKENIZER)):
            return False
        if (folder / CONFIG).stat().st_size > _MAX_CONFIG_BYTES:
            return False
        config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        if not isinstance(config, dict):
            return False
        if "model_type" in config:
            return config["model_type"] == MODEL_TYPE
        return "embeddings" in _safetensors_keys(folder / WEIGHTS)
    except Exception:  # noqa: BLE001 - unreadable, not JSON, not a path...: not a static model
        return False


def _unk_token_id(tokenizer: Any) -> int | None:
    """The id of the unknown token, which model2vec drops (as its ``_get_unk_token_id``)."""
    model = tokenizer.model
    if hasattr(model, "unk_token"):  # WordPiece, BPE, WordLevel
        token = model.unk_token
        return None if token is None else tokenizer.token_to_id(token)
    unk = json.loads(tokenizer.to_str())["model"].get("unk_id")  # Unigram
    return None if unk is None else int(unk)


class StaticEncoder:
    """A model2vec model folder loaded with numpy: mean of token embeddings, unit-length rows.

    A text with no known token (empty, or only unknown tokens), which model2vec maps to a zero
    row, gets the unit vector of the unknown token's row instead (or the first axis), so that
    every stored vector is unit length, like a transformer's.
    """

    def __init__(self, name: str, path: str, local_path: str) -> None:
        self.name = name
        self.path = path
        folder = Path(local_path)
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelLoadError(f"static models need tokenizers and safetensors: {exc}") from exc
        try:
            config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
            tensors = load_file(str(folder / WEIGHTS))
            self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        except Exception as exc:  # OSError, JSON, safetensors and tokenizers errors: all "cannot load"
            raise ModelLoadError(f"cannot load the static model at {folder}: {exc}".splitlines()[0]) from exc
        if not isinstance(config, dict) or "embeddings" not in tensors:
            raise ModelLoadError(f"{folder / WEIGHTS} holds no 'embeddings' table")
        embeddings = tensors["embeddings"]
        if embeddings.ndim != 2 or not embeddings.shape[1]:
            raise ModelLoadError(f"the embeddings of {folder} have shape {embeddings.shape}, not (tokens, dim)")
        # float16 and int8 tables are pooled in float32 (model2vec pools int8 so too).
        self.embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        self.weights = tensors.get("weights")
        self.mapping = tensors.get("mapping")
        vocab_size = self.tokenizer.get_vocab_size(with_added_tokens=True)
        rows_needed = vocab_size if self.mapping is None else len(self.mapping)
        if self.mapping is None and len(self.embeddings) != vocab_size:
            raise ModelLoadError(f"{folder}: {vocab_size} tokens but {len(self.embeddings)} embeddings")
        if self.weights is not None and len(self.weights) < rows_needed:
            raise ModelLoadError(f"{folder}: fewer token weights than tokens")
        if self.mapping is not None:
            self.mapping = self.mapping.astype(np.int64)
            if len(self.mapping) < vocab_size or self.mapping.max(initial=0) >= len(self.embeddings):
                raise ModelLoadError(f"{folder}: the token mapping does not fit the embeddings")
        if self.weights is not None:
            self.weights = self.weights.astype(np.float32)
        self.dim = int(self.embeddings.shape[1])

        max_length = config.get("max_length", DEFAULT_MAX_LENGTH)
        self.max_length = int(max_length) if max_length else None
        self.tokenizer.no_padding()
        if self.max_length is None:
            self.tokenizer.no_truncation()
        else:
            self.tokenizer.enable_truncation(self.max_length)
        tokens = sorted(self.tokenizer.get_vocab(with_added_tokens=True).items(), key=lambda kv: kv[1])
        # model2vec cuts texts to max_length * median token length characters before tokenizing.
        median = int(np.median([len(t) for t, _ in tokens])) if tokens else 1
        self.max_chars = None if self.max_length is None else self.max_length * median
        self.unk_id = _unk_token_id(self.tokenizer)
        self.fallback = self._fallback_row()

    def _fallback_row(self) -> np.ndarray:
        """The unit vector given to texts with no known token."""
        if self.unk_id is not None and 0 <= self.unk_id < self.tokenizer.get_vocab_size(with_added_tokens=True):
            row = self._rows([self.unk_id])[0]
            if np.linalg.norm(row) > 1e-6:
                return normalize_rows(row[None, :])[0]
        axis = np.zeros(self.dim, dtype=np.float32)
        axis[0] = 1.0
        return axis

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text, as model2vec's ``StaticModel.tokenize`` (after its character cut)."""
        if self.max_chars is not None:
            texts = [t[:self.max_chars] for t in texts]
        encode = getattr(self.tokenizer, "encode_batch_fast", self.tokenizer.encode_batch)
        ids = [e.ids for e in encode(list(texts), add_special_tokens=False)]
        if self.unk_id is not None:
            ids = [[i for i in row if i != self.unk_id] for row in ids]
        return ids

    def _rows(self, ids: list[int]) -> np.ndarray:
        """The (remapped, weighted) embedding rows of some token ids."""
        if self.mapping is None and self.weights is None:
            return self.embeddings.take(ids, axis=0)
        index = np.asarray(ids, dtype=np.int64)
        rows = self.embeddings.take(index if self.mapping is None else self.mapping[index], axis=0)
        return rows if self.weights is None else rows * self.weights[index][:, None]

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Encode texts into unit-length float32 rows of shape ``(len(texts), dim)``.

        ``batch_size`` is accepted for the Encoder protocol; static pooling has no use for it.
        The direction of the mean is that of the sum, so rows are summed, then normalised.
        """
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for begin in range(0, len(texts), _CHUNK):
            for row, ids in enumerate(self.tokenize(texts[begin:begin + _CHUNK]), begin):
                if ids:  # a loop of per-text sums is ~10x faster than one np.add.reduceat
                    np.add.reduce(self._rows(ids), axis=0, out=out[row])
                else:
                    out[row] = self.fallback
        out[np.linalg.norm(out, axis=1) < 1e-12] = self.fallback  # rows that cancel out
        return normalize_rows(out)
