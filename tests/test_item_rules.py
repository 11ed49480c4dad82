"""Items a careful person would keep (issue 19, point 6): no arithmetic or ranking over
identifier, code or year columns; no questions from indexes, forms or instruction grids; column
names without body debris; no merged cells as answers; unanswerable items a reader could ask of
the same document."""

from __future__ import annotations

import json

import pytest
from builders import PROV, generate_stage, make_table, synth_pages
from conftest import corpus

from abstab.core.questions import (
    NOT_AVAILABLE,
    QuestionError,
    TableView,
    answers_match,
    data_table_problem,
    execute,
    format_number,
    key_column,
    link_column,
    period_kind,
    phrase,
    template_operations,
    term_debris,
    term_problem,
)
from abstab.executors import Unit
from abstab.records import Block, Document, HeaderKeyword, Judgment, Operation, Resolution
from abstab.stages.generate import _absent_year, _GenerateUnit

TYPES = ["lookup", "comparison", "extremum", "count", "sum", "difference", "filter"]


def _parts():
    return make_table(["Part", "Item No.", "Weight (kg)"], [
        ["Cylinder head GJL", "4711", "31.5"], ["Cylinder block GJS", "4203", "88.0"],
        ["Crankshaft", "5120", "24.2"], ["Flywheel", "3390", "12.9"]])


def test_an_identifier_column_gets_lookups_but_no_arithmetic_or_ranking():
    view = TableView(_parts(), 0)
    assert view.label_column(1) == "its header 'Item No.' names labels ('no'), not a quantity"
    assert view.label_column(2) is None
    ops = template_operations(view, [1, 2], TYPES, 1, 1, "0")
    assert sorted({o.type for o in ops if o.column == 1}) == ["lookup"]
    assert sorted({o.type for o in ops if o.column == 2}) == sorted(TYPES)
    for op in (Operation(type="difference", column=1, key_column=0, rows=[0, 1]),
               Operation(type="sum", column=1, key_column=0, rows=[0, 1]),
               Operation(type="extremum", column=1, key_column=0, op="max")):
        with pytest.raises(QuestionError) as exc:
            execute(op, _parts())
        assert exc.value.reason == "label_column"
        assert str(exc.value) == (f"{op.type}: column 1 holds labels, not quantities: its header "
                                  "'Item No.' names labels ('no'), not a quantity")
    lookup = execute(Operation(type="lookup", column=1, key_column=0, rows=[0]), _parts())
    assert lookup.answer.text == "4711"


@pytest.mark.parametrize(("header", "values", "why"), [
    ("Opened", ["1998", "2004", "2011", "1987"], "its values are years"),
    ("Year", ["2019", "2020", "2021", "2022"], ("its header 'Year' names labels ('year'), not a "
                                               "quantity")),
    ("Area", ["02139", "10001", "94105", "60614"], "its values are codes with leading zeros"),
    ("Locality", ["10001", "94105", "60614", "73301"], "its values are 5-digit codes"),
    ("Batch", ["7", "8", "10", "11"], "its values are serial numbers (they count up row by row)"),
    ("No. of cases", ["950", "6", "29", "112"], None),  # a count: "of" keeps it a quantity
    ("Total number", ["950", "6", "29", "112"], None),
    ("Number", ["950", "6", "29", "112"], None),  # alone, a count
    ("Cases rounded to whole number", ["950", "6", "29", "112"], None),
    ("Fiscal Year", ["2019", "2019", "2021", "2022"], ("its header 'Fiscal Year' names labels "
                                                      "('year'), not a quantity")),
    ("Staff", ["12", "40", "7", "33"], None),
    ("Revenue", ["1,998", "2,004", "2,011", "1,987"], None),  # separators: amounts, not years
    ("Weight", ["2001.5", "2004", "2011", "1987"], None),
])
def test_a_column_of_labels_is_told_by_its_header_or_its_values(header, values, why):
    t = make_table(["Town", header], [[f"Town {c}", v] for c, v in zip("ABCD", values, strict=True)])
    assert TableView(t, 0).label_column(1) == why
    made = {o.type for o in template_operations(TableView(t, 0), [1], TYPES, 1, 1, "0")}
    if why:
        assert made == {"lookup"}
    else:
        assert {"lookup", "comparison", "sum", "difference"} <= made


def test_a_merged_cell_is_no_answer():
    t = make_table(["District", "Cases"], [
        ["Morena", "142 none"], ["Bhind", "950 6"], ["Gwalior", "29"], ["Datia", "none"],
        ["Sheopur", "12"], ["Shivpuri", "17 (est.)"], ["Rewa", "40"], ["Satna", "8"]])
    view = TableView(t, 0)
    assert [view.merged(r, 1) for r in range(8)] == [True, True] + [False] * 6
    with pytest.raises(QuestionError) as exc:
        execute(Operation(type="lookup", column=1, key_column=0, rows=[0]), t)
    assert (exc.value.reason, str(exc.value)) == (
        "merged_cells", "cell (0, 1) runs several values together ('142 none')")
    ops = template_operations(view, [1], ["lookup"], 10, 1, "0")
    assert sorted(o.rows[0] for o in ops) == [2, 3, 4, 5, 6, 7]


def test_a_column_name_carrying_body_values_is_not_used():
    t = make_table(["District", "No. of Cases 950 6 29", "Rate 29", "Population 2011"],
                   [["Morena", "950", "29", "1.9m"], ["Bhind", "6", "41", "1.7m"]])
    view = TableView(t, 0)
    assert term_debris("No. of Cases 950 6 29", view, 1) == \
        "its header holds the numbers '950 6 29' (body cells read into it)"
    assert term_debris("Rate 29", view, 2) == "its header holds '29', a cell of the column"
    assert term_debris("Population 2011", view, 3) is None


