"""Controlled abstraction of WikiTableQuestions and TAT-QA: how many items, are they valid, do
they leak, can a reader given the gold meanings answer them, do the PDFs read back.

For each dataset found under ``--data`` (``wikitablequestions/``, ``tatqa/``; TAT-QA's
``*.shared.json`` or ``*.holdout.json``), the pipeline's ingest settings (pipelines/<src>.yaml)
are run through ingest → controlled → assemble in a scratch workspace, then:

* items per source, per style × explanation cell, per answer location and per template;
* evidence re-validation: share of ingested items whose evidence the controlled stage's
  validator re-checks (goal 100%), and items the assemble stage's own grounding check drops;
* split hygiene: source tables whose items land in more than one split;
* ``abstab bench`` with the rules backend: closed-book accuracy on table-located items
  (leakage: goal near 0) and oracle accuracy on answerable items (goal >= 0.98), overall and
  per template (the dataset's own questions vs abstab's lookup templates: the rules reader only
  does lookups, so on WTQ/TAT-QA questions needing aggregation it abstains), and per
  single-table / multi-table item (questions across the two tables of a split document,
  :mod:`abstab.synth.split`; goal: oracle >= 0.98 on them);
* per explanation kind (``explained_by``: legend, definition_sentence and the implied kinds of
  :mod:`abstab.synth.clues`): items, the uniqueness re-check of every implied clue against the
  ingested table and text (the check ``abstab validate`` runs; goal 100%), closed-book accuracy
  (goal <= 0.02) and oracle accuracy on abstab's template questions (goal >= 0.98);
* single-table oracle: the oracle's context with only the first of a multi-table item's tables
  (goal <= 0.05: one table must not answer them), with the rules reader;
* PDF round trip: ``abstab extract`` on a sample of rendered PDFs, cells read back;
* throughput: items/s and documents/s of ingest + controlled (PDF rendering included).

Usage::

    python benchmarks/bench_synth_sources.py --data ../shared/corpora [--limit 40]

The last stdout line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FOLDERS = {"wtq": "wikitablequestions", "tatqa": "tatqa"}
TABLE_LOCATIONS = ("table_clear", "table_defined", "table_implicit")


def _norm(text: str) -> str:
    return " ".join(text.split())


def round_trip(work: Path, n: int) -> dict[str, Any]:
    """Extract ``n`` rendered PDFs with abstab's extract stage; compare the tables cell by cell."""
    from abstab.config import stable_hash
    from abstab.records import Document, Table
    from abstab.stages.extract import ExtractStage
    from abstab.store import StageDir, read_kind

    docs = sorted(read_kind(work, "documents"), key=lambda d: stable_hash(["rt", d.doc_id]))[:n]
    ours = {t.doc_id: t for t in read_kind(work, "tables")}
    rt = work / "roundtrip"
    ExtractStage(rt, {"inputs": [d.source for d in docs]}).run()
    got_docs = {d.source: d.doc_id for d in StageDir(rt, "extract", ()).read("documents", Document)}
    got_tables: dict[str, list[Table]] = defaultdict(list)
    for t in StageDir(rt, "extract", ()).read("tables", Table):
        got_tables[t.doc_id].append(t)
    found = same_shape = cells = equal = equal_nospace = 0
    exact_tables = 0
    for d in docs:
        want = ours[d.doc_id]
        tables = got_tables.get(got_docs.get(d.source, ""), [])
        if len(tables) != 1:
            continue
        found += 1
        g = tables[0]
        wgrid = [*want.header_rows, *want.rows]
        ggrid = [*g.header_rows, *g.rows]
        if len(wgrid) == len(ggrid) and all(len(a) == len(b) for a, b in zip(wgrid, ggrid)):
            same_shape += 1
        all_equal = True
        for r, row in enumerate(wgrid):
            for c, v in enumerate(row):
                cells += 1
                o = ggrid[r][c] if r < len(ggrid) and c < len(ggrid[r]) else None
                ok = o is not None and _norm(o) == _norm(v)
                equal += ok
                equal_nospace += o is not None and "".join(o.split()) == "".join(v.split())
                all_equal &= ok
        exact_tables += all_equal and len(wgrid) == len(ggrid)
    return {"pdfs": len(docs), "one_table_found": found, "same_shape": same_shape,
            "tables_exact": exact_tables, "cells": cells,
            "cell_accuracy": round(equal / cells, 4) if cells else None,
            "cell_accuracy_ignoring_spaces": round(equal_nospace / cells, 4) if cells else None}


