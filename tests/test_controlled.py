"""Controlled abstraction of dataset tables: plans, PDFs, evidence re-checks, round trip, CLI."""

import json
from collections import Counter
from pathlib import Path

import pytest
from builders import tiny_wtq
from click.testing import CliRunner
from conftest import corpus

from abstab.cli import cli
from abstab.config import Pipeline
from abstab.errors import ConfigError
from abstab.records import Document, QAItem, Table
from abstab.sources import load
from abstab.stages.ingest import ControlledStage, IngestStage
from abstab.store import StageDir
from abstab.synth.build import Settings, SourceTable, count_header_rows, plan_table
from abstab.synth.validate import evidence_problem

TABLE = ("Country\tPopulation\tArea (km2)\tCapital\n"
         "Belize\t383,071\t22,966\tBelmopan\n"
         "Costa Rica\t4,999,441\t51,100\tSan José\n"
         "El Salvador\t6,420,746\t21,041\tSan Salvador\n"
         "Guatemala\t16,858,333\t108,889\tGuatemala City\n"
         "Honduras\t9,112,867\t112,492\tTegucigalpa\n")
QUESTIONS = ("id\tutterance\tcontext\ttargetValue\n"
             "nt-1\twhat is the population of Belize?\tcsv/200-csv/1.csv\t383,071\n"
             "nt-2\twhich country has the largest area?\tcsv/200-csv/1.csv\tHonduras\n"
             "nt-3\thow many countries are listed?\tcsv/200-csv/1.csv\t5\n")
