"""Extraction quality beyond cell grids: header rows, footnotes and legends, memory.

Usage:
    python benchmarks/bench_extract_quality.py --data /work/shared/corpora/govreports
        [--engines auto,pymupdf] [--workers 1]

DIR is a folder of report PDFs with the layout of ``govreports`` (``SOURCES.md`` there): any
``*.groundtruth.json`` beside a PDF is a DoclingDocument with its tables. For each engine,
``python -m abstab extract DIR/*.pdf -o WORK --engine E`` runs once (the real stage, in its
worker processes) and the Table records are read back from WORK. Three measures:

**Header rows** (against the docling ground truth). A ground-truth table is one of
``tables[]`` with label ``table`` (``document_index``, a table of contents, is not one); its
*header rows* are the leading rows holding ``column_header`` cells: ``n_gt = max
end_row_offset_idx`` over those cells (0 if none). It is matched to the abstab table on the same
page whose bbox has the highest IoU with it (at least 0.3; docling boxes are flipped from their
bottom-left origin). ``header_rows.accuracy`` is the share of ground-truth tables whose matched
table has exactly ``n_gt`` header rows (``Table.n_header_rows``), an unmatched table counting as
wrong; ``accuracy_matched`` is the same over matched tables only, ``mae_matched`` the mean
absolute difference in header rows, ``detected`` the share matched. Since header rows are always
leading rows, equal counts mean the same set of rows is marked header.

**Footnote and legend capture** (hand-checked list :data:`EXPECTED_NOTES`). Each entry names a
table (page + a text found in its caption or header), the note kind, its marker or legend key,
a fragment of its text, and optionally the header cells it must be linked to; the reason says
why the note matters for reading the table. An entry is *captured* when the table is found and
one of its ``Table.notes`` has that kind and marker and contains the fragment;
``notes.capture`` is captured / listed. ``notes.targets`` is, over the entries that name header
cells, the share whose note is linked (``Note.targets``) to every one of them. The IMD rainfall
legend named in the brief is not in the shared portion of govreports (``grep -il rainfall``
finds only the birdisland seed trial, which has no such legend): it went to the held-out third.

**Memory and time**: the peak RSS of the extract run (the largest of the CLI process and its
workers, ``ru_maxrss``), its wall time, pages and pages per second.

A readable summary goes to stderr; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (file, page, table key: text in its caption or a header cell, kind, marker or legend key,
#  text fragment, header cells the note must target (prefixes) or None, why it is there)
EXPECTED_NOTES: list[tuple[str, int, str, str, str | None, str, list[str] | None, str]] = [
    ("pdfplumber__nics-background-checks-2015-11.pdf", 1, "Permit", "footnote", "*",
     "Refers to frames, receivers and other firearms", ["*Other"],
     "the '*Other' column headers are explained only by the '*' footnote under the table"),
    ("pdfplumber__nics-background-checks-2015-11.pdf", 1, "Permit", "footnote", "**",
     "Multiple (multiple types of firearms selected)", ["**Multiple"],
     "the '**Multiple' header is explained only by the '**' footnote"),
    ("camelot__12s0324.pdf", 1, "Table 324", "legend", "–", "Represents zero", None,
     "'–' cells of Table 324 (e.g. juvenile forcible rape) mean zero: a symbol key under it"),
    ("camelot__12s0324.pdf", 1, "Table 324", "legend", "X", "Not applicable", None,
     "the symbol key goes on in the same paragraph: X = not applicable"),
    ("camelot__12s0324.pdf", 1, "Table 324", "footnote", "1",
     "Buying, receiving, possessing stolen property", None,
     "the stub 'Stolen property ¹' is defined by footnote 1 (same paragraph as the key)"),
    ("camelot__12s0324.pdf", 1, "Table 324", "footnote", "2",
     "Except forcible rape and prostitution", None,
     "the stub 'Sex offenses ²' is narrowed by footnote 2"),
    ("camelot__12s0324.pdf", 1, "Table 324", "source", None, "Uniform Crime Reports", None,
     "the source line under Table 324"),
    ("camelot__12s0324.pdf", 1, "Table 325", "footnote", "1",
     "Except forcible rape and prostitution", None,
     "Table 325 repeats the 'Sex offenses ¹' footnote with its own numbering"),
    ("camelot__12s0324.pdf", 1, "Table 325", "source", None, "Crime in the United States", None,
     "the source line under Table 325"),
    ("camelot__superscript.pdf", 1, "TABLE 125", "footnote", "2", "Market Loan Suspense", None,
     "Kerala's market loans '24.91²' carry a superscript marker explained under the table"),
    ("camelot__missing_values.pdf", 1, "Indicators", "footnote", "14",
     "Any anaemia below 11g/dl", None,
     "the section 'Anaemia Status by Haemoglobin Level¹⁴' points to footnote 14"),
    ("camelot__missing_values.pdf", 1, "Indicators", "footnote", "15",
     "Excluding age group 19 years", None, "the rows 'Children (10-19 Years¹⁵)' point to 15"),
    ("camelot__missing_values.pdf", 1, "Indicators", "legend", "Chronic Illness",
     "symptoms persisting for longer than one month", None,
     "the stub 'Chronic Illness' is defined in a 'term: definition' line closing the table"),
    ("pdfplumber__issue-53-example.pdf", 1, "Pax", "legend", "RPK",
     "revenue passenger kilometers", ["RPK"], "the 'Key' under the table defines RPK"),
    ("pdfplumber__issue-53-example.pdf", 1, "Pax", "legend", "ASK",
     "available seat kilometers", ["ASK"], "… and ASK"),
    ("pdfplumber__issue-53-example.pdf", 1, "Pax", "legend", "L/F", "load factor",
     ["L/F"], "… and L/F (load factor = RPK÷ASK)"),
    ("pdfplumber__issue-53-example.pdf", 1, "Pax", "legend", "FY",
     "Financial Year ending March 31", None, "… and FY, used in the stub (FY2013, FY2014)"),
    ("pdfplumber__issue-53-example.pdf", 2, "Routes", "legend", "RPK",
     "revenue passenger kilometers", ["RPK"], "page 2 has its own Key"),
    ("pdfplumber__issue-53-example.pdf", 2, "Routes", "legend", "L/F", "load factor",
     ["L/F"], "page 2 Key: L/F"),
    ("pdfplumber__issue-53-example.pdf", 3, "Pax", "legend", "ASK",
     "available seat kilometers", ["ASK"], "page 3 Key: ASK"),
    ("pdfplumber__issue-53-example.pdf", 4, "Ton", "legend", "FY",
     "Financial Year ending March 31", None, "page 4 Key: FY (cargo table)"),
    ("camelot__spreadsheet_no_bounding_frame.pdf", 1, "PRODUCTS", "source", None, "CONAB",
     None, "the source line under an unruled crop-estimate table"),
    ("pdfplumber__WARN-Report-for-7-1-2015-to-03-25-2016.pdf", 16, "Notices", "footnote",
     "**", "Lay-offs have been cancelled by the Company", None,
     ("'(CANCELLED)**' companies in the listing; the '**' note closes the report, under its "
      "last table")),
]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def _marker(m: str | None) -> str:
    return _norm((m or "").strip("() ")).translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))


# ---------------------------------------------------------------------------- extraction


def extract(pdfs: list[Path], engine: str, workers: int, work: Path) -> dict:
    """``abstab extract`` as a subprocess; its tables and documents, time and peak RSS."""
    cmd = [sys.executable, "-m", "abstab", "extract", *map(str, pdfs), "-o", str(work),
           "--engine", engine, "--workers", str(workers), "--timeout", "600"]
    start = time.perf_counter()
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    out: dict = {"seconds": round(seconds, 2), "exit": res.returncode, "peak_rss_mb": rss_mb}
    if res.returncode != 0:
        out["stderr"] = res.stderr[-2000:]
    ex = work / "extract"
    out["tables"] = [json.loads(ln) for ln in _lines(ex / "tables.jsonl")]
    docs = [json.loads(ln) for ln in _lines(ex / "documents.jsonl")]
    out["docs"] = {d["doc_id"]: Path(d["source"]).name for d in docs}
    out["pages"] = sum(d["pages"] for d in docs)
    out["errors"] = [json.loads(ln) for ln in _lines(ex / "errors.jsonl")]
    return out


def _lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text().splitlines() if ln.strip()] if path.exists() else []


def by_file(result: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for t in result["tables"]:
        out.setdefault(result["docs"].get(t["doc_id"], "?"), []).append(t)
    return out


# -------------------------------------------------------------------------- header rows


def _iou(a: list[float], b: list[float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def docling_tables(gt_path: Path) -> list[dict]:
    """The ground-truth tables of one DoclingDocument: page, bbox (top-left origin), header
    row count."""
    doc = json.loads(gt_path.read_text())
    out = []
    for t in doc["tables"]:
        if t.get("label") != "table":
            continue
        prov = t["prov"][0]
        page = prov["page_no"]
        height = doc["pages"][str(page)]["size"]["height"]
        b = prov["bbox"]
        if b.get("coord_origin", "BOTTOMLEFT").upper() == "BOTTOMLEFT":
            box = [b["l"], height - b["t"], b["r"], height - b["b"]]
        else:
            box = [b["l"], b["t"], b["r"], b["b"]]
        cells = t["data"]["table_cells"]
        n_gt = max((c["end_row_offset_idx"] for c in cells if c.get("column_header")),
                   default=0)
        out.append({"page": page, "bbox": box, "n_header": n_gt,
                    "rows": t["data"]["num_rows"], "cols": t["data"]["num_cols"]})
    return out


def header_rows(data: Path, tables: dict[str, list[dict]]) -> dict:
    details = []
    for gt_path in sorted(data.glob("*.groundtruth.json")):
        pdf = gt_path.name.replace(".groundtruth.json", ".pdf")
        ours = tables.get(pdf, [])
        for g in docling_tables(gt_path):
            best, best_iou = None, 0.3
            for t in ours:
                if t["pages"][0] != g["page"]:
                    continue
                v = _iou(g["bbox"], t["bbox"])
                if v >= best_iou:
                    best, best_iou = t, v
            details.append({"file": pdf, "page": g["page"], "gt_header_rows": g["n_header"],
                            "header_rows": best["n_header_rows"] if best else None,
                            "iou": round(best_iou, 3) if best else None})
    n = len(details)
    matched = [d for d in details if d["header_rows"] is not None]
    exact = [d for d in matched if d["header_rows"] == d["gt_header_rows"]]
    return {
        "gt_tables": n,
        "detected": round(len(matched) / n, 4) if n else None,
        "accuracy": round(len(exact) / n, 4) if n else None,
        "accuracy_matched": round(len(exact) / len(matched), 4) if matched else None,
        "mae_matched": round(sum(abs(d["header_rows"] - d["gt_header_rows"]) for d in matched)
                             / len(matched), 4) if matched else None,
        "tables": details,
    }


# -------------------------------------------------------------------------------- notes


def _find_table(tables: list[dict], page: int, key: str) -> dict | None:
    k = _norm(key)
    for t in tables:
        if page not in t["pages"]:
            continue
        texts = [t.get("caption") or ""] + [c["text"] for c in t["cells"] if c["header"]]
        if any(k in _norm(x) for x in texts):
            return t
    return None


def notes(tables: dict[str, list[dict]]) -> dict:
    details = []
    for file, page, key, kind, marker, fragment, targets, reason in EXPECTED_NOTES:
        t = _find_table(tables.get(file, []), page, key)
        hit = None
        if t is not None:
            for n in t["notes"]:
                if n["kind"] != kind or _norm(fragment) not in _norm(n["text"]):
                    continue
                if marker is not None and _marker(n["marker"]) != _marker(marker):
                    continue
                hit = n
                break
        linked = None
        if targets is not None:
            linked = False
            if hit is not None and t is not None:
                cells = {(c["row"], c["col"]): c["text"] for c in t["cells"] if c["header"]}
                texts = [cells.get(tuple(rc), "") for rc in hit["targets"]]
                linked = all(any(_norm(x).startswith(_norm(p)) for x in texts) for p in targets)
        details.append({"file": file, "page": page, "table": key, "kind": kind,
                        "marker": marker, "table_found": t is not None,
                        "captured": hit is not None, "targets_ok": linked, "reason": reason})
    with_targets = [d for d in details if d["targets_ok"] is not None]
    total = len(details)
    return {
        "listed": total,
        "capture": round(sum(d["captured"] for d in details) / total, 4) if total else None,
        "targets": (round(sum(bool(d["targets_ok"]) for d in with_targets) / len(with_targets), 4)
                    if with_targets else None),
        "notes_total": sum(len(t["notes"]) for ts in tables.values() for t in ts),
        "entries": details,
    }


# --------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="folder of PDFs (govreports)")
    ap.add_argument("--engines", default="auto,pymupdf",
                    help="comma-separated abstab engines to compare (default auto,pymupdf)")
    ap.add_argument("--workers", type=int, default=1, help="`abstab extract --workers`")
    args = ap.parse_args(argv)
    pdfs = sorted(args.data.glob("*.pdf"))
    if not pdfs:
        ap.error(f"no PDFs in {args.data}")
    report: dict = {"data": str(args.data), "files": len(pdfs), "engines": {}}
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        print(f"extracting {len(pdfs)} PDFs with --engine {engine} ...", file=sys.stderr,
              flush=True)
        with tempfile.TemporaryDirectory(prefix="bench_quality_") as tmp:
            # a child of its own per engine, so that ru_maxrss is that engine's alone
            code = ("import json, sys; sys.path.insert(0, sys.argv[1]); "
                    "import bench_extract_quality as b; from pathlib import Path; "
                    "r = b.extract([Path(p) for p in json.loads(sys.argv[2])], sys.argv[3], "
                    "int(sys.argv[4]), Path(sys.argv[5])); print(json.dumps(r))")
            res = subprocess.run(
                [sys.executable, "-c", code, str(Path(__file__).parent),
                 json.dumps([str(p) for p in pdfs]), engine, str(args.workers), tmp],
                capture_output=True, text=True, check=False)
            if res.returncode != 0:
                report["engines"][engine] = {"status": "failed", "stderr": res.stderr[-2000:]}
                continue
            result = json.loads(res.stdout.strip().splitlines()[-1])
        tables = by_file(result)
        report["engines"][engine] = {
            "status": "ok" if result["exit"] == 0 else f"exit {result['exit']}",
            "header_rows": header_rows(args.data, tables),
            "notes": notes(tables),
            "peak_rss_mb": round(result["peak_rss_mb"], 1),
            "seconds": result["seconds"],
            "pages": result["pages"],
            "pages_per_s": round(result["pages"] / result["seconds"], 2)
            if result["seconds"] else None,
            "tables": len(result["tables"]),
            "errors": [f"{e.get('item')}: {e.get('reason')}" for e in result["errors"]],
        }
    _print(report)
    print(json.dumps(report))
    return 0


def _print(report: dict) -> None:
    err = sys.stderr
    print(f"{'engine':<10} {'hdr acc':>8} {'matched':>8} {'MAE':>6} {'detect':>7} "
          f"{'notes':>6} {'targets':>8} {'tables':>7} {'pages/s':>8} {'RSS MB':>7}", file=err)
    for name, e in report["engines"].items():
        if "header_rows" not in e:
            print(f"{name:<10} {e['status']}", file=err)
            continue
        h, n = e["header_rows"], e["notes"]
        print(f"{name:<10} {h['accuracy']:>8.3f} {h['accuracy_matched'] or 0:>8.3f} "
              f"{h['mae_matched'] or 0:>6.2f} {h['detected']:>7.3f} {n['capture']:>6.3f} "
              f"{n['targets'] or 0:>8.3f} {e['tables']:>7} {e['pages_per_s'] or 0:>8.2f} "
              f"{e['peak_rss_mb']:>7.0f}", file=err)
        for d in h["tables"]:
            print(f"    header {d['file']} p{d['page']}: gt {d['gt_header_rows']} "
                  f"ours {d['header_rows']} (IoU {d['iou']})", file=err)
        for d in n["entries"]:
            if not d["captured"] or d["targets_ok"] is False:
                print(f"    missed {d['file']} p{d['page']} {d['table']!r} {d['kind']} "
                      f"{d['marker']!r} (table found: {d['table_found']}, "
                      f"targets ok: {d['targets_ok']})", file=err)
        if e["errors"]:
            print(f"    {len(e['errors'])} file(s) failed: {e['errors'][:3]}", file=err)


if __name__ == "__main__":
    sys.exit(main())
