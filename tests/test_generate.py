"""generate: question types computed from the table, templates (rules) and LLM proposals
checked by code, re-abstraction (the table keeps the code, the question uses the meaning)."""

import json
import re
import shutil
from collections import Counter

import pytest
from builders import make_table
from click.testing import CliRunner
from conftest import SAMPLE_PDFS
from llm_server import FakeLLMServer, ok

from abstab.cli import cli
from abstab.core.grounding import grounding_problem
from abstab.core.headers import core_text
from abstab.core.questions import (
    QuestionError,
    TableView,
    _round_between,
    answers_match,
    difficulty,
    execute,
    key_column,
    template_operations,
    wording,
    wording_problem,
)
from abstab.records import Answer, Operation, QAItem, Table
from abstab.store import StageDir


def _table(rows=None, header=("No.", "District", "Rice surplus (t)", "Share")) -> Table:
    rows = rows or [["1", "Northfield", "1,250.5", "12%"], ["2", "Southgate", "640.0", "30%"],
                    ["3", "Eastbrook", "980.25", "25%"], ["4", "Westmoor", "310.0", "8%"],
                    ["", "Total", "3,180.75", "75%"]]
    return make_table(header, rows)


def _run(op_type, column=2, rows=(), op=None, threshold=None, table=None):
    t = table or _table()
    out = execute(Operation(type=op_type, column=column, key_column=1, rows=list(rows), op=op,
                            threshold=threshold), t)
    return out.answer.text, out.answer.value, out.cells


def test_key_column_skips_serial_numbers():
    t = _table()
    assert key_column(t) == 1
    assert TableView(t, 1).keys == {0: "Northfield", 1: "Southgate", 2: "Eastbrook",
                                    3: "Westmoor", 4: "Total"}
    # The Total row is a label (lookups may name it) but not a row to rank or count.
    assert TableView(t, 1).values(2) == {0: 1250.5, 1: 640.0, 2: 980.25, 3: 310.0}


def test_every_question_type_is_computed_from_the_table():
    assert _run("lookup", rows=[1]) == ("640.0", 640.0, [[2, 2]])
    assert _run("comparison", rows=[0, 2], op="max") == ("Northfield", "Northfield", [[1, 2], [3, 2]])
    assert _run("comparison", rows=[0, 2], op="min")[0] == "Eastbrook"
    assert _run("extremum", op="max") == ("Northfield", "Northfield", [[1, 2]])  # not "Total"
    assert _run("extremum", column=3, op="min") == ("Westmoor", "Westmoor", [[4, 3]])
    assert _run("count", op="gt", threshold=500) == ("3", 3.0, [[1, 2], [2, 2], [3, 2]])
    assert _run("filter", column=3, op="lt", threshold=20) == (
        "Northfield; Westmoor", ["Northfield", "Westmoor"], [[1, 3], [4, 3]])
    assert _run("sum", rows=[0, 2]) == ("2,230.75", 2230.75, [[1, 2], [3, 2]])
    assert _run("difference", rows=[0, 1]) == ("610.5", 610.5, [[1, 2], [2, 2]])
    assert _run("difference", column=3, rows=[1, 2])[:2] == ("5%", 5.0)


@pytest.mark.parametrize("kwargs,reason", [
    ({"op_type": "extremum", "op": "max", "table": _table(
        [["1", "A1", "5", "x"], ["2", "B1", "5", "y"], ["3", "C1", "2", "z"]])}, "tie"),
    ({"op_type": "sum", "rows": [0, 4]}, "not_numeric"),  # the Total row is not summed
    ({"op_type": "lookup", "rows": [0, 1]}, "bad_rows"),
    ({"op_type": "comparison", "rows": [0, 2]}, "bad_operation"),
    ({"op_type": "filter", "op": "gt", "threshold": 100}, "bad_filter"),  # all 4 rows: no question
    ({"op_type": "lookup", "column": 1, "rows": [0]}, "bad_column"),  # the label column
    ({"op_type": "sum", "column": 3, "rows": [1, 2]}, "rate_column"),  # shares do not add up
    ({"op_type": "sum", "column": 0, "rows": [1, 2]}, "label_column"),  # serial numbers
])
def test_operations_that_do_not_fit_the_table_are_refused(kwargs, reason):
    with pytest.raises(QuestionError) as exc:
        _run(**kwargs)
    assert exc.value.reason == reason


