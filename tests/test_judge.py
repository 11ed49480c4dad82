"""The rules judge on whole tables: stub-column codes, column letters, words in capitals, and the
``stub`` role of a keyword from the judge through the record to ``abstab judge``'s output."""

from __future__ import annotations

import json

import pytest
from builders import PROV, make_table
from click.testing import CliRunner

from abstab.cli import cli
from abstab.core.headers import classify
from abstab.records import Block, Document, Judgment, Note, Table
from abstab.rules.judge import column_letters, document_evidence, judge_table
from abstab.store import StageDir, UnitResult


def make_doc(text: str, doc_id: str = "d") -> Document:
    """A one-paragraph document holding ``text``."""
    block = Block(block_id=f"{doc_id}:b0", page=1, bbox=[0, 0, 1, 1], kind="paragraph", text=text,
                  order=0, char_start=0, char_end=len(text))
    return Document(provenance=PROV, doc_id=doc_id, source="r.pdf", sha256="0" * 64, pages=1,
                    text=text, blocks=[block])


def _keywords(out) -> list[tuple[str, int, int, str, str]]:
    return [(k.keyword, k.row, k.col, k.style, k.role) for k in out.keywords]


PROGRAMS = make_table(["Program", "FY2022", "FY2023"], [
    ["BFP (Assured)", "5,500", "5,500"],
    ["Highway Safety", "1,200", "1,300"],
    ["BIP (STA)ᵃ", "600", "640"],
    ["State DDS", "10", "12"],
])


def test_codes_in_the_stub_column_are_abstract_row_labels():
    out = judge_table(PROGRAMS)
    assert out.label == "abstract"
    assert _keywords(out) == [
        ("BFP", 1, 0, "acronym", "stub"),
        ("BIP (STA)", 3, 0, "acronym", "stub"),
        ("State DDS", 4, 0, "acronym", "stub"),
    ]
    assert out.reasons == ["'BFP': acronym (row label)", "'BIP (STA)': acronym (row label)",
                           "'State DDS': acronym (row label)"]


def test_names_in_the_stub_column_are_not_codes():
    # Rare or short capitalised words, initials and model designations name rows.
    people = make_table(["Member", "Votes"], [
        ["Gohmert", "3"], ["Goa", "1"], ["McCarthy", "2"], ["Paul D. Ryan", "5"],
        ["Heron HX-40", "4"], ["Zeldinᵃ", "6"], ["Dist. of Columbia", "7"],
    ])
    out = judge_table(people)
    assert _keywords(out) == [("Dist. of Columbia", 7, 0, "shortened", "stub")]
    # the same texts as column headers keep the header rules
    assert [classify(t).style for t in ("Gohmert", "Goa", "Zeldinᵃ")] == \
        ["shortened", "shortened", "shortened"]
    assert [classify(t, stub=True).style for t in ("Gohmert", "Goa", "Zeldinᵃ")] == \
        ["natural", "natural", "natural"]


def test_prose_in_the_stub_column_is_not_a_row_name():
    for text in ("Sources: EPA, ENERGY STAR program.",
                 "failures; high sales volumes; referrals from EPA or other",
                 "Prostitution and commercialized vice."):
        assert classify(text, stub=True).reasons == ("prose, not a row name",), text
    assert classify("Sources: EPA, ENERGY STAR program.").style == "acronym"


def test_a_capital_letter_in_parentheses_is_a_row_labels_code():
    f = classify("Gillett (R)", stub=True)
    assert (f.keyword, f.style, f.reasons) == ("Gillett (R)", "letter_codes", ("letter code (R)",))
    # a column header "Total (A)" names a formula column; "(a)" numbers one
    assert classify("Total (A)").style == "natural"
    assert classify("(a)", stub=True).style == "natural"


@pytest.mark.parametrize("header,keyword,style", [
    ("Poverty Rate, 1993 (from SAIPE)", "Poverty Rate, 1993 (from SAIPE)", "acronym"),
    ("Program Name (CFDA No.)", "Program Name (CFDA No.)", "acronym"),
    # the cell spells its own short form: its meaning is on the page
    ("Bridge Investment Program (BIP)", "Bridge Investment Program", "natural"),
    ("Polybrominated biphenyls (PBB)", "Polybrominated biphenyls", "natural"),
    ("Decabromodiphenyl ether (DecaBDE)", "Decabromodiphenyl ether", "natural"),
    # units, qualifiers and law citations in parentheses
    ("Projected Population for 2012-13 (In lakhs)", "Projected Population for 2012-13", "natural"),
    ("FY2012 (P.L. 112-55)", "FY2012", "natural"),
    ("Revenue (EUR thousand)", "Revenue", "natural"),
    # dotted initials read as one known short form; a form number is a number
    ("Cost on U.S. operators", "Cost on U.S. operators", "natural"),
    ("If Form 1040NR, line 40, is—", "If Form 1040NR, line 40, is—", "natural"),
    ("44PSS", "44PSS", "acronym"),
])
def test_parentheses_dotted_initials_and_form_numbers(header, keyword, style):
    f = classify(header)
    assert (f.keyword, f.style) == (keyword, style)