@pytest.mark.parametrize(("header", "rows", "why"), [
    (["Income", "Tax"], [["Wages, salaries, tips . . . . . . .", "1"],
                         ["Taxable interest . . . . . . .", "2a"], ["Dividends", "3"]],
     "dot leaders or fill-in blanks in 2 of 4 rows (an index, a table of contents or a form)"),
    (["Step", "Amount"], [["Add lines 1 and 2", "a"], ["THEN enter on line 3", "b"],
                          ["Subtract line 4 from line 3", "c"], ["Net", "d"]],
     ("form instructions (enter, line N, see page) in 3 of 5 rows (a form or an instruction "
     "grid)")),
    (["INDEX A", "", "F", ""], [["AD1836", "3-5", "Features", "1-1"],
                                ["ADC1", "4-7", "FLAG1", "4-6"]],
     "its header is an index or table of contents title"),
    (["LED3", "2-5, 2-15", "SPDIF", "4-6"], [["LED7", "2-15", "SPI", "3-5, 4-3"],
                                              ["LED8", "4-11, 4-12", "SPORT0", "4-3"],
                                              ["LED9", "4-12", "SPORT1", "4-16"]],
     "2 columns of page references each after a column of terms (a multi-column index)"),
    (["District", "Cases", "Budget 2 Ministry", "Plan"],
     [["Morena", "1,250", "...", "3-5"], ["Bhind", "640", "12.5", "6-9"],
      ["Datia", "..", "....", "2"]], None),  # missing-value dots and age bands are data
])
def test_indexes_forms_and_instruction_grids_are_not_data_tables(header, rows, why):
    assert data_table_problem(make_table(header, rows)) == why


def test_absent_periods_and_not_available_cells():
    said = "Funding in FY2024 and FY2025; the 2026 request is pending."
    assert _absent_year("FY2025 Funding", said) == "FY2027 Funding"
    assert _absent_year("2022 Actual", "2022 2023") == "2024 Actual"
    assert _absent_year("Funding", said) is None
    assert _absent_year("2019 Actual", "2019 2030") is None  # the document reaches past it
    # camelot agstat: "Projected Population for 2012-13" became "… for 2013-13"
    assert _absent_year("Projected Population for 2012-13", "2012") is None
    assert _absent_year("growth 1990–94", "1990") is None
    assert _absent_year("Fiscal 2012/2013", "2012") is None
    assert [bool(NOT_AVAILABLE.fullmatch(t)) for t in
            ("n/a", "NA", "(NA)", "n.a.", "Not available", "..", "-", "—", "0", "none")] == \
        [True, True, True, True, True, True, False, False, False, False]


def test_an_index_in_a_real_pdf_is_dropped_in_the_funnel_with_its_reason(tmp_path):
    # olmocr's instructions_and_schematics.pdf ends with a two-column back-of-book index
    # ("AD1836 3-5 | Features 1-1"); before, its page references became "What is the 4-6 for
    # …?" lookups and "Which has the higher …" comparisons.
    r = synth_pages(corpus("govreports", "olmocr__instructions_and_schematics.pdf"), 56, 57,
                    tmp_path)
    assert r.exit_code == 0, r.output
    errors = [json.loads(line) for line in
              (tmp_path / "w" / "generate" / "errors.jsonl").read_text().splitlines()]
    assert sorted((e["reason"], e["message"]) for e in errors) == [
        ("not_data_table", ("no questions from this table: 2 columns of page references each "
                           "after a column of terms (a multi-column index)")),
        ("not_data_table", ("no questions from this table: its header is an index or table of "
                           "contents title"))]
    assert (tmp_path / "w" / "generate" / "items.jsonl").read_text() == ""
    assert "clean tables         0   dropped 2 (not_data_table 2)" in r.output


def test_bracketed_percentages_are_not_negatives_and_a_trailing_total_is_an_aggregate():
    t = make_table(["Characteristics", "Rodents (%)"], [
        ["Owner", "(12.5)"], ["Renter", "(45.1)"], ["Less than high school", "(44.1)"],
        ["EU15 Total", "(30.0)"]])
    view = TableView(t, 0)
    assert view.values(1) == {0: 12.5, 1: 45.1, 2: 44.1}
    out = execute(Operation(type="extremum", column=1, key_column=0, op="min"), t)
    assert out.answer.text == "Owner"
    mixed = make_table(["Item", "Net"], [["A", "(3.2)"], ["B", "4.0"], ["C", "1.5"]])
    assert TableView(mixed, 0).values(1) == {0: -3.2, 1: 4.0, 2: 1.5}  # accounting negative


def test_a_citation_year_is_no_blank():
    from abstab.stages.generate import _NUM_TOKEN, _in_citation

    s = "Consumers preferred power (EPA 2010) and 1,250 cars were sold in 2009, (Smith et al., 2008)."
    kept = [m.group() for m in _NUM_TOKEN.finditer(s) if not _in_citation(s, m)]
    assert kept == ["1,250", "2009"]


def test_rates_and_shares_are_compared_but_not_summed():
    t = make_table(["Station", "Response rate", "Staff", "Avail."], [
        ["Upper", "12.5", "40", "98.1%"], ["Lower", "30.5", "12", "99.0%"],
        ["Mill", "20.0", "7", "97.5%"]])
    view = TableView(t, 0)
    assert view.rate_column(1) == "its header 'Response rate' names a rate or share"
    assert view.rate_column(2) is None
    assert view.rate_column(3) == "its values are percentages"
    with pytest.raises(QuestionError) as exc:
        execute(Operation(type="sum", column=1, key_column=0, rows=[0, 1]), t)
    assert (exc.value.reason, str(exc.value)) == ("rate_column", ("sum: column 1 holds rates or "
                                                  "shares, not amounts: its header 'Response "
                                                  "rate' names a rate or share"))
    made = {(o.type, o.column) for o in template_operations(view, [1, 2, 3], TYPES, 1, 9, "0")}
    assert {c for t_, c in made if t_ == "sum"} == {2}
    assert {c for t_, c in made if t_ == "difference"} == {1, 2, 3}



