"""The parser axis of `abstab bench --tables-from`: gold vs parsed tables, attribution, readers of
other tools' tables (Markdown, HTML, docling JSON) and hostile table folders."""

import json
import re
import shutil
from pathlib import Path

import pytest
from builders import split_wtq_workspace, tiny_wtq
from click.testing import CliRunner
from conftest import corpus

from abstab.bench.parsed import (
    MAX_FILE_BYTES,
    TableDirError,
    parse_docling,
    parse_html,
    parse_markdown,
)
from abstab.cli import cli
from abstab.records import Provenance, Table
from abstab.stages.assemble import AssembleStage
from abstab.stages.ingest import ControlledStage, IngestStage
from abstab.store import read_kind

PROV = Provenance(stage="test", abstab_version="0", config_hash="0", engine="test")


@pytest.fixture(scope="module")
def gold_work(tmp_path_factory):
    """A tiny controlled WTQ workspace (3 rendered PDFs), benched over its gold tables."""
    root = tmp_path_factory.mktemp("wtq")
    tiny_wtq(root)
    work = tmp_path_factory.mktemp("work") / "work"
    IngestStage(work, {"source": "wtq", "inputs": [str(root)], "styles": ["acronym"],
                       "explanations": ["explicit"], "max_targets_per_table": 1,
                       "lookup_questions": 1}).run()
    ControlledStage(work, {}).run()
    AssembleStage(work, {}).run()
    return work


