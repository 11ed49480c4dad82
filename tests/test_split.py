"""Questions across two tables: the split planner, its templates, the records, the rules
reader over both tables, the bench's single/multi-table report, and validate."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import corpus

from abstab.bench.systems import table_passage
from abstab.cli import cli
from abstab.core.multitable import multi_table_problem
from abstab.records import Abstraction, Answer, Provenance, QAItem, Table
from abstab.release.build import write_checksums
from abstab.rules.reader import continued, read
from abstab.synth.build import SourceTable
from abstab.synth.split import SplitSettings, plan_split, render_split, split_items

TEAMS = [["Team", "City", "Stadium", "Coach", "Wins"],
         ["Lions", "Oslo", "North Park", "Berg", "12"],
         ["Bears", "Bergen", "Fjord Arena", "Dahl", "9"],
         ["Wolves", "Trondheim", "Lerkendal", "Holm", "7"],
         ["Eagles", "Tromso", "Alfheim", "Lund", "5"]]
YEARS = [["", "2019", "2018"], ["Revenue", "1,200", "1,000"], ["Costs", "800", "700"],
         ["Net income", "400", "300"]]
SETTINGS = SplitSettings(documents=1, questions=2, styles=["acronym"], seed="0")
PROV = Provenance(stage="ingest", abstab_version="0", config_hash="0")


def _teams() -> SourceTable:
    return SourceTable("wtq", "csv/t.csv", "CC-BY-SA-4.0", TEAMS, 1, [], [], False)


def _years() -> SourceTable:
    return SourceTable("tatqa", "ctx-1", "CC-BY-4.0", YEARS, 1, [], [], True)


def _asked(plan) -> list[tuple]:
    return [(i.template, i.question, i.answer.text, i.cells) for i in plan.items]


def test_split_by_rows_asks_differences_sums_and_a_code_from_table_1s_legend():
    plan = plan_split(_teams(), "rows", SETTINGS)
    assert plan.grids == (
        [["Team", "City", "Stadium", "CCH", "Wins"], ["Lions", "Oslo", "North Park", "Berg", "12"],
         ["Bears", "Bergen", "Fjord Arena", "Dahl", "9"]],
        [["Team", "City", "Stadium", "CCH", "Wins"], ["Wolves", "Trondheim", "Lerkendal", "Holm", "7"],
         ["Eagles", "Tromso", "Alfheim", "Lund", "5"]])
    # Table 1, its legend, a sentence, Table 2: the code is defined only under Table 1.
    assert [(b.kind, b.text) for b in plan.blocks] == [
        ("caption", "Table 1."), ("footnote", "CCH = Coach"),
        ("paragraph", "Table 2 continues Table 1 with the remaining rows."),
        ("caption", "Table 2."),
        ("footnote", "Source: WikiTableQuestions (CC-BY-SA-4.0), table csv/t.csv.")]
    assert _asked(plan) == [
        ("two_table_difference", ("What is the difference between the wins of Lions and that of "
                                 "Eagles?"), "7", [(1, 4, 0), (2, 4, 1)]),
        ("two_table_difference", ("What is the difference between the wins of Bears and that of "
                                 "Eagles?"), "4", [(2, 4, 0), (2, 4, 1)]),
        ("two_table_legend_lookup", "What is the coach for Eagles?", "Lund", [(2, 3, 1)]),
        ("two_table_legend_lookup", "What is the coach for Wolves?", "Holm", [(1, 3, 1)]),
        ("two_table_sum", "What is the sum of the wins of Bears and Eagles?", "14",
         [(2, 4, 0), (2, 4, 1)]),
        ("two_table_sum", "What is the sum of the wins of Bears and Wolves?", "16",
         [(2, 4, 0), (1, 4, 1)])]


def test_split_by_columns_joins_on_the_row_labels():
    plan = plan_split(_teams(), "columns", SETTINGS)
    assert plan.grids == (
        [["Team", "City", "Stadium"], ["Lions", "Oslo", "North Park"],
         ["Bears", "Bergen", "Fjord Arena"], ["Wolves", "Trondheim", "Lerkendal"],
         ["Eagles", "Tromso", "Alfheim"]],
        [["Team", "Coach", "WNS"], ["Lions", "Berg", "12"], ["Bears", "Dahl", "9"],
         ["Wolves", "Holm", "7"], ["Eagles", "Lund", "5"]])
    assert (plan.code, plan.meaning, plan.code_column) == ("WNS", "Wins", 2)
    assert _asked(plan) == [
        ("two_table_join", "What is the coach where the stadium is North Park?", "Berg",
         [(1, 2, 0), (1, 1, 1)]),
        ("two_table_join", "What is the coach where the city is Oslo?", "Berg",
         [(1, 1, 0), (1, 1, 1)]),
        ("two_table_legend_lookup", "What is the wins for Bears?", "9", [(2, 2, 1)]),
        ("two_table_legend_lookup", "What is the wins for Eagles?", "5", [(4, 2, 1)])]


def test_split_of_year_columns_asks_changes_and_sums_and_skips_small_tables():
    plan = plan_split(_years(), "columns", SETTINGS)
    assert plan.grids == ([["", "2019"], ["Revenue", "1,200"], ["Costs", "800"],
                           ["Net income", "400"]],
                          [["", "2018"], ["Revenue", "1,000"], ["Costs", "700"],
                           ["Net income", "300"]])
    assert plan.code is None
    assert _asked(plan) == [
        ("two_table_difference", "What is the change in Net income from 2018 to 2019?", "100",
         [(3, 1, 0), (3, 1, 1)]),
        ("two_table_difference", "What is the change in Costs from 2018 to 2019?", "100",
         [(2, 1, 0), (2, 1, 1)]),
        ("two_table_sum", "What is the sum of Net income in 2019 and 2018?", "700",
         [(3, 1, 0), (3, 1, 1)]),
        ("two_table_sum", "What is the sum of Revenue in 2019 and 2018?", "2,200",
         [(1, 1, 0), (1, 1, 1)])]
    assert plan_split(_years(), "rows", SETTINGS) is None  # three body rows: too few to halve


def _rendered(table: SourceTable, kind: str):
    plan = plan_split(table, kind, SETTINGS)
    rendered = render_split(plan, PROV, "x.pdf", with_pdf=False)
    return plan, rendered, split_items(plan, rendered, PROV)


def test_items_record_both_tables_and_recompute_from_their_cells():
    _plan, rendered, items = _rendered(_teams(), "rows")
    t1, t2 = rendered.tables
    assert [t.caption for t in rendered.tables] == ["Table 1.", "Table 2."]
    assert [n.text for n in t1.notes] == ["CCH = Coach"] and t2.notes[0].kind == "source"
    tables = {t.table_id: t for t in rendered.tables}
    for item in items:
        assert item.tables == [t1.table_id, t2.table_id] and item.table_id == t1.table_id
        assert multi_table_problem(item, tables) is None
    legend = next(i for i in items if i.template == "two_table_legend_lookup")
    assert (legend.answer_location, legend.abstraction.explained_by,
            legend.keywords[0].abstract, legend.evidence.spans[0].text) == (
        "table_defined", "legend", "CCH", "CCH = Coach")
    # A changed cell in Table 2 is found, with both cells named.
    diff = items[0]
    cells = [c.model_copy(update={"text": "8"}) if (c.row, c.col) == (2, 4) else c
             for c in t2.cells]
    changed = Table.from_cells(cells, 1, empty_ratio=0, numeric_header_ratio=0, confidence=1,
                               table_id=t2.table_id, doc_id=t2.doc_id, pages=[1], bbox=t2.bbox,
                               engine="synthetic", provenance=PROV)
    assert multi_table_problem(diff, {**tables, t2.table_id: changed}) == (
        f"recomputed answer '4' from the cells '12' (table {t1.table_id} [1, 4]), '8' (table "
        f"{t2.table_id} [2, 4]) differs from '7'")
    assert multi_table_problem(diff.model_copy(update={"tables": [t1.table_id]}), tables) == (
        f"tables ['{t1.table_id}'] must list two or more tables, table_id {t1.table_id} first")


@pytest.mark.parametrize("table,kind", [(_teams, "rows"), (_teams, "columns"),
                                        (_years, "columns")])
def test_rules_reader_answers_given_both_tables_and_not_given_the_first(table, kind):
    _, rendered, items = _rendered(table(), kind)
    both = [table_passage(t) for t in rendered.tables]
    assert [read(i.question, both).answer for i in items] == [i.answer.text for i in items]
    first = [read(i.question, both[:1]).answer for i in items]
    assert not any(a == i.answer.text for a, i in zip(first, items, strict=True))


def test_continued_tables_are_read_whole():
    t1 = Table.from_grid([["Team", "Wins"], ["Lions", "12"]], 1, table_id="d:t1", doc_id="d",
                         pages=[1], bbox=[0, 0, 0, 0], engine="x", provenance=PROV)
    t2 = Table.from_grid([["Team", "Wins"], ["Bears", "9"]], 1, table_id="d:t2", doc_id="d",
                         pages=[2], bbox=[0, 0, 0, 0], engine="x", provenance=PROV)
    t3 = Table.from_grid([["Team", "Coach"], ["Lions", "Berg"], ["Bears", "Dahl"]], 1,
                         table_id="d:t3", doc_id="d", pages=[2], bbox=[0, 0, 0, 0], engine="x",
                         provenance=PROV)
    other = t2.model_copy(update={"doc_id": "e", "table_id": "e:t1"})
    merged = continued([t1, t2, t3, other])
    assert [(t.table_id, t.header_rows, t.rows) for t in merged] == [
        ("d:t1+d:t2+d:t3", [["Team", "Wins", "Coach"]],
         [["Lions", "12", "Berg"], ["Bears", "9", "Dahl"]]),
        ("e:t1", [["Team", "Wins"]], [["Bears", "9"]])]


def test_reader_sums_the_rows_named_outright_and_ignores_triggers_inside_them():
    t = Table.from_grid([["", "2019"], ["Net income", "10"], ["Diluted average shares", "5"],
                         ["Net income per share", "2"]], 1, table_id="d:t1", doc_id="d",
                        pages=[1], bbox=[0, 0, 0, 0], engine="x", provenance=PROV)
    # "average" is a word of a row the question quotes, not the operation; the third row
    # shares words with the question but is not named.
    out = read("What is the sum of Net income and Diluted average shares in 2019?",
               [table_passage(t)])
    assert out.answer == "15"


def test_item_json_omits_tables_when_the_item_has_one():
    item = QAItem(item_id="i", doc_id="d", table_id="d:t1", question="q?",
                  answer=Answer(text="1", value=1, type="number"), answer_location="table_clear",
                  abstraction=Abstraction(style="natural", legend="none"), origin="controlled",
                  template="t", difficulty="easy", provenance=PROV)
    assert "tables" not in item.model_dump(mode="json")
    two = item.model_copy(update={"tables": ["d:t1", "d:t2"]})
    assert two.model_dump(mode="json")["tables"] == ["d:t1", "d:t2"]


# ------------------------------------------------------------------ end to end, shared WTQ

PIPELINE = """name: split
dataset: wtq
stages:
  ingest: {limit: 4, styles: [acronym], explanations: [explicit], max_targets_per_table: 1,
           lookup_questions: 1, split_documents: 1}
  controlled: {}
  assemble: {dedup: text}