def test_index_numbers_are_compared_but_not_summed(tmp_path):
    # ICDAR eu-004 (retail report): "What is the sum of the value of food sales 1996 for Portugal
    # and Spain?" → 312.8, two index values on a base of 1990 = 100 added.
    items, _ = _synth(tmp_path, "icdar2013/competition-dataset-eu/eu-004.pdf", 3)
    assert sorted(t_ for t_, q, _ in items if "food sales" in q) == [
        "comparison", "count", "difference", "extremum", "filter", "lookup", "lookup"]
    t = make_table(["Country", "value of food sales 1996 (1990=100)", "Stores (000)"], [
        ["Ireland", "130.1", "9.5"], ["Italy", "139.9", "12.0"], ["Spain", "132.5", "30.1"]])
    view = TableView(t, 0)
    assert view.rate_column(1) == ("its header 'value of food sales 1996 (1990=100)' gives an "
                                   "index against a base of 100")
    assert view.rate_column(2) is None
    with pytest.raises(QuestionError) as exc:
        execute(Operation(type="sum", column=1, key_column=0, rows=[1, 2]), t)
    assert exc.value.reason == "rate_column"
    assert TableView(make_table(["Town", "Stock (lot 7 = 100.25 t)"], [["A", "1"]]), 0
                     ).rate_column(1) is None


def test_a_number_as_a_column_name_and_serial_row_labels_are_not_asked_about():
    t = make_table(["27", "Acrylamide", "201-173-7"], [
        ["21", "Anthracene oil", "292-604-8"], ["22", "Benzene", "200-753-7"]])
    assert term_debris("27", TableView(t, 1), 0) == \
        "its header is the number '27' (a body row read as the header)"
    serial = make_table(["Sl. No.", "Year"], [["44.", "2010"], ["45.", "2011"], ["46.", "2012"]])
    assert TableView(serial, 0).keys == {}


def test_a_cross_reference_is_no_blank():
    from abstab.stages.generate import _NUM_TOKEN, _REFERENCE

    s = "As Section 2 shows, 14 stations were sampled (see Table 3 and page 12)."
    assert [m.group() for m in _NUM_TOKEN.finditer(s)
            if not _REFERENCE.search(s[:m.start()])] == ["14"]
    # us-019: "… see table A-___ on page 85."
    s = "For a list of 12 MAPEs, see table A-2 on page 85, or Figure B.3."
    assert [m.group() for m in _NUM_TOKEN.finditer(s)
            if not _REFERENCE.search(s[:m.start()])] == ["12"]


def test_a_row_label_cut_at_a_line_break_names_no_row():
    t = make_table(["Illness", "Not much"], [
        ["Colds/flu/sinus", "12"], ["Chronic illness and", "3"], ["disability", ""],
        ["Interviewed, not", "8"], ["Sleep difficulties", "82"], ["Rock & roll", "1"]])
    assert TableView(t, 0).keys == {0: "Colds/flu/sinus", 2: "disability",
                                    4: "Sleep difficulties", 5: "Rock & roll"}


def test_the_tail_of_a_wrapped_label_names_no_row():
    # "… for of occurrence)": the second line of "Frequency (rate | of occurrence)" was a row.
    t = make_table(["Measure", "Value"], [
        ["Frequency (rate", "4"], ["of occurrence)", "12"], ["a) Wheat", "3"], ["(ii) Rice", "7"],
        ["Total (excl. VAT)", "9"], ["and others", "2"], ["pH", "6.5"], ["Sleep [mild]", "1"]])
    assert TableView(t, 0).keys == {2: "a) Wheat", 3: "(ii) Rice", 4: "Total (excl. VAT)",
                                    6: "pH", 7: "Sleep [mild]"}


@pytest.mark.parametrize(("header", "rows", "why"), [
    # eu-015: "2.003" is two thousand and three; read as 2.003, "the sum of the enquiries for
    # EIT and Research enquiry service" was 121.003.
    ("Enquiries", [["EIT", "119"], ["Research enquiry service", "2.003"], ["Export", "169"],
                   ["Other", "4.330"]],
     "column 1 cannot be compared: whole numbers beside '2.003': the dot may separate thousands"),
    # A market report: prices per pound and per gallon are no one quantity.
    ("Week", [["Soybean Oil (cents/lb)", "32.32"], ["Heating Oil ($/gal)", "1.52"],
              ["Corn ($/bu)", "3.61"]],
     "column 1 cannot be compared: its rows are in different units ($/bu, $/gal, cents/lb)"),
])
def test_values_that_cannot_be_compared_get_lookups_only(header, rows, why):
    t = make_table(["Item", header], rows)
    assert {o.type for o in template_operations(TableView(t, 0), [1], TYPES, 1, 1, "0")} == {
        "lookup"}
    with pytest.raises(QuestionError) as exc:
        execute(Operation(type="difference", column=1, key_column=0, rows=[0, 1]), t)
    assert (exc.value.reason, str(exc.value)) == ("incomparable_values", f"difference: {why}")


@pytest.mark.parametrize(("header", "why"), [
    ("Wildlife Criterion (pg/L)", "its header 'Wildlife Criterion (pg/L)' names a rate or share"),
    ("Week (cents/lb)", ("its header 'Week (cents/lb)' gives a unit per amount (a concentration "
                        "or a price)")),
    ("Release threshold", "its header 'Release threshold' names a rate or share"),
])
def test_limits_concentrations_and_prices_are_compared_but_not_summed(header, why):
    t = make_table(["Species", header], [["Mink", "2880"], ["Otter", "1930"], ["Eagle", "1920"]])
    made = {o.type for o in template_operations(TableView(t, 0), [1], TYPES, 1, 1, "0")}
    assert "sum" not in made and {"comparison", "difference", "extremum"} <= made
    assert TableView(t, 0).rate_column(1) == why


