"""The rules judge against a careful reader on real reports (issue 19, point 3): the calls of
``abstab judge`` on header texts of shared report PDFs, and one synthetic case per cause fixed
(clear: footnote letters on years, name initials, units, ordinals, form designations, legends,
lines cut from sentences, dictionary words in a column set in capitals; abstract: numbers
naming things, a bare ``#N``, a count that breaks off, formulas over column letters, two-digit
year spans, words a sentence sets in capitals)."""

from __future__ import annotations

import json

import pytest
from builders import make_table
from click.testing import CliRunner
from conftest import corpus

from abstab.cli import cli
from abstab.core.headers import classify
from abstab.rules.judge import capital_stub, judge_table

# One page of each shared PDF, as (file name, corpus path, 1-based page).
PAGES = [
    ("r48910_p12.pdf", ("crs-reports", "pdf", "reports", "R48910.2.pdf"), 12),
    ("rl30857_p14.pdf", ("crs-reports", "pdf", "reports", "RL30857.31.pdf"), 14),
    ("r48725_p5.pdf", ("crs-reports", "pdf", "reports", "R48725.6.pdf"), 5),
    ("sci_p1.pdf", ("govreports", "olmocr__lots_of_sci_tables.pdf"), 1),
    ("sci_p2.pdf", ("govreports", "olmocr__lots_of_sci_tables.pdf"), 2),
    ("spreadsheet.pdf", ("govreports", "camelot__spreadsheet_no_bounding_frame.pdf"), 1),
    ("warn_p1.pdf", ("govreports", "pdfplumber__WARN-Report-for-7-1-2015-to-03-25-2016.pdf"), 1),
]


@pytest.fixture(scope="module")
def judged(tmp_path_factory) -> dict[str, list[dict]]:
    """``abstab extract`` then ``abstab judge`` on one page of each PDF: file name → its
    judgments in table order."""
    import pymupdf

    tmp = tmp_path_factory.mktemp("judge-reports")
    pdfs = []
    for name, parts, page in PAGES:
        with pymupdf.open(corpus(*parts)) as doc, pymupdf.open() as one:
            one.insert_pdf(doc, from_page=page - 1, to_page=page - 1)
            one.save(tmp / name)
        pdfs.append(str(tmp / name))
    work = tmp / "work"
    for args in (["extract", "-o", str(work), *pdfs], ["judge", str(work)]):
        res = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert res.exit_code == 0, res.output
    names = {json.loads(line)["doc_id"]: json.loads(line)["source"].rsplit("/", 1)[-1]
             for line in (work / "extract" / "documents.jsonl").read_text().splitlines()}
    out: dict[str, list[dict]] = {name: [] for name, _, _ in PAGES}
    for line in (work / "judge" / "judgments.jsonl").read_text().splitlines():
        j = json.loads(line)
        out[names[j["doc_id"]]].append(j)
    for js in out.values():
        js.sort(key=lambda j: int(j["table_id"].rsplit(":t", 1)[1]))
    return out


def _calls(judgment: dict) -> list[tuple[str, str, str]]:
    return [(k["keyword"], k["style"], k["role"]) for k in judgment["keywords"]]


def test_a_number_naming_a_plan_is_a_code(judged):
    # R48910 Table 1: "529 Plan" beside two IRA columns (the report: "commonly known as 529 plan")
    [table] = judged["r48910_p12.pdf"]
    assert _calls(table) == [("Custodial Roth IRA", "acronym", "header"),
                             ("Custodial Traditional IRA", "acronym", "header"),
                             ("529 Plan", "letter_codes", "header")]


def test_ballots_numbered_without_their_noun_are_abstract(judged):
    # RL30857 Table A-1: "Dec. 3 (ballot #1)" then "Dec. 3 (#2)" … the noun only in the first
    [table] = judged["rl30857_p14.pdf"]
    ballots = [f"{day} (#{n})" for day, n in [("Dec. 3", 2), ("Dec. 3", 3), ("Dec. 3", 4),
                                               ("Dec. 4", 5), ("Dec. 4", 6), ("Dec. 4", 7),
                                               ("Dec. 4", 8), ("Dec. 5", 9)]]
    assert _calls(table) == [*[(b, "shortened", "header") for b in ballots],
                             ("Gillett (R)", "letter_codes", "stub"),
                             ("Garrett (D)", "letter_codes", "stub")]


def test_stub_codes_stay_abstract(judged):
    [table] = judged["r48725_p5.pdf"]
    assert _calls(table) == [("SSA Total (Excluding OIG)", "acronym", "stub"),
                             ("State DDS", "acronym", "stub"), ("OIG", "acronym", "stub")]


def test_a_word_a_sentence_sets_in_capitals_is_an_acronym(judged):
    # the description column says "… (SVHC) under REACH requirements": REACH is no verb here
    # (the header is the labels standing on the first rule; the part number is a code)
    [table] = judged["sci_p1.pdf"]
    assert _calls(table) == [("Details for: XRT83L30IV", "acronym", "header"),
                             ("RoHS | Exempt", "acronym", "stub"), ("RoHS", "acronym", "stub"),
                             ("REACH", "acronym", "stub"), ("TSCA", "acronym", "stub")]


def test_parts_per_million_is_a_unit(judged):
    # "Bromine (Br) Chlorine (Cl)" over "900 ppm 900 ppm", "1500 ppm Total": a clear table
    labels = [(j["label"], _calls(j)) for j in judged["sci_p2.pdf"]]
    assert labels == [
        ("clear", []),
        ("abstract", [("Bis (2-Ethylhexyl) phthalate (DEHP)", "acronym", "stub")]),
        ("clear", []),
        ("abstract", [("EC Number", "acronym", "header"), ("CAS Number", "acronym", "header")]),
    ]