def _copy(work: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "work"
    shutil.copytree(work, dest, ignore=shutil.ignore_patterns("bench"))
    # Rendered PDFs are recorded by path: point the copy's documents at its own PDFs.
    docs = dest / "ingest" / "documents.jsonl"
    docs.write_text(docs.read_text().replace(str(work), str(dest)))
    return dest


def _rows(path: Path) -> dict[str, dict]:
    return {r["item_id"]: r for r in map(json.loads, path.read_text().splitlines())}


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>()#+\-.!|~&])", r"\\\1", text)


def write_markdown(table: Table, folder: Path) -> None:
    """``table`` as DIR/<doc_id>/page-<N>.md: caption, then a pipe table whose header cells
    below the first row are bold."""
    grid = [["" for _ in range(table.quality.cols)] for _ in range(table.quality.rows)]
    head = [[False] * table.quality.cols for _ in range(table.quality.rows)]
    for c in table.cells:
        grid[c.row][c.col], head[c.row][c.col] = c.text, c.header
    lines = [_escape(table.caption), ""] if table.caption else []
    for r, row in enumerate(grid):
        cells = [f"**{_escape(x)}**" if head[r][c] and r and x else _escape(x)
                 for c, x in enumerate(row)]
        lines.append("| " + " | ".join(cells) + " |")
        if r == 0:
            lines.append("|" + "---|" * len(row))
    out = folder / table.doc_id / f"page-{table.pages[0]}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_markdown_folder_of_the_gold_tables_scores_exactly_as_gold(gold_work, tmp_path):
    work = _copy(gold_work, tmp_path)
    tables = list(read_kind(work, "tables"))
    assert len(tables) == 2
    for t in tables:
        write_markdown(t, tmp_path / "md")
    r = CliRunner().invoke(cli, ["bench", str(work), "-s", "table,oracle", "--no-plots",
                                 "--tables-from", str(tmp_path / "md")])
    assert r.exit_code == 0, r.output
    bench = work / "bench"
    for system in ("table", "oracle"):
        gold = _rows(bench / f"{system}-rules" / "scores.jsonl")
        parsed = _rows(bench / f"{system}-rules@md" / "scores.jsonl")
        assert {i: s["metrics"] for i, s in parsed.items()} == \
            {i: s["metrics"] for i, s in gold.items()}
        assert {s["tables_from"] for s in parsed.values()} == {"md"}
        assert {s["attribution"] for s in parsed.values() if s["correct"]} == {None}
        answers = _rows(bench / f"{system}-rules@md" / "predictions.jsonl")
        assert {i: p["answer"] for i, p in answers.items()} == \
            {i: p["answer"] for i, p in _rows(bench / f"{system}-rules" /
                                                "predictions.jsonl").items()}
    results = json.loads((bench / "results.json").read_text())
    assert list(results["systems"]) == ["table-gold", "oracle-gold", "table-md", "oracle-md"]
    assert results["systems"]["oracle-md"]["parsing"] == {
        "tables_from": "md", "items": 3, "gold": 1.0, "parsed": 1.0, "drop": 0.0,
        "parsing_failures": 0, "reading_failures": 0, "parsed_only": 0}
    assert "| oracle | 1.00 | 1.00 (+0.00; 0) |" in r.output
    assert "| oracle-md | oracle | rules | rules-v3 | json | – | – | md | " \
        in r.output


def test_tables_from_pymupdf_attributes_failures_to_parsing(gold_work, tmp_path):
    import pymupdf

    work = _copy(gold_work, tmp_path)
    docs = list(read_kind(work, "documents"))
    # One PDF loses its table: its words are there, but no table is drawn (a parser sees none).
    blank = min(docs, key=lambda d: d.doc_id)
    pdf = pymupdf.open()
    pdf.new_page().insert_text((72, 72), "Table 1. This page lost its table.")
    pdf.save(blank.source)
    args = ["bench", str(work), "-s", "table,oracle", "--no-plots", "--tables-from", "pymupdf"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert "note: pymupdf: extracted 2 PDF(s) into" in r.output
    bench = work / "bench"
    items = {i.item_id: i for i in read_kind(work, "dataset_items")}
    for system in ("table", "oracle"):
        parsed = _rows(bench / f"{system}-rules@pymupdf" / "scores.jsonl")
        gold = _rows(bench / f"{system}-rules" / "scores.jsonl")
        got = {i: (s["gold_correct"], s["correct"], s["attribution"]) for i, s in parsed.items()}
        expected = {i: (g["correct"],
                        g["correct"] and items[i].doc_id != blank.doc_id,
                        None if g["correct"] and items[i].doc_id != blank.doc_id
                        else "parsing" if g["correct"] else "reading")
                    for i, g in gold.items()}
        assert got == expected
    oracle = json.loads((bench / "results.json").read_text())["systems"]["oracle-pymupdf"]
    assert oracle["parsing"] == {"tables_from": "pymupdf", "items": 3, "gold": 1.0,
                                 "parsed": 0.6667, "drop": 0.3333, "parsing_failures": 1,
                                 "reading_failures": 0, "parsed_only": 0}
    # A rerun extracts nothing again.
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert "extracted" not in again.output


def test_a_dataset_without_pdfs_is_exit_2_naming_the_fix(tmp_path):
    d = tmp_path / "wtq"
    tiny_wtq(d)
    r = CliRunner().invoke(cli, ["bench", str(d), "-s", "table", "--no-plots", "-o",
                                 str(tmp_path / "b"), "--tables-from", "pymupdf"])
    assert r.exit_code == 2
    assert f"{d}: the wtq has no PDFs; --tables-from pymupdf reads tables from each " \
           "document's PDF" in r.output
    r = CliRunner().invoke(cli, ["bench", str(d), "-s", "table", "--no-plots", "-o",
                                 str(tmp_path / "b"), "--tables-from", "nope"])
    assert r.exit_code == 2
    assert "--tables-from nope: neither an extraction engine (auto, camelot-lattice, camelot-stream, " \
           "pymupdf) nor a folder of tables" in r.output


def test_docling_json_export_is_read_to_exact_cells():
    path = corpus("govreports", "docling__redp5110_sampled.groundtruth.json")
    tables = parse_docling(path.read_text(encoding="utf-8"), str(path), "d", PROV)
    assert [(t.pages, t.n_header_rows, t.quality.rows, t.quality.cols) for t in tables] == [
        ([2], 0, 42, 2), ([8], 1, 5, 3), ([8], 0, 3, 2), ([9], 0, 13, 6), ([11], 1, 4, 2),
        ([12], 1, 10, 3)]
    t = tables[1]
    assert t.caption == "Table 2-1   FUNCTION_USAGE view"
    assert t.header_rows == [["Column name", "Data type", "Description"]]
    assert t.rows[0] == ["FUNCTION_ID", "VARCHAR(30)", "ID of the function."]
    assert t.rows[-1][:2] == ["USER_TYPE", "VARCHAR(5)"]


def test_markdown_and_html_conventions():
    md = ("Table 3. Flows\n\n| | Q | ΔT |\n|---|---|---|\n| | **m³/s** | **K** |\n"
          "| **Site A** | 412 | 3\\|4 |\n| | 7 | |\n")
    (t,) = parse_markdown(md, "x.md", "d", 2, PROV)
    assert (t.caption, t.pages, t.n_header_rows) == ("Table 3. Flows", [2], 2)
    assert t.header_rows == [["", "Q", "ΔT"], ["", "m³/s", "K"]]
    assert t.rows == [["Site A", "412", "3|4"], ["", "7", ""]]
    assert [c.header for c in t.cells if c.row >= 2 and c.col == 0] == [True, True]
    html = ("<html><body><script>document.write('<table><tr><td>evil</td></tr></table>')"
            "</script><table><caption>Table 1</caption><thead><tr><th rowspan=2>Site</th>"
            "<th colspan=2 onclick='x()'>Flow</th></tr><tr><th>Q</th><th>V</th></tr></thead>"
            "<tbody><tr><th>A</th><td>1<style>td{}</style></td><td>2</td></tr></tbody>"
            "</table><!-- <table><tr><td>hidden</td></tr></table> --></body></html>")
    (h,) = parse_html(html, "x.html", "d", 1, PROV)
    assert (h.caption, h.n_header_rows, h.header_rows) == (
        "Table 1", 2, [["Site", "Flow", "Flow"], ["Site", "Q", "V"]])
    assert h.rows == [["A", "1", "2"]]
    assert [(c.row, c.col, c.row_span, c.col_span, c.header) for c in h.cells] == [
        (0, 0, 2, 1, True), (0, 1, 1, 2, True), (1, 1, 1, 1, True), (1, 2, 1, 1, True),
        (2, 0, 1, 1, True), (2, 1, 1, 1, False), (2, 2, 1, 1, False)]


def test_hostile_table_files_are_refused_with_clear_errors(tmp_path):
    with pytest.raises(TableDirError, match=r"x.html: a cell with colspan=100000, more than "
                                            r"1000; not a table a report prints"):
        parse_html("<table><tr><td colspan=100000>a</td></tr></table>", "x.html", "d", 1, PROV)
    with pytest.raises(TableDirError, match=r"x.json: tables\[0\]: 100000 × 100000 slots"):
        parse_docling(json.dumps({"schema_name": "DoclingDocument", "tables": [
            {"data": {"num_rows": 100000, "num_cols": 100000, "table_cells": []}}]}),
            "x.json", "d", PROV)
    with pytest.raises(TableDirError, match=r"x.json: JSON nested too deeply"):
        parse_docling("[" * 100_000 + "]" * 100_000, "x.json", "d", PROV)
    with pytest.raises(TableDirError, match=r"x.json: not a docling export"):
        parse_docling('{"tables": []}', "x.json", "d", PROV)


@pytest.mark.parametrize("make, message", [
    (lambda d, doc: (d / doc / "notes.txt").write_text("x"),
     "notes.txt: not a table file of the layout; name it page-<N>.md or page-<N>.html"),
    (lambda d, doc: (d / doc / "page-1.html").write_bytes(b"<" * (MAX_FILE_BYTES + 1)),
     "page-1.html: larger than 20 MiB"),
    (lambda d, doc: (d / doc / "page-1.md").symlink_to("/etc/passwd"),
     "page-1.md: path '{doc}/page-1.md' is a symlink out of the dataset folder"),
    (lambda d, doc: (d / doc / "page-1.md").write_bytes(b"\xff\xfe| a |"),
     "page-1.md: not UTF-8 text"),
])
def test_a_hostile_tables_folder_is_exit_2(gold_work, tmp_path, make, message):
    work = _copy(gold_work, tmp_path)
    doc = min(d.doc_id for d in read_kind(work, "documents"))
    folder = tmp_path / "tables"
    (folder / doc).mkdir(parents=True)
    make(folder, doc)
    r = CliRunner().invoke(cli, ["bench", str(work), "-s", "table", "--no-plots",
                                 "--tables-from", str(folder)])
    assert r.exit_code == 2, r.output
    assert message.format(doc=doc) in " ".join(r.output.split())


def test_the_oracle_over_parsed_tables_finds_a_row_label_code_by_content():
    """Parsers mark no row headers: the code of a line item in the first column is still
    written out by the oracle, found by its text, and a code inside a word is not."""
    from abstab.bench.parsed import ParsedTables
    from abstab.bench.systems import Corpus, OracleSystem
    from abstab.records import Document, QAItem

    md = "| | 2019 |\n|---|---|\n| TOA | 35 |\n| TOAST | 2 |\n"
    (t,) = parse_markdown(md, "x.md", "d", 1, PROV)
    t = t.model_copy(update={"table_id": "d#md-0"})
    assert [c.header for c in t.cells if c.col == 0] == [True, False, False]
    item = QAItem.model_validate({
        "item_id": "i", "doc_id": "d", "table_id": "d:t1", "question": "What is TOA in 2019?",
        "answer": {"text": "35", "type": "number", "value": 35.0},
        "answer_location": "table_defined", "origin": "controlled", "template": "lookup",
        "difficulty": "easy", "abstraction": {"style": "acronym", "legend": "explicit"},
        "keywords": [{"abstract": "TOA", "detailed": "Total other assets", "column": 0,
                      "category": "explicit"}],
        "provenance": PROV.model_dump()})
    doc = Document(doc_id="d", source="d.pdf", sha256="0", pages=1, text="", blocks=[],
                   provenance=PROV)
    parsed = ParsedTables("md", {"d": [t]}, {"d:t1": [1]})
    (passage,) = OracleSystem(Corpus({"d": doc}, {t.table_id: t}, parsed=parsed)).passages(item)
    assert passage.table.rows == [["Total other assets", "35"], ["TOAST", "2"]]


def _markdown_folder(work: Path, md: Path) -> None:
    """Every table of ``work`` as Markdown in ``md``, one file per page (tables of one page
    appended to one file)."""
    for t in read_kind(work, "tables"):
        folder = md / t.table_id.replace(":", "_")  # two tables may share a page
        write_markdown(t, folder)
        for f in folder.rglob("*.md"):
            dest = md / f.relative_to(folder)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with dest.open("a", encoding="utf-8") as out:
                out.write("\n" + f.read_text(encoding="utf-8"))
        shutil.rmtree(folder)


def test_questions_across_two_tables_score_over_a_markdown_folder_exactly_as_gold(tmp_path):
    """A split document's two tables written as Markdown (one file per page or table): the
    items that need both tables get both parsed tables and score as over gold."""
    work = split_wtq_workspace(tmp_path)
    multi = {i.item_id for i in read_kind(work, "dataset_items") if len(i.tables) == 2}
    assert len(multi) == 2
    _markdown_folder(work, tmp_path / "md")
    r = CliRunner().invoke(cli, ["bench", str(work), "-s", "oracle", "--no-plots",
                                 "--tables-from", str(tmp_path / "md")])
    assert r.exit_code == 0, r.output
    gold = _rows(work / "bench" / "oracle-rules" / "scores.jsonl")
    parsed = _rows(work / "bench" / "oracle-rules@md" / "scores.jsonl")
    assert {i: s["metrics"] for i, s in parsed.items()} == \
        {i: s["metrics"] for i, s in gold.items()}
    assert [gold[i]["correct"] for i in sorted(multi)] == [True, True]


SEEN_TABLES = '''
import json, os

def answer(item):
    # Says which tables it was told the question is about, and which it was given; abstains.
    with open(os.environ["SEEN"], "a") as fh:
        fh.write(json.dumps([item["item_id"], item["table_id"], item["table_ids"],
                             [t["table_id"] for t in item["tables"]]]) + "\\n")
    return ""
'''


def test_own_systems_are_told_every_table_a_question_is_about(tmp_path, monkeypatch):
    work = split_wtq_workspace(tmp_path)
    items = {i.item_id: i for i in read_kind(work, "dataset_items")}
    want = {i: [*(x.tables or [x.table_id])] for i, x in items.items()}
    assert sorted(len(v) for v in want.values()) == [1, 1, 1, 2, 2]
    # `abstab export items`: table_ids are the item's tables, table_id the first of them.
    out = tmp_path / "items.jsonl"
    r = CliRunner().invoke(cli, ["export", "items", str(work), "-o", str(out)],
                           catch_exceptions=False)
    assert r.output == f"5 items written to {out}\n"
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert {x["item_id"]: x["table_ids"] for x in rows} == want
    assert all(x["table_id"] == x["table_ids"][0] for x in rows)
    # `abstab bench -s file.py:function` gets the same, over gold tables...
    (tmp_path / "mine.py").write_text(SEEN_TABLES)
    seen = tmp_path / "seen.jsonl"
    monkeypatch.setenv("SEEN", str(seen))
    r = CliRunner().invoke(cli, ["bench", str(work), "-s", f"{tmp_path / 'mine.py'}:answer",
                                 "--no-plots"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    got = [json.loads(x) for x in seen.read_text().splitlines()]
    assert {i: ids for i, _, ids, _ in got} == want
    # ... and over a parser's tables (--tables-from), the parsed tables that stand for them
    # (no gold id), each one a table it is given.
    seen.unlink()
    _markdown_folder(work, tmp_path / "md")
    r = CliRunner().invoke(cli, ["bench", str(work), "-s", f"{tmp_path / 'mine.py'}:answer",
                                 "--no-plots", "--tables-from", str(tmp_path / "md")],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    got = [json.loads(x) for x in seen.read_text().splitlines()]
    assert {i: (tid, ids, given) for i, tid, ids, given in got} == {
        i: (None, *[[f"{items[i].doc_id}#md-{k}" for k in range(len(v))]] * 2)
        for i, v in want.items()}