def bench(work: Path, systems: list[str]) -> dict[str, Any]:
    """``abstab bench WORK`` (rules backend) through the CLI, then accuracy per item subset."""
    import subprocess

    from abstab.jsonl import read_records
    from abstab.records import QAItem, Score

    items = {i.item_id: i for i in read_records(work / "assemble" / "items.jsonl", QAItem)}
    out: dict[str, Any] = {}
    for name in systems:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "abstab", "bench", str(work), "-s", name,
                               "--backend", "rules", "--no-plots"],
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        path = work / "bench" / f"{name}-rules" / "scores.jsonl"
        if proc.returncode not in (0, 1) or not path.exists():
            out[name] = {"error": (proc.stderr or proc.stdout)[-500:]}
            continue
        scores = list(read_records(path, Score))

        def acc(pred: Any, scores: list[Score] = scores) -> dict[str, Any]:
            sel = [s.correct for s in scores if s.item_id in items and pred(items[s.item_id])]
            return {"n": len(sel), "correct": round(sum(sel) / len(sel), 4) if sel else None}

        res: dict[str, Any] = {
            "seconds": round(seconds, 1),
            "answerable": acc(lambda i: i.answer_location != "unanswerable"),
            "table_located": acc(lambda i: i.answer_location in TABLE_LOCATIONS),
            "unanswerable": acc(lambda i: i.answer_location == "unanswerable"),
            "location": {loc: acc(lambda i, loc=loc: i.answer_location == loc)
                         for loc in ("text", *TABLE_LOCATIONS, "unanswerable")},
        }
        res["tables"] = {
            "single": acc(lambda i: i.table_id is not None and not i.tables
                          and i.answer_location != "unanswerable"),
            "multi": acc(lambda i: bool(i.tables)),
            "multi_template": acc(lambda i: bool(i.tables) and i.template.startswith("two_table")),
        }
        templates = sorted({i.template for i in items.values()})
        res["answerable_by_template"] = {
            t: acc(lambda i, t=t: i.template == t and i.answer_location != "unanswerable")
            for t in templates}
        kinds = sorted({str(i.abstraction.explained_by) for i in items.values()})
        res["explained_by"] = {k: acc(lambda i, k=k: str(i.abstraction.explained_by) == k)
                               for k in kinds}
        res["explained_by_templates"] = {
            k: acc(lambda i, k=k: str(i.abstraction.explained_by) == k
                   and i.template != "source_question") for k in kinds}
        out[name] = res
    return out


def uniqueness(work: Path, items: list[Any]) -> dict[str, Any]:
    """Every implied item's clue re-checked against the ingested table and document text
    (:func:`abstab.synth.validate.implied_item_problem`), per kind: share that single out
    their header, and the first problems."""
    from abstab.store import read_kind
    from abstab.synth.clues import IMPLIED_KINDS
    from abstab.synth.validate import implied_item_problem

    docs = {d.doc_id: d for d in read_kind(work, "documents")}
    tables = {t.table_id: t for t in read_kind(work, "tables")}
    out: dict[str, Any] = {}
    for kind in IMPLIED_KINDS:
        mine = [i for i in items if i.abstraction.explained_by == kind]
        problems = [p for i in mine if (p := implied_item_problem(
            i, docs[i.doc_id], tables.get(i.table_id or "")))]
        out[kind] = {"n": len(mine), "unique": round(1 - len(problems) / len(mine), 4)
                     if mine else None, "problems": problems[:3]}
    return out