def test_year_spans_and_column_formulas_are_abstract_crops_in_capitals_are_words(judged):
    # headers "11/12 (a)", "12/13", "(c/a)", "(c-a)"; row labels COTTON … OAT, CANOLA, RYE,
    # BARLEY, WHEAT, TRITICALE in capitals. TRITICALE is in no dictionary abstab has: a miss.
    [table] = judged["spreadsheet.pdf"]
    assert _calls(table) == [("11/12", "shortened", "header"), ("12/13", "shortened", "header"),
                             ("(c/a)", "letter_codes", "header"),
                             ("(c-a)", "letter_codes", "header"),
                             ("TRITICALE", "acronym", "stub")]


def test_a_count_printed_without_what_it_counts_is_abstract(judged):
    # the WARN report prints the header "No. Of" (of employees affected)
    [table] = judged["warn_p1.pdf"]
    assert (table["label"], _calls(table)) == ("abstract", [("No. Of", "shortened", "header")])


@pytest.mark.parametrize("header,style,reasons", [
    # clear: a year's footnote letter, a person's initial, units, ordinals, form designations
    ("FY2013a", "natural", ("empty or numeric",)),
    ("2025b", "natural", ("empty or numeric",)),
    ("Joseph W. Martin", "natural", ("ordinary words",)),
    ("N.Anastasiades", "natural", ("ordinary words",)),
    ("B. Expenses", "natural", ("ordinary words",)),
    ("U.S. Code", "natural", ("ordinary words",)),
    ("900 ppm", "natural", ("ordinary words",)),
    ("Part II", "natural", ("ordinary words",)),
    ("Chapter XIV", "natural", ("ordinary words",)),
    ("Form W-2, box 1", "natural", ("ordinary words",)),
    # a word cut by a line-break hyphen or a ligature and a space is read whole
    ("Married filing sepa- rately", "natural", ("ordinary words",)),
    ("Surplus/Deﬁ cit", "natural", ("ordinary words",)),
    # a legend defines its codes
    ("Symbol convention H = High, HH = High high", "natural", ("a legend: it defines its codes",)),
    # counts, dates and measures before a noun; a header its column's values finish
    ("2020 Census", "natural", ("ordinary words",)),
    ("3 Months", "natural", ("ordinary words",)),
    ("100 Mile Radius", "natural", ("ordinary words",)),
    ("Changes to", "natural", ("ordinary words",)),
    ("Dec. 3 (ballot #1)", "natural", ("ordinary words",)),
    ("(a)", "natural", ("empty or numeric",)),
    ("12/14", "natural", ("empty or numeric",)),
    # abstract
    ("529 Plan", "letter_codes", ("number naming a thing: 529 Plan",)),
    ("Oct. 18 (#2)", "shortened", ("number sign without what it numbers (#2)",)),
    ("Number of", "shortened", ("breaks off after 'Number of': what it counts is not said",)),
    ("(c/a)", "letter_codes", ("letters of a formula over columns",)),
    ("(c)-(a)", "letter_codes", ("letters of a formula over columns",)),
    ("12/13", "shortened", ("two-digit year span 12/13",)),
    ("99/00", "shortened", ("two-digit year span 99/00",)),
    ("Zone X", "letter_codes", ("single letter X",)),
])
def test_header_causes(header, style, reasons):
    f = classify(header)
    assert (f.style, f.reasons) == (style, reasons)


def test_a_bare_number_sign_keeps_its_parentheses_in_the_keyword():
    assert classify("Oct. 18 (#2)").keyword == "Oct. 18 (#2)"


@pytest.mark.parametrize("label", [
    "or 3% of the difference between the taxpayer’s AGI and",  # led by "or", ends on "and"
    "3% of the difference between the taxpayer’s AGI and",
    "limitations.",  # a sentence's last word
])
def test_lines_cut_from_sentences_are_not_row_names(label):
    assert classify(label, stub=True).reasons == ("prose, not a row name",)


def test_identifiers_name_rows_but_not_columns():
    assert classify("CLIENT_IPADDR", stub=True).style == "natural"
    assert classify("CLIENT_IPADDR").reasons == ("acronym IPADDR",)


def test_capitals_in_a_sentence_of_the_table_make_a_word_an_acronym():
    rows = [["RoHS", "Compliant with the directive."], ["REACH", "No substances of concern."]]
    assert [k.keyword for k in judge_table(make_table(["Category", "Description"], rows)).keywords
            ] == ["RoHS"]
    rows[1][1] = "No substances of concern under REACH requirements."
    assert [(k.keyword, k.style) for k in
            judge_table(make_table(["Category", "Description"], rows)).keywords] == [
        ("RoHS", "acronym"), ("REACH", "acronym")]


def test_dictionary_words_in_a_column_set_in_capitals_are_words():
    rows = [["COTTON", "1"], ["OAT", "2"], ["CANOLA", "3"], ["SSA", "4"]]
    table = make_table(["PRODUCT", "TONS"], rows)
    assert capital_stub(table)
    assert [k.keyword for k in judge_table(table).keywords] == ["SSA"]
    # one label in lower case: capitals mean something again
    mixed = make_table(["Product", "Tons"], [*rows, ["Cotton lint", "5"]])
    assert not capital_stub(mixed)
    assert [k.keyword for k in judge_table(mixed).keywords] == ["OAT", "CANOLA", "SSA"]