def test_a_header_worded_as_a_survey_question_names_no_column():
    assert term_problem("How often do you have these symptoms Rarely/Never", 12) == (
        "it asks a question (a survey item's wording, not a quantity's name)")
    assert term_problem("Do you feel safe at school", 12) == (
        "it asks a question (a survey item's wording, not a quantity's name)")
    assert term_problem("Schools in original sample that participated", 12) is None
    assert term_problem("Who pays", 12) == (
        "it asks a question (a survey item's wording, not a quantity's name)")


def test_rows_under_different_headings_are_not_compared():
    # us-024 (MMWR): breakdowns by sex, by region and by education in one table; before, "How
    # much higher is the … no. for High school diploma than for Northeast?" was asked.
    t = make_table(["Characteristic", "Housing units (no.)"], [
        ["Sex", ""], ["Male", "14,037"], ["Female", "12,303"],
        ["Region", ""], ["Northeast", "4,129"], ["Midwest", "5,870"], ["South", "9,877"]])
    view = TableView(t, 0)
    assert view.sections == {0: 0, 1: 0, 2: 0, 3: 3, 4: 3, 5: 3, 6: 3}
    assert view.number_problem(1) == ("its rows fall under 2 headings ('Sex', 'Region', …): "
                                      "different breakdowns")
    assert {o.type for o in template_operations(view, [1], TYPES, 1, 1, "0")} == {"lookup"}
    one = make_table(["Region", "Housing units (no.)"], [
        ["Northeast", "4,129"], ["Midwest", "5,870"], ["South", "9,877"]])
    assert TableView(one, 0).number_problem(1) is None


def test_no_ranking_when_a_row_with_a_value_has_no_label_of_its_own():
    # camelot offense.pdf: COMAR numbers "1", "2", "3" are no labels, so "Which COMAR has the
    # highest Max Term?" ranked only the rows labelled "2-1", "4-1", …
    t = make_table(["Code", "Max term"], [["1", "20"], ["2-1", "15"], ["4", "10"], ["4-1", "5"],
                                          ["5-1", "3"], ["6-1", "2"]])
    with pytest.raises(QuestionError) as exc:
        execute(Operation(type="extremum", column=1, key_column=0, op="max"), t)
    assert (exc.value.reason, str(exc.value)) == (
        "unlabelled_rows", ("column 1: 2 row(s) with a value have no label of their own (first: "
                           "row 0)"))
    # naming two labelled rows is still a fair question
    assert execute(Operation(type="difference", column=1, key_column=0, rows=[1, 3]),
                   t).answer.text == "10"


def test_a_type_with_an_argument_is_no_number():
    # docling redp5110: "For which column name entries is the data type greater than -6?"
    t = make_table(["Column name", "Data type"], [["FUNCTION_ID", "VARCHAR(30)"],
                                                  ["USER_NAME", "VARCHAR(10)"],
                                                  ["USER_TYPE", "VARCHAR(5)"]])
    assert TableView(t, 0).values(1) == {}
    lookup = execute(Operation(type="lookup", column=1, key_column=0, rows=[2]), t)
    assert lookup.answer.model_dump(include={"text", "value", "type"}) == {
        "text": "VARCHAR(5)", "value": "VARCHAR(5)", "type": "text"}
    assert answers_match("VARCHAR(5)", lookup.answer)
    # eu-007: "For how many groups entries is the butter less than -6?" counted brands
    # printed with their share, "Paysan Breton (6.7%)", as negative numbers.
    brands = make_table(["Groups", "Butter"], [["Lactalis", "Président (20.1%)"],
                                               ["CLE", "Elles § Vire (6.7%)"],
                                               ["Laïta", "Paysan Breton (6.3%)"]])
    assert TableView(brands, 0).values(1) == {}
    assert TableView(make_table(["Item", "Net"], [["a", "(3.2)"], ["b", "4"]]), 0).values(1) == {
        0: -3.2, 1: 4.0}
    assert {o.type for o in template_operations(TableView(t, 0), [1], TYPES, 1, 1, "0")} == {
        "lookup"}


def test_a_title_block_is_not_a_data_table():
    # olmocr's schematics: each sheet's drawing title block came out as a table ("What is the
    # title for Checked?" → "B").
    block = make_table(["Approvals", "Date", "Title", "ANALOG", "DEVICES", "", "", "", ""], [
        ["", "", "21161N EZ-KIT LITE - DAC1 OUT", "", "", "", "", "", ""],
        ["Drawn", "", "", "", "", "", "", "", ""],
        ["", "", "Size", "Board No.", "", "", "", "", "Rev"],
        ["Checked", "", "B", "", "A0157-2000", "", "", "", "2.1"],
        ["Engineering", "", "Date", "", "", "Sheet", "12", "OF", "24"]])
    assert data_table_problem(block) == (
        "only 38% of its value cells are filled and no column holds numbers (a title block, a "
        "form or a matrix of marks)")
    # a findings grid with headings between its rows is no title block
    grid = make_table(["Issue", "Finding", "Remediation", "Date"], [
        ["1. Awareness", "", "", ""], ["Other", "Only adults hired", "Policy changed", "April"],
        ["2. Safety", "", "", ""], ["Sanitation", "No soap", "Provided", "May"]])
    assert data_table_problem(grid) is None


