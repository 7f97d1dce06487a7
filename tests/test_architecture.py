"""The layout rules of STYLE.md, checked by scanning imports (so they stay true)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sentence_transformers", "transformers")
SEARCH_MAY_IMPORT = {"indexer.layout", "indexer.analysis", "indexer.keyword_index", "indexer.embed",
                     "indexer.vector_store", "indexer.sentence_store", "indexer.token_store", "indexer.postings", "indexer.errors", "indexer.sentences",
                     "indexer"}


def modules() -> list[Path]:
    return sorted([*ROOT.glob("indexer/*.py"), *ROOT.glob("search/*.py"), *ROOT.glob("cli*.py")])


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at top level?) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            pkg = path.parent.name
            name = node.module or ""
            if node.level:
                name = f"{pkg}.{name}" if name else pkg
            found.append((name, id(node) in top))
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_dependency_direction(path: Path) -> None:
    names = imports(path)
    rel = path.relative_to(ROOT).as_posix()
    assert not [n for n, _ in names if n.split(".")[0] == "ray"], "the embedded engine must not import Ray"
    if rel.startswith("indexer/"):
        assert not [n for n, _ in names if n.split(".")[0] in ("search", "cli")]
    if rel.startswith("search/"):
        bad = [n for n, _ in names if n.startswith("indexer") and n not in SEARCH_MAY_IMPORT]
        assert not bad, f"search/ may only use the index contract, not {bad}"
    heavy_top = [n for n, top in names if top and n.split(".")[0] in HEAVY]
    assert not heavy_top, "heavy libraries are imported lazily, inside functions"
    if rel not in ("indexer/embed.py", "indexer/torch_encoder.py"):  # the encoders that run torch
        assert not [n for n, _ in names if n.split(".")[0] in HEAVY]


@pytest.mark.parametrize("path", [ROOT / "indexer/__init__.py", ROOT / "search/__init__.py"],
                         ids=lambda p: p.parent.name)
def test_init_files_only_reexport(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        ok = isinstance(node, (ast.Import, ast.ImportFrom)) or (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) or (
            isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__all__"])
        assert ok, f"{path.name} holds {ast.dump(node)[:60]}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400


def test_keyword_search_and_help_do_not_import_torch(tmp_path: Path, corpus: Path) -> None:
    from indexer.build import index_paths

    index_paths(tmp_path / "idx", [str(corpus)])  # built with the fake encoder of conftest
    code = (
        "import sys\n"
        "from search.ranker import Searcher\n"
        f"hits = Searcher({str(tmp_path / 'idx')!r}).search('solar reservoir', mode='keyword').hits\n"
        "assert hits, 'no hits'\n"
        "import cli\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
        "print(','.join(heavy) or 'none')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "none"
