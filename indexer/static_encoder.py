"""Static (model2vec) encoders: a token-embedding table, no transformer."""

from __future__ import annotations


def is_static_model(path: str) -> bool:
    """Whether ``path`` is a model2vec model folder (none is supported yet)."""
    return False
