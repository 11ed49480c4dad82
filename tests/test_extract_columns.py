"""Column boundaries where the print puts them (issue 19, point 1: header cells located).

Each case is a real shared page (``../shared/corpora/govreports``) with its exact cells, and a
synthetic page that reproduces the layout alone.
"""

from __future__ import annotations

import pymupdf
from builders import PROV
from conftest import corpus
from test_extract_cells import _text

from abstab.extract import ExtractSettings, extract_pdf


def _one_table(pdf):
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    return table


# ------------------------------------------------- white boxes behind text draw no ruling


def test_white_boxes_behind_the_labels_of_a_ruled_table_draw_no_rules():
    # twotables_2.pdf: every cell and every line of text has a white box behind it, the rules
    # are black bars drawn as one path; the white boxes' edges split "Read & / Write" into
    # two header rows ("Read &" over three columns, "Write" under it)
    _, (table, _) = extract_pdf(corpus("govreports", "camelot__twotables_2.pdf"),
                                ExtractSettings(layout="never"), PROV)
    assert table.header_rows == [
        ["State", "n"] + ["Literacy Status"] * 6,
        ["State", "n", "Illiterate", "Read & Write", "1-4 std.", "5-8 std.", "9-12 std.",
         "College"]]
    assert table.rows[0] == ["Kerala", "2400", "7.2", "0.5", "25.3", "20.1", "41.5", "5.5"]
    assert table.rows[-1] == ["Pooled", "23889", "30.9", "1.9", "12.3", "23.2", "25.2", "6.4"]


