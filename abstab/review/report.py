"""``abstab review WORK --report``: the decisions as gold for the machine's calls.

The workspace's current records are scored against the people's decisions, grouped by the
backend and model that made each record (its provenance):

- judge: precision / recall / F1 of "this header cell is abstract" on the reviewed header cells
  (cells of tables a person rejected are left out);
- resolve: accuracy of the meaning (same text, ignoring case and spacing, and same category) on
  the reviewed meanings the resolver made; a rejected meaning scores only while the resolver
  still says what was rejected;
- items: keep rate of the reviewed items;
- agreement: Cohen's kappa per unit kind for each two reviewers who decided the same units.

Gold follows from a decision and the proposal it was made on: ``accept`` makes the proposal
gold, ``reject`` its opposite (a header) or "not this" (a meaning), ``edit`` the value.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from typing import Any

from abstab.decisions import Key, by_reviewer, replay
from abstab.records import Decision
from abstab.review.workspace import UNITS, ReviewWorkspace


def gold_header(d: Decision) -> bool:
    """Whether the cell is abstract, by this decision."""
    if d.decision == "edit":
        return bool(d.value)
    said = bool((d.proposal or {}).get("abstract"))
    return said if d.decision == "accept" else not said


def _norm(text: str | None) -> str | None:
    return " ".join(text.split()).casefold() if text else None


def _meaning(m: dict[str, Any] | None) -> tuple[str | None, str | None]:
    m = m or {}
    return _norm(m.get("meaning")), m.get("category")


def gold_meaning(d: Decision) -> tuple[str | None, str | None] | None:
    """(normalised meaning, category) by this decision; None when it only says "not the
    proposal" (a reject)."""
    if d.decision == "edit":
        assert d.value is not None and not isinstance(d.value, bool | str)
        return _norm(d.value.meaning), d.value.category
    return _meaning(d.proposal) if d.decision == "accept" else None


def label(d: Decision) -> Any:
    """What a decision says about its unit, comparable between reviewers."""
    if d.unit == "header":
        return gold_header(d)
    if d.unit == "meaning":
        return gold_meaning(d) or ("rejected",) + _meaning(d.proposal)
    return d.decision


def cohen_kappa(a: list[Any], b: list[Any]) -> float | None:
    """Cohen's kappa of two raters' labels on the same units; None when chance agreement is
    total (both gave one and the same label to every unit: kappa is undefined)."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _made_by(current: dict[str, Any] | None, d: Decision) -> tuple[str, str]:
    src = current or d.proposal or {}
    return str(src.get("backend")), str(src.get("model"))


def _current(ws: ReviewWorkspace, key: Key) -> tuple[bool, dict[str, Any] | None]:
    try:
        return True, ws.proposal(*key)
    except KeyError:
        return False, None


def build_report(ws: ReviewWorkspace, decisions: Iterable[Decision]) -> dict[str, Any]:
    """The report's numbers (its JSON form)."""
    decisions = list(decisions)
    live = {k: v[-1] for k, v in replay(decisions).items()}
    rejected = {uid for (unit, uid), d in live.items() if unit == "table" and d.decision == "reject"}
    judge: dict[tuple[str, str], Counter[str]] = {}
    resolve: dict[tuple[str, str], Counter[str]] = {}
    items: dict[tuple[str, str], Counter[str]] = {}
    stale = 0
    for key, d in live.items():
        exists, current = _current(ws, key)
        if not exists:
            stale += 1
            continue
        if key[0] != "table" and ws.table_of(*key) in rejected:
            continue
        who = _made_by(current, d)
        if key[0] == "header":
            assert current is not None
            said, gold = bool(current["abstract"]), gold_header(d)
            judge.setdefault(who, Counter())[
                {(True, True): "tp", (True, False): "fp", (False, True): "fn",
                 (False, False): "tn"}[said, gold]] += 1
        elif key[0] == "meaning" and current is not None:
            c = resolve.setdefault(who, Counter())
            meant = gold_meaning(d)
            if meant is None:  # rejected: wrong while the resolver still says the same
                c["wrong" if _meaning(current) == _meaning(d.proposal) else "unscored"] += 1
            else:
                c["correct" if _meaning(current) == meant else "wrong"] += 1
        elif key[0] == "item":
            items.setdefault(who, Counter())["kept" if d.decision == "accept" else "dropped"] += 1
    agreement = []
    reviewers = by_reviewer(decisions)
    for a, b in itertools.combinations(sorted(reviewers), 2):
        for unit in UNITS:
            common = sorted(k for k in reviewers[a].keys() & reviewers[b].keys() if k[0] == unit)
            if common:
                la = [label(reviewers[a][k]) for k in common]
                lb = [label(reviewers[b][k]) for k in common]
                agreement.append({"reviewers": [a, b], "unit": unit, "n": len(common),
                                  "agree": sum(x == y for x, y in zip(la, lb, strict=True)),
                                  "kappa": cohen_kappa(la, lb)})
    return {
        "units": Counter(k[0] for k in live),
        "reviewers": sorted({d.reviewer for d in live.values()}),
        "tables_rejected": len(rejected),
        "stale": stale,
        "judge": [_prf(who, c) for who, c in sorted(judge.items())],
        "resolve": [{"backend": who[0], "model": who[1], "n": c["correct"] + c["wrong"],
                     "correct": c["correct"], "unscored": c["unscored"],
                     "accuracy": _ratio(c["correct"], c["correct"] + c["wrong"])}
                    for who, c in sorted(resolve.items())],
        "items": [{"backend": who[0], "model": who[1], "n": c["kept"] + c["dropped"],
                   "kept": c["kept"], "keep_rate": _ratio(c["kept"], c["kept"] + c["dropped"])}
                  for who, c in sorted(items.items())],
        "agreement": agreement,
    }