def single_table_oracle(work: Path) -> dict[str, Any]:
    """The oracle's context for each multi-table item as if the item were about its first table
    only, read by the rules reader: what one table alone answers (goal <= 0.05)."""
    from abstab.bench.data import load_data
    from abstab.bench.metrics import correct
    from abstab.bench.systems import Corpus, OracleSystem
    from abstab.rules.reader import read

    data = load_data(work)
    oracle = OracleSystem(Corpus(data.docs, data.tables))
    hits: dict[str, list[float]] = defaultdict(list)
    for item in data.items:
        if len(item.tables) < 2:
            continue
        out = read(item.question, oracle.passages(item.model_copy(update={"tables": []})))
        hits[item.template].append(correct(out.answer, item.answer, out.abstained))
    every = [h for v in hits.values() for h in v]
    return {"n": len(every), "correct": round(sum(every) / len(every), 4) if every else None,
            "by_template": {t: {"n": len(v), "correct": round(sum(v) / len(v), 4)}
                            for t, v in sorted(hits.items())}}


def run_source(source: str, data: Path, limit: int | None, roundtrip_n: int,
               systems: list[str], work: Path) -> dict[str, Any]:
    from abstab.config import Pipeline
    from abstab.records import QAItem
    from abstab.stages.assemble import AssembleStage
    from abstab.stages.ingest import ControlledStage, IngestStage
    from abstab.store import read_kind

    pipe = Pipeline.load(REPO / "pipelines" / f"{source}.yaml")
    settings = {**pipe.stages.get("ingest", {}), "source": source, "inputs": [str(data)],
                "limit": limit}
    start = time.perf_counter()
    ingest = IngestStage(work, settings).run()
    controlled = ControlledStage(work, {}).run()
    seconds = time.perf_counter() - start
    assemble = AssembleStage(work, pipe.stages.get("assemble", {})).run()
    ingested: list[QAItem] = list(read_kind(work, "ingested_items"))
    kept: list[QAItem] = list(read_kind(work, "dataset_items"))
    docs = ingest.stats.get("counts", {}).get("documents", 0)
    cells: dict[str, int] = Counter(
        f"{i.abstraction.style}×{i.abstraction.legend}" for i in ingested)
    splits: dict[str, set[str]] = defaultdict(set)
    for i in kept:
        if i.source and i.split:
            splits[i.source.doc_id].add(i.split)
    n_in = controlled.stats.get("in", 0)
    passed = {i.item_id for i in read_kind(work, "items")}

    def revalidated(sel: list[QAItem]) -> float | None:
        return round(sum(i.item_id in passed for i in sel) / len(sel), 4) if sel else None

    multi = [i for i in ingested if i.tables]
    single = [i for i in ingested if i.table_id is not None and not i.tables]
    result = {
        "source_tables": len({i.source.doc_id for i in ingested if i.source}),
        "source_questions_in": ingest.stats.get("in", 0),
        "source_questions_used": ingest.stats.get("kept", 0),
        "ingest_dropped": ingest.stats.get("dropped", {}),
        "documents": docs,
        "items": len(ingested),
        "items_assembled": len(kept),
        "assemble_dropped": assemble.stats.get("dropped", {}),
        "style_x_explanation": dict(sorted(cells.items())),
        "location": dict(sorted(Counter(i.answer_location for i in ingested).items())),
        "template": dict(sorted(Counter(i.template for i in ingested).items())),
        "explained_by": dict(sorted(Counter(str(i.abstraction.explained_by)
                                            for i in ingested).items())),
        "uniqueness": uniqueness(work, ingested),
        "revalidated": round(controlled.stats.get("kept", 0) / n_in, 4) if n_in else None,
        "tables": {"single": len(single), "multi": len(multi)},
        "multi_template": dict(sorted(Counter(i.template for i in multi).items())),
        "multi_split": dict(sorted(Counter(str(i.source.meta.get("split")) for i in multi
                                           if i.source).items())),
        "revalidated_tables": {"single": revalidated(single), "multi": revalidated(multi)},
        "assemble_ungrounded": assemble.stats.get("dropped", {}).get("ungrounded", 0),
        "source_tables_in_several_splits": sum(len(s) > 1 for s in splits.values()),
        "seconds": round(seconds, 1),
        "items_per_s": round(len(ingested) / seconds, 2) if seconds else None,
        "documents_per_s": round(docs / seconds, 2) if seconds else None,
    }
    if roundtrip_n:
        result["roundtrip"] = round_trip(work, roundtrip_n)
    if systems:
        result["bench"] = bench(work, systems)
    if multi:
        result["single_table_oracle"] = single_table_oracle(work)
    return result


