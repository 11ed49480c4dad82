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
    # the running text of the three columns above and the title "ESTIMATED COSTS" are no
    # header row (they were: "doing a software installation verification, …")
    assert table.header_rows == [["Action", "Labor cost", "Parts cost", "Cost per product",
                                  "Cost on U.S. operators"]]
    hour = "1 work-hour × $85 per hour = $85"
    assert table.rows == [
        ["FCC OPS installation and verification", hour, "$0", "$85", "$6,205."],
        ["AFM revisions", hour, "$0", "$85", "$6,205."],
        ["MDS installation and verification, INOP marker removal.", hour, "$0", "$85",
         "$6,205."]]


def _rules(page: pymupdf.Page, lines: list[tuple[float, float, float, float]]) -> None:
    shape = page.new_shape()
    for x0, y0, x1, y1 in lines:
        shape.draw_line((x0, y0), (x1, y1))
    shape.finish(color=(0, 0, 0), width=0.5)
    shape.commit()


def test_wrapped_sub_labels_flush_over_their_numbers_are_one_label_each(tmp_path):
    # 12s0324: "Under 18 / years" and "18 years / and over" are wider than the amounts they
    # are set flush right over, so they cross the gutters of the ruled band holding three
    # columns; the band's header was one cell "Under 18 18 years Total years and over"
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    bottom = 135 + 8 * 27
    _rules(page, [(36, 100, 232, 100), (140, 110, 232, 110), (36, 131, 232, 131),
                  (36, bottom, 232, bottom), (36, 100, 36, bottom), (140, 100, 140, bottom),
                  (232, 100, 232, bottom)])
    _text(page, 50, 122, "Offense charged", size=7)
    _text(page, 186, 106, "Total", size=7, align="centre")
    right = [160, 195, 228]
    for x, top, low in zip(right, ("", "Under 18", "18 years"),
                           ("Total", "years", "and over"), strict=True):
        _text(page, x, 120, top, size=7, align="right")
        _text(page, x, 127, low, size=7, align="right")
    rows = [(f"Offense {i + 1}", f"{100 + 7 * i}.{i % 10}", f"{40 + i}.{(3 * i) % 10}",
             f"{500 + 11 * i}.{(7 * i) % 10}") for i in range(27)]
    for i, row in enumerate(rows):
        y = 139 + 8 * i
        _text(page, 40, y, row[0], size=7)
        for x, v in zip(right, row[1:], strict=True):
            _text(page, x, y, v, size=7, align="right")
    pdf = tmp_path / "sub.pdf"
    doc.save(pdf)
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [
        ["Offense charged", "Total", "Total", "Total"],
        ["Offense charged", "Total", "Under 18 years", "18 years and over"]]
    assert table.rows == [list(r) for r in rows]


def test_sub_labels_wider_than_their_numbers_on_a_real_page():
    _, tables = extract_pdf(corpus("govreports", "camelot__12s0324.pdf"),
                            ExtractSettings(layout="never"), PROV)
    first, second = tables
    groups = ["Total", "Male", "Female"]
    assert first.header_rows == [
        ["Offense charged"] + [g for g in groups for _ in range(3)],
        ["Offense charged"] + ["Total", "Under 18 years", "18 years and over"] * 3]
    assert first.rows[0] == ["Total", "11,062.6", "1,540.0", "9,522.6", "8,263.3", "1,071.6",
                             "7,191.7", "2,799.2", "468.3", "2,330.9"]
    assert second.header_rows == [["Offense charged", "Total", "White", "Black",
                                   "American Indian/Alaskan Native", "Asian Pacific Islander"]]
    assert second.rows[0] == ["Total", "10,690,561", "7,389,208", "3,027,153", "150,544",
                              "123,656"]


