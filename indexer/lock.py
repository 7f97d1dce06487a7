"""The single-writer lock of an index directory (``fcntl.flock``), naming its holder."""

from __future__ import annotations

import fcntl
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from .errors import IndexLockedError
from .layout import LOCK

DEFAULT_TIMEOUT = 30.0


class WriteLock:
    """Exclusive lock on ``index_dir/writer.lock``; waits up to ``timeout`` seconds for it.

    The kernel releases the lock when the holder dies, so a killed writer never leaves a stale lock.
    """

    def __init__(self, index_dir: str | os.PathLike[str], timeout: float = DEFAULT_TIMEOUT,
                 poll: float = 0.1) -> None:
        self.path = Path(index_dir) / LOCK
        self.index_dir = str(index_dir)
        self.timeout = timeout
        self.poll = poll
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`IndexLockedError` after the timeout."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 512, 0).decode("utf-8", "replace").strip() or None
                    os.close(fd)
                    raise IndexLockedError(self.index_dir, holder, self.timeout) from None
                time.sleep(self.poll)
        since = datetime.now(timezone.utc).isoformat(timespec="seconds")
        info = f"pid {os.getpid()} ({' '.join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))[:200]}) since {since}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, info.encode("utf-8"), 0)
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
