"""The README is in step with the CLI and with .ci/run (issue 21, point 6)."""

from __future__ import annotations

import re

import click
from conftest import REPO
from test_flag_names import OTHER_TOOLS, _cli_flags

from abstab import registry
from abstab.cli import cli

README = (REPO / "README.md").read_text(encoding="utf-8")

# Flags of other tools that the README quotes, with the tool.
README_OTHER_TOOLS = {**OTHER_TOOLS, "--no-cache-dir": "pip", "--no-binary": "pip",
                      "--include_path": "lm_eval"}


def test_every_flag_in_the_readme_is_a_flag_of_abstab_or_of_the_tool_it_names() -> None:
    named = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9_-]*)", README))
    assert sorted(named - _cli_flags(cli) - set(README_OTHER_TOOLS)) == []


def _code() -> str:
    """The README's code: fenced blocks and inline `code` spans (prose says "abstab writes")."""
    fenced = re.findall(r"```[a-z]*\n(.*?)```", README, flags=re.DOTALL)
    rest = re.sub(r"```.*?```", "", README, flags=re.DOTALL)
    return "\n".join([*fenced, *re.findall(r"`([^`\n]+)`", rest)])


def test_every_abstab_command_in_the_readme_exists() -> None:
    words = r"[a-z][a-z-]*(?:\|[a-z-]+)*"
    missing, seen = [], 0
    for m in re.finditer(rf"(?<![\w/.-])abstab ({words})(?: ({words}))?", _code()):
        for name in m.group(1).split("|"):
            seen += 1
            command = cli.commands.get(name)
            if command is None:
                missing.append(m.group(0))
            elif isinstance(command, click.Group):
                missing += [f"abstab {name} {sub}" for sub in (m.group(2) or "").split("|")
                            if sub not in command.commands]
    # Prose in the command block, and ruff's arguments (`ruff check abstab tests`).
    assert [m for m in missing if m not in ("abstab released it", "abstab tests")] == []
    assert seen > 30  # the check reads the README's commands


def test_the_readme_lists_every_registered_name() -> None:
    for kind in ("backends", "systems", "metrics", "engines", "stages", "executors"):
        line = next(line for line in README.splitlines()
                    if line.startswith(f"abstab {kind} list "))
        listed = {w.strip() for w in line.split("  ", 1)[1].split("·")}
        listed = {w.split(" (")[0].strip() for w in listed}
        assert listed == set(getattr(registry, kind)), kind


def test_the_readme_test_command_is_what_ci_runs() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in README.splitlines() if "pytest -q" in line
                   and line.startswith("python3.11 -m venv"))
    cmake = re.search(r'CMAKE_ARGS="([^"]+)"', command).group(1)  # type: ignore[union-attr]
    assert f'export CMAKE_ARGS="{cmake}"' in ci
    for step in re.findall(r"pip install [^&]+?(?= &&|$)", command):
        assert step.strip() in ci, step
    # The safe build whatever pip cached: the wheel cache is off where llama.cpp is built.
    assert "pip install --no-cache-dir -e '.[dev,local,camelot,embed]'" in command
