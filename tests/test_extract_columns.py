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
