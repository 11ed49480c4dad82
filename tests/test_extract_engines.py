"""Table engines: the default ``auto`` (ruled tables from lines, the others from text
alignment), ``pymupdf``, ``camelot-*``; and robustness on rotated pages and pages of charts."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest
from builders import PROV
from conftest import corpus

from abstab.extract import ExtractSettings, extract_pdf
from abstab.records import Table

pymupdf = pytest.importorskip("pymupdf")



def _save(doc, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    doc.save(path)
    return path


def _cell(table: Table, row: int, col: int):
    return next(c for c in table.cells if c.row == row and c.col == col)


def _rules(page, ys: list[float], x0: float, x1: float) -> None:
    shape = page.new_shape()
    for y in ys:
        shape.draw_line((x0, y), (x1, y))
    shape.finish(color=(0, 0, 0), width=0.6)
    shape.commit()


def _right(page, x_right: float, y: float, text: str, size: float = 9) -> None:
    """Text right-aligned at ``x_right`` (numbers in a statistical table)."""
    width = pymupdf.get_text_length(text, fontname="helv", fontsize=size)
    page.insert_text((x_right - width, y), text, fontsize=size)


def _statistical_table(page, y: float = 120) -> None:
    """A table without vertical rules: a rule above, one under the header, one at the bottom,
    a group label over two columns (with its spanner rule) and a section label in the stub."""
    page.insert_text((72, y - 14), "Table 4. Enrolment by sector, in thousands", fontsize=10)
    _rules(page, [y - 6], 72, 460)
    page.insert_text((296, y + 6), "Public schools", fontsize=9)
    _rules(page, [y + 9], 250, 400)
    page.insert_text((72, y + 20), "Year", fontsize=9)
    for x, label in ((330, "Primary"), (400, "Secondary"), (460, "Total")):
        _right(page, x, y + 20, label)
    _rules(page, [y + 25], 72, 460)
    rows = [("Actual", None), ("2019", ("1,204", "2,310", "3,514")),
            ("2020", ("1,187", "2,298", "3,485")), ("Projected", None),
            ("2021", ("1,175", "2,305", "3,480")), ("2022", ("1,160", "2,290", "3,450"))]
    yy = y + 38
    for stub, values in rows:
        page.insert_text((72, yy), stub, fontsize=9)
        for x, v in zip((330, 400, 460), values or (), strict=False):
            _right(page, x, yy, v)
        yy += 13
    _rules(page, [yy - 8], 72, 460)
    page.insert_text((72, yy + 6), "Source: a fictional survey.", fontsize=8)


# ------------------------------------------------------------------------------- auto


def test_auto_reads_a_table_without_vertical_rules(tmp_path):
    doc = pymupdf.open()
    _statistical_table(doc.new_page())
    _, (t,) = extract_pdf(_save(doc, tmp_path, "stat.pdf"), ExtractSettings(layout="never"),
                          PROV)
    assert t.engine == "auto"
    assert t.caption == "Table 4. Enrolment by sector, in thousands"
    assert t.n_header_rows == 2
    group = _cell(t, 0, 1)
    assert (group.text, group.col_span, group.header) == ("Public schools", 2, True)
    assert t.columns == ["Year", "Public schools / Primary", "Public schools / Secondary",
                         "Total"]
    assert t.rows == [["Actual", "", "", ""], ["2019", "1,204", "2,310", "3,514"],
                      ["2020", "1,187", "2,298", "3,485"], ["Projected", "", "", ""],
                      ["2021", "1,175", "2,305", "3,480"], ["2022", "1,160", "2,290", "3,450"]]
    (note,) = t.notes
    assert note.kind == "source"


def test_pymupdf_engine_is_still_the_plain_finder(tmp_path):
    doc = pymupdf.open()
    _statistical_table(doc.new_page())
    _, tables = extract_pdf(_save(doc, tmp_path, "stat.pdf"),
                            ExtractSettings(engine="pymupdf", layout="never"), PROV)
    assert tables == []  # no vertical rules: PyMuPDF's line finder sees no table


def test_a_table_of_contents_and_a_bar_chart_are_not_tables(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 60), "Contents", fontsize=14)
    for i, (title, pg) in enumerate([("Introduction", "1"), ("Methods", "4"), ("Results", "9"),
                                     ("Discussion", "15"), ("Annex", "22")]):
        page.insert_text((72, 90 + i * 14), title + " " + "." * 60, fontsize=9)
        _right(page, 460, 90 + i * 14, pg)
    # a bar chart: axis, gridlines, bars of different heights, value labels
    _rules(page, [400, 450, 500, 550], 100, 400)
    shape = page.new_shape()
    for i, h in enumerate((40, 95, 70, 120, 60)):
        shape.draw_rect(pymupdf.Rect(120 + i * 55, 550 - h, 150 + i * 55, 550))
    shape.finish(color=None, fill=(0.2, 0.4, 0.8))
    shape.commit()
    for i, v in enumerate(("40", "95", "70", "120", "60")):
        page.insert_text((125 + i * 55, 545 - (40, 95, 70, 120, 60)[i]), v, fontsize=8)
        page.insert_text((125 + i * 55, 562), f"Q{i + 1}", fontsize=8)
    page.insert_text((100, 580), "Figure 1: Quarterly sales", fontsize=9)
    _, tables = extract_pdf(_save(doc, tmp_path, "toc_chart.pdf"), ExtractSettings(), PROV)
    assert tables == []


def test_column_labels_boxed_apart_head_the_ruled_table_under_them(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    xs = [72, 160, 250, 340]
    labels = [("Offense", None), ("Max", "Term"), ("Min", "Term")]
    shape = page.new_shape()
    shape.draw_rect(pymupdf.Rect(72, 80, 340, 108))  # the header in a box of its own
    shape.finish(color=(0, 0, 0), width=0.8)
    shape.commit()
    for x, (a, b) in zip(xs, labels, strict=False):
        page.insert_text((x + 4, 92), a, fontsize=9)
        if b:
            page.insert_text((x + 4, 103), b, fontsize=9)
    rows = [["Assault", "10Y", "1Y"], ["Arson", "30Y", "5Y"], ["Fraud", "5Y", "-"]]
    shape = page.new_shape()
    for r in range(len(rows) + 1):
        shape.draw_line((xs[0], 120 + 16 * r), (xs[-1], 120 + 16 * r))
    for x in xs:
        shape.draw_line((x, 120), (x, 120 + 16 * len(rows)))
    shape.finish(color=(0, 0, 0), width=0.6)
    shape.commit()
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            page.insert_text((xs[c] + 4, 120 + 16 * r + 12), text, fontsize=9)
    _, (t,) = extract_pdf(_save(doc, tmp_path, "boxed_header.pdf"), ExtractSettings(), PROV)
    assert t.header_rows == [["Offense", "Max Term", "Min Term"]]
    assert t.rows == rows


def test_icdar_us024_unruled_table_with_spanner_rules():
    pdf = corpus("icdar2013", "competition-dataset-us", "us-024.pdf")
    _, tables = extract_pdf(pdf, ExtractSettings(max_pages=2, layout="never"), PROV)
    (t,) = tables
    assert t.engine == "auto" and t.pages == [2]
    assert t.n_header_rows == 3
    assert t.columns[:3] == ["Characteristic", "2007 / total occupied housing units",
                             "2007 / Inadequate housing units / no."]  # (small capitals)
    assert t.rows[1] == ["Male", "61,206", "2,862", "(4.7)", "Ref.", "—", "60,721", "2,962",
                         "(4.9)", "Ref.", "—"]
    # a stub label wrapped onto a second line is one cell
    assert ["American Indian/Alaska Native", "707", "51", "(7.2)", "1.8", "(1.0–3.5)", "730",
            "55", "(7.5)", "1.9", "(1.1–3.4)"] in t.rows


# ------------------------------------------------------------------------- robustness


def test_rotated_page_tables_are_in_displayed_coordinates(tmp_path):
    # a landscape page stored as a portrait one with /Rotate 90 (ICDAR eu-015): the content is
    # drawn turned, so that it reads horizontally once the page is displayed
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.set_rotation(90)
    m = page.derotation_matrix  # displayed → stored coordinates
    rows = [["Topic", "Enquiries"], ["Institutions", "3,597"], ["Member States", "1,847"],
            ["Employment", "1,783"]]
    xs, y0, h = [460, 650, 740], 90, 18  # on the right half of the displayed page
    shape = page.new_shape()
    for r in range(len(rows) + 1):
        shape.draw_line(pymupdf.Point(xs[0], y0 + r * h) * m, pymupdf.Point(xs[-1], y0 + r * h) * m)
    for x in xs:
        shape.draw_line(pymupdf.Point(x, y0) * m, pymupdf.Point(x, y0 + h * len(rows)) * m)
    shape.finish(color=(0, 0, 0), width=0.6)
    shape.commit()
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            page.insert_text(pymupdf.Point(xs[c] + 4, y0 + r * h + 13) * m, text, fontsize=9,
                             rotate=90)
    _, (t,) = extract_pdf(_save(doc, tmp_path, "rotated.pdf"), ExtractSettings(), PROV)
    assert t.header_rows == [rows[0]] and t.rows == rows[1:]
    x0, top, x1, bottom = t.bbox  # displayed page space: 842 wide, 595 high
    assert abs(x0 - 460) < 2 and abs(x1 - 740) < 2 and abs(top - 90) < 2 and abs(bottom - 162) < 2


def _chart_page(doc, n: int = 20_000) -> None:
    page = doc.new_page()
    rng = random.Random(7)
    shape = page.new_shape()
    for i in range(n):  # a scatter plot of tiny marks and strokes
        x, y = rng.uniform(60, 540), rng.uniform(300, 780)
        if i % 2:
            shape.draw_rect(pymupdf.Rect(x, y, x + 2, y + 2))
        else:
            shape.draw_line((x, y), (x + rng.uniform(-6, 6), y + rng.uniform(-6, 6)))
    shape.finish(color=(0.2, 0.2, 0.2), width=0.3)
    shape.commit()
    page.insert_text((72, 60), "Table 1: Flows", fontsize=10)
    shape = page.new_shape()  # a small ruled table above the plot
    for r in range(4):
        shape.draw_line((72, 80 + 16 * r), (300, 80 + 16 * r))
    for x in (72, 180, 300):
        shape.draw_line((x, 80), (x, 128))
    shape.finish(color=(0, 0, 0), width=0.6)
    shape.commit()
    for r, (a, b) in enumerate((("Site", "Flow"), ("North", "12.5"), ("South", "7.25"))):
        page.insert_text((76, 92 + 16 * r), a, fontsize=9)
        page.insert_text((184, 92 + 16 * r), b, fontsize=9)


@pytest.fixture(scope="module")
def scatter_pdf(tmp_path_factory) -> Path:
    doc = pymupdf.open()
    _chart_page(doc)
    return _save(doc, tmp_path_factory.mktemp("scatter"), "scatter.pdf")


def test_a_page_of_20000_drawings_is_capped(scatter_pdf, caplog):
    path = scatter_pdf
    with caplog.at_level(logging.WARNING, logger="abstab.extract"):
        _, (t,) = extract_pdf(path, ExtractSettings(), PROV)
    assert t.rows == [["North", "12.5"], ["South", "7.25"]]
    assert t.quality.confidence <= 0.5  # found with capped drawings: trusted less
    (record,) = [r for r in caplog.records if "max_drawings=5000" in r.getMessage()]
    assert "20008 drawings: only the 8 rule-like ones kept" in record.getMessage()
    # a lower cap: the page's content alone is too long to read its drawings at all
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="abstab.extract"):
        _, tables = extract_pdf(path, ExtractSettings(max_drawings=3), PROV)
    assert tables == []
    (record,) = caplog.records
    assert record.getMessage().endswith(
        "KB of page content: drawings not read (more than max_drawings=3)")


def test_a_page_of_20000_drawings_finishes_within_the_stage_timeout(scatter_pdf, tmp_path):
    from abstab.stages.extract import ExtractStage

    settings = {"inputs": [str(scatter_pdf)], "timeout": 60}
    report = ExtractStage(tmp_path / "work", settings).run()
    assert (report.status, report.failures) == ("ran", 0)  # no "timeout", no "crash"
    assert report.stats["kept"] == 1 and report.stats["counts"]["tables"] == 1


# ---------------------------------------------------------------------------- camelot


def test_camelot_engine_without_camelot_names_the_extra(monkeypatch):
    import sys

    from abstab.errors import ConfigError
    from abstab.extract.camelot_engine import _camelot

    monkeypatch.setitem(sys.modules, "camelot", None)  # import camelot → ImportError
    with pytest.raises(ConfigError) as exc:
        _camelot()
    assert str(exc.value) == ("the camelot engines need camelot-py: pip install "
                              "'abstab[camelot]' (or use --engine auto)")


def test_camelot_engines_give_grids_read_from_the_page(tmp_path):
    pytest.importorskip("camelot")
    from abstab.registry import engines

    assert {"auto", "pymupdf", "camelot-lattice", "camelot-stream"} <= set(engines.names())
    pdf = corpus("icdar2013", "competition-dataset-eu", "eu-001.pdf")
    _, tables = extract_pdf(pdf, ExtractSettings(engine="camelot-lattice", max_pages=1), PROV)
    assert [t.engine for t in tables] == ["camelot-lattice"] * 3
    t2 = tables[1]
    assert t2.header_rows[0][1:] == ["THRESHOLD FOR RELEASES"] * 3  # merged cell rebuilt
    assert ["Chlorine and inorganic compounds (as HCl)", "10 000", "-", "-"] in t2.rows
    doc = pymupdf.open()
    _statistical_table(doc.new_page())
    _, tables = extract_pdf(_save(doc, tmp_path, "stat.pdf"),
                            ExtractSettings(engine="camelot-stream"), PROV)
    assert tables and tables[0].engine == "camelot-stream"
    assert any(r[-1] == "3,514" for t in tables for r in t.rows)
