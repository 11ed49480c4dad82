"""WikiTableQuestions: denotation accuracy of the table system with the rules reader.

Usage::

    python benchmarks/bench_wtq.py --data ../shared/corpora/wikitablequestions \\
        [--official DIR] [--tagged FILE] [--systems table,closed-book]

``--data`` is a WTQ folder (``questions*.tsv`` beside ``csv/``, the files WTQDataset reads; so a
held-out ``questions.holdout.tsv`` works too). ``--official DIR`` is a folder with the official
``evaluator.py`` (ppasupat/WikiTableQuestions, Python 2; run with ``python2`` from PATH or
``--python2``). With it, the predictions are written in the evaluator's format and judged by it:

- against the raw ``targetValue`` strings (a tagged file whose ``targetCanon`` repeats them):
  the evaluator's verdicts must equal abstab's ``denotation`` item by item;
- with ``--tagged FILE``, the dataset's CoreNLP-tagged file (``tagged/data/*.tagged``), the
  official accuracy with canonical target values, reported beside abstab's (which has only the
  raw strings the loader reads, so a target such as "1,000" is a string to it).

Also measured: items/s per system and the cost of building the per-table BM25 indexes per
1,000 documents. The last stdout line is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from abstab.backends import build_backend
from abstab.bench.data import load_data
from abstab.bench.external import index_cost, run_system
from abstab.bench.official import split_items
from abstab.bench.report import summarize
from abstab.bench.run import METRICS
from abstab.sources import open_source


def _evaluate(python2: str, official: Path, tagged_dir: Path, preds: dict[str, str]
              ) -> dict[str, bool]:
    with tempfile.TemporaryDirectory() as tmp:
        pred_path = Path(tmp) / "predictions.tsv"
        lines = []
        for item_id, answer in preds.items():
            fields = [" ".join(f.split()) for f in split_items(answer)] if answer.strip() else []
            lines.append("\t".join([item_id, *fields]))
        pred_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out = subprocess.run([python2, str(official / "evaluator.py"), "-t", str(tagged_dir),
                              str(pred_path)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"evaluator.py failed: {out.stderr[-2000:]}")
    verdicts = {}
    for line in out.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0] in preds:
            verdicts[parts[0]] = parts[1] == "True"
    return verdicts


def _raw_tagged(data_dir: Path, out_dir: Path) -> None:
    """A tagged-format file with targetCanon = targetValue: the evaluator on raw strings."""
    files = open_source("wtq", data_dir).data_files()  # the files the bench's items come from
    lines = ["id\ttargetValue\ttargetCanon"]
    for f in files:
        rows = f.read_text(encoding="utf-8").splitlines()
        header = rows[0].split("\t")
        for row in rows[1:]:
            if row.strip():
                rec = dict(zip(header, row.split("\t"), strict=False))
                lines.append(f"{rec['id']}\t{rec['targetValue']}\t{rec['targetValue']}")
    (out_dir / "raw.tagged").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--official", type=Path, default=None, help="folder with evaluator.py")
    ap.add_argument("--tagged", type=Path, default=None,
                    help="the official CoreNLP-tagged questions file (targetCanon)")
    ap.add_argument("--python2", default=shutil.which("python2") or "python2")
    ap.add_argument("--systems", default="table,closed-book")
    args = ap.parse_args()

    data = load_data(args.data, "wtq")
    items = {i.item_id: i for i in data.items}
    backend = build_backend("rules")
    result: dict[str, object] = {"dataset": str(args.data), "items": len(data.items),
                                 "tables": len(data.tables), "skipped": len(data.skipped),
                                 "systems": {}}
    for name in args.systems.split(","):
        run = run_system(data, name, backend, METRICS, retriever="bm25")
        summary = summarize(run.scores, items, run.predictions, METRICS)
        entry: dict[str, object] = {
            "denotation_accuracy": summary["overall"]["denotation"],
            "ci": summary["overall"]["cis"]["denotation"],
            "correct": summary["overall"]["correct"],
            "answered": sum(not p.abstained for p in run.predictions),
            "items_per_s": round(run.items_per_s, 1),
            "failures": len(run.failures),
        }
        preds = {p.item_id: p.answer for p in run.predictions}
        ours = {s.item_id: s.metrics["denotation"] == 1.0 for s in run.scores}
        if args.official:
            with tempfile.TemporaryDirectory() as tmp:
                _raw_tagged(args.data, Path(tmp))
                official = _evaluate(args.python2, args.official, Path(tmp), preds)
            entry["official_raw"] = {
                "items": len(official),
                "accuracy": round(sum(official.values()) / max(len(official), 1), 4),
                "disagree": sum(official.get(i) != v for i, v in ours.items()),
            }
            if args.tagged:
                with tempfile.TemporaryDirectory() as tmp:
                    shutil.copy(args.tagged, Path(tmp) / args.tagged.name)
                    canon = _evaluate(args.python2, args.official, Path(tmp), preds)
                canon = {i: v for i, v in canon.items() if i in ours}
                entry["official_corenlp"] = {
                    "items": len(canon),
                    "accuracy": round(sum(canon.values()) / max(len(canon), 1), 4),
                    "differs_from_abstab_on": sorted(i for i, v in canon.items() if v != ours[i]),
                }
        result["systems"][name] = entry  # type: ignore[index]
        print(f"{name:<12} {entry}", file=sys.stderr)
    cost = index_cost(data, "bm25")
    result["index_cost"] = {"bm25": {"documents": cost.documents, "passages": cost.passages,
                                     "seconds": round(cost.seconds, 3),
                                     "per_1000_documents": cost.per_1000_documents()}}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