def _prf(who: tuple[str, str], c: Counter[str]) -> dict[str, Any]:
    p, r = _ratio(c["tp"], c["tp"] + c["fp"]), _ratio(c["tp"], c["tp"] + c["fn"])
    f1 = _ratio(2 * p * r, p + r) if p is not None and r is not None else None
    return {"backend": who[0], "model": who[1], "n": sum(c.values()), "tp": c["tp"],
            "fp": c["fp"], "fn": c["fn"], "tn": c["tn"], "precision": p, "recall": r, "f1": f1}


def _f(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def format_report(rep: dict[str, Any]) -> str:
    """The report as plain text tables."""
    units = ", ".join(f"{rep['units'].get(u, 0)} {u}" for u in UNITS)
    lines = [(f"reviewed: {units} by {len(rep['reviewers'])} reviewer(s) "
              f"({', '.join(rep['reviewers']) or '-'}); {rep['tables_rejected']} table(s) "
              f"rejected")]
    if rep["stale"]:
        lines.append(f"{rep['stale']} decision(s) on units no longer in the workspace left out")
    lines += ["", "judge: abstract header cells",
              "| backend | model | n | tp | fp | fn | tn | precision | recall | f1 |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {j['backend']} | {j['model']} | {j['n']} | {j['tp']} | {j['fp']} | {j['fn']} "
              f"| {j['tn']} | {_f(j['precision'])} | {_f(j['recall'])} | {_f(j['f1'])} |"
              for j in rep["judge"]]
    lines += ["", "resolve: meanings", "| backend | model | n | correct | accuracy | unscored |",
              "|---|---|---:|---:|---:|---:|"]
    lines += [f"| {r['backend']} | {r['model']} | {r['n']} | {r['correct']} "
              f"| {_f(r['accuracy'])} | {r['unscored']} |" for r in rep["resolve"]]
    lines += ["", "items", "| backend | model | n | kept | keep rate |", "|---|---|---:|---:|---:|"]
    lines += [f"| {i['backend']} | {i['model']} | {i['n']} | {i['kept']} | {_f(i['keep_rate'])} |"
              for i in rep["items"]]
    if rep["agreement"]:
        lines += ["", "agreement: Cohen's kappa", "| reviewers | unit | n | agree | kappa |",
                  "|---|---|---:|---:|---:|"]
        lines += [f"| {' / '.join(a['reviewers'])} | {a['unit']} | {a['n']} | {a['agree']} "
                  f"| {_f(a['kappa'])} |" for a in rep["agreement"]]
    return "\n".join(lines)
