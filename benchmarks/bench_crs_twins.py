"""Table extraction on CRS reports scored against their Markdown twins.

Usage: python benchmarks/bench_crs_twins.py --data ../shared/corpora/crs-reports [--work DIR]
       [--engine NAME] [--resolve [--retriever bm25|dense|hybrid]]

DIR holds ``pdf/**/*.pdf`` and ``markdown/**/*.md`` (the layout of the shared ``crs-reports``
corpus; a held-out copy with the same layout works the same). A Markdown twin was made from
CRS's HTML of the same report, independently of the PDF, so its pipe tables are a
semi-independent check on the cells abstab extracts. The script

1. runs ``abstab extract`` on every PDF that has a twin (a child process, the public CLI);
2. pairs each PDF with its twin by report number and version (``R47194.5.pdf`` or
   ``R47194v5-….pdf`` ↔ ``R47194v5-….md``; a PDF without a version pairs with the report's
   only twin);
3. reads the twin's pipe tables, skipping what SOURCES.md says is not a table: the metadata box
   (``| **CRS Product Type:** | … |``), footnotes (``| 1. | text |``), figure placeholders
   (a block whose first row starts ``Figure``, and empty, ``Figure …`` and ``Source: …`` rows)
   and one-column boxes (sidebars);
4. counts the twin's non-empty cells whose text (Markdown emphasis and links removed, Unicode
   NFKC, all whitespace removed, since the HTML and the PDF break lines differently) equals the
   text of some cell of abstab's tables for that PDF; and the twin's body rows (a table's rows
   after its first, with two or more cells) found whole: every cell of the row in one body row
   of abstab's (a row cut at a wrapped cell, or taken into the header, is not);
5. reads the legends under the twin's tables ("Notes: BFP = Bridge Formula Program; …") and
   counts the codes they define that occur (as a whole token) in abstab's table labels: a
   header cell or a cell of the first column;
6. with ``--resolve``, runs ``abstab judge`` and ``abstab resolve`` (rules backend, through the
   public stage API, as ``bench_real_headers.py`` does) and counts the legend codes judged
   abstract (a keyword of an abstract judgment sits in a cell holding the code) and resolved to
   the legend's meaning (a resolution of a cell holding the code gives a meaning that holds at
   least half of the legend meaning's content words, :func:`abstab.core.words.content_words`).

Per report it prints twin cells, cells found, abstab's tables, legend codes and codes found;
then the overall numbers. The last line of stdout is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_MD_NAME = re.compile(r"^(?P<rep>[A-Z]+\d+)v(?P<ver>\d+)-")
_PDF_NAME = re.compile(r"^(?P<rep>[A-Z]+\d+)(?:(?:\.(?P<ver>\d+))?\.pdf$|v(?P<ver2>\d+)-.*\.pdf$)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_META = re.compile(r"^\*\*[^*]+:\*\*$")
_FOOTNOTE = re.compile(r"^\d+\.$")
_NOTES = re.compile(r"\bNotes?\s*:\s*", re.IGNORECASE)
_DEF = re.compile(r"^\s*(?P<code>[^=;]{1,30}?)\s+=\s+(?P<meaning>\S.*)$")
_SPACE = re.compile(r"\s+")
_FIGURE_ROW = re.compile(r"^(Figure \d|Sources?:|$)")


@dataclass
class Twin:
    """The tables of one Markdown twin: their cells and the codes their legends define."""

    cells: list[str] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)
    rows: list[list[str]] = field(default_factory=list)  # body rows: a block's rows after its first


def plain(text: str) -> str:
    """Markdown cell text as read: links to their text, emphasis markers dropped."""
    text = _LINK.sub(r"\1", text)
    return text.replace("**", "").replace("__", "").replace("\\", "").strip()


def key(text: str) -> str:
    """The comparison key of a cell: NFKC, typographic quotes and dashes unified, no spaces."""
    text = unicodedata.normalize("NFKC", text)
    for a, b in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'"), ("–", "-"), ("—", "-")):
        text = text.replace(a, b)
    return _SPACE.sub("", text)


def _row_cells(line: str) -> list[str]:
    body = line.strip()
    body = body.removeprefix("|")
    body = body.removesuffix("|")
    return [c.strip() for c in body.split("|")]


def legend_codes(text: str) -> dict[str, str]:
    """Codes a "Notes: X = meaning; Y = meaning." legend defines (code → meaning)."""
    out: dict[str, str] = {}
    m = _NOTES.search(text)
    if m is None:
        return out
    rest = text[m.end():]
    for part in re.split(r";|\.\s+(?=[A-Z_])", rest):
        d = _DEF.match(plain(part).strip("_ "))
        if d is None:
            continue
        code = d.group("code").strip().strip("_*")
        # a code is short and has a capital or a digit ("BFP", "TEA-21", "NA", "H Cmte.")
        if len(code.split()) <= 4 and re.search(r"[A-Z0-9]", code):
            out.setdefault(code, d.group("meaning").strip().rstrip("."))
    return out


def read_twin(path: Path) -> Twin:
    """The table cells and legend codes of one Markdown twin."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    twin = Twin()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("|"):
            i += 1
            continue
        block: list[list[str]] = []
        while i < len(lines) and lines[i].startswith("|"):
            block.append(_row_cells(lines[i]))
            i += 1
        if plain(block[0][0]).startswith("Figure"):
            continue
        kept = [r for r in block if not (_META.match(r[0]) or _FOOTNOTE.match(r[0])
                                         or _FIGURE_ROW.match(plain(r[0])))]
        if max((len(r) for r in kept), default=0) < 2:
            continue  # a one-column box (a sidebar, a figure's source line) is not a table
        twin.cells.extend(plain(c) for r in kept for c in r if key(plain(c)))
        twin.rows.extend(cells for r in kept[1:]
                         if len(cells := [plain(c) for c in r if key(plain(c))]) >= 2)
        # the legend: a Notes line among the next few lines under the table
        for line in lines[i:i + 8]:
            if line.startswith("|"):
                break
            twin.codes.update(legend_codes(line.replace("*", "")))
    return twin


