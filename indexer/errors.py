"""Typed errors raised by newsdig's library code; ``cli.py`` turns them into one-line messages."""

from __future__ import annotations


class NewsdigError(Exception):
    """Base class of every error newsdig raises on purpose.

    ``hint`` tells the user how to fix the problem, when they can.
    """

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class IndexNotFoundError(NewsdigError):
    """There is no index at the given directory."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"no index at {path}",
            hint="build one with `newsdig index PATH...` or point --index-dir / NEWSDIG_INDEX at one",
        )
        self.path = path


class IndexFormatError(NewsdigError):
    """The index exists but cannot be read: wrong format version, or damaged files."""


class ModelMismatchError(NewsdigError):
    """A query or an update asked for a different embedding model than the index was built with."""

    def __init__(self, index_model: str, requested: str, *, hint: str | None = None) -> None:
        super().__init__(
            f"the index was built with model {index_model!r}, not {requested!r}",
            hint=hint or "leave out --model to use the index's model, or build a new index with --index-dir",
        )
        self.index_model = index_model
        self.requested = requested


class RebuildRequiredError(NewsdigError):
    """An update asked for settings the index was not built with; only a rebuild can apply them."""


class ModelLoadError(NewsdigError):
    """The embedding model could not be loaded from its path."""


class IndexLockedError(NewsdigError):
    """Another process holds the index's write lock."""

    def __init__(self, path: str, holder: str | None, waited: float) -> None:
        who = f" (held by {holder})" if holder else ""
        super().__init__(
            f"the index at {path} is being written by another process{who}; gave up after {waited:g} s",
            hint="wait for the other newsdig process to finish, then try again",
        )
        self.path = path
        self.holder = holder


class QueryError(NewsdigError):
    """The query cannot be run (empty, or nothing searchable left after parsing)."""


class InputError(NewsdigError):
    """An input path cannot be read at all (does not exist, unreadable, unsupported)."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.reason = reason
        self.line = line
