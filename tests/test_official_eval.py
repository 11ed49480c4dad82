"""abstab's scores equal the official TAT-QA and WikiTableQuestions evaluators' on fixed cases.

Every expected value is worked out by hand from the official rules (NExTplusplus/TAT-QA
``tatqa_metric.py`` / ``tatqa_utils.py``; ppasupat/WikiTableQuestions ``evaluator.py``), the
derivation in the comment beside it. When a checkout of an official script is on the machine
(``ABSTAB_OFFICIAL_TATQA``: a folder with ``tatqa_metric.py``; ``ABSTAB_OFFICIAL_WTQ``: one with
``evaluator.py``, run with Python 2.7), the same cases are also run through it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from abstab.bench.metrics import denotation, tatqa_em, tatqa_f1
from abstab.bench.official import (
    check_denotation,
    tatqa_em_f1,
    tatqa_normalize_answer,
    tatqa_prediction,
    tatqa_split_scale,
    tatqa_to_number,
    wtq_normalize,
    wtq_to_value,
    wtq_to_values,
)
from abstab.records import Answer

# (prediction, pred_scale, gold answer, answer_type, gold scale, (em, f1))
TATQA_CASES = [
    # gold: '%.4f' % (round(1234, 2) * 1000) = "1234000.0000"; prediction "1234 thousand" is a
    # number with a scale word: 1234 * 1000 -> "1234000.0000"; both normalise to "1234000.0".
    # Arithmetic: F1 = EM.
    ("1234 thousand", "", 1234, "arithmetic", "thousand", (1.0, 1.0)),
    # The same amount predicted as "1,234,000": commas dropped, 1234000 -> "1234000.0000".
    ("1,234,000", "", 1234, "arithmetic", "thousand", (1.0, 1.0)),
    # "1,234" without a scale: "1234.0000" (and the plain-number reading, the same) != gold.
    ("1,234", "", 1234, "arithmetic", "thousand", (0.0, 0.0)),
    # ...but with the scale given separately it is read as 1234 * 1000.
    ("1,234", "thousand", 1234, "arithmetic", "thousand", (1.0, 1.0)),
    # Percent gold: round(23.42, 2) * 0.01 -> "0.2342". The prediction "0.2342" reads as
    # round(0.2342, 2) = "0.2300" first, but a lone number without scale or "%" is also read
    # as '%.4f' % 0.2342 = "0.2342", which matches.
    ("0.2342", "", 23.42, "arithmetic", "percent", (1.0, 1.0)),
    # "23.42%": a "%" number is to_number / 100 = 0.2342 -> "0.2342".
    ("23.42%", "", 23.42, "arithmetic", "percent", (1.0, 1.0)),
    # "23.42" alone is 23.42, not 0.2342.
    ("23.42", "", 23.42, "arithmetic", "percent", (0.0, 0.0)),
    # Span F1 over token sets: "the" goes, {net, income, was} vs {net, income}: P 2/3, R 1,
    # F1 0.8.
    ("the net income was", "", ["Net income"], "span", "", (0.0, 0.8)),
    # Multi-span: both sides sorted and joined: "2018.0000 2019.0000"; "|" separates items.
    ("2019 | 2018", "", ["2019", "2018"], "multi-span", "", (1.0, 1.0)),
    # One of two years: {2019.0} vs {2018.0, 2019.0}: P 1, R 1/2, F1 2/3 rounded to 0.67.
    ("2019", "", ["2019", "2018"], "multi-span", "", (0.0, 0.67)),
    # "(3.2)" is -3.2; under scale million -3200000.0000; "-3.2 million" the same.
    ("-3.2 million", "", ["(3.2)"], "span", "million", (1.0, 1.0)),
    # A non-number span gets the scale word: gold "about five million"; prediction without it:
    # {about, five} vs {about, five, million}: P 1, R 2/3, F1 0.8.
    ("about five", "", ["about five"], "span", "million", (0.0, 0.8)),
    # Count: str(int(3)) = "3" -> "3.0000"; "three" is a word: no overlap.
    ("three", "", 3, "count", "", (0.0, 0.0)),
    ("3", "", 3, "count", "", (1.0, 1.0)),
    # An empty prediction scores 0 whatever the gold.
    ("", "", ["x"], "span", "", (0.0, 0.0)),
]


@pytest.mark.parametrize(("pred", "pred_scale", "gold", "answer_type", "scale", "expected"),
                         TATQA_CASES)
def test_tatqa_rules(pred, pred_scale, gold, answer_type, scale, expected) -> None:
    from abstab.bench.official import split_items

    items = split_items(pred)
    prediction = items if len(items) > 1 else pred
    assert tatqa_em_f1(prediction, pred_scale, gold, answer_type, scale) == expected


def test_tatqa_number_reading() -> None:
    assert tatqa_to_number("$1,452.4") == 1452.4
    assert tatqa_to_number("(134)") == -134
    assert tatqa_to_number("12%") == 0.12
    assert tatqa_to_number("1.2 million") == 1200000.0
    assert tatqa_to_number("n/a") is None
    # A token that is a number keeps its punctuation until it is rewritten; others lose it.
    assert tatqa_normalize_answer("The $1,452.4 (net)") == "1452.4 net"
    assert tatqa_normalize_answer("5") == "5"  # an int stays an int: "5", not "5.0"


def _tatqa_gold(answer, answer_type, scale):
    """abstab's Answer for a TAT-QA gold, as abstab.bench.data builds it."""
    if answer_type in ("arithmetic", "count"):
        return Answer(text=str(answer), value=float(answer), type="number", scale=scale or None)
    return Answer(text=" | ".join(answer), value=list(answer),
                  type="list" if len(answer) > 1 else "text", scale=scale or None)


