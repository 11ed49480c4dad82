"""abstab.extract: PDFs → Document and Table records, checked cell by cell on real PDFs."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
from builders import PROV
from conftest import CORPORA, REPO, SAMPLE_PDFS, corpus

from abstab.errors import ConfigError, InputError, UnknownNameError
from abstab.extract import ExtractSettings, extract_pdf
from abstab.records import Document, Table

pymupdf = pytest.importorskip("pymupdf")

GOLD = REPO / "datasets" / "sample" / "gold.json"


@cache
def _extract(path: str, **settings: object) -> tuple[Document, list[Table]]:
    return extract_pdf(Path(path), ExtractSettings.resolve(dict(settings)), PROV)


def extract(path: Path, **settings: object) -> tuple[Document, list[Table]]:
    return _extract(str(path), **settings)


def sample(name: str) -> Path:
    path = SAMPLE_PDFS / name
    if not path.exists():
        pytest.skip(f"sample corpus not generated yet: {path}")
    return path


def needs_layout_model() -> None:
    """Tables without vertical rules are found by PyMuPDF's layout model (pymupdf-layout)."""
    if getattr(pymupdf, "_get_layout", None) is None:
        pytest.skip("PyMuPDF's layout model (package pymupdf-layout) is not installed")


def cell(table: Table, row: int, col: int):
    return next(c for c in table.cells if c.row == row and c.col == col)


def kinds(doc: Document) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in doc.blocks]


# ------------------------------------------------------------------------- bad inputs


def _text_pdf(path: Path, pages: int = 1) -> Path:
    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page()
        page.insert_text((72, 72), f"Page {i + 1} has a text layer.", fontsize=11)
    doc.save(path)
    return path


def _image_page(doc) -> None:
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 60, 80), False)
    pix.clear_with(200)
    page.insert_image(page.rect, pixmap=pix)


def _input_error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        extract_pdf(path, ExtractSettings(), PROV)
    err = info.value
    assert err.path == str(path)
    assert str(path) in str(err)
    return err


def test_missing_file(tmp_path):
    err = _input_error(tmp_path / "nope.pdf")
    assert err.reason == "not_found"
    assert "check the path" in str(err)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    err = _input_error(path)
    assert err.reason == "empty_file"
    assert "0 bytes" in str(err)


