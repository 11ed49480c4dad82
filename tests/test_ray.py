"""The Ray executor: same records, markers and resume as the local executor (Ray on this
machine), and a bound on LLM requests in flight across all Ray workers."""

import json
import shutil

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_PDFS
from llm_server import FakeLLMServer, ok

from abstab.cli import cli
from abstab.executors import RayExecutor

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'abstab[ray]')")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

STAGES = ("extract", "judge", "resolve", "generate")


@pytest.fixture(scope="module")
def ray_session():
    """One Ray instance for the module (starting Ray costs seconds). Four logical CPUs, so
    that the LLM bound below is abstab's and not the machine's."""
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def _run(args):
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


def _pipeline(work, *executor):
    _run(["extract", str(SAMPLE_PDFS), "-o", str(work), "--workers", "2", *executor])
    for stage in STAGES[1:]:
        _run([stage, str(work), *executor])


def sorted_outputs(stage_dir):
    """Every record file's lines, sorted; the marker's hash and unit count."""
    out = {p.name: sorted(p.read_text(encoding="utf-8").splitlines())
           for p in sorted(stage_dir.glob("*.jsonl"))}
    marker = json.loads((stage_dir / "done.json").read_text())
    out["done.json"] = [marker["config_hash"], marker["units"]]
    return out


@pytest.fixture(scope="module")
def local_work(tmp_path_factory):
    work = tmp_path_factory.mktemp("local") / "work"
    _pipeline(work)
    return work


def test_ray_writes_the_same_records_and_markers_as_local(ray_session, local_work, tmp_path):
    work = tmp_path / "work"
    _pipeline(work, "--executor", "ray")
    for stage in STAGES:
        local, remote = sorted_outputs(local_work / stage), sorted_outputs(work / stage)
        assert remote == local, stage
    # real work went through: 4 documents, 8 tables, resolutions and items
    assert len(sorted_outputs(work / "extract")["documents.jsonl"]) == 4
    assert len(sorted_outputs(work / "extract")["tables.jsonl"]) == 8
    assert len(sorted_outputs(work / "judge")["judgments.jsonl"]) == 8
    assert len(sorted_outputs(work / "generate")["items.jsonl"]) > 50


def _cut_journal(stage_dir, keep):
    """What a kill after ``keep`` commits leaves: the journal up to there, a torn line after
    it, bytes of the next unit in the record files, no marker."""
    journal = stage_dir / ".journal"
    lines = journal.read_bytes().split(b"\n")
    journal.write_bytes(b"\n".join(lines[:1 + keep]) + b'\n{"unit": "torn')
    for name in ("done.json", "stats.json"):
        (stage_dir / name).unlink()
    for f in stage_dir.glob("*.jsonl"):
        with f.open("ab") as fh:
            fh.write(b'{"half a record": ')


@pytest.mark.parametrize("stage,keep", [("extract", 2), ("judge", 3)])
def test_ray_resumes_a_run_the_local_executor_left_half_done(ray_session, local_work, tmp_path,
                                                               stage, keep):
    work = tmp_path / "work"
    shutil.copytree(local_work, work)
    for later in STAGES[STAGES.index(stage) + 1:]:
        shutil.rmtree(work / later)
    _cut_journal(work / stage, keep)
    args = ([stage, str(SAMPLE_PDFS), "-o", str(work), "--workers", "2"] if stage == "extract"
            else [stage, str(work)])
    out = _run([*args, "--executor", "ray"])
    assert f"(resumed after {keep} done units)" in out
    assert sorted_outputs(work / stage) == sorted_outputs(local_work / stage)


def test_llm_requests_in_flight_stay_bounded_across_ray_workers(ray_session, local_work,
                                                                tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    reply = {"label": "clear", "confidence": 0.8, "reasons": ["words"], "keywords": []}
    results = {}
    for name, executor in (("local", ()), ("ray", ("--executor", "ray"))):
        work = tmp_path / name
        shutil.copytree(local_work / "extract", work / "extract")
        with FakeLLMServer(lambda req: ok(reply), latency=0.3) as server:
            _run(["judge", str(work), "--backend", "openai", "--model", "m", "--base-url",
                  server.url, "--api-key", "k", "--concurrency", "2", "--no-cache", *executor])
            results[name] = (server.max_in_flight, len(server.requests))
        stats = json.loads((work / "judge" / "stats.json").read_text())
        assert stats["llm"]["calls"] == 8  # the workers' ledgers reach the driver's
        assert stats["in"] == stats["kept"] == 8
    assert results["ray"][1] == results["local"][1] == 8
    assert 1 <= results["ray"][0] <= 2  # Ray has 4 CPUs: the bound is --concurrency
    assert sorted_outputs(tmp_path / "ray" / "judge") == sorted_outputs(tmp_path / "local" / "judge")


def test_ray_address_comes_from_the_flag_or_the_environment(monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "10.1.2.3:6379")
    assert RayExecutor().address == "10.1.2.3:6379"
    assert RayExecutor("ray://head:10001").address == "ray://head:10001"
    monkeypatch.delenv("RAY_ADDRESS")
    assert RayExecutor().address is None  # a local Ray instance