def test_templates_are_deterministic_and_answer_themselves():
    t = _table()
    view = TableView(t, 1)
    ops = template_operations(view, [2, 3], ["lookup", "comparison", "extremum", "count", "sum",
                                             "difference", "filter"], 1, 1, "0")
    assert Counter(o.type for o in ops) == {"lookup": 2, "comparison": 1, "extremum": 1,
                                            "count": 1, "sum": 1, "difference": 1, "filter": 1}
    again = template_operations(view, [2, 3], ["lookup", "comparison", "extremum", "count", "sum",
                                               "difference", "filter"], 1, 1, "0")
    assert again == ops
    terms = {2: "Rice surplus", 3: "Share"}
    for op in ops:
        computed = execute(op, t)
        question = wording(op, view, terms[op.column], "district")
        assert wording_problem(question, op, view, []) is None, question
        assert answers_match(computed.answer.text, computed.answer)
        if op.type == "difference":  # "how much higher is A than B": A is the higher one
            a, b = (view.values(op.column)[r] for r in op.rows)
            assert a > b and computed.answer.value == pytest.approx(a - b)
    op = Operation(type="count", column=2, key_column=1, op="gt", threshold=700.0)
    assert wording(op, view, "Rice surplus", "district") == \
        "For how many district entries is the rice surplus greater than 700?"


def test_thresholds_are_round_numbers_between_neighbours():
    assert _round_between(640.0, 980.25) == 700
    assert _round_between(12, 25) == 20
    assert _round_between(1.21, 1.24) == pytest.approx(1.22)
    assert _round_between(-5, -3) == -4


def test_answers_match_numbers_lists_and_text():
    num = Answer(text="2,230.75", value=2230.75, type="number")
    assert answers_match("2230.75", num) and answers_match("2,230.75 t", num)
    assert not answers_match("2230.8", num) and not answers_match("about two thousand", num)
    lst = Answer(text="Dadra and Nagar; Goa", value=["Dadra and Nagar", "Goa"], type="list")
    assert answers_match("Goa and Dadra and Nagar", lst)
    assert not answers_match("Goa", lst) and not answers_match("Goa; Dadra and Nagar; Kerala", lst)
    assert answers_match("the Eastbrook", Answer(text="Eastbrook", value="Eastbrook", type="text"))


def test_wording_problems_name_what_is_wrong():
    view = TableView(_table(), 1)
    lookup = Operation(type="lookup", column=2, key_column=1, rows=[0])
    codes = [("RS", "Rice surplus")]
    assert wording_problem("What is the rice surplus for Northfield?", lookup, view, codes) is None
    assert wording_problem("What is the RS for Northfield?", lookup, view, codes)[0] == \
        "question_uses_code"
    assert wording_problem("What is the rice surplus for Southgate?", lookup, view, codes)[0] == \
        "question_mismatch"
    count = Operation(type="count", column=2, key_column=1, op="gt", threshold=700)
    assert wording_problem("How many districts have a rice surplus above 600?", count, view,
                           codes)[0] == "question_mismatch"
    # The code "A" is not the article "a".
    assert wording_problem("How many districts have a rice surplus above 700?", count, view,
                           [("A", "Rice surplus")]) is None


def test_difficulty_definition():
    assert difficulty("table_clear", "lookup") == "easy"
    assert difficulty("text", None) == "easy"
    assert difficulty("table_clear", "count") == "medium"
    assert difficulty("table_defined", "lookup") == "medium"
    assert difficulty("table_defined", "sum") == "hard"
    assert difficulty("table_implicit", "lookup") == "hard"
    assert difficulty("unanswerable", None) == "hard"


