import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_PDFS = REPO / "datasets" / "sample" / "pdfs"
SAMPLE_PIPELINE = REPO / "pipelines" / "sample.yaml"
CORPORA = REPO.parent / "shared" / "corpora"

os.environ.setdefault("ABSTAB_RAISE_ERRORS", "")

# Debian's chromium, driven by playwright, for the tests of the pages abstab ships.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def playwright_api():
    """playwright.sync_api, or skip (fail on CI) when chromium or playwright is missing."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():
    """A headless chromium for this test module."""
    with playwright_api().sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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
