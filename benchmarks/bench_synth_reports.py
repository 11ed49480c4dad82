"""QA synthesis on real report PDFs: the cleaning funnel, items per type and location,
throughput of the rules generator, LLM calls per item, and a review sheet.

Usage: python benchmarks/bench_synth_reports.py --data ../shared/corpora [--work DIR]
       [--review review.html] [--skip-llm]

DIR holds ``govreports/*.pdf`` and ``icdar2013/**/*.pdf`` (the layout of the shared corpora;
a held-out copy with the same layout works the same). The script

1. runs ``abstab synth -p pipelines/reports.yaml PDFS -o WORK/rules`` (rules backend) in a
   child process, then removes its generate and assemble output and runs it again (a resume:
   only those two stages run), timing them: items/s of the rules generator;
2. reads the funnel (PDFs → documents → tables → clean tables → abstract tables → items) and
   the items per question type and answer location from ``WORK/rules/assemble``;
3. writes a review sheet of 50 real-PDF items whose table shows an abstract header (HTML, or
   CSV when the path ends in ``.csv``): question, the table as printed with the code and the
   evidence cells highlighted, the document's definition span, the answer;
4. with the ``openai`` backend against a scripted OpenAI-compatible server on 127.0.0.1
   (``tests/llm_server.py``) runs ``abstab generate`` (default settings) on a copy of the
   workspace's extract/judge/resolve output: LLM calls per
   kept item, rejected proposals, and a forced rerun that must make zero new calls (cache).
   The scripted "model" reads the table in the prompt and proposes two lookups per column it
   is asked about and one lookup with a wrong answer per table, so its numbers measure the
   pipeline (one call per table, verification, cache), not a model's skill.

The last line of stdout is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from abstab.config import stable_hash
from abstab.records import Document, QAItem, Table
from abstab.store import StageDir

REPO = Path(__file__).resolve().parents[1]
PIPELINE = REPO / "pipelines" / "reports.yaml"


def find_inputs(data: Path) -> tuple[list[Path], int]:
    """The folders holding the PDFs (given to ``abstab synth`` as folders, so a workspace made
    by hand with the same command resumes) and the number of PDFs in them."""
    folders = sorted({p.parent for p in (data / "govreports").glob("*.pdf")}
                     | {p.parent for p in (data / "icdar2013").rglob("*.pdf")})
    n = sum(len(list(f.glob("*.pdf"))) for f in folders)
    if not n:
        sys.exit(f"no PDFs under {data}/govreports or {data}/icdar2013: pass --data the corpora "
                 "folder (e.g. ../shared/corpora)")
    return folders, n


def abstab(*args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "abstab", *args], capture_output=True,
                          text=True, env=env, check=False)
    if proc.returncode not in (0, 1):
        sys.exit(f"abstab {' '.join(args[:2])} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start, proc.stdout


def stage_seconds(output: str, stage: str) -> float | None:
    m = re.search(rf"^{stage}\s+ran\b.*?([\d.]+)s\s*$", output, re.MULTILINE)
    return float(m.group(1)) if m else None


# ----------------------------------------------------------------------------- review sheet


def _pick_review(items: list[QAItem], n: int) -> list[QAItem]:
    """Up to ``n`` real-PDF items on tables that show an abstract header, round-robin over
    question types so every type is seen, and within a type over documents, in a fixed
    (hashed) order."""
    pool = [i for i in items if i.origin == "document"
            and i.answer_location in ("table_defined", "table_implicit")]
    by_type: dict[str, list[QAItem]] = {}
    for i in sorted(pool, key=lambda i: stable_hash(["review", i.item_id])):
        by_type.setdefault(i.operation.type if i.operation else i.template, []).append(i)
    for t, group in by_type.items():
        seen: Counter[str] = Counter()
        turn = {}
        for i in group:  # the k-th item of its document goes in round k
            turn[i.item_id] = seen[i.doc_id]
            seen[i.doc_id] += 1
        by_type[t] = sorted(group, key=lambda i: turn[i.item_id])  # stable: hashed order within
    out: list[QAItem] = []
    while len(out) < n and any(by_type.values()):
        for t in sorted(by_type):
            if by_type[t] and len(out) < n:
                out.append(by_type[t].pop(0))
    return out


def _mark(text: str, words: list[str]) -> str:
    out = html.escape(text)
    for w in sorted({w for w in words if w}, key=len, reverse=True):
        out = out.replace(html.escape(w), f"<mark>{html.escape(w)}</mark>")
    return out


def _table_html(table: Table, item: QAItem) -> str:
    codes = [k.abstract for k in item.keywords]
    evidence = {tuple(c) for c in item.evidence.cells}
    rows = [f"<caption>{html.escape(table.caption or '')}</caption>"] if table.caption else []
    for r, row in enumerate(table.header_rows):
        cells = "".join(f"<th>{_mark(t, codes)}</th>" for t in row)
        rows.append(f"<tr><td class=rn></td>{cells}</tr>")
    for r, row in enumerate(table.rows[:60]):
        tr = r + table.n_header_rows
        cells = "".join(f"<td class={'ev' if (tr, c) in evidence else ''}>{html.escape(t)}</td>"
                        for c, t in enumerate(row))
        rows.append(f"<tr><td class=rn>r{r}</td>{cells}</tr>")
    if len(table.rows) > 60:
        rows.append(f"<tr><td colspan=99>({len(table.rows) - 60} more rows)</td></tr>")
    notes = "".join(f"<li>{_mark(n.text, codes)}</li>" for n in table.notes)
    return f"<table>{''.join(rows)}</table>" + (f"<ul class=notes>{notes}</ul>" if notes else "")


def write_review(path: Path, picked: list[QAItem], tables: dict[str, Table],
                 docs: dict[str, Document]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["n", "document", "table_id", "type", "location", "question", "answer",
                        "codes", "definition_spans", "evidence_cells", "table_header", "verdict"])
            for n, i in enumerate(picked, 1):
                t = tables[i.table_id or ""]
                w.writerow([n, Path(docs[i.doc_id].source).name, i.table_id,
                            i.operation.type if i.operation else i.template, i.answer_location,
                            i.question, i.answer.text,
                            "; ".join(f"{k.abstract} = {k.detailed} ({k.category})" for k in i.keywords),
                            " | ".join(f"[{s.char_start}:{s.char_end}] {s.text}" for s in i.evidence.spans),
                            json.dumps(i.evidence.cells), " | ".join(t.columns), ""])
        return
    style = ("body{font:14px sans-serif;max-width:1100px;margin:auto}"
             "section{border-top:2px solid #444;padding:8px 0}"
             "table{border-collapse:collapse;font-size:12px;margin:6px 0}"
             "td,th{border:1px solid #bbb;padding:2px 5px}th{background:#eee}"
             "mark{background:#ffd54f;font-weight:bold}td.ev{background:#a5d6a7;font-weight:bold}"
             "td.rn{color:#999}.q{font-size:16px;font-weight:bold}.meta{color:#555}")
    intro = ("<p>Each item: the question (it uses the meaning), the table as printed (the "
             "abstract header is <mark>highlighted</mark>, the evidence cells are green), where "
             "the document explains the header, and the gold answer computed from the table. "
             "Judge: is the meaning right, is the question natural, is the answer right?</p>")
    parts = ["<!doctype html><meta charset=utf-8><title>abstab review sheet</title>",
             f"<style>{style}</style><h1>abstab review sheet: real-PDF items</h1>", intro]
    for n, i in enumerate(picked, 1):
        t = tables[i.table_id or ""]
        doc = docs[i.doc_id]
        codes = [k.abstract for k in i.keywords]
        links = "".join(f"<li><mark>{html.escape(k.abstract)}</mark> = {html.escape(k.detailed)} "
                        f"<span class=meta>({k.category})</span></li>" for k in i.keywords)
        spans = "".join(f"<li><span class=meta>chars {s.char_start}–{s.char_end}, block "
                        f"{html.escape(s.block_id or '?')}:</span> {_mark(s.text, codes)}</li>"
                        for s in i.evidence.spans) or "<li class=meta>(no text span: the "\
            "meaning comes from a note under the table, or is implied)</li>"
        qtype = i.operation.type if i.operation else i.template
        parts.append(
            f"<section><div class=meta>#{n} · {html.escape(Path(doc.source).name)} · pages "
            f"{t.pages} · {html.escape(i.table_id or '')} · {qtype} · {i.answer_location} · "
            f"{i.abstraction.style} · {i.difficulty}</div>"
            f"<p class=q>{html.escape(i.question)}</p>"
            f"<p>Answer: <b>{html.escape(i.answer.text)}</b> "
            f"<span class=meta>(evidence cells {i.evidence.cells})</span></p>"
            f"<p>Header meanings:</p><ul>{links}</ul><p>Where the document says so:</p>"
            f"<ul>{spans}</ul>{_table_html(t, i)}"
            "<p>Verdict: ☐ right ☐ wrong meaning ☐ unnatural question ☐ wrong answer</p></section>")
    path.write_text("\n".join(parts), encoding="utf-8")


# ----------------------------------------------------------------------------- LLM path


def _scripted_model(request: dict) -> object:
    sys.path.insert(0, str(REPO / "tests"))
    from llm_server import ok

    text = request["messages"][-1]["content"]
    header = next((ln for ln in text.splitlines() if ln.startswith("| row |")), None)
    if header is None or "Ask about columns:" not in text:
        return ok({"questions": []})
    names = [c.split(": ", 1)[-1] for c in header.strip("| ").split(" | ")[1:]]
    rows = [ln.strip("| ").split(" | ")[1:] for ln in text.splitlines()
            if re.match(r"\| r\d+ \|", ln)]
    asked = [int(c) for c in re.findall(r"c(\d+)", text.split("Ask about columns:")[1])]
    key = int(re.search(r"Row labels are in column c(\d+)", text).group(1))  # type: ignore[union-attr]
    labelled = [r for r, row in enumerate(rows) if key < len(row) and row[key].strip()]
    out = []
    for c in asked:
        for r in labelled[:2]:
            if c < len(rows[r]) and rows[r][c].strip():
                out.append({"type": "lookup", "question": f"What is the {names[c]} for {rows[r][key]}?",
                            "column": c, "rows": [r], "answer": rows[r][c]})
    if out:
        wrong = dict(out[0], answer="-123456789")
        wrong["question"] = wrong["question"].replace("What is", "What was")
        out.append(wrong)
    return ok({"questions": out})


def llm_run(rules_work: Path, work: Path) -> dict:
    sys.path.insert(0, str(REPO / "tests"))
    from llm_server import FakeLLMServer

    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for stage in ("extract", "judge", "resolve"):
        shutil.copytree(rules_work / stage, work / stage)
    server = FakeLLMServer(_scripted_model).start()
    try:
        args = ["generate", str(work), "--backend", "openai", "--model", "scripted",
                "--base-url", server.url, "--api-key", "none", "--concurrency", "4"]
        seconds, _ = abstab(*args)
        first = len(server.requests)
        server.reset_counts()
        abstab(*args, "--force")
        rerun = len(server.requests)
    finally:
        server.stop()
    items = [i for i in StageDir(work, "generate", ()).read("items", QAItem)
             if i.provenance.backend == "openai"]
    errors = [json.loads(x) for x in (work / "generate" / "errors.jsonl").read_text().splitlines()]
    rejected = Counter(e["reason"] for e in errors if e.get("raw"))
    stats = json.loads((work / "generate" / "stats.json").read_text())
    return {"llm_calls": first, "llm_items": len(items),
            "llm_calls_per_item": round(first / len(items), 3) if items else None,
            "llm_rejected": dict(rejected), "llm_generate_seconds": round(seconds, 1),
            "llm_rerun_new_calls": rerun, "llm_cache_hits_on_rerun": stats["llm"].get("cache_hits")}


# ----------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the corpora folder")
    ap.add_argument("--work", type=Path, default=None, help="workspace (default: a temp dir)")
    ap.add_argument("--review", type=Path, default=None, help="write the review sheet here")
    ap.add_argument("--n-review", type=int, default=50)
    ap.add_argument("--skip-llm", action="store_true")
    ap.add_argument("--pipeline", type=Path, default=PIPELINE, help="pipeline file to run")
    args = ap.parse_args()

    folders, n_pdfs = find_inputs(args.data)
    root = args.work or Path(tempfile.mkdtemp(prefix="abstab-reports-"))
    rules = root / "rules"
    synth = ("synth", "-p", str(args.pipeline), *map(str, folders), "-o", str(rules))
    synth_s, _ = abstab(*synth)
    # Redo generate and assemble with the pipeline's settings (a resumed synth), timed.
    for stage in ("generate", "assemble"):
        shutil.rmtree(rules / stage, ignore_errors=True)
    gen_s, gen_out = abstab(*synth)
    print(gen_out)
    gen_stats = json.loads((rules / "generate" / "stats.json").read_text())
    asm_stats = json.loads((rules / "assemble" / "stats.json").read_text())
    items = list(StageDir(rules, "assemble", ()).read("items", QAItem))
    docs = {d.doc_id: d for d in StageDir(rules, "extract", ()).read("documents", Document)}
    tables = {t.table_id: t for t in StageDir(rules, "assemble", ()).read("tables", Table)}
    gen_inner = stage_seconds(gen_out, "generate")
    doc_items = [i for i in items if i.origin == "document"]
    metrics: dict = {
        "pdfs": n_pdfs,
        "funnel": {s["step"]: s["n"] for s in asm_stats["funnel"]},
        "funnel_dropped": {s["step"]: s["dropped"] for s in asm_stats["funnel"] if s["dropped"]},
        "items": len(items),
        "items_per_location": dict(Counter(i.answer_location for i in items)),
        "items_per_type": dict(Counter(i.operation.type if i.operation else i.template
                                       for i in items)),
        "abstract_items_per_type": dict(Counter(
            i.operation.type for i in doc_items if i.operation
            and i.answer_location in ("table_defined", "table_implicit"))),
        "items_per_style": dict(Counter(i.abstraction.style for i in items)),
        "items_per_difficulty": dict(Counter(i.difficulty for i in items)),
        "tables_with_abstract_items": len({i.table_id for i in items
                                           if i.answer_location in ("table_defined", "table_implicit")}),
        "generated": gen_stats["kept"],
        "generate_dropped": gen_stats["dropped"],
        "generate_seconds": gen_inner,
        "rules_items_per_s": round(gen_stats["kept"] / gen_inner, 1) if gen_inner else None,
        "assemble_seconds": stage_seconds(gen_out, "assemble"),
        "resumed_synth_process_seconds": round(gen_s, 1),
        "first_synth_process_seconds": round(synth_s, 1),
        "dedup": asm_stats.get("dedup"),
    }
    if args.review:
        picked = _pick_review(items, args.n_review)
        write_review(args.review, picked, tables, docs)
        metrics["review_sheet"] = str(args.review)
        metrics["review_items"] = len(picked)
    if not args.skip_llm:
        metrics.update(llm_run(rules, root / "llm"))
    print(json.dumps(metrics, ensure_ascii=False))


if __name__ == "__main__":
    main()