def test_a_group_label_set_over_the_gutter_between_its_columns_spans_them(tmp_path):
    # R47194 Table 1: "2012" and "2025", each centred over a Number and a Percentage column,
    # sit over the gutter between them; each was read as the first line of the label of the
    # column its middle falls in ("2012 Percentage"). "Code" centred on its own column's
    # label stays that label's first line.
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _text(page, 72, 90, "Table 1. Bridge condition ratings")
    _text(page, 262, 112, "2012", align="centre")
    _text(page, 386, 112, "2025", align="centre")
    _text(page, 150, 112, "Code", align="centre")
    _text(page, 72, 126, "Rating")
    _text(page, 150, 126, "State", align="centre")
    for left, right in ((210, 314), (334, 438)):
        _text(page, left, 126, "Number")
        _text(page, right, 126, "Percentage", align="right")
    rows = [("Good", "AL", "287,194", "47.3", "272,779", "43.7"),
            ("Fair", "AK", "262,878", "43.3", "309,729", "49.6"),
            ("Poor", "AZ", "57,049", "9.4", "41,685", "6.7"),
            ("Total", "US", "607,121", "100.0", "624,193", "100.0")]
    for i, row in enumerate(rows):
        y = 142 + 14 * i
        _text(page, 72, y, row[0])
        _text(page, 150, y, row[1], align="centre")
        for x, v in zip((250, 314, 374, 438), row[2:], strict=True):
            _text(page, x, y, v, align="right")
    pdf = tmp_path / "groups.pdf"
    doc.save(pdf)
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [
        ["Rating", "Code State", "2012", "2012", "2025", "2025"],
        ["Rating", "Code State", "Number", "Percentage", "Number", "Percentage"]]
    assert table.rows == [list(r) for r in rows]


def test_group_labels_over_gutters_on_a_real_page(tmp_path):
    pdf = _one_page(corpus("crs-reports", "pdf", "reports", "R47194.5.pdf"), 7,
                    tmp_path / "p.pdf")
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [["Rating", "2012", "2012", "2025", "2025"],
                                 ["Rating", "Number", "Percentage", "Number", "Percentage"]]
    assert table.rows[0] == ["Good", "287,194", "47.3", "272,779", "43.7"]
    # R45100 page 19: "FIPS" centred on its own column's label is that label's first line
    pdf = _one_page(corpus("crs-reports", "pdf", "reports", "R45100.21.pdf"), 19,
                    tmp_path / "q.pdf")
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows[0][:3] == ["Count", "FIPS Geographic Identification Code",
                                        "State"]


def test_a_short_leader_after_a_label_is_filler(tmp_path):
    # federal-register-2020-17221 page 5: "FCC OPS installation and verification .." kept the
    # two leader dots that fit after the label (longer leaders were already left out); two
    # dots standing alone in a cell are a value not available and stay
    from abstab.extract.audit import audit_pdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _rules(page, [(72, 100, 400, 100), (72, 116, 400, 116), (72, 170, 400, 170),
                  (72, 100, 72, 170), (210, 100, 210, 170), (300, 100, 300, 170),
                  (400, 100, 400, 170)])
    for x, s in ((76, "Action"), (214, "Labor cost"), (304, "Parts cost")):
        _text(page, x, 111, s, size=8)
    label = "Software installation and verification"
    _text(page, 76, 128, label, size=8)
    _text(page, 76 + pymupdf.get_text_length(label + " ", fontsize=8), 128, "..", size=8)
    _text(page, 76, 140, "Manual revisions ..............................", size=8)
    _text(page, 76, 152, "Marker removal", size=8)
    for i, (labor, parts) in enumerate((("$85", "$0"), ("$85", ".."), ("$170", "$12"))):
        _text(page, 214, 128 + 12 * i, labor, size=8)
        _text(page, 304, 128 + 12 * i, parts, size=8)
    pdf = tmp_path / "leaders.pdf"
    doc.save(pdf)
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.rows == [[label, "$85", "$0"], ["Manual revisions", "$85", ".."],
                          ["Marker removal", "$170", "$12"]]
    (audit,) = audit_pdf(pdf, [table])
    assert audit.issues == []


def test_column_labels_set_on_the_first_rule_of_a_rules_only_table(tmp_path):
    # lots_of_sci_tables page 1: the bold labels stand right on the table's first rule, with
    # no rule over them; they were left out and the first row read as the header
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _text(page, 72, 100, "The product listed below is certified as follows:")
    page.insert_text((80, 122), "Category & Description", fontsize=11, fontname="hebo")
    page.insert_text((420, 122), "Details", fontsize=11, fontname="hebo")
    _rules(page, [(78, 128, 520, 128), (78, 160, 520, 160), (78, 192, 520, 192),
                  (78, 224, 520, 224)])
    body = [("RoHS", ["If Y, the product is compliant with the", "directive. See Appendix A."],
             "TBD"),
            ("Halogen Free", ["If Y, the product is halogen free. Green", "products meet RoHS."],
             "Y"),
            ("REACH", ["If Y, the product uses no substances of", "very high concern."], "N")]
    for i, (name, lines, value) in enumerate(body):
        y = 142 + 32 * i
        page.insert_text((80, y), name, fontsize=9, fontname="hebo")
        for k, s in enumerate(lines):
            _text(page, 160, y + 10 * k, s)
        _text(page, 420, y, value)
    pdf = tmp_path / "rules_only.pdf"
    doc.save(pdf)
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [["Category & Description", "Category & Description",
                                  "Details"]]
    assert table.rows == [[name, " ".join(lines), value] for name, lines, value in body]