@pytest.mark.parametrize(("pred", "pred_scale", "gold", "answer_type", "scale", "expected"),
                         [c for c in TATQA_CASES if c[1] == ""])
def test_registered_tatqa_metrics_equal_the_rules(pred, pred_scale, gold, answer_type, scale,
                                                  expected) -> None:
    answer = _tatqa_gold(gold, answer_type, scale)
    assert (tatqa_em(pred, answer, False), tatqa_f1(pred, answer, False)) == expected


# A reader's answer text -> the (answer, scale) pair a TAT-QA model outputs -> (em, f1) of that
# pair against the gold by the official rules: (text, pair, gold, answer_type, scale, (em, f1))
TATQA_SPLIT_CASES = [
    # "(426)" is -426; under scale thousand -426000.0000, the gold round(-426, 2) * 1000.
    ("$(426) thousand", ("$(426)", "thousand"), -426, "arithmetic", "thousand", (1.0, 1.0)),
    ("(64) million", ("(64)", "million"), -64, "arithmetic", "million", (1.0, 1.0)),
    ("-426 thousand", ("-426", "thousand"), -426, "arithmetic", "thousand", (1.0, 1.0)),
    # A currency word after the scale word goes with it.
    ("426 thousand dollars", ("426", "thousand"), 426, "arithmetic", "thousand", (1.0, 1.0)),
    # "$1.2" is 1.2; times 1e6 "1200000.0000", the gold's round(1.2, 2) * 1e6.
    ("$1.2 million", ("$1.2", "million"), 1.2, "arithmetic", "million", (1.0, 1.0)),
    # 12.5 under scale percent: round(12.5, 2) * 0.01 = "0.1250" on both sides.
    ("12.5%", ("12.5", "percent"), 12.5, "arithmetic", "percent", (1.0, 1.0)),
    # A span gold written with "$": "$1,496.5" is 1496.5, times 1e6 on both sides.
    ("$1,496.5 million", ("$1,496.5", "million"), ["$1,496.5"], "span", "million", (1.0, 1.0)),
    # No scale word, or more than a number before it: left as it is.
    ("2019", ("2019", ""), ["2019"], "span", "", (1.0, 1.0)),
    ("12 million people", ("12 million people", ""), ["12 million people"], "span", "",
     (1.0, 1.0)),
]


@pytest.mark.parametrize(("text", "pair", "gold", "answer_type", "scale", "expected"),
                         TATQA_SPLIT_CASES)
def test_tatqa_reader_answers_are_scored_as_a_models_answer_and_scale(
        text, pair, gold, answer_type, scale, expected) -> None:
    assert tatqa_split_scale(text) == pair
    assert tatqa_em_f1(pair[0], pair[1], gold, answer_type, scale) == expected
    answer = _tatqa_gold(gold, answer_type, scale)
    assert (tatqa_em(text, answer, False), tatqa_f1(text, answer, False)) == expected


def test_tatqa_unsplit_text_is_what_scored_zero() -> None:
    # The official rules on the whole text with an empty scale: "$(426) thousand" reads as
    # -426 (no digit touches the scale word), "-426.0000" != "-426000.0000": EM 0. This is
    # how abstab scored the 4 misses of issue 16 before splitting.
    assert tatqa_em_f1("$(426) thousand", "", -426, "arithmetic", "thousand") == (0.0, 0.0)
    # List items share one scale, as a model's do.
    assert tatqa_prediction("(1.2) million | 3 million") == (["(1.2)", "3"], "million")
    assert tatqa_prediction("1.2 million | 3 thousand") == (["1.2 million", "3 thousand"], "")


