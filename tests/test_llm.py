"""The LLM layer against a real HTTP server on 127.0.0.1 with scripted behaviours.

No test needs a key or touches the network beyond 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import builders
import pytest
from builders import PROV
from conftest import wait_for
from llm_server import FakeLLMServer, Reply, error, ok

from abstab.core.serialize import serialize
from abstab.errors import AbstabError, ConfigError
from abstab.llm.backend import TASKS, OpenAIBackend
from abstab.llm.cache import ResponseCache, request_key
from abstab.llm.errors import (
    LLMError,
    LLMRequestError,
    LLMUnavailableError,
    StructuredOutputError,
)
from abstab.llm.ledger import Ledger, percentile
from abstab.llm.prompts import PromptTemplate, load_prompt
from abstab.llm.serialize import document_context
from abstab.llm.settings import LLMSettings, Prices
from abstab.llm.tasks import AnswerOutput, JudgeOutput, KeywordOut, Passage, ResolveOutput
from abstab.records import Block, Document, Note, Table

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"

GOOD = {"label": "abstract",
        "keywords": [{"keyword": "DO", "row": 0, "col": 1, "style": "acronym", "score": 0.9}],
        "reasons": ["DO is an acronym"], "confidence": 0.8}
CLEAR = {"label": "clear", "keywords": [], "reasons": [], "confidence": 0.7}


def make_table(table_id: str = "t1", headers: tuple[str, ...] = ("Station", "DO", "ΔT"),
               caption: str | None = "Table 2. Water quality at the stations") -> Table:
    return builders.make_table(
        headers, [["S1", "7.2", "1.5"], ["S2", "6.8", "2.1"]], table_id=table_id, doc_id="d1",
        bbox=[0, 0, 100, 50], engine="hand", caption=caption,
        notes=[Note(kind="legend", text="DO = dissolved oxygen (mg/L)")])


def make_doc() -> Document:
    texts = ["Water quality", "DO was measured at dawn at every station.",
             "The river flows north."]
    blocks, parts, pos = [], [], 0
    for i, t in enumerate(texts):
        blocks.append(Block(block_id=f"b{i}", page=1, bbox=[0, 0, 1, 1],
                            kind="heading" if i == 0 else "paragraph", text=t, order=i,
                            char_start=pos, char_end=pos + len(t)))
        parts.append(t)
        pos += len(t) + 2
    return Document(provenance=PROV, doc_id="d1", source="r.pdf", sha256="0" * 64, pages=1,
                    title="River report 2020", text="\n\n".join(parts), blocks=blocks)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ABSTAB_MODEL", "ABSTAB_LLM_SHOW_RESPONSES"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def server():
    with FakeLLMServer() as srv:
        yield srv


def backend(srv: FakeLLMServer, tmp_path: Path, **kw: Any) -> OpenAIBackend:
    settings: dict[str, Any] = {"base_url": srv.url, "api_key": "test-key",
                                "model": "fake-model", "cache_path": tmp_path / "llm.sqlite",
                                "max_retries": 3, "retry_max_wait": 0.05, "timeout": 5.0}
    settings.update(kw)
    return OpenAIBackend.from_settings(settings)


# ------------------------------------------------------------------- the happy path


def test_judge_sends_schema_and_returns_model(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(ok(GOOD, usage=(120, 30)))
    with backend(server, tmp_path) as b:
        out = b.judge(make_table(), make_doc())
        summary = b.ledger.summary()
    assert out == JudgeOutput.model_validate(GOOD)
    assert len(server.requests) == 1
    req = server.requests[0]
    assert req["model"] == "fake-model"
    assert req["temperature"] == 0.0
    assert req["max_tokens"] == 1024
    assert "seed" not in req
    assert req["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "judge_output", "schema": JudgeOutput.model_json_schema(), "strict": False}}
    assert [m["role"] for m in req["messages"]] == ["system", "user"]
    user = req["messages"][1]["content"]
    assert "Report: River report 2020" in user
    assert "| (0,0) Station | (0,1) DO | (0,2) ΔT |" in user
    assert "- [legend] DO = dissolved oxygen (mg/L)" in user
    assert server.headers[0]["authorization"] == "Bearer test-key"
    assert {k: summary[k] for k in ("calls", "cache_hits", "retries", "failures", "repairs",
                                    "invalid_outputs", "prompt_tokens", "completion_tokens")} \
        == {"calls": 1, "cache_hits": 0, "retries": 0, "failures": 0, "repairs": 0,
            "invalid_outputs": 0, "prompt_tokens": 120, "completion_tokens": 30}
    assert summary["backend"] == "openai" and summary["model"] == "fake-model"
    assert summary["cost_usd"] is None


def test_resolve_fills_method_and_asks_without_it(server: FakeLLMServer, tmp_path: Path) -> None:
    reply = {"expansion": "dissolved oxygen", "category": "explicit",
             "evidence": [{"source": "note", "block_id": None,
                           "text": "DO = dissolved oxygen (mg/L)", "score": 1.0}],
             "confidence": 0.9}
    server.enqueue(ok(reply))
    with backend(server, tmp_path) as b:
        out = b.resolve(make_table(), make_doc(),
                        KeywordOut(keyword="DO", row=0, col=1, style="acronym", score=0.9))
    phash = load_prompt("resolve").hash
    assert out == ResolveOutput.model_validate({**reply, "method": f"llm:resolve@{phash}"})
    sent_schema = server.requests[0]["response_format"]["json_schema"]["schema"]
    assert "method" not in sent_schema["properties"]
    assert sent_schema["required"] == ["expansion", "category", "confidence"]
    user = server.requests[0]["messages"][1]["content"]
    assert 'Header to explain: "DO", header cell (0,1).' in user
    assert "[b1, p.1] DO was measured at dawn at every station." in user
    assert "The river flows north." not in user


def test_judge_and_resolve_see_a_long_legend_whole_and_the_row_labels(
        server: FakeLLMServer, tmp_path: Path) -> None:
    # legends of report tables ("Notes: A = ...; B = ...") often run past 300 characters
    legend = "; ".join(f"S{i} = sampling station number {i} on the lower river reach"
                       for i in range(1, 13))
    table = make_table().model_copy(update={"notes": [Note(kind="legend", text=legend)]})
    stub = {"keyword": "S2", "row": 2, "col": 0, "role": "stub", "style": "letter_codes",
            "score": 0.8}
    server.enqueue(ok({**GOOD, "keywords": [stub]}),
                   ok({"expansion": "sampling station number 2", "category": "explicit",
                       "confidence": 0.9}))
    with backend(server, tmp_path) as b:
        judged = b.judge(table, make_doc())
        b.resolve(table, make_doc(), judged.keywords[0])
    assert len(legend) > 600 and judged.keywords[0].role == "stub"
    judge, resolve = (r["messages"][1]["content"] for r in server.requests)
    for user in (judge, resolve):
        assert f"- [legend] {legend}\n" in user
        assert "| (2,0) S2 | 6.8 | 2.1 |" in user
    assert 'Header to explain: "S2", the row label (stub cell) (2,0).' in resolve


def test_answer_sets_token_counts(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(ok({"answer": "7.2", "abstained": False, "evidence_ids": ["t1"]},
                      usage=(300, 12)))
    passages = [Passage(id="t1", kind="table", text="", table=make_table()),
                Passage(id="b1", kind="text", text="DO was measured at dawn.")]
    with backend(server, tmp_path) as b:
        out = b.answer("What is the dissolved oxygen at S1?", passages)
    assert out == AnswerOutput(answer="7.2", abstained=False, evidence_ids=["t1"],
                               prompt_tokens=300, completion_tokens=12)
    schema = server.requests[0]["response_format"]["json_schema"]["schema"]
    assert sorted(schema["properties"]) == ["abstained", "answer", "evidence_ids"]
    user = server.requests[0]["messages"][1]["content"]
    assert "[t1] (table)\nCaption: Table 2." in user
    assert "[b1] (text)\nDO was measured at dawn." in user
    assert "Question: What is the dissolved oxygen at S1?" in user


def test_json_object_response_format(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(ok(CLEAR))
    with backend(server, tmp_path, response_format="json_object") as b:
        assert b.judge(make_table(), None) == JudgeOutput.model_validate(CLEAR)
    assert server.requests[0]["response_format"] == {
        "type": "json_object", "schema": JudgeOutput.model_json_schema()}


def test_provenance_has_prompt_file_hash(server: FakeLLMServer, tmp_path: Path) -> None:
    with backend(server, tmp_path) as b:
        for task in ("judge", "resolve", "answer"):
            digest = hashlib.sha256((PROMPTS / f"{task}.md").read_bytes()).hexdigest()[:12]
            assert b.provenance(task) == {"backend": "openai", "model": "fake-model",
                                          "prompt_hash": digest}
        with pytest.raises(ConfigError, match="unknown LLM task 'summarize'"):
            b.provenance("summarize")
    assert server.requests == []


# ------------------------------------------------------------------------- retries


def test_429_honours_retry_after(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(error(429, "rate limited", headers={"Retry-After": "1"}), ok(GOOD))
    with backend(server, tmp_path, retry_max_wait=5.0) as b:
        start = time.monotonic()
        out = b.judge(make_table(), None)
        elapsed = time.monotonic() - start
        summary = b.ledger.summary()
    assert out == JudgeOutput.model_validate(GOOD)
    assert len(server.requests) == 2
    assert elapsed >= 1.0
    assert (summary["calls"], summary["retries"], summary["failures"]) == (2, 1, 0)


def test_500_is_retried(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(error(500), error(503), ok(GOOD))
    with backend(server, tmp_path) as b:
        assert b.judge(make_table(), None) == JudgeOutput.model_validate(GOOD)
        assert (b.ledger.calls, b.ledger.retries, b.ledger.failures) == (3, 2, 0)
    assert len(server.requests) == 3


def test_retries_exhausted_is_an_item_error(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(*[error(502, "bad gateway")] * 3)
    with backend(server, tmp_path, max_retries=2) as b:
        with pytest.raises(LLMUnavailableError, match="HTTP 502 after 3 attempt") as info:
            b.judge(make_table(), None)
        assert (b.ledger.calls, b.ledger.retries, b.ledger.failures) == (3, 2, 1)
    assert info.value.attempts == 3
    assert info.value.reason == "llm_unavailable"
    assert len(server.requests) == 3


def test_timeout_is_retried(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(ok(GOOD, delay=1.5), ok(CLEAR))
    with backend(server, tmp_path, timeout=0.5) as b:
        out = b.judge(make_table(), None)
        assert (b.ledger.calls, b.ledger.retries, b.ledger.failures) == (2, 1, 0)
    assert out == JudgeOutput.model_validate(CLEAR)
    assert len(server.requests) == 2


def test_connection_refused_after_the_endpoint_answered_is_transient(tmp_path: Path) -> None:
    srv = FakeLLMServer().start()
    srv.enqueue(ok(GOOD))
    b = OpenAIBackend.from_settings({"base_url": srv.url, "api_key": "k", "model": "m",
                                     "no_cache": True, "max_retries": 1, "retry_max_wait": 0.01,
                                     "timeout": 2.0})
    with b:
        b.judge(make_table(), None)  # the endpoint answered once: a later refusal is a blip
        srv.stop()
        with pytest.raises(LLMUnavailableError, match="APIConnectionError after 2 attempt"):
            b.judge(make_table(), None)
    assert (b.ledger.calls, b.ledger.retries, b.ledger.failures) == (3, 1, 1)  # 1 ok + 2 tries


def test_connection_refused_on_the_first_request_is_a_config_error(tmp_path: Path) -> None:
    """A wrong --base-url or a server not started: the same for every item, so no retries."""
    with FakeLLMServer() as srv:
        url = srv.url
    b = OpenAIBackend.from_settings({"base_url": url, "api_key": "k", "model": "m",
                                     "no_cache": True, "max_retries": 5, "timeout": 2.0})
    with b, pytest.raises(ConfigError) as info:
        b.judge(make_table(), None)
    assert str(info.value) == (f"cannot connect to {url} ([Errno 111] Connection refused): "
                               "start the server there, or pass the right --base-url (or "
                               "OPENAI_BASE_URL)")
    assert (b.ledger.calls, b.ledger.retries) == (1, 0)  # one attempt, counted, no retry


def test_401_names_the_key_and_is_not_retried(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(error(401, "Incorrect API key provided"))
    with backend(server, tmp_path) as b:
        with pytest.raises(ConfigError) as info:
            b.judge(make_table(), None)
        assert (b.ledger.calls, b.ledger.retries, b.ledger.failures) == (1, 0, 1)
    assert str(info.value) == (f"{server.url} rejected the API key (401 Unauthorized): "
                               "set OPENAI_API_KEY or pass --api-key")
    assert not isinstance(info.value, LLMError)
    assert len(server.requests) == 1


def test_404_names_the_model(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(error(404, "The model `fake-model` does not exist", code="model_not_found"))
    with backend(server, tmp_path) as b, pytest.raises(ConfigError) as info:
        b.judge(make_table(), None)
    assert str(info.value).startswith(
        f"model 'fake-model' not found at {server.url} (404); set ABSTAB_MODEL or --model")
    assert len(server.requests) == 1


def test_400_is_an_item_error_without_retry(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(error(400, "response_format json_schema is not supported"))
    with backend(server, tmp_path) as b, pytest.raises(LLMRequestError) as info:
        b.judge(make_table(), None)
    assert info.value.status == 400
    assert "try --response-format json_object or none" in str(info.value)
    assert len(server.requests) == 1


# --------------------------------------------------------------- structured output


def test_malformed_json_is_repaired(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(ok('{"label": "abstract", '), ok(GOOD))
    with backend(server, tmp_path) as b:
        out = b.judge(make_table(), None)
        assert (b.ledger.calls, b.ledger.repairs, b.ledger.invalid_outputs) == (2, 1, 0)
    assert out == JudgeOutput.model_validate(GOOD)
    assert len(server.requests) == 2
    repair = server.requests[1]["messages"]
    assert repair[:2] == server.requests[0]["messages"]
    assert repair[2] == {"role": "assistant", "content": '{"label": "abstract", '}
    assert repair[3]["role"] == "user"
    assert repair[3]["content"].startswith(
        "Your reply is not valid: the reply is not valid JSON (Expecting")


def test_code_fence_is_accepted(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(ok("```json\n" + json.dumps(GOOD) + "\n```"))
    with backend(server, tmp_path) as b:
        assert b.judge(make_table(), None) == JudgeOutput.model_validate(GOOD)
    assert len(server.requests) == 1


def test_schema_invalid_then_valid_after_repair(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(ok({"label": "maybe", "confidence": 0.5}), ok(CLEAR))
    with backend(server, tmp_path) as b:
        assert b.judge(make_table(), None) == JudgeOutput.model_validate(CLEAR)
    assert len(server.requests) == 2
    assert server.requests[1]["messages"][3]["content"] == (
        "Your reply is not valid: at label: 'maybe' is not one of "
        "['clear', 'abstract', 'not_table'].\n"
        "Reply again with only the corrected JSON object, of the form given above.")


def test_schema_invalid_twice_raises_typed_error(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(ok({"label": "maybe", "confidence": 0.5}),
                   ok({"label": "clear", "confidence": 3}))
    with backend(server, tmp_path) as b:
        with pytest.raises(StructuredOutputError) as info:
            b.judge(make_table(), None)
        assert (b.ledger.calls, b.ledger.repairs, b.ledger.invalid_outputs) == (2, 1, 1)
    err = info.value
    assert isinstance(err, LLMError) and isinstance(err, AbstabError)
    assert err.reason == "invalid_output"
    assert err.task == "judge"
    assert err.raw == '{"label": "clear", "confidence": 3}'
    assert err.errors == ["at label: 'maybe' is not one of ['clear', 'abstract', 'not_table']",
                          "at confidence: 3 is greater than the maximum of 1"]
    assert str(err) == ("judge reply does not match its schema after one repair: "
                        "at confidence: 3 is greater than the maximum of 1")
    assert len(server.requests) == 2


# --------------------------------------------------------------------------- cache


def test_second_identical_run_makes_no_request(server: FakeLLMServer, tmp_path: Path) -> None:
    tables = [make_table(f"t{i}", caption=f"Table {i}") for i in range(3)]
    server.enqueue(ok(GOOD), ok(CLEAR), ok(GOOD))
    with backend(server, tmp_path, concurrency=1) as b:
        first = [b.judge(t, None) for t in tables]
    assert len(server.requests) == 3
    server.reset_counts()
    with backend(server, tmp_path, concurrency=1) as b:  # a new process would do the same
        second = [b.judge(t, None) for t in tables]
        summary = b.ledger.summary()
    assert second == first
    assert server.requests == []
    assert (summary["calls"], summary["cache_hits"]) == (0, 3)
    assert summary["latency_ms"] == {"p50": None, "p95": None, "max": None}


def test_invalid_replies_are_never_cached_and_repaired_ones_are(server: FakeLLMServer,
                                                                 tmp_path: Path) -> None:
    bad = {"label": "maybe", "confidence": 0.5}
    server.enqueue(ok(bad), ok({"label": "x", "confidence": 1}))
    with backend(server, tmp_path) as b:
        with pytest.raises(StructuredOutputError):
            b.judge(make_table(), None)
        assert b.cache is not None and len(b.cache) == 0
    # the rerun asks again; the model answers the same bad reply, then a valid repair
    server.enqueue(ok(bad), ok(CLEAR))
    with backend(server, tmp_path) as b:
        assert b.judge(make_table(), None) == JudgeOutput.model_validate(CLEAR)
        assert (b.ledger.calls, b.ledger.cache_hits) == (2, 0)
        assert b.cache is not None and len(b.cache) == 1  # the repair, keyed on the bad reply
    assert len(server.requests) == 4
    # a third run asks the first request again; the same bad reply makes the repair a hit
    server.enqueue(ok(bad))
    with backend(server, tmp_path) as b:
        assert b.judge(make_table(), None) == JudgeOutput.model_validate(CLEAR)
        assert (b.ledger.calls, b.ledger.cache_hits) == (1, 1)
    assert len(server.requests) == 5


def test_a_reply_cut_at_max_tokens_is_used_but_not_cached(server: FakeLLMServer,
                                                          tmp_path: Path) -> None:
    server.enqueue(Reply(content=GOOD, finish_reason="length"),
                   Reply(content="plain text", finish_reason="length"))
    with backend(server, tmp_path) as b:
        assert b.judge(make_table(), None) == JudgeOutput.model_validate(GOOD)
        assert b.client.chat([{"role": "user", "content": "hi"}]).content == "plain text"
        assert b.cache is not None and len(b.cache) == 0


def test_an_invalid_cached_reply_is_asked_again_not_served(server: FakeLLMServer,
                                                           tmp_path: Path) -> None:
    """An entry that does not validate (cached by an older abstab, or by plain ``chat``)."""
    schema = TASKS["judge"].schema
    messages = [{"role": "user", "content": "judge this"}]
    server.enqueue(ok("not JSON"), ok(CLEAR))
    with backend(server, tmp_path) as b:
        assert b.client.chat(messages, schema=schema, prompt_hash="h").content == "not JSON"
        out = b.client.structured(messages, schema=schema, parse=JudgeOutput.model_validate,
                                  prompt_hash="h")
        assert out.value == JudgeOutput.model_validate(CLEAR)
        assert (out.requests, b.ledger.repairs, b.ledger.cache_hits) == (1, 0, 1)
        again = b.client.structured(messages, schema=schema, parse=JudgeOutput.model_validate,
                                    prompt_hash="h")
        assert again.cached and again.value == out.value
    assert len(server.requests) == 2


def test_sampled_calls_are_not_cached(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(ok(GOOD), ok(CLEAR))
    with backend(server, tmp_path, temperature=0.7) as b:
        assert b.judge(make_table(), None) == JudgeOutput.model_validate(GOOD)
        assert b.judge(make_table(), None) == JudgeOutput.model_validate(CLEAR)
        assert b.ledger.cache_hits == 0
    assert len(server.requests) == 2
    assert server.requests[0]["temperature"] == 0.7
    assert len(ResponseCache(tmp_path / "llm.sqlite")) == 0


def test_seeded_sampling_is_cached(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(ok(GOOD))
    with backend(server, tmp_path, temperature=0.7, seed=3) as b:
        assert b.judge(make_table(), None) == b.judge(make_table(), None)
        assert b.ledger.cache_hits == 1
    assert len(server.requests) == 1
    assert server.requests[0]["seed"] == 3


def test_cache_key_covers_model_and_params(server: FakeLLMServer, tmp_path: Path) -> None:
    server.responder = lambda req: ok(GOOD)
    for kw in ({}, {"model": "other-model"}, {"max_tokens": 50}, {"response_format": "none"},
               {}):
        with backend(server, tmp_path, **kw) as b:
            b.judge(make_table(), None)
    assert [r["model"] for r in server.requests] == ["fake-model", "other-model", "fake-model",
                                                      "fake-model"]
    assert "response_format" not in server.requests[3]


def test_cache_key_covers_prompt_hash(server: FakeLLMServer, tmp_path: Path) -> None:
    server.responder = lambda req: ok("hello")
    with backend(server, tmp_path) as b:
        msgs = [{"role": "user", "content": "hi"}]
        replies = [b.client.chat(msgs, prompt_hash=h) for h in ("aaa", "bbb", "aaa")]
    assert [r.cached for r in replies] == [False, False, True]
    assert len(server.requests) == 2


def test_no_cache_setting(server: FakeLLMServer, tmp_path: Path) -> None:
    server.responder = lambda req: ok(GOOD)
    with backend(server, tmp_path, no_cache=True) as b:
        b.judge(make_table(), None)
        b.judge(make_table(), None)
        assert b.cache is None
    assert len(server.requests) == 2
    assert not (tmp_path / "llm.sqlite").exists()


def test_cache_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "c.sqlite"
    request = {"model": "m", "messages": [{"role": "user", "content": "é"}], "temperature": 0}
    key = request_key(request)
    assert key == request_key(dict(reversed(list(request.items()))))
    with ResponseCache(path) as cache:
        assert cache.get(key) is None
        cache.put(key, request, {"content": "ça", "prompt_tokens": 3})
    with ResponseCache(path) as cache:
        assert cache.get(key) == {"content": "ça", "prompt_tokens": 3}
        assert len(cache) == 1
    cache = ResponseCache(path)
    cache.close()
    with pytest.raises(RuntimeError, match="is closed"):
        cache.get(key)


def test_cache_is_thread_safe(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")

    def work(i: int) -> None:
        for j in range(50):
            cache.put(f"{i}-{j}", {"model": "m"}, {"content": str(j)})
            assert cache.get(f"{i}-{j}") == {"content": str(j)}

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 400
    cache.close()


def test_default_cache_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert LLMSettings().resolved_cache_path() == tmp_path / "xdg" / "abstab" / "llm.sqlite"
    assert LLMSettings(workspace=tmp_path / "w").resolved_cache_path() == \
        tmp_path / "w" / ".cache" / "llm.sqlite"
    assert LLMSettings(cache_path=tmp_path / "x.db").resolved_cache_path() == tmp_path / "x.db"
    assert LLMSettings(no_cache=True, cache_path=tmp_path / "x.db").resolved_cache_path() is None


# --------------------------------------------------------------------- concurrency


def test_concurrency_is_bounded(tmp_path: Path) -> None:
    with FakeLLMServer(responder=lambda req: ok(GOOD), latency=0.2) as srv:
        tables = [make_table(f"t{i}", caption=f"Table {i}") for i in range(8)]
        with backend(srv, tmp_path, concurrency=4) as b:
            start = time.monotonic()
            results = b.map("judge", [(t, None) for t in tables])
            elapsed = time.monotonic() - start
        assert srv.max_in_flight == 4
        assert len(srv.requests) == 8
    assert results == [JudgeOutput.model_validate(GOOD)] * 8
    assert 0.4 <= elapsed < 1.6  # two waves of 200 ms; one at a time would take 1.6 s


def test_map_returns_results_and_item_errors_in_order(tmp_path: Path) -> None:
    def responder(req: dict[str, Any]) -> Reply:
        text = req["messages"][1]["content"]
        if "Caption: Table 1" in text:
            return ok("not json at all")
        if "Caption: Table 3" in text:
            return ok(CLEAR)
        return ok(GOOD)

    with FakeLLMServer(responder=responder) as srv:
        tables = [make_table(f"t{i}", caption=f"Table {i}") for i in range(5)]
        with backend(srv, tmp_path, concurrency=3) as b:
            results = b.map("judge", [{"table": t, "doc": None} for t in tables])
            assert b.ledger.invalid_outputs == 1
        assert len(srv.requests) == 6
    assert [type(r).__name__ for r in results] == [
        "JudgeOutput", "StructuredOutputError", "JudgeOutput", "JudgeOutput", "JudgeOutput"]
    assert results[3] == JudgeOutput.model_validate(CLEAR)
    assert results[1].raw == "not json at all"


def test_map_stops_on_config_error(tmp_path: Path) -> None:
    with FakeLLMServer(responder=lambda req: error(401, "bad key")) as srv:
        tables = [make_table(f"t{i}", caption=f"Table {i}") for i in range(40)]
        with backend(srv, tmp_path, concurrency=2) as b, \
                pytest.raises(ConfigError, match="OPENAI_API_KEY"):
            b.map("judge", [(t, None) for t in tables])
        assert 1 <= len(srv.requests) <= 6  # the rest were never sent


# ------------------------------------------------------------ settings, env, logging


def test_settings_from_environment(server: FakeLLMServer, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.url + "/")
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    monkeypatch.setenv("ABSTAB_MODEL", "env-model")
    server.enqueue(ok(GOOD))
    with OpenAIBackend.from_settings({"cache_path": tmp_path / "c.sqlite"}) as b:
        b.judge(make_table(), None)
        assert b.provenance("judge")["model"] == "env-model"
    assert server.requests[0]["model"] == "env-model"
    assert server.headers[0]["authorization"] == "Bearer env-key"


def test_openai_without_key_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        OpenAIBackend.from_settings({"no_cache": True})
    assert str(info.value) == ("no API key for https://api.openai.com/v1: set OPENAI_API_KEY or "
                               "pass --api-key")


def test_settings_bounds_name_the_setting() -> None:
    with pytest.raises(ConfigError) as info:
        LLMSettings.resolve({"concurrency": 0, "temperature": 0.2}, timeout=None)
    assert str(info.value) == ("bad LLM settings: concurrency: Input should be greater than or "
                               "equal to 1")
    with pytest.raises(ConfigError, match="bogus: Extra inputs are not permitted"):
        LLMSettings.resolve({"bogus": 1})
    s = LLMSettings.resolve(LLMSettings(concurrency=8), temperature=0.5, seed=None)
    assert (s.concurrency, s.temperature, s.seed, s.sampled) == (8, 0.5, None, True)
    assert "test-key" not in repr(LLMSettings(api_key="test-key"))


def test_show_responses_logs_to_stderr(server: FakeLLMServer, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ABSTAB_LLM_SHOW_RESPONSES", "1")
    server.enqueue(ok(GOOD))
    with backend(server, tmp_path) as b:
        b.judge(make_table(), None)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0].startswith("[abstab llm] >>> {")
    request = json.loads(err[0].split(">>> ", 1)[1])
    assert request["url"] == server.url + "/chat/completions"
    assert request["model"] == "fake-model"
    reply = json.loads(err[1].split("<<< ", 1)[1])
    assert json.loads(reply["choices"][0]["message"]["content"]) == GOOD
    assert "test-key" not in "\n".join(err)


# --------------------------------------------------------------- ledger, prompts, text


def test_ledger_summary_and_cost() -> None:
    ledger = Ledger("openai", "m", Prices(input=1.0, output=2.0))
    for latency in (0.1, 0.2, 0.3, 0.4):
        ledger.record_call(latency, 100, 20)
    ledger.record_failed_attempt()
    ledger.record_retry()
    ledger.record_cache_hit()
    summary = ledger.summary()
    assert summary == {
        "backend": "openai", "model": "m", "calls": 5, "cache_hits": 1, "retries": 1,
        "failures": 0, "repairs": 0, "invalid_outputs": 0, "prompt_tokens": 400,
        "completion_tokens": 80, "latency_ms": {"p50": 250.0, "p95": 385.0, "max": 400.0},
        "cost_usd": 0.00056,
    }
    assert ledger.format() == (
        "llm openai m: 5 calls, 1 cache hits, 1 retries, 0 failed, 0 invalid (0 repairs)\n"
        "  tokens 400 in / 80 out; latency p50 250 ms, p95 385 ms; cost $0.0006")
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0


def test_prompt_files_have_both_parts_and_placeholders() -> None:
    expected = {"judge": {"table", "document", "schema"},
                "resolve": {"table", "keyword", "where", "passages", "document", "schema"},
                "answer": {"question", "passages", "schema"}}
    for task, names in expected.items():
        prompt = load_prompt(task)
        assert prompt.system and prompt.user
        assert prompt.placeholders() == names
        assert task in TASKS
    assert load_prompt("repair").placeholders() == {"error"}
    with pytest.raises(ConfigError, match="no prompt template for task 'nope'"):
        load_prompt("nope")


def test_prompt_template_parse_and_render() -> None:
    text = "comment\n## system\nBe $role.\n## user\nCost: $$5 for ${thing}.\n"
    prompt = PromptTemplate.parse("t", text)
    assert prompt.hash == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert prompt.render(role="brief", thing="{x}") == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Cost: $5 for {x}."}]
    with pytest.raises(ConfigError, match=r"prompt 't' needs a value for \$thing"):
        prompt.render(role="x")
    with pytest.raises(ConfigError, match="has no '## user' section"):
        PromptTemplate.parse("t", "## system\nhi\n")


def test_table_markdown_marks_header_cells() -> None:
    assert serialize(make_table(), "marked") == (
        "Caption: Table 2. Water quality at the stations\n"
        "| (0,0) Station | (0,1) DO | (0,2) ΔT |\n"
        "|---|---|---|\n"
        "| S1 | 7.2 | 1.5 |\n"
        "| S2 | 6.8 | 2.1 |\n"
        "Notes under the table:\n"
        "- [legend] DO = dissolved oxygen (mg/L)")
    assert serialize(make_table(), "marked", max_rows=1).splitlines()[-3] == "(1 more rows)"
    # for the judge and the resolver: the row labels of the first column are marked too
    assert serialize(make_table(), "marked", stub=True).splitlines()[3:5] == [
        "| (1,0) S1 | 7.2 | 1.5 |", "| (2,0) S2 | 6.8 | 2.1 |"]


def test_document_context_prefers_mentions() -> None:
    doc = make_doc()
    assert document_context(doc, keyword="DO") == "[b1, p.1] DO was measured at dawn at every station."
    assert document_context(doc, keyword="XYZ") == "(no block of the document mentions it)"
    assert document_context(None, keyword="DO") == "(no document text available)"


def test_a_compressed_reply_is_refused_unread(server: FakeLLMServer, tmp_path: Path) -> None:
    server.enqueue(Reply(content=GOOD, headers={"Content-Encoding": "gzip"}))
    with backend(server, tmp_path) as b:
        with pytest.raises(LLMRequestError) as info:
            b.judge(make_table(), None)
        assert (b.ledger.calls, b.ledger.retries, b.ledger.failures) == (1, 0, 1)
    assert server.headers[0]["accept-encoding"] == "identity"
    assert str(info.value) == ("the endpoint sent a compressed reply (Content-Encoding: gzip) "
                               "although abstab asked for none; use an endpoint that honours "
                               "Accept-Encoding: identity")


def judge_in_thread(b: OpenAIBackend) -> tuple[threading.Thread, list[BaseException]]:
    """Start ``b.judge`` in a daemon thread; the list receives what it raises."""
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            b.judge(make_table(), None)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    return worker, outcome


def test_close_cuts_retries_short(tmp_path: Path) -> None:
    with FakeLLMServer(responder=lambda req: error(503, "overloaded")) as srv:
        b = backend(srv, tmp_path, max_retries=10, retry_max_wait=30.0, no_cache=True)
        worker, outcome = judge_in_thread(b)
        wait_for(lambda: len(srv.requests) >= 1, "the first request")
        b.close()
        # Ten retries with waits of up to 30 s would take minutes: closing cut them short.
        worker.join(timeout=30)
        assert not worker.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], LLMUnavailableError)
        assert len(srv.requests) < 11


def test_retry_after_parsing() -> None:
    from email.utils import formatdate

    try:
        import httpx2 as httpx  # the openai SDK here is built on httpx2
    except ImportError:  # pragma: no cover - older SDKs use httpx
        import httpx
    import openai

    from abstab.llm.retry import is_transient, retry_after_seconds

    def status_error(status: int, headers: dict[str, str]) -> openai.APIStatusError:
        request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
        response = httpx.Response(status, headers=headers, request=request)
        return openai.APIStatusError("x", response=response, body=None)

    assert retry_after_seconds(status_error(429, {"Retry-After": "7"})) == 7.0
    assert retry_after_seconds(status_error(503, {"retry-after-ms": "250"})) == 0.25
    assert retry_after_seconds(status_error(500, {"Retry-After": "7"})) is None
    assert retry_after_seconds(status_error(429, {})) is None
    in_a_minute = retry_after_seconds(
        status_error(429, {"Retry-After": formatdate(time.time() + 60, usegmt=True)}))
    assert in_a_minute is not None and 55 <= in_a_minute <= 61
    assert [is_transient(status_error(s, {})) for s in (400, 401, 404, 408, 409, 422, 429, 500,
                                                        502, 503)] == \
        [False, False, False, True, True, False, True, True, True, True]


# ------------------------------------------------- keys, deadlines, size caps, damaged caches


def test_public_url_drops_credentials_and_redactor_masks_every_form() -> None:
    from abstab.llm.redact import Redactor, public_url, url_secrets

    assert public_url("http://user:SECRETKEY@127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1"
    assert (public_url("https://h.example/v1?api-version=2&api-key=SECRETKEY")
            == "https://h.example/v1?api-version=2&api-key=***")
    assert public_url("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/v1"
    secrets = url_secrets("http://user:SECRETKEY@h/v1?key=OTHERSECRET")
    assert secrets == ["OTHERSECRET", "user", "SECRETKEY", "dXNlcjpTRUNSRVRLRVk="]
    redact = Redactor(["sk-live-123456", "k", "no-key", *secrets])
    text = ('{"error": "bad key sk-live-123456", "headers": {"authorization": "Bearer abc.def", '
            '"Authorization": "Basic dXNlcjpTRUNSRVRLRVk=", "api-key": "zzzzzz"}} '
            'GET /v1?key=qqqqqq&x=1 SECRETKEY')
    assert redact(text) == (
        '{"error": "bad key ***", "headers": {"authorization": "Bearer ***", '
        '"Authorization": "Basic ***", "api-key": "***"}} GET /v1?key=***&x=1 ***')
    assert redact.exact("password: hunter22 and k") == "password: hunter22 and k"


def test_a_key_in_the_url_changes_nothing_cached_and_is_never_shown(server: FakeLLMServer,
                                                                     tmp_path: Path) -> None:
    host = server.url.removeprefix("http://")
    server.enqueue(ok(GOOD), error(400, "rejected", headers={}),
                   Reply(400, body={"error": {"message": "bad"}}, echo_headers=True))
    with backend(server, tmp_path, base_url=f"http://user:SECRETKEY1@{host}") as b:
        b.judge(make_table(), None)
        assert b.client.identity.endpoint == server.url
    with backend(server, tmp_path, base_url=f"http://user:SECRETKEY2@{host}") as b:
        assert b.judge(make_table(), None) == JudgeOutput.model_validate(GOOD)  # same entry
        assert b.ledger.cache_hits == 1
        with pytest.raises(LLMRequestError) as first:
            b.judge(make_table("t2", caption="Other"), None)
        with pytest.raises(LLMRequestError) as second:
            b.judge(make_table("t3", caption="Third"), None)
    assert server.headers[-1]["authorization"].startswith("Basic ")  # httpx sent the URL's key
    for exc in (first.value, second.value):
        assert str(exc).startswith(f"{server.url} rejected the request (HTTP 400)")
        assert "SECRETKEY" not in str(exc) and "dXNlcjpTRUNSRVRLRVky" not in str(exc)
    assert str(second.value).endswith("bad (Authorization: Basic ***)")
    stored = (tmp_path / "llm.sqlite").read_bytes()
    assert b"SECRETKEY" not in stored and server.url.encode() in stored


def test_a_dripping_endpoint_is_a_timeout_after_the_total_deadline(server: FakeLLMServer,
                                                                    tmp_path: Path) -> None:
    from abstab.llm.errors import LLMTimeoutError

    server.enqueue(Reply(content=GOOD, drip=0.1), Reply(content=GOOD, drip=0.1))
    with backend(server, tmp_path, timeout=1.0, max_retries=1) as b:
        with pytest.raises(LLMTimeoutError) as info:
            b.judge(make_table(), None)
        assert (b.ledger.calls, b.ledger.retries, b.ledger.failures) == (2, 1, 1)
        assert b.cache is not None and len(b.cache) == 0
    assert info.value.reason == "timeout"
    assert str(info.value) == (f"{server.url}: no complete reply within 1 s, 2 attempt(s) "
                               "(raise --request-timeout)")


def test_a_reply_over_the_cap_is_abandoned_not_retried_not_cached(server: FakeLLMServer,
                                                                  tmp_path: Path) -> None:
    from abstab.llm.errors import ReplyTooLargeError

    huge = {**GOOD, "reasons": ["x" * 300_000]}
    server.enqueue(ok(huge), ok(GOOD))
    with backend(server, tmp_path, max_reply_bytes=100_000) as b:
        with pytest.raises(ReplyTooLargeError) as info:
            b.judge(make_table(), None)
        assert (b.ledger.calls, b.ledger.retries, b.ledger.failures) == (1, 0, 1)
        assert b.cache is not None and len(b.cache) == 0
        assert b.judge(make_table(), None) == JudgeOutput.model_validate(GOOD)  # asked again
    assert info.value.reason == "reply_too_large"
    assert str(info.value) == ("the reply is larger than the 100,000-byte cap (max_reply_bytes); "
                               "raise it with --max-reply-bytes if replies are really that long")
    assert len(server.requests) == 2


def test_close_ends_a_request_the_endpoint_holds(server: FakeLLMServer, tmp_path: Path) -> None:
    hold = threading.Event()
    server.enqueue(Reply(content=GOOD, hold=hold))
    b = backend(server, tmp_path, timeout=600.0, no_cache=True)
    worker, outcome = judge_in_thread(b)
    try:
        assert server.arrived.wait(30)
        b.close()
        worker.join(timeout=30)  # a guard: the request ends within a read slice of close()
        assert not worker.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], LLMUnavailableError)
    finally:
        hold.set()


def test_a_damaged_cache_file_names_itself_and_the_fix(tmp_path: Path) -> None:
    from abstab.llm.errors import CacheError

    path = tmp_path / "llm.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CacheError) as info:
        ResponseCache(path)
    assert isinstance(info.value, ConfigError)
    assert str(info.value) == (
        f"LLM response cache {path} cannot be used (file is not a database): delete the file "
        "(it holds only cached replies), or run with --no-cache or --cache OTHER.sqlite")