def test_text_file_named_pdf(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_text("these are meeting notes, not a PDF\n")
    err = _input_error(path)
    assert err.reason == "not_pdf"
    assert "a text file" in str(err) and "convert the file to PDF" in str(err)


def test_truncated_pdf(tmp_path):
    full = _text_pdf(tmp_path / "full.pdf", pages=3).read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(full[: len(full) // 2])
    err = _input_error(path)
    assert err.reason == "damaged"
    assert "qpdf" in str(err)


def test_encrypted_pdf(tmp_path):
    doc = pymupdf.open(_text_pdf(tmp_path / "plain.pdf"))
    path = tmp_path / "locked.pdf"
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="user", owner_pw="owner")
    err = _input_error(path)
    assert err.reason == "encrypted"
    assert "--decrypt" in str(err)


def test_scanned_pdf_has_no_text_layer(tmp_path):
    doc = pymupdf.open()
    _image_page(doc)
    _image_page(doc)
    path = tmp_path / "scan.pdf"
    doc.save(path)
    err = _input_error(path)
    assert err.reason == "no_text_layer"
    assert "every page is a scanned image" in str(err) and "ocrmypdf" in str(err)


def test_partly_scanned_pdf_lists_scanned_pages(tmp_path):
    doc = pymupdf.open(_text_pdf(tmp_path / "one.pdf"))
    _image_page(doc)
    path = tmp_path / "mixed.pdf"
    doc.save(path)
    document, tables = extract_pdf(path, ExtractSettings(), PROV)
    assert document.scanned_pages == [2]
    assert document.pages == 2
    assert [b.text for b in document.blocks] == ["Page 1 has a text layer."]
    assert tables == []


# --------------------------------------------------------------------------- settings


def test_settings_validate_and_resolve():
    s = ExtractSettings.resolve({"layout": "never", "nearby_words": 50})
    assert (s.engine, s.layout, s.nearby_words) == ("auto", "never", 50)
    assert ExtractSettings.resolve(s) is s
    with pytest.raises(ConfigError, match="layout='sometimes' is not valid; use one of never"):
        ExtractSettings(layout="sometimes")
    with pytest.raises(ConfigError, match="unknown extract setting"):
        ExtractSettings.resolve({"engin": "pymupdf"})
    with pytest.raises(ConfigError, match="max_empty_ratio=2"):
        ExtractSettings(max_empty_ratio=2)
    with pytest.raises(UnknownNameError, match="Did you mean 'pymupdf'"):
        ExtractSettings(engine="pymupfd")


def test_engine_is_registered_and_import_is_cheap():
    from abstab.extract.engines import PyMuPDFEngine, TableEngine
    from abstab.registry import engines

    assert engines.get("pymupdf") is PyMuPDFEngine
    assert issubclass(PyMuPDFEngine, TableEngine)
    code = ("import sys, abstab.extract; "
            "print(sorted(m for m in ('pymupdf', 'fitz', 'onnxruntime') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_tables_do_not_depend_on_what_the_process_read_before():
    """PyMuPDF's layout model leaves a process-wide text setting changed (quad corrections);
    a worker that ran it on an earlier file must still read the next file the same way."""
    path = sample("river_quality.pdf")
    clean = extract_pdf(path, ExtractSettings.resolve({}), PROV)[1]
    pymupdf.TOOLS.unset_quad_corrections(True)  # the state the layout model leaves behind
    try:
        after = extract_pdf(path, ExtractSettings.resolve({}), PROV)[1]
    finally:
        pymupdf.TOOLS.unset_quad_corrections(False)
    assert [t.model_dump() for t in after] == [t.model_dump() for t in clean]
    assert clean[1].bbox == [74.3, 205.2, 282.6, 319.3]


# ------------------------------------------------------------------ the sample corpus


def test_pump_reliability_cells_header_and_footnote():
    doc, tables = extract(sample("pump_reliability.pdf"))
    assert doc.doc_id == doc.sha256[:16] and len(doc.sha256) == 64
    assert doc.title == "Booster Pump Fleet Reliability Review, Financial Year 2023"
    t1, t2 = tables
    assert t1.table_id == f"{doc.doc_id}:t0" and t1.pages == [1] and t1.engine == "auto"
    assert t1.caption == "Table 1: Failure statistics by pump model, FY2023"
    assert t1.n_header_rows == 1
    assert t1.header_rows == [["Pump model", "Units", "MTBF", "MTTR*", "Fail.", "Avail."]]
    assert t1.columns == ["Pump model", "Units", "MTBF", "MTTR*", "Fail.", "Avail."]
    assert t1.rows[0] == ["Kestrel K-200", "14", "2,310", "9.1", "52", "98.1"]
    assert t1.rows[-1] == ["Marlow M-15", "6", "1,980", "11.5", "26", "97.6"]
    assert cell(t1, 0, 3).header and not cell(t1, 1, 3).header
    (note,) = t1.notes
    assert (note.kind, note.marker, note.targets) == ("footnote", "*", [[0, 3]])
    assert note.text == ("MTTR: mean time to repair, in hours, including waiting time for "
                         "spare parts.")
    block = next(b for b in doc.blocks if b.block_id == note.block_id)
    assert block.kind == "footnote"
    assert t2.rows[-1] == ["All modes", "451.0", "377.0", "287.0", "1,115.0"]
    assert t2.quality.rows == 8 and t2.quality.cols == 5
    assert t2.quality.empty_ratio == 0.0 and t2.quality.numeric_header_ratio == 0.0
    assert 0.8 <= t2.quality.confidence <= 1.0


def test_pump_reliability_blocks():
    doc, tables = extract(sample("pump_reliability.pdf"))
    ks = kinds(doc)
    assert ks[0] == ("running_header",
                     "Eastmere Water Services | Pump Fleet Reliability FY2023 Report AM-2024-07")
    assert ks[-1][0] == "running_footer" and ks[-1][1].endswith("Page 1 of 1")
    assert ("heading", "2 Reliability by pump model") in ks
    assert ("caption", "Table 1: Failure statistics by pump model, FY2023") in ks
    para = next(b for b in doc.blocks if b.text.startswith("Mean time between failures"))
    assert para.kind == "paragraph"
    assert para.section == ["Booster Pump Fleet Reliability Review, Financial Year 2023",
                            "2 Reliability by pump model"]
    assert [b.order for b in doc.blocks] == list(range(len(doc.blocks)))
    assert all(b.block_id == f"{doc.doc_id}:b{b.order}" for b in doc.blocks)
    for b in doc.blocks:
        assert doc.text[b.char_start:b.char_end] == b.text
    # table text is carried by the tables, not by blocks
    assert not any("2,310" in b.text or "Heron HX-40" in b.text for b in doc.blocks)
    # nearby text: the paragraph of the table's section, not the next section's
    t1 = tables[0]
    assert t1.nearby_block_ids == [para.block_id]
    assert t1.nearby_text == para.text


def test_river_quality_minus_signs_legends_booktabs_and_figure():
    needs_layout_model()  # Table 3 has horizontal rules only
    doc, tables = extract(sample("river_quality.pdf"))
    assert [t.caption for t in tables] == [
        "Table 1: Gauged stations, catchment area and flow statistics, 2023 (flows in m³/s)",
        "Table 2: Annual mean water quality by station, 2023",
        "Table 3: Nutrient concentrations at selected stations, 2023 (mg/L)",
    ]  # Figure 1 (boxes and arrows) is not a table
    t2 = tables[1]
    assert t2.rows[0] == ["Upper Harrow", "10.4", "1.2", "10.8", "−0.3"]  # U+2212 kept
    legends = [(n.kind, n.marker, n.text, n.targets) for n in t2.notes]
    assert legends == [
        ("legend", "DO", "DO = dissolved oxygen (mg/L)", [[0, 1]]),
        ("legend", "BOD", "BOD = five-day biochemical oxygen demand (mg/L)", [[0, 2]]),
        ("legend", "Temp.", "Temp. = mean water temperature (°C)", [[0, 3]]),
    ]
    t3 = tables[2]  # horizontal rules only
    assert t3.header_rows == [["Station", "Samples", "Total nitrogen", "Total phosphorus"]]
    assert t3.rows[0] == ["Upper Harrow", "11", "1.84", "0.041"]
    running = [(b.page, b.kind) for b in doc.blocks
               if b.kind in ("running_header", "running_footer")]
    assert running == [(1, "running_header"), (1, "running_footer"),
                       (2, "running_header"), (2, "running_footer")]
    assert ("caption", "Figure 1: Sampling workflow from field collection to reporting") \
        in kinds(doc)


def test_cohort_survey_superscript_marker_and_hyphen_minus():
    _, (t,) = extract(sample("cohort_survey.pdf"))
    assert t.header_rows == [["School", "C1", "C2", "C3", "σ", "Resp.", "%Δ¹"]]
    assert t.rows[0] == ["Ashgrove Academy", "61.2", "63.5", "66.9", "14.2", "241", "-2.4"]
    notes = {(n.kind, n.marker): n for n in t.notes}
    assert notes[("legend", "Resp.")].targets == [[0, 5]]
    footnote = notes[("footnote", "1")]
    assert footnote.targets == [[0, 6]]
    assert footnote.text.startswith("Change in the school's all-cohort mean score")


def test_municipal_budget_two_row_header():
    _, (t1, t2) = extract(sample("municipal_budget.pdf"))
    assert t1.n_header_rows == 2
    assert t1.header_rows == [["Department", "2022", "2022", "2023", "2023"],
                              ["Department", "Plan", "Actual", "Plan", "Actual"]]
    assert t1.columns == ["Department", "2022 / Plan", "2022 / Actual", "2023 / Plan",
                          "2023 / Actual"]
    year = cell(t1, 0, 1)
    assert (year.text, year.row_span, year.col_span, year.header) == ("2022", 1, 2, True)
    dept = cell(t1, 0, 0)
    assert (dept.text, dept.row_span, dept.col_span) == ("Department", 2, 1)
    assert t1.rows[0] == ["Roads and Transport", "12,450", "12,910", "13,100", "12,760"]
    assert t2.rows[1] == ["Northgate school extension", "2,950", "3,080", "−130", "A"]
    (note,) = t2.notes
    assert (note.marker, note.targets) == ("*", [[0, 3]])


def test_sample_gold():
    if not GOLD.exists():
        pytest.skip("sample gold.json not generated yet")
    needs_layout_model()
    gold = json.loads(GOLD.read_text())
    for entry in gold["documents"]:
        doc, tables = extract(REPO / "datasets" / "sample" / entry["file"])
        assert doc.title == entry["title"]
        flat = " ".join(doc.text.split())
        for fact in entry["text_facts"]:
            assert " ".join(fact["sentence"].split()) in flat, fact["sentence"]
        gold_tables = [t for t in entry["tables"] if t["kind"] == "table"]
        assert len(tables) == len(gold_tables), entry["file"]  # figures are not tables
        for g, t in zip(gold_tables, tables):
            assert t.caption == g["caption"]
            assert t.pages[0] == g["page"]
            assert t.header_rows == g["header_rows"]
            assert [r[0] for r in t.rows] == g["row_keys"]
            for h in g["headers"]:
                (header,) = [c for c in t.cells
                             if c.header and c.col == h["column"] and c.text == h["header"]]
                if h["explained_by"] not in ("legend", "footnote"):
                    continue
                hits = [n for n in t.notes if [header.row, header.col] in n.targets]
                assert len(hits) == 1, (entry["file"], h["header"])
                assert hits[0].kind == h["explained_by"]
                assert hits[0].text in h["evidence"]


# ------------------------------------------------------------------ synthetic layouts


def _ruled_table(page, x0: float, y0: float, widths: list[float], row_h: float,
                 rows: list[list[str]]) -> float:
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    y1 = y0 + row_h * len(rows)
    shape = page.new_shape()
    for r in range(len(rows) + 1):
        shape.draw_line((xs[0], y0 + r * row_h), (xs[-1], y0 + r * row_h))
    for x in xs:
        shape.draw_line((x, y0), (x, y1))
    shape.finish(color=(0, 0, 0), width=0.6)
    shape.commit()
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            page.insert_text((xs[c] + 3, y0 + (r + 1) * row_h - 4), text, fontsize=9)
    return y1


def test_table_continued_on_next_page_is_one_record(tmp_path):
    doc = pymupdf.open()
    header = ["Site", "Q (m3/s)", "T (C)"]
    body = [[f"Site {i}", f"{i}.5", f"-{i}.25"] for i in range(1, 23)]
    p1 = doc.new_page()
    p1.insert_text((72, 60), "Monitoring report", fontsize=8)
    p1.insert_text((72, 100), "The sites and the flows measured in 2024.", fontsize=10)
    p1.insert_text((72, 430), "Table 1: Flows by site", fontsize=10)
    _ruled_table(p1, 72, 440, [150, 100, 100], 16, [header] + body[:20])
    p2 = doc.new_page()
    p2.insert_text((72, 60), "Monitoring report", fontsize=8)
    y = _ruled_table(p2, 72, 80, [150, 100, 100], 16, [header] + body[20:])  # header repeated
    p2.insert_text((72, y + 40), "A paragraph closes the section.", fontsize=10)
    path = tmp_path / "continued.pdf"
    doc.save(path)
    document, (table,) = extract_pdf(path, ExtractSettings(), PROV)
    assert table.pages == [1, 2]
    assert [c.page for c in table.cells if c.text in ("Site 20", "Site 21")] == [1, 2]
    assert table.caption == "Table 1: Flows by site"
    assert table.header_rows == [header]
    assert table.rows == body
    assert [b.kind for b in document.blocks] == [
        "running_header", "paragraph", "caption", "running_header", "paragraph"]
    assert table.nearby_text == ("The sites and the flows measured in 2024.\n\n"
                                 "A paragraph closes the section.")


def test_two_columns_are_read_column_by_column(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 60), "Two-column report", fontsize=16)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    for col, x in enumerate((72, 320)):
        for para in range(3):
            y = 110 + para * 90
            for line in range(4):
                text = " ".join(f"{w}{col}{para}" for w in words[line:line + 4])
                page.insert_text((x, y + line * 13), text, fontsize=10)
    path = tmp_path / "columns.pdf"
    doc.save(path)
    document, _ = extract_pdf(path, ExtractSettings(), PROV)
    body = [b for b in document.blocks if b.kind == "paragraph"]
    assert [b.text.split()[0] for b in body] == [
        "alpha00", "alpha01", "alpha02", "alpha10", "alpha11", "alpha12"]
    assert document.blocks[0].kind == "heading"
    assert all(b.section == ["Two-column report"] for b in body)


# ------------------------------------------------------------------- shared corpora


def _icdar_cells(xml: Path) -> list[list[str]]:
    tables = []
    for table in ET.parse(xml).getroot().iter("table"):
        tables.append([" ".join((c.findtext("content") or "").split())
                       for c in table.iter("cell")])
    return tables


def test_icdar_eu001_against_ground_truth():
    pdf = corpus("icdar2013", "competition-dataset-eu", "eu-001.pdf")
    truth = _icdar_cells(pdf.with_name("eu-001-str.xml"))
    _, tables = extract(pdf)
    assert len(tables) == len(truth) == 7
    found = total = 0
    for t, cells in zip(tables, truth):
        ours = {" ".join(c.text.split()) for c in t.cells}
        found += sum(1 for c in cells if c in ours)
        total += len(cells)
    assert found / total >= 0.95
    t2 = tables[1]
    assert t2.header_rows[0] == ["", "THRESHOLD FOR RELEASES", "THRESHOLD FOR RELEASES",
                                 "THRESHOLD FOR RELEASES"]
    assert t2.columns[1:] == ["THRESHOLD FOR RELEASES / to air kg/year",
                              "THRESHOLD FOR RELEASES / to water kg/year",
                              "THRESHOLD FOR RELEASES / to land kg/year"]
    # a label wrapped onto a second ruled row is joined, values are not duplicated
    assert ["Chlorine and inorganic compounds (as HCl)", "10 000", "-", "-"] in t2.rows
    assert tables[0].rows[0] == ["Carbon dioxide (CO2)", "100 million", "-", "-"]


def test_nics_stacked_rows_spread_headers_and_footnotes():
    doc, (t,) = extract(corpus("govreports", "pdfplumber__nics-background-checks-2015-11.pdf"))
    assert t.caption == "NICS Firearm Background Checks November - 2015"  # the title row
    assert t.quality.cols == 25 and t.n_header_rows == 2
    assert t.header_rows[1][:7] == ["State / Territory", "Permit", "Handgun", "Long Gun",
                                    "*Other", "**Multiple", "Admin"]
    assert t.columns[7:10] == ["Pre-Pawn / Handgun", "Pre-Pawn / Long Gun", "Pre-Pawn / *Other"]
    assert t.columns[16:18] == ["Rentals / Handgun", "Rentals / Long Gun"]
    # five states per ruled band are five rows
    assert [r[0] for r in t.rows[:6]] == ["Alabama", "Alaska", "Arizona", "Arkansas",
                                          "California", "Colorado"]
    assert t.rows[0][:4] == ["Alabama", "18,870", "23,022", "22,650"]
    assert t.rows[-1][0] == "Totals" and t.rows[-1][-1] == "2,236,457"
    assert len(t.rows) == 56  # 55 states and territories, then Totals
    other, multiple = t.notes
    assert (other.kind, other.marker) == ("footnote", "*")
    assert other.text.startswith("Refers to frames, receivers and other firearms")
    assert other.targets == [[0, 4], [1, 9], [1, 12], [1, 15], [1, 20], [1, 23]]
    assert (multiple.marker, multiple.text, multiple.targets) == (
        "**", "Multiple (multiple types of firearms selected)", [[0, 5]])
    assert ("page_number", "Page 1 of 205") in kinds(doc)
    assert any(b.text.startswith("Some states may reflect") and b.kind == "paragraph"
               for b in doc.blocks)


def test_superscript_markers_decimals_and_numbering_row():
    needs_layout_model()  # no vertical rules
    doc, (t,) = extract(corpus("govreports", "camelot__superscript.pdf"))
    assert t.caption.startswith(
        "TABLE 125: STATE-WISE COMPOSITION OF OUTSTANDING LIABILITIES - 1997 (Contd.)")
    assert t.n_header_rows == 2
    assert t.header_rows[1][:3] == ["1", "2= (3 to 6)+14", "3"]  # the column-number row
    assert t.columns[:3] == ["States", "Total Internal Debt", "Market Loans"]
    assert t.columns[9] == "Loans from SBI & Other Banks"
    rows = {r[0]: r for r in t.rows}
    assert rows["Kerala"][2] == "24.91²"  # footnote marker kept apart from the number
    assert rows["Bihar"][5] == "-1.42"
    assert rows["ALL STATES"][1] == "513.38"
    (note,) = t.notes
    assert note.marker == "2" and note.text.startswith("Includes")
    assert next(b for b in doc.blocks if b.block_id == note.block_id).kind == "footnote"
    assert ("page_number", "445") in kinds(doc)


def test_column_span_headers_and_title_row():
    _, (t,) = extract(corpus("govreports", "camelot__column_span_1.pdf"))
    assert t.caption == ("Rate of Accidental Deaths & Suicides and Population Growth During "
                         "1967 to 2013")
    assert t.n_header_rows == 3
    deaths = cell(t, 0, 3)
    assert (deaths.text, deaths.col_span, deaths.header) == ("Accidental Deaths", 2, True)
    assert t.columns == ["Sl. No.", "Year", "Population (in Lakh)",
                         "Accidental Deaths / Incidence", "Accidental Deaths / Rate",
                         "Suicides / Incidence", "Suicides / Rate",
                         "Percentage Population growth"]
    assert t.header_rows[2] == ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)"]
    assert t.rows[0] == ["1.", "1967", "4999", "126762", "25.4", "38829", "7.8", "2.2"]
    assert t.rows[-1] == ["47.", "2013", "12288", "400517", "32.6", "134799", "11.0", "1.0"]


def test_unruled_columns_inside_a_ruled_frame_are_split():
    # eu-026: one ruled cell holds "344  75.2  12196  17.4%" for three stacked answers
    _, tables = extract(corpus("icdar2013", "competition-dataset-eu", "eu-026.pdf"))
    t0, t1, _ = tables
    assert t0.header_rows == [["", "Freq.", "Percent", "Mean Loss", "Fraction of Wealth Lost"]]
    assert t0.rows[:3] == [["I/we kept the assets", "344", "75.2", "12196", "17.4%"],
                           ["I/we sold some of the assets", "53", "11.6", "23518", "22.5%"],
                           ["I/we sold all of them", "61", "13.2", "9187", "22.5%"]]
    assert t1.columns == ["no. of correct answers", "Freq.", "Percent", "Cum."]
    assert t1.rows[0] == ["0", "138", "6.9", "6.9"]


def test_light_chars_leave_find_tables_unchanged():
    from abstab.extract.engines import _light_chars

    pdf = corpus("icdar2013", "competition-dataset-eu", "eu-001.pdf")
    page = pymupdf.open(pdf)[0]
    plain = [(t.bbox, t.cells) for t in page.find_tables(use_layout=False).tables]
    with _light_chars():
        light = [(t.bbox, t.cells) for t in page.find_tables(use_layout=False).tables]
    assert light == plain and len(plain) == 3


def test_corpora_location_is_beside_the_repo():
    assert CORPORA == REPO.parent / "shared" / "corpora"
