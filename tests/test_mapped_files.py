"""The memory-mapped Whoosh storage reads exactly the bytes a plain file would."""

from __future__ import annotations

import os
from pathlib import Path

from indexer.mapped_files import MappedStorage


def test_mapped_file_reads_seeks_and_windows_like_a_file(tmp_path: Path) -> None:
    data = b"first line\nsecond\n" + bytes(range(256)) * 4
    (tmp_path / "f.bin").write_bytes(data)
    (tmp_path / "empty.bin").write_bytes(b"")
    f = MappedStorage(str(tmp_path)).open_file("f.bin")
    assert f.readline() == b"first line\n" and f.tell() == 11
    assert f.read(3) == b"sec" and f.read() == data[14:]
    assert f.read(5) == b""  # at the end
    f.seek(-4, os.SEEK_END)
    assert f.read() == data[-4:]
    assert f.get(2, 4) == data[2:6] and f.get_int(20) == int.from_bytes(data[20:24], "big", signed=True)
    sub = f.subset(18, 100)
    assert sub.read() == data[18:118] and sub.get(0, 500) == data[18:118]  # never past its window
    inner = sub.subset(10, 5)
    assert inner.read() == data[28:33]
    sub.seek(2)
    assert sub.read_byte() == data[20]
    f.close()
    assert MappedStorage(str(tmp_path)).open_file("empty.bin").read() == b""
