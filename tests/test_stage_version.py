"""An upgrade redoes a stage only when that stage's own ``version`` moved (issue 21, point 5)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_PDFS

import abstab
from abstab.cli import cli
from abstab.stages.extract import ExtractStage


def _extract(work: Path) -> str:
    r = CliRunner().invoke(cli, ["extract", str(SAMPLE_PDFS / "pump_reliability.pdf"), "-o",
                                 str(work)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output.split()[1]  # "extract   ran   in ..." → the status


def _upgrade(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    """What a new abstab release looks like to the code: every module sees the new version."""
    for name, mod in list(sys.modules.items()):
        if (name == "abstab" or name.startswith("abstab.")) and hasattr(mod, "__version__"):
            monkeypatch.setattr(mod, "__version__", version)


def test_a_new_package_version_does_not_redo_a_finished_stage(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "w"
    assert _extract(work) == "ran"
    _upgrade(monkeypatch, "99.0.0")
    assert abstab.__version__ == "99.0.0"
    assert _extract(work) == "up-to-date"


def test_a_bumped_stage_version_redoes_that_stage(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "w"
    assert _extract(work) == "ran"
    assert _extract(work) == "up-to-date"
    monkeypatch.setattr(ExtractStage, "version", ExtractStage.version + 1)
    assert _extract(work) == "ran"


def test_a_new_package_version_does_not_redo_the_stages_that_ask_the_rules(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """judge and resolve hash the rules backend's identity, which carries the rules' own
    version, not the package's: an upgrade that leaves the rules alone redoes neither."""
    from abstab.rules.backend import RulesBackend

    work = tmp_path / "w"
    _extract(work)

    def run(stage: str) -> str:
        r = CliRunner().invoke(cli, [stage, str(work)], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return r.output.split()[1]

    assert [run("judge"), run("resolve")] == ["ran", "ran"]
    _upgrade(monkeypatch, "99.0.0")
    assert [run("judge"), run("resolve")] == ["up-to-date", "up-to-date"]
    monkeypatch.setattr(RulesBackend, "identity", dataclasses.replace(
        RulesBackend.identity, model=f"rules-v{RulesBackend.version + 1}"))
    assert run("judge") == "ran"
