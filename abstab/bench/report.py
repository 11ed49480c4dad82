"""Bench reports: per-facet metrics with confidence intervals, the paired abstraction gap,
retrieval diagnostics, throughput, the markdown leaderboard and official-format exports.

``results.json`` (written by :func:`abstab.bench.run.write_results`) accumulates: every
``abstab bench`` run merges its systems into it. It has these keys:

=========================================  ===================================================
key                                        meaning
=========================================  ===================================================
``schema``                                 "abstab-bench-results/3"
``dataset``                                {"kind", "path", "fingerprint", "items", "skipped"}
                                           of the dataset every row was scored on
``split``, ``created``                     the split scored (null: all), Unix time of the
                                           last write
``metrics``                                names of the per-item metrics scored
``notes``                                  what the last write dropped (rows of another
                                           dataset fingerprint, split or schema; an unreadable
                                           file), as printed by ``abstab bench``
``plots``                                  PNG files written beside results.json
``systems.<s>``                            one row per (name, system, backend, model, answer
                                           format, retriever, k, tables_from)
                                           (:data:`RUN_KEY`), earliest
                                           run first; a rerun replaces its own row. ``<s>`` is
                                           the row's name (``--name``, else the system's),
                                           followed by as much of backend, model,
                                           answer format, retriever, k and table source as
                                           needed to tell rows of one system apart
                                           (:func:`row_labels`): "table", or "table-rules"
                                           and "table-openai", "table-gold" and
                                           "table-pymupdf"
``systems.<s>.run``                        how the row was made: ``name``, ``system`` (the registered
                                           system: ``predictions``, ``http`` or
                                           ``<file>.<function>`` for your own, whose row is
                                           named by ``--name``), ``backend`` (null for your
                                           own system: it brings its reader), ``model`` (from
                                           the predictions' provenance; the rules backend's
                                           is "rules-<version>"), ``answer_format`` ("json"
                                           or "text"; null for your own system), ``retriever``
                                           and ``embedding_model`` (null when the system does
                                           not retrieve, or for bm25), ``k`` (null without a
                                           retriever), ``split``, ``dataset_fingerprint``,
                                           ``abstab_version``, ``created`` (Unix time),
                                           ``tables_from`` (the parser whose tables the
                                           system read; null: the gold tables)
``systems.<s>.n``                          items scored by the row's system
``systems.<s>.overall.<metric>``           mean of the metric over all items
``systems.<s>.overall.ci``                 95% interval of ``correct``
``systems.<s>.overall.cis.<metric>``       95% interval of each metric
``systems.<s>.<facet>.<value>``            {"n", "correct", "ci", "metrics": {metric: {"mean",
                                           "ci"}}} for each facet: ``answer_location``,
                                           ``style``, ``explanation`` (how a controlled code is
                                           explained), ``legend``, ``category`` (resolution
                                           category), ``origin``, and for external datasets
                                           ``answer_from`` and ``answer_type`` (TAT-QA),
                                           ``tables`` (``single``: a question about one
                                           table, ``multi``: one needing several,
                                           ``QAItem.tables``); a facet no item has is left out
``systems.<s>.abstraction_gap``            {"pairs", "clear", "abstract", "gap", "ci"}: accuracy
                                           (``correct``) on the clear and the abstract version
                                           of the same questions, their difference and its 95%
                                           interval; ``metrics.<m>`` has {"clear", "abstract",
                                           "gap", "ci", "interval"} for every metric
``systems.<s>.retrieval``                  for retrieval systems (rag, hybrid): ``k``,
                                           ``recall@<k>`` {"table", "text", "all"} (mean share
                                           of the gold table / gold evidence sentences among
                                           the first k passages, over items that have such
                                           gold), ``items_with_gold``, and ``failures``
                                           {"wrong", "evidence_missed", "read_wrong"}: wrong
                                           answers whose gold evidence was not all retrieved
                                           (retrieval failure) or was (reading failure)
``systems.<s>.parsing``                    for a run over a parser's tables (``--tables-from``):
                                           {"tables_from", "items" (scored by it and by the
                                           gold-table run), "gold", "parsed" (``correct`` on
                                           each), "drop" (gold − parsed), "parsing_failures"
                                           (right over gold tables, wrong over parsed),
                                           "reading_failures" (wrong over both),
                                           "parsed_only"}; per item in scores.jsonl
                                           (``gold_correct``, ``attribution``)
``systems.<s>.timing``                     {"items", "seconds", "items_per_s",
                                           "mean_latency_ms"} from the per-item latencies
                                           (index building included)
=========================================  ===================================================

Intervals (one implementation, :func:`abstab.bench.metrics.confidence_interval`): a metric
whose values are all 0 or 1 gets the Wilson score interval of its proportion (8 of 8 correct:
[0.676, 1.0], not a degenerate [1.0, 1.0]); any other metric (token F1, TAT-QA F1,
truthfulness) a percentile bootstrap over documents (cluster bootstrap: the questions of one
document are not independent), 1000 resamples, seed 0, so a rerun gives the same numbers. The
abstraction gap's interval is Newcombe's interval for paired proportions (method 10) for 0/1
metrics, else the paired bootstrap over documents (``interval`` says which).

Rows from another dataset fingerprint or split are not merged: they are dropped with a note
(``notes``, printed by ``abstab bench``); score another dataset into its own ``-o`` folder to
keep both.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from abstab.core.normalize import squash
from abstab.records import ANSWER_LOCATIONS, Prediction, QAItem, Score

__all__ = ["FACETS", "RESULTS_SCHEMA", "RUN_KEY", "export_official", "leaderboard", "merge_results",
           "read_results", "row_labels", "run_key", "summarize"]

RESULTS_SCHEMA = "abstab-bench-results/3"
RECALL_KS = (1, 3, 5)


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
    "tables": lambda i: None if i.table_id is None else "multi" if len(i.tables) > 1 else "single",
}
"""Each facet maps an item to the group it is reported in (None: not in any)."""


def _round(x: float) -> float:
    return round(float(x), 4)


def _group_entry(rows: list[dict[str, float]], names: list[str], clusters: list[str]
                 ) -> dict[str, Any]:
    from abstab.bench.metrics import confidence_interval

    per = {}
    for m in names:
        values = [r[m] for r in rows]
        lo, hi = confidence_interval(values, clusters)
        per[m] = {"mean": _round(sum(values) / len(values)), "ci": [_round(lo), _round(hi)]}
    entry: dict[str, Any] = {"n": len(rows)}
    if "correct" in per:
        entry["correct"] = per["correct"]["mean"]
        entry["ci"] = per["correct"]["ci"]
    entry["metrics"] = per
    return entry


def _gap(scores: list[Score], items: dict[str, QAItem], names: list[str]) -> dict[str, Any]:
    from abstab.bench.metrics import is_binary, newcombe_paired_ci, paired_bootstrap_ci

    sides: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    docs: dict[str, str] = {}
    for s in scores:
        item = items.get(s.item_id)
        if item is not None and item.pair_id:
            side = "clear" if item.abstraction.style == "natural" else "abstract"
            sides[item.pair_id][side] = s.metrics
            docs[item.pair_id] = item.doc_id
    pairs = [(pid, p) for pid, p in sorted(sides.items()) if len(p) == 2]
    out: dict[str, Any] = {"pairs": len(pairs)}
    if not pairs:
        return out
    clusters = [docs[pid] for pid, _ in pairs]
    per = {}
    for m in names:
        clear = [p["clear"].get(m, 0.0) for _, p in pairs]
        abstract = [p["abstract"].get(m, 0.0) for _, p in pairs]
        binary = is_binary(clear) and is_binary(abstract)
        lo, hi = (newcombe_paired_ci(clear, abstract) if binary
                  else paired_bootstrap_ci(clear, abstract, clusters))
        per[m] = {"clear": _round(sum(clear) / len(pairs)),
                  "abstract": _round(sum(abstract) / len(pairs)),
                  "gap": _round((sum(clear) - sum(abstract)) / len(pairs)),
                  "ci": [_round(lo), _round(hi)],
                  "interval": "newcombe" if binary else "paired-cluster-bootstrap"}
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
    tables = set(item.tables) or ({item.table_id} if item.table_id else set())
    return {"table": tables if needs_table else set(), "text": text}


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


def _parsing(scores: list[Score]) -> dict[str, Any]:
    """A run over a parser's tables against the same system over the gold tables, on the items
    both scored: accuracy on each, the drop, and how many failures each side explains."""
    paired = [s for s in scores if s.gold_correct is not None]
    n = len(paired)
    gold = sum(1 for s in paired if s.gold_correct) / n if n else None
    parsed = sum(1 for s in paired if s.correct) / n if n else None
    return {"tables_from": next(s.tables_from for s in scores if s.tables_from),
            "items": n, "gold": None if gold is None else _round(gold),
            "parsed": None if parsed is None else _round(parsed),
            "drop": None if gold is None or parsed is None else _round(gold - parsed),
            "parsing_failures": sum(s.attribution == "parsing" for s in paired),
            "reading_failures": sum(s.attribution == "reading" for s in paired),
            "parsed_only": sum(1 for s in paired if s.correct and not s.gold_correct)}


def _doc(score: Score, items: dict[str, QAItem]) -> str:
    """The cluster of an item's score for intervals: its document (itself if unknown)."""
    item = items.get(score.item_id)
    return item.doc_id if item is not None else score.item_id


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
    whole = _group_entry(rows, names, [_doc(s, items) for s in scores])
    overall: dict[str, Any] = {m: whole["metrics"][m]["mean"] for m in names}
    overall["ci"] = whole.get("ci")
    overall["cis"] = {m: whole["metrics"][m]["ci"] for m in names}
    out: dict[str, Any] = {"n": len(scores), "overall": overall}
    for facet, key in FACETS.items():
        groups: dict[str, list[Score]] = defaultdict(list)
        for s in scores:
            item = items.get(s.item_id)
            value = key(item) if item is not None else None
            if value is not None:
                groups[value].append(s)
        if groups:
            out[facet] = {g: _group_entry([s.metrics for s in v], names,
                                          [_doc(s, items) for s in v])
                          for g, v in sorted(groups.items())}
    out["abstraction_gap"] = _gap(scores, items, names)
    if retrieval_k is not None:
        out["retrieval"] = _retrieval(predictions, {s.item_id: s for s in scores}, items,
                                      retrieval_k)
    if any(s.tables_from for s in scores):
        out["parsing"] = _parsing(scores)
    latencies = [p.latency_ms for p in predictions]
    if latencies:
        seconds = sum(latencies) / 1000
        out["timing"] = {"items": len(latencies), "seconds": _round(seconds),
                         "items_per_s": _round(len(latencies) / seconds) if seconds else None,
                         "mean_latency_ms": _round(sum(latencies) / len(latencies))}
    return out