# ------------------------------------------------------------------ the stage on the sample


def _generated(work):
    return list(StageDir(work, "generate", ()).read("items", QAItem))


def test_sample_items_use_meanings_over_codes_and_reground(sample_work):
    work = sample_work[0]
    items = _generated(work)
    doc_items = [i for i in items if i.origin == "document" and i.operation is not None]
    assert {i.operation.type for i in doc_items} == {"lookup", "comparison", "extremum", "count",
                                                     "sum", "difference", "filter"}
    from abstab.records import Document

    docs = {d.doc_id: d for d in StageDir(work, "extract", ()).read("documents", Document)}
    tables = {t.table_id: t for t in StageDir(work, "extract", ()).read("tables", Table)}
    tables.update({t.table_id: t for t in StageDir(work, "generate", ()).read("tables", Table)})
    assert all(grounding_problem(i, tables, docs) is None for i in items)
    abstract = [i for i in doc_items if i.answer_location in ("table_defined", "table_implicit")]
    twins = {i.pair_id: i for i in doc_items if i.answer_location == "table_clear" and i.pair_id}
    assert Counter(i.answer_location for i in abstract) == {"table_defined": 32,
                                                            "table_implicit": 22}
    assert all(i.pair_id in twins for i in abstract)
    for i in abstract:
        twin = twins[i.pair_id]
        assert (twin.question, twin.answer) == (i.question, i.answer)
        assert twin.table_id == f"{i.table_id}:clear"
        for k in i.keywords:  # the table shows the code; the question says what it means
            assert k.abstract in " ".join(c.text for c in tables[i.table_id].cells if c.header)
            assert core_text(k.detailed).lower() in i.question.lower()
            if k.abstract.lower() not in k.detailed.lower():
                assert not re.search(rf"(?<!\w){re.escape(k.abstract)}(?!\w)", i.question)
    mtbf = [i for i in abstract if i.operation.type == "count" and i.keywords[0].abstract == "MTBF"]
    assert [(i.question, i.answer.text, i.evidence.cells) for i in mtbf] == [(
        "For how many pump model entries is the mean time between failures greater than 4000?",
        "2", [[2, 2], [4, 2]])]
    defined = [i for i in abstract if i.answer_location == "table_defined"]
    spans = [s for i in defined for s in i.evidence.spans]
    assert len(spans) == 32
    assert all(docs[i.doc_id].text[s.char_start:s.char_end] == s.text
                         for i in defined for s in i.evidence.spans)
    # Unanswerable items are asked of a real table of the same document: a year past the
    # document's ("2025"), a station the flow table leaves out, a station the nutrient table
    # leaves out; nothing in the document gives them.
    assert sorted((i.question, i.template, i.table_id) for i in items
                  if i.answer_location == "unanswerable") == [
        ("What is the 2025 Actual for Corporate Services?", "absent_period", "8de399d3bf215f44:t0"),
        ("What is the average discharge for Kelby Outfall?", "absent_row", "a13050e5a9ae2d92:t0"),
        ("What is the samples for Millbrook Mouth?", "absent_row", "a13050e5a9ae2d92:t2")]
    text_items = [i for i in items if i.answer_location == "text"]
    assert len(text_items) == 11
    assert all(
        [s.role for s in i.evidence.spans] == ["answer"] and i.evidence.spans[0].text == i.answer.text
        for i in text_items)


# ------------------------------------------------------------------ the LLM path


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    work = tmp_path_factory.mktemp("gen") / "work"
    pdf = SAMPLE_PDFS / "pump_reliability.pdf"  # two tables, both with abstract headers
    runner = CliRunner()
    for args in (["extract", str(pdf), "-o", str(work)], ["judge", str(work)],
                 ["resolve", str(work)]):
        r = runner.invoke(cli, args, catch_exceptions=False)
        assert r.exit_code == 0, r.output
    return work