def test_bounds_and_not_available_cells_are_no_values_to_rank_or_look_up():
    # olmocr's restricted substances: "For how many … is the Threshold Limit less than 0.3?"
    # counted ">0% w/w" as 0.
    t = make_table(["Substance", "Threshold limit", "Use"], [
        ["TTBP", ">0.3% w/w", "n.a."], ["HCBD", ">0% w/w", "solvent"], ["PIP", ">0% w/w", "n.a."],
        ["DecaBDE", "<0.1% w/w", "flame retardant"]])
    view = TableView(t, 0)
    assert view.values(1) == {}
    ops = template_operations(view, [1, 2], TYPES, 4, 1, "0")
    assert {o.type for o in ops} == {"lookup"}
    # "What is the use for TTBP?" → "n.a." is no lookup (that row and column can make an
    # unanswerable item)
    assert sorted(o.rows[0] for o in ops if o.column == 2) == [1, 3]
    with pytest.raises(QuestionError) as exc:
        execute(Operation(type="lookup", column=2, key_column=0, rows=[0]), t)
    assert (exc.value.reason, str(exc.value)) == (
        "not_available", "cell (0, 2) says the value is not available ('n.a.')")


def test_a_numbered_list_item_makes_no_blank(tmp_path):
    # us-037: "___ Styrene-Acrylonitrile Trimer, NTP TR 573" came from a list of reports.
    text = ("42 Styrene-Acrylonitrile Trimer, NTP TR 573 was reviewed in two sessions. "
            "The panel reviewed 14 reports in two sessions of the board.")
    doc = Document(provenance=PROV, doc_id="d", source="r.pdf", sha256="0" * 64, pages=1,
                   text=text, blocks=[Block(block_id="b1", page=1, bbox=[0, 0, 1, 1],
                                            kind="paragraph", text=text, order=0, char_start=0,
                                            char_end=len(text))])
    stage = generate_stage(tmp_path, [doc], [], [], [], text_questions_per_document=3)
    result = stage.process(Unit("text:d", _GenerateUnit("text", "d")))
    assert [(i.question, i.answer.text) for i in result.records["items"]] == [
        (('Fill in the blank from the document: "The panel reviewed ___ reports in two sessions '
         'of the board."'), "14")]


def test_a_difference_of_scaled_amounts_keeps_their_scale():
    # us-011a: "How much higher is the budget for Federal Cloud Computing … than for Small
    # Business Dashboard?" was answered "340000.00" for "$0.44M" and "$0.1M".
    t = make_table(["Program", "Budget"], [["Cloud", "$0.44M"], ["Dashboard", "$0.1M"],
                                           ["Contact Center", "$8.6M"]])
    diff = execute(Operation(type="difference", column=1, key_column=0, rows=[0, 1]), t)
    assert (diff.answer.text, diff.answer.value) == ("$0.34M", 340000.0)
    total = execute(Operation(type="sum", column=1, key_column=0, rows=[0, 2]), t)
    assert (total.answer.text, total.answer.value) == ("$9.04M", 9040000.0)
    plain = make_table(["Program", "Budget"], [["A", "$5,500"], ["B", "$2,487"], ["C", "$1"]])
    assert execute(Operation(type="sum", column=1, key_column=0, rows=[0, 1]),
                   plain).answer.text == "7,987"


# ------------------------------------------------------------------ real report pages, end to end


def _synth(tmp_path, path, page):
    """``abstab synth`` (rules) on one page of a shared PDF (``path`` inside the corpora): the
    items on the tables as printed, not their de-abstracted twins (type, question, answer), and
    the tables' generate errors (reason, message) but for unresolved headers."""
    r = synth_pages(corpus(*path.split("/")), page, page, tmp_path, {"controlled": False})
    assert r.exit_code == 0, r.output
    w = tmp_path / "w"
    items = [json.loads(line) for line in (w / "assemble" / "items.jsonl").read_text().splitlines()]
    errors = [json.loads(line) for line in (w / "generate" / "errors.jsonl").read_text().splitlines()]
    return ([(i["template"], i["question"], i["answer"]["text"]) for i in items if i["table_id"]
             and not i["table_id"].endswith(":clear")],
            sorted({(e["reason"], e["message"]) for e in errors if e["unit"].startswith("table:")
                    and e["reason"] != "unresolved_header"}))


def test_months_quarters_and_years_are_not_compared_or_ranked_together(tmp_path):
    # A traffic table lists fiscal years, months and quarter totals in one column; before,
    # "For which row entries is the … greater than 40,000,000? FY2013; FY2014" and "How much
    # higher is the … load factor for Jul-2015 than for Financial Year 2015 TTL?" were asked.
    items, _ = _synth(tmp_path, "govreports/pdfplumber__issue-53-example.pdf", 0)
    intl = "international Pax Traffic"
    assert [i for i in items if i[0] != "lookup"] == [
        ("comparison", (f"Which has the lower {intl} revenue passenger kilometers: Apr-2015 or "
                       "Oct-2015?"), "Apr-2015"),
        ("sum", (f"What is the sum of the {intl} revenue passenger kilometers for Oct-2015 and "
                "Jun-2015?"), "6,526,549"),
        ("difference", (f"How much higher is the {intl} load factor for Financial Year 2015 2nd Q "
                       "TTL than for Financial Year 2015 1st Q TTL?"), "3.5")]


@pytest.mark.parametrize(("label", "kind"), [
    ("FY2013", "year"), ("Financial Year 2015 TTL", "year"), ("2013-14", "year"),
    ("Apr-2015", "month"), ("Sept. 2019", "month"), ("FY15 1st Q TTL", "quarter"),
    ("Q1 2015", "quarter"), ("H1 2015", "half-year"), ("Maryland", None), ("Mayor", None),
    ("Total", None)])
def test_the_period_a_row_label_names(label, kind):
    assert period_kind(label) == kind


