"""Answer normalization, number parsing, the answer metrics and bootstrap intervals."""

from __future__ import annotations

import subprocess
import sys

import pytest

from abstab.bench.metrics import (
    abstention,
    bootstrap_ci,
    confidence_interval,
    correct,
    denotation,
    exact_match,
    gold_numbers,
    is_abstention,
    newcombe_paired_ci,
    numeric_match,
    paired_bootstrap_ci,
    tatqa_em,
    tatqa_f1,
    token_f1,
    truthfulness,
    wilson_ci,
)
from abstab.core.normalize import (
    find_numbers,
    normalize_answer,
    parse_number,
    parse_number_detail,
    scale_factor,
    squash,
    tokenize,
)
from abstab.errors import UnknownNameError
from abstab.records import Answer
from abstab.registry import metrics


def num(text: str, value: float | None = None, scale: str | None = None) -> Answer:
    return Answer(text=text, value=value, type="number", scale=scale)


def txt(text: str, type: str = "text", value: object = None) -> Answer:
    return Answer(text=text, value=value, type=type)  # type: ignore[arg-type]


NONE = Answer(text="", type="none")

# ------------------------------------------------------------------------- normalization


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Net Profit.", "net profit"),
        ("  an   apple ", "apple"),
        ("A", ""),
        ("U.S. dollars", "us dollars"),
        ("don't", "dont"),
        ("state-owned", "state owned"),
        ("12,450", "12450"),
        ("1,234,567.50", "1234567.5"),
        ("4.50", "4.5"),
        ("12.0", "12"),
        ("−0.8", "-0.8"),
        ("-0.0", "0"),
        ("45%", "45"),
        ("(3.2)", "3.2"),
        ("2010–2012", "2010 2012"),
        ("2010-2012", "2010 2012"),
        ("x -5", "x -5"),
        ("3bn", "3 bn"),
        ("Q3 2012", "q3 2012"),
        ("１２，４５０", "12450"),
        ("12\u202f450", "12450"),
        ("東京 都", "東京都"),
        ("東京都、2012年", "東京都 2012 年"),
        ("", ""),
        ("?!", ""),
    ],
)
def test_normalize_answer(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


def test_squash_is_the_one_whitespace_normaliser() -> None:
    # one space per run (questions, labels) or none at all (the cell comparison key)
    assert squash(" $  1,452.4\n\t(a)\u00a0 ") == "$ 1,452.4 (a)"
    assert squash(" $  1,452.4\n\t(a)\u00a0 ", sep="") == "$1,452.4(a)"
    assert squash(" \u2003 ", sep="") == ""


def test_tokenize_splits_cjk_characters() -> None:
    assert tokenize("東京都, 2012年") == ["東", "京", "都", "2012", "年"]
    assert tokenize("ひらがなカタカナ") == list("ひらがなカタカナ")
    assert tokenize("서울 특별시") == ["서", "울", "특", "별", "시"]
    assert tokenize("GDP成長率 3.5%") == ["gdp", "成", "長", "率", "3.5"]
    assert tokenize("The Net Profit") == ["net", "profit"]


# ------------------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,450", 12450.0),
        ("4.5", 4.5),
        (".5", 0.5),
        ("−0.8", -0.8),
        ("-0.8", -0.8),
        ("－0.8", -0.8),
        ("(3.2)", -3.2),
        ("($3.2 million)", -3_200_000.0),
        ("(3.2%)", -3.2),
        ("△1,234", -1234.0),
        ("▲0.5", -0.5),
        ("45%", 45.0),
        ("45 %", 45.0),
        ("45 percent", 45.0),
        ("1.2 million", 1_200_000.0),
        ("3 bn", 3_000_000_000.0),
        ("3bn", 3_000_000_000.0),
        ("2 trillion", 2e12),
        ("12 thousand", 12_000.0),
        ("EUR 12k", 12_000.0),
        ("EUR12k", 12_000.0),
        ("12k", 12_000.0),
        ("$3m", 3_000_000.0),
        ("$1.2 m", 1_200_000.0),
        ("3m USD", 3_000_000.0),
        ("5m", 5.0),  # five metres, not five million
        ("12 k", 12.0),
        ("Rs. 500", 500.0),
        ("Rs.500", 500.0),
        ("US$1,200", 1200.0),
        ("-$3.2", -3.2),
        ("$-3.2", -3.2),
        ("1.5万", 15_000.0),
        ("3億円", 300_000_000.0),
        ("１２，４５０", 12450.0),
        ("12\u202f450", 12450.0),
        ("1e6", 1_000_000.0),
        ("-0", 0.0),
        ("The answer is 12,450.", 12450.0),
        ("CO2 emissions: 45 kt", 45.0),
        ("12.5 tonnes", 12.5),
        ("", None),
        ("n/a", None),
        ("Q3", None),
        ("1.2.3", None),
        ("12 in 2012", None),
        ("3-5", None),
        ("12 450", None),
    ],
)
def test_parse_number(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


def test_parse_number_detail_and_find_numbers() -> None:
    detail = parse_number_detail("EUR 12k")
    assert detail is not None
    assert (detail.value, detail.percent, detail.multiplier, detail.currency) == (
        12_000.0, False, 1_000.0, True,
    )
    pct = parse_number_detail("45%")
    assert pct is not None and pct.percent and pct.value == 45.0
    assert find_numbers("Revenue rose from 12,450 to (3.2) in FY2012, up 45%") == [
        12450.0, -3.2, 45.0,
    ]
    assert find_numbers("2010-2012") == [2010.0, 2012.0]


@pytest.mark.parametrize(
    ("scale", "factor"),
    [
        ("thousand", 1e3), ("Thousands", 1e3), ("million", 1e6), ("in millions", 1e6),
        ("billion", 1e9), ("percent", 100.0), ("%", 100.0), (None, None), ("", None),
        ("furlongs", None),
    ],
)
def test_scale_factor(scale: str | None, factor: float | None) -> None:
    assert scale_factor(scale) == factor


# -------------------------------------------------------------------------- exact match


@pytest.mark.parametrize(
    ("prediction", "gold", "expected"),
    [
        ("net profit", txt("Net Profit"), 1.0),
        ("The net profit.", txt("net profit"), 1.0),
        ("gross profit", txt("net profit"), 0.0),
        ("12450", num("12,450"), 1.0),
        ("12,450.00", num("12450"), 1.0),
        ("-0.8", num("−0.8"), 1.0),
        ("0.8", num("−0.8"), 0.0),
        ("4.5", num("4.50"), 1.0),
        ("東京都", txt("東京 都"), 1.0),
        ("東京都", txt("東京"), 0.0),
        ("rice, wheat", Answer(text="", value=["Rice", "Wheat"], type="list"), 1.0),
    ],
)
def test_exact_match(prediction: str, gold: Answer, expected: float) -> None:
    assert exact_match(prediction, gold, False) == expected


def test_exact_match_abstained_on_answerable_is_zero() -> None:
    assert exact_match("net profit", txt("net profit"), True) == 0.0


# ----------------------------------------------------------------------------- token F1


@pytest.mark.parametrize(
    ("prediction", "gold", "expected"),
    [
        ("东京都", txt("东京"), 0.8),  # P = 2/3, R = 1
        ("東京", txt("東京都"), 0.8),
        ("東京都", txt("東京都"), 1.0),
        ("大阪", txt("東京"), 0.0),
        ("서울특별시", txt("서울"), 4 / 7),  # 2 * 2 / (5 + 2)
        ("net profit", txt("the Net Profit"), 1.0),
        ("profit", txt("net profit"), 2 / 3),
        ("net operating profit", txt("net profit"), 0.8),
        ("wheat and rice", txt("rice, wheat"), 0.8),
        ("12,450 yen", txt("12450 yen"), 1.0),
        ("", txt("net profit"), 0.0),
        ("the", txt("a"), 1.0),  # both normalize to nothing
    ],
)
def test_token_f1(prediction: str, gold: Answer, expected: float) -> None:
    assert token_f1(prediction, gold, False) == expected


def test_token_f1_counts_repeated_tokens_once_each() -> None:
    # bag semantics: "profit profit" shares one "profit" with "net profit"
    assert token_f1("profit profit", txt("net profit"), False) == 0.5


# ------------------------------------------------------------------------ numeric match


@pytest.mark.parametrize(
    ("prediction", "gold", "expected"),
    [
        ("12,450", num("12450"), 1.0),
        ("12450", num("12,450"), 1.0),
        ("4.5", num("4.50"), 1.0),
        ("4.5", num("4.6"), 0.0),
        ("−0.8", num("-0.8"), 1.0),
        ("-0.8", num("−0.8"), 1.0),
        ("0.8", num("-0.8"), 0.0),  # signs must agree
        ("(3.2)", num("-3.2"), 1.0),
        ("-3.2", num("(3.2)"), 1.0),
        ("45%", num("45%"), 1.0),
        ("45", num("45%"), 1.0),
        ("0.45", num("45%"), 1.0),  # a "%" gold text counts as scale percent
        ("45%", num("0.45"), 1.0),  # a "%" prediction may mean its value / 100
        ("1.2 million", num("1,200,000"), 1.0),
        ("3 bn", num("3000000000"), 1.0),
        ("EUR 12k", num("12,000"), 1.0),
        ("12,450", num("12,450", value=12450.0), 1.0),
        ("12,451", num("12,450", value=12450.0), 0.0),
        ("The answer is 12,450.", num("12,450"), 1.0),
        ("12,450 in 2012", num("12,450"), 0.0),  # two numbers: ambiguous
        ("twelve", num("12"), 0.0),
        ("1000000.5", num("1000000"), 1.0),  # relative difference 5e-7 <= 1e-6
        ("1000002", num("1000000"), 0.0),  # relative difference 2e-6 > 1e-6
        ("0", num("0"), 1.0),
    ],
)
def test_numeric_match(prediction: str, gold: Answer, expected: float) -> None:
    assert numeric_match(prediction, gold, False) == expected


@pytest.mark.parametrize(
    ("prediction", "gold", "expected"),
    [
        ("1,200,000", num("1.2", value=1.2, scale="million"), 1.0),  # value x factor
        ("1.2", num("1.2", value=1.2, scale="million"), 1.0),
        ("1.2 million", num("1.2", value=1.2, scale="million"), 1.0),
        ("$1.2m", num("1.2", value=1.2, scale="million"), 1.0),
        ("1.2", num("1,200,000", value=1_200_000.0, scale="million"), 1.0),  # value / factor
        ("1,200", num("1.2", value=1.2, scale="million"), 0.0),
        ("12,450,000", num("12,450", scale="thousand"), 1.0),
        ("12.45 million", num("12,450", scale="thousands"), 1.0),
        ("3,000,000,000", num("3", value=3.0, scale="billion"), 1.0),
        ("0.45", num("45", value=45.0, scale="percent"), 1.0),
        ("45%", num("45", value=45.0, scale="percent"), 1.0),
        ("0.45", num("45", value=45.0), 0.0),  # no scale, no "%": 0.45 is not 45
        ("1,200,000", num("1.2", value=1.2, scale="furlongs"), 0.0),  # unknown scale ignored
    ],
)
def test_numeric_match_scale(prediction: str, gold: Answer, expected: float) -> None:
    assert numeric_match(prediction, gold, False) == expected


def test_numeric_match_forgives_a_scale_word_when_the_gold_has_no_scale() -> None:
    assert numeric_match("12,450 thousand", num("12,450"), False) == 1.0
    assert numeric_match("12,450 thousand", num("12,450,000"), False) == 1.0
    assert numeric_match("12,450 thousand", num("12,451"), False) == 0.0
    # With a gold scale the scale word counts: 12,450 thousand is not 12,450 million.
    assert numeric_match("12,450 thousand", num("12,450", scale="million"), False) == 0.0


def test_numeric_match_tolerance_is_a_setting() -> None:
    assert numeric_match("4.5", num("4.52"), False) == 0.0
    assert numeric_match("4.5", num("4.52"), False, rel_tol=0.01) == 1.0


def test_numeric_match_non_numeric_gold_falls_back_to_exact_match() -> None:
    assert numeric_match("Net Profit", txt("net profit"), False) == 1.0
    assert numeric_match("profit", txt("net profit"), False) == 0.0
    assert numeric_match("2012", txt("2012", type="date"), False) == 1.0
    assert numeric_match("N/A", num("n/a"), False) == 1.0  # unparseable number gold
    assert numeric_match("none", num("n/a"), False) == 0.0


def test_numeric_match_abstained_is_zero() -> None:
    assert numeric_match("12,450", num("12450"), True) == 0.0


def test_gold_numbers() -> None:
    assert gold_numbers(num("12,450")) == [12450.0]
    assert gold_numbers(num("1.2", value=1.2, scale="million")) == [1.2, 1_200_000.0, 1.2e-6]
    assert gold_numbers(num("45%")) == [45.0, 4500.0, 0.45]
    assert gold_numbers(Answer(text="7", value="7", type="number")) == [7.0]
    assert gold_numbers(txt("net profit")) == []
    assert gold_numbers(txt("2012", type="date")) == []
    assert gold_numbers(Answer(text="12", value=12.0, type="text")) == [12.0]
    assert gold_numbers(NONE) == []


# --------------------------------------------------------------------------- abstention


@pytest.mark.parametrize(
    ("prediction", "abstained", "expected"),
    [
        ("", True, 1.0),
        ("12,450", True, 1.0),  # the flag decides
        ("", False, 1.0),
        ("Unanswerable.", False, 1.0),
        ("unknown", False, 1.0),
        ("Not answerable", False, 1.0),
        ("Cannot be determined.", False, 1.0),
        ("  UNKNOWN!  ", False, 1.0),
        ("12,450", False, 0.0),
        ("It is unknown to me", False, 0.0),
    ],
)
def test_abstention_on_unanswerable(prediction: str, abstained: bool, expected: float) -> None:
    assert abstention(prediction, NONE, abstained) == expected
    assert is_abstention(prediction, abstained) == bool(expected)


@pytest.mark.parametrize(
    ("prediction", "abstained", "expected"),
    [
        ("12,450", False, 1.0),
        ("wrong answer", False, 1.0),  # answered: abstention only checks that
        ("12,450", True, 0.0),
        ("", False, 0.0),
        ("unanswerable", False, 0.0),
        ("Cannot be determined", False, 0.0),
    ],
)
def test_abstention_on_answerable(prediction: str, abstained: bool, expected: float) -> None:
    assert abstention(prediction, num("12,450"), abstained) == expected


def test_abstention_phrase_that_is_the_gold_answer_is_an_answer() -> None:
    assert abstention("Unknown", txt("unknown"), False) == 1.0
    assert abstention("Unknown", txt("unknown"), True) == 0.0


def test_unanswerable_gold_scores_every_metric_as_abstention() -> None:
    for metric in (exact_match, token_f1, numeric_match, correct):
        assert metric("unanswerable", NONE, False) == 1.0
        assert metric("", NONE, True) == 1.0
        assert metric("12,450", NONE, False) == 0.0


@pytest.mark.parametrize("name", metrics.names())
def test_every_registered_metric_follows_the_abstention_rule(name: str) -> None:
    # One rule for all: an unanswerable gold scores abstention, an abstained answer scores 0.
    metric = metrics.get(name)
    assert metric.__name__ == name  # the shared guard keeps the metric's own name
    assert metric("", NONE, True) == 1.0
    assert metric("12,450", NONE, False) == (-1.0 if name == "truthfulness" else 0.0)
    assert metric("12,450", num("12450", value=12450.0), True) == 0.0
    assert metric("12450", num("12450", value=12450.0), False) == 1.0


# ------------------------------------------------------------------------------ correct


@pytest.mark.parametrize(
    ("prediction", "gold", "abstained", "expected"),
    [
        ("Unanswerable", NONE, False, 1.0),
        ("12", NONE, False, 0.0),
        ("12,450", num("12450"), True, 0.0),
        ("1,200,000", num("1.2", value=1.2, scale="million"), False, 1.0),
        ("(3.2)", num("−3.2"), False, 1.0),
        ("3.3", num("3.2"), False, 0.0),
        ("Net Profit", txt("net profit"), False, 1.0),
        ("东京都", txt("东京"), False, 1.0),  # F1 0.8 reaches the threshold
        ("net operating profit", txt("net profit"), False, 1.0),  # F1 0.8
        ("profit", txt("net profit"), False, 0.0),  # F1 0.67
        ("wheat and rice", Answer(text="rice, wheat", value=["rice", "wheat"], type="list"),
         False, 1.0),
        ("Yes.", Answer(text="yes", value=True, type="bool"), False, 1.0),
        ("true", Answer(text="yes", value=True, type="bool"), False, 1.0),
        ("No", Answer(text="yes", value=True, type="bool"), False, 0.0),
        ("是", Answer(text="否", type="bool"), False, 0.0),
        ("否", Answer(text="否", type="bool"), False, 1.0),
        ("Yes, it rose", Answer(text="yes", value=True, type="bool"), False, 0.0),
        ("31 March 2012", txt("31 March 2012", type="date"), False, 1.0),
    ],
)
def test_correct(prediction: str, gold: Answer, abstained: bool, expected: float) -> None:
    assert correct(prediction, gold, abstained) == expected


def test_metrics_stay_in_unit_interval() -> None:
    golds = [num("12,450"), num("1.2", value=1.2, scale="million"), txt("東京都"), NONE,
             Answer(text="yes", value=True, type="bool")]
    predictions = ["", "12,450", "東京", "unknown", "yes", "1.2 million", "(3.2)"]
    for gold in golds:
        for prediction in predictions:
            for abstained in (False, True):
                for metric in (exact_match, token_f1, numeric_match, abstention, correct):
                    assert 0.0 <= metric(prediction, gold, abstained) <= 1.0


# ----------------------------------------------------------------------------- registry


def test_metrics_are_registered_with_metadata() -> None:
    assert metrics.names() == ["abstention", "correct", "denotation", "exact_match",
                               "numeric_match", "tatqa_em", "tatqa_f1", "token_f1",
                               "truthfulness"]
    assert metrics.get("tatqa-em") is tatqa_em
    assert metrics.get("denotation_accuracy") is denotation
    assert metrics.get("exact_match") is exact_match
    assert metrics.get("token-f1") is token_f1
    assert metrics.get("numeric_match") is numeric_match
    assert metrics.get("abstention") is abstention
    assert metrics.get("correct") is correct
    for name in metrics:
        meta = {k: v for k, v in metrics.meta(name).items() if k != "range"}
        assert meta == {"higher_is_better": True, "aggregation": "mean"}
        assert metrics.help(name)
    with pytest.raises(UnknownNameError, match="Did you mean 'token_f1'"):
        metrics.get("token_f2")


def test_listing_metrics_imports_neither_metrics_nor_numpy() -> None:
    code = (
        "import sys; from abstab.registry import metrics; metrics.names(); "
        "print('abstab.bench.metrics' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ---------------------------------------------------------------------------- bootstrap

VALUES = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.5, 1.0, 0.0, 1.0, 1.0, 0.8, 0.0, 1.0, 1.0, 0.2]


def test_bootstrap_ci_brackets_the_mean_and_is_reproducible() -> None:
    mean = sum(VALUES) / len(VALUES)
    lo, hi = bootstrap_ci(VALUES, n=1000, seed=0)
    assert lo < mean < hi
    assert 0.0 <= lo and hi <= 1.0
    assert bootstrap_ci(VALUES, n=1000, seed=0) == (lo, hi)
    assert bootstrap_ci(VALUES, n=1000, seed=1) != (lo, hi)
    narrow = bootstrap_ci(VALUES, n=1000, seed=0, alpha=0.5)
    assert lo < narrow[0] < narrow[1] < hi


def test_bootstrap_ci_of_constant_values_is_a_point() -> None:
    assert bootstrap_ci([0.5] * 10) == (0.5, 0.5)
    assert bootstrap_ci([1.0]) == (1.0, 1.0)


def test_bootstrap_ci_is_reproducible_when_resampling_in_chunks() -> None:
    values = [float(i % 2) for i in range(200_000)]  # 5 resamples per chunk, 4 chunks
    lo, hi = bootstrap_ci(values, n=20, seed=3)
    assert lo < 0.5 < hi
    assert bootstrap_ci(values, n=20, seed=3) == (lo, hi)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": []}, "at least one value"),
        ({"values": [1.0], "n": 0}, "n must be at least 1"),
        ({"values": [1.0], "alpha": 0.0}, "alpha must be between 0 and 1"),
        ({"values": [1.0], "alpha": 1.5}, "alpha must be between 0 and 1"),
    ],
)
def test_bootstrap_ci_rejects_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bootstrap_ci(**kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------- dataset metrics and paired bootstrap


def test_dataset_metrics_score_unanswerable_and_abstained_like_the_others() -> None:
    for metric in (tatqa_em, tatqa_f1, denotation):
        assert metric("unanswerable", NONE, False) == 1.0
        assert metric("12", NONE, False) == 0.0
        assert metric("12,450", num("12450", value=12450.0), True) == 0.0


def test_dataset_metrics_on_abstab_answers() -> None:
    # A numeric value is scored like a TAT-QA arithmetic answer: "12,450" -> 12450.0000.
    assert tatqa_em("12,450", num("12450", value=12450.0), False) == 1.0
    # A text gold is one span: {net, profit, margin} vs {net, profit}: F1 0.8, EM 0.
    assert (tatqa_em("net profit margin", txt("Net profit"), False),
            tatqa_f1("net profit margin", txt("Net profit"), False)) == (0.0, 0.8)
    # Denotation: a list value is the set of targets; the prediction's items are split on "|".
    wheat = Answer(text="rice | wheat", value=["Rice", "Wheat"], type="list")
    assert denotation("wheat | rice", wheat, False) == 1.0
    assert denotation("wheat", wheat, False) == 0.0
    assert denotation("12450", num("12,450"), False) == 0.0  # "12,450" is a string to WTQ


def test_paired_bootstrap_ci_is_the_bootstrap_of_differences() -> None:
    clear = [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    abstract = [0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    lo, hi = paired_bootstrap_ci(clear, abstract, seed=3)
    assert (lo, hi) == bootstrap_ci([c - a for c, a in zip(clear, abstract)], seed=3)
    assert lo <= 3 / 8 <= hi and lo >= 0.0  # every difference is >= 0
    assert paired_bootstrap_ci([1.0] * 5, [1.0] * 5) == (0.0, 0.0)
    with pytest.raises(ValueError, match="3 values against 2"):
        paired_bootstrap_ci([1.0, 0.0, 1.0], [1.0, 0.0])


# ----------------------------------------------- intervals: Wilson, cluster bootstrap, Newcombe


def test_wilson_interval_is_honest_for_small_all_correct_groups() -> None:
    # 8 of 8 at 95%: z = 1.95996, centre (1 + z²/16) / (1 + z²/8) = 0.8378, half-width
    # z / (1 + z²/8) * sqrt(z² / 256) = 0.1622: [0.6756, 1.0] (a percentile bootstrap: [1, 1]).
    lo, hi = wilson_ci(8, 8)
    assert (round(lo, 4), hi) == (0.6756, 1.0)
    assert bootstrap_ci([1.0] * 8) == (1.0, 1.0)
    assert tuple(round(v, 4) for v in wilson_ci(0, 8)) == (0.0, 0.3244)
    assert tuple(round(v, 4) for v in wilson_ci(5, 10)) == (0.2366, 0.7634)
    with pytest.raises(ValueError, match="9 successes out of 8 items"):
        wilson_ci(9, 8)


def test_confidence_interval_is_wilson_for_proportions_and_a_document_bootstrap_otherwise(
) -> None:
    assert confidence_interval([1.0] * 8) == wilson_ci(8, 8)
    assert confidence_interval([1.0, 0.0, 0.0, 1.0]) == wilson_ci(2, 4)
    # Two documents of three equal items each: drawing documents gives means 0, 0.5 or 1, so
    # the 95% interval is [0, 1]; drawing the six items as if independent is much narrower.
    values = [0.5, 0.5, 0.5, 1.0, 1.0, 1.0]
    docs = ["a", "a", "a", "b", "b", "b"]
    assert confidence_interval(values, docs) == (0.5, 1.0)
    item_level = confidence_interval(values)
    assert 0.5 < item_level[0] and item_level[1] < 1.0
    assert bootstrap_ci(values, docs) == (0.5, 1.0)
    with pytest.raises(ValueError, match="6 values but 2 clusters"):
        bootstrap_ci(values, ["a", "b"])


def test_newcombe_paired_interval() -> None:
    # 8 pairs right in both conditions: gap 0; no correlation term (margins are 0), so the
    # interval is ± the Wilson half-range of 8/8: [-0.3244, 0.3244], not a point.
    lo, hi = newcombe_paired_ci([1.0] * 8, [1.0] * 8)
    assert (round(lo, 4), round(hi, 4)) == (-0.3244, 0.3244)
    # a=1 both right, b=1 clear only: see test_bench's gap: [-0.2726, 0.9055].
    assert tuple(round(v, 4) for v in newcombe_paired_ci([1.0, 1.0], [0.0, 1.0])) == (
        -0.2726, 0.9055)
    with pytest.raises(ValueError, match="0/1 values"):
        newcombe_paired_ci([0.5], [1.0])


# ------------------------------------------------------------------------- truthfulness


@pytest.mark.parametrize(
    ("prediction", "gold", "abstained", "expected"),
    [
        ("12,450", "number", False, 1.0),  # right
        ("", "number", True, 0.0),  # abstained on an answerable item
        ("unknown", "number", False, 0.0),  # abstention written as an answer
        ("999", "number", False, -1.0),  # answered wrongly
        ("", "none", True, 1.0),  # abstained on an unanswerable item: right
        ("42", "none", False, -1.0),  # a made-up answer to an unanswerable question costs
    ],
)
def test_truthfulness_scores_like_crag(prediction: str, gold: str, abstained: bool,
                                       expected: float) -> None:
    answer = NONE if gold == "none" else num("12450", value=12450.0)
    assert truthfulness(prediction, answer, abstained) == expected


def test_truthfulness_is_registered_with_its_metadata() -> None:
    from click.testing import CliRunner

    from abstab.cli import cli

    assert metrics.get("truthfulness") is truthfulness
    assert metrics.meta("truthfulness") == {"higher_is_better": True, "aggregation": "mean",
                                            "range": (-1.0, 1.0)}
    out = CliRunner().invoke(cli, ["metrics", "list"], catch_exceptions=False).output
    assert ("truthfulness   CRAG truthfulness: +1 right, 0 abstained, -1 answered wrongly "
            "(hallucination)") in out.splitlines()
