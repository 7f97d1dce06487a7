"""Reading inputs: formats, field aliases, encodings, and bad input reported with file and line."""

from __future__ import annotations

import codecs
import gzip
import io
from pathlib import Path

import pytest

from indexer.decode import BinaryContentError, decode_bytes
from indexer.ingest import InputReader, discover
from indexer.records import RawRecord, Skipped


def read(paths: list[str], **kw: object) -> list[RawRecord | Skipped]:
    found = discover(paths)
    return found.skipped + list(InputReader(found.files, **kw))  # type: ignore[arg-type]


def test_decode_detects_boms_and_legacy_encodings() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + "café".encode()) == "café"
    assert decode_bytes(codecs.BOM_UTF16_LE + "Zürich".encode("utf-16-le")) == "Zürich"
    assert decode_bytes("naïve “quotes”".encode("cp1252")) == "naïve “quotes”"
    assert decode_bytes("Fußball".encode("latin-1")) == "Fußball"
    page = '<meta charset="koi8-r"><p>Привет</p>'.encode("koi8-r")
    assert "Привет" in decode_bytes(page, html=True)
    with pytest.raises(BinaryContentError):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_formats_and_field_aliases(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        '{"ID": 7, "Headline": "H", "Body": "B", "Published": "2024-01-02", "authors": ["X", "Y"], '
        '"publisher": {"name": "Pub"}, "link": "https://e.org/a"}\n\n'
        '{"title": "no text"}\n'
        '{broken\n', encoding="utf-8")
    (tmp_path / "b.csv").write_text('id,headline,body\n1,"T, one","para one\n\npara two"\n2,too,many,cells\n',
                                    encoding="utf-8")
    (tmp_path / "c.json").write_text('{"articles": [{"title": "J", "content": "C"}, 5]}', encoding="utf-8")
    with gzip.open(tmp_path / "d.html.gz", "wt", encoding="utf-8") as f:
        f.write("<p>page</p>")
    (tmp_path / "e.txt").write_bytes(b"")
    (tmp_path / "f.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.txt").write_text("secret")
    items = read([str(tmp_path)])
    got = [(Path(i.path).name, i.line, i.fields if isinstance(i, RawRecord) else i.reason) for i in items]
    assert got == [
        ("a.jsonl", 1, {"id": "7", "title": "H", "text": "B", "published": "2024-01-02", "author": "X, Y",
                        "source": "Pub", "url": "https://e.org/a"}),
        ("a.jsonl", 3, "line has no text (expected a text, body, content or html field)"),
        ("a.jsonl", 4, "invalid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"),
        ("b.csv", 2, {"id": "1", "title": "T, one", "text": "para one\n\npara two"}),
        ("b.csv", 5, "row has 4 fields, the header has 3"),
        ("c.json", None, {"title": "J", "text": "C"}),
        ("c.json", None, "item 2 is not a JSON object"),
        ("d.html.gz", None, {"html": "<p>page</p>"}),
        ("e.txt", None, "empty file"),
    ]
    assert discover([str(tmp_path)]).ignored == {".png": 1}


def test_missing_unsupported_binary_and_oversized_inputs(tmp_path: Path) -> None:
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "bin.txt").write_bytes(b"abc\x00\x01\x02" * 10)
    (tmp_path / "big.txt").write_text("x" * 2000)
    items = read([str(tmp_path / "nope.txt"), str(tmp_path / "doc.pdf"), str(tmp_path / "bin.txt"),
                  str(tmp_path / "big.txt")], max_bytes=1000)
    reasons = [(Path(i.path).name, i.reason.split(" (")[0]) for i in items]
    assert reasons == [
        ("nope.txt", "no such file or directory"),
        ("doc.pdf", "unsupported file type .pdf"),
        ("bin.txt", "binary file"),
        ("big.txt", "file is 2,000 bytes, over the limit of 1,000"),
    ]


def test_stdin_jsonl_and_index_dir_exclusion(tmp_path: Path) -> None:
    stream = io.BytesIO(b'{"id": "s1", "text": "from stdin"}\n')
    items = list(InputReader(["-"], stdin=stream))
    assert isinstance(items[0], RawRecord) and items[0].fields == {"id": "s1", "text": "from stdin"}
    assert items[0].where == "-:1"
    idx = tmp_path / "index_data"
    idx.mkdir()
    (idx / "manifest.json").write_text("{}")
    (tmp_path / "a.txt").write_text("Title\n\nBody.")
    found = discover([str(tmp_path)], exclude=[idx])
    assert [Path(f).name for f in found.files] == ["a.txt"]