def rows_whole(rows: list[list[str]], tables: list[dict]) -> int:
    """How many of the twin's body rows have all their cells in one body row of ``tables``
    (abstab's table records)."""
    body = [Counter(key(c) for c in r) for t in tables for r in t["rows"]]
    return sum(1 for r in rows if any(not Counter(key(c) for c in r) - b for b in body))


def pair(data: Path) -> list[tuple[Path, Path]]:
    """(PDF, twin) pairs by report number and version."""
    twins: dict[str, dict[str, Path]] = {}
    for md in sorted((data / "markdown").rglob("*.md")):
        m = _MD_NAME.match(md.name)
        if m:
            twins.setdefault(m.group("rep"), {})[m.group("ver")] = md
    out = []
    for pdf in sorted((data / "pdf").rglob("*.pdf")):
        m = _PDF_NAME.match(pdf.name)
        if not m or m.group("rep") not in twins:
            continue
        versions = twins[m.group("rep")]
        ver = m.group("ver") or m.group("ver2")
        if ver is not None and ver in versions:
            out.append((pdf, versions[ver]))
        elif ver is None and len(versions) == 1:
            out.append((pdf, next(iter(versions.values()))))
    return out


def extract(pdfs: list[Path], work: Path, engine: str | None) -> dict[str, list[dict]]:
    """Run ``abstab extract`` on the PDFs; their tables by source path."""
    args = [sys.executable, "-m", "abstab", "extract", *map(str, pdfs), "-o", str(work)]
    if engine:
        args += ["--engine", engine]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        sys.exit(f"abstab extract failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    docs = {}
    for line in (work / "extract" / "documents.jsonl").read_text().splitlines():
        d = json.loads(line)
        docs[d["doc_id"]] = str(Path(d["source"]).resolve())
    tables: dict[str, list[dict]] = {p: [] for p in docs.values()}
    for line in (work / "extract" / "tables.jsonl").read_text().splitlines():
        t = json.loads(line)
        tables.setdefault(docs.get(t["doc_id"], ""), []).append(t)
    return tables


def labels(table: dict) -> list[str]:
    """A table's labels: its header cells and the cells of its first column."""
    return [c["text"] for c in table["cells"] if c["header"] or c["col"] == 0]


def has_token(code: str, texts: list[str]) -> bool:
    pattern = re.compile(r"(?<![\w])" + re.escape(code) + r"(?![\w])")
    return any(pattern.search(t) for t in texts)


def judge_and_resolve(work: Path, retriever: str | None) -> tuple[dict[str, list[str]],
                                                                  dict[str, list[tuple[str, str]]]]:
    """Run judge and resolve (rules backend) on the extracted workspace ``work``; by source
    path, the texts of the cells judged abstract, and (cell text, meaning) of every resolution
    that gives a meaning."""
    from abstab.backends import build_backend
    from abstab.records import Document, Judgment, Resolution, Table
    from abstab.stages.judge import JudgeStage
    from abstab.stages.resolve import ResolveStage
    from abstab.store import StageDir

    backend = build_backend("rules", {}, work)
    try:
        JudgeStage(work, {}, backend).run()
        ResolveStage(work, {"retriever": retriever} if retriever else {}, backend).run()
    finally:
        backend.close()
    ex = StageDir(work, "extract", ())
    source = {d.doc_id: str(Path(d.source).resolve()) for d in ex.read("documents", Document)}
    tables = {t.table_id: t for t in ex.read("tables", Table)}

    def cell_text(table_id: str, row: int, col: int) -> str:
        t = tables[table_id]
        return next((c.text for c in t.cells if c.row <= row < c.row + c.row_span
                     and c.col <= col < c.col + c.col_span), "")

    judged: dict[str, list[str]] = {}
    for j in StageDir(work, "judge", ()).read("judgments", Judgment):
        if j.label == "abstract":
            judged.setdefault(source[j.doc_id], []).extend(
                f"{k.keyword} {cell_text(j.table_id, k.row, k.col)}" for k in j.keywords)
    resolved: dict[str, list[tuple[str, str]]] = {}
    for r in StageDir(work, "resolve", ()).read("resolutions", Resolution):
        if r.expansion and r.category != "unresolvable":
            resolved.setdefault(source[r.doc_id], []).append(
                (f"{r.keyword} {cell_text(r.table_id, r.row, r.column)}", r.expansion))
    return judged, resolved


def covers(meaning: str, expansion: str) -> bool:
    """``expansion`` holds at least half of ``meaning``'s content words."""
    from abstab.core.words import content_words

    want = content_words(meaning)
    return bool(want) and len(want & content_words(expansion)) / len(want) >= 0.5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True,
                    help="the crs-reports folder (pdf/ and markdown/ inside)")
    ap.add_argument("--work", type=Path, default=None,
                    help="workspace for abstab extract (default: a temporary folder); an "
                         "existing finished workspace is reused as is")
    ap.add_argument("--engine", default=None, help="extraction engine (default: abstab's)")
    ap.add_argument("--resolve", action="store_true",
                    help="also judge and resolve (rules backend) and score the legend codes")
    ap.add_argument("--retriever", default=None,
                    help="resolve's retriever with --resolve (bm25, dense, hybrid)")
    args = ap.parse_args()
    pairs = pair(args.data)
    if not pairs:
        sys.exit(f"no PDF/Markdown twins under {args.data}/pdf and {args.data}/markdown")
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        tables = extract([p for p, _ in pairs], work, args.engine)
        judged, resolved = judge_and_resolve(work, args.retriever) if args.resolve else ({}, {})
    total = found_total = n_tables = codes_total = codes_found = 0
    rows_total = rows_found = 0
    codes_judged = codes_resolved = 0
    zero: list[str] = []
    per: list[dict] = []
    print(f"{'report':28} {'twin':>5} {'found':>5} {'share':>6} {'rows':>5} {'whole':>5} "
          f"{'tables':>6} {'codes':>5} {'in labels':>9}")
    for pdf, md in pairs:
        twin = read_twin(md)
        mine = tables.get(str(pdf.resolve()), [])
        keys = {key(c["text"]) for t in mine for c in t["cells"]}
        found = sum(1 for c in twin.cells if key(c) in keys)
        whole = rows_whole(twin.rows, mine)
        rows_total += len(twin.rows)
        rows_found += whole
        labs = [x for t in mine for x in labels(t)]
        in_labels = sorted(c for c in twin.codes if has_token(c, labs))
        mine_judged = sorted(c for c in twin.codes
                             if has_token(c, judged.get(str(pdf.resolve()), [])))
        mine_resolved = sorted(c for c, m in twin.codes.items() if any(
            has_token(c, [cell]) and covers(m, exp)
            for cell, exp in resolved.get(str(pdf.resolve()), [])))
        codes_judged += len(mine_judged)
        codes_resolved += len(mine_resolved)
        total += len(twin.cells)
        found_total += found
        n_tables += len(mine)
        codes_total += len(twin.codes)
        codes_found += len(in_labels)
        if len(twin.cells) >= 10 and found == 0:
            zero.append(pdf.name)
        share = found / len(twin.cells) if twin.cells else None
        per.append({"pdf": pdf.name, "twin_cells": len(twin.cells), "found": found,
                    "twin_rows": len(twin.rows), "rows_whole": whole,
                    "tables": len(mine), "codes": sorted(twin.codes),
                    "codes_in_labels": in_labels, "codes_judged": mine_judged,
                    "codes_resolved": mine_resolved})
        print(f"{pdf.name[:28]:28} {len(twin.cells):5d} {found:5d} "
              f"{(f'{share:.2f}' if share is not None else '-'):>6} {len(twin.rows):5d} "
              f"{whole:5d} {len(mine):6d} "
              f"{len(twin.codes):5d} {len(in_labels):9d}")
    n_big = sum(1 for r in per if r["twin_cells"] >= 10)
    summary = {
        "reports": len(pairs),
        "twin_cells": total,
        "cells_found": found_total,
        "cell_recall": round(found_total / total, 4) if total else None,
        "twin_body_rows": rows_total,
        "body_rows_whole": rows_found,
        "row_recall": round(rows_found / rows_total, 4) if rows_total else None,
        "reports_with_10_cells": n_big,
        "reports_with_10_cells_none_found": len(zero),
        "zero_reports": zero,
        "tables": n_tables,
        "legend_codes": codes_total,
        "legend_codes_in_labels": codes_found,
        "legend_codes_judged_abstract": codes_judged if args.resolve else None,
        "legend_codes_resolved": codes_resolved if args.resolve else None,
        "per_report": per,
    }
    print(f"\ncells found {found_total}/{total} ({summary['cell_recall']}); body rows whole "
          f"{rows_found}/{rows_total} ({summary['row_recall']}); reports with >= 10 "
          f"twin cells: {n_big}, none found: {len(zero)} {zero}; tables {n_tables}; legend "
          f"codes in labels {codes_found}/{codes_total}"
          + (f", judged abstract {codes_judged}, resolved to the legend's meaning "
             f"{codes_resolved}" if args.resolve else ""))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
