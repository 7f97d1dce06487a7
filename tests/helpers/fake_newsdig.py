"""Run the newsdig CLI with the fake encoder, optionally killing itself at a chosen point.

Used by the crash-safety tests to kill real processes. Environment (test-only):
  NEWSDIG_TEST_SLOW   seconds to sleep in each encoder call (spreads a run out in time)
  NEWSDIG_TEST_KILL   "module:function:n[:after]": SIGKILL this process on the n-th call of
                      module.function, before it runs (or after it returns, with ":after")
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for conftest
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project

from conftest import HashEncoder  # noqa: E402

from indexer import embed  # noqa: E402


class SlowEncoder(HashEncoder):
    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def encode(self, texts, *, batch_size=32):  # type: ignore[no-untyped-def]
        time.sleep(self.delay)
        return super().encode(texts, batch_size=batch_size)


def install_kill(spec: str) -> None:
    module_name, attr, nth, *when = spec.split(":")
    module = importlib.import_module(module_name)
    owner = module
    *parents, name = attr.split(".")
    for part in parents:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    calls = {"n": 0}
    after = bool(when and when[0] == "after")

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == int(nth) and not after:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if calls["n"] == int(nth) and after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, wrapper)


def main() -> None:
    encoder = SlowEncoder(float(os.environ.get("NEWSDIG_TEST_SLOW", "0")))
    embed.load_encoder = lambda name, path, **kwargs: encoder  # type: ignore[assignment]
    if os.environ.get("NEWSDIG_TEST_KILL"):
        install_kill(os.environ["NEWSDIG_TEST_KILL"])
    from cli import app
    app(prog_name="newsdig")


if __name__ == "__main__":
    main()