def test_labels_on_the_first_rule_of_a_rules_only_table_on_a_real_page():
    _, tables = extract_pdf(corpus("govreports", "olmocr__lots_of_sci_tables.pdf"),
                            ExtractSettings(layout="never", max_pages=1), PROV)
    (table,) = [t for t in tables if t.pages == [1]]
    assert table.header_rows == [["Environmental Category & Description",
                                  "Environmental Category & Description",
                                  "Details for: XRT83L30IV"]]
    assert [r[0] for r in table.rows] == ["RoHS | Exempt", "RoHS", "Halogen Free", "REACH",
                                          "TSCA"]


def test_running_text_over_a_tables_title_is_not_its_header_row(tmp_path):
    # federal-register-2020-17221 page 5: a page set in three text columns reads as lines of
    # three aligned segments; with the title "ESTIMATED COSTS" between them and the ruled
    # table, the last lines of the text were taken for the table's column labels
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    prose = [("the airplanes affected by this", "training. The FAA will post the",
              "The agency estimates the"),
             ("proposed AD, and removing", "Boeing 737 Flight Standardization",
              "costs to comply with this AD:")]
    for i, parts in enumerate(prose):
        for x, s in zip((45, 225, 405), parts, strict=True):
            _text(page, x, 100 + 10 * i, s, size=8)
    _text(page, 306, 132, "ESTIMATED COSTS", size=8, align="centre")
    _rules(page, [(45, 140, 567, 140), (45, 156, 567, 156), (45, 196, 567, 196),
                  (45, 140, 45, 196), (190, 140, 190, 196), (340, 140, 340, 196),
                  (567, 140, 567, 196)])
    for x, s in ((50, "Action"), (195, "Labor cost"), (345, "Cost on U.S. operators")):
        _text(page, x, 151, s, size=8)
    rows = [("Software installation", "$85", "$6,205"), ("Manual revisions", "$85", "$6,205"),
            ("Sensor system test", "$3,400", "$248,200")]
    for i, row in enumerate(rows):
        for x, v in zip((50, 195, 345), row, strict=True):
            _text(page, x, 168 + 11 * i, v, size=8)
    pdf = tmp_path / "costs.pdf"
    doc.save(pdf)
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [["Action", "Labor cost", "Cost on U.S. operators"]]
    assert table.rows == [list(r) for r in rows]


def test_a_label_a_leader_ends_closes_its_row(tmp_path):
    # federal-register-2020-17221 page 6: two cost rows in one ruled band, the first row's
    # labor cost wrapped onto two lines: read as one row "Stabilizer wiring change AOA
    # sensor system test"; the leader after each label says where its row's label ends
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _rules(page, [(45, 76, 567, 76), (45, 100, 567, 100), (45, 145, 567, 145),
                  (45, 76, 45, 145), (190, 76, 190, 145), (340, 76, 340, 145),
                  (567, 76, 567, 145)])
    for x, s in ((50, "Action"), (195, "Labor cost"), (345, "Parts cost")):
        _text(page, x, 91, s, size=8)
    leader = " " + "." * 30
    _text(page, 50, 112, "Stabilizer wiring change" + leader, size=8)
    _text(page, 195, 112, "Up to 79 work-hours × $85 per hour =", size=8)
    _text(page, 203, 121, "Up to $6,715.", size=8)
    _text(page, 345, 112, "Up to $3,790" + leader, size=8)
    _text(page, 50, 133, "Sensor system test" + leader, size=8)
    _text(page, 195, 133, "40 work-hours × $85 per hour = $3,400.", size=8)
    _text(page, 345, 133, "$0" + leader, size=8)
    pdf = tmp_path / "led.pdf"
    doc.save(pdf)
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [["Action", "Labor cost", "Parts cost"]]
    assert table.rows == [
        ["Stabilizer wiring change", "Up to 79 work-hours × $85 per hour = Up to $6,715.",
         "Up to $3,790"],
        ["Sensor system test", "40 work-hours × $85 per hour = $3,400.", "$0"]]


