"""SDU@AAAI-21 shared task 1 (acronym identification), scored the official way.

Usage: python benchmarks/sdu_identification.py --data ../shared/corpora/sdu-acronyms

DIR holds ``acronym_identification_dev.shared.json`` or ``acronym_identification_dev.holdout.json``
(any ``acronym_identification_*.{shared,holdout}.json``; ``--split`` picks one when both are
there): a list of ``{id, tokens[], labels[]}`` with BIO tags ``B-short/I-short`` (the acronym)
and ``B-long/I-long`` (its expansion in the same sentence).

Systems, all in the same run:

- ``rules`` — abstab's :func:`abstab.rules.acronyms.find_acronyms` run on the sentence text
  (tokens joined by spaces); its character spans are mapped back to tokens.
- ``schwartz_hearst`` — plain Schwartz & Hearst (2003): ``long (SF)`` pairs (``SF (long)`` when
  the parentheses hold more than two words), nothing else.
- ``official_baseline`` — the task's rule baseline (``code/character_match.py`` of
  amirveyseh/AAAI-21-SDU-shared-task-1-AI), reimplemented from its description and code:
  tokens over 60 % capitals are short forms; a long form is searched in the window before
  ``( SF )`` or after ``SF (``.

Scoring reimplements the official ``scorer.py``: phrases are (sentence, first token, last token)
triples; a phrase ends at every ``B-*`` or ``O`` tag; precision/recall per kind (1.0 when there is
nothing to count); macro precision and recall are the means over short and long forms, and macro
F1 is their harmonic mean (not the mean of the two F1s).

The last stdout line is one JSON object: the rules system's ``short_f1``, ``long_f1``,
``macro_f1`` (+ precision/recall) at the top level, every system under ``systems``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from abstab.rules.acronyms import find_acronyms

Labels = list[str]


# ------------------------------------------------------------------------------- scoring


def phrases(labels_per_sentence: Sequence[Sequence[str]]) -> tuple[set, set]:
    """Short-form and long-form phrases as (sentence, first, last) triples, the scorer's way."""
    shorts: set[tuple[int, int, int]] = set()
    longs: set[tuple[int, int, int]] = set()
    for i, labels in enumerate(labels_per_sentence):
        open_: dict[str, list[int]] = {"short": [], "long": []}
        for j, tag in enumerate(list(labels) + ["O"]):  # a final "O" closes open phrases
            if "B" in tag or "O" in tag:
                for kind, out in (("short", shorts), ("long", longs)):
                    if open_[kind]:
                        out.add((i, open_[kind][0], open_[kind][-1]))
                        open_[kind] = []
            for kind in ("short", "long"):
                if kind in tag:
                    open_[kind].append(j)
    return shorts, longs


def _prf(pred: set, gold: set) -> tuple[float, float, float]:
    correct = len(pred & gold)
    p = correct / len(pred) if pred else 1.0
    r = correct / len(gold) if gold else 1.0
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return p, r, f


