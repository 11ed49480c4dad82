"""SDU@AAAI-21 shared task 2 (acronym disambiguation), scored the official way.

Usage: python benchmarks/sdu_disambiguation.py --data ../shared/corpora/sdu-acronyms

DIR holds ``acronym_disambiguation_dev.shared.json`` or ``acronym_disambiguation_dev.holdout.json``
(any ``acronym_disambiguation_*.{shared,holdout}.json``; ``--split`` picks one when both are
there; items ``{id, tokens[], acronym (token index), expansion}``) and
``acronym_disambiguation_diction.json`` (short form → candidate expansions). Every system picks one
of the dictionary's expansions of the sentence's acronym.

Systems, all in the same run:

- ``rules`` — abstab's :func:`abstab.rules.acronyms.rank_expansions`: cosine similarity of the
  sentence and each expansion (bundled all-MiniLM-L6-v2 via :mod:`abstab.embed`) plus word
  overlap, plus a small prior for the dictionary's first (usual) sense; needs the ``embed``
  extra (skipped, with the reason, when absent).
- ``first_candidate`` — the dictionary's first expansion.
- ``word_overlap`` — the expansion sharing most lower-cased words with the sentence (ties: the
  dictionary's order).
- ``knn_cv`` — a reference, not a shipped system: ``rules`` plus the similarity to labelled
  sentences of the other folds (k-fold cross-validation within the split); it shows what
  labelled contexts would add. Nothing is trained into the package.

Scoring reimplements the official ``scorer.py``: accuracy, and macro precision/recall over the
gold expansions (precision of an expansion never predicted counts 1.0), macro F1 being the
harmonic mean of macro precision and macro recall.

The last stdout line is one JSON object: the rules system's ``accuracy`` and ``macro_f1`` (and
macro precision/recall) at the top level, every system under ``systems``, and the embedding
throughput (texts encoded per second).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from abstab import embed
from abstab.rules.acronyms import rank_expansions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sdu_identification import find_split

DICTION = "acronym_disambiguation_diction.json"


def score(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """Accuracy and the official macro precision / recall / F1 over gold expansions."""
    if len(gold) != len(pred) or not gold:
        raise ValueError("gold and predictions must be non-empty and of equal length")
    correct = Counter(g for g, p in zip(gold, pred, strict=True) if g == p)
    total = Counter(gold)
    predicted = Counter(pred)
    precs = [correct[e] / predicted[e] if predicted[e] else 1.0 for e in total]
    recs = [correct[e] / total[e] for e in total]
    mp, mr = sum(precs) / len(precs), sum(recs) / len(recs)
    mf = 2 * mp * mr / (mp + mr) if mp + mr else 0.0
    return {"accuracy": sum(correct.values()) / len(gold), "macro_precision": mp,
            "macro_recall": mr, "macro_f1": mf}


def first_candidate(sentence: str, candidates: Sequence[str]) -> str:
    return candidates[0]


def word_overlap(sentence: str, candidates: Sequence[str]) -> str:
    words = set(re.findall(r"\w+", sentence.lower()))
    counts = [len(set(re.findall(r"\w+", c.lower())) & words) for c in candidates]
    return candidates[counts.index(max(counts))]


def knn_cv(items: list[dict], sentences: list[str], shorts: list[str],
           diction: dict[str, list[str]], vectors, row: dict[str, int], folds: int) -> list[str]:
    """Not a shipped system: what labelled contexts add. Each sentence is scored as ``rules``
    plus, per candidate, the highest similarity to a sentence of the *other* folds labelled with
    that candidate (k-fold cross-validation over this split, folds by a seeded shuffle)."""
    import random

    import numpy as np

    from abstab.rules.acronyms import OVERLAP_WEIGHT, PRIOR_WEIGHT, overlap_scores

    order = list(range(len(items)))
    random.Random(2021).shuffle(order)
    fold = {i: k % folds for k, i in enumerate(order)}
    sv = vectors[[row[s] for s in sentences]]
    by_short: dict[str, list[int]] = {}
    for i, a in enumerate(shorts):
        by_short.setdefault(a, []).append(i)
    preds = []
    for i, (s, a) in enumerate(zip(sentences, shorts, strict=True)):
        cands = diction[a]
        score_ = vectors[[row[c] for c in cands]] @ sv[i]
        score_ = score_ + OVERLAP_WEIGHT * np.array(overlap_scores(s, cands))
        score_[0] += PRIOR_WEIGHT
        near = np.zeros(len(cands))
        for j in by_short[a]:
            if fold[j] != fold[i] and items[j]["expansion"] in cands:
                k = cands.index(items[j]["expansion"])
                near[k] = max(near[k], float(sv[j] @ sv[i]))
        preds.append(cands[int(np.argmax(score_ + near))])
    return preds


def load(data: Path, split: str) -> tuple[Path, list[dict], dict[str, list[str]]]:
    path = find_split(data, "disambiguation", split)
    diction_path = data / DICTION
    if not diction_path.exists():
        raise SystemExit(f"{data}: {DICTION} is missing (the acronym → expansions dictionary)")
    diction = json.loads(diction_path.read_text(encoding="utf-8"))
    items = []
    for k, it in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        toks, idx = it.get("tokens"), it.get("acronym")
        why = None
        if not isinstance(toks, list) or not isinstance(idx, int) or not 0 <= idx < len(toks):
            why = "'acronym' must index 'tokens'"
        elif toks[idx] not in diction:
            why = f"acronym {toks[idx]!r} is not in {DICTION}"
        elif "expansion" not in it:
            why = "'expansion' (the gold) is missing"
        if why:
            print(f"{path.name}: item {k} (id {it.get('id')!r}) skipped: {why}", file=sys.stderr)
            continue
        items.append(it)
    return path, items, diction


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the sdu-acronyms folder")
    ap.add_argument("--split", default="auto", choices=["auto", "shared", "holdout"])
    ap.add_argument("--folds", type=int, default=5, help="folds of the knn_cv reference system")
    args = ap.parse_args(argv)
    path, items, diction = load(args.data, args.split)
    gold = [it["expansion"] for it in items]
    sentences = [" ".join(it["tokens"]) for it in items]
    shorts = [it["tokens"][it["acronym"]] for it in items]
    systems: dict[str, dict] = {}
    for name, fn in (("first_candidate", first_candidate), ("word_overlap", word_overlap)):
        preds = [fn(s, diction[a]) for s, a in zip(sentences, shorts, strict=True)]
        systems[name] = {k: round(v, 4) for k, v in score(gold, preds).items()}
    result: dict = {"data": path.name, "items": len(items)}
    if embed.available():
        # Encode every distinct sentence and expansion once, in batches.
        texts = sorted(set(sentences) | {c for a in set(shorts) for c in diction[a]})
        start = time.perf_counter()
        vectors = embed.encode(texts)
        encode_s = time.perf_counter() - start
        row = {t: i for i, t in enumerate(texts)}
        start = time.perf_counter()
        preds = []
        for s, a in zip(sentences, shorts, strict=True):
            cands = diction[a]
            # The dictionary lists an acronym's usual sense first: a small prior for it.
            ranked = rank_expansions(s, a, cands, prior=[1.0] + [0.0] * (len(cands) - 1),
                                     sentence_vector=vectors[row[s]],
                                     candidate_vectors=vectors[[row[c] for c in cands]])
            preds.append(ranked[0][0])
        rank_s = time.perf_counter() - start
        systems["rules"] = {k: round(v, 4) for k, v in score(gold, preds).items()}
        systems["rules"]["items_per_s"] = round(len(items) / (encode_s + rank_s), 1)
        systems["knn_cv"] = {k: round(v, 4) for k, v in score(gold, knn_cv(
            items, sentences, shorts, diction, vectors, row, args.folds)).items()}
        result.update({k: systems["rules"][k] for k in ("accuracy", "macro_precision",
                                                        "macro_recall", "macro_f1")})
        result["embedding"] = {"model": embed.MODEL_NAME, "texts": len(texts),
                               "seconds": round(encode_s, 2),
                               "texts_per_s": round(len(texts) / encode_s, 1)}
    else:
        print(f"rules skipped: {embed.INSTALL_HINT}", file=sys.stderr)
        result["rules_skipped"] = embed.INSTALL_HINT
    for name, m in systems.items():
        print(f"{name:16s} accuracy {m['accuracy']:.3f}  macro F1 {m['macro_f1']:.3f}")
    result["systems"] = systems
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
