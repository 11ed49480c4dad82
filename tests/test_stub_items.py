"""Codes in the stub column are asked about (issue 19, point 2): a row label that is an acronym
or code the judge marks (``role == "stub"``) and the resolver explains yields items whose
question names the meaning while the table shows the code; a code without a usable meaning
names no row, as an unresolved column header names no column."""

from __future__ import annotations

import json
import re

from builders import PROV, generate_stage, make_table, synth_pages
from click.testing import CliRunner
from conftest import corpus
from llm_server import FakeLLMServer, ok

from abstab.cli import cli
from abstab.core.abstract import relabel
from abstab.core.grounding import grounding_problem
from abstab.core.questions import TableView, template_operations
from abstab.executors import Unit
from abstab.records import (
    Block,
    Document,
    Evidence,
    HeaderKeyword,
    Judgment,
    KeywordLink,
    Resolution,
)
from abstab.stages.generate import _GenerateUnit

LEGEND = "Notes: BFP = Bridge Formula Program; BIP = Bridge Investment Program."
ROWS = [["Total", "8,547", "8,697"], ["BFP (Assured)", "5,500", "5,500"],
        ["BIP (Total)", "3,047", "3,197"], ["XQZ (STA)", "600", "675"],
        ["Ferry Boats", "100", "110"], ["Dist. of Columbia", "45", "48"]]


def _records():
    table = make_table(["Program", "FY2024", "FY2025"], ROWS)
    doc = Document(provenance=PROV, doc_id="d", source="r.pdf", sha256="0" * 64, pages=1,
                   text=LEGEND, blocks=[Block(block_id="b1", page=1, bbox=[0, 0, 1, 1],
                                              kind="paragraph", text=LEGEND, order=0,
                                              char_start=0, char_end=len(LEGEND))])
    stubs = [("BFP", 2), ("BIP", 3), ("XQZ", 4), ("Dist. of Columbia", 6)]
    judgment = Judgment(provenance=PROV, table_id="d:t1", doc_id="d", label="abstract",
                        confidence=0.9, keywords=[
                            HeaderKeyword(keyword=k, row=r, col=0, style="acronym", score=0.9,
                                          role="stub") for k, r in stubs])

    def resolution(keyword, row, meaning, category, start=None):
        evidence = [Evidence(source="block", block_id="b1", char_start=start,
                             char_end=start + len(f"{keyword} = {meaning}"),
                             text=f"{keyword} = {meaning}", score=1.0)] if start is not None else []
        return Resolution(provenance=PROV, table_id="d:t1", doc_id="d", keyword=keyword,
                          row=row, column=0, expansion=meaning, category=category,
                          evidence=evidence, confidence=0.9, method="test")

    resolutions = [resolution("BFP", 2, "Bridge Formula Program", "explicit", 7),
                   resolution("BIP", 3, "Bridge Investment Program", "explicit", 37),
                   resolution("XQZ", 4, None, "unresolvable"),
                   resolution("Dist. of Columbia", 6, "District of Columbia",
                              "inferable_document")]
    return doc, table, judgment, resolutions


def _stage(tmp_path, records, **settings):
    doc, table, judgment, resolutions = records
    return generate_stage(tmp_path, [doc], [table], [judgment], resolutions, **settings)


