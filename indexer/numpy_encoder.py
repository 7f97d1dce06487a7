"""A numpy-only BERT encoder for sentence-transformers models of the MiniLM kind.

Queries must be fast from a cold start, and importing torch + transformers costs seconds. For
models that are a plain BERT with mean pooling (all-MiniLM-L6-v2 and its family), this module runs
the same forward pass with numpy on the model's own ``model.safetensors`` (memory-mapped) and
``tokenizer.json`` (the ``tokenizers`` library), giving the same vectors as sentence-transformers
in fp32 (cosine > 0.99999; checked by a test). Other models use sentence-transformers.
"""

from __future__ import annotations

import contextlib
import json
import math
import mmap
import os
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .bert_outputs import (
    TokenSink,
    late_pooled,
    mean_pool,
    pooled_and_tokens,
    token_states,
)

_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "BF16": np.uint16}


class UnsupportedModel(Exception):
    """The model is not a plain BERT with mean pooling; use sentence-transformers."""


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UnsupportedModel(f"cannot read {path.name}: {exc}") from exc


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a ``.safetensors`` file as numpy arrays over a read-only memory map."""
    with open(path, "rb") as handle:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    base = 8 + size
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise UnsupportedModel(f"tensor dtype {info['dtype']} is not supported")
        array = np.frombuffer(data, dtype=dtype, count=(end - start) // np.dtype(dtype).itemsize,
                              offset=base + start).reshape(info["shape"])
        if info["dtype"] == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        elif not array.flags.aligned or info["dtype"] == "F16":
            array = array.astype(np.float32)  # BLAS needs aligned float32 operands
        tensors[name] = array
    return tensors


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


_ERFC_COEFFS = (0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806,
                0.09678418, 0.37409196, 1.00002368)


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to ~1.2e-7 (Numerical Recipes erfc, Chebyshev fit): below float32 resolution.

    Computed in place on two buffers: on (tokens × 1536) arrays the temporaries of a plain
    expression cost more than the matrix products.
    """
    z = np.abs(x)
    t = np.multiply(z, 0.5, dtype=np.float32)
    t += 1.0
    np.reciprocal(t, out=t)
    p = np.full_like(t, _ERFC_COEFFS[0])
    for c in _ERFC_COEFFS[1:]:
        p *= t
        p += c
    p *= t
    p -= 1.26551223
    z *= z
    p -= z
    np.exp(p, out=p)
    p *= t
    np.subtract(1.0, p, out=p)
    p *= np.sign(x)
    return p


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


_THREADPOOLS: list = []


def _one_blas_thread():  # noqa: ANN202 - a context manager
    """Limit BLAS to one thread for the block (no-op when threadpoolctl is missing)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    if not _THREADPOOLS:
        _THREADPOOLS.append(ThreadpoolController())
    return _THREADPOOLS[0].limit(limits=1, user_api="blas")


class BertModel:
    """A sentence-transformers model folder holding a plain BERT with mean pooling: its config,
    tokenizer (the ``tokenizers`` library) and weights (memory-mapped, names without ``bert.``).

    Raises :class:`UnsupportedModel` for anything else; shared by the numpy and torch encoders.
    """

    def __init__(self, local_dir: str | os.PathLike[str]) -> None:
        root = Path(local_dir)
        config = _read_json(root / "config.json")
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu" \
                or config.get("position_embedding_type", "absolute") != "absolute":
            raise UnsupportedModel("not a plain BERT model")
        modules = _read_json(root / "modules.json")
        kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
        if kinds[:2] != ["Transformer", "Pooling"] or any(k not in ("Normalize",) for k in kinds[2:]):
            raise UnsupportedModel(f"unsupported module stack {kinds}")
        pooling = _read_json(root / modules[1].get("path", "1_Pooling") / "config.json")
        if not pooling.get("pooling_mode_mean_tokens") or any(
                pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                         "pooling_mode_mean_sqrt_len_tokens")):
            raise UnsupportedModel("only mean pooling is supported")
        st_config = _read_json(root / "sentence_bert_config.json") if (root / "sentence_bert_config.json").exists() else {}
        weights_path = root / "model.safetensors"
        if not weights_path.exists():
            raise UnsupportedModel("no model.safetensors")
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - tokenizers comes with sentence-transformers
            raise UnsupportedModel("the tokenizers library is missing") from exc
        self.max_len = int(st_config.get("max_seq_length") or config.get("max_position_embeddings", 512))
        self.tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_len)
        weights = load_safetensors(weights_path)
        self.weights = {k.removeprefix("bert."): v for k, v in weights.items()}
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dim = int(config["hidden_size"])
        if "embeddings.word_embeddings.weight" not in self.weights:
            raise UnsupportedModel("unexpected weight names")

    def tokenize(self, texts: Sequence[str]) -> tuple[list, list[int]]:
        """Encodings of ``texts`` and the order that batches them by length (longest first)."""
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        return encodings, order

    @staticmethod
    def padded(encodings: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Token ids, token types (int64) and the real-token mask (bool) of a batch, padded with
        zeros to its longest text."""
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), length), dtype=np.int64)
        types = np.zeros_like(ids)
        mask = np.zeros((len(encodings), length), dtype=bool)
        for row, enc in enumerate(encodings):
            ids[row, :len(enc.ids)] = enc.ids
            types[row, :len(enc.type_ids)] = enc.type_ids
            mask[row, :len(enc.ids)] = True
        return ids, types, mask


