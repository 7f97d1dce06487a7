"""Crash-safe file operations: atomic replace, directory fsync, hard-link clones."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Flush a directory entry to disk (so a rename in it survives a power cut)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_file(path: str | os.PathLike[str], produce: Callable[[str], None]) -> None:
    """Have ``produce(tmp_path)`` write a temporary sibling of ``path``, fsync it, then rename it
    over ``path``: readers see the old file or the new one, never a partial one; on error the
    old one stays and the temporary file is removed."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        produce(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(target.parent)


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """:func:`atomic_file` through ``write(fileobj)``."""

    def produce(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            write(handle)

    atomic_file(path, produce)


def atomic_memmap(path: str | os.PathLike[str], dtype: str, shape: tuple[int, ...],
                  fill: Callable[[np.ndarray], None]) -> None:
    """:func:`atomic_file` for an ``.npy`` file of ``shape``/``dtype``, written through a
    writable memory map handed to ``fill`` (so a big array never has to sit in memory)."""

    def produce(tmp: str) -> None:
        array = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=shape)
        fill(array)
        array.flush()
        del array

    atomic_file(path, produce)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """:func:`atomic_write` for a bytes value."""
    atomic_write(path, lambda handle: handle.write(data))


def clone_tree(src: str | os.PathLike[str], dst: str | os.PathLike[str],
               skip: Callable[[str], bool] = lambda name: False) -> None:
    """Copy a flat directory by hard-linking its files (copying where links are not possible).

    Only safe for files that are never modified in place, which holds for Whoosh segments,
    Whoosh TOCs and newsdig's ``.npy`` files.
    """
    os.makedirs(dst, exist_ok=True)
    for entry in os.scandir(src):
        if not entry.is_file(follow_symlinks=False) or skip(entry.name):
            continue
        target = os.path.join(dst, entry.name)
        try:
            os.link(entry.path, target)
        except OSError:
            shutil.copy2(entry.path, target)


def remove_tree(path: str | os.PathLike[str]) -> None:
    """Delete a directory tree, ignoring what is already gone."""
    shutil.rmtree(path, ignore_errors=True)
