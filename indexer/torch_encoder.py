"""The indexing encoder for plain BERT models (all-MiniLM-L6-v2 and its family): the forward
pass of :mod:`indexer.numpy_encoder` written with torch operators.

``import sentence_transformers`` pulls in transformers, scikit-learn and scipy: 7-10 s on a
2-core machine before the first passage is embedded, about 8 % of indexing 1,000 articles. This
encoder imports torch alone (~2 s), reads the model's own ``model.safetensors`` and
``tokenizer.json``, and computes the same vectors as sentence-transformers (cosine > 0.99999,
checked by a test) at the same speed. Other models use sentence-transformers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from .bert_outputs import TokenSink, late_pooled, mean_pool, token_states
from .numpy_encoder import BertModel, UnsupportedModel
from .vector_store import normalize_rows

__all__ = ["TorchBertEncoder", "UnsupportedModel"]


class TorchBertEncoder:
    """Mean-pooled, L2-normalised BERT sentence embeddings computed with torch on the CPU.

    ``precision`` ``bf16`` runs the matrix products under torch's CPU autocast (only worth it
    where the CPU has native bf16, see :func:`indexer.embed.cpu_has_bf16`).
    """

    def __init__(self, name: str, path: str, local_dir: str | os.PathLike[str], *,
                 precision: str = "fp32") -> None:
        import torch  # lazy: only indexing pays for it

        self.name, self.path, self.precision, self.device = name, path, precision, "cpu"
        model = BertModel(local_dir)
        self._model, self.dim, self._torch = model, model.dim, torch
        w = {key: torch.from_numpy(np.array(value, dtype=np.float32)) for key, value in model.weights.items()}
        self._w = w
        self._qkv = []  # one (weight, bias) per layer: query, key and value in one matrix product
        for i in range(model.layers):
            p = f"encoder.layer.{i}.attention.self"
            self._qkv.append((torch.cat([w[f"{p}.{n}.weight"] for n in ("query", "key", "value")]),
                              torch.cat([w[f"{p}.{n}.bias"] for n in ("query", "key", "value")])))

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Encode texts into unit-length float32 rows (batched by similar length)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        torch = self._torch
        encodings, order = self._model.tokenize(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16,
                                                    enabled=self.precision == "bf16"):
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                out[batch] = mean_pool(*self._forward([encodings[i] for i in batch]))
        return normalize_rows(out)

    def encode_with_sentences(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], *,
                              batch_size: int = 32, on_tokens: TokenSink | None = None,
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Passage vectors plus each sentence's vector pooled from the same forward pass
        (see :mod:`indexer.sentence_store`): ``(vectors, sentence vectors, sentences per text)``;
        ``on_tokens`` receives token states (see :func:`indexer.numpy_encoder.late_pooled`)."""
        torch = self._torch
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16,
                                                    enabled=self.precision == "bf16"):
            return late_pooled(self._model, self._forward, texts, spans, batch_size, on_tokens)

    def token_states(self, texts: Sequence[str]) -> list[tuple[np.ndarray, list[str]]]:
        """Unit token states and word pieces of each text (see :func:`indexer.numpy_encoder.token_states`)."""
        torch = self._torch
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16,
                                                    enabled=self.precision == "bf16"):
            return token_states(self._model, self._forward, texts)

    def _forward(self, encodings: list) -> tuple[np.ndarray, np.ndarray]:
        """Last-layer token states (batch × length × dim, float32) and the real-token mask."""
        torch, w, model = self._torch, self._w, self._model
        functional = torch.nn.functional
        ids, types, mask = model.padded(encodings)
        batch, length = ids.shape
        ids_t, types_t, mask_t = torch.from_numpy(ids), torch.from_numpy(types), torch.from_numpy(mask)
        x = (w["embeddings.word_embeddings.weight"][ids_t]
             + w["embeddings.position_embeddings.weight"][:length][None]
             + w["embeddings.token_type_embeddings.weight"][types_t])

        def norm(h, name: str):  # noqa: ANN001, ANN202 - torch tensors
            return functional.layer_norm(h, (model.dim,), w[f"{name}.weight"], w[f"{name}.bias"], model.eps)

        def dense(h, name: str):  # noqa: ANN001, ANN202
            return functional.linear(h, w[f"{name}.weight"], w[f"{name}.bias"])

        x = norm(x, "embeddings.LayerNorm")
        head_dim = model.dim // model.heads
        attend = None if mask.all() else mask_t[:, None, None, :]  # no mask: the fused kernel
        for i in range(model.layers):
            p = f"encoder.layer.{i}"
            qkv = functional.linear(x, *self._qkv[i]).view(batch, length, 3, model.heads, head_dim)
            q, k, v = qkv.permute(2, 0, 3, 1, 4)
            context = functional.scaled_dot_product_attention(q, k, v, attn_mask=attend)
            context = context.transpose(1, 2).reshape(batch, length, model.dim)
            x = norm(dense(context, f"{p}.attention.output.dense") + x, f"{p}.attention.output.LayerNorm")
            hidden = functional.gelu(dense(x, f"{p}.intermediate.dense"))
            x = norm(dense(hidden, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        return x.float().numpy(), mask