class NumpyBertEncoder:
    """Mean-pooled, L2-normalised BERT sentence embeddings computed with numpy."""

    def __init__(self, name: str, path: str, local_dir: str | os.PathLike[str]) -> None:
        self.name, self.path = name, path
        model = BertModel(local_dir)
        self.tokenizer, self.w = model.tokenizer, model.weights
        self.max_len, self.heads, self.layers, self.eps, self.dim = (
            model.max_len, model.heads, model.layers, model.eps, model.dim)
        self._model = model

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Encode texts into unit-length float32 rows (batched by similar length).

        BLAS runs single-threaded here: the matrices of a query or a few sentences are small,
        and OpenBLAS's thread hand-offs cost more than they save (on a busy 2-core machine one
        query took 277 ms with its default threads and 20 ms with one).
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with _one_blas_thread():
            return self._encode(texts, batch_size)

    def _encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        encodings, order = self._model.tokenize(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            states, mask = self._forward([encodings[i] for i in batch])
            out[batch] = mean_pool(states, mask)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def encode_with_sentences(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], *,
                              batch_size: int = 32, on_tokens: TokenSink | None = None,
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Passage vectors plus each sentence's vector pooled from the same forward pass
        (see :mod:`indexer.sentence_store`): ``(vectors, sentence vectors, sentences per text)``;
        ``on_tokens`` receives token states (see :func:`late_pooled`)."""
        with _one_blas_thread():
            return late_pooled(self._model, self._forward, texts, spans, batch_size, on_tokens)

    def token_states(self, texts: Sequence[str]) -> list[tuple[np.ndarray, list[str]]]:
        """Unit token states and word pieces of each text (BLAS threads as numpy sets them: a few
        whole passages are large enough to gain from them)."""
        return token_states(self._model, self._forward, texts)

    def encode_with_tokens(self, texts: Sequence[str]) -> tuple[np.ndarray, list[tuple[np.ndarray, list[str]]]]:
        """Unit vectors plus :meth:`token_states` of short texts (queries) from one forward pass."""
        with _one_blas_thread():
            return pooled_and_tokens(self._model, self._forward, texts)

    def _forward(self, encodings: list) -> tuple[np.ndarray, np.ndarray]:
        """Last-layer token states (batch × length × dim) and the real-token mask of a batch."""
        w = self.w
        ids, types, real = self._model.padded(encodings)
        length, mask = ids.shape[1], real.astype(np.float32)
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length][None]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        batch, head_dim = x.shape[0], self.dim // self.heads
        x = x.reshape(batch * length, self.dim)  # one GEMM per dense layer, not one per text
        bias = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)

        def dense(h: np.ndarray, name: str) -> np.ndarray:
            return h @ w[f"{name}.weight"].T + w[f"{name}.bias"]

        def split(h: np.ndarray) -> np.ndarray:
            return h.reshape(batch, length, self.heads, head_dim).transpose(0, 2, 1, 3)

        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            q = split(dense(x, f"{p}.attention.self.query"))
            k = split(dense(x, f"{p}.attention.self.key"))
            v = split(dense(x, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(head_dim)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, self.dim)
            x = _layer_norm(dense(context, f"{p}.attention.output.dense") + x,
                            w[f"{p}.attention.output.LayerNorm.weight"], w[f"{p}.attention.output.LayerNorm.bias"],
                            self.eps)
            hidden = _gelu(dense(x, f"{p}.intermediate.dense"))
            x = _layer_norm(dense(hidden, f"{p}.output.dense") + x,
                            w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"], self.eps)
        return x.reshape(batch, length, self.dim), real