def _prompt_table(request):
    """The rows and columns of the table in a generate prompt, as a model would read them."""
    text = request["messages"][-1]["content"]
    header = next(line for line in text.splitlines() if line.startswith("| row |"))
    names = [c.split(": ", 1)[1] for c in header.strip("| ").split(" | ")[1:]]
    rows = [line.strip("| ").split(" | ")[1:] for line in text.splitlines()
            if re.match(r"\| r\d+ \|", line)]
    asked = [int(c) for c in re.findall(r"c(\d+)", text.split("Ask about columns:")[1])]
    key = int(re.search(r"Row labels are in column c(\d+)", text).group(1))
    return names, rows, asked, key


def _fake_model(request):
    """Proposes one right lookup, one with a wrong answer, one that does not name its row, one
    about a column it was not given; on the MTBF table also one that uses the code."""
    names, rows, asked, key = _prompt_table(request)
    c = asked[0]
    label = rows[0][key]
    proposals = [
        {"type": "lookup", "question": f"What is the {names[c]} for {label}?", "column": c,
         "rows": [0], "answer": rows[0][c]},
        {"type": "lookup", "question": f"What is the {names[c]} for {rows[1][key]}?",
         "column": c, "rows": [1], "answer": "999999"},
        {"type": "lookup", "question": f"What is the {names[c]} for this one?", "column": c,
         "rows": [2], "answer": rows[2][c]},
        {"type": "lookup", "question": f"What is the {names[key]} for {label}?", "column": key,
         "rows": [0], "answer": label},
    ]
    if "Mean time between failures" in names:
        m = names.index("Mean time between failures")
        proposals.append({"type": "lookup", "question": f"What is the MTBF for {label}?",
                          "column": m, "rows": [0], "answer": rows[0][m]})
    return ok({"questions": proposals})


def _generate(work, url, *extra):
    return CliRunner().invoke(cli, ["generate", str(work), "--backend", "openai", "--model", "m",
                                    "--base-url", url, "--api-key", "k", *extra],
                              catch_exceptions=False)


def test_llm_generation_is_checked_by_code_and_cached(resolved, tmp_path, monkeypatch):
    work = tmp_path / "work"
    shutil.copytree(resolved, work)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = FakeLLMServer(_fake_model).start()  # one URL for both runs: it is in the cache key
    r = _generate(work, server.url)
    calls = len(server.requests)
    assert r.exit_code == 1, r.output  # the rejected proposals are failures of the model
    assert calls == 2  # one call per table
    prompt = server.requests[0]["messages"][-1]["content"]
    assert "| r0 |" in prompt and "Ask about columns:" in prompt
    items = _generated(work)
    llm_items = [i for i in items if i.provenance.backend == "openai"]
    # Per table: the right lookup, as the abstract item and its clear twin.
    assert sorted((i.answer_location, i.answer.text) for i in llm_items) == [
        ("table_clear", "2,310"), ("table_clear", "212.5"),
        ("table_defined", "2,310"), ("table_defined", "212.5")]
    assert {i.question for i in llm_items} == {
        "What is the Mean time between failures for Kestrel K-200?",
        "What is the Northfield for Seal leak?"}
    assert all(i.provenance.model == "m" and len(i.provenance.prompt_hash) == 12
               for i in llm_items)
    errors = [json.loads(x) for x in (work / "generate" / "errors.jsonl").read_text().splitlines()]
    rejected = Counter(e["reason"] for e in errors if e["unit"].startswith("table:"))
    assert rejected == {"answer_mismatch": 2, "question_mismatch": 2, "bad_column": 2,
                        "question_uses_code": 1}
    mismatch = next(e for e in errors if e["reason"] == "answer_mismatch")
    assert mismatch["raw"]["answer"] == "999999" and mismatch["failure"] is True
    stats = json.loads((work / "generate" / "stats.json").read_text())
    assert stats["llm"]["calls"] == 2

    # A rerun retries the tables whose proposals failed, a forced rerun redoes all: both are
    # served by the cache, no new call either way.
    server.reset_counts()
    try:
        again = _generate(work, server.url)
        assert "(retried 2 failed unit(s), kept" in again.output
        forced = _generate(work, server.url, "--force")
        assert len(server.requests) == 0
    finally:
        server.stop()
    assert forced.exit_code == 1
    assert sorted(i.item_id for i in _generated(work)) == sorted(i.item_id for i in items)


