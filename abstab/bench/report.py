"""Bench reports: per-facet metrics with bootstrap intervals, the paired abstraction gap,
retrieval diagnostics, throughput, the markdown leaderboard and official-format exports.

``results.json`` (written by :func:`abstab.bench.run.write_results`) has these keys:

=========================================  ===================================================
key                                        meaning
=========================================  ===================================================
``schema``                                 "abstab-bench-results/2"
``dataset``                                {"kind", "path", "fingerprint", "items", "skipped"}
``backend``, ``split``, ``created``        run facts (``created``: Unix time)
``metrics``                                names of the per-item metrics scored
``systems.<s>.n``                          items scored by system ``s``
``systems.<s>.overall.<metric>``           mean of the metric over all items
``systems.<s>.overall.ci``                 95% bootstrap interval of ``correct``
``systems.<s>.overall.cis.<metric>``       95% bootstrap interval of each metric
``systems.<s>.<facet>.<value>``            {"n", "correct", "ci", "metrics": {metric: {"mean",
                                           "ci"}}} for each facet: ``answer_location``,
                                           ``style``, ``explanation`` (how a controlled code is
                                           explained), ``legend``, ``category`` (resolution
                                           category), ``origin``, and for external datasets
                                           ``answer_from`` and ``answer_type`` (TAT-QA);
                                           a facet no item has is left out
``systems.<s>.abstraction_gap``            {"pairs", "clear", "abstract", "gap", "ci"}: accuracy
                                           (``correct``) on the clear and the abstract version
                                           of the same questions, their difference and its
                                           95% paired-bootstrap interval; ``metrics.<m>`` has
                                           {"gap", "ci"} for every metric
``systems.<s>.retrieval``                  for retrieval systems (rag, hybrid): ``k``,
                                           ``recall@<k>`` {"table", "text", "all"} (mean share
                                           of the gold table / gold evidence sentences among
                                           the first k passages, over items that have such
                                           gold), ``items_with_gold``, and ``failures``
                                           {"wrong", "evidence_missed", "read_wrong"}: wrong
                                           answers whose gold evidence was not all retrieved
                                           (retrieval failure) or was (reading failure)
``systems.<s>.timing``                     {"items", "seconds", "items_per_s",
                                           "mean_latency_ms"} from the per-item latencies
                                           (index building included)
=========================================  ===================================================

Intervals are percentile bootstraps with 1000 resamples and seed 0, so a rerun gives the same
numbers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from abstab.records import ANSWER_LOCATIONS, Prediction, QAItem, Score

__all__ = ["FACETS", "RESULTS_SCHEMA", "export_official", "leaderboard", "summarize"]

RESULTS_SCHEMA = "abstab-bench-results/2"
RECALL_KS = (1, 3, 5)
N_BOOT = 1000


def _meta(item: QAItem, key: str) -> str | None:
    value = item.source.meta.get(key) if item.source is not None else None
    return str(value) if value not in (None, "") else None


FACETS: dict[str, Callable[[QAItem], str | None]] = {
    "answer_location": lambda i: i.answer_location,
    "style": lambda i: i.abstraction.style,
    "explanation": lambda i: i.abstraction.explained_by,
    "legend": lambda i: i.abstraction.legend,
    "category": lambda i: i.keywords[0].category if i.keywords else None,
    "origin": lambda i: i.origin,
    "answer_from": lambda i: _meta(i, "answer_from"),
    "answer_type": lambda i: _meta(i, "answer_type"),
}
"""Each facet maps an item to the group it is reported in (None: not in any)."""


def _round(x: float) -> float:
    return round(float(x), 4)


def _bootstrap_matrix(values: list[list[float]], n: int = N_BOOT, seed: int = 0
                      ) -> list[tuple[float, float]]:
    """95% percentile intervals of each column's mean, one shared set of resamples (the
    intervals of column j equal :func:`abstab.bench.metrics.bootstrap_ci` of that column)."""
    import numpy as np

    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    size = data.shape[0]
    means = np.empty((n, data.shape[1]))
    chunk = max(1, 1_000_000 // size)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        idx = rng.integers(0, size, size=(stop - start, size))
        means[start:stop] = data[idx].mean(axis=1)
    lows, highs = np.quantile(means, [0.025, 0.975], axis=0)
    return [(float(lo), float(hi)) for lo, hi in zip(lows, highs, strict=True)]


def _group_entry(rows: list[dict[str, float]], names: list[str]) -> dict[str, Any]:
    matrix = [[r[m] for m in names] for r in rows]
    cis = _bootstrap_matrix(matrix)
    means = [sum(col) / len(col) for col in zip(*matrix, strict=True)]
    per = {m: {"mean": _round(mu), "ci": [_round(lo), _round(hi)]}
           for m, mu, (lo, hi) in zip(names, means, cis, strict=True)}
    entry: dict[str, Any] = {"n": len(rows)}
    if "correct" in per:
        entry["correct"] = per["correct"]["mean"]
        entry["ci"] = per["correct"]["ci"]
    entry["metrics"] = per
    return entry


def _gap(scores: list[Score], items: dict[str, QAItem], names: list[str]) -> dict[str, Any]:
    from abstab.bench.metrics import paired_bootstrap_ci

    sides: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for s in scores:
        item = items.get(s.item_id)
        if item is not None and item.pair_id:
            side = "clear" if item.abstraction.style == "natural" else "abstract"
            sides[item.pair_id][side] = s.metrics
    pairs = [p for _, p in sorted(sides.items()) if len(p) == 2]
    out: dict[str, Any] = {"pairs": len(pairs)}
    if not pairs:
        return out
    per = {}
    for m in names:
        clear = [p["clear"].get(m, 0.0) for p in pairs]
        abstract = [p["abstract"].get(m, 0.0) for p in pairs]
        lo, hi = paired_bootstrap_ci(clear, abstract)
        per[m] = {"clear": _round(sum(clear) / len(pairs)),
                  "abstract": _round(sum(abstract) / len(pairs)),
                  "gap": _round((sum(clear) - sum(abstract)) / len(pairs)),
                  "ci": [_round(lo), _round(hi)]}
    key = "correct" if "correct" in per else names[0]
    out.update(clear=per[key]["clear"], abstract=per[key]["abstract"], gap=per[key]["gap"],
               ci=per[key]["ci"], metrics=per)
    return out


def gold_evidence(item: QAItem) -> dict[str, set[str]]:
    """The passages a reader needs for ``item``: its table, and the text blocks its evidence
    names (definition sentences, TAT-QA's ``rel_paragraphs``, the answer's sentence)."""
    text = set(item.evidence.blocks) | {s.block_id for s in item.evidence.spans if s.block_id}
    needs_table = item.table_id is not None and item.answer_location not in ("text",
                                                                             "unanswerable")
    if item.source is not None and _meta(item, "answer_from") == "text":
        needs_table = False
    return {"table": {item.table_id} if needs_table and item.table_id else set(), "text": text}


def _retrieval(preds: list[Prediction], scores: dict[str, Score], items: dict[str, QAItem],
               k: int) -> dict[str, Any]:
    from abstab.retrieval import recall_at_k

    ks = sorted({*RECALL_KS, k})
    sums: dict[int, dict[str, list[float]]] = {kk: defaultdict(list) for kk in ks}
    wrong = missed = 0
    with_gold = 0
    for p in preds:
        item = items.get(p.item_id)
        if item is None:
            continue
        gold = gold_evidence(item)
        # A swapped-in abstract table stands for its source table: either id counts.
        everything = gold["table"] | gold["text"]
        if not everything:
            continue
        with_gold += 1
        for kk in ks:
            for kind, ids in (("table", gold["table"]), ("text", gold["text"]),
                              ("all", everything)):
                r = recall_at_k(p.retrieved, ids, kk)
                if r is not None:
                    sums[kk][kind].append(r)
        score = scores.get(p.item_id)
        if score is not None and not score.correct:
            wrong += 1
            if (recall_at_k(p.retrieved, everything, len(p.retrieved)) or 0.0) < 1.0:
                missed += 1
    out: dict[str, Any] = {"k": k, "items_with_gold": with_gold}
    for kk in ks:
        out[f"recall@{kk}"] = {kind: _round(sum(v) / len(v)) for kind, v in sums[kk].items() if v}
    out["failures"] = {"wrong": wrong, "evidence_missed": missed, "read_wrong": wrong - missed}
    return out


def summarize(scores: list[Score], items: dict[str, QAItem], predictions: list[Prediction],
              metric_names: Iterable[str], retrieval_k: int | None = None) -> dict[str, Any]:
    """The results of one system (see the module docstring for the keys).

    Args:
        scores: the system's per-item scores.
        items: every item by id.
        predictions: the system's predictions (retrieved ids, latency).
        metric_names: the metrics to report, in order.
        retrieval_k: the system's k when it retrieves (adds ``retrieval``), else None.
    """
    if not scores:
        return {"n": 0}
    names = [m for m in metric_names if all(m in s.metrics for s in scores)]
    rows = [s.metrics for s in scores]
    whole = _group_entry(rows, names)
    overall: dict[str, Any] = {m: whole["metrics"][m]["mean"] for m in names}
    overall["ci"] = whole.get("ci")
    overall["cis"] = {m: whole["metrics"][m]["ci"] for m in names}
    out: dict[str, Any] = {"n": len(scores), "overall": overall}
    for facet, key in FACETS.items():
        groups: dict[str, list[dict[str, float]]] = defaultdict(list)
        for s in scores:
            item = items.get(s.item_id)
            value = key(item) if item is not None else None
            if value is not None:
                groups[value].append(s.metrics)
        if groups:
            out[facet] = {g: _group_entry(v, names) for g, v in sorted(groups.items())}
    out["abstraction_gap"] = _gap(scores, items, names)
    if retrieval_k is not None:
        out["retrieval"] = _retrieval(predictions, {s.item_id: s for s in scores}, items,
                                      retrieval_k)
    latencies = [p.latency_ms for p in predictions]
    if latencies:
        seconds = sum(latencies) / 1000
        out["timing"] = {"items": len(latencies), "seconds": _round(seconds),
                         "items_per_s": _round(len(latencies) / seconds) if seconds else None,
                         "mean_latency_ms": _round(sum(latencies) / len(latencies))}
    return out


# ---------------------------------------------------------------------------- markdown


def _cell(entry: dict[str, Any] | None, metric: str) -> str:
    if not entry:
        return "–"
    value = entry.get("metrics", {}).get(metric, {}).get("mean", entry.get(metric))
    return "–" if value is None else f"{value:.2f}"


def _facet_table(results: dict[str, Any], facet: str, metric: str, rows: list[str]) -> list[str]:
    names = list(results["systems"])
    lines = [f"| {facet.replace('_', ' ')} | n | " + " | ".join(names) + " |",
             "|---|---:|" + "---:|" * len(names)]
    for value in rows:
        cells, n = [], 0
        for name in names:
            entry = results["systems"][name].get(facet, {}).get(value)
            n = max(n, (entry or {}).get("n", 0))
            cells.append(_cell(entry, metric))
        if n:
            lines.append(f"| {value} | {n} | " + " | ".join(cells) + " |")
    return lines


def leaderboard(results: dict[str, Any], metric: str = "correct") -> str:
    """Markdown: ``metric`` per answer location and system with the paired abstraction gap,
    then every metric overall with its interval, the external datasets' own facets
    (answer_from, answer_type), and retrieval recall."""
    names = list(results["systems"])
    systems = results["systems"]
    lines = _facet_table(results, "answer_location", metric, list(ANSWER_LOCATIONS))
    over = [f"{systems[n]['overall'][metric]:.2f}" if systems[n].get("overall") else "–"
            for n in names]
    lines.append(f"| overall | {max(s.get('n', 0) for s in systems.values())} | "
                 + " | ".join(over) + " |")
    gaps = [systems[n].get("abstraction_gap", {}) for n in names]
    if any(g.get("pairs") for g in gaps):
        lines.append("| abstraction gap (paired) | " + str(max(g.get("pairs", 0) for g in gaps))
                     + " | " + " | ".join(f"{g['gap']:+.2f}" if "gap" in g else "–" for g in gaps)
                     + " |")
    metric_names = results.get("metrics", [])
    if metric_names:
        lines += ["", "| metric (95% CI) | " + " | ".join(names) + " |",
                  "|---|" + "---:|" * len(names)]
        for m in metric_names:
            cells = []
            for n in names:
                ov = systems[n].get("overall", {})
                if m not in ov:
                    cells.append("–")
                    continue
                lo, hi = ov["cis"][m]
                cells.append(f"{ov[m]:.3f} [{lo:.3f}, {hi:.3f}]")
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
    for facet in ("answer_from", "answer_type", "style", "explanation", "category"):
        values = sorted({v for n in names for v in systems[n].get(facet, {})})
        if facet in ("style", "category", "explanation") and len(values) < 2:
            continue
        if values:
            lines += ["", *_facet_table(results, facet, metric, values)]
    retrieving = [n for n in names if "retrieval" in systems[n]]
    if retrieving:
        lines += ["", "| retrieval (recall@k of gold evidence) | " + " | ".join(retrieving) + " |",
                  "|---|" + "---:|" * len(retrieving)]
        ks = sorted({int(key.split("@")[1]) for n in retrieving for key in systems[n]["retrieval"]
                     if key.startswith("recall@")})
        for kk in ks:
            for kind in ("table", "text"):
                cells = [systems[n]["retrieval"].get(f"recall@{kk}", {}).get(kind)
                         for n in retrieving]
                if any(c is not None for c in cells):
                    lines.append(f"| {kind} @{kk} | " + " | ".join(
                        "–" if c is None else f"{c:.2f}" for c in cells) + " |")
        cells = [systems[n]["retrieval"]["failures"] for n in retrieving]
        lines.append("| wrong answers: evidence missed / read wrong | " + " | ".join(
            f"{c['evidence_missed']} / {c['read_wrong']}" for c in cells) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ exports


def export_official(kind: str, predictions: list[Prediction], directory: Path) -> Path | None:
    """Write a system's predictions in the official evaluator's input format.

    TAT-QA: ``tatqa_predictions.json``, ``{question uid: [answer, scale]}`` for
    ``tatqa_eval.py --pred_path`` (the scale is written inside the answer, so it is "").
    WTQ: ``wtq_predictions.tsv``, ``id<TAB>item<TAB>item…`` for ``evaluator.py``.

    Returns:
        The file written, or None for dataset kinds without an official format.
    """
    from abstab.bench.official import split_items

    if kind == "tatqa":
        path = directory / "tatqa_predictions.json"
        out = {}
        for p in predictions:
            items = split_items(p.answer)
            out[p.item_id] = [items if len(items) > 1 else p.answer, ""]
        path.write_text(json.dumps(out, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        return path
    if kind == "wtq":
        path = directory / "wtq_predictions.tsv"
        with path.open("w", encoding="utf-8") as fh:
            for p in predictions:
                # The evaluator splits the line on tabs and reads the items as they are.
                fields = [" ".join(f.split()) for f in split_items(p.answer)] \
                    if p.answer.strip() else []
                fh.write("\t".join([p.item_id, *fields]) + "\n")
        return path
    return None