STYLES = ["letter_codes", "acronym", "shortened", "symbol"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("wtq")
    tiny_wtq(root)
    return root


@pytest.fixture(scope="module")
def work(dataset, tmp_path_factory):
    work = tmp_path_factory.mktemp("controlled") / "work"
    ingest = IngestStage(work, {"source": "wtq", "inputs": [str(dataset)],
                                "lookup_questions": 1}).run()
    controlled = ControlledStage(work, {}).run()
    return work, ingest, controlled


def _table(dataset) -> SourceTable:
    return SourceTable.from_examples(list(load("wtq", dataset)), row_headers=False)


def test_plan_abstracts_the_headers_the_questions_name(dataset):
    plan = plan_table(_table(dataset), Settings(STYLES, ["explicit", "implicit", "removed"],
                                                2, 1, "0"))
    assert plan.drops == [("nt-3", "answer_not_in_document",
                           "the gold answer is computed (no table cell or paragraph holds it)")]
    clear, *variants = plan.docs
    # The template lookup avoids the cell a dataset question already asks about.
    assert [(i.question, i.answer.text, i.cell) for i in clear.items] == [
        ("what is the population of Belize?", "383,071", (1, 1)),
        ("which country has the largest area?", "Honduras", (5, 0)),
        ("What is the population for Costa Rica?", "4,999,441", (2, 1))]
    # Two headers (the one on each answer's path) × 4 styles × 3 explanations.
    assert len(variants) == 24
    codes = {(d.target.meaning, d.style): d.code for d in variants}
    assert codes == {("Population", "letter_codes"): "B", ("Population", "acronym"): "PPL",
                     ("Population", "shortened"): "Pop.", ("Population", "symbol"): "ξp",
                     ("Country", "letter_codes"): "A", ("Country", "acronym"): "CNT",
                     ("Country", "shortened"): "Co.", ("Country", "symbol"): "ηc"}
    pop = {d.explanation: d for d in variants
           if d.target.meaning == "Population" and d.style == "shortened"}
    assert pop["explicit"].grid[0] == ["Country", "Pop.", "Area (km2)", "Capital"]
    assert [(b.role, b.text) for b in pop["explicit"].before + pop["explicit"].after
            if b.role in ("definition", "legend")] == [("legend", "Pop. = Population")]
    # The implied clue is one of the kinds that single out the column (seeded): here a
    # comparison no other column satisfies (Area peaks at Honduras, not Guatemala).
    assert [b.text for b in pop["implicit"].before if b.role == "clue"] == [
        "Of the rows of Table 1, Guatemala has the highest population."]
    assert pop["implicit"].explained_by == "comparison"
    assert Counter(d.explained_by for d in variants if d.explanation == "implicit") == {
        "value_mention": 6, "comparison": 2}
    # Value mentions only: the clue names a value no item asks about, which occurs once in the
    # table.
    only = plan_table(_table(dataset), Settings(
        ["shortened"], ["implicit"], 2, 1, "0",
        {"value_mention": 1, "unit_mention": 0, "comparison": 0, "trend": 0, "elsewhere": 0}))
    assert [(d.explained_by, [b.text for b in d.before if b.role == "clue"])
            for d in only.docs[1:]] == [
        ("value_mention", ["For Honduras, the population was 9,112,867."]),
        ("value_mention", ["One country listed in Table 1 is Guatemala."])]
    assert not [b for b in pop["removed"].before + pop["removed"].after
                if b.role in ("definition", "legend", "clue")]
    # The clear item and its abstract versions share one pair id.
    q1 = [i for d in plan.docs for i in d.items if i.example_id == "nt-1"]
    assert len(q1) == 13 and len({i.pair_id for i in q1}) == 1
    country = next(d for d in variants if d.target.meaning == "Country"
                   and d.style == "acronym" and d.explanation == "implicit")
    assert [b.text for b in country.before if b.role == "clue"] == [
        "One country listed in Table 1 is Guatemala."]


def test_header_rows_of_tatqa_style_tables():
    grid = [["", "Years Ended September 30,", ""], ["", "2019", "2018"],
            ["Fixed Price", "$ 1,452.4", "$ 1,146.2"], ["Other", "44.1", "56.7"]]
    assert count_header_rows(grid) == 2
    assert count_header_rows([["Country", "Birds"], ["Belize", "544"]]) == 1


# A WTQ table of text only (bus routes): no cell is a number, so nothing in the rows tells the
# header row from the body; WTQ's format does (one header row, the CSV's first line).
ROUTES = ("Route Number\tRoute\tVia\tOperator\n"
          "25\tIlford to Oxford Circus\tHolborn, Aldgate\tFirst London\n"
          "66\tLeytonstone to Romford\tWanstead, Gants Hill\tArriva London\n"
          "86\tStratford to Romford\tManor Park, Ilford\tStagecoach London\n"
          "W12\tCoppermill Lane to Wanstead\tWalthamstow\tGo-Ahead London\n"
          "W19\tAngel Avenue to Ilford\tLeyton\tTower Transit\n")


def test_synth_keeps_one_header_row_of_a_text_only_wtq_table(tmp_path):
    root = tiny_wtq(tmp_path / "wtq", ROUTES,
                    [("nt-9", "which operator runs route 66?", "Arriva London")])
    pipe = tmp_path / "p.yaml"
    pipe.write_text(f"name: t\ndataset: wtq\ninputs: [{root}]\nstages:\n"
                    "  ingest: {render_pdf: false, styles: [acronym], explanations: [explicit],"
                    " max_targets_per_table: 1, lookup_questions: 1}\n"
                    "  controlled: {}\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["synth", "-p", str(pipe), "-o", str(tmp_path / "w")],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    tables = list(StageDir(tmp_path / "w", "ingest", ()).read("tables", Table))
    clear = next(t for t in tables if t.header_rows[0][3] == "Operator")
    assert clear.n_header_rows == 1
    assert clear.header_rows == [["Route Number", "Route", "Via", "Operator"]]
    assert clear.rows[0] == ["25", "Ilford to Oxford Circus", "Holborn, Aldgate", "First London"]
    items = [QAItem.model_validate_json(x) for x in
             (tmp_path / "w" / "controlled" / "items.jsonl").open()]
    # The lookup names the column the question names, not a data cell taken for a header.
    assert sorted({(i.question, i.answer.text) for i in items}) == [
        ("What is the operator for W12?", "Go-Ahead London"),
        ("which operator runs route 66?", "Arriva London")]


def test_ingest_writes_pdfs_records_and_items_that_revalidate(work):
    work, ingest, controlled = work
    ex = StageDir(work, "ingest", ())
    docs = {d.doc_id: d for d in ex.read("documents", Document)}
    tables = {t.table_id: t for t in ex.read("tables", Table)}
    items = list(ex.read("items", QAItem))
    assert ingest.stats["in"] == 3 and ingest.stats["kept"] == 2
    assert ingest.stats["dropped"] == {"answer_not_in_document": 1}
    assert len(docs) == 25 and len(list((work / "ingest" / "pdfs").glob("*.pdf"))) == 25
    cells = Counter((i.abstraction.style, i.abstraction.legend) for i in items)
    assert cells[("natural", "none")] == 3
    assert all(cells[(s, e)] == 3 for s in STYLES for e in ("explicit", "implicit", "removed"))
    # A removed legend leaves the answer printed in the table: table_implicit, not unanswerable.
    assert Counter(i.answer_location for i in items) == {
        "table_clear": 3, "table_defined": 12, "table_implicit": 24}
    # Dataset questions are lookups: the difficulty follows from the location alone.
    assert {(i.answer_location, i.difficulty) for i in items} == {
        ("table_clear", "easy"), ("table_defined", "medium"), ("table_implicit", "hard")}
    assert controlled.stats["in"] == controlled.stats["kept"] == 39
    item = next(i for i in items if i.source.example_id == "nt-1"
                and i.abstraction.legend == "implicit" and i.abstraction.style == "acronym")
    assert (item.question, item.answer.text, item.evidence.cells) == (
        "what is the population of Belize?", "383,071", [[1, 1]])
    assert item.source.license == "CC BY-SA 4.0" and item.source.answers == ["383,071"]
    assert [(k.abstract, k.detailed, k.category) for k in item.keywords] == [
        ("PPL", "Population", "inferable_document")]
    span = item.evidence.spans[0]
    assert docs[item.doc_id].text[span.char_start:span.char_end] == span.text
    assert tables[item.table_id].columns == ["Country", "PPL", "Area (km2)", "Capital"]
    # A tampered item fails the re-check, naming why.
    bad = item.model_copy(update={"evidence": item.evidence.model_copy(
        update={"cells": [[2, 1]]})})
    assert evidence_problem(bad, docs[item.doc_id], tables[item.table_id]) == \
        "answer not in its evidence cell"
    defined = next(i for i in items if i.pair_id == item.pair_id
                   and i.answer_location == "table_defined" and i.abstraction.style == "acronym")
    wrong = defined.model_copy(update={"keywords": [defined.keywords[0].model_copy(
        update={"detailed": "Capital"})]})
    assert evidence_problem(wrong, docs[defined.doc_id], tables[defined.table_id]).startswith(
        "no definition span states 'PPL' = 'Capital'")
    # The removed-legend twin keeps the answer and its cell; only the code is unresolvable.
    removed = next(i for i in items if i.pair_id == item.pair_id
                   and i.abstraction.legend == "removed" and i.abstraction.style == "acronym")
    assert (removed.answer_location, removed.answer.text, removed.evidence.cells,
            removed.evidence.spans, removed.difficulty) == (
        "table_implicit", "383,071", [[1, 1]], [], "hard")
    assert [(k.abstract, k.detailed, k.category) for k in removed.keywords] == [
        ("PPL", "Population", "unresolvable")]
    assert evidence_problem(removed, docs[removed.doc_id], tables[removed.table_id]) is None
    # An unresolvable code the document does define is caught.
    told = docs[defined.doc_id]
    assert evidence_problem(removed, told, tables[removed.table_id]) == \
        "the document defines 'PPL' although the item says it does not"


def test_extract_reads_the_rendered_table_back(work, tmp_path):
    from abstab.stages.extract import ExtractStage

    work, _, _ = work
    ex = StageDir(work, "ingest", ())
    table = next(t for t in ex.read("tables", Table) if t.columns[1] == "ξp")
    doc = next(d for d in ex.read("documents", Document) if d.doc_id == table.doc_id)
    ExtractStage(tmp_path / "rt", {"inputs": [doc.source]}).run()
    got = list(StageDir(tmp_path / "rt", "extract", ()).read("tables", Table))
    assert len(got) == 1
    assert [got[0].header_rows[-1], *got[0].rows] == [table.header_rows[-1], *table.rows]


def test_synth_cli_runs_a_dataset_pipeline(dataset, tmp_path):
    pipe = tmp_path / "p.yaml"
    pipe.write_text("name: t\ndataset: wtq\ninputs: [nowhere]\nstages:\n"
                    "  ingest: {styles: [acronym], explanations: [explicit, removed],"
                    " lookup_questions: 0}\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["synth", "-p", str(pipe), "-o", str(tmp_path / "w"),
                                   str(dataset)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[1].strip() == ("5 synthetic documents (wtq), 6 items: 0 text, 2 table_clear, "
                                "2 table_defined, 2 table_implicit, 0 unanswerable")
    assert lines[2].strip() == ("explained by: 2 legend, 0 definition_sentence, 0 value_mention, "
                                "0 unit_mention, 0 comparison, 0 trend, 0 elsewhere")
    assert lines[4].strip() == "6 of 6 items re-validate"
    items = [json.loads(x) for x in (tmp_path / "w" / "assemble" / "items.jsonl").open()]
    assert len(items) == 6 and all(i["split"] for i in items)
    # Every synthetic document of one source table lands in the same split: no leakage of a
    # table's clear twin into the split where its abstract version is tested.
    by_source: dict[str, set[str]] = {}
    for i in items:
        by_source.setdefault(i["source"]["doc_id"], set()).add(i["split"])
    assert len({i["doc_id"] for i in items}) > len(by_source)
    assert all(len(splits) == 1 for splits in by_source.values())


def test_pipeline_files(tmp_path):
    wtq = Pipeline.load("pipelines/wtq.yaml")
    assert (wtq.dataset, wtq.stage_order) == ("wtq", ("ingest", "controlled", "assemble"))
    assert wtq.inputs[0].name == "wikitablequestions"
    assert Pipeline.load("pipelines/tatqa.yaml").stages["ingest"]["row_headers"] is True
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: b\nstages:\n  ingest: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ingest and controlled need `dataset:`"):
        Pipeline.load(bad)


def test_shared_tatqa_table_with_text_and_row_header_items(tmp_path):
    path = corpus("tatqa")
    examples = [e for e in load("tatqa", path)
                if e.doc_id == "3ffd9053-a45d-491c-957a-1b2fa0af0570"]
    table = SourceTable.from_examples(examples, row_headers=True)
    assert table.n_header == 2
    plan = plan_table(table, Settings(["acronym"], ["explicit"], 2, 0, "0"))
    clear = plan.docs[0]
    assert [(i.location, i.answer.text) for i in clear.items] == [
        ("text", ("our allowable incurred costs plus a profit which can be fixed or variable "
                 "depending on the contract’s fee arrangement up to predetermined funding "
                 "levels determined by the customer")),
        ("table", "$1,496.5")]
    variant = plan.docs[1]
    assert (variant.target.meaning, variant.code, variant.grid[4][0]) == (
        "Total sales", "TS", "TS")


def test_lookups_skip_dash_cells_and_unit_only_column_labels():
    from abstab.synth.build import Target, lookups

    grid = [["", "", "December 31,", "", "Change"],
            ["", "2019", "2018", "$", "%"],
            ["Net sales", "$ 93,662", "$ 103,350", "$ (9,688)", "(9.4%)"],
            ["Cost of goods sold", "10", "12", "–", "–"],
            ["Other", "–", "5", "5", "-"]]
    table = SourceTable("tatqa", "d", "CC-BY-4.0", grid, 2, [], [])
    assert table.n_header == 2
    # "$" and "%" alone name no column: only the year columns are asked about.
    row = lookups(table, Target(2, 0, "Net sales"), 5, "0")
    assert [(p.question, p.cell, p.answer.text) for p in row] == [
        ("What is the net sales in 2019?", (2, 1), "$ 93,662"),
        ("What is the net sales in 2018?", (2, 2), "$ 103,350")]
    # A "–" is no value to look up.
    column = lookups(table, Target(1, 1, "Fiscal 2019"), 5, "0")
    assert [(p.question, p.cell) for p in column] == [
        ("What is the fiscal 2019 for Net sales?", (2, 1)),
        ("What is the fiscal 2019 for Cost of goods sold?", (3, 1))]


def test_no_lookup_whose_term_also_names_another_row():
    from abstab.synth.build import Target, lookups

    grid = [["", "2019", "2018"], ["Preferred stock (as-converted basis)", "2.1", "4.9"],
            ["Common stock", "94.3 %", "89.3 %"], ["Preferred stock", "4.4 %", "9.9 %"]]
    table = SourceTable("tatqa", "d", "CC-BY-4.0", grid, 1, [], [])
    # "the preferred stock in 2019" would name both rows: no question.
    assert lookups(table, Target(1, 0, "Preferred stock"), 5, "0") == []
    assert [p.question for p in lookups(table, Target(2, 0, "Common stock"), 5, "0")] == [
        "What is the common stock in 2019?", "What is the common stock in 2018?"]


def test_no_lookup_whose_column_term_is_inside_the_row_label():
    from abstab.synth.build import Target, lookups

    grid = [["", "2020", "Total"], ["Purchase obligations", "1,200", "3,400"],
            ["Total contractual obligations (2)", "19,902", "40,100"]]
    table = SourceTable("tatqa", "d", "CC-BY-4.0", grid, 1, [], [])
    # "What is the total for Total contractual obligations (2)?" does not name the column.
    assert [p.question for p in lookups(table, Target(0, 2, "Total"), 5, "0")] == [
        "What is the total for Purchase obligations?"]


def _summary(output: str, part: str) -> str:
    """The summary line that holds ``part``."""
    return next(line.strip() for line in output.splitlines() if part in line)


def test_cli_shared_wtq_gets_every_implied_kind_it_supports(tmp_path):
    data = corpus("wikitablequestions")
    runner = CliRunner()
    res = runner.invoke(cli, ["ingest", str(data), "-o", str(tmp_path / "w"), "-s", "wtq",
                              "--no-pdf"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    # The default mix: every kind weighs 1; WTQ has no report text (no elsewhere) and no
    # column of numbers that rises with every row (no trend).
    assert _summary(res.output, "explained by:") == (
        "explained by: 296 legend, 233 definition_sentence, 388 value_mention, 23 unit_mention, "
        "6 comparison, 0 trend, 0 elsewhere")
    res = runner.invoke(cli, ["controlled", str(tmp_path / "w")], catch_exceptions=False)
    assert _summary(res.output, "re-validate") == "1651 of 1651 items re-validate"


def test_cli_mix_knob_makes_a_mostly_implied_tatqa_set(tmp_path):
    pipe = tmp_path / "p.yaml"
    pipe.write_text(
        f"name: t\ndataset: tatqa\ninputs: [{corpus('tatqa')}]\nstages:\n"
        "  ingest: {row_headers: true, render_pdf: false, limit: 60, explanations: [implicit],"
        " implicit_variants: 5}\n  assemble: {dedup: text}\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["synth", "-p", str(pipe), "-o", str(tmp_path / "w")],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert _summary(res.output, "synthetic documents") == (
        "120 synthetic documents (tatqa), 314 items: 93 text, 81 table_clear, 0 table_defined, "
        "140 table_implicit, 0 unanswerable")
    assert _summary(res.output, "explained by:") == (
        "explained by: 0 legend, 0 definition_sentence, 94 value_mention, 0 unit_mention, "
        "32 comparison, 8 trend, 6 elsewhere")
    assert _summary(res.output, "re-validate") == "314 of 314 items re-validate"
    items = [QAItem.model_validate_json(x) for x in
             (tmp_path / "w" / "ingest" / "items.jsonl").open()]
    implied = [i for i in items if i.abstraction.explained_by]
    # Gold by construction: every implied kind is an implicit legend, an inferable keyword.
    assert {(i.answer_location, i.abstraction.legend, i.keywords[0].category)
            for i in implied} == {("table_implicit", "implicit", "inferable_document")}
    # An elsewhere clue is a sentence of the report's own paragraphs, pointed at in place.
    docs = {d.doc_id: d for d in StageDir(tmp_path / "w", "ingest", ()).read("documents", Document)}
    for i in implied:
        if i.abstraction.explained_by == "elsewhere":
            span = next(s for s in i.evidence.spans if s.role == "clue")
            block = next(b for b in docs[i.doc_id].blocks if b.block_id == span.block_id)
            assert span.text in block.text and block.order < len(docs[i.doc_id].blocks) - 2


def test_cli_refuses_an_unknown_explanation_kind(tmp_path):
    pipe = tmp_path / "p.yaml"
    pipe.write_text("name: t\ndataset: wtq\ninputs: [nowhere]\nstages:\n"
                    "  ingest: {explained_by: {value_mention: 2, hint: 1}}\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["synth", "-p", str(pipe), "-o", str(tmp_path / "w")])
    assert res.exit_code == 2
    assert res.output.strip().endswith(
        "stage ingest: unknown explained_by kinds ['hint']; valid kinds: ['legend', "
        "'definition_sentence', 'value_mention', 'unit_mention', 'comparison', 'trend', "
        "'elsewhere']")
    assert not (tmp_path / "w").exists()


def test_validate_rechecks_every_implied_clue_of_a_release(dataset, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pipe = tmp_path / "p.yaml"
    pipe.write_text("name: t\ndataset: wtq\ninputs: [nowhere]\nstages:\n"
                    "  ingest: {explanations: [implicit], lookup_questions: 1}\n"
                    "  assemble: {dedup: text}\n", encoding="utf-8")
    runner = CliRunner()
    work, rel = tmp_path / "w", tmp_path / "rel"
    assert runner.invoke(cli, ["synth", "-p", str(pipe), "-o", str(work), str(dataset)],
                         catch_exceptions=False).exit_code == 0
    res = runner.invoke(cli, ["release", str(work), "-o", str(rel), "--name", "t"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert runner.invoke(cli, ["validate", str(rel)], catch_exceptions=False).exit_code == 0

    def rows(config: str) -> dict[Path, list[dict]]:
        return {p: pq.read_table(p).to_pylist() for p in sorted((rel / config).glob("*.parquet"))}

    def write(path: Path, data: list[dict]) -> None:
        pq.write_table(pa.Table.from_pylist(data, schema=pq.read_schema(path)), path)

    items = rows("items")
    flat = [(p, i) for p, rs in items.items() for i in rs]
    mention = next(i for _, i in flat if i["abstraction"]["explained_by"] == "value_mention"
                   and any("9,112,867" in s["text"] for s in i["evidence"]["spans"]))
    compare = next(i for _, i in flat if i["abstraction"]["explained_by"] == "comparison")
    assert [s["text"] for s in compare["evidence"]["spans"]] == [
        "Of the rows of Table 1, Guatemala has the highest population."]
    # 1. The document's text now names a population no row has: the clue fits no column.
    for path, rs in items.items():
        for i in rs:
            if i["doc_id"] == mention["doc_id"]:
                for s in i["evidence"]["spans"]:
                    s["text"] = s["text"].replace("9,112,867", "9,112,868")
        write(path, rs)
    for path, rs in rows("documents").items():
        for d in rs:
            if d["doc_id"] == mention["doc_id"]:
                d["text"] = d["text"].replace("9,112,867", "9,112,868")
                for b in d["blocks"]:
                    b["text"] = b["text"].replace("9,112,867", "9,112,868")
        write(path, rs)
    # 2. Guatemala's area is now the largest too: the comparison fits two columns.
    for path, rs in rows("tables").items():
        for t in rs:
            if t["table_id"] == compare["table_id"]:
                t["rows"][3][2] = "999,999"
                next(c for c in t["cells"] if (c["row"], c["col"]) == (4, 2))["text"] = "999,999"
        write(path, rs)
    res = runner.invoke(cli, ["validate", str(rel)], catch_exceptions=False)
    assert res.exit_code == 1
    fix = ("Fix: restore the document's text and the table; or rebuild the release with "
           "`abstab release WORK -o RELEASE --force`")
    none = ("implied clue (value_mention): the value_mention clue 'For Honduras, the population "
            f"was 9,112,868.' fits no column of the table. {fix}")
    code = compare["keywords"][0]["abstract"]
    two = ("implied clue (comparison): the comparison clue 'Of the rows of Table 1, Guatemala has "
           f"the highest population.' fits column 1 ('{code}'), column 2 ('Area (km2)'); it "
           f"must fit column 1 ('{code}') only. {fix}")
    # Every item of the tampered document (table) is named, each once, and no other.
    expected = sorted([f"item_id {i['item_id']}: {none}" for _, i in flat
                       if i["doc_id"] == mention["doc_id"]]
                      + [f"item_id {i['item_id']}: {two}" for _, i in flat
                         if i["table_id"] == compare["table_id"]])
    implied = [line for line in res.output.splitlines() if "implied clue" in line]
    assert sorted(line.split(": ", 1)[1] for line in implied) == expected
    assert len(expected) == 4


def test_cli_weights_set_the_explicit_and_implied_mix(dataset, tmp_path):
    pipe = tmp_path / "p.yaml"
    pipe.write_text("name: t\ndataset: wtq\ninputs: [nowhere]\nstages:\n"
                    "  ingest: {explanations: [explicit, implicit], lookup_questions: 0,"
                    " render_pdf: false, explained_by: {legend: 0, comparison: 0}}\n"
                    "  assemble: {dedup: text}\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["synth", "-p", str(pipe), "-o", str(tmp_path / "w"),
                                   str(dataset)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    # Every explicit document defines its code in a sentence; no implied clue is a comparison
    # (with the default mix, two of the Population documents were; see the plan test above).
    assert _summary(res.output, "explained by:") == (
        "explained by: 0 legend, 8 definition_sentence, 8 value_mention, 0 unit_mention, "
        "0 comparison, 0 trend, 0 elsewhere")
