"""Ordinary mistakes cost nothing (issue 21, point 4): each is a message naming the fix and an
exit code, at once, through the CLI."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Self

import pytest
from click.testing import CliRunner
from conftest import REPO, SAMPLE_PDFS

import abstab.api
from abstab.cli import CRASH_HINT, cli


def _run(*args: str, **env: str) -> tuple[int, str]:
    r = CliRunner().invoke(cli, list(args), prog_name="abstab", env=env or None,
                           catch_exceptions=False)
    return r.exit_code, r.output


def _closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_folder_without_pdfs_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    empty = tmp_path / "reports"
    empty.mkdir()
    message = (f"Error: no PDF to extract: {empty}: directory contains no .pdf files; point to "
               "a folder of PDFs\n")
    assert _run("synth", "-p", "reports", str(empty), "-o", str(tmp_path / "w")) == (2, message)
    assert _run("extract", str(empty), "-o", str(tmp_path / "w")) == (2, message)
    assert not (tmp_path / "w").exists()  # nothing made for a run that cannot start


def test_synth_reports_without_pdfs_says_where_they_go(tmp_path: Path) -> None:
    from importlib.resources import files

    code, out = _run("synth", "-p", "reports", "-o", str(tmp_path / "w"))
    assert code == 2
    shipped = files("abstab.pipelines").joinpath("reports.yaml")  # where -p reports is found
    assert out == (f"Error: pipeline {shipped} has no inputs: give "
                   f"them after the pipeline, e.g. abstab synth -p reports PDFS... -o "
                   f"{tmp_path / 'w'}\n")
    assert "abstab extract" not in out


def test_synth_stops_after_a_stage_that_kept_nothing_and_shows_its_first_errors(
        tmp_path: Path) -> None:
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    (pdfs / "notes.pdf").write_text("not a PDF at all\n")
    work = tmp_path / "w"
    code, out = _run("synth", "-p", "reports", str(pdfs), "-o", str(work))
    assert code == 1
    errors = work / "extract" / "errors.jsonl"
    lines = out.splitlines()
    assert re.fullmatch(r"extract   ran        in    1  kept    0  dropped   1 +\d+\.\ds", lines[0])
    assert lines[1:3] == ["          0 documents, 0 pages, 0 tables",
                          f"          1 item(s) failed: see {errors}"]
    assert lines[3] == ("Error: stage extract kept nothing of its 1 input(s), so judge has nothing "
                        f"to read; stopped. First errors ({errors}):")
    assert lines[4].startswith(f"  {errors}:1: not_pdf: {(pdfs / 'notes.pdf').resolve()}")
    assert len(lines) == 5
    assert not (work / "judge").exists()


def test_an_unreachable_endpoint_stops_at_once_after_the_stages_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused connection on the first request is a configuration error (exit 2), not a
    retried failure per table; the extract stage's summary was printed when it ended."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    code, out = _run("synth", "-p", "sample", str(SAMPLE_PDFS / "pump_reliability.pdf"), "-o",
                     str(tmp_path / "w"), "-b", "openai", "--base-url", url, "-m", "any")
    assert code == 2
    lines = out.splitlines()
    assert lines[0].startswith("extract   ran        in    1  kept    1  dropped   0")
    assert lines[-1] == (f"Error: cannot connect to {url} ([Errno 111] Connection refused): "
                         "start the server there, or pass the right --base-url (or "
                         "OPENAI_BASE_URL)")
    assert not (tmp_path / "w" / "judge" / "done.json").exists()


def test_force_with_an_unreachable_endpoint_keeps_the_stage_it_would_have_replaced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--force`` redoes a stage; when the new run fails before its first unit (the endpoint
    is down), the records it was to replace are still there, byte for byte, and still done."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    work = tmp_path / "w"
    assert _run("extract", str(SAMPLE_PDFS / "pump_reliability.pdf"), "-o", str(work))[0] == 0
    assert _run("judge", str(work))[0] == 0
    judge = work / "judge"
    before = {p.name: p.read_bytes() for p in judge.iterdir()}
    assert before["judgments.jsonl"].count(b"\n") == 2
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    code, out = _run("judge", str(work), "-b", "openai", "--base-url", url, "-m", "any",
                     "--force")
    assert code == 2 and out.startswith(f"Error: cannot connect to {url}")
    assert {p.name: p.read_bytes() for p in judge.iterdir()} == before
    code, out = _run("judge", str(work))
    assert code == 0 and out.startswith("judge     up-to-date")


def test_openai_backend_at_another_endpoint_needs_a_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ABSTAB_MODEL", raising=False)
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    assert _run("judge", str(tmp_path), "-b", "openai", "--base-url", url) == (
        2, (f"Error: no model for {url}: pass -m/--model NAME (the name the endpoint serves) "
            "or set ABSTAB_MODEL\n"))


def test_a_crash_exits_70_and_says_how_to_report_it(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("an unexpected state")

    monkeypatch.setattr(abstab.api, "synth", crash)
    monkeypatch.delenv("PYTEST_CURRENT_TEST")  # pytest's own runs re-raise, like ABSTAB_RAISE_ERRORS
    monkeypatch.delenv("ABSTAB_RAISE_ERRORS", raising=False)
    code, out = _run("synth", "-p", "sample", "-o", str(tmp_path / "w"))
    assert code == 70
    assert out.startswith("Traceback (most recent call last):\n")
    assert out.endswith(f"RuntimeError: an unexpected state\n{CRASH_HINT}\n")


def _environment_variables() -> set[str]:
    """Every ABSTAB_ variable abstab reads, except its internal test and process hooks."""
    internal = {"ABSTAB_DEBUG_STOP", "ABSTAB_PARENT_PID"}
    found = {m for path in (REPO / "abstab").rglob("*.py")
             for m in re.findall(r"ABSTAB_[A-Z_]+[A-Z]", path.read_text(encoding="utf-8"))}
    return found - internal


def test_every_environment_variable_is_in_the_help_and_the_readme() -> None:
    variables = _environment_variables()
    assert {"ABSTAB_BACKEND", "ABSTAB_EXECUTOR", "ABSTAB_RAISE_ERRORS"} <= variables
    code, help_text = _run("--help")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert code == 0
    assert sorted(v for v in variables if v not in help_text) == []
    assert sorted(v for v in variables if v not in readme) == []
    assert '_ABSTAB_COMPLETE=bash_source abstab' in help_text
    assert '_ABSTAB_COMPLETE=bash_source abstab' in readme


@pytest.mark.parametrize(("words", "expected"), [
    ("abstab bench W -s ", ["closed-book", "http", "hybrid", "oracle", "predictions", "rag",
                            "table"]),
    ("abstab bench W -s r", ["rag"]),
    ("abstab judge W -b ", ["rules", "local", "openai"]),
    ("abstab bench W --retriever ", ["bm25", "dense", "hybrid"]),
])
def test_registry_names_complete_in_the_shell(words: str, expected: list[str]) -> None:
    code, out = _run(_ABSTAB_COMPLETE="bash_complete", COMP_WORDS=words,
                     COMP_CWORD=str(len(words.split(" ")) - 1))
    assert code == 0
    assert sorted(out.splitlines()) == sorted(f"plain,{name}" for name in expected)


def test_the_resolve_progress_bar_counts_headers_like_its_summary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import abstab.stages.base

    bars: list[dict[str, object]] = []

    class Bar:
        def __init__(self, **kwargs: object) -> None:
            self.state = {"total": kwargs["total"], "n": kwargs["initial"], "unit": kwargs["unit"]}
            bars.append(self.state)

        def __enter__(self) -> Self:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def update(self, n: int) -> None:
            self.state["n"] += n  # type: ignore[operator]

    monkeypatch.setattr(abstab.stages.base, "tqdm", Bar)
    work = tmp_path / "w"
    code, out = _run("synth", "-p", "sample", "-o", str(work))
    assert code == 0, out
    resolve = next(line for line in out.splitlines() if line.startswith("resolve "))
    assert resolve.startswith("resolve   ran        in   22  kept   22")
    assert [b for b in bars if b["unit"] == "header"] == [{"total": 22, "n": 22, "unit": "header"}]
    assert {"total": 8, "n": 8, "unit": "table"} in bars  # judge: 8 tables in, as it prints


def test_a_refused_key_stops_the_stage_at_once_with_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_server import FakeLLMServer, error

    work = tmp_path / "w"
    assert _run("extract", str(SAMPLE_PDFS / "pump_reliability.pdf"), "-o", str(work))[0] == 0
    with FakeLLMServer() as server:
        url = server.url
        server.enqueue(*[error(401, "Incorrect API key provided")] * 4)
        code, out = _run("judge", str(work), "-b", "openai", "--base-url", url, "-m",
                         "m", "--api-key", "sk-wrong-key", "--concurrency", "1", "--no-cache")
        assert len(server.requests) == 1  # not retried, and no other table asked
    assert (code, out) == (2, (f"Error: {url} rejected the API key (401 Unauthorized): "
                               "set OPENAI_API_KEY or pass --api-key\n"))
    assert "sk-wrong-key" not in out


def test_a_setting_out_of_its_range_names_the_range(tmp_path: Path) -> None:
    """A number of the right type outside its bounds says the bounds, not the type (before:
    "split_documents must be an integer, got an integer -1")."""
    import yaml

    pipe = yaml.safe_load((REPO / "pipelines" / "wtq.yaml").read_text())
    pipe["stages"]["ingest"]["split_documents"] = -1
    path = tmp_path / "wtq.yaml"
    path.write_text(yaml.safe_dump(pipe))
    code, out = _run("synth", "-p", str(path), "-o", str(tmp_path / "w"), str(tmp_path))
    assert (code, out) == (2, (f"Error: {path}: stage ingest: split_documents must be greater "
                               "than or equal to 0, got -1\n"))
    assert not (tmp_path / "w").exists()