def test_a_resolved_stub_code_is_asked_about_by_its_meaning(tmp_path):
    records = _records()
    stage = _stage(tmp_path, records, rows_per_column=2, max_columns=2)
    result = stage.process(Unit("table:d:t1", _GenerateUnit("table", "d:t1")))
    items = result.records["items"]
    clear = next(t for t in result.records["tables"] if t.table_id == "d:t1:clear")
    # The de-abstracted copy names the rows by their meanings; the unresolved code stays.
    assert [r[0] for r in clear.rows] == ["Total", "Bridge Formula Program (Assured)",
                                          "Bridge Investment Program (Total)", "XQZ (STA)",
                                          "Ferry Boats", "District of Columbia"]
    got = [(i.operation.type if i.operation else None, i.question, i.answer.text,
            i.answer_location, i.table_id, i.evidence.cells,
            [(k.abstract, k.detailed, k.column, k.category) for k in i.keywords]) for i in items]
    bfp = [("BFP", "Bridge Formula Program", 0, "explicit")]
    dc = [("Dist. of Columbia", "District of Columbia", 0, "inferable_document")]
    assert got == [
        ("lookup", "What is the FY2024 for Bridge Formula Program (Assured)?", "5,500",
         "table_defined", "d:t1", [[2, 1]], bfp),
        ("lookup", "What is the FY2024 for Bridge Formula Program (Assured)?", "5,500",
         "table_clear", "d:t1:clear", [[2, 1]], []),
        ("lookup", "What is the FY2024 for Bridge Investment Program (Total)?", "3,047",
         "table_defined", "d:t1", [[3, 1]], [("BIP", "Bridge Investment Program", 0, "explicit")]),
        ("lookup", "What is the FY2024 for Bridge Investment Program (Total)?", "3,047",
         "table_clear", "d:t1:clear", [[3, 1]], []),
        ("lookup", "What is the FY2025 for Ferry Boats?", "110", "table_clear", "d:t1", [[5, 2]],
         []),
        # an inferred meaning: table_implicit, as for a column header
        ("lookup", "What is the FY2025 for District of Columbia?", "48", "table_implicit",
         "d:t1", [[6, 2]], dc),
        ("lookup", "What is the FY2025 for District of Columbia?", "48", "table_clear",
         "d:t1:clear", [[6, 2]], []),
        # The printed table's answer would be "BFP (Assured)", a form no reader of this
        # question gives: only the twin asked of the de-abstracted table is kept.
        ("comparison", ("Which has the higher FY2025: Bridge Formula Program (Assured) or Ferry "
         "Boats?"), "Bridge Formula Program (Assured)", "table_clear", "d:t1:clear",
         [[2, 2], [5, 2]], []),
        # Rows not named in the question: the answer is the label as printed.
        ("extremum", "Which program has the lowest FY2025?", "Dist. of Columbia", "table_clear",
         "d:t1", [[6, 2]], []),
        ("count", "For how many program entries is the FY2024 greater than 50?", "3",
         "table_clear", "d:t1", [[2, 1], [4, 1], [5, 1]], []),
        ("sum", "What is the sum of the FY2025 for Ferry Boats and District of Columbia?", "158",
         "table_implicit", "d:t1", [[5, 2], [6, 2]], dc),
        ("sum", "What is the sum of the FY2025 for Ferry Boats and District of Columbia?", "158",
         "table_clear", "d:t1:clear", [[5, 2], [6, 2]], []),
        ("difference", ("How much higher is the FY2025 for Bridge Formula Program (Assured) than "
         "for District of Columbia?"), "5,452", "table_implicit", "d:t1", [[2, 2], [6, 2]],
         bfp + dc),
        ("difference", ("How much higher is the FY2025 for Bridge Formula Program (Assured) than "
         "for District of Columbia?"), "5,452", "table_clear", "d:t1:clear", [[2, 2], [6, 2]], []),
        ("filter", "For which program entries is the FY2024 greater than 200?",
         "BFP (Assured); XQZ (STA)", "table_clear", "d:t1", [[2, 1], [4, 1]], []),
        (None, "What is the FY2026 for Bridge Formula Program (Assured)?", "", "unanswerable",
         "d:t1", [], [])]
    defined = items[0]
    assert [(s.text, s.role, s.char_start) for s in defined.evidence.spans] == [
        ("BFP = Bridge Formula Program", "definition", 7)]
    assert defined.evidence.blocks == ["b1"]
    assert [(e["reason"], e["failure"]) for e in result.errors] == [
        ("unresolved_header", False), ("answer_printed_as_code", False)]
    # No question names the row whose code has no meaning.
    assert not [i for i in items if "XQZ" in i.question]
    assert [(e["item"], e["reason"], e["message"]) for e in result.errors
            if e["item"] == "d:t1|row3"] == [
        ("d:t1|row3", "unresolved_header", "row 'XQZ (STA)' has a label with no known meaning")]
    # Every item is where it says it is: the code in the printed row label, the answer in
    # the table it names.
    tables = {"d:t1": records[1], "d:t1:clear": clear}
    assert [grounding_problem(i, tables, {"d": records[0]}) for i in items] == [None] * len(items)


