"""The typed records that flow through the build pipeline: raw input, articles, chunks, skips."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawRecord:
    """One article as read from its file, before cleaning.

    ``fields`` holds the recognised input fields (``id, title, text, html, url, published,
    author, source``), already mapped from their many spellings (``headline``, ``body``...).
    ``kind`` says how ``text`` is to be cleaned: ``html``, ``text`` (headline on the first
    line), ``markdown`` or ``record`` (a JSON/CSV record whose title is a separate field).
    """

    path: str
    line: int | None
    kind: str
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """``path`` or ``path:line``, for messages."""
        return f"{self.path}:{self.line}" if self.line is not None else self.path


@dataclass(frozen=True)
class Skipped:
    """An input (a file, or one line/row of it) that could not be indexed, and why."""

    path: str
    reason: str
    line: int | None = None

    @property
    def where(self) -> str:
        """``path`` or ``path:line``, for messages."""
        return f"{self.path}:{self.line}" if self.line is not None else self.path


@dataclass(frozen=True)
class Article:
    """A clean article, ready to be chunked and indexed."""

    article_id: str
    title: str
    body: str
    published: str | None = None
    author: str | None = None
    source: str | None = None
    url: str | None = None
    path: str | None = None
    content_hash: str = ""


@dataclass(frozen=True)
class Chunk:
    """A passage of an article's clean body: ``article.body[start:end] == text``."""

    chunk_id: str
    article_id: str
    position: int
    text: str
    start: int
    end: int