def test_rows_a_leader_ends_on_a_real_page(tmp_path):
    pdf = _one_page(corpus("govreports", "pdfplumber__federal-register-2020-17221.pdf"), 6,
                    tmp_path / "p.pdf")
    _, tables = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    (table,) = [t for t in tables if t.header_rows and t.header_rows[0][0] == "Action"]
    assert table.header_rows == [["Action", "Labor cost", "Parts cost", "Cost per product",
                                  "Cost on U.S. operators"]]
    assert table.rows == [
        ["Stabilizer wiring change", "Up to 79 work-hours × $85 per hour = Up to $6,715.",
         "Up to $3,790", "Up to $10,505", "Up to $766,865."],
        ["AOA sensor system test", "40 work-hours × $85 per hour = $3,400.", "$0", "$3,400",
         "$248,200."]]


def test_labels_wrapped_round_a_block_over_a_ruled_body_stay_its_header():
    # offense.pdf: the labels over the ruled body wrap onto lines above and under the block
    # of aligned labels ("Felony / or / Misd."); those lines are the labels', not a title
    # standing between the block and the table
    _, tables = extract_pdf(corpus("govreports", "camelot__offense.pdf"),
                            ExtractSettings(layout="never", max_pages=1), PROV)
    assert tables[0].header_rows == [["COMAR#", "Offense Literal", "CJIS Code", "Source",
                                      "Felony or Misd.", "Max Term", "Min Term",
                                      "Offense Type", "Serious. Categ.", "Fine"]]


def test_rows_parted_by_space_keep_values_wrapped_onto_a_second_line(tmp_path):
    # IN12609 Table 1: each row is set apart by space, and two of its amounts wrap their share
    # onto a second line ("$3.1 billion" over "(620%)"). The second lines were rows of their
    # own, and "$500 million" was not a value, so the first body row became a header row.
    pdf = _one_page(corpus("crs-reports", "pdf", "insights",
                           "IN12609v9-fema-s-building-resilient-infrastructure-and-com.pdf"), 2,
                    tmp_path / "p.pdf")
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [[
        "Fiscal Year", "Number of Applications Selected for Funding",
        "Number and Percentage of Applications Obligated", "Amount Available in NOFO",
        "Amount Requested and Percentage Over-Subscribed", "Amount Selected for Funding",
        "Amount Obligated and Percentage of Amount Selected"]]
    assert table.rows[0] == ["FY2020", "380", "353 (93.9%)", "$500 million",
                             "$3.1 billion (620%)", "$487.4 million", "$250.6 million (51.4%)"]
    assert table.rows[-1] == ["FY2020-2023 Total", "1,940", "1,242 (64.0%)", "$4.795 billion",
                              "$15.665 billion (325%)", "$4.622 billion", "$1 billion (21.6%)"]
    assert len(table.rows) == 5


