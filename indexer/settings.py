"""Build settings recorded in the manifest; changing them requires a rebuild."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .analysis import TITLE_WEIGHT
from .chunk import ChunkSettings
from .vector_store import VECTOR_DTYPES


@dataclass(frozen=True)
class BuildSettings:
    """How articles become index entries."""

    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    title_weight: int = TITLE_WEIGHT  # times the headline is repeated in the scored text
    embed_title: bool = True   # the headline is prepended to every passage before embedding
    embed_batch: int = 64      # passages per encoder call
    vectors: str = "float32"   # how vectors are stored: float32 or float16 (half the size)
    sentence_vectors: bool = True  # a vector per sentence too (indexer.sentence_store)
    # every token's state, quantised, for the rerank (indexer.token_store); None: an index from
    # before token codes (none kept; a rebuild adds them)
    token_codes: bool | None = True

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the manifest (``embed_batch`` does not change the index, so it is left out)."""
        return {"chunking": self.chunking.as_dict(), "title_weight": self.title_weight,
                "embed_title": self.embed_title, "vectors": self.vectors, "sentence_vectors": self.sentence_vectors,
                **({} if self.token_codes is None else {"token_codes": self.token_codes})}

    @classmethod
    def from_options(cls, max_words: int | None, overlap_words: int | None,
                     vectors: str | None = None, sentence_vectors: bool | None = None,
                     token_codes: bool | None = None) -> BuildSettings | None:
        """Settings from ``--max-words``/``--overlap-words``/``--vectors``/``--[no-]sentence-vectors``/
        ``--[no-]token-codes`` (None when none is given)."""
        if (max_words is None and overlap_words is None and vectors is None and sentence_vectors is None
                and token_codes is None):
            return None
        sentences = True if sentence_vectors is None else sentence_vectors
        tokens = True if token_codes is None else token_codes
        if vectors is not None and vectors not in VECTOR_DTYPES:
            raise ValueError(f"--vectors must be one of {', '.join(VECTOR_DTYPES)}")
        if max_words is None and overlap_words is None:
            return cls(vectors=vectors or "float32", sentence_vectors=sentences, token_codes=tokens)
        base = ChunkSettings()
        words = max_words or base.max_words
        # Overlap and the shortest tail passage scale with a shorter passage length.
        chunking = ChunkSettings(
            max_words=words,
            min_words=min(base.min_words, words * base.min_words // base.max_words),
            overlap_words=min(base.overlap_words, words // 4) if overlap_words is None else overlap_words)
        if chunking.overlap_words >= chunking.max_words:
            raise ValueError("--overlap-words must be smaller than --max-words")
        return cls(chunking=chunking, vectors=vectors or "float32", sentence_vectors=sentences, token_codes=tokens)

    def describe(self) -> str:
        """The settings in words, for messages."""
        c = self.chunking
        return (f"passages of at most {c.max_words} words with {c.overlap_words} words of overlap, "
                f"headline weight {self.title_weight}, {self.vectors} vectors"
                + ("" if self.sentence_vectors else ", no sentence vectors")
                + ("" if self.token_codes else ", no token codes"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildSettings:
        """Settings as recorded in a manifest."""
        return cls(chunking=ChunkSettings(**data.get("chunking", {})),
                   title_weight=int(data.get("title_weight", TITLE_WEIGHT)),
                   embed_title=bool(data.get("embed_title", True)),
                   vectors=str(data.get("vectors", "float32")),
                   sentence_vectors=bool(data.get("sentence_vectors", True)),
                   token_codes=None if data.get("token_codes") is None else bool(data["token_codes"]))