def score(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> dict[str, float]:
    """The official phrase-level scores of ``pred`` against ``gold`` (BIO labels per sentence)."""
    gs, gl = phrases(gold)
    ps, pl = phrases(pred)
    sp, sr, sf = _prf(ps, gs)
    lp, lr, lf = _prf(pl, gl)
    mp, mr = (sp + lp) / 2, (sr + lr) / 2
    mf = 2 * mp * mr / (mp + mr) if mp + mr > 0 else 0.0
    return {"short_precision": sp, "short_recall": sr, "short_f1": sf,
            "long_precision": lp, "long_recall": lr, "long_f1": lf,
            "macro_precision": mp, "macro_recall": mr, "macro_f1": mf}


# ------------------------------------------------------------------------------- systems


def spans_to_labels(tokens: Sequence[str], spans: Sequence[tuple[int, int, str]]) -> Labels:
    """BIO labels for ``tokens`` (joined by single spaces) from character spans (start, end,
    kind); a token belongs to a span when they overlap. A long form wins over a short form
    inside it (``phrase-based MT (PBMT)``: the gold marks all three words as the long form)."""
    starts, pos = [], 0
    for t in tokens:
        starts.append(pos)
        pos += len(t) + 1
    labels = ["O"] * len(tokens)
    for kind in ("short", "long"):
        for s, e, k in spans:
            if k != kind:
                continue
            idx = [i for i, st in enumerate(starts) if st < e and s < st + len(tokens[i])]
            for n, i in enumerate(idx):
                labels[i] = ("B-" if n == 0 else "I-") + kind
    return labels


def rules_system(tokens: Sequence[str]) -> Labels:
    text = " ".join(tokens)
    spans: list[tuple[int, int, str]] = []
    for p in find_acronyms(text):
        spans.append((p.start, p.end, "short"))
        if p.long_start is not None and p.long_end is not None:
            spans.append((p.long_start, p.long_end, "long"))
    return spans_to_labels(tokens, spans)


def _sh_best_long(short: str, cand: str) -> str | None:
    """Schwartz & Hearst's findBestLongForm: match the short form's characters right to left,
    the first one at a word start."""
    s = short.lower()
    lf = cand.lower()
    si, li = len(s) - 1, len(lf) - 1
    while si >= 0:
        c = s[si]
        if not c.isalnum():
            si -= 1
            continue
        while li >= 0 and (lf[li] != c or (si == 0 and li > 0 and lf[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return None
        li -= 1
        si -= 1
    start = lf.rfind(" ", 0, li + 1) + 1
    return cand[start:]


def schwartz_hearst_system(tokens: Sequence[str]) -> Labels:
    text = " ".join(tokens)
    spans: list[tuple[int, int, str]] = []
    for m in re.finditer(r"\(\s*([^()]+?)\s*\)", text):
        inner = m.group(1)
        before = text[:m.start()].rstrip()
        inner_words = inner.split()
        if len(inner_words) > 2:  # "SF (long form)": swap the roles
            bw = before.split()
            if not bw:
                continue
            short, short_start = bw[-1], len(before) - len(bw[-1])
            cand, cand_start = inner, m.start(1)
        else:
            short, short_start = inner, m.start(1)
            cand_words = before.split()
            n = len([c for c in short if c.isalnum()])
            keep = cand_words[-min(n + 5, 2 * n):] if cand_words else []
            cand = " ".join(keep)
            cand_start = len(before) - len(cand)
        alnum = [c for c in short if c.isalnum()]
        if not (2 <= len(short) <= 10 and alnum and short[0].isalnum()
                and any(c.isalpha() for c in short)):
            continue
        long = _sh_best_long(short, cand)
        if not long or len(long) <= len(short) or short.lower() in long.lower().split():
            continue
        if len(long.split()) > min(len(alnum) + 5, 2 * len(alnum)):
            continue
        ls = cand_start + len(cand) - len(long) if len(inner_words) <= 2 else cand_start
        spans.append((short_start, short_start + len(short), "short"))
        spans.append((ls, ls + len(long), "long"))
    return spans_to_labels(tokens, spans)


def official_baseline_system(tokens: Sequence[str]) -> Labels:
    """The task's rule baseline: capitals-share short forms, a character match for long forms."""
    n = len(tokens)
    labels = ["O"] * n
    for i, t in enumerate(tokens):
        if not (2 <= len(t) <= 10 and t[0].isupper() and sum(c.isupper() for c in t) / len(t) > 0.6):
            continue
        labels[i] = "B-short"
        window = min(len(t) + 5, len(t) * 2)
        idx: list[int] = []
        before = False
        if i < n - 3 and tokens[i + 1] == "(":  # SF ( long … )
            for j in range(i + 2, min(i + 2 + window, n)):
                if tokens[j] == ")":
                    break
                idx.append(j)
        elif 1 < i < n - 3 and tokens[i - 1] == "(" and tokens[i + 1] == ")":  # long ( SF )
            before = True
            idx = [j for j in range(i - 1 - window, i - 1) if j > 0]
        if not idx:
            continue
        cand = " ".join(tokens[j] for j in idx)
        kept = _baseline_match(t, cand, before)
        if kept:
            chosen = idx[-kept:] if before else idx[:kept]
            for k, j in enumerate(chosen):
                labels[j] = "B-long" if k == 0 else "I-long"
    return labels


def _baseline_match(short: str, cand: str, before: bool) -> int:
    """How many candidate words the baseline keeps as the long form (0: none)."""
    chars = [c.lower() for c in short if c.isalnum()]
    low = cand.lower()
    if before:
        li = len(low) - 1
        for si in range(len(chars) - 1, -1, -1):
            c = chars[si]
            while li >= 0 and (low[li] != c or (si == 0 and li > 0 and low[li - 1].isalnum())):
                li -= 1
            if li < 0:
                return 0
            li -= 1
        if li < 0:  # the baseline gives up when the match ends at the very first character
            return 0
        start = low.rfind(" ", 0, li + 1) + 1
        return len(cand[start:].split())
    if low[0] != chars[0]:
        return 0
    li = 0
    for c in chars:
        while li < len(low) and low[li] != c:
            li += 1
        if li >= len(low):
            return 0
        li += 1
    if li >= len(low):
        return 0
    space = low.find(" ", li)
    end = len(low) if space < 0 else space + 1
    return len(cand[:end].split())


SYSTEMS: dict[str, Callable[[Sequence[str]], Labels]] = {
    "rules": rules_system,
    "schwartz_hearst": schwartz_hearst_system,
    "official_baseline": official_baseline_system,
}


# ------------------------------------------------------------------------------- data


def find_split(data: Path, task: str, split: str) -> Path:
    """The ``acronym_{task}_*.{shared,holdout}.json`` file of ``data``."""
    pattern = re.compile(rf"acronym_{task}_.*\.(shared|holdout)\.json$")
    found = sorted(p for p in data.glob(f"acronym_{task}_*.json") if pattern.search(p.name))
    if split != "auto":
        found = [p for p in found if p.name.endswith(f".{split}.json")]
    if not found:
        raise SystemExit(f"{data}: no acronym_{task}_*.shared.json or *.holdout.json file; pass "
                         f"--data the sdu-acronyms folder (e.g. ../shared/corpora/sdu-acronyms)")
    if len(found) > 1:
        raise SystemExit(f"{data}: several splits ({', '.join(p.name for p in found)}); "
                         f"choose one with --split shared|holdout")
    return found[0]


def load(path: Path) -> list[dict]:
    items = json.loads(path.read_text(encoding="utf-8"))
    good = []
    for k, item in enumerate(items):
        toks, labels = item.get("tokens"), item.get("labels")
        if not isinstance(toks, list) or not isinstance(labels, list) or len(toks) != len(labels):
            print(f"{path.name}: item {k} (id {item.get('id')!r}) skipped: 'tokens' and 'labels' "
                  f"must be lists of equal length", file=sys.stderr)
            continue
        good.append(item)
    return good


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the sdu-acronyms folder")
    ap.add_argument("--split", default="auto", choices=["auto", "shared", "holdout"])
    ap.add_argument("--errors", type=Path, help="write the rules system's wrong sentences here")
    args = ap.parse_args(argv)
    path = find_split(args.data, "identification", args.split)
    items = load(path)
    gold = [it["labels"] for it in items]
    systems: dict[str, dict] = {}
    preds_by_system = {}
    for name, system in SYSTEMS.items():
        start = time.perf_counter()
        preds = []
        for it in items:
            try:
                preds.append(system(it["tokens"]))
            except Exception as exc:  # noqa: BLE001 — one bad sentence must not stop the run
                print(f"{name}: {it.get('id')}: {type(exc).__name__}: {exc}", file=sys.stderr)
                preds.append(["O"] * len(it["tokens"]))
        elapsed = time.perf_counter() - start
        systems[name] = {k: round(v, 4) for k, v in score(gold, preds).items()}
        systems[name]["sentences_per_s"] = round(len(items) / elapsed, 1)
        preds_by_system[name] = preds
        print(f"{name:18s} short F1 {systems[name]['short_f1']:.3f}  long F1 "
              f"{systems[name]['long_f1']:.3f}  macro F1 {systems[name]['macro_f1']:.3f}  "
              f"({systems[name]['sentences_per_s']} sentences/s)")
    if args.errors:
        with args.errors.open("w", encoding="utf-8") as f:
            for it, p in zip(items, preds_by_system["rules"], strict=True):
                if p != it["labels"]:
                    f.write(json.dumps({"id": it["id"], "text": " ".join(it["tokens"]),
                                        "gold": _show(it["tokens"], it["labels"]),
                                        "pred": _show(it["tokens"], p)}) + "\n")
    result = {"data": path.name, "sentences": len(items), **{
        k: systems["rules"][k] for k in ("short_precision", "short_recall", "short_f1",
                                         "long_precision", "long_recall", "long_f1",
                                         "macro_precision", "macro_recall", "macro_f1")},
              "systems": systems}
    print(json.dumps(result))
    return result


def _show(tokens: Sequence[str], labels: Sequence[str]) -> str:
    s, lg = phrases([labels])
    return " | ".join(
        [f"S:{' '.join(tokens[a:b + 1])}" for _, a, b in sorted(s)]
        + [f"L:{' '.join(tokens[a:b + 1])}" for _, a, b in sorted(lg)])


if __name__ == "__main__":
    main()
