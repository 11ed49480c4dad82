"""A page header is never a header row, and a section label is never promoted to one (issue 19,
point 1).

Real shared PDFs are read whole; synthetic pages reproduce each layout alone, and check that a
long table's own labels, repeated at the top of every page, stay its header.
"""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf
from builders import PROV
from click.testing import CliRunner
from conftest import corpus

from abstab.cli import cli
from abstab.extract import ExtractSettings, extract_pdf

M27_LABELS = ["LICENSE NUMBER", "TYPE", "DBA NAME", "LICENSEE NAME", "PREMISE ADDRESS", "CITY",
              "ST", "ZIP", "PHONE NUMBER", "EXPIRES"]


def _text(page: pymupdf.Page, x: float, y: float, s: str, size: float = 9,
          align: str = "left", bold: bool = False) -> None:
    font = "hebo" if bold else "helv"
    width = pymupdf.get_text_length(s, fontname=font, fontsize=size)
    x -= {"left": 0.0, "right": width, "centre": width / 2}[align]
    page.insert_text((x, y), s, fontsize=size, fontname=font)


def test_a_page_header_in_three_pieces_on_every_page_is_no_header_row():
    # m27: "FEBRUARY 2014 M27 (BUS)" at the left, a three-line title centred, "ABLPDM27" over
    # "3/19/2014" at the right, at the top of both pages: it was the first header row, and on
    # page 2 it and the repeated labels (one of them holding a wrapped address) were body rows
    document, tables = extract_pdf(corpus("govreports", "camelot__m27.pdf"), ExtractSettings(),
                                   PROV)
    (table,) = tables
    assert table.pages == [1, 2]
    assert table.header_rows == [M27_LABELS]
    assert len(table.rows) == 48
    assert not [r for r in table.rows if "ALPHABETIC" in " ".join(r) or r[0] == "LICENSE NUMBER"]
    # the address pulled up into page 2's repeated labels goes back to its body cell
    assert table.rows[25] == ["632426", "BAW", "BELLAROMA LLC", "BELLAROMA LLC BLUE BELLE",
                              "1831 NORTHWEST CACHE ROAD 224 WEST HARRISON", "LAWTON", "OK",
                              "73507", "-", "2014/05/16"]
    head = [b.text for b in document.blocks if b.kind == "running_header"]
    assert head == ["FEBRUARY 2014 M27 (BUS) ALPHABETIC LISTING BY TYPE", "ABLPDM27",
                    "OF ACTIVE LICENSES", "3/19/2014", "OKLAHOMA ABLE COMMISSION"] * 2


def test_a_bold_section_label_in_the_stub_is_a_body_row_not_a_header_row():
    # ag-energy: "Ethanol ($/gal)", bold like the column labels, over rows of price ranges
    _, tables = extract_pdf(corpus("govreports", "pdfplumber__ag-energy-round-up-2017-02-24.pdf"),
                            ExtractSettings(), PROV)
    (table,) = tables
    assert table.header_rows == [["", "W/E 02/24/17", "Last Week", "Year Ago",
                                  "Internet Report Link"]]
    assert table.rows[:2] == [["Ethanol ($/gal)", "", "", "", ""],
                              ["Iowa", "1.35 - 1.42", "1.38 - 1.43", "1.27 - 1.35",
                               "Iowa Ethanol"]]
    assert table.rows[7] == ["Biodiesel B100 (SME) ($/gal)", "", "", "", ""]


def _long_table(path: Path, top: list[tuple[float, float, str, str]], group: bool) -> None:
    """Three pages of one table of five columns, its labels 78 pt from the top of each page;
    ``top`` is printed above it on every page (x, y, text, alignment); with ``group``, the
    table's own group labels stand over its columns, each centred on its two columns."""
    doc = pymupdf.open()
    xs = (72, 330, 400, 470, 540)  # the stub's left edge, the value columns' right edges
    for k in range(3):
        page = doc.new_page(width=612, height=792)
        for x, y, s, align in top:
            _text(page, x, y, s, align=align)
        y = 62
        if group:
            _text(page, 357, y, "Men, all ages", align="centre")
            _text(page, 497, y, "Women, all ages", align="centre")
            shape = page.new_shape()  # a rule under each group label, over its columns
            shape.draw_line((305, y + 4), (405, y + 4))
            shape.draw_line((445, y + 4), (545, y + 4))
            shape.finish(color=(0, 0, 0), width=0.5)
            shape.commit()
        y = 78
        _text(page, xs[0], y, "County")
        for x, s in zip(xs[1:], ("2019", "2020", "2019", "2020"), strict=True):
            _text(page, x, y, s, align="right")
        for i in range(30):
            y += 14
            _text(page, xs[0], y, f"County {30 * k + i + 1}")
            for j, x in enumerate(xs[1:]):
                _text(page, x, y, f"{(30 * k + i) * 7 + 13 * j + 101:,}", align="right")
    doc.save(path)


def test_a_page_header_in_pieces_over_a_long_table_is_running_text(tmp_path):
    pdf = tmp_path / "paged.pdf"
    # at the left, centred on the page over two lines, at the right over two lines
    _long_table(pdf, [(72, 30, "MARCH 2024 R12", "left"),
                      (306, 30, "COUNTY LISTING OF ACTIVE PERMITS", "centre"),
                      (306, 40, "STATE PERMIT OFFICE", "centre"),
                      (540, 30, "RPT0412", "right"), (540, 40, "4/2/2024", "right")],
                group=False)
    document, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.pages == [1, 2, 3]
    assert table.header_rows == [["County", "2019", "2020", "2019", "2020"]]
    assert len(table.rows) == 90
    assert table.rows[30] == ["County 31", "311", "324", "337", "350"]
    head = [b.text for b in document.blocks if b.kind == "running_header" and b.page == 2]
    assert head == ["MARCH 2024 R12 COUNTY LISTING OF ACTIVE PERMITS", "RPT0412",
                    "STATE PERMIT OFFICE", "4/2/2024"]


def test_group_and_column_labels_repeated_at_the_top_of_every_page_stay_the_header(tmp_path):
    # the same place on every page, in the top margin, several pieces: but each group label is
    # centred on the columns it groups, so the row is the table's, not the page's
    pdf = tmp_path / "grouped.pdf"
    _long_table(pdf, [], group=True)
    out = tmp_path / "work"
    result = CliRunner().invoke(cli, ["extract", "-o", str(out), str(pdf)])
    assert result.exit_code == 0, result.output
    (table,) = [json.loads(line) for line in
                (out / "extract" / "tables.jsonl").read_text().splitlines()]
    assert table["pages"] == [1, 2, 3]
    assert table["header_rows"] == [["County", "Men, all ages", "Men, all ages",
                                     "Women, all ages", "Women, all ages"],
                                    ["County", "2019", "2020", "2019", "2020"]]
    assert len(table["rows"]) == 90
    assert table["rows"][30] == ["County 31", "311", "324", "337", "350"]


def test_body_lines_beside_a_tall_rotated_stamp_in_the_margin_stay_body_text():
    # federal-register page 14: a stamp printed sideways down the margin is running text; the
    # last body lines of the three columns, level with part of it, are not
    document, _ = extract_pdf(corpus("govreports", "pdfplumber__federal-register-2020-17221.pdf"),
                              ExtractSettings(), PROV)
    kinds = {b.kind for b in document.blocks if b.page == 14 and (
        "the person identified in paragraph (q)(1) of" in b.text
        or "operational readiness flight must be resolved" in b.text)}
    assert kinds and "running_footer" not in kinds