# (targets, prediction items, correct)
WTQ_CASES = [
    (["2005", "2006"], ["2006", "2005"], True),  # two numbers each side, same set
    (["Italy"], ["italy."], True),  # lowercase, final "." removed
    (["Italy"], ["Itály"], True),  # diacritics removed (NFKD, combining marks dropped)
    (["Team (A)"], ["team"], True),  # a trailing parenthetical is removed
    (["Smith [1]"], ["smith"], True),  # a trailing citation is removed
    # "1,000" is neither int() nor float(): a string, which "1000" (the number) does not match.
    (["1,000"], ["1000"], False),
    # 3.0000001 is within 1e-6 of an integer: NumberValue keeps int(3.0000001) = 3.
    (["3"], ["3.0000001"], True),
    # 2.9999999 is too, but int() truncates it to 2: no match (the official quirk).
    (["3"], ["2.9999999"], False),
    (["a", "b"], ["a"], False),  # sizes differ
    (["2", "2.0"], ["2"], True),  # the targets are a set: {2}
    (["2005-01-02"], ["xx-01-02"], False),  # dates must agree on every field
    (["2005-xx-xx"], ["2005"], True),  # a date with only a year is the number 2005
    # "−5" (U+2212) is no number, but the string normalises to "-5", the prediction's text.
    (["−5"], ["-5"], True),
    (["1_000"], ["1000"], False),  # Python 2's int() rejects "1_000": a string
]


@pytest.mark.parametrize(("targets", "preds", "expected"), WTQ_CASES)
def test_wtq_denotation_rules(targets, preds, expected) -> None:
    assert check_denotation(wtq_to_values(targets), wtq_to_values(preds)) is expected
    gold = Answer(text=" | ".join(targets), value=targets, type="list")
    assert denotation(" | ".join(preds), gold, False) == float(expected)


def test_wtq_values_and_canonical_forms() -> None:
    assert wtq_normalize(' "Cat  Cora" ') == "cat cora"
    assert wtq_to_value("2005").kind == "number"
    assert wtq_to_value("xx-01-02").amount == (-1, 1, 2)
    # With the CoreNLP canonical form of the tagged dataset, "1,000" is the number 1000.
    assert check_denotation(wtq_to_values(["1,000"], ["1000.0"]), wtq_to_values(["1000"]))
    with pytest.raises(ValueError, match="2 answer items but 1"):
        wtq_to_values(["a", "b"], ["a"])


# --------------------------------------------------- the official scripts, when present


@pytest.mark.skipif(not os.environ.get("ABSTAB_OFFICIAL_TATQA"),
                    reason="set ABSTAB_OFFICIAL_TATQA to a folder with TAT-QA's tatqa_metric.py")
def test_official_tatqa_script_agrees() -> None:
    sys.path.insert(0, os.environ["ABSTAB_OFFICIAL_TATQA"])
    try:
        import tatqa_metric  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    from abstab.bench.official import split_items

    for pred, pred_scale, gold, answer_type, scale, expected in TATQA_CASES:
        meter = tatqa_metric.TaTQAEmAndF1()
        items = split_items(pred)
        meter(ground_truth={"answer": gold, "answer_type": answer_type, "scale": scale,
                            "answer_from": "table"},
              prediction=items if len(items) > 1 else pred, pred_scale=pred_scale)
        row = meter.get_raw()[0]
        assert (float(row["em"]), float(row["f1"])) == expected, pred
    # A reader's answer text, split into the pair a TAT-QA model outputs.
    for text, (pred, pred_scale), gold, answer_type, scale, expected in TATQA_SPLIT_CASES:
        meter = tatqa_metric.TaTQAEmAndF1()
        meter(ground_truth={"answer": gold, "answer_type": answer_type, "scale": scale,
                            "answer_from": "table"}, prediction=pred, pred_scale=pred_scale)
        row = meter.get_raw()[0]
        assert (float(row["em"]), float(row["f1"])) == expected, text


@pytest.mark.skipif(not os.environ.get("ABSTAB_OFFICIAL_WTQ") or not shutil.which("python2"),
                    reason="set ABSTAB_OFFICIAL_WTQ to a folder with WTQ's evaluator.py and "
                           "have python2 on PATH")
def test_official_wtq_evaluator_agrees(tmp_path: Path) -> None:
    tagged = tmp_path / "tagged"
    tagged.mkdir()
    lines = ["id\ttargetValue\ttargetCanon"]
    preds = []
    for n, (targets, items, _) in enumerate(WTQ_CASES):
        lines.append(f"ex{n}\t{'|'.join(targets)}\t{'|'.join(targets)}")
        preds.append("\t".join([f"ex{n}", *items]))
    (tagged / "cases.tagged").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "preds.tsv").write_text("\n".join(preds) + "\n", encoding="utf-8")
    out = subprocess.run(
        ["python2", str(Path(os.environ["ABSTAB_OFFICIAL_WTQ"]) / "evaluator.py"), "-t",
         str(tagged), str(tmp_path / "preds.tsv")],
        capture_output=True, text=True, check=True)
    verdicts = {line.split("\t")[0]: line.split("\t")[1] == "True"
                for line in out.stdout.splitlines() if line.startswith("ex")}
    assert verdicts == {f"ex{n}": c[2] for n, c in enumerate(WTQ_CASES)}