def test_a_column_of_links_is_not_asked_about(tmp_path):
    # USDA's ag energy round-up: "What is the Internet Report Link for Nebraska?" → "Nebraska
    # Ethanol" (the text of a link) was asked.
    items, errors = _synth(tmp_path, "govreports/pdfplumber__ag-energy-round-up-2017-02-24.pdf", 0)
    assert not [i for i in items if "Link" in i[1]]
    assert ("unusable_term", ("column 4 cannot be named in a question: its header 'Internet "
            "Report Link' names links")) in errors
    view = TableView(make_table(["Agency", "Web page"], [
        ["EPA", "www.epa.gov/air"], ["USDA", "https://www.usda.gov"], ["FDA", "fda.gov/food"]]), 0)
    assert link_column(view, 1) == "3 of its 3 cells are web or e-mail addresses"


def test_survey_answer_options_name_no_column(tmp_path):
    # eu-024: "What is the occasionally for Ethnicity?", "Which has the lower never: …?"
    items, errors = _synth(tmp_path, "icdar2013/competition-dataset-eu/eu-024.pdf", 1)
    assert items == []
    assert errors == [("unusable_term", (f"column {c} cannot be named in a question: it is an "
                       "answer option of a survey, not a quantity's name")) for c in (1, 2, 3)]
    assert term_problem("Not much", 12) == "it is an answer option of a survey, not a quantity's name"
    assert term_problem("Monthly", 12) is None


def test_a_legend_laid_out_as_a_table_is_not_a_data_table(tmp_path):
    # camelot birdisland: the seed catalogue's key of trait and treatment codes ("RR |
    # Roundup Ready® Soybeans | Mq | Maxim® Quattro"); before, "What is the Technologies
    # Agrisure® Viptera™ 3111 for roundup ready?".
    items, errors = _synth(tmp_path, "govreports/camelot__birdisland.pdf", 1)
    assert items == []
    assert errors == [("not_data_table", ("no questions from this table: 2 pairs of columns of "
                       "codes and what they stand for (a legend or key)"))]


def test_a_table_whose_labels_are_wrapped_lines_has_no_row_keys(tmp_path):
    # us-031a: the labels of Table 4-1 wrap over rows ("Combined savings opportunity" / "(per
    # cycle magnitude * frequency" / "of occurrence)"); before, "What is the speed reduction/
    # optimization for of occurrence)?".
    items, errors = _synth(tmp_path, "icdar2013/competition-dataset-us/us-031a.pdf", 1)
    assert items == []
    assert errors == [("no_row_keys", "no column of distinct row labels to ask about")]


def test_bare_yes_and_no_labels_name_no_row_but_still_count_as_labels():
    # us-024: "What is the total occupied housing units for No?" (No under "Disability status").
    rows = [["Sex", ""], ["Male", "61,206"], ["Female", "49,486"], ["Disability status", ""],
            ["Yes", "3,657"], ["No", "107,035"], ["Other", "12"]]
    t = make_table(["Characteristic", "Housing units"], rows)
    view = TableView(t, 0)
    assert key_column(t) == 0  # seven labels of seven rows tell the rows apart
    assert view.keys == {0: "Sex", 1: "Male", 2: "Female", 3: "Disability status"}
    named = {r for o in template_operations(view, [1], TYPES, 9, 3, "0") for r in o.rows}
    assert named <= {1, 2}


def _doc(text: str) -> Document:
    return Document(provenance=PROV, doc_id="d", source="r.pdf", sha256="0" * 64, pages=1,
                    text=text, blocks=[Block(block_id="b1", page=1, bbox=[0, 0, 1, 1],
                                             kind="paragraph", text=text, order=0, char_start=0,
                                             char_end=len(text))])


def test_program_code_makes_no_blank(tmp_path):
    # docling redp5110: "WHEN VERIFY_GROUP_FOR_USER ( SESSION_USER , 'MGR' ) = ___ AND
    # SESSION_USER <> EMPLOYEES ." was a fill-in-the-blank question.
    text = ("WHEN VERIFY_GROUP_FOR_USER ( SESSION_USER , 'MGR' ) = 1 AND SESSION_USER <> "
            "EMPLOYEES . The mask applies to 3 columns of the table in every query.")
    stage = generate_stage(tmp_path, [_doc(text)], [], [], [], text_questions_per_document=3)
    result = stage.process(Unit("text:d", _GenerateUnit("text", "d")))
    assert [i.question for i in result.records["items"]] == [
        ('Fill in the blank from the document: "The mask applies to ___ columns of the table in '
        'every query."')]


def test_no_unanswerable_row_when_a_sibling_table_gives_it_a_like_quantity(tmp_path):
    # olmocr's restricted substances: "What is the Threshold Limit for Cadmium (Cd)?" was made
    # unanswerable, but the table before lists Cadmium's "Allowable Limit" (100 ppm).
    limits = make_table(["Restricted Substance", "Allowable Limit"], [
        ["Cadmium (Cd)", "100 ppm"], ["Mercury (Hg)", "1000 ppm"], ["Lead (Pb)", "1000 ppm"]],
        table_id="d:t1")
    thresholds = make_table(["Restricted Substance", "CAS Number", "Threshold Limit"], [
        ["Hexachlorobutadiene (HCBD)", "87-68-3", ">0% w/w"],
        ["Pentachlorothiophenol (PCTP)", "133-49-3", ">1% w/w"]], table_id="d:t2")
    judged = [Judgment(provenance=PROV, table_id=t.table_id, doc_id="d", label="clear",
                       confidence=0.9) for t in (limits, thresholds)]
    stage = generate_stage(tmp_path, [_doc("Substances restricted in parts.")],
                           [limits, thresholds], judged, [], unanswerable_per_table=9)
    result = stage.process(Unit("table:d:t2", _GenerateUnit("table", "d:t2")))
    unanswerable = sorted(i.question for i in result.records["items"]
                          if i.answer_location == "unanswerable")
    # their CAS numbers are what no table of the document gives
    assert unanswerable == [f"What is the CAS Number for {s}?" for s in
                            ("Cadmium (Cd)", "Lead (Pb)", "Mercury (Hg)")]