"""


@pytest.fixture(scope="module")
def split_work(tmp_path_factory):
    data = corpus("wikitablequestions")
    root = tmp_path_factory.mktemp("split")
    (root / "p.yaml").write_text(PIPELINE, encoding="utf-8")
    res = CliRunner().invoke(cli, ["synth", "-p", str(root / "p.yaml"), "-o", str(root / "w"),
                                   str(data)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return root / "w", res.output


def test_wtq_pipeline_makes_two_table_items_and_bench_reports_them(split_work):
    work, output = split_work
    assert ("9 synthetic documents (wtq), 16 items: 0 text, 10 table_clear, 6 table_defined, "
            "0 table_implicit, 0 unanswerable; 6 across two tables") in output
    assert "16 of 16 items re-validate" in output
    items = [QAItem.model_validate_json(x) for x in (work / "assemble" / "items.jsonl").open()]
    multi = [i for i in items if i.tables]
    assert sorted(i.template for i in multi) == [
        "two_table_difference", "two_table_difference", "two_table_legend_lookup",
        "two_table_legend_lookup", "two_table_sum", "two_table_sum"]
    assert all(len(i.tables) == 2 and {c[2] for c in i.evidence.cells} <= {0, 1} for i in multi)
    res = CliRunner().invoke(cli, ["bench", str(work), "-s", "oracle", "-s", "closed-book",
                                   "-s", "table", "--no-plots"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    at = lines.index("| tables | n | oracle | closed-book | table |")
    assert lines[at + 2:at + 4] == ["| single | 10 | 0.20 | 0.00 | 0.10 |",
                                    "| multi | 6 | 1.00 | 0.00 | 0.67 |"]


def _rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def test_validate_recomputes_two_table_items_and_names_a_changed_cell(split_work, tmp_path):
    work, _ = split_work
    rel = tmp_path / "rel"
    res = CliRunner().invoke(cli, ["release", str(work), "-o", str(rel)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert CliRunner().invoke(cli, ["validate", str(rel)]).exit_code == 0
    items = [r for p in sorted((rel / "items").glob("*.parquet")) for r in _rows(p)]
    item = next(r for r in items if r["template"] == "two_table_sum")
    row, col, _ = item["evidence"]["cells"][1]
    t2 = item["tables"][1]
    path = next(p for p in (rel / "tables").glob("*.parquet")
                if any(r["table_id"] == t2 for r in _rows(p)))
    rows = _rows(path)
    for r in rows:
        if r["table_id"] == t2:
            old = r["rows"][row - r["n_header_rows"]][col]
            r["rows"][row - r["n_header_rows"]][col] = "1"
            for c in r["cells"]:
                if (c["row"], c["col"]) == (row, col):
                    c["text"] = "1"
    pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(path)), path)
    write_checksums(rel)
    res = CliRunner().invoke(cli, ["validate", str(rel)], catch_exceptions=False)
    assert res.exit_code == 1
    named = [ln for ln in res.output.splitlines() if f"item_id {item['item_id']}:" in ln]
    assert len(named) == 1 and "recomputed answer" in named[0] and f"'{old}'" not in named[0]
    assert f"'1' (table {t2} [{row}, {col}])" in named[0]
    assert f"differs from {item['answer']['text']!r}" in named[0]




def test_no_difference_of_equal_values():
    grid = [list(r) for r in TEAMS]
    grid[4][4] = "12"  # Eagles win as many as Lions: "Lions minus Eagles" would be 0
    plan = plan_split(SourceTable("wtq", "csv/t.csv", "CC-BY-SA-4.0", grid, 1, [], [], False),
                      "rows", SETTINGS)
    assert [(i.question, i.answer.text) for i in plan.items
            if i.template == "two_table_difference"] == [
        ("What is the difference between the wins of Bears and that of Eagles?", "-3"),
        ("What is the difference between the wins of Bears and that of Wolves?", "2")]


def test_no_arithmetic_on_values_with_more_than_two_decimal_places():
    grid = [list(r) for r in TEAMS]
    for row, value in zip(grid[1:], (".625", ".643", ".615", ".556"), strict=True):
        row[4] = value
    plan = plan_split(SourceTable("wtq", "csv/t.csv", "CC-BY-SA-4.0", grid, 1, [], [], False),
                      "rows", SETTINGS)
    assert sorted({i.template for i in plan.items}) == ["two_table_legend_lookup"]
