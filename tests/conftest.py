"""Shared fixtures: a deterministic fake encoder and tiny corpora written in the test."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from indexer import embed

FAKE_DIM = 64
_WORD = re.compile(r"\w+")


class HashEncoder:
    """Bag of words hashed with crc32 into 64 dimensions: same words, similar vectors."""

    name = embed.DEFAULT_MODEL_NAME
    path = embed.DEFAULT_MODEL_PATH
    dim = FAKE_DIM

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                h = zlib.crc32(word.encode("utf-8"))
                out[row, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
            if not out[row].any():
                out[row, 0] = 1.0  # like a real model: every text gets a unit vector
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def word_states(text: str, dim: int) -> np.ndarray:
    """One unit row per word: +-1 in a dimension hashed from the word, like HashEncoder's bag."""
    words = _WORD.findall(text.lower())
    states = np.zeros((len(words), dim), dtype=np.float32)
    for row, word in enumerate(words):
        h = zlib.crc32(word.encode("utf-8"))
        states[row, h % dim] = 1.0 if (h >> 16) & 1 else -1.0
    return states


class TokenEncoder(HashEncoder):
    """The fake encoder with token states, given out while indexing as the BERT encoders do."""

    def __init__(self) -> None:
        super().__init__()
        self.token_calls: list[int] = []

    def token_states(self, texts: Sequence[str]) -> list[tuple[np.ndarray, list[str]]]:
        self.token_calls.append(len(texts))
        return [(word_states(t, self.dim), _WORD.findall(t.lower())) for t in texts]

    def encode_with_sentences(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], *,
                              batch_size: int = 32, on_tokens: Callable[[int, np.ndarray, list[str]], None] | None = None,
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        for i in reversed(range(len(texts))):  # out of order, as length-sorted batches are
            if on_tokens is not None:
                on_tokens(i, word_states(texts[i], self.dim), _WORD.findall(texts[i].lower()))
        flat = [t[a:b] for t, sp in zip(texts, spans) for a, b in sp]
        return self.encode(texts), self.encode(flat), np.array([len(sp) for sp in spans], dtype=np.int64)


@pytest.fixture(autouse=True)
def fake_encoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> HashEncoder | None:
    """Every test gets the fake encoder, except those marked ``model`` (they load the real one)."""
    if request.node.get_closest_marker("model"):
        return None
    encoder = HashEncoder()
    monkeypatch.setattr(embed, "load_encoder", lambda name, path, **kwargs: encoder)
    return encoder


SEED_LIKE = """Harbour Council Approves Floating Solar Farm on Old Reservoir

No time to read?
Get a summary

The Westmere harbour council voted on Tuesday to build a floating solar farm on the disused Kettle Lane reservoir, ending a two-year dispute over the site.

The panels will cover about a third of the water surface and should supply power for roughly 900 homes. Engineers said the cool water beneath the panels raises their output compared with rooftop arrays.

Residents who had opposed the plan won a promise that the footpath around the reservoir will stay open during construction, which begins in the spring.

No time to read?
Get a summary
Previous Article

Lighthouse Keeper Retires After Forty Winters

Next Article

Ferry Timetable Cut as Fuel Costs Rise
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small folder of articles in several formats."""
    root = tmp_path / "articles"
    (root / "scraped").mkdir(parents=True)
    (root / "scraped" / "solar.txt").write_text(SEED_LIKE, encoding="utf-8")
    (root / "feeds").mkdir()
    (root / "feeds" / "wire.jsonl").write_text(
        '{"id": "w1", "title": "Drought cuts wheat harvest", "text": "A long drought has cut the wheat harvest on the plains by a third. Millers expect bread prices to rise before winter.", "date": "2025-08-22", "source": "Plains Post"}\n'
        '{"id": "w2", "title": "Museum reopens textile hall", "text": "The city museum reopened its textile hall after restoring four Victorian looms. Weavers will demonstrate them every weekend.", "date": "2025-02-07", "source": "City Chronicle"}\n',
        encoding="utf-8")
    (root / "page.html").write_text(
        "<html><head><title>Rates rise | The Ledger</title>"
        "<meta property='og:site_name' content='The Ledger'>"
        "<meta property='article:published_time' content='2025-03-13T09:00:00Z'></head>"
        "<body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        "<article><h1>Central bank raises interest rates</h1>"
        "<p>The central bank raised its key interest rate to 4.75 per cent on Thursday, citing stubborn inflation in services.</p>"
        "<p>The governor said further rises could not be ruled out if wages keep climbing faster than productivity.</p>"
        "</article><footer>Copyright The Ledger</footer></body></html>", encoding="utf-8")
    return root