# ------------------------------------------------------------------------- accumulation

RUN_KEY = ("name", "system", "backend", "model", "answer_format", "retriever", "k",
           "tables_from")
"""The fields that tell two rows of results.json apart: a rerun with the same values replaces
its row, any other run adds one."""


def run_key(run: dict[str, Any]) -> tuple[Any, ...]:
    """The identity of a row (:data:`RUN_KEY` values of its ``run`` dict)."""
    return tuple(run.get(f) for f in RUN_KEY)


def _label_part(field: str, value: Any) -> str:
    if field == "tables_from":
        return "gold" if value is None else str(value)
    return f"k{value}" if field == "k" else str(value).lower()


def row_labels(runs: list[dict[str, Any]]) -> list[str]:
    """Short unique names of rows: the row's name (``--name``, else the system's), followed by
    the backend, model, answer format, retriever and k only as far as needed to tell rows of
    the same name apart ("table", or "table-rules" and "table-openai")."""
    by_system: dict[str, list[int]] = defaultdict(list)
    for i, run in enumerate(runs):
        by_system[str(run.get("name") or run["system"])].append(i)
    labels = [""] * len(runs)
    for system, idx in by_system.items():
        chosen: list[str] = []
        for field in RUN_KEY[2:]:
            if len({tuple(runs[i].get(c) for c in chosen) for i in idx}) == len(idx):
                break
            if len({runs[i].get(field) for i in idx}) > 1:
                chosen.append(field)
        for i in idx:
            labels[i] = "-".join([system, *(_label_part(f, runs[i].get(f)) for f in chosen)])
    return labels