def test_lookups_take_half_their_rows_from_coded_rows_and_never_name_unnamed_ones():
    table = make_table(["Program", "FY2025"], [[f"P{i}", str(100 + 7 * i)] for i in range(10)])
    view = TableView(table, 0)

    def rows(seed, n, **kw):
        return [o.rows for o in template_operations(view, [1], ["lookup"], n, 0, seed, **kw)]

    # Seeded picks that leave row 9 out and name row 0 or 2; with row 9 coded and rows 0-3
    # without a meaning, row 9 is asked about and rows 0-3 are not.
    assert [rows(seed, 2) for seed in "01"] == [[[2], [8]], [[5], [8]]]
    assert [rows(seed, 2, first_rows=[9], unnamed_rows=range(4)) for seed in "012"] == [
        [[8], [9]], [[5], [9]], [[6], [9]]]
    # Half the rows (rounded up) come from the coded ones first; the rest are any row.
    assert rows("1", 4, first_rows=[7, 8, 9], unnamed_rows=range(4)) == [[4], [5], [7], [8]]
    assert rows("1", 3, first_rows=[0]) == [[0], [5], [8]]
    pairs = template_operations(view, [1], ["sum", "difference", "comparison"], 0, 1, "0",
                                unnamed_rows=range(8))
    assert sorted(sorted(o.rows) for o in pairs) == [[8, 9]] * 3


def test_relabel_changes_a_row_label():
    table = make_table(["Program", "FY2025"], [["BFP (Assured)", "5,500"], ["Ferry", "10"]])
    new = relabel(table, {(1, 0): ("BFP", "Bridge Formula Program")}, "d:t1:clear", PROV)
    assert [r[0] for r in new.rows] == ["Bridge Formula Program (Assured)", "Ferry"]
    assert new.derived_from == "d:t1"


def test_grounding_finds_a_code_in_a_row_label_and_not_elsewhere():
    doc, table, _, _ = _records()
    stage_items = []
    from abstab.records import Abstraction, Answer, ItemEvidence, QAItem

    for code in ("BFP", "HOV"):
        stage_items.append(QAItem(
            provenance=PROV, item_id=code, doc_id="d", table_id="d:t1",
            question="What is the FY2025 for Bridge Formula Program (Assured)?",
            answer=Answer(text="5,500", value=5500.0, type="number"),
            answer_location="table_defined",
            keywords=[KeywordLink(abstract=code, detailed="x", column=0, category="explicit")],
            evidence=ItemEvidence(cells=[[2, 2]]), abstraction=Abstraction(style="acronym",
                                                                           legend="explicit"),
            origin="document", template="lookup", difficulty="medium"))
    assert [grounding_problem(i, {"d:t1": table}, {"d": doc}) for i in stage_items] == [
        None, "abstract header(s) ['HOV'] not in the table's header or row labels"]


# ------------------------------------------------------------------ a real report, end to end


