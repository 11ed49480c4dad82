"""TAT-QA: every system with the rules reader, scored by abstab and by the official rules.

Usage::

    python benchmarks/bench_tatqa.py --data ../shared/corpora/tatqa \\
        [--official DIR] [--systems table,rag,hybrid,oracle,closed-book] [--retriever bm25]

``--data`` is a TAT-QA file or a folder holding one (``tatqa_dataset_*.json``,
``*.shared.json``, ``*.holdout.json``). ``--official DIR`` is a folder with the official
``tatqa_eval.py`` / ``tatqa_metric.py`` / ``tatqa_utils.py`` (NExTplusplus/TAT-QA; they need
pandas, numpy and scipy). With it, the same predictions are scored three ways and compared
item by item:

1. abstab's registered metrics ``tatqa_em`` / ``tatqa_f1`` on the records abstab builds;
2. abstab's reimplementation of the official rules (:func:`abstab.bench.official.tatqa_em_f1`)
   on the raw JSON fields (answer, answer_type, scale);
3. the official ``TaTQAEmAndF1`` class itself, and the official ``tatqa_eval.py`` run as a
   script on the written prediction file (its printed EM / F1 must equal abstab's overall).

Also measured: throughput (items/s) per system and the cost of building the retrieval indexes
(seconds and retained memory per 1,000 documents) for bm25 and, when the embed extra is
installed, dense and hybrid. The last stdout line is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from abstab.backends import build_backend
from abstab.bench.data import load_data
from abstab.bench.external import index_cost, run_system
from abstab.bench.official import tatqa_em_f1, tatqa_prediction
from abstab.bench.report import summarize
from abstab.bench.run import METRICS

SYSTEMS = ("table", "rag", "hybrid", "oracle", "closed-book")


def _official_pair(pred: str) -> list[object]:
    # The (answer, scale) pair a TAT-QA model would output: what tatqa_predictions.json holds.
    return list(tatqa_prediction(pred))


def _official_class(official: Path, items, preds) -> dict[str, tuple[float, float]]:
    sys.path.insert(0, str(official))
    try:
        import tatqa_metric  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    out = {}
    for item in items:
        meta = item.source.meta
        meter = tatqa_metric.TaTQAEmAndF1()
        pred, scale = _official_pair(preds[item.item_id]) if item.item_id in preds else (None, None)
        meter(ground_truth={"answer": meta["answer"], "answer_type": meta["answer_type"],
                            "scale": meta["scale"], "answer_from": meta["answer_from"]},
              prediction=pred, pred_scale=scale)
        row = meter.get_raw()[0]
        out[item.item_id] = (float(row["em"]), float(row["f1"]))
    return out


def _official_script(official: Path, gold_files: list[Path], preds: dict[str, str]
                     ) -> dict[str, float] | None:
    """Run tatqa_eval.py as a program; its printed EM / F1 (percent, 2 places)."""
    if len(gold_files) != 1:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        pred_path = Path(tmp) / "predictions.json"
        pred_path.write_text(json.dumps({k: _official_pair(v) for k, v in preds.items()}))
        out = subprocess.run([sys.executable, str(official / "tatqa_eval.py"), "--gold_path",
                              str(gold_files[0]), "--pred_path", str(pred_path)],
                             capture_output=True, text=True, cwd=official, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"tatqa_eval.py failed: {out.stderr[-2000:]}")
    em = re.search(r"Exact-match accuracy ([\d.]+)", out.stdout)
    f1 = re.search(r"F1 score ([\d.]+)", out.stdout)
    return {"em": float(em.group(1)), "f1": float(f1.group(1))} if em and f1 else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--official", type=Path, default=None,
                    help="folder with the official tatqa_eval.py and tatqa_metric.py")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--retriever", default="bm25", help="bm25, dense or hybrid")
    ap.add_argument("-k", type=int, default=5)
    args = ap.parse_args()

    data = load_data(args.data, "tatqa")
    items = {i.item_id: i for i in data.items}
    backend = build_backend("rules")
    result: dict[str, object] = {"dataset": str(args.data), "items": len(data.items),
                                 "documents": len(data.docs), "skipped": len(data.skipped),
                                 "retriever": args.retriever, "k": args.k, "systems": {}}
    agreement: dict[str, object] = {}
    for name in args.systems.split(","):
        run = run_system(data, name, backend, METRICS, k=args.k, retriever=args.retriever)
        summary = summarize(run.scores, items, run.predictions, METRICS,
                            retrieval_k=args.k if name in ("rag", "hybrid") else None)
        entry = {
            "items_per_s": round(run.items_per_s, 1),
            "failures": len(run.failures),
            "em": summary["overall"]["tatqa_em"], "f1": summary["overall"]["tatqa_f1"],
            "em_ci": summary["overall"]["cis"]["tatqa_em"],
            "f1_ci": summary["overall"]["cis"]["tatqa_f1"],
            "correct": summary["overall"]["correct"],
            "by_answer_from": {k: {"n": v["n"], "em": v["metrics"]["tatqa_em"]["mean"],
                                   "f1": v["metrics"]["tatqa_f1"]["mean"]}
                               for k, v in summary.get("answer_from", {}).items()},
            "by_answer_type": {k: {"n": v["n"], "em": v["metrics"]["tatqa_em"]["mean"],
                                   "f1": v["metrics"]["tatqa_f1"]["mean"]}
                               for k, v in summary.get("answer_type", {}).items()},
        }
        if "retrieval" in summary:
            entry["retrieval"] = summary["retrieval"]
        result["systems"][name] = entry  # type: ignore[index]

        # Agreement: registered metrics on records vs the official rules on the raw fields.
        preds = {p.item_id: p.answer for p in run.predictions}
        ours = {s.item_id: (s.metrics["tatqa_em"], s.metrics["tatqa_f1"]) for s in run.scores}
        raw = {}
        for item_id, pred in preds.items():
            meta = items[item_id].source.meta
            answer, scale = _official_pair(pred)
            raw[item_id] = tatqa_em_f1(answer, scale, meta["answer"],
                                       meta["answer_type"], meta["scale"])
        check: dict[str, object] = {
            "items": len(ours),
            "records_vs_rules_disagree": sum(ours[i] != raw[i] for i in ours),
        }
        if args.official:
            official = _official_class(args.official, data.items, preds)
            check["official_class_disagree"] = sum(official[i] != ours.get(i, (0.0, 0.0))
                                                   for i in official)
            files = [args.data] if args.data.is_file() else sorted(
                p for p in args.data.glob("*.json"))
            script = _official_script(args.official, files, preds)
            if script is not None:
                n = len(data.items)
                # Formatted as the script prints them ("{0:.2f}".format(x * 100)).
                abstab_pct = {"em": float(f"{sum(v[0] for v in ours.values()) / n * 100:.2f}"),
                              "f1": float(f"{sum(v[1] for v in ours.values()) / n * 100:.2f}")}
                check["official_script"] = script
                check["abstab_percent"] = abstab_pct
                check["script_equal"] = script == abstab_pct
        agreement[name] = check
        print(f"{name:<12} EM {entry['em']:.3f}  F1 {entry['f1']:.3f}  "
              f"{entry['items_per_s']:.1f} items/s  agreement {check}", file=sys.stderr)
    result["agreement"] = agreement

    costs = {}
    from abstab import embed

    for retriever in ("bm25", "dense", "hybrid"):
        if retriever != "bm25" and not embed.available():
            costs[retriever] = "embed extra not installed"
            continue
        t0 = time.perf_counter()
        cost = index_cost(data, retriever)
        costs[retriever] = {"documents": cost.documents, "passages": cost.passages,
                            "seconds": round(cost.seconds, 3),
                            "model_load_seconds": round(cost.model_load_seconds, 2),
                            "per_1000_documents": cost.per_1000_documents(),
                            "wall_seconds": round(time.perf_counter() - t0, 2)}
    result["index_cost"] = costs
    print(json.dumps(result))


if __name__ == "__main__":
    main()
