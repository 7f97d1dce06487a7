"""The index contract: paths inside an index directory and the JSON manifest.

An index directory holds ``manifest.json`` (written last, atomically) and ``snapshots/NNNNNNNN/``
directories; the manifest names the one snapshot that is current. A snapshot holds the Whoosh
indexes (``chunks``, ``articles``) and the vector store (``vectors.npy``, ``chunk_ids.npy``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes, remove_tree
from .errors import IndexFormatError, IndexNotFoundError

FORMAT_VERSION = 2  # 2: unstemmed spelling words in the keyword index
MANIFEST = "manifest.json"
SNAPSHOTS = "snapshots"
LOCK = "writer.lock"


@dataclass(frozen=True)
class ModelInfo:
    """The embedding model an index was built with."""

    name: str
    path: str
    dim: int


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` records about an index."""

    snapshot: str
    model: ModelInfo
    articles: int = 0
    chunks: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    updated: str = ""
    newsdig_version: str = ""
    format_version: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        """The manifest as written to disk."""
        return {
            "format_version": self.format_version,
            "newsdig_version": self.newsdig_version,
            "snapshot": self.snapshot,
            "model": asdict(self.model),
            "counts": {"articles": self.articles, "chunks": self.chunks},
            "settings": self.settings,
            "created": self.created,
            "updated": self.updated,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        """Parse a manifest; raises KeyError/TypeError/ValueError on a malformed one."""
        return cls(
            format_version=int(data["format_version"]),
            newsdig_version=str(data.get("newsdig_version", "")),
            snapshot=str(data["snapshot"]),
            model=ModelInfo(**data["model"]),
            articles=int(data["counts"]["articles"]),
            chunks=int(data["counts"]["chunks"]),
            settings=dict(data.get("settings", {})),
            created=str(data.get("created", "")),
            updated=str(data.get("updated", "")),
        )


def manifest_path(index_dir: str | os.PathLike[str]) -> Path:
    """Where the manifest of ``index_dir`` lives."""
    return Path(index_dir) / MANIFEST


def snapshot_path(index_dir: str | os.PathLike[str], snapshot: str) -> Path:
    """The directory of one snapshot."""
    return Path(index_dir) / SNAPSHOTS / snapshot


def index_exists(index_dir: str | os.PathLike[str]) -> bool:
    """True when ``index_dir`` holds a manifest."""
    return manifest_path(index_dir).is_file()


def read_manifest(index_dir: str | os.PathLike[str], *, accept_older: bool = False) -> Manifest:
    """Read and validate the manifest of ``index_dir``.

    ``accept_older`` lets a rebuild read an index of an earlier format version (its article
    store is all a rebuild needs).
    """
    path = manifest_path(index_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IndexNotFoundError(str(index_dir)) from None
    except OSError as exc:
        raise IndexFormatError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw)
        version = int(data["format_version"])
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexFormatError(f"{path} is not a newsdig manifest ({exc})",
                               hint="rebuild the index with `newsdig index` into a new --index-dir") from exc
    if version > FORMAT_VERSION or (version < FORMAT_VERSION and not accept_older):
        raise IndexFormatError(
            f"the index at {index_dir} has format version {version}; this newsdig reads version {FORMAT_VERSION}",
            hint="`newsdig rebuild` converts it" if version < FORMAT_VERSION else "upgrade newsdig")
    try:
        return Manifest.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexFormatError(f"{path} is damaged (missing {exc})") from exc


def write_manifest(index_dir: str | os.PathLike[str], manifest: Manifest) -> None:
    """Replace the manifest atomically: this is the commit point of every update."""
    data = json.dumps(manifest.to_json(), indent=2, sort_keys=False).encode("utf-8") + b"\n"
    atomic_write_bytes(manifest_path(index_dir), data)


def next_snapshot(index_dir: str | os.PathLike[str], current: str | None) -> str:
    """The name of the next snapshot: one past the highest number in use."""
    names = [int(p.name) for p in (Path(index_dir) / SNAPSHOTS).glob("*") if p.name.isdigit()]
    if current and current.isdigit():
        names.append(int(current))
    return f"{max(names, default=0) + 1:08d}"


def remove_other_snapshots(index_dir: str | os.PathLike[str], keep: str | None) -> None:
    """Remove every snapshot but ``keep`` (the one the manifest names)."""
    for path in (Path(index_dir) / SNAPSHOTS).glob("*"):
        if path.name != keep:
            remove_tree(path)
