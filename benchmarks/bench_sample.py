"""The sample run end to end: wall time, peak memory, and judge/resolve quality against gold.

Usage: python benchmarks/bench_sample.py --data datasets/sample [--work DIR]

DIR holds ``pdfs/*.pdf`` and ``gold.json`` (the layout of ``datasets/sample``). The script runs
``abstab synth`` then ``abstab bench`` in child processes (timed; peak RSS of the children),
then scores the workspace against the gold headers:

- judge: detection of abstract header cells (precision / recall / F1);
- resolve: for gold abstract headers that the judge found, the share whose expansion matches
  the gold meaning (see ``meaning_matches``), per way the document explains them, and whether the
  category (explicit / inferable / unresolvable) agrees with the gold.

The last line of stdout is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from abstab.bench.metrics import token_f1
from abstab.core.headers import core_text
from abstab.core.words import content_words
from abstab.records import Answer, Document, Judgment, Resolution, Table
from abstab.store import StageDir

EXPLAINED_TO_CATEGORY = {"definition": "explicit", "legend": "explicit", "footnote": "explicit",
                         "implied": "inferable_document", "none": "unresolvable"}


def _norm(s: str) -> str:
    return "".join(s.split()).lower()


def meaning_matches(expansion: str, gold: str) -> bool:
    """The expansion says (part of) the gold meaning and nothing else: its content words are
    a non-empty subset of the gold's (lemmatised), or the two overlap with token F1 >= 0.5.
    Gold meanings are verbose ("average discharge over the sampling period (m³/s)"), so an
    expansion naming the quantity ("average discharge") counts as right."""
    got, want = content_words(expansion), content_words(gold)
    if got and got <= want:
        return True
    return token_f1(expansion, Answer(text=gold, type="text"), False) >= 0.5


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def match_tables(gold_doc: dict, tables: list[Table]) -> dict[int, Table]:
    """Gold table index → extracted table, by caption (else by header cells)."""
    out = {}
    for i, g in enumerate(gold_doc["tables"]):
        for t in tables:
            if t.caption and _norm(g["caption"]) == _norm(t.caption):
                out[i] = t
                break
    return out


def score_workspace(work: Path, gold: dict, data: Path) -> dict:
    ex = StageDir(work, "extract", ())
    docs = {Path(d.source).resolve(): d.doc_id for d in ex.read("documents", Document)}
    tables_by_doc = defaultdict(list)
    for t in ex.read("tables", Table):
        tables_by_doc[t.doc_id].append(t)
    judgments = {j.table_id: j for j in StageDir(work, "judge", ()).read("judgments", Judgment)}
    resolutions = {(r.table_id, r.keyword): r for r in
                   StageDir(work, "resolve", ()).read("resolutions", Resolution)}
    tp = fp = fn = 0
    tables_found = tables_gold = 0
    figure_rejected = figures = 0
    per_way: dict[str, list[float]] = defaultdict(list)
    category_hits: list[float] = []
    for gdoc in gold["documents"]:
        doc_id = docs.get((data / gdoc["file"]).resolve())
        tables = tables_by_doc.get(doc_id, [])
        matched = match_tables(gdoc, tables)
        for i, g in enumerate(gdoc["tables"]):
            t = matched.get(i)
            if g["kind"] == "figure":
                figures += 1
                j = judgments.get(t.table_id) if t else None
                figure_rejected += int(t is None or (j is not None and j.label == "not_table"))
                continue
            tables_gold += 1
            if t is None:
                fn += sum(h["style"] != "natural" for h in g["headers"])
                continue
            tables_found += 1
            j = judgments.get(t.table_id)
            found = {_norm(k.keyword): k for k in (j.keywords if j else [])}
            gold_abstract = {_norm(core_text(h["header"])): h for h in g["headers"]
                             if h["style"] != "natural"}
            tp += len(set(found) & set(gold_abstract))
            fp += len(set(found) - set(gold_abstract))
            fn += len(set(gold_abstract) - set(found))
            for key, h in gold_abstract.items():
                if key not in found:
                    continue
                r = resolutions.get((t.table_id, found[key].keyword))
                want = EXPLAINED_TO_CATEGORY[h["explained_by"]]
                if h["explained_by"] == "none":
                    ok = r is None or r.category == "unresolvable"
                else:
                    ok = r is not None and r.expansion is not None and meaning_matches(
                        r.expansion, h["meaning"])
                per_way[h["explained_by"]].append(float(ok))
                got = r.category if r else "unresolvable"
                category_hits.append(float(got == want or (
                    want.startswith("inferable") and got.startswith("inferable"))))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "tables_found": tables_found, "tables_gold": tables_gold,
        "figures_rejected": figure_rejected, "figures": figures,
        "judge_precision": round(p, 3), "judge_recall": round(r, 3),
        "judge_f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
        "resolve_accuracy": {k: round(sum(v) / len(v), 3) for k, v in sorted(per_way.items())},
        "resolve_n": {k: len(v) for k, v in sorted(per_way.items())},
        "category_accuracy": round(sum(category_hits) / len(category_hits), 3)
        if category_hits else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="folder with pdfs/ and gold.json")
    ap.add_argument("--work", type=Path, default=None, help="workspace (default: a temp dir)")
    args = ap.parse_args()
    data = args.data.resolve()
    gold = json.loads((data / "gold.json").read_text())
    work = args.work or Path(tempfile.mkdtemp(prefix="abstab-bench-")) / "work"
    pipeline = Path(__file__).resolve().parents[1] / "pipelines" / "sample.yaml"
    synth_s = run([sys.executable, "-m", "abstab", "synth", "-p", str(pipeline), "-o", str(work),
                   str(data / "pdfs"), "--force"])
    bench_s = run([sys.executable, "-m", "abstab", "bench", str(work), "--force"])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    results = json.loads((work / "bench" / "results.json").read_text())
    quality = score_workspace(work, gold, data)
    out = {
        "synth_seconds": round(synth_s, 2), "bench_seconds": round(bench_s, 2),
        "peak_rss_mb": round(peak_mb, 1),
        "items": sum(1 for _ in StageDir(work, "assemble", ()).path.joinpath(
            "items.jsonl").open()),
        **quality,
        "bench_correct": {s: v["overall"]["correct"] for s, v in results["systems"].items()},
        "bench_table_defined": {s: v["answer_location"].get("table_defined", {}).get("correct")
                                for s, v in results["systems"].items()},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
