import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_PDFS = REPO / "datasets" / "sample" / "pdfs"
SAMPLE_PIPELINE = REPO / "pipelines" / "sample.yaml"
CORPORA = REPO.parent / "shared" / "corpora"

os.environ.setdefault("ABSTAB_RAISE_ERRORS", "")


def corpus(*parts: str) -> Path:
    """A file of the shared corpora, or skip when this checkout has none beside it."""
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared corpora not found at {CORPORA} (expected beside the repository)")
    return path


@pytest.fixture(scope="session")
def sample_work(tmp_path_factory):
    """The bundled sample pipeline run once through synth and bench, shared by tests."""
    from click.testing import CliRunner

    from abstab.cli import cli

    work = tmp_path_factory.mktemp("sample") / "work"
    runner = CliRunner()
    synth = runner.invoke(cli, ["synth", "-p", str(SAMPLE_PIPELINE), "-o", str(work)],
                          catch_exceptions=False)
    # bm25 like the sample pipeline's resolve: the dense path has its own tests.
    bench = runner.invoke(cli, ["bench", str(work), "--retriever", "bm25"],
                          catch_exceptions=False)
    # Every test that reads this workspace expects a clean run: say why when it was not.
    assert (synth.exit_code, bench.exit_code) == (0, 0), synth.output + bench.output + "".join(
        p.read_text() for p in work.rglob("errors.jsonl") if "failure\": true" in p.read_text())
    return work, synth, bench


def wait_for(condition, what: str, deadline_s: float = 60.0) -> None:
    """Wait until ``condition()`` holds, failing after a generous deadline: a state to reach,
    never a duration to assume (the deadline only ends a test that would hang)."""
    import time

    end = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < end, f"{what} did not happen within {deadline_s:g}s"
        time.sleep(0.02)
