"""NameGuess: expand abbreviated column names with nothing but the table.

Usage: python benchmarks/nameguess.py --data ../shared/corpora/nameguess [--limit N]

DIR holds ``eval_*.shared.json`` or ``eval_*.holdout.json`` (the NameGuess release format: one
record per table chunk with ``technical_name``, ``gt_label`` and ``table_prompt``, the column names
plus one sample row). Each column name is expanded by ``abstab.core.expand.expand_header`` from its
sibling names and its sample value, and scored as the NameGuess repository's ``src/metric.py``
does (SQuAD-style, max over normalised variants of prediction and label):

- variants of a string: lower-cased, punctuation and articles removed, whitespace collapsed; when
  it holds ``_`` or ``-``, also a variant with those turned into spaces first; and the lemmatised
  form of the normalised string. NameGuess lemmatises with spaCy's ``en_core_web_sm``, which is
  not installable here; this script uses simplemma (``lang="en"``) word by word instead, so
  scores can differ slightly where the two lemmatisers disagree.
- ``em``: 1 when some prediction variant equals some label variant; ``f1``: the best token F1
  over all variant pairs. Both averaged over columns.

Anchors in the same run: ``identity`` (the column name as written) and ``split`` (the name cut
at separators, camelCase and digits, nothing expanded). The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import string
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from abstab.core.expand import expand_header, tokenize

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def _lemmatise(text: str) -> str:
    import simplemma

    return " ".join(simplemma.lemmatize(t, lang="en") for t in text.split())


def _norm(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def variants(text: str) -> list[str]:
    """The normalised forms of one string that the NameGuess metric compares."""
    out = []
    if "_" in text or "-" in text:
        out.append(_norm(text.replace("_", " ").replace("-", " ")))
    base = _norm(text)
    out.append(base)
    lemma = _lemmatise(base)
    if lemma not in out:
        out.append(lemma)
    return out


def _f1(pred: str, gold: str) -> float:
    p, g = pred.split(), gold.split()
    same = sum((Counter(p) & Counter(g)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def score_pair(prediction: str, label: str) -> tuple[float, float]:
    """(exact match, token F1) of one prediction, each the max over variant pairs."""
    pv, gv = variants(prediction), variants(label)
    em = float(any(p == g for p in pv for g in gv))
    f1 = max(_f1(p, g) for p in pv for g in gv)
    return em, f1


def parse_values(record: dict, n: int) -> list[str]:
    """The sample row's value for each of the ``n`` columns, or ``""`` where it cannot be told.

    ``table_prompt`` is "column names : a, b\\nrow 1 : v1, v2\\n"; values may hold ", " too, so
    they are used only when the split gives exactly one value per column.
    """
    for line in record.get("table_prompt", "").splitlines():
        if line.startswith("row 1 :"):
            vals = [v.strip() for v in line[len("row 1 :"):].split(", ")]
            if len(vals) == n:
                return vals
    return [""] * n


def load(data: Path) -> list[tuple[str, str, list[str], str]]:
    """(header, gold label, sibling headers, sample value) for every column of every record."""
    files = sorted(data.glob("eval_*.shared.json")) + sorted(data.glob("eval_*.holdout.json"))
    if not files:
        raise SystemExit(f"{data}: no eval_*.shared.json or eval_*.holdout.json; pass the folder "
                         "of the NameGuess split with --data")
    items = []
    for f in files:
        for i, rec in enumerate(json.loads(f.read_text(encoding="utf-8"))):
            names, labels = rec.get("technical_name"), rec.get("gt_label")
            if not isinstance(names, list) or not isinstance(labels, list) or \
                    len(names) != len(labels):
                print(f"{f.name}[{i}]: technical_name and gt_label must be lists of one length; "
                      "record skipped", file=sys.stderr)
                continue
            values = parse_values(rec, len(names))
            items.extend((str(h), str(g), [str(n) for n in names], v)
                         for h, g, v in zip(names, labels, values))
    return items


def evaluate(items, predict: Callable[[str, list[str], str], str]) -> dict:
    em = f1 = 0.0
    start = time.perf_counter()
    preds = [predict(h, sib, v) for h, _, sib, v in items]
    secs = time.perf_counter() - start
    for (_, gold, _, _), pred in zip(items, preds):
        e, f = score_pair(pred, gold)
        em, f1 = em + e, f1 + f
    n = max(len(items), 1)
    return {"em": round(em / n, 4), "f1": round(f1 / n, 4), "seconds": round(secs, 2),
            "headers_per_s": round(len(items) / secs, 1) if secs else None}


def rules_predict(header: str, siblings: list[str], value: str) -> str:
    guesses = expand_header(header, siblings, [value] if value else [], k=1)
    return guesses[0] if guesses else header


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=0, help="score only the first N columns")
    ap.add_argument("--show", type=int, default=0, help="print N wrong predictions")
    args = ap.parse_args()
    items = load(args.data)
    if args.limit:
        items = items[: args.limit]
    identity = evaluate(items, lambda h, s, v: h)
    split = evaluate(items, lambda h, s, v: " ".join(tokenize(h)))
    rules = evaluate(items, rules_predict)
    if args.show:
        shown = 0
        for h, g, s, v in items:
            p = rules_predict(h, s, v)
            if score_pair(p, g)[0] == 0 and shown < args.show:
                print(f"{h!r:30} -> {p!r:40} gold {g!r}")
                shown += 1
    out = {"data": str(args.data), "columns": len(items), "lemmatiser": "simplemma",
           "em": rules["em"], "f1": rules["f1"], "headers_per_s": rules["headers_per_s"],
           "seconds": rules["seconds"],
           "identity": {"em": identity["em"], "f1": identity["f1"]},
           "split": {"em": split["em"], "f1": split["f1"]}}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
