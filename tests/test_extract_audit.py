"""Every word of a table region lands whole in exactly one cell (issue 19, point 1).

:mod:`abstab.extract.audit` compares PyMuPDF's own words with the cells' text; the real pages
below each had words cut, lost or doubled before, and are checked cell by cell and by the audit.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
from builders import PROV
from conftest import corpus

from abstab.extract import ExtractSettings, extract_pdf
from abstab.extract.audit import audit_page, audit_pdf
from abstab.records import Cell, Note, Table


def _issues(pdf: Path, settings: ExtractSettings | None = None):
    _, tables = extract_pdf(pdf, settings, PROV)
    return tables, [(i.kind, i.word) for a in audit_pdf(pdf, tables) for i in a.issues]


def test_a_table_printed_twice_over_itself_reads_each_glyph_once():
    # camelot's birdisland.pdf draws every line twice at the same place: each glyph was read
    # twice ("RRRR22YY" for RR2Y), so no cell text matched the page and no label was found
    tables, issues = _issues(corpus("govreports", "camelot__birdisland.pdf"))
    assert tables[0].rows[0] == ["Kruger", "K2-1901", "RR2Y", "1.9", "R", "Ac,PV", "56.4",
                                 "7.6", "0", "126.3", "$846"]
    assert issues == []


def test_a_word_over_a_column_rule_goes_whole_to_the_cell_under_its_centre():
    # camelot's budget.pdf: the "2" of "2014-2015" sits left of the ruled column edge, so it
    # went to the stub's label ("Budget 2 Ministry/Demand") and the year lost it ("014-2015")
    # (the line "Budget 2014-2015 … (In crores of Rupees)" stands over the table's top rule:
    # it is no header row any more, see test_extract_cells)
    tables, issues = _issues(corpus("govreports", "camelot__budget.pdf"))
    assert tables[0].header_rows[0][:2] == ["Ministry/Demand", "Plan"]
    assert tables[0].header_rows[1][:4] == ["Ministry/Demand", "Revenue", "Capital", "Total"]
    assert issues == []


def test_labels_wider_than_their_ruled_column_keep_their_last_letter():
    # ICDAR us-037: "Concentration" and "Postnatal" reach over the column rule by one letter,
    # which went to the next column ("Concentratio" | "n Weight Controls")
    pdf = corpus("icdar2013", "competition-dataset-us", "us-037.pdf")
    tables, issues = _issues(pdf)
    head = tables[0].header_rows
    assert head[0][0] == "Concentration (ppm)"
    assert head[0][5:7] == ["Postnatal", "Day 4 Weight Relative to Controls (%)"]
    assert head[3][1] == "Weight Controls"
    assert issues == []


@pytest.mark.parametrize(("folder", "name", "page"), [
    ("crs-reports/pdf/reports", "R47194.5.pdf", 15),
    ("crs-reports/pdf/insights", "IN12680.1.pdf", 2),
    ("govreports", "pdfplumber__nics-background-checks-2015-11.pdf", 1),
])
def test_real_tables_hold_every_word_of_their_region_exactly_once(tmp_path, folder, name, page):
    src = corpus(*folder.split("/"), name)
    pdf = tmp_path / "p.pdf"
    with pymupdf.open(src) as doc, pymupdf.open() as new:
        new.insert_pdf(doc, from_page=page - 1, to_page=page - 1)
        new.save(pdf)
    tables, issues = _issues(pdf)
    assert tables and issues == []


def _table(cells: list[tuple[int, int, str, tuple[float, float, float, float]]],
           notes: tuple[str, ...] = ()) -> Table:
    return Table.from_cells(
        [Cell(row=r, col=c, text=t, bbox=list(b)) for r, c, t, b in cells], 0,
        empty_ratio=0, numeric_header_ratio=0, confidence=1, provenance=PROV, table_id="d:t0",
        doc_id="d", pages=[1], bbox=[0, 0, 200, 40], engine="auto",
        notes=[Note(kind="note", text=n) for n in notes])


def test_the_audit_names_words_cut_lost_and_duplicated():
    table = _table([(0, 0, "If Form 1", (0, 0, 100, 20)), (0, 1, "040NR, line", (100, 0, 200, 20)),
                    (1, 0, "Total 12", (0, 20, 100, 40)), (1, 1, "12", (100, 20, 200, 40))],
                   notes=("Source: agency",))
    words = [(2, 2, 30, 12, "If"), (32, 2, 60, 12, "Form"), (90, 2, 130, 12, "1040NR,"),
             (135, 2, 160, 12, "line"), (2, 22, 40, 32, "Total"), (42, 22, 60, 32, "due"),
             (95, 22, 110, 32, "12"), (10, 36, 40, 39, "Source:"),
             (10, 22, 40, 32, "........")]
    audit = audit_page(table, 1, words)
    assert audit.words == 8  # the leader dots are no word of any cell
    assert [(i.kind, i.word) for i in audit.issues] == [
        ("cut", "1040NR,"), ("lost", "due"), ("duplicated", "12")]
