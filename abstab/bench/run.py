"""Scoring systems on an assembled dataset: predictions, per-item scores, results, leaderboard.

Each (system, backend) pair is a resumable stage under ``WORK/bench/<system>-<backend>/``;
the aggregate goes to ``WORK/bench/results.json`` and ``WORK/bench/leaderboard.md``.

results.json keys:
  ``systems.<name>.n``                 items scored
  ``systems.<name>.overall``           {"correct": mean, "ci": [lo, hi], <metric>: mean}
  ``systems.<name>.answer_location``   per location {"n", "correct", "ci"}
  ``systems.<name>.style``             per abstraction style, same shape
  ``systems.<name>.category``          per resolution category of the keywords, same shape
  ``systems.<name>.origin``            per origin (document, controlled), same shape
  ``systems.<name>.abstraction_gap``   {"pairs", "clear", "abstract", "gap"} on paired items
  ``backend``, ``split``, ``created``  run facts
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abstab.records import ANSWER_LOCATIONS, Document, Prediction, QAItem, Score, Table
from abstab.registry import metrics, systems
from abstab.stages.base import Stage, Unit
from abstab.store import StageDir, UnitResult

METRICS = ("correct", "exact_match", "token_f1", "numeric_match", "abstention")


@dataclass
class BenchSettings:
    """Settings of one bench run.

    Args:
        system: system name (``abstab systems list``).
        k: passages retrieved per item by retrieval systems.
        split: score only this split (None: all items).
        concurrency: items answered at once (useful with LLM backends).
    """

    system: str = "table"
    k: int = 5
    split: str | None = None
    concurrency: int = 1

    def __post_init__(self) -> None:
        systems.canonical(self.system)
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")


class BenchStage(Stage):
    upstream = ("extract", "assemble")
    outputs = ("predictions", "scores")
    settings_cls = BenchSettings

    def __init__(self, work: Path, settings: Any = None, backend: Any = None):
        from abstab.config import resolve_settings

        s = resolve_settings(BenchSettings, settings, "bench")
        self.name = f"bench/{systems.canonical(s.system)}-{backend.name}"
        super().__init__(work, s, backend)

    def load(self) -> None:
        ex = StageDir(self.work, "extract", ())
        asm = StageDir(self.work, "assemble", ())
        docs = {d.doc_id: d for d in ex.read("documents", Document)}
        tables = {t.table_id: t for t in ex.read("tables", Table)}
        tables.update({t.table_id: t for t in asm.read("tables", Table)})
        from abstab.bench.systems import Corpus

        self.system = systems.get(self.settings.system)(Corpus(docs, tables), k=self.settings.k)
        self.items = [i for i in asm.read("items", QAItem)
                      if self.settings.split is None or i.split == self.settings.split]
        self.metric_fns = {m: metrics.get(m) for m in METRICS}

    def units(self) -> list[Unit]:
        return [Unit(i.item_id, i) for i in self.items]

    def process(self, unit: Unit) -> UnitResult:
        item: QAItem = unit.payload
        result = UnitResult()
        result.stats["in"] += 1
        start = time.perf_counter()
        passages = self.system.passages(item)
        out = self.call_backend(result, item.item_id, self.backend.answer, item.question, passages)
        if out is None:
            return result
        latency = (time.perf_counter() - start) * 1000
        prov = self.provenance(**self.backend.provenance("answer"))
        pred = Prediction(item_id=item.item_id, system=self.settings.system, answer=out.answer,
                          abstained=out.abstained, retrieved=[p.id for p in passages],
                          latency_ms=round(latency, 3), prompt_tokens=out.prompt_tokens,
                          completion_tokens=out.completion_tokens, provenance=prov)
        values = {m: float(fn(out.answer, item.answer, out.abstained))
                  for m, fn in self.metric_fns.items()}
        category = item.keywords[0].category if item.keywords else None
        score = Score(item_id=item.item_id, system=self.settings.system,
                      answer_location=item.answer_location, style=item.abstraction.style,
                      category=category, metrics=values, correct=values["correct"] >= 1.0,
                      provenance=prov)
        result.add("predictions", pred)
        result.add("scores", score)
        result.stats["kept"] += 1
        return result


def _group(scores: list[Score], key: Any) -> dict[str, dict[str, Any]]:
    from abstab.bench.metrics import bootstrap_ci

    groups: dict[str, list[float]] = defaultdict(list)
    for s in scores:
        k = key(s)
        if k is not None:
            groups[k].append(s.metrics["correct"])
    out = {}
    for k, vals in sorted(groups.items()):
        lo, hi = bootstrap_ci(vals)
        out[k] = {"n": len(vals), "correct": round(sum(vals) / len(vals), 4),
                  "ci": [round(lo, 4), round(hi, 4)]}
    return out


def aggregate(scores: list[Score], items: dict[str, QAItem]) -> dict[str, Any]:
    """The results of one system: overall, per location, style, category, abstraction gap."""
    from abstab.bench.metrics import bootstrap_ci

    if not scores:
        return {"n": 0}
    overall: dict[str, Any] = {m: round(sum(s.metrics[m] for s in scores) / len(scores), 4)
                               for m in METRICS}
    overall["ci"] = [round(x, 4) for x in bootstrap_ci([s.metrics["correct"] for s in scores])]
    by_pair: dict[str, dict[str, float]] = defaultdict(dict)
    for s in scores:
        item = items.get(s.item_id)
        if item is not None and item.pair_id:
            side = "clear" if item.abstraction.style == "natural" else "abstract"
            by_pair[item.pair_id][side] = s.metrics["correct"]
    pairs = [p for p in by_pair.values() if len(p) == 2]
    gap: dict[str, Any] = {"pairs": len(pairs)}
    if pairs:
        clear = sum(p["clear"] for p in pairs) / len(pairs)
        abstract = sum(p["abstract"] for p in pairs) / len(pairs)
        gap.update(clear=round(clear, 4), abstract=round(abstract, 4),
                   gap=round(clear - abstract, 4))
    return {
        "n": len(scores),
        "overall": overall,
        "answer_location": _group(scores, lambda s: s.answer_location),
        "style": _group(scores, lambda s: s.style),
        "category": _group(scores, lambda s: s.category),
        "origin": _group(scores, lambda s: items[s.item_id].origin if s.item_id in items else None),
        "abstraction_gap": gap,
    }


def write_results(work: Path, runs: dict[str, Path], backend: str,
                  split: str | None) -> dict[str, Any]:
    """Aggregate every system's scores into results.json and leaderboard.md."""
    items = {i.item_id: i for i in StageDir(work, "assemble", ()).read("items", QAItem)}
    results: dict[str, Any] = {"backend": backend, "split": split, "created": time.time(),
                               "systems": {}}
    for system, path in runs.items():
        scores = list(StageDir(path.parent, path.name, ()).read("scores", Score))
        results["systems"][system] = aggregate(scores, items)
    bench = Path(work) / "bench"
    bench.mkdir(parents=True, exist_ok=True)
    (bench / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (bench / "leaderboard.md").write_text(leaderboard(results) + "\n")
    return results


def leaderboard(results: dict[str, Any]) -> str:
    """A markdown table: accuracy per answer location (rows) and system (columns)."""
    names = list(results["systems"])
    lines = ["| answer location | n | " + " | ".join(names) + " |",
             "|---|---:|" + "---:|" * len(names)]
    rows = [*ANSWER_LOCATIONS, "overall"]
    for loc in rows:
        cells, n = [], 0
        for name in names:
            res = results["systems"][name]
            entry = res.get("overall", {}) if loc == "overall" else res.get(
                "answer_location", {}).get(loc)
            n = res.get("n", 0) if loc == "overall" else (entry or {}).get("n", n)
            cells.append(f"{entry['correct']:.2f}" if entry else "–")
        lines.append(f"| {loc} | {n} | " + " | ".join(cells) + " |")
    gaps = [results["systems"][n].get("abstraction_gap", {}) for n in names]
    if any(g.get("pairs") for g in gaps):
        lines.append("| abstraction gap (paired) | " + str(max(g.get("pairs", 0) for g in gaps))
                     + " | " + " | ".join(f"{g['gap']:+.2f}" if "gap" in g else "–" for g in gaps)
                     + " |")
    return "\n".join(lines)