def test_white_boxes_inside_a_frame_of_black_bars_are_not_cell_edges(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    xs, ys = [72, 180, 260, 340], [100, 130, 146, 162, 178, 194]
    shape = page.new_shape()  # the ruling: thin black bars, all in one path
    for y in ys:
        shape.draw_rect(pymupdf.Rect(xs[0], y - 0.4, xs[-1], y + 0.4))
    for x in xs:
        shape.draw_rect(pymupdf.Rect(x - 0.4, ys[0], x + 0.4, ys[-1]))
    shape.finish(fill=(0, 0, 0), color=None)
    shape.commit()
    labels = [["Region"], ["Read &", "Write"], ["Total"]]
    rows = [("North", "0.5", "12.1"), ("South", "2.3", "8.8"), ("East", "1.7", "9.4"),
            ("West", "0.9", "7.0")]
    white = page.new_shape()  # a white box behind each line of text, as word processors do
    for c, lines in enumerate(labels):
        for k in range(len(lines)):
            white.draw_rect(pymupdf.Rect(xs[c] + 2, 104 + 11 * k, xs[c + 1] - 2, 115 + 11 * k))
    for r in range(len(rows)):
        for c in range(3):
            white.draw_rect(pymupdf.Rect(xs[c] + 2, ys[r + 1] + 2, xs[c + 1] - 2,
                                         ys[r + 2] - 2))
    white.finish(fill=(1, 1, 1), color=None)
    white.commit()
    for c, lines in enumerate(labels):
        for k, s in enumerate(lines):
            _text(page, xs[c] + 4, 112 + 11 * k, s)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            _text(page, xs[c] + 4, ys[r + 1] + 11, v)
    pdf = tmp_path / "white.pdf"
    doc.save(pdf)
    table = _one_table(pdf)
    assert table.header_rows == [["Region", "Read & Write", "Total"]]
    assert table.rows == [list(r) for r in rows]


# --------------------------------------------- a range "lo - hi" is one value, one column


def test_a_column_of_ranges_and_single_amounts_is_one_column():
    # ag-energy-round-up: "1.35 - 1.42" and "2.85" (set under the range's second number) in
    # one column; the range's dash was skipped like a bullet, so the gap on either side of it
    # split the column in two and its label into "Last" | "Week"
    pdf = corpus("govreports", "pdfplumber__ag-energy-round-up-2017-02-24.pdf")
    table = _one_table(pdf)
    assert table.header_rows[0] == ["", "W/E 02/24/17", "Last Week", "Year Ago",
                                    "Internet Report Link"]
    # (under the section label "Ethanol ($/gal)", a body row)
    assert table.rows[1] == ["Iowa", "1.35 - 1.42", "1.38 - 1.43", "1.27 - 1.35", "Iowa Ethanol"]
    assert table.rows[8] == ["Iowa", "2.85", "2.99 - 3.30", "2.85 - 3.07", ""]


def test_ranges_and_amounts_under_one_label_stay_one_column(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    size = 10
    # each label's word space stands over the middle of the white space between a range's
    # numbers (the dash set aside)
    lo = pymupdf.get_text_length("1.35", fontsize=size)
    hi = pymupdf.get_text_length("1.35 - ", fontsize=size)
    _text(page, 72, 100, "Market", size=size)
    for x, label in ((200, "This Week"), (300, "Last Week")):
        first = label.split()[0] + " "
        _text(page, x + (lo + hi) / 2 - pymupdf.get_text_length(first, fontsize=size), 100,
              label, size=size)
    rows = [("Idaho", "41.25", "39.38"), ("Iowa", "1.35 - 1.42", "1.38 - 1.43"),
            ("Ohio", "2.85", "2.99 - 3.30"), ("Utah", "1.38 - 1.40", "unq"),
            ("Texas", "1.48 - 1.55", "1.49 - 1.55"), ("Maine", "unq", "3.47 - 3.54"),
            ("Kansas", "1.27 - 1.35", "1.28 - 1.34"), ("Oregon", "55.71", "54.29"),
            ("Nevada", "1.49 - 1.51", "1.50 - 1.53"), ("Vermont", "3.05", "2.95 - 3.05"),
            ("Alaska", "1.36 - 1.43", "61.46")]
    # a single amount starts where a range's second number starts
    for i, (name, *vals) in enumerate(rows):
        y = 116 + 13 * i
        _text(page, 72, y, name, size=size)
        for x, v in zip((200, 300), vals, strict=True):
            _text(page, x if " - " in v else x + hi, y, v, size=size)
    pdf = tmp_path / "ranges.pdf"
    doc.save(pdf)
    table = _one_table(pdf)
    assert table.header_rows == [["Market", "This Week", "Last Week"]]
    assert table.rows == [list(r) for r in rows]


# ----------------------------------- a stub label reaching into the gutter stays in its cell


def test_a_long_row_label_reaching_towards_the_values_stays_in_the_stub():
    # ag-energy-round-up: the gutter left of the first value column was cut at its middle,
    # through "(cents/lb)" of the one long label there; the word then joined its row's two
    # cells ("CME Group Soybean Oil (cents/lb) 32.32" | "")
    pdf = corpus("govreports", "pdfplumber__ag-energy-round-up-2017-02-24.pdf")
    table = _one_table(pdf)
    assert table.rows[-5] == ["CME Group Soybean Oil (cents/lb)", "32.32", "33.52", "31.83",
                              "CME Group"]
    assert table.rows[-4] == ["NYMEX Crude Oil ($/barrel)", "54.45", "53.36", "30.77",
                              "CME Group"]


def test_the_longest_ministry_names_keep_their_first_amount_apart():
    # budget.pdf: two ministry names reach into the gutter before the first amounts; cut at
    # its middle, it went through their last word and the amount joined the name
    _, (table,) = extract_pdf(corpus("govreports", "camelot__budget.pdf"),
                              ExtractSettings(layout="never"), PROV)
    assert table.rows[18][:3] == ["MINISTRY OF COMMUNICATIONS AND INFORMATION TECHNOLOGY",
                                  "7704.70", "4410.30"]
    assert table.rows[22][:3] == ["MINISTRY OF CONSUMER AFFAIRS, FOOD AND PUBLIC DISTRIBUTION",
                                  "344.45", "205.55"]


def test_the_gutter_is_cut_where_no_label_crosses_it(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _text(page, 72, 100, "Contract")
    _text(page, 300, 100, "Settle", align="right")
    _text(page, 380, 100, "Prior", align="right")
    names = ["Corn", "Wheat", "Oats", "Rice", "Soy meal", "Canola", "Barley", "Sorghum",
             "Cotton", "Sugar", "Cocoa", "Coffee"]
    rows = [[n, f"{3 + i}.{i:02d}", f"{2 + i}.{i + 10:02d}"] for i, n in enumerate(names)]
    rows[5][0] = "Group Soybean Oil Futures (cents/lb)"  # reaches well into the gutter
    for i, row in enumerate(rows):
        y = 116 + 12 * i
        _text(page, 72, y, row[0])
        _text(page, 300, y, row[1], align="right")
        _text(page, 380, y, row[2], align="right")
    pdf = tmp_path / "long-label.pdf"
    doc.save(pdf)
    table = _one_table(pdf)
    assert table.header_rows == [["Contract", "Settle", "Prior"]]
    assert table.rows == rows


def test_a_ruled_panel_of_names_parties_and_votes_keeps_one_row_per_candidate():
    # la-precinct-bulletin: the gutters inside a ruled panel stay at their centres; cut where
    # no name crosses, the panel's names, parties and votes came apart as three cells of many
    # lines that no longer split into rows (the whole panel one row)
    _, (table,) = extract_pdf(corpus("govreports", "pdfplumber__la-precinct-bulletin-2014-p1.pdf"),
                              ExtractSettings(layout="never"), PROV)
    assert [r[:3] for r in table.rows[:5]] == [
        ["NEEL KASHKARI", "REP", "247"], ["EDMUND G BROWN", "DEM", "69"],
        ["LIEUTENANT GOVERNOR VOTER NOMINATED", "", ""], ["GAVIN NEWSOM", "DEM", "64"],
        ["RON NEHRING", "REP", "247"]]


# ------------------------------------------------ two columns set one space apart


def test_columns_one_space_apart_are_two_columns():
    # m27.pdf: licence numbers right-aligned one space left of the licence types, under
    # "NUMBER TYPE", and phone numbers one narrow gap left of the expiry dates: each pair
    # was read as one column ("LICENSE NUMBER TYPE", "648765 AAA")
    pdf = corpus("govreports", "camelot__m27.pdf")
    _, (table,) = extract_pdf(pdf, ExtractSettings(layout="never"), PROV)
    assert table.header_rows[-1] == ["LICENSE NUMBER", "TYPE", "DBA NAME", "LICENSEE NAME",
                                     "PREMISE ADDRESS", "CITY", "ST", "ZIP", "PHONE NUMBER",
                                     "EXPIRES"]
    assert table.rows[2] == ["82030", "AAA", "AMERICAN AIRLINES", "AMERICAN AIRLINES INC",
                             "7100 TERMINAL DRIVE", "OKLAHOMA CITY", "OK", "73159",
                             "(405) 680-3701", "2014/09/14"]


def test_numbers_flush_right_one_space_from_codes_flush_left_are_two_columns(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=792, height=612)
    size = 8.5
    space = pymupdf.get_text_length(" ", fontsize=size)
    num_right, code_left = 110, 110 + space
    _text(page, 40, 80, "NUMBER", size=size)
    _text(page, code_left, 80, "TYPE", size=size)
    _text(page, 170, 80, "NAME", size=size)
    _text(page, 300, 80, "PHONE NUMBER", size=size)
    _text(page, 420, 80, "CITY", size=size)
    _text(page, 500, 80, "ZIP", size=size)
    rows = [("648765", "AAA", "ALLEGIANT AIR", "(405) 680-3701", "TULSA", "74115"),
            ("82030", "AAA", "AMERICAN EAGLE", "(918) 831-6302", "NORMAN", "73069"),
            ("509462", "BAW", "AJANTA", "(405) 752-5283", "TULSA", "74133"),
            ("79145", "BAW", "BASHU LEGENDS", "(580) 323-5900", "CLINTON", "73601"),
            ("600941", "BAW", "DELTA AIR LINES", "(901) 348-4100", "SAYRE", "73662"),
            ("1522", "BAW", "BEDLAM BAR-B-Q", "(405) 528-7427", "OWASSO", "74055")]
    for i, (num, code, name, phone, city, zipcode) in enumerate(rows):
        y = 96 + 12 * i
        _text(page, num_right, y, num, size=size, align="right")
        _text(page, code_left, y, code, size=size)
        _text(page, 170, y, name, size=size)
        _text(page, 300, y, phone, size=size)
        _text(page, 420, y, city, size=size)
        _text(page, 500, y, zipcode, size=size)
    pdf = tmp_path / "one-space.pdf"
    doc.save(pdf)
    table = _one_table(pdf)
    # the phone numbers' two parts line up too, but one label stands across them
    assert table.header_rows == [["NUMBER", "TYPE", "NAME", "PHONE NUMBER", "CITY", "ZIP"]]
    assert table.rows == [list(r) for r in rows]


def test_a_column_of_ranges_under_a_range_label_stays_one_column(tmp_path):
    # every range as wide as the next, under "Low - High" set the same way: both ends of the
    # ranges are flush and the label has a word on each side of the space before the dash,
    # yet a range is one value
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    _text(page, 72, 100, "Grade")
    _text(page, 200, 100, "Low - High")
    _text(page, 330, 100, "Volume", align="right")
    rows = [("No. 1", "1.35 - 1.42", "120"), ("No. 2", "1.38 - 1.48", "95"),
            ("No. 3", "1.27 - 1.35", "310"), ("No. 4", "2.85 - 3.07", "42"),
            ("No. 5", "3.47 - 3.54", "18"), ("No. 6", "2.95 - 3.05", "7")]
    for i, (grade, prices, volume) in enumerate(rows):
        y = 114 + 12 * i
        _text(page, 72, y, grade)
        _text(page, 200, y, prices)
        _text(page, 330, y, volume, align="right")
    pdf = tmp_path / "range-label.pdf"
    doc.save(pdf)
    table = _one_table(pdf)
    assert table.header_rows == [["Grade", "Low - High", "Volume"]]
    assert table.rows == [list(r) for r in rows]
