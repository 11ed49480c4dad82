"""abstab review: the page driven in headless Chromium, decisions as records, export/import,
the report's numbers and agreement between reviewers (issue 18, points 1-3 and 5)."""

import json
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml
from click.testing import CliRunner
from conftest import SAMPLE_PDFS, SAMPLE_PIPELINE

from abstab.cli import cli
from abstab.decisions import DecisionLog, latest_decisions
from abstab.records import Decision
from abstab.review.server import make_server, url_of
from abstab.review.workspace import ReviewWorkspace

T0, T1, T2 = "46131da9c7b958d7:t0", "8de399d3bf215f44:t0", "8de399d3bf215f44:t1"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The README's sample workspace (abstab synth -p pipelines/sample.yaml), built once."""
    tmp = tmp_path_factory.mktemp("review")
    pipe = yaml.safe_load(SAMPLE_PIPELINE.read_text())
    pipe["inputs"] = [str(SAMPLE_PDFS)]
    (tmp / "p.yaml").write_text(yaml.safe_dump(pipe))
    result = CliRunner().invoke(cli, ["synth", "-p", str(tmp / "p.yaml"), "-o", str(tmp / "w")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return tmp / "w"


@pytest.fixture
def work(built, tmp_path):
    """A fresh copy per test: tests write decisions."""
    shutil.copytree(built, tmp_path / "w")
    return tmp_path / "w"


def _invoke(*args):
    return CliRunner().invoke(cli, ["review", *map(str, args)], catch_exceptions=False)


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _decided(work):
    return [(d["unit"], d["id"], d["decision"], d["value"], d["reviewer"])
            for d in _lines(work / "review" / "decisions.jsonl")]


@pytest.fixture
def serve(work):
    servers = []

    def start(reviewer="alice"):
        server = make_server(work, reviewer, 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return url_of(server)

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


# ---------------------------------------------------------------------------- the page


def _ready(page, table_id):
    page.wait_for_selector(f"body[data-ready='{table_id}']", state="attached")


def _press(page, key, expect_status):
    page.keyboard.press(key)
    page.wait_for_function("s => document.getElementById('status').textContent === s",
                           arg=expect_status)


def test_keyboard_review_writes_decisions_and_undo_withdraws(built, work, serve, browser):
    """Accept a table, reject one, toggle a header, rewrite a meaning, undo: decisions.jsonl
    holds exactly those lines, the decisions standing are the first three, and a rerun of
    synth follows them."""
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(serve())
    _ready(page, T0)
    assert page.inner_text("#progress") == "0 of 8 tables reviewed · 8 in queue"
    assert page.inner_text("#title") == "Table 1: Mean wellbeing score by school and cohort, 2024"
    # the PDF region is shown with the header cells outlined, the judge's abstract ones marked
    assert page.locator("#images img").count() == 1
    assert page.locator("#images .box").count() == 7
    assert page.locator("#images .box.abstract").count() == 6
    assert page.locator("#grid th.abstract").all_inner_texts() == [
        "C1", "C2", "C3", "σ", "Resp.", "%Δ¹"]
    assert page.locator("li[data-unit='meaning']").count() == 6
    resp = page.locator("li[data-id='46131da9c7b958d7:t0#0,5']")
    assert resp.locator(".meaning").inner_text() == \
        "number of students who returned the questionnaire"
    assert page.locator("li[data-unit='item']").count() == 16  # no unanswerable item: nothing absent to ask of it
    # the evidence where it stands: page, the text around it, and its block on the page
    c3 = page.locator("li[data-id='46131da9c7b958d7:t0#0,3']")
    assert c3.locator(".ev .muted").inner_text() == (
        "p. 1 · Westvale Schools Trust: Student Wellbeing Cohort Survey 2024 › 1 Background: ")
    evidence = ReviewWorkspace(work).resolutions_at(T0)[0, 3].evidence[0]
    assert evidence.text.startswith("The survey follows three cohorts of students")
    assert c3.locator(".ev mark").inner_text() == evidence.text
    c3.locator("img.ev-img").scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector(\"li[data-id='46131da9c7b958d7:t0#0,3'] "
                           "img.ev-img\").naturalWidth > 0")
    _press(page, "a", f"table {T0}: accept")
    assert page.inner_text("#progress") == "1 of 8 tables reviewed · 7 in queue"
    page.keyboard.press("ArrowRight")
    _ready(page, T1)
    _press(page, "x", f"table {T1}: reject")
    page.keyboard.press("ArrowRight")
    _ready(page, T2)
    # focus starts on the first header cell, 'Project', which the judge left clear
    assert page.inner_text("#grid th.focus") == "Project"
    _press(page, " ", f"header {T2}#0,0: edit")
    assert page.locator("#grid th.gold-abstract").all_inner_texts() == ["Project"]
    # a person-marked abstract header gets a meaning to write; the resolver's first is 'Exp.'
    for _ in range(5):
        page.keyboard.press("j")
    assert page.locator("li.unit.focus").get_attribute("data-id") == f"{T2}#0,2"
    page.keyboard.press("e")
    page.fill("input.rewrite", "Expenditure to date")
    page.press("input.rewrite", "Enter")
    page.wait_for_selector("b.corrected")
    assert page.inner_text("b.corrected") == "Expenditure to date"
    _press(page, "z", f"undone: meaning {T2}#0,2")
    assert page.locator("b.corrected").count() == 0
    assert _decided(work) == [
        ("table", T0, "accept", None, "alice"),
        ("table", T1, "reject", "not_table", "alice"),
        ("header", f"{T2}#0,0", "edit", True, "alice"),
        ("meaning", f"{T2}#0,2", "edit",
         {"meaning": "Expenditure to date", "category": "inferable_document"}, "alice"),
        ("meaning", f"{T2}#0,2", "undo", None, "alice"),
    ]
    assert sorted(latest_decisions(work)) == [
        ("header", f"{T2}#0,0"), ("table", T0), ("table", T1)]
    assert errors == []
    page.close()
    # a rerun follows them: T1's items leave the dataset, T0's say their table was checked,
    # the header marked abstract is resolved
    rerun = CliRunner().invoke(cli, ["synth", "-p", str(built.parent / "p.yaml"), "-o",
                                     str(work)], catch_exceptions=False)
    assert rerun.exit_code == 0, rerun.output
    items = _lines(work / "assemble" / "items.jsonl")
    assert items and not [i for i in items if (i["table_id"] or "").startswith(T1)]
    assert {tuple(i.get("reviewed", [])) for i in items if i["table_id"] == T0} == {("table",)}
    assert [(r["keyword"], r["row"], r["column"]) for r in
            _lines(work / "resolve" / "resolutions.jsonl")
            if r["table_id"] == T2 and r["column"] == 0] == [("Project", 0, 0)]


def test_the_page_resumes_where_the_reviewer_stopped(work, serve, browser):
    ws = ReviewWorkspace(work)
    DecisionLog(work).append(Decision.now(unit="table", id=T0, decision="accept",
                                          proposal=ws.proposal("table", T0), reviewer="alice"))
    page = browser.new_page()
    page.goto(serve())
    _ready(page, T1)  # T0 is reviewed: the next table in the queue
    assert page.inner_text("#progress") == "1 of 8 tables reviewed · 7 in queue"
    page.close()


def test_queues_filter_and_sort(work, serve, browser):
    ws = ReviewWorkspace(work)
    summaries = ws.summaries()
    page = browser.new_page()
    page.goto(serve())
    _ready(page, T0)
    page.check("#f-abstract")
    abstract = [s for s in summaries if s.label == "abstract"]
    assert page.inner_text("#progress") == f"0 of 8 tables reviewed · {len(abstract)} in queue"
    page.select_option("#f-order", "confidence")
    lowest = min(abstract, key=lambda s: s.confidence)  # the first of the lowest, stable
    _ready(page, lowest.table_id)
    page.uncheck("#f-abstract")
    page.select_option("#f-order", "document")
    doc = summaries[-1].doc_id
    page.select_option("#f-doc", doc)
    in_doc = [s.table_id for s in summaries if s.doc_id == doc]
    _ready(page, in_doc[0])
    assert page.inner_text("#progress") == f"0 of 8 tables reviewed · {len(in_doc)} in queue"
    # Enter accepts the table and everything on it as proposed, then shows the next table
    units = list(ws.units(in_doc[0]))
    page.keyboard.press("Enter")
    _ready(page, in_doc[1])
    assert page.inner_text("#progress") == f"1 of 8 tables reviewed · {len(in_doc) - 1} in queue"
    assert [(d[0], d[1], d[2]) for d in _decided(work)] == [
        (unit, uid, "accept") for unit, uid, _ in units]
    page.close()


def test_a_torn_last_line_is_ignored_and_cut_before_the_next_append(work):
    ws, log = ReviewWorkspace(work), DecisionLog(work)
    _decide(ws, log, "alice", "table", T0, "accept")
    with log.path.open("ab") as fh:
        fh.write(b'{"unit": "table", "id": "')  # a crash mid-append
    assert [d.id for d in log.read()] == [T0]
    _decide(ws, log, "alice", "table", T1, "reject")
    assert [(d[1], d[2]) for d in _decided(work)] == [(T0, "accept"), (T1, "reject")]


def test_an_edited_decisions_file_is_named_with_its_line(work):
    ws, log = ReviewWorkspace(work), DecisionLog(work)
    _decide(ws, log, "alice", "table", T0, "accept")
    with log.path.open("a") as fh:
        fh.write('{"unit": "table", "id": "x", "decision": "accept"}\n')
    result = _invoke(work, "--report")
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {log.path}:2: not a valid decision (reviewer: ")
    assert result.output.endswith("the file was edited; fix or delete that line\n")


HOSTILE = '<img src=x onerror="window.__pwned=1"></li><script>window.__pwned=2</script>'


def test_record_text_is_shown_as_text(work, serve, browser):
    """A caption, a meaning and a question holding markup are shown as the text they are."""
    changed = {}
    for path, field in (("extract/tables.jsonl", "caption"), ("resolve/resolutions.jsonl",
                        "expansion"), ("assemble/items.jsonl", "question")):
        rows = _lines(work / path)
        for r in rows:
            if r["table_id"] == T0:
                r[field] = HOSTILE
                changed[field] = changed.get(field, 0) + 1
        (work / path).write_text("".join(json.dumps(r) + "\n" for r in rows))
    page = browser.new_page()
    page.goto(serve())
    _ready(page, T0)
    assert page.inner_text("#title") == HOSTILE
    assert set(page.locator("li[data-unit='meaning'] .meaning").all_inner_texts()) == {HOSTILE}
    questions = page.locator("li[data-unit='item'] .q").all_inner_texts()
    assert questions.count(HOSTILE) == changed["question"] == 8
    assert page.locator("#info script, #info img:not(.ev-img)").count() == 0
    assert page.evaluate("window.__pwned") is None
    page.close()


def test_server_answers_only_its_routes_and_host(work, serve):
    url = serve()

    def status(path, **headers):
        req = urllib.request.Request(url.rstrip("/") + path, headers=headers)
        try:
            with urllib.request.urlopen(req) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert status("/") == 200
    assert status("/review.js") == 200
    assert status(f"/api/evidence?table={T0}&meaning=0,3&n=0") == 200
    for junk in ("0,3&n=1", "..%2F0,3&n=0", "0,3/../x&n=0", "0,9&n=0"):
        assert status(f"/api/evidence?table={T0}&meaning={junk}") == 404, junk
    for path in ("/../pyproject.toml", "/review.html", "/%2e%2e/etc/passwd", "/api/image?table="
                 + T0 + "&page=../../x", "/review/cache", "/api/table?id=../extract"):
        assert status(path) == 404, path
    assert status("/api/state", Host="attacker.example:80") == 403
    assert not (work / "review" / "decisions.jsonl").exists()
    req = urllib.request.Request(url + "api/decide", method="POST", data=b"{}",
                                 headers={"Content-Type": "text/plain"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req)
    assert exc.value.code == 415


def test_a_table_box_past_any_page_renders_a_bounded_image(work, serve):
    """A record's box is data: a huge one gets fewer pixels, not gigabytes."""
    from abstab.review.render import MAX_PIXELS

    rows = _lines(work / "extract/tables.jsonl")
    for r in rows:
        if r["table_id"] == T0:
            r["bbox"] = [0, 0, 1e7, 1e7]
    (work / "extract/tables.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    url = serve()
    with urllib.request.urlopen(url + "api/table?id=" + urllib.parse.quote(T0)) as r:
        image = json.load(r)["images"][0]
    assert image["scale"] == (MAX_PIXELS / (1e7 + 12) ** 2) ** 0.5
    with urllib.request.urlopen(url + image["url"].lstrip("/")) as r:
        png = r.read()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width * height <= MAX_PIXELS


def test_the_command_prints_its_url_serves_as_the_os_user_and_stops_on_ctrl_c(work):
    """`abstab review WORK --port 0` on 127.0.0.1; the reviewer defaults to the OS user."""
    import getpass
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "abstab", "review", str(work), "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # the child prints the URL once it listens
        url = line.split("open ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "api/state") as r:
            state = json.load(r)
        assert state["reviewer"] == getpass.getuser()
        assert len(state["tables"]) == 8
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert out == "stopped; every decision made is saved\n"


# ----------------------------------------------------------------------- export / import


def test_export_import_round_trip(work, tmp_path):
    out = tmp_path / "units.jsonl"
    result = _invoke(work, "--export", out)
    assert result.exit_code == 0, result.output
    units = _lines(out)
    assert len(units) == 237
    assert {tuple(u) for u in units} == {("unit", "id", "proposal", "decision", "value")}
    assert {u["unit"] for u in units} == {"table", "header", "meaning", "item"}
    assert all(u["decision"] is None and u["value"] is None for u in units)
    by_id = {(u["unit"], u["id"]): u for u in units}
    assert by_id["header", f"{T0}#0,1"]["proposal"]["abstract"] is True
    assert by_id["meaning", f"{T0}#0,5"]["proposal"]["meaning"] == \
        "number of students who returned the questionnaire"
    decide = {("table", T0): ("accept", None),
              ("header", f"{T0}#0,0"): ("edit", True),
              ("meaning", f"{T0}#0,3"): ("edit", "students who entered in 2021"),
              ("meaning", f"{T0}#0,1"): ("edit", {"meaning": None, "category": "unresolvable"}),
              ("item", "c50e0518cb437c17"): ("reject", None)}
    for key, (decision, value) in decide.items():
        by_id[key].update(decision=decision, value=value)
    out.write_text("".join(json.dumps(u) + "\n" for u in units))
    result = _invoke(work, "--import", out, "--reviewer", "bob")
    assert result.exit_code == 0, result.output
    assert result.output == (f"imported 5 decision(s) by bob into "
                             f"{work / 'review' / 'decisions.jsonl'} (232 unit(s) left "
                             f"undecided)\n")
    assert _decided(work) == [
        ("table", T0, "accept", None, "bob"),
        ("header", f"{T0}#0,0", "edit", True, "bob"),
        ("meaning", f"{T0}#0,1", "edit", {"meaning": None, "category": "unresolvable"}, "bob"),
        ("meaning", f"{T0}#0,3", "edit",
         {"meaning": "students who entered in 2021", "category": "inferable_document"}, "bob"),
        ("item", "c50e0518cb437c17", "reject", None, "bob"),
    ]
    stored = {(d["unit"], d["id"]): d for d in _lines(work / "review" / "decisions.jsonl")}
    assert all(stored[k]["proposal"] == by_id[k]["proposal"] for k in stored)
    assert all(d["time"].endswith("Z") for d in stored.values())
    latest = latest_decisions(work)
    assert latest["header", f"{T0}#0,0"].value is True


@pytest.mark.parametrize(("line", "message"), [
    ("not json", ("not JSON (Expecting value); write one JSON object per line, as --export "
                  "wrote it")),
    ('{"unit": "table", "id": "T0", "decision": "maybe", "value": null}',
     "decision 'maybe' is not accept, reject, edit or null; set decision to one of them"),
    ('{"unit": "header", "id": "T0#0,0", "decision": "edit", "value": "yes"}',
     ("value 'yes' does not fit a header edit; a header edit has value true (abstract) or "
      "false")),
    ('{"unit": "item", "id": "c50e0518cb437c17", "decision": "edit", "value": null}',
     ("value None does not fit an item edit; an item is \"accept\" (kept) or \"reject\" "
      "(dropped), value null")),
    ('{"unit": "table", "id": "nope", "decision": "accept", "value": null}',
     "no table 'nope' in WORK; export the units again from this workspace"),
    ('{"unit": "table", "id": "T0", "decision": "accept", "value": null, "extra": 1}',
     "unknown key(s) ['extra']; keep the keys unit, id, proposal, decision, value"),
])
def test_a_bad_import_line_is_named_and_nothing_is_imported(work, tmp_path, line, message):
    path = tmp_path / "decided.jsonl"
    good = json.dumps({"unit": "table", "id": T1, "decision": "accept", "value": None})
    path.write_text(f"{good}\n{good}\n{line.replace('T0', T0)}\n{good}\n")
    result = _invoke(work, "--import", path)
    assert result.exit_code == 2
    assert result.output == (f"Error: {path}:3: {message.replace('WORK', str(work))}. "
                             f"Nothing was imported.\n")
    assert not (work / "review" / "decisions.jsonl").exists()


def test_a_stale_proposal_is_refused(work, tmp_path):
    out = tmp_path / "units.jsonl"
    _invoke(work, "--export", out)
    units = _lines(out)
    units[0].update(decision="accept")
    units[0]["proposal"]["label"] = "clear"  # not what the judge says now
    out.write_text("".join(json.dumps(u) + "\n" for u in units))
    result = _invoke(work, "--import", out)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {out}:1: the proposal for table '{T0}' is not what")
    assert not (work / "review" / "decisions.jsonl").exists()


# ------------------------------------------------------------------------------- report


def _decide(ws, log, reviewer, unit, uid, decision, value=None):
    log.append(Decision.now(unit=unit, id=uid, decision=decision, value=value,
                            proposal=ws.proposal(unit, uid), reviewer=reviewer))


def test_report_numbers_on_a_hand_made_decision_set(work):
    ws, log = ReviewWorkspace(work), DecisionLog(work)
    for uid, decision, value in [("#0,1", "accept", None),   # judge: abstract, right: tp
                                 ("#0,2", "reject", None),   # abstract, wrong: fp
                                 ("#0,0", "edit", True),     # missed: fn
                                 ("#0,4", "edit", True),     # tp
                                 ("#0,5", "accept", None)]:  # tp
        _decide(ws, log, "alice", "header", T0 + uid, decision, value)
    _decide(ws, log, "alice", "header", f"{T1}#0,0", "accept")  # clear, right: tn
    _decide(ws, log, "alice", "table", T2, "reject", "bad_extraction")
    _decide(ws, log, "alice", "header", f"{T2}#0,2", "reject")  # left out: table rejected
    _decide(ws, log, "alice", "meaning", f"{T0}#0,1", "accept")  # correct
    _decide(ws, log, "alice", "meaning", f"{T0}#0,3", "edit",
            {"meaning": "students who entered in 2021", "category": "inferable_document"})
    _decide(ws, log, "alice", "meaning", f"{T0}#0,2", "reject")  # wrong
    _decide(ws, log, "alice", "meaning", f"{T0}#0,5", "edit",   # same words: correct
            {"meaning": "Number of students who  returned the questionnaire",
             "category": "explicit"})
    for iid, decision in [("c50e0518cb437c17", "accept"), ("10306c8bffff15f2", "accept"),
                          ("bb5972819d998648", "reject")]:
        _decide(ws, log, "alice", "item", iid, decision)
    _decide(ws, log, "alice", "item", "60f602f83c4b87cc", "reject")
    log.append(Decision.now(unit="item", id="60f602f83c4b87cc", decision="undo",
                            reviewer="alice"))  # withdrawn: not counted
    result = _invoke(work, "--report", "--json")
    assert result.exit_code == 0, result.output
    rep = json.loads(result.output)
    assert rep["judge"] == [{"backend": "rules", "model": "rules-v3", "n": 6, "tp": 3,
                             "fp": 1, "fn": 1, "tn": 1, "precision": 0.75, "recall": 0.75,
                             "f1": 0.75}]
    assert rep["resolve"] == [{"backend": "rules", "model": "rules-v3", "n": 4,
                               "correct": 2, "unscored": 0, "accuracy": 0.5}]
    assert rep["items"] == [{"backend": "rules", "model": "rules-v3", "n": 3, "kept": 2,
                             "keep_rate": 2 / 3}]
    assert (rep["units"], rep["tables_rejected"], rep["agreement"]) == (
        {"header": 7, "table": 1, "meaning": 4, "item": 3}, 1, [])
    text = _invoke(work, "--report").output
    assert "| rules | rules-v3 | 6 | 3 | 1 | 1 | 1 | 0.750 | 0.750 | 0.750 |" in text
    assert "| rules | rules-v3 | 4 | 2 | 0.500 | 0 |" in text
    assert "| rules | rules-v3 | 3 | 2 | 0.667 |" in text


def test_two_reviewers_files_imported_give_kappa(work, tmp_path):
    out = tmp_path / "units.jsonl"
    _invoke(work, "--export", out)
    units = _lines(out)
    headers = [u for u in units if u["unit"] == "header" and u["id"].startswith(T0)][:4]
    for name, labels in (("alice", [True, True, False, False]),
                         ("bob", [True, False, False, False])):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps({**u, "decision": "edit", "value": v}) + "\n"
                                for u, v in zip(headers, labels, strict=True)))
        assert _invoke(work, "--import", path, "--reviewer", name).exit_code == 0
    rep = json.loads(_invoke(work, "--report", "--json").output)
    # observed 3/4, chance 1/2 * 1/4 + 1/2 * 3/4 = 1/2: kappa (3/4 - 1/2) / (1 - 1/2)
    assert rep["agreement"] == [{"reviewers": ["alice", "bob"], "unit": "header", "n": 4,
                                 "agree": 3, "kappa": 0.5}]
    # the latest decision per unit wins: bob's
    assert [latest_decisions(work)["header", u["id"]].reviewer for u in headers] == ["bob"] * 4


def test_a_missing_import_file_or_unwritable_export_is_a_message(work, tmp_path):
    result = _invoke(work, "--import", tmp_path / "nope.jsonl")
    assert (result.exit_code, result.output) == (
        2, (f"Error: cannot read {tmp_path / 'nope.jsonl'} (No such file or directory): give "
            f"the file --export wrote, with the decisions set\n"))
    result = _invoke(work, "--export", tmp_path / "no" / "units.jsonl")
    assert (result.exit_code, result.output) == (
        2, (f"Error: cannot write {tmp_path / 'no' / 'units.jsonl'} (No such file or "
            f"directory): name a file in a folder you can write\n"))


def test_flags_that_do_different_things_are_refused(work, tmp_path):
    result = _invoke(work, "--report", "--export", tmp_path / "x.jsonl")
    assert (result.exit_code, result.output) == (
        2, "Error: --export and --report do different things: give one of them\n")
    result = _invoke(tmp_path / "empty")
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {tmp_path / 'empty'} holds no tables to review")


def test_an_item_across_two_tables_marks_only_the_cells_of_the_table_shown(tmp_path, browser):
    """A controlled split document (issue 20, point 2): the evidence cells of an item that
    needs both tables are [row, col, k]; on each table's page only its own cells light up."""
    from builders import split_wtq_workspace

    from abstab.store import read_kind

    work = split_wtq_workspace(tmp_path)
    item = next(i for i in read_kind(work, "dataset_items") if len(i.tables) == 2)
    first, second = item.tables
    on = {k: sorted([r, c] for r, c, kk in item.evidence.cells if kk == k) for k in (0, 1)}
    assert on == {0: [], 1: [[1, 1]]}  # a legend lookup: the code's cell is in Table 2
    server = make_server(work, "alice", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        for table, cells in ((first, on[0]), (second, on[1])):
            page.goto(url_of(server) + "#t=" + urllib.parse.quote(table, safe=""))
            page.reload()
            _ready(page, table)
            page.click(f"li[data-id='{item.item_id}']")  # listed under both its tables
            lit = page.eval_on_selector_all(
                "#grid .evidence", "els => els.map(e => [e.parentElement.rowIndex, e.cellIndex])")
            assert sorted(lit) == cells, table
        page.close()
    finally:
        server.shutdown()
        server.server_close()