def test_a_crs_legend_code_in_a_row_label_becomes_an_item_through_the_cli(tmp_path):
    # CRS R47194 (highway bridges), page 11: Table 2's rows are "BFP (Assured)", "BIP
    # (Total)", … and the legend under it reads "Notes: BFP = Bridge Formula Program; BIP =
    # Bridge Investment Program; STA = …". Before, stub codes were skipped: the questions
    # named "BFP (Assured)" as printed and no item was on an abstract header.
    r = synth_pages(corpus("crs-reports", "pdf", "reports", "R47194.5.pdf"), 10, 10, tmp_path,
                    {"rows_per_abstract_column": 4, "controlled": False})
    assert r.exit_code == 0, r.output
    items = [json.loads(line) for line in
             (tmp_path / "w" / "assemble" / "items.jsonl").read_text().splitlines()]
    tables = {t["table_id"]: t for t in (
        json.loads(line) for f in ("extract/tables.jsonl", "generate/tables.jsonl")
        for line in (tmp_path / "w" / f).read_text().splitlines())}
    stub = sorted((i["question"], i["answer"]["text"], i["answer_location"],
                   i["evidence"]["cells"], [k["abstract"] for k in i["keywords"]])
                  for i in items if i["keywords"])
    bfp, bip = "Bridge Formula Program (Assured)", "Bridge Investment Program"
    assert stub == [
        (f"How much higher is the FY2025 for {bfp} than for {bip} (Assured)?", "2,978",
         "table_defined", [[2, 4], [4, 4]], ["BFP", "BIP"]),
        (f"What is the FY2022 for {bfp}?", "$5,500", "table_defined", [[2, 1]], ["BFP"]),
        (f"What is the FY2022 for {bip} (Assured)?", "$2,447", "table_defined", [[4, 1]], ["BIP"]),
        (f"What is the FY2023 for {bfp}?", "$5,500", "table_defined", [[2, 2]], ["BFP"]),
        (f"What is the FY2023 for {bip} (Total)?", "$3,127", "table_defined", [[3, 2]], ["BIP"]),
        (f"What is the FY2024 for {bfp}?", "$5,500", "table_defined", [[2, 3]], ["BFP"]),
        (f"What is the FY2024 for {bip} (Assured)?", "$2,497", "table_defined", [[4, 3]], ["BIP"]),
        (f"What is the FY2025 for {bip} (Total)?", "$3,197", "table_defined", [[3, 4]], ["BIP"]),
        (f"What is the sum of the FY2023 for {bip} (Assured) and {bfp}?", "7,987",
         "table_defined", [[4, 2], [2, 2]], ["BIP", "BFP"])]
    # the legend's meanings, linked to the row-label column
    assert {(k["abstract"], k["detailed"], k["column"], k["category"])
            for i in items for k in i["keywords"]} == {
        ("BFP", "Bridge Formula Program", 0, "explicit"),
        ("BIP", "Bridge Investment Program", 0, "explicit")}
    for i in (i for i in items if i["keywords"]):
        table = tables[i["table_id"]]
        row, _col = i["evidence"]["cells"][0]
        label = table["rows"][row - table["n_header_rows"]][0]
        # The table shows the code in the row the question names by its meaning.
        assert {k["abstract"] for k in i["keywords"]} <= {"BFP", "BIP"}
        assert label.split(" ")[0] in {k["abstract"] for k in i["keywords"]}
        assert not any(k["abstract"] + " (" in i["question"] for k in i["keywords"])
        assert any(k["detailed"] in i["question"] for k in i["keywords"])
    # The oracle reader, given the gold meanings, reads them into the row labels too: before,
    # it left "BFP (Assured)" as printed and answered none of these.
    out = tmp_path / "bench"
    b = CliRunner().invoke(cli, ["bench", str(tmp_path / "w"), "-s", "oracle", "-s", "table",
                                 "--retriever", "bm25", "--no-plots", "-o", str(out)],
                           catch_exceptions=False)
    assert b.exit_code == 0, b.output
    systems = json.loads((out / "results.json").read_text())["systems"]
    defined = {s: systems[s]["answer_location"]["table_defined"] for s in ("oracle", "table")}
    assert {s: (d["n"], d["correct"]) for s, d in defined.items()} == {
        "oracle": (9, 1.0), "table": (9, 0.0)}