def test_a_meaning_that_spells_the_code_with_digits_is_no_meaning(tmp_path):
    # olmocr's schematics: "LED (LED9)" in the text made "LED Reference Designator" mean "LED9
    # Reference Designator"; before, "What is the LED9 Reference Designator for FLAG4?".
    t = make_table(["FLAG Pin", "LED Reference Designator", "Color"], [
        ["FLAG4", "LED7", "amber"], ["FLAG5", "LED6", "green"], ["FLAG6", "LED5", "red"]])
    judgment = Judgment(provenance=PROV, table_id="d:t1", doc_id="d", label="abstract",
                        confidence=0.9, keywords=[HeaderKeyword(
                            keyword="LED Reference Designator", row=0, col=1, style="acronym",
                            score=0.9)])
    meaning = Resolution(provenance=PROV, table_id="d:t1", doc_id="d",
                         keyword="LED Reference Designator", row=0, column=1,
                         expansion="LED9 Reference Designator", category="explicit",
                         confidence=0.9, method="test")
    stage = generate_stage(tmp_path, [_doc("4.4.3 VERF LED (LED9)")], [t], [judgment], [meaning])
    result = stage.process(Unit("table:d:t1", _GenerateUnit("table", "d:t1")))
    assert sorted(i.question for i in result.records["items"]) == [
        "What is the color for FLAG4?", "What is the color for FLAG5?"]
    assert [(e["reason"], e["message"]) for e in result.errors
            if e["reason"] == "unusable_meaning"] == [
        ("unusable_meaning", ("column 'LED Reference Designator': the meaning of 'LED Reference "
         "Designator' is not a column name (it is the code itself): 'LED9 Reference "
         "Designator'"))]


@pytest.mark.parametrize(("term", "phrased"), [
    ("Long Gun", "Long Gun"), ("Dec-2015 revenue passenger kilometers",
                               "Dec-2015 revenue passenger kilometers"),
    ("Change in score", "change in score"), ("Handgun", "handgun")])
def test_a_column_name_keeps_the_capitals_of_a_name_or_date(term, phrased):
    # "Which has the higher long Gun: Tennessee or Connecticut?"
    assert phrase(term) == phrased


def test_a_difference_keeps_the_unit_and_maxima_are_not_summed(tmp_path):
    # camelot offense.pdf: "How much higher is the Max Term for 5-1 than for 6-3?" was answered
    # "2" for 5Y and 3Y, and "the sum of the Max Term for 4-2 and 2-1" (two maximum prison
    # terms) was asked.
    items, _ = _synth(tmp_path, "govreports/camelot__offense.pdf", 0)
    assert [i for i in items if i[0] != "lookup"] == [
        ("comparison", "Which has the higher Max Term: 6-3 or 4-1?", "4-1"),
        ("difference", "How much higher is the Max Term for 5-1 than for 6-3?", "2Y")]
    assert format_number(5.0, ["15 mg", "10 mg"]) == "5 mg"
    # olmocr schematics: "How much higher is the gain for 2 & 3 than for Not Installed?" → "40"
    assert format_number(40.0, ["40dB (factory default)", "0dB"]) == "40dB"


def test_a_passage_or_a_bulleted_list_is_no_lookup_answer():
    long = " ".join(["word"] * 26)
    t = make_table(["Item", "Description"], [
        ["Books", long], ["Variability", "• All give the same answer • Most choose one"],
        ["Fees", "Charged per term"]])
    ops = template_operations(TableView(t, 0), [1], ["lookup"], 3, 0, "0")
    assert [o.rows for o in ops] == [[2]]
    with pytest.raises(QuestionError) as exc:
        execute(Operation(type="lookup", column=1, key_column=0, rows=[0]), t)
    assert (exc.value.reason, str(exc.value)) == (
        "not_one_value", "cell (0, 1) holds 26 words (a passage, not one value)")


def test_a_piece_of_a_sentence_makes_no_blank(tmp_path):
    # eu-004: a line cut out of a column of text, "countries, together with an up-to-date
    # picture for ___ for the countries in which penetration seems most", was a question.
    text = ("countries, together with an up-to-date picture for 1997 for the countries in which "
            "penetration seems most")
    stage = generate_stage(tmp_path, [_doc(text)], [], [], [], text_questions_per_document=3)
    result = stage.process(Unit("text:d", _GenerateUnit("text", "d")))
    assert "items" not in result.records
    assert [(e["reason"], e["message"]) for e in result.errors] == [
        ("not_a_sentence", ("a piece of a sentence (no capital at its start or no full stop at "
                           "its end)"))]


def test_a_serial_number_column_is_not_looked_up():
    # camelot agstat: "What is the serial number for Angul?" → 10, the row's place in the list.
    t = make_table(["Sl. No.", "District", "Population"], [
        ["1", "Balasore", "23.65"], ["2", "Bhadrak", "15.34"], ["3", "Balangir", "17.01"]])
    view = TableView(t, 1)
    assert {o.column for o in template_operations(view, [0, 2], ["lookup"], 3, 0, "0")} == {2}
    with pytest.raises(QuestionError) as exc:
        execute(Operation(type="lookup", column=0, key_column=1, rows=[0]), t)
    assert (exc.value.reason, str(exc.value)) == (
        "serial_column", "lookup: column 0 numbers the rows (serial numbers)")
    # a batch column that counts up from far past the table's length is looked up
    batch = make_table(["Site", "Batch"], [["A", "7"], ["B", "8"], ["C", "10"]])
    assert execute(Operation(type="lookup", column=1, key_column=0, rows=[0]),
                   batch).answer.text == "7"