def merge_results(previous: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any]:
    """``current`` (this run's results) merged into the rows of ``previous`` (the results.json
    on disk): earlier rows keep their order, a row this run redid is replaced in place, and
    rows new to the file come last.

    A row is replaced when this run has one with the same :func:`run_key`. Rows of another
    dataset fingerprint, split or results schema cannot be compared with this run's: they are
    dropped, and ``notes`` says so.

    Args:
        previous: the results read from disk, or None.
        current: this run's results; ``systems`` maps names to summaries with a ``run`` dict.

    Returns:
        ``current`` with ``systems`` relabelled (:func:`row_labels`) and ``notes`` set.
    """
    notes: list[str] = []
    rows: list[dict[str, Any]] = []
    new_rows = list(current["systems"].values())
    if previous:
        old_rows = list((previous.get("systems") or {}).values())
        fingerprint = current["dataset"]["fingerprint"]
        same = (previous.get("schema") == current["schema"]
                and (previous.get("dataset") or {}).get("fingerprint") == fingerprint
                and previous.get("split") == current["split"])
        if not same and old_rows:
            notes.append(f"results.json: dropped {len(old_rows)} earlier row(s) "
                         f"({', '.join(previous.get('systems', {}))}) scored on another dataset, "
                         f"split or results schema; use -o DIR to keep them apart")
        else:
            rows = [r for r in old_rows if isinstance(r, dict) and isinstance(r.get("run"), dict)]
    # Earlier rows keep their place (a redone row too); rows new to the file come last.
    by_key = {run_key(r["run"]): r for r in rows}
    by_key.update((run_key(r["run"]), r) for r in new_rows)
    ordered = list(by_key.values())
    current["systems"] = dict(zip(row_labels([r["run"] for r in ordered]), ordered, strict=True))
    current["notes"] = notes
    return current