def test_abstract_columns_get_their_own_lookup_count():
    from abstab.llm.tasks import GenerateRequest

    request = GenerateRequest(key_column=1, columns=[2, 3], types=["lookup"], lookups_per_column=1,
                              per_type=0, abstract_columns=[2], lookups_per_abstract_column=3)
    assert [request.lookups_for(c) for c in (2, 3)] == [3, 1] and request.wanted == 4
    ops = template_operations(TableView(_table(), 1), [2, 3], ["lookup"], request.lookups_for, 0,
                              "0")
    assert Counter(o.column for o in ops) == {2: 3, 3: 1}
    assert GenerateRequest(key_column=1, columns=[2, 3], types=["lookup"], lookups_per_column=2,
                           per_type=0, abstract_columns=[2]).wanted == 4


def test_a_new_question_type_is_one_class_and_reaches_the_llm_schema(monkeypatch, tmp_path):
    """Registering one QuestionKind subclass is all a new type needs: the LLM generate schema
    offers it, the prompt carries its guide line, and its proposals parse and execute."""
    from abstab.core.questions import Computed, QuestionKind, answer_of, format_number
    from abstab.llm.backend import OpenAIBackend
    from abstab.llm.tasks import GenerateRequest
    from abstab.registry import question_types

    class Ratio(QuestionKind):
        name = "ratio"
        guide = 'the value of the first row divided by the second; "rows": [first, second].'
        names_rows = True
        uses_op = False

        def compute(self, op, view):
            a, b = (view.values(op.column)[r] for r in op.rows)
            like = [view.cell(r, op.column) for r in op.rows]
            return Computed(answer_of(format_number(a / b, like)),
                            [view.coord(r, op.column) for r in op.rows])

        def wording(self, op, view, term, entity):
            return f"What is the {term} of {view.keys[op.rows[0]]} per {view.keys[op.rows[1]]}?"

        def template_op(self, view, c, pick):
            return None

    monkeypatch.setattr(question_types, "_entries", dict(question_types._entries))
    question_types.add("ratio", Ratio, help="one row's value divided by another's")
    proposal = {"type": "ratio", "question": "What is the rice surplus of Northfield per "
                "Southgate?", "column": 2, "rows": [0, 1], "answer": "2.0"}
    server = FakeLLMServer(lambda _request: ok({"questions": [proposal]})).start()
    try:
        with OpenAIBackend.from_settings({"base_url": server.url, "api_key": "k", "model": "m",
                                          "cache_path": tmp_path / "c.sqlite"}) as backend:
            out = backend.generate(_table(), None, GenerateRequest(
                key_column=1, columns=[2], types=["lookup", "ratio"], lookups_per_column=0,
                per_type=1))
    finally:
        server.stop()
    sent = server.requests[0]
    schema = sent["response_format"]["json_schema"]["schema"]
    assert schema["$defs"]["QuestionOut"]["properties"]["type"]["enum"] == [
        "lookup", "comparison", "extremum", "count", "sum", "difference", "filter", "ratio"]
    prompt = sent["messages"][-1]["content"]
    assert ('using these types: lookup, ratio.\n- "lookup": the value of one column for one row '
            '("What is the <column> for <row>?"); "rows": [that row].\n- "ratio": the value of '
            'the first row divided by the second; "rows": [first, second].\n') in prompt
    assert '- "comparison"' not in prompt  # only the requested types' rules
    [q] = out.questions
    assert (q.type, q.rows) == ("ratio", [0, 1])
    op = Operation(type=q.type, column=q.column, key_column=1, rows=q.rows)
    assert _run("ratio", rows=[0, 1]) == ("2.0", 2.0, [[1, 2], [2, 2]])  # 1,250.5 / 640.0
    assert answers_match(q.answer, execute(op, _table()).answer)
