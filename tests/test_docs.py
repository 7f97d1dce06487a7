"""Docs stay true: every command has help and appears in the README."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from typer.testing import CliRunner

from cli import app

ROOT = Path(__file__).resolve().parents[1]


def command_names() -> list[str]:
    return sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_every_command_has_help_text_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    assert {"index", "search", "stats", "clean"} <= set(command_names())
    for name in command_names():
        command = group.commands[name]  # type: ignore[attr-defined]
        assert command.help and len(command.help.strip()) > 20, f"{name} has no help"
        for param in command.params:
            if param.name not in ("help",):
                assert getattr(param, "help", None), f"{name} {param.name} has no help"
        assert re.search(rf"newsdig {name}\b", readme), f"`newsdig {name}` is not in README.md"


def test_help_runs_for_every_command() -> None:
    runner = CliRunner()
    for name in command_names():
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0 and "--index-dir" in result.stdout or name in ("clean", "distill")


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in readme
    assert "README.md" in (ROOT / ".ci" / "run").read_text()
