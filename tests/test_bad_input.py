"""Bad input is reported with file, line and reason; everything else is indexed."""

from __future__ import annotations

import builtins
import codecs
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app


def test_every_kind_of_bad_input_is_reported_and_the_rest_indexed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in"
    src.mkdir()
    # Good ones in awkward encodings.
    (src / "cp1252.txt").write_bytes("Caf\u00e9 owners \u201cprotest\u201d\n\nThe caf\u00e9 owners marched on Monday.".encode("cp1252"))
    (src / "latin1.txt").write_bytes("M\u00fcnchen Stra\u00dfenbahn\n\nDie Stra\u00dfenbahn f\u00e4hrt wieder.".encode("latin-1"))
    (src / "utf16.txt").write_bytes(codecs.BOM_UTF16_LE + "Tram returns\n\nThe tram runs again in Zürich.".encode("utf-16-le"))
    (src / "broken.html").write_text("<html><body><div><p>The lighthouse keeper retired after <b>forty winters<p>"
                                     "and moved inland</div></span></table>", encoding="utf-8")
    # Bad ones.
    (src / "empty.md").write_bytes(b"")
    (src / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (src / "big.txt").write_text("Big\n\n" + "word " * 600, encoding="utf-8")
    (src / "feed.jsonl").write_text(json.dumps({"id": "ok", "title": "Ferry", "text": "The ferry sails again."}) + "\n"
                                    '{"id": "bad", "title": \n'
                                    + json.dumps({"id": "notext", "title": "Only a title"}) + "\n", encoding="utf-8")
    (src / "rows.csv").write_text("id,title,text\nc1,Harbour,The harbour reopened.\nc2,Too,many,cells\n", encoding="utf-8")
    (src / "locked.txt").write_text("Locked\n\nYou cannot read me.", encoding="utf-8")
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    result = CliRunner().invoke(app, ["index", str(src), str(tmp_path / "missing.html"), "--max-file-size", "2k",
                                      "--index-dir", str(tmp_path / "idx"), "--json"])
    assert result.exit_code == 3, result.output
    reasons = {(Path(s["path"]).name, s["line"]): s["reason"].split(" (")[0] for s in json.loads(result.stdout)["skipped"]}
    assert reasons == {
        ("missing.html", None): "no such file or directory",
        ("big.txt", None): "file is 3,005 bytes, over the limit of 2,048",
        ("empty.md", None): "empty file",
        ("feed.jsonl", 2): "invalid JSON",
        ("feed.jsonl", 3): "line has no text",
        ("image.html", None): "binary file",
        ("locked.txt", None): "permission denied",
        ("rows.csv", 3): "row has 4 fields, the header has 3",
    }
    for name, line in reasons:
        where = f"{name}:{line}" if line else name
        assert where in result.stderr
    assert json.loads(result.stdout)["added"] == 6
    for query, title in [("café", "Café owners “protest”"), ("straßenbahn", "München Straßenbahn"),
                         ("zurich", "Tram returns"), ("lighthouse", None), ("harbour", "Harbour"), ("ferry", "Ferry")]:
        hits = CliRunner().invoke(app, ["search", query, "--mode", "keyword", "--json", "--index-dir", str(tmp_path / "idx")])
        top = json.loads(hits.stdout.splitlines()[0])
        if title:
            assert top["title"] == title
        else:
            assert "[[lighthouse]] keeper retired after forty winters" in top["snippet"]


def test_exit_status_is_documented_in_help() -> None:
    text = CliRunner().invoke(app, ["index", "--help"]).stdout
    assert "Exit status: 0 all inputs indexed; 1 error" in " ".join(text.split())
    assert "3 done, but some inputs were skipped" in " ".join(text.split())