def _spaced_table(tmp_path: Path, rows: list[list[list[str]]]) -> Path:
    """A table whose rows are blocks of lines set solid, the blocks parted by half a line."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _text(page, 72, 90, "Table 1. Grants by year")
    xs = [72, 200, 300, 400]
    for x, label in zip(xs, ["Year", "Awards", "Amount", "Obligated"], strict=True):
        _text(page, x, 120, label)
    page.draw_line((72, 125), (480, 125))
    y = 140.0
    for block in rows:
        for line in block:
            for x, v in zip(xs, line, strict=True):
                if v:
                    _text(page, x, y, v)
            y += 10.5  # set solid: the 9-point lines touch
        y += 5.0  # the space between rows
    pdf = tmp_path / "spaced.pdf"
    doc.save(pdf)
    return pdf


def test_a_value_wrapped_under_its_row_joins_it_when_rows_are_parted_by_space(tmp_path):
    pdf = _spaced_table(tmp_path, [
        [["FY2020", "380", "$3.1 billion", "$250.6 million"], ["", "", "(620%)", "(51.4%)"]],
        [["FY2021", "350", "$3.5 billion", "$364 million"], ["", "", "(350%)", "(35.9%)"]],
        [["FY2022", "496", "$3.6 billion", "$359.4 million"], ["", "", "(157%)", "(16.3%)"]],
        [["FY2023", "716", "$5.4 billion", "$38.7 million"]]])
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [["Year", "Awards", "Amount", "Obligated"]]
    assert table.rows == [["FY2020", "380", "$3.1 billion (620%)", "$250.6 million (51.4%)"],
                          ["FY2021", "350", "$3.5 billion (350%)", "$364 million (35.9%)"],
                          ["FY2022", "496", "$3.6 billion (157%)", "$359.4 million (16.3%)"],
                          ["FY2023", "716", "$5.4 billion", "$38.7 million"]]


def test_groups_of_full_rows_parted_by_space_stay_rows(tmp_path):
    # the same spacing between groups of rows that each fill every column: rows of their own
    pdf = _spaced_table(tmp_path, [
        [["FY2020", "380", "$3.1", "$250.6"], ["FY2021", "350", "$3.5", "$364.0"]],
        [["FY2022", "496", "$3.6", "$359.4"], ["FY2023", "716", "$5.4", "$38.7"]],
        [["FY2024", "501", "$2.2", "$12.5"], ["FY2025", "77", "$1.0", "$4.4"]]])
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert [r[0] for r in table.rows] == ["FY2020", "FY2021", "FY2022", "FY2023", "FY2024",
                                          "FY2025"]


@pytest.mark.parametrize(("text", "value"), [
    ("$3.1 billion", True), ("$500 million", True), ("12 thousand", True),
    ("353 (93.9%)", True), ("1,242 (64.0%)", True), ("$1\nbillion", True),
    ("billion", False), ("1.2 million acres", False), ("FY2020", False), ("353 (a)", False)])
def test_amounts_with_a_scale_word_or_a_share_are_values(text, value):
    from abstab.extract.grid import is_value
    assert is_value(text) is value


def test_a_table_in_the_right_column_under_a_title_across_both_columns(tmp_path):
    # IF13203 page 1: a two-column page whose title and running footer cross the gutter. The
    # page was read as one column, so the left column's last lines were taken into Table 1
    # ("five FWS accounts: Cooperative | 5.0 | 0.0") and its first rows were lost
    pdf = _one_page(corpus("crs-reports", "pdf", "in-focus", "IF13203.2.pdf"), 1,
                    tmp_path / "p.pdf")
    _, tables = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    (table,) = tables
    assert table.caption == "Table 1. FWS Discretionary Funding by Account ($ in millions)"
    assert table.header_rows == [["Account", "FY2026 Enacted", "FY2027 Request"]]
    assert [r[0] for r in table.rows] == [
        "Resource Management", "Construction",
        "Cooperative Endangered Species Conservation Fund", "National Wildlife Refuge Fund",
        "North American Wetlands Conservation Fund", "Neotropical Migratory Bird Conservation Fund",
        "Multinational Species Conservation Fund", "State and Tribal Wildlife Grants", "Total"]
    assert table.rows[0] == ["Resource Management", "1,451.5", "1,303.6"]
    assert table.rows[-1] == ["Total", "1,650.5", "1,327.3"]


def test_amounts_set_level_with_the_middle_of_a_two_line_label_stay_in_its_row(tmp_path):
    # IF13206 pages 1 and 2: each amount is centred between the two lines of its label, so it
    # is read with the label's second line (page 1) or as a line of its own (page 2); the
    # label's lines were rows of their own, beside empty cells
    src = corpus("crs-reports", "pdf", "in-focus", "IF13206.1.pdf")
    _, (first,) = extract_pdf(_one_page(src, 1, tmp_path / "p1.pdf"),
                              ExtractSettings(layout="never"), PROV)
    _, (second,) = extract_pdf(_one_page(src, 2, tmp_path / "p2.pdf"),
                               ExtractSettings(layout="never"), PROV)
    courts = "Courts of Appeals, District Courts, and Other Judicial Services"
    assert first.rows[5] == [f"{courts} (total)", "$8,816.3", "$9,202.0"]
    assert first.rows[11] == ["Administrative Office of the U.S. Courts", "$107.0", "$113.8"]
    assert len(first.rows) == 15
    assert second.rows == [["Supreme Court", "$3.3", "$3.3"],
                           ["Court of Appeals for the Federal Circuit", "$3.7", "$3.8"],
                           ["Court of International Trade", "$2.5", "$2.6"],
                           [courts, "$534.7", "$542.9"],
                           ["Judicial Retirement Funds", "$309.4", "$274.0"],
                           ["TOTAL", "$853.6", "$826.5"]]


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
