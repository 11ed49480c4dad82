"""The Python API (issue 21, point 3): the README's example runs as printed, and the CLI is a
thin shell over the same functions."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO

from abstab.cli import cli


def _python_blocks(section: str) -> list[str]:
    """The ```python blocks of one README section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.DOTALL)


def test_the_readme_api_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    pipeline_example, release_example = _python_blocks("Python API")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipeline_example.py").write_text(pipeline_example, encoding="utf-8")
    env = runpy.run_path("pipeline_example.py")
    out = capsys.readouterr().out
    # The stages of the sample, and both systems' rows, as the README's first run prints them.
    assert ("[('extract', 'ran', 4), ('judge', 'ran', 8), ('resolve', 'ran', 22), "
            "('generate', 'ran', 179), ('assemble', 'ran', 175)]") in out
    board = env["result"].leaderboard()  # type: ignore[attr-defined]
    assert board.loc["table", "n"] == 175 and board.loc["oracle", "n"] == 175
    assert (round(board.loc["table", "correct"], 4), round(board.loc["oracle", "correct"], 4)) == (
        0.44, 0.76)
    scores = env["scores"]
    assert len(scores) == 2 * 175 and set(scores["system"]) == {"table", "oracle"}
    table = env["table"]
    assert list(table.to_pandas().columns) == table.columns  # type: ignore[attr-defined]
    assert table.to_pandas().values.tolist() == table.rows  # type: ignore[attr-defined]

    r = CliRunner().invoke(cli, ["release", "work", "-o", "release", "--no-figures"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    (tmp_path / "release_example.py").write_text(release_example, encoding="utf-8")
    env = runpy.run_path("release_example.py", init_globals=env)
    release = env["release"]
    assert len(release.items) == 175  # type: ignore[attr-defined]
    assert sorted(set(release.items["split"])) == ["test", "train", "validation"]  # type: ignore[attr-defined]
    assert (len(release.tables), len(release.documents)) == (22, 4)  # type: ignore[attr-defined]


def test_load_release_names_a_folder_that_is_not_a_release(tmp_path: Path) -> None:
    import abstab
    from abstab.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        abstab.load_release(tmp_path)
    assert str(err.value) == (f"{tmp_path} is not an abstab release: it has no items/*.parquet; "
                              f"write one with abstab release WORK -o {tmp_path}")


def test_import_abstab_loads_no_submodule() -> None:
    """`import abstab` stays fast: the API, click, pydantic load on first use only."""
    code = ("import sys, abstab; print(sorted(m for m in sys.modules if m.startswith('abstab') "
            "or m in ('click', 'pydantic', 'pandas')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out == "['abstab']\n"
    assert subprocess.run([sys.executable, "-c", "import abstab; print(dir(abstab))"],
                          capture_output=True, text=True, check=True).stdout == (
        "['BenchResult', 'Release', '__version__', 'bench', 'load_release', 'synth']\n")


def test_synth_and_bench_stay_callable_after_their_packages_are_imported() -> None:
    """`abstab.synth` and `abstab.bench` name packages too: importing `abstab.bench.run` (as
    any bench run does) must not turn `abstab.bench(...)` into "module is not callable"."""
    code = ("import abstab, abstab.bench.run, abstab.synth.build, abstab.api as api; "
            "from unittest import mock\n"
            "with mock.patch.object(api, 'bench', lambda *a, **k: ('bench', a, k)), "
            "mock.patch.object(api, 'synth', lambda *a, **k: ('synth', a, k)):\n"
            "    print(abstab.bench('W', ['table']), abstab.synth('sample', 'W', force=True))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out == "('bench', ('W', ['table']), {}) ('synth', ('sample', 'W'), {'force': True})\n"


def test_the_cli_runs_stages_through_the_api(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """No second copy of the stage runner: `abstab synth` calls abstab.api.synth, which calls
    abstab.api.run_stages (the one runner)."""
    import abstab.api
    import abstab.cli

    calls = []
    monkeypatch.setattr(abstab.api, "run_stages",
                        lambda work, plan, *a, **kw: calls.append([n for n, _ in plan]) or [])
    r = CliRunner().invoke(cli, ["synth", "-p", "sample", "-o", str(tmp_path / "w")],
                           catch_exceptions=False)
    assert (r.exit_code, r.output) == (0, "")
    assert calls == [["extract", "judge", "resolve", "generate", "assemble"]]
    assert not hasattr(abstab.cli, "_report")


def test_a_dataframe_without_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from builders import make_table

    from abstab.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas raises ImportError
    with pytest.raises(MissingDependencyError) as err:
        make_table(["Year", "A"], [["2019", "1"]]).to_pandas()
    assert str(err.value) == "a DataFrame needs the 'pandas' package: pip install 'abstab[pandas]'"
