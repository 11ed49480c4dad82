"""Words of table regions that extraction cuts, loses or duplicates.

Usage: python benchmarks/bench_cell_audit.py --data DIR [--data DIR2 ...] [--work WORK]
       [--show N]

Runs ``abstab extract`` (the public CLI, a child process) on every PDF under each DIR (or reads
``WORK/<n>/extract`` when a finished workspace is there), then checks every extracted table
with :func:`abstab.extract.audit.audit_pdf`: each word PyMuPDF reads inside a table's box must
be held whole by exactly one cell (or by the table's caption or notes). Prints, per corpus, the
tables and words checked and the words cut, lost and duplicated, then up to ``--show`` of each
kind with the cells around them. The last line of stdout is one JSON object with the counts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from abstab.extract.audit import ISSUE_KINDS, audit_pdf
from abstab.records import Table


def extract(pdfs: list[Path], work: Path) -> None:
    if (work / "extract" / "tables.jsonl").exists():
        return
    proc = subprocess.run([sys.executable, "-m", "abstab", "extract", *map(str, pdfs),
                           "-o", str(work)], capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        sys.exit(f"abstab extract failed ({proc.returncode}):\n{proc.stderr[-2000:]}")


def tables_by_pdf(work: Path) -> dict[Path, list[Table]]:
    docs = {}
    for line in (work / "extract" / "documents.jsonl").read_text().splitlines():
        d = json.loads(line)
        docs[d["doc_id"]] = Path(d["source"])
    out: dict[Path, list[Table]] = {}
    for line in (work / "extract" / "tables.jsonl").read_text().splitlines():
        t = Table.model_validate_json(line)
        out.setdefault(docs[t.doc_id], []).append(t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, action="append", required=True,
                    help="a folder of PDFs (searched recursively); repeatable")
    ap.add_argument("--work", type=Path, help="workspace root (default: a temporary folder); "
                    "WORK/<n> is reused for the n-th --data when finished")
    ap.add_argument("--show", type=int, default=10, help="examples printed per kind")
    args = ap.parse_args()
    root = args.work or Path(tempfile.mkdtemp(prefix="abstab-audit-"))
    summary: dict[str, dict[str, int]] = {}
    examples: dict[str, list[str]] = {k: [] for k in ISSUE_KINDS}
    for n, data in enumerate(args.data):
        pdfs = sorted(data.rglob("*.pdf"))
        work = root / str(n)
        extract(pdfs, work)
        counts = dict.fromkeys(("tables", "words", *ISSUE_KINDS), 0)
        for pdf, tables in sorted(tables_by_pdf(work).items()):
            for audit in audit_pdf(pdf, tables):
                counts["tables"] += 1
                counts["words"] += audit.words
                for issue in audit.issues:
                    counts[issue.kind] += 1
                    examples[issue.kind].append(
                        f"{pdf.name} p{issue.page} {audit.table_id}: {issue.word!r} "
                        f"in {list(issue.cells)[:4]!r}")
        summary[data.name] = counts
        print(f"{data.name:16} tables {counts['tables']:4}  words {counts['words']:6}  "
              + "  ".join(f"{k} {counts[k]}" for k in ISSUE_KINDS))
    for kind, lines in examples.items():
        if lines and args.show:
            print(f"\n{kind} ({len(lines)}):")
            for line in lines[:args.show]:
                print("  " + line[:300])
    total = {k: sum(c[k] for c in summary.values()) for k in ("tables", "words", *ISSUE_KINDS)}
    print(json.dumps({"corpora": summary, "total": total}))


if __name__ == "__main__":
    main()