def read_results(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The results.json at ``path``, or None with a note when it is absent or unreadable."""
    if not path.exists():
        return None, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{path} could not be read ({exc}); it is replaced by this run's results"
    if not isinstance(data, dict) or not isinstance(data.get("systems"), dict):
        return None, f"{path} is not an abstab results file; it is replaced by this run's results"
    return data, None


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
    (answer_from, answer_type), retrieval recall, and how each row was made (backend, model,
    answer format, retriever and embedding model, k, abstab version) on which dataset."""
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
    for facet in ("answer_from", "answer_type", "style", "explanation", "category", "tables"):
        values = sorted({v for n in names for v in systems[n].get(facet, {})}, reverse=facet == "tables")
        if facet in ("style", "category", "explanation", "tables") and len(values) < 2:
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
        failures = [systems[n]["retrieval"]["failures"] for n in retrieving]
        lines.append("| wrong answers: evidence missed / read wrong | " + " | ".join(
            f"{c['evidence_missed']} / {c['read_wrong']}" for c in failures) + " |")
    return "\n".join(lines + _parser_table(results) + _provenance_table(results))


def _parser_table(results: dict[str, Any]) -> list[str]:
    """The parser axis: per system, accuracy over the gold tables and over each parser's, with
    the drop and the failures parsing explains (right over gold tables, wrong over parsed),
    on the items both runs scored."""
    systems = results["systems"]
    sources = list(dict.fromkeys(r["parsing"]["tables_from"] for r in systems.values()
                                 if r.get("parsing")))
    if not sources:
        return []
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for name, row in systems.items():
        run = row.get("run") or {}
        key = tuple(run.get(f) for f in RUN_KEY if f != "tables_from")
        group = groups.setdefault(key, {"label": run.get("name") or name, "cells": {}})
        if row.get("parsing"):
            group["cells"][row["parsing"]["tables_from"]] = row["parsing"]
        elif row.get("overall"):
            group["label"], group["gold"] = name.removesuffix("-gold"), row["overall"]["correct"]
    lines = ["", "| parser axis (correct; change from gold, failures due to parsing) | gold | "
             + " | ".join(sources) + " |", "|---|---:|" + "---:|" * len(sources)]
    for group in groups.values():
        if not group["cells"]:
            continue
        gold = group.get("gold")
        if gold is None:
            gold = next(iter(group["cells"].values()))["gold"]
        cells = []
        for src in sources:
            p = group["cells"].get(src)
            cells.append("–" if not p or p["parsed"] is None else
                         f"{p['parsed']:.2f} ({0.0 - p['drop']:+.2f}; {p['parsing_failures']})")
        lines.append(f"| {group['label']} | {'–' if gold is None else f'{gold:.2f}'} | "
                     + " | ".join(cells) + " |")
    return lines


def _provenance_table(results: dict[str, Any]) -> list[str]:
    """How each row was made (its ``run`` dict), under the dataset it was scored on."""
    runs = {n: r["run"] for n, r in results["systems"].items() if isinstance(r.get("run"), dict)}
    if not runs:
        return []
    ds = results.get("dataset", {})
    lines = ["", f"dataset: {ds.get('kind')} {ds.get('path')} ({ds.get('items')} items, "
             f"fingerprint {ds.get('fingerprint')})"
             + (f", split {results['split']}" if results.get("split") else ""),
             "", ("| row | system | backend | model | answer format | retriever | k | tables | "
                  "abstab |"), "|---|---|---|---|---|---|---:|---|---|"]
    for name, run in runs.items():
        retriever = run.get("retriever") or "–"
        if run.get("embedding_model"):
            retriever += f" ({run['embedding_model']})"
        cells = [name, run.get("system"), run.get("backend"), run.get("model"),
                 run.get("answer_format"), retriever, run.get("k"),
                 run.get("tables_from") or "gold", run.get("abstab_version")]
        lines.append("| " + " | ".join("–" if c is None else str(c) for c in cells) + " |")
    return lines


# ------------------------------------------------------------------------------ exports


def export_official(kind: str, predictions: list[Prediction], directory: Path) -> Path | None:
    """Write a system's predictions in the official evaluator's input format.

    TAT-QA: ``tatqa_predictions.json``, ``{question uid: [answer, scale]}`` for
    ``tatqa_eval.py --pred_path``, split as a TAT-QA model outputs them
    (:func:`abstab.bench.official.tatqa_prediction`: "$(426) thousand" -> ["$(426)",
    "thousand"]).
    WTQ: ``wtq_predictions.tsv``, ``id<TAB>item<TAB>item…`` for ``evaluator.py``.

    Returns:
        The file written, or None for dataset kinds without an official format.
    """
    from abstab.bench.official import split_items, tatqa_prediction

    if kind == "tatqa":
        path = directory / "tatqa_predictions.json"
        out = {}
        for p in predictions:
            out[p.item_id] = list(tatqa_prediction(p.answer))
        path.write_text(json.dumps(out, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        return path
    if kind == "wtq":
        path = directory / "wtq_predictions.tsv"
        with path.open("w", encoding="utf-8") as fh:
            for p in predictions:
                # The evaluator splits the line on tabs and reads the items as they are.
                fields = [squash(f) for f in split_items(p.answer)] \
                    if p.answer.strip() else []
                fh.write("\t".join([p.item_id, *fields]) + "\n")
        return path
    return None