def _lettered(doc: Document | None = None) -> tuple[Table, list]:
    table = Table.from_grid([["", "A", "B", "C"],
                             ["Facility Type", "Facilities Reporting", "Facilities Charged",
                              "Emissions After Netting"],
                             ["Offshore", "120", "40", "3.5"],
                             ["Onshore", "300", "90", "7.0"]], 2, table_id="d:t1", doc_id="d",
                            pages=[1], bbox=[0, 0, 1, 1], engine="x", provenance=PROV)
    return table, _keywords(judge_table(table, doc))


def test_letters_that_only_name_columns_are_clear():
    table, keywords = _lettered()
    assert column_letters(table) == {(0, 1), (0, 2), (0, 3)}
    assert keywords == []
    # letters the document keys as codes are codes
    table, keywords = _lettered(make_doc("The plants are A = Northfield, B = Eastgate and "
                                         "C = Southmoor."))
    assert column_letters(table, make_doc("A = Northfield")) == set()
    assert keywords == [("A", 0, 1, "letter_codes", "header"), ("B", 0, 2, "letter_codes", "header"),
                        ("C", 0, 3, "letter_codes", "header")]


def test_words_the_document_writes_in_lower_case_are_not_acronyms():
    crops = make_table(["PRODUCTS", "HARVEST"], [["CANOLA", "1.2"], ["NYMEX", "3.4"]])
    assert _keywords(judge_table(crops)) == [("CANOLA", 1, 0, "acronym", "stub"),
                                             ("NYMEX", 2, 0, "acronym", "stub")]
    doc = make_doc("Canola harvests rose. See https://example.gov/nymex/prices for prices.")
    words = document_evidence(doc).words
    assert words >= {"canola", "harvests"} and "nymex" not in words
    assert _keywords(judge_table(crops, doc)) == [("NYMEX", 2, 0, "acronym", "stub")]
    # a word the text defines as a short form stays an acronym: "(BIP)" keys it
    doc = make_doc("The bip of the meter; the Bridge Investment Program (BIP) pays.")
    assert "bip" not in document_evidence(doc).words
    assert document_evidence(doc).keys == {"BIP"}


def test_a_short_form_the_document_keys_is_abstract_even_when_it_spells_a_word():
    traffic = make_table(["Routes", "RPK", "ASK", "Seats"], [["Tokyo", "12", "15", "300"]])
    assert _keywords(judge_table(traffic)) == [("RPK", 0, 1, "acronym", "header")]
    doc = make_doc("Key. RPK = revenue passenger kilometers. ASK = available seat kilometers.")
    assert _keywords(judge_table(traffic, doc)) == [("RPK", 0, 1, "acronym", "header"),
                                                    ("ASK", 0, 2, "acronym", "header")]
    # a legend among the table's notes keys it as well
    noted = traffic.model_copy(update={"notes": [Note(kind="legend", text=(
        "ASK = available seat kilometers"))]})
    assert _keywords(judge_table(noted)) == [("RPK", 0, 1, "acronym", "header"),
                                             ("ASK", 0, 2, "acronym", "header")]


def test_stub_keywords_are_checked_against_stub_cells():
    t = PROGRAMS
    j = Judgment(table_id=t.table_id, doc_id="d", label="abstract", confidence=1, provenance=PROV,
                 keywords=[{"keyword": "BFP", "row": 1, "col": 0, "style": "acronym", "score": 1,
                            "role": "stub"},
                           {"keyword": "BFP", "row": 1, "col": 1, "style": "acronym", "score": 1,
                            "role": "stub"},
                           {"keyword": "Program", "row": 0, "col": 0, "style": "acronym",
                            "score": 1, "role": "stub"},
                           {"keyword": "XY", "row": 2, "col": 0, "style": "acronym", "score": 1,
                            "role": "stub"}])
    assert [why for _, why in j.check_against(t)] == [
        "keyword 'BFP' at (1,1) is not a stub cell",
        "keyword 'Program' at (0,0) is not a stub cell",
        "keyword 'XY' is not in stub cell 'Highway Safety'",
    ]


def test_abstab_judge_writes_stub_keywords_with_their_cell(tmp_path):
    work = tmp_path / "w"
    doc = make_doc("Bridge funding. Notes: BFP = Bridge Formula Program; BIP = Bridge "
                   "Investment Program.")
    writer = StageDir(work, "extract", ("documents", "tables")).open("fixture-hash")
    result = UnitResult()
    result.add("documents", doc)
    result.add("tables", PROGRAMS)
    writer.commit("all", result)
    writer.finish()
    res = CliRunner().invoke(cli, ["judge", str(work)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    [judgment] = [json.loads(x) for x in
                  (work / "judge" / "judgments.jsonl").read_text().splitlines()]
    assert judgment["label"] == "abstract"
    assert [(k["keyword"], k["row"], k["col"], k["role"]) for k in judgment["keywords"]] == [
        ("BFP", 1, 0, "stub"), ("BIP (STA)", 3, 0, "stub"), ("State DDS", 4, 0, "stub")]
    cells = {(c.row, c.col): c.text for c in PROGRAMS.cells}
    assert [cells[(k["row"], k["col"])] for k in judgment["keywords"]] == [
        "BFP (Assured)", "BIP (STA)ᵃ", "State DDS"]
