"""Header judging: is one header cell abstract? Precision / recall / F1 of ``abstract``.

Usage: python benchmarks/judge_headers.py --data ../shared/corpora [--show N]

ROOT holds ``nameguess/``, ``tatqa/`` and ``wikitablequestions/`` in the layouts their SOURCES.md
describe (``*.shared.json`` or ``*.holdout.json`` file names):

- positives: NameGuess column names that abbreviate their gold label (``lst_inspec_mnth`` →
  "last inspection month"). Names that only join the label's own words (``TotalRides``,
  ``make``) say nothing about abstraction and are left out.
- negatives: the header cells of TAT-QA tables (row 0 and the rows after it whose first cell is
  empty) and the header rows of WikiTableQuestions tables (``csv/*/*.csv``). Both are
  human-written report and Wikipedia headers; a few are abbreviations all the same ("Pos.",
  "GP"), so their false positives set a floor on precision.

Each distinct cell text counts once per table. The hand-labelled govreports set
(``tests/data/govreports_headers.json``, 13 PDFs) is scored on its own as ``govreports_*``: the
label texts alone; ``bench_real_headers.py`` scores the cells abstab extracts from those PDFs
(and more) end to end, against ``benchmarks/labels/reports_headers.json``.
The judge is the ``rules`` backend's header classifier (``abstab.core.headers.classify``).
The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

from abstab.core.expand import tokenize
from abstab.core.headers import classify

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "data" / "govreports_headers.json"


def _split_files(folder: Path, stem: str) -> list[Path]:
    return sorted(folder.glob(f"{stem}.shared.json")) + sorted(folder.glob(f"{stem}.holdout.json"))


def _lemma_words(text: str) -> list[str]:
    import simplemma

    return [simplemma.lemmatize(t.lower(), lang="en") for t in tokenize(text) if t.isalpha()]


def is_abbreviated(name: str, label: str) -> bool:
    """Whether a column name shortens some word of its gold label: one of its letter tokens is no
    label word but begins one, as "inspec" begins "inspection" (or "stnm" begins "street")."""
    gold = set(_lemma_words(label))
    for tok in _lemma_words(name):
        if tok not in gold and any(g.startswith(tok[0]) and len(g) > len(tok) for g in gold):
            return True
    return False


def nameguess_positives(root: Path) -> list[str]:
    folder = root / "nameguess"
    files = _split_files(folder, "eval_*")
    if not files:
        raise SystemExit(f"{folder}: no eval_*.shared.json or eval_*.holdout.json")
    seen, out = set(), []
    for f in files:
        for rec in json.loads(f.read_text(encoding="utf-8")):
            for name, label in zip(rec.get("technical_name", []), rec.get("gt_label", [])):
                key = (rec.get("table_id"), name)
                if key not in seen and is_abbreviated(str(name), str(label)):
                    seen.add(key)
                    out.append(str(name))
    return out


def tatqa_negatives(root: Path) -> list[str]:
    folder = root / "tatqa"
    files = _split_files(folder, "tatqa_dataset_*")
    if not files:
        raise SystemExit(f"{folder}: no tatqa_dataset_*.shared.json or *.holdout.json")
    out = []
    for f in files:
        for i, rec in enumerate(json.loads(f.read_text(encoding="utf-8"))):
            rows = rec.get("table", {}).get("table")
            if not isinstance(rows, list) or not rows:
                print(f"{f.name}[{i}]: no table.table rows; skipped", file=sys.stderr)
                continue
            header = [rows[0]] + [r for r in rows[1:4] if r and not str(r[0]).strip()]
            texts = {str(c).strip() for r in header for c in r if str(c).strip()}
            out.extend(sorted(texts))
    return out


def wtq_negatives(root: Path) -> list[str]:
    folder = root / "wikitablequestions" / "csv"
    files = sorted(folder.glob("*/*.csv"))
    if not files:
        raise SystemExit(f"{folder}: no */*.csv tables")
    out = []
    for f in files:
        try:
            with f.open(encoding="utf-8", newline="") as fh:
                header = next(csv.reader(fh), [])
        except (OSError, UnicodeDecodeError, csv.Error) as err:
            print(f"{f}: unreadable ({err}); skipped", file=sys.stderr)
            continue
        out.extend(sorted({h.replace("\\n", " ").strip() for h in header if h.strip()}))
    return out


def load_fixture(path: Path = FIXTURE) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for i, c in enumerate(cells):
        if c.get("label") not in ("abstract", "clear") or not isinstance(c.get("text"), str):
            raise ValueError(f"{path}: cells[{i}] needs a text and a label 'abstract' or 'clear'")
    return cells


def judge(text: str) -> bool:
    return classify(text).style != "natural"


def prf_counts(pairs: list[tuple[bool, bool]]) -> dict:
    """Precision, recall and F1 of ``abstract`` over (predicted, gold) pairs, with counts."""
    tp = fp = fn = tn = 0
    for pred, gold in pairs:
        tp += pred and gold
        fp += pred and not gold
        fn += gold and not pred
        tn += not pred and not gold
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def prf(items: list[tuple[str, bool]]) -> dict:
    """Precision, recall and F1 of the rules judge over (text, is_abstract) items, with counts."""
    return prf_counts([(judge(text), gold) for text, gold in items])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="corpora root")
    ap.add_argument("--fixture", type=Path, default=FIXTURE)
    ap.add_argument("--show", type=int, default=0, help="print N errors of each kind")
    args = ap.parse_args()
    pos = nameguess_positives(args.data)
    tat, wtq = tatqa_negatives(args.data), wtq_negatives(args.data)
    public = [(t, True) for t in pos] + [(t, False) for t in tat + wtq]
    gov = [(c["text"], c["label"] == "abstract") for c in load_fixture(args.fixture)]
    start = time.perf_counter()
    for text, _ in public + gov:
        judge(text)
    secs = time.perf_counter() - start
    scores = prf(public)
    govs = prf(gov)
    if args.show:
        for name, items in (("public", public), ("govreports", gov)):
            fps = [t for t, g in items if judge(t) and not g][: args.show]
            fns = [t for t, g in items if g and not judge(t)][: args.show]
            print(f"{name} false positives: {fps}\n{name} false negatives: {fns}")
    out = {"data": str(args.data), "judge": "rules",
           "precision": scores["precision"], "recall": scores["recall"], "f1": scores["f1"],
           "counts": {k: scores[k] for k in ("tp", "fp", "fn", "tn")},
           "nameguess_positives": len(pos), "tatqa_negatives": len(tat), "wtq_negatives": len(wtq),
           "nameguess_recall": prf([(t, True) for t in pos])["recall"],
           "tatqa_false_positive_rate": round(sum(map(judge, tat)) / max(len(tat), 1), 4),
           "wtq_false_positive_rate": round(sum(map(judge, wtq)) / max(len(wtq), 1), 4),
           "govreports_precision": govs["precision"], "govreports_recall": govs["recall"],
           "govreports_f1": govs["f1"], "govreports_counts": {k: govs[k] for k in ("tp", "fp", "fn", "tn")},
           "cells_per_s": round(len(public + gov) / secs, 1) if secs else None}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
