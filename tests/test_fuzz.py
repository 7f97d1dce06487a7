"""Property tests: arbitrary bytes as input files and arbitrary query strings never crash newsdig."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli import app
from indexer.check import check_index

EXTENSIONS = [".html", ".htm", ".txt", ".md", ".json", ".jsonl", ".csv", ".tsv", ".html.gz"]
CONTENT = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=1500).map(lambda s: s.encode("utf-8")),
    st.text(max_size=500).map(lambda s: s.encode("utf-16")),
    st.text(alphabet=st.characters(codec="latin-1"), max_size=800).map(lambda s: s.encode("latin-1")),
    st.lists(st.text(max_size=80), max_size=20).map(lambda ls: "\n".join(ls).encode("utf-8")),
    st.builds(lambda t, b: ('{"title": %s, "text": %s}\n' % (t, b)).encode("utf-8"),
              st.text(max_size=40).map(repr), st.text(max_size=200).map(repr)),
)
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def assert_no_crash(result) -> None:  # type: ignore[no-untyped-def]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


@FUZZ
@given(files=st.lists(st.tuples(st.sampled_from(EXTENSIONS), CONTENT), min_size=1, max_size=4))
def test_arbitrary_input_files_never_crash_and_the_index_still_opens(files: list[tuple[str, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        for n, (ext, data) in enumerate(files):
            path = root / "in" / f"f{n}{ext}"
            path.write_bytes(gzip.compress(data) if ext.endswith(".gz") else data)
        good = root / "in" / "good.txt"
        good.write_text("A headline\n\nA body that is always there.", encoding="utf-8")
        result = CliRunner().invoke(app, ["index", str(root / "in"), "--index-dir", str(root / "idx")])
        assert_no_crash(result)
        assert result.exit_code in (0, 3), result.output
        assert check_index(root / "idx").ok
        found = CliRunner().invoke(app, ["search", "body", "--mode", "keyword", "--json", "--index-dir", str(root / "idx")])
        assert_no_crash(found)
        assert found.exit_code == 0 and found.stdout


@pytest.fixture
def small_index(tmp_path: Path) -> Path:
    root = tmp_path
    feed = root / "feed.jsonl"
    feed.write_text('{"id": "a", "title": "Harbour solar farm", "text": "The council approved a floating solar farm."}\n'
                    '{"id": "b", "title": "Wheat harvest", "text": "Drought cut the wheat harvest by a third."}\n')
    assert CliRunner().invoke(app, ["index", str(feed), "--index-dir", str(root / "idx")]).exit_code == 0
    return root / "idx"


@FUZZ
@given(query=st.one_of(st.text(max_size=200),
                       st.lists(st.sampled_from(['"', "(", ")", "*", "?", "~", "^", ":", "AND", "OR", "NOT", "-",
                                                 "+", "title:", "[", "]", "TO", "wheat", "solar", "\\", "'", "{"]),
                                max_size=12).map(" ".join)),
       mode=st.sampled_from(["keyword", "semantic", "hybrid"]))
def test_arbitrary_queries_never_crash(small_index: Path, query: str, mode: str) -> None:
    args = ["search", "--mode", mode, "--json", "--index-dir", str(small_index), "--", query]
    result = CliRunner().invoke(app, args)
    assert_no_crash(result)
    assert result.exit_code in (0, 1)
    if result.exit_code == 1:
        assert result.stderr.strip() == "newsdig: empty query (give some words to search for)"
