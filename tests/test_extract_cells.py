"""Cell text is never cut, and tables of text ruled only across are found (issue 19, point 1).

Real CRS pages (public domain, ``../shared/corpora/crs-reports``) are copied page by page into a
temporary PDF so each test reads one page; synthetic pages reproduce each failure alone.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
from builders import PROV
from conftest import corpus

from abstab.extract import ExtractSettings, extract_pdf
from abstab.extract.text import join_lines


def _one_page(src: Path, page: int, out: Path) -> Path:
    """Page ``page`` (1-based) of ``src`` as a PDF of its own."""
    with pymupdf.open(src) as doc, pymupdf.open() as new:
        new.insert_pdf(doc, from_page=page - 1, to_page=page - 1)
        new.save(out)
    return out


def _cells(table) -> list[list[str]]:
    return table.header_rows + table.rows


def test_a_two_line_header_over_right_aligned_amounts_keeps_its_words_whole(tmp_path):
    # R47194 Table 2: "Annual Average / (FY2022-FY2026)" and "Program Total / (FY2022-FY2026)"
    # were read as one label over two columns, cut into "An FY2026 (F" and "nual Average
    # Program T Y2022-FY2026) (FY2022-FY2"
    pdf = _one_page(corpus("crs-reports", "pdf", "reports", "R47194.5.pdf"), 11,
                    tmp_path / "p.pdf")
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [["Program", "FY2022", "FY2023", "FY2024", "FY2025", "FY2026",
                                  "Annual Average (FY2022-FY2026)",
                                  "Program Total (FY2022-FY2026)"]]
    assert table.rows[1] == ["BFP (Assured)", "$5,500", "$5,500", "$5,500", "$5,500",
                             "$5,500", "$5,500", "$27,500"]


def test_a_schedule_ruled_only_between_its_row_groups_is_found(tmp_path):
    # RL34498 page 12: a tax schedule continued from the page before, with rules across the
    # page between its groups and no numbers in columns: no table was found
    pdf = _one_page(corpus("crs-reports", "pdf", "reports", "RL34498.pdf"), 12,
                    tmp_path / "p.pdf")
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    cells = _cells(table)
    assert cells[0] == [
        "Limitation on Itemized Deductions:",
        ("Itemized deductions are reduced by 2/37ths of the lesser of (1) the total value of "
        "itemized deductions claimed; or (2) the amount by which the sum of taxable income and "
        "all itemized deductions exceeds the threshold at which the 37% bracket begins.")]
    assert ["If taxable income is:", "Then, tax is:"] in cells
    assert ["over $24,800 to $100,800", "$2,480 + 12% of the amount over $24,800"] in cells
    assert ["over $640,600", "$191,171 + 37% of the amount over $640,600"] in cells
    assert table.quality.cols == 2


def test_a_ruled_table_of_wrapped_text_keeps_each_cell_whole(tmp_path):
    # R47324 Table 1 (three rules: over the labels, under them, at the bottom; each cell a
    # paragraph in a narrow column): no table was found
    pdf = _one_page(corpus("crs-reports", "pdf", "reports", "R47324.18.pdf"), 7,
                    tmp_path / "p.pdf")
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [["Marine Deposit Type", "Deposit Description", "Minerals",
                                  "Occurrences"]]
    assert table.rows[0] == [
        "Polymetallic Nodules",
        ("Potato-shaped rocks composed of concentric layers that form over millions of years as "
        "minerals from the seawater and sediment pore water accrete around a hard nucleus "
        "(e.g., shark tooth, whale ear bone, rock fragment) lying on the deep seafloor."),
        ("Cobalt, copper, lithium, manganese, nickel, tellurium, and titanium; and some "
        "metallic REEs."),
        "Abyssal plains, such as the Clarion-Clipperton Zone in the Pacific Ocean."]
    assert len(table.rows) == 3


# ---------------------------------------------------------------------------- synthetic


def _text(page: pymupdf.Page, x: float, y: float, s: str, size: float = 9,
          align: str = "left") -> None:
    width = pymupdf.get_text_length(s, fontsize=size)
    x -= {"left": 0.0, "right": width, "centre": width / 2}[align]
    page.insert_text((x, y), s, fontsize=size)


def test_a_spanning_two_line_header_over_narrow_columns_is_not_cut(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _text(page, 72, 90, "Table 1. Spending by program")
    # two-line labels centred over narrow columns of right-aligned amounts: the second lines
    # of the last two labels are one space apart, so the pair reads as one label over both
    # columns; the first word of "Annual Average" reaches left of its column's amounts
    _text(page, 72, 130, "Program")
    _text(page, 200, 130, "FY2026", align="right")
    _text(page, 245, 130, "FY2027", align="right")
    for centre, label in ((300, "Annual Average"), (375, "Program Total")):
        _text(page, centre, 120, label, align="centre")
        _text(page, centre, 130, "(FY2022-FY2026)", align="centre")
    right = [200, 245, 316, 391]
    rows = [("Total", "$8,547", "$8,627", "$8,653", "$43,265"),
            ("Bridges", "$5,500", "$5,500", "$5,500", "$27,500"),
            ("Tunnels", "$3,047", "$3,127", "$3,153", "$15,765"),
            ("Ferries", "$2,447", "$2,487", "$2,500", "$12,500")]
    for i, row in enumerate(rows):
        y = 148 + 14 * i
        _text(page, 72, y, row[0])
        for x, v in zip(right, row[1:], strict=True):
            _text(page, x, y, v, align="right")
    pdf = tmp_path / "span.pdf"
    doc.save(pdf)
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [["Program", "FY2026", "FY2027",
                                  "Annual Average (FY2022-FY2026)",
                                  "Program Total (FY2022-FY2026)"]]
    assert table.rows == [list(r) for r in rows]


def test_a_program_list_between_three_rules_is_one_table_with_whole_cells(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _text(page, 72, 100, "Table 2. Programs")
    shape = page.new_shape()
    for y in (110, 128, 220):
        shape.draw_line((72, y), (540, y))
    shape.finish(color=(0, 0, 0), width=0.5)
    shape.commit()
    cols = [74, 200, 330]
    for x, s in zip(cols, ("Program", "Authorizing Statute", "Program Summary"), strict=True):
        _text(page, x, 122, s)
    # two rows, each a few wrapped lines set tight, the rows apart
    body = [
        (140, ["Bridge Formula", "Program"], ["23 U.S.C. §144"],
         ["Formula funds to states for", "bridge replacement and", "rehabilitation."]),
        (185, ["Bridge Investment", "Program"], ["23 U.S.C. §124"],
         ["Competitive grants for large", "bridge projects."]),
    ]
    for y, *parts in body:
        for x, lines in zip(cols, parts, strict=True):
            for k, s in enumerate(lines):
                _text(page, x, y + 10 * k, s)
    pdf = tmp_path / "programs.pdf"
    doc.save(pdf)
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert _cells(table) == [
        ["Program", "Authorizing Statute", "Program Summary"],
        ["Bridge Formula Program", "23 U.S.C. §144",
         "Formula funds to states for bridge replacement and rehabilitation."],
        ["Bridge Investment Program", "23 U.S.C. §124",
         "Competitive grants for large bridge projects."],
    ]


def test_wrapped_events_beside_their_dates_stay_one_row_each(tmp_path):
    # IF13199 Table 1 (a rule over and under the labels and one at the bottom, beside a column
    # of running text): no table was found; a date set close to its event's first line must not
    # make a label over both columns
    pdf = _one_page(corpus("crs-reports", "pdf", "in-focus",
                           "IF13199v1-section-122-of-the-trade-act-of-1974.pdf"), 1,
                    tmp_path / "p.pdf")
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    cells = _cells(table)
    assert cells[0] == ["Date", "Event"]
    assert cells[2] == ["Dec. 20, 1971", ("After agreeing with major economies to devalue the "
                        "dollar, President Nixon terminated the surcharge.")]
    assert [r[0] for r in cells[1:]] == ["Aug. 15, 1971", "Dec. 20, 1971", "Apr. 10, 1973",
                                         "Jul. 8, 1974", "Jan. 3, 1975", "Nov. 6, 1975",
                                         "May 1976"]


def test_a_table_shaded_on_every_other_row_is_one_table(tmp_path):
    # IF11286 Table 1: PyMuPDF's lines strategy read each shaded stripe as a table of its own
    # and lost the unshaded rows between them
    pdf = _one_page(corpus("crs-reports", "pdf", "in-focus", "IF11286.9.pdf"), 2,
                    tmp_path / "p.pdf")
    _, tables = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    (table,) = [t for t in tables if "AL" in [c.text for c in t.cells]]
    cells = _cells(table)
    assert len(cells) == 14
    assert cells[0] == ["AL", "17.3", "IN", "20.8", "NV", "13.2", "TN", "20.8"]
    assert cells[1] == ["AK", "10.1", "IA", "13.9", "NH", "10.7", "TX", "61.6"]
    assert cells[-1] == ["IL", "34.5", "NE", "11.5", "SD", "10.1", "VI", "2.0"]


def test_a_running_title_over_a_table_on_every_page_is_not_a_header_row(tmp_path):
    # "2007 Tax Table-Continued" at the top of each page, right over the table: it was read as
    # a header row over the value columns on every page
    doc = pymupdf.open()
    for k in range(3):
        page = doc.new_page(width=612, height=792)
        _text(page, 306, 50, "2007 Tax Table-Continued", size=10, align="centre")
        _text(page, 72, 70, "At least")
        _text(page, 160, 70, "But less than")
        _text(page, 300, 70, "Single", align="right")
        _text(page, 380, 70, "Married", align="right")
        for i in range(12):
            y, a = 84 + 14 * i, 10000 + 1000 * k + 50 * i
            _text(page, 72, y, f"{a:,}")
            _text(page, 160, y, f"{a + 50:,}")
            _text(page, 300, y, f"{a // 8:,}", align="right")
            _text(page, 380, y, f"{a // 9:,}", align="right")
        _text(page, 72, 400, "The schedule continues on the next page with the next incomes.")
    pdf = tmp_path / "running.pdf"
    doc.save(pdf)
    document, tables = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert [t.header_rows for t in tables] == [[["At least", "But less than", "Single",
                                                 "Married"]]] * len(tables)
    assert sum(len(t.rows) for t in tables) == 36
    assert [b.kind for b in document.blocks if b.text == "2007 Tax Table-Continued"] == [
        "running_header"] * 3


def test_a_legend_inside_the_table_frame_is_a_note_not_a_header_cell(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _text(page, 72, 60, "Table 3. Alarm levels by site")
    rows = [["Site", "Level", "Reading"], ["North", "H", "12.5"], ["South", "HH", "30.1"],
            ["East", "L", "2.2"], ["West", "H", "11.0"]]
    xs, y0, h = [72, 200, 330, 460], 70, 18
    shape = page.new_shape()
    for r in range(len(rows) + 2):
        shape.draw_line((72, y0 + h * r), (460, y0 + h * r))
    for x in xs:  # the legend's row, the last inside the frame, has no column rules
        shape.draw_line((x, y0), (x, y0 + h * len(rows)))
    for x in (72, 460):
        shape.draw_line((x, y0 + h * len(rows)), (x, y0 + h * (len(rows) + 1)))
    shape.finish(color=(0, 0, 0), width=0.5)
    shape.commit()
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            _text(page, xs[c] + 4, y0 + h * r + 13, v)
    _text(page, 76, y0 + h * len(rows) + 13, "Symbol convention: H = High, HH = High high, L = Low")
    pdf = tmp_path / "legend.pdf"
    doc.save(pdf)
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [["Site", "Level", "Reading"]]
    assert table.rows == [r for r in rows[1:]]
    assert [(n.kind, n.marker, n.text) for n in table.notes] == [
        ("legend", "H", "H = High"), ("legend", "HH", "HH = High high"),
        ("legend", "L", "L = Low")]


def test_a_legend_spread_over_the_columns_above_the_labels_is_the_tables_legend(tmp_path):
    # a legend line between the caption and the column labels, its entries set apart like
    # labels: each entry was taken as a header cell over the column under it
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _text(page, 72, 90, "Table 4. Alarm readings by station")
    for x, s in ((72, "Symbol convention"), (200, "H = High"), (300, "HH = High high"),
                 (400, "L = Low")):
        _text(page, x, 108, s)
    _text(page, 72, 120, "Station")
    for x, s in ((250, "Level"), (350, "Reading"), (450, "Alarms")):
        _text(page, x, 120, s, align="right")
    rows = [("North", "H", "12.5", "3"), ("South", "HH", "30.1", "7"), ("East", "L", "2.2", "0"),
            ("West", "H", "11.0", "2"), ("Central", "LL", "0.4", "1")]
    for i, row in enumerate(rows):
        _text(page, 72, 136 + 14 * i, row[0])
        for x, v in zip((250, 350, 450), row[1:], strict=True):
            _text(page, x, 136 + 14 * i, v, align="right")
    pdf = tmp_path / "legend-top.pdf"
    doc.save(pdf)
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [["Station", "Level", "Reading", "Alarms"]]
    assert table.rows == [list(r) for r in rows]
    assert table.caption == "Table 4. Alarm readings by station"
    assert [(n.kind, n.marker, n.text) for n in table.notes] == [
        ("legend", "H", "H = High"), ("legend", "HH", "HH = High high"),
        ("legend", "L", "L = Low")]


def test_a_subtitle_centred_over_the_table_is_not_a_header_row(tmp_path):
    # R47194 Table 3: "FY2018-FY2026" printed centred under the caption was read as a header
    # row over every column (a body-less label row promoted to the header)
    pdf = _one_page(corpus("crs-reports", "pdf", "reports", "R47194.5.pdf"), 15,
                    tmp_path / "p.pdf")
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [["Fiscal Year", "Amount ($ millions)", "Legislation"]]
    assert table.caption == "Table 3. Bridge Funding in Annual Appropriations Acts FY2018-FY2026"
    assert table.rows[0] == ["2018", "225", "Consolidated Appropriations Act, 2018 (P.L. 115-141)"]
    assert table.rows[-1] == ["Annual Average", "633", "NA"]


def test_rows_of_wrapped_text_between_rules_stay_whole_beside_an_overlapping_line(tmp_path):
    # IN12680 page 2 (a table continued without a caption, rows of wrapped text): one label
    # line set 6 pt under another made every 10 pt line look like a new row
    pdf = _one_page(corpus("crs-reports", "pdf", "insights", "IN12680.1.pdf"), 2,
                    tmp_path / "p.pdf")
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    cells = _cells(table)
    assert cells[0] == ["Changes to", "Status/Date", "Description"]
    assert cells[1][:2] == ["Advanced Approach (Basel Endgame Re-Proposal)", "Proposal (3/26)"]
    assert cells[1][2].startswith("Would standardize and simplify the capital calculations")
    assert cells[1][2].endswith("thereby reducing required capital for covered institutions.")
    assert [r[0] for r in cells if r[0]] == [
        "Changes to", "Advanced Approach (Basel Endgame Re-Proposal)",
        "Standardized Approach and AOCI",
        "Global Systemically Important Bank (G-SIB) Surcharge",
        "Enhanced Supplementary Leverage Ratio (eSLR)"]


def test_tables_set_in_one_text_column_of_a_two_column_page(tmp_path):
    # IF10753 (two text columns): Table 1 in the right column was not found (each of its rows
    # was read as one line with the paragraph beside it), and Table 2 took the left column's
    # paragraph lines as its stub column
    src = corpus("crs-reports", "pdf", "in-focus", "IF10753.6.pdf")
    _, (first,) = extract_pdf(_one_page(src, 1, tmp_path / "p1.pdf"),
                              ExtractSettings(layout="never"), PROV)
    assert first.header_rows == [["Year", "Action"]]
    assert len(first.rows) == 17
    assert first.rows[0] == ["1992", ("EPA establishes ENERGY STAR under the authority of the "
                             "Clean Air Act, Section 103(g) (P.L. 101-549)")]
    assert first.rows[-1] == ["2026", ("EPA and DOE issue MOA to document change in leadership "
                              "from EPA to DOE for ENERGY STAR")]
    # the legend's entries, one wrapped over two lines, each whole
    assert [n.text for n in first.notes if n.kind == "legend"] == [
        "GAO = Government Accountability Office", "MOC = memorandum of cooperation",
        "MOU = memorandum of understanding", "MOA = memorandum of agreement"]
    _, (second,) = extract_pdf(_one_page(src, 2, tmp_path / "p2.pdf"),
                               ExtractSettings(layout="never"), PROV)
    assert second.header_rows == [["Fiscal Year", "EPA Funding", "DOE Funding"]]
    assert second.rows[0] == ["2015", "$44.2", "$4.3"]
    assert [r[0] for r in second.rows] == [str(y) for y in range(2015, 2025)]


def test_a_body_row_with_text_cells_is_not_promoted_to_a_header_row(tmp_path):
    # a ruled table whose text columns hold "-" in most rows: the first body row, all text but
    # its amount, read as a second header row (nothing sets it apart: no bold, no rule, an
    # amount in the column of amounts)
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _text(page, 72, 90, "Table 5. Bridge programs by state")
    rows = [("State", "Program", "Status", "Amount"),
            ("Alabama", "Bridge repair", "Active", "12.5"), ("Alaska", "-", "-", "3.1"),
            ("Arizona", "Ferry fund", "Closed", "7.0"), ("Arkansas", "-", "-", "2.2"),
            ("Colorado", "-", "-", "9.4"), ("Delaware", "Tunnel aid", "Active", "1.3")]
    shape = page.new_shape()
    for k in range(len(rows) + 1):
        shape.draw_line((68, 100 + 14 * k), (486, 100 + 14 * k))
    for x in (68, 175, 295, 420, 486):
        shape.draw_line((x, 100), (x, 100 + 14 * len(rows)))
    shape.finish(color=(0, 0, 0), width=0.5)
    shape.commit()
    for i, row in enumerate(rows):
        for x, v in zip((72, 180, 300), row[:3], strict=True):
            _text(page, x, 110 + 14 * i, v)
        _text(page, 480, 110 + 14 * i, row[3], align="right")
    pdf = tmp_path / "body-row.pdf"
    doc.save(pdf)
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [list(rows[0])]
    assert table.rows == [list(r) for r in rows[1:]]


def test_a_form_grid_of_tick_boxes_is_not_a_table(tmp_path):
    # docling's table_mislabeled_as_picture.pdf, a questionnaire set in two columns: "which
    # groups? State funded legal aid / CSOs" over a box per group and column; once each text
    # column was searched alone it came out as a table of "*" cells
    _, tables = extract_pdf(corpus("govreports", "docling__table_mislabeled_as_picture.pdf"),
                            None, PROV)
    assert [t.header_rows for t in tables] == []


@pytest.mark.parametrize(("text", "parts"), [
    ("Symbol convention H = High HH = High high L = Low",
     [("H", "H = High"), ("HH", "HH = High high"), ("L", "L = Low")]),
    # a meaning holding a formula is one entry: "factor" is a word, not a code
    ("L/F = load factor = RPK÷ASK", [("L/F", "L/F = load factor = RPK÷ASK")]),
    ("n = number of cases N = total", [("n", "n = number of cases"), ("N", "N = total")]),
])
def test_legend_entries_set_apart_by_spaces_are_cut_before_each_code(text, parts):
    from abstab.extract.notes import legend_parts

    assert legend_parts(text) == parts


def test_column_labels_standing_over_a_frame_drawn_round_the_body_are_its_header(tmp_path):
    # birdisland.pdf: the frame is drawn round the body rows only, the column labels stand
    # over it unruled, two lines for most ("SCN" over "Resist."): the table had no header row
    _, tables = extract_pdf(corpus("govreports", "camelot__birdisland.pdf"),
                            ExtractSettings(layout="never"), PROV)
    (table,) = [t for t in tables if t.rows and t.rows[0][0] == "Kruger"]
    assert table.header_rows == [["Company/Brand", "Product/Brand†", "Technol.†", "Mat.",
                                  "SCN Resist.", "Seed Trmt.†", "Yield Bu/A", "Moisture %",
                                  "Lodging %", "Stand (x 1000)", "Gross Income"]]
    assert table.rows[0] == ["Kruger", "K2-1901", "RR2Y", "1.9", "R", "Ac,PV", "56.4", "7.6",
                             "0", "126.3", "$846"]


def test_a_space_printed_under_a_dot_does_not_split_the_number(tmp_path):
    # birdisland.pdf prints its text twice, "1 9" and then "1.9" over it: once the second pass's
    # duplicate digits were dropped, the first pass's space stood before the dot ("1 .9")
    _, tables = extract_pdf(corpus("govreports", "camelot__birdisland.pdf"),
                            ExtractSettings(layout="never"), PROV)
    (table,) = [t for t in tables if t.rows and t.rows[0][0] == "Kruger"]
    assert table.rows[1] == ["Stine", "19RA02 §", "RR2Y", "1.9", "R", "CMB", "55.3", "7.6", "0",
                             "120.0", "$830"]
    assert table.rows[3][:4] == ["Hefty", "H17Y12", "RR2Y", "1.7"]


def test_a_space_drawn_inside_a_ligature_does_not_split_the_word(tmp_path):
    # agstat.pdf: the font draws a space glyph inside the box of the "ﬁ" ligature; the header
    # read "Surplus/Deﬁ cit (In Lakh tonnes)"
    _, (table,) = extract_pdf(corpus("govreports", "camelot__agstat.pdf"),
                              ExtractSettings(layout="never"), PROV)
    assert table.header_rows[0][9:] == ["Surplus/Deﬁcit (In Lakh tonnes)"] * 2
    assert table.header_rows[1][6:] == ["Kharif", "Rabi", "Total", "Rice", "Paddy"]


def test_group_labels_over_one_rule_drawn_end_to_end_span_their_own_columns(tmp_path):
    # budget.pdf: the spanner rules under "Plan" and "Non-Plan" touch and read as one rule, so
    # both labels claimed all six columns and fell into the middle column's cell ("Plan
    # Capital"); the line over the table's top rule ("Budget 2014-2015 … (In crores of
    # Rupees)") was read as a header row ("Budget Ministry/Demand")
    _, (table,) = extract_pdf(corpus("govreports", "camelot__budget.pdf"),
                              ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [
        ["Ministry/Demand"] + ["Plan"] * 3 + ["Non-Plan"] * 3 + ["Total Plan & Non-Plan",
                                                                 "Page No."],
        ["Ministry/Demand", "Revenue", "Capital", "Total", "Revenue", "Capital", "Total",
         "Total Plan & Non-Plan", "Page No."]]
    assert table.rows[1] == ["1. Department of Agriculture and Cooperation", "22260.55",
                             "48.45", "22309.00", "342.51", "0.74", "343.25", "22652.25",
                             "1-10"]


def test_a_group_label_cut_in_pieces_over_one_rule_keeps_its_whole_span():
    # ICDAR us-024: "Unhealthy" and "housing units" are two pieces of one label over one rule;
    # sharing the rule's columns between them as if they were two groups scattered the label
    _, tables = extract_pdf(corpus("icdar2013", "competition-dataset-us", "us-024.pdf"),
                            ExtractSettings(layout="never"), PROV)
    (table,) = [t for t in tables if t.header_rows and "Unhealthy housing units" in
                t.header_rows[1]]
    assert table.header_rows[1][6:] == ["total occupied housing units"] + [
        "Unhealthy housing units"] * 4


def test_rows_set_by_a_column_of_amounts_stay_apart_beside_a_wrapped_label(tmp_path):
    # federal-register-2020-17221.pdf page 5: three cost rows in one ruled cell; the third
    # label wraps onto two lines, so the rows were not cut and read as one cell each column
    pdf = _one_page(corpus("govreports", "pdfplumber__federal-register-2020-17221.pdf"), 5,
                    tmp_path / "p.pdf")
    _, tables = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    (table,) = [t for t in tables if ["Action", "Labor cost", "Parts cost", "Cost per product",
                                      "Cost on U.S. operators"] in t.header_rows]
    hour = "1 work-hour × $85 per hour = $85"
    assert table.rows == [
        ["FCC OPS installation and verification ..", hour, "$0", "$85", "$6,205."],
        ["AFM revisions", hour, "$0", "$85", "$6,205."],
        ["MDS installation and verification, INOP marker removal.", hour, "$0", "$85",
         "$6,205."]]


def test_a_range_wrapped_after_its_dash_in_a_narrow_column_is_read_whole(tmp_path):
    # WTQ's seasons ("1991–92") in a narrow column break after the en dash; the cell read
    # "1991– 92", so a lookup of "2002–03" found no row.
    seasons = [f"{y}–{str(y + 1)[2:]}" for y in range(1991, 1995)]
    rows = "".join(f"<tr><td>{s}</td><td>Bundesliga</td><td>{p}</td></tr>"
                   for s, p in zip(seasons, ["2", "1", "1", "4"], strict=True))
    story = pymupdf.Story("<table><tr><th>Season</th><th>League</th><th>Pos.</th></tr>"
                          f"{rows}</table>", user_css=(
                              "table { border-collapse: collapse; } th, td { border: 0.6pt "
                              "solid #000; padding: 2pt 4pt; font-size: 10pt; } "
                              "td:first-child, th:first-child { width: 26pt; }"))
    pdf = tmp_path / "seasons.pdf"
    writer = pymupdf.DocumentWriter(str(pdf))
    device = writer.begin_page(pymupdf.paper_rect("a4"))
    story.place(pymupdf.Rect(72, 72, 523, 770))
    story.draw(device)
    writer.end_page()
    writer.close()
    with pymupdf.open(pdf) as doc:  # the layout this test is about: each range on two lines
        assert [ln for ln in doc[0].get_text().splitlines() if ln[:2] in ("19", "92")][:2] == [
            "1991–", "92"]
    _, (table,) = extract_pdf(pdf, ExtractSettings(), PROV)
    assert _cells(table) == [["Season", "League", "Pos."], ["1991–92", "Bundesliga", "2"],
                             ["1992–93", "Bundesliga", "1"], ["1993–94", "Bundesliga", "1"],
                             ["1994–95", "Bundesliga", "4"]]


@pytest.mark.parametrize(("lines", "text"), [
    (["1991–", "92"], "1991–92"), (["well-", "known"], "well-known"),
    (["Paris –", "Caen"], "Paris – Caen"), (["Total -", "5"], "Total - 5"),
    (["Rate 5-", "Year"], "Rate 5- Year"), (["Income", "(loss)"], "Income (loss)")])
def test_wrapped_lines_join_without_a_space_only_after_a_dash_inside_a_word_or_number(lines,
                                                                                     text):
    assert join_lines(lines) == text