def explanation_table(res: dict[str, Any]) -> str:
    """Per explanation kind: items, uniqueness re-check, closed-book, oracle (all / templates)."""
    bench_ = res.get("bench", {})

    def cell(system: str, key: str, kind: str) -> str:
        a = bench_.get(system, {}).get(key, {}).get(kind)
        return f"{a['correct']:.2f} ({a['n']})" if a and a["correct"] is not None else "–"

    lines = ["| explained_by | items | unique | closed-book | oracle | oracle, templates |",
             "|---|---:|---:|---:|---:|---:|"]
    for kind, n in res["explained_by"].items():
        u = res["uniqueness"].get(kind, {}).get("unique")
        name = "none (clear or removed)" if kind == "None" else kind
        lines.append(f"| {name} | {n} | {'–' if u is None else f'{u:.4f}'} | "
                     f"{cell('closed-book', 'explained_by', kind)} | "
                     f"{cell('oracle', 'explained_by', kind)} | "
                     f"{cell('oracle', 'explained_by_templates', kind)} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True,
                    help="folder holding wikitablequestions/ and/or tatqa/")
    ap.add_argument("--limit", type=int, default=None,
                    help="source tables per dataset (default: all)")
    ap.add_argument("--roundtrip", type=int, default=12, help="PDFs read back per dataset")
    ap.add_argument("--systems", default="oracle,closed-book",
                    help="bench systems, comma-separated ('' to skip)")
    ap.add_argument("--work", type=Path, default=None,
                    help="keep the workspaces here (default: a temporary folder)")
    args = ap.parse_args()
    systems = [s for s in args.systems.split(",") if s]
    out: dict[str, Any] = {"benchmark": "synth_sources", "limit": args.limit, "sources": {},
                           "skipped": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = args.work or Path(tmp)
        for source, folder in FOLDERS.items():
            data = args.data / folder
            if not data.exists():
                out["skipped"][source] = f"{data} not found"
                continue
            res = run_source(source, data, args.limit, args.roundtrip, systems, root / source)
            out["sources"][source] = res
            print(f"\n## {source}: {res['source_tables']} tables, {res['items']} items "
                  f"({res['items_assembled']} assembled), {res['documents']} PDFs, "
                  f"{res['items_per_s']} items/s")
            print(f"re-validated {res['revalidated']}, assemble ungrounded "
                  f"{res['assemble_ungrounded']}, source tables in several splits "
                  f"{res['source_tables_in_several_splits']}")
            print("locations:", res["location"])
            print(f"items single/multi-table: {res['tables']}, re-validated "
                  f"{res['revalidated_tables']}, multi-table templates {res['multi_template']}, "
                  f"splits {res['multi_split']}")
            if "single_table_oracle" in res:
                print("single-table oracle on multi-table items:", res["single_table_oracle"])
            print("style × explanation:", res["style_x_explanation"])
            if "roundtrip" in res:
                print("round trip:", res["roundtrip"])
            for name, b in res.get("bench", {}).items():
                print(f"{name}: answerable {b['answerable']}, table-located "
                      f"{b['table_located']}, by template {b['answerable_by_template']}")
                if "tables" in b:
                    print(f"{name} single/multi-table: {b['tables']}")
            print(explanation_table(res))
            sys.stdout.flush()
    print(json.dumps(out, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