def test_the_llm_question_writer_is_told_which_row_labels_are_codes(tmp_path, monkeypatch):
    # CRS R47194, page 11, through the CLI with an OpenAI-compatible backend (the fake server
    # on 127.0.0.1). The writer sees the de-abstracted table ("Bridge Formula Program
    # (Assured)" where the report prints "BFP (Assured)"); before, its prompt did not say
    # which rows those were, nor that "BIP (STA)" (STA unexplained) may not be named, so a
    # model could not aim at the coded rows nor avoid the unexplained one.
    r = synth_pages(corpus("crs-reports", "pdf", "reports", "R47194.5.pdf"), 10, 10, tmp_path,
                    {"controlled": False})
    assert r.exit_code == 0, r.output
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    def model(request):
        text = request["messages"][-1]["content"]
        coded = re.search(r"shown here by their meanings: (.*?)\. ", text)
        rows = [int(r) for r in re.findall(r"r(\d+)", coded.group(1))] if coded else []
        table = {int(m.group(1)): m.group(2).split(" | ") for m in
                 re.finditer(r"^\| r(\d+) \| (.*) \|$", text, re.MULTILINE)}
        asks = [(f"What is the FY2022 for {table[r][0]}?", 1, r, table[r][1]) for r in rows]
        asks += [("What is the FY2022 for BFP (Assured)?", 1, 1, "$5,500"),  # the code
                 ("What is the FY2022 for BIP (STA)ᵃ?", 1, 4, "$600")]  # unexplained
        return ok({"questions": [{"type": "lookup", "question": q, "column": c, "rows": [r],
                                  "answer": a} for q, c, r, a in asks]})

    server = FakeLLMServer(model).start()
    try:
        g = CliRunner().invoke(cli, ["generate", str(tmp_path / "w"), "--backend", "openai",
                                     "--model", "m", "--base-url", server.url, "--api-key", "k",
                                     "--force"], catch_exceptions=False)
        prompts = [q["messages"][-1]["content"] for q in server.requests]
    finally:
        server.stop()
    assert g.exit_code == 1, g.output  # the two bad proposals are the model's failures
    table_prompt = next(p for p in prompts if "| r0 |" in p)
    lines = table_prompt.splitlines()
    at = lines.index("Row labels are in column c0. Ask about columns: c1, c2, c3, c4.")
    assert lines[at + 1:at + 3] == [
        ("Printed in the report as codes, shown here by their meanings: r1, r2, r3. Name them by "
        "the words shown, never by a code; give about half of the lookups to these rows."),
        ("Labelled in the report by a code it does not explain: r4. No question may name these "
        "rows.")]
    items = [json.loads(line) for line in
             (tmp_path / "w" / "generate" / "items.jsonl").read_text().splitlines()]
    assert sorted((i["question"], i["answer"]["text"], [k["abstract"] for k in i["keywords"]])
                  for i in items if i["answer_location"] == "table_defined") == [
        ("What is the FY2022 for Bridge Formula Program (Assured)?", "$5,500", ["BFP"]),
        ("What is the FY2022 for Bridge Investment Program (Assured)?", "$2,447", ["BIP"]),
        ("What is the FY2022 for Bridge Investment Program (Total)?", "$3,047", ["BIP"])]
    errors = [json.loads(line) for line in
              (tmp_path / "w" / "generate" / "errors.jsonl").read_text().splitlines()]
    sta = (": the meaning of 'BIP (STA)' is not a row name (9 words (more than 6)): 'Bridge "
           "Investment Program (authorized funds subject to future appropriations)'")
    assert sorted((e["reason"], e["message"]) for e in errors
                  if e["unit"].startswith("table:")) == [
        ("question_mismatch", ("the question does not name row 'Bridge Formula Program "
                              "(Assured)'")),
        ("unresolved_header", f"the question names row 'BIP (STA)ᵃ'{sta}"),
        ("unusable_meaning", f"row 'BIP (STA)ᵃ'{sta}")]  # the plan marks the row