# ------------------------------------------------------------ several records in one answer cell


@pytest.mark.parametrize(("text", "why"), [
    ("Total: 34.8% Prima (3.3%) St Hubert 41 (18.7%) Le Fleurier (12.8%)",
     "holds 5 values (34.8%, 3.3%, 41, …): several records in one cell"),
    ("Total: 19% (Prima, St Hubert 41, Le Fleurier,Mr Tournesol, Tournolive...)",
     "gives 19% with a list of names: a total and its parts in one cell"),
    ("0x002F FFFF 0x047F FFFF 0x0BFF FFFF",
     "holds 3 values (0x002F, 0x047F, 0x0BFF, …): several records in one cell"),
    ("353 (93.9%)", None), ("$3.1 billion (620%)", None), ("Paysan Breton (6.3%)", None),
    ("08:00-12:00, 14:00-18:00", None), ("Prima, St Hubert, Le Fleurier", None),
    ("1 work-hour × $85 per hour = $85", None),
])
def test_a_cell_of_several_records_is_no_lookup_answer(text, why):
    t = make_table(["Group", "Share"], [["Vedial", text], ["Cema", "Primevère (1.3%)"],
                                         ["CLE", "Elle & Vire (6.7%)"]])
    assert [o.rows for o in template_operations(TableView(t, 0), [1], ["lookup"], 3, 0, "0")] \
        == ([[1], [2]] if why else [[0], [1], [2]])
    if why is None:
        assert execute(Operation(type="lookup", column=1, key_column=0, rows=[0]), t
                       ).answer.text == text
        return
    with pytest.raises(QuestionError) as exc:
        execute(Operation(type="lookup", column=1, key_column=0, rows=[0]), t)
    assert (exc.value.reason, str(exc.value)) == ("not_one_value", f"cell (0, 1) {why}")


def test_brand_lists_and_stacked_addresses_are_not_looked_up_on_real_pages(tmp_path):
    # ICDAR eu-007 (Table 8.23): "What is the Margarine for Vedial?" → "Total: 19% (Prima, St
    # Hubert 41, Le Fleurier, …)", a brand list with the group's share.
    items, _ = _synth(tmp_path / "eu", "icdar2013/competition-dataset-eu/eu-007.pdf", 4)
    lookups = {q: a for t, q, a in items if t == "lookup"}
    assert "What is the Margarine for Vedial?" not in lookups
    assert "What is the low fat products for Vedial?" not in lookups
    assert lookups["What is the Margarine for Own brands?"] == "19.4%"
    # ADSP-21161N manual, Table 3-1: four rows of a ruled cell read as one ("What is the End
    # Address for External Memory?" → "0x002F FFFF 0x047F FFFF 0x0BFF FFFF 0x0FFF FFFF").
    items, _ = _synth(tmp_path / "adsp", "govreports/olmocr__instructions_and_schematics.pdf", 30)
    assert not [a for _, _, a in items if a.count("0x") > 1]


# ------------------------------------------------------------ group totals beside their parts


def _ministries(first_total: str = "300.5") -> object:
    return make_table(["Ministry/Demand", "Revenue", "Capital"], [
        ["MINISTRY OF AGRICULTURE", first_total, "12"], ["1. Department of Farming", "100.25", "5"],
        ["2. Department of Research", "200.25", "7"], ["MINISTRY OF MINES", "90", "9"],
        ["3. Department of Coal", "40", "4"], ["4. Department of Steel", "50", "5"],
        ["MINISTRY OF CULTURE", "17", "1"], ["5. Ministry of Culture", "17", "1"]])


def test_group_totals_are_not_counted_or_ranked_beside_their_parts():
    view = TableView(_ministries(), 0)
    assert view.group_totals == frozenset({0, 3, 6})
    assert sorted(view.values(1)) == [1, 2, 4, 5, 7]
    count = execute(Operation(type="count", column=1, key_column=0, op="gt", threshold=45.0),
                    _ministries())
    assert count.answer.text == "3"  # Farming, Research, Steel; not Agriculture nor Mines
    top = execute(Operation(type="extremum", column=1, key_column=0, op="max"), _ministries())
    assert top.answer.text == "2. Department of Research"
    # a lookup of a total is still a fair question
    assert execute(Operation(type="lookup", column=1, key_column=0, rows=[0]), _ministries()
                   ).answer.text == "300.5"
    # rows in capitals that are not the sums of the rows under them are rows like the others
    assert TableView(_ministries("812"), 0).group_totals == frozenset()


def test_ministry_totals_are_left_out_of_counts_on_the_real_budget_page(tmp_path):
    # camelot budget.pdf: "For how many Ministry/Demand entries is the Non-Plan Revenue greater
    # than 3600?" counted the ministries (in capitals) and their numbered departments together.
    items, _ = _synth(tmp_path, "govreports/camelot__budget.pdf", 0)
    assert [i for i in items if i[0] in ("count", "sum", "filter", "extremum")] == [
        ("extremum", "Which Ministry/Demand has the lowest Non-Plan Revenue?",
         "8. Department of Pharmaceuticals"),
        ("count", "For how many Ministry/Demand entries is the Non-Plan Revenue greater than 6000?",
         "8"),
        ("sum", ("What is the sum of the Non-Plan Revenue for 4. Atomic Energy and 24. Defence "
                 "Services-Air Force?"), "23478.09"),
        ("filter", "For which Ministry/Demand entries is the Non-Plan Revenue less than 41?",
         "8. Department of Pharmaceuticals")]
