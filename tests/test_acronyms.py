"""Acronym identification and disambiguation (abstab.rules.acronyms) and the SDU shared-task
scorers reimplemented in benchmarks/sdu_identification.py and benchmarks/sdu_disambiguation.py."""

from __future__ import annotations

import sys

import pytest
from conftest import REPO, corpus

from abstab import embed
from abstab.rules.acronyms import (
    align_long_form,
    find_acronyms,
    is_short_form,
    overlap_scores,
    rank_expansions,
)
from abstab.rules.definitions import explicit_matches, schwartz_hearst

sys.path.insert(0, str(REPO / "benchmarks"))

import sdu_disambiguation
import sdu_identification


def pairs(text: str) -> list[tuple[str, str | None, str]]:
    """(short, long, pattern) per mention; and every offset must point at its text."""
    out = []
    for p in find_acronyms(text):
        assert text[p.start:p.end].replace(" ", "") == p.short
        if p.long is not None:
            assert " ".join(text[p.long_start:p.long_end].split()) == p.long
        out.append((p.short, p.long, p.pattern))
    return out


# --- identification -----------------------------------------------------------------------

def test_long_then_short():
    text = "Reliability is summarised by the mean time between failures (MTBF) of each unit."
    assert pairs(text) == [("MTBF", "mean time between failures", "long_short")]
    p = find_acronyms(text)[0]
    assert (p.start, p.end, p.long_start, p.long_end) == (61, 65, 33, 59)


def test_short_then_long():
    assert pairs("We report the MTBF (mean time between failures) for each pump.") == [
        ("MTBF", "mean time between failures", "short_long")]
    # Parentheses holding more than the long form are no definition.
    assert pairs("The MTBF (mean time between failures, in hours) is shown.") == [
        ("MTBF", None, "undefined")]


def test_nested_parentheses_and_plural():
    text = "Support vector machines (SVMs; see Cortes and Vapnik (1995)) remain strong baselines."
    assert pairs(text) == [("SVMs", "Support vector machines", "long_short")]


def test_tokenised_text_as_in_the_corpus():
    # The SDU sentences are tokenised: brackets and hyphens stand apart.
    text = "Since Non - negative Matrix Factorization ( NMF ) works , the CV - QKD link holds ."
    assert pairs(text) == [("NMF", "Non - negative Matrix Factorization", "long_short"),
                           ("CV-QKD", None, "undefined")]


def test_acronyms_without_definition():
    assert pairs("The CNN baseline beats the LSTM and the 3D model on GPU clusters.") == [
        ("CNN", None, "undefined"), ("LSTM", None, "undefined"), ("3D", None, "undefined"),
        ("GPU", None, "undefined")]


def test_legends_initials_commas_digits_and_lower_case():
    assert pairs("DO: dissolved oxygen; BOD = biochemical oxygen demand.") == [
        ("DO", "dissolved oxygen", "legend"), ("BOD", "biochemical oxygen demand", "legend")]
    assert pairs("We build a question answering system; the QA system answers in seconds.") == [
        ("QA", "question answering", "initials")]
    assert pairs("The belief, desire, intention (BDI) agent model is used.") == [
        ("BDI", "belief, desire, intention", "long_short")]
    assert pairs("Third Generation Partnership Project (3GPP) standards and parts per million "
                 "(ppm) levels.") == [
        ("3GPP", "Third Generation Partnership Project", "long_short"),
        ("ppm", "parts per million", "long_short")]
    # "Office of the …" starts at the content word, not at "of".
    assert pairs("Funded by the Office of the Vice Provost for Research (OVPR).") == [
        ("OVPR", "Office of the Vice Provost for Research", "long_short")]


def test_rejects():
    assert pairs("Table II lists TRUE and FALSE values from GitHub and TensorFlow runs.") == []
    assert pairs("The results (see Table 3) are good (TBG).") == [("TBG", None, "undefined")]
    # Function words never make an undefined long form: "schemes go" is not SG.
    assert pairs("Of course, SA schemes go far beyond SG methods.") == [
        ("SA", None, "undefined"), ("SG", None, "undefined")]
    for token, expected in [("II", False), ("TRUE", False), ("GitHub", False), ("1.51X", False),
                            ("Table", False), ("A", False), ("CC", True), ("mAP", True),
                            ("VTEp", True), ("CNNs", True), ("LTE-A", True), ("C3", True),
                            ("GloVe", True)]:
        assert is_short_form(token) is expected, token


def test_alignment():
    words = ["the", "mean", "time", "between", "failures"]
    assert align_long_form("MTBF", words)[0] == 1
    assert align_long_form("XYZ", words) is None
    assert align_long_form("TF", ["TensorFlow"]) == (0, 1.6)  # T initial, F at a capital


def test_resolver_uses_the_shared_finder():
    text = "Pumps are rated by their MTBF (mean time between failures) each year."
    assert [(m.long, m.pattern) for m in explicit_matches(text, "MTBF")] == [
        ("mean time between failures", "acronym_pair")]
    assert schwartz_hearst("MTBF", "summarised by the mean time between failures ") == \
        "mean time between failures"


# --- the official scorers -------------------------------------------------------------------

def test_identification_scorer_hand_computed():
    gold = [["B-long", "I-long", "O", "B-short", "O"], ["B-short", "O", "O"]]
    pred = [["O", "B-long", "O", "B-short", "O"], ["B-short", "B-short", "O"]]
    s = sdu_identification.score(gold, pred)
    # short: 3 predicted, 2 right, 2 gold; long: 1 predicted, 0 right, 1 gold.
    assert s["short_precision"] == pytest.approx(2 / 3)
    assert s["short_recall"] == 1.0
    assert s["short_f1"] == pytest.approx(0.8)
    assert (s["long_precision"], s["long_recall"], s["long_f1"]) == (0.0, 0.0, 0.0)
    # Macro F1 is the harmonic mean of the macro P (1/3) and R (1/2), not the mean of F1s.
    assert s["macro_precision"] == pytest.approx(1 / 3)
    assert s["macro_recall"] == pytest.approx(0.5)
    assert s["macro_f1"] == pytest.approx(0.4)
    # Nothing predicted: precision counts 1.0, recall 0.
    none = sdu_identification.score(gold, [["O"] * 5, ["O"] * 3])
    assert (none["macro_precision"], none["macro_recall"], none["macro_f1"]) == (1.0, 0.0, 0.0)


def test_identification_phrases_split_at_b_and_o():
    shorts, longs = sdu_identification.phrases([["B-long", "I-long", "B-long", "I-short", "O"]])
    assert longs == {(0, 0, 1), (0, 2, 2)}
    assert shorts == {(0, 3, 3)}


def test_spans_to_labels():
    tokens = ["the", "mean", "time", "(", "MT", ")"]
    assert sdu_identification.spans_to_labels(tokens, [(4, 13, "long"), (16, 18, "short")]) == [
        "O", "B-long", "I-long", "O", "B-short", "O"]


def test_disambiguation_scorer_hand_computed():
    s = sdu_disambiguation.score(["a", "a", "b"], ["a", "b", "b"])
    assert s["accuracy"] == pytest.approx(2 / 3)
    # a: P 1/1, R 1/2; b: P 1/2, R 1/1.
    assert (s["macro_precision"], s["macro_recall"], s["macro_f1"]) == (0.75, 0.75, 0.75)
    # An expansion never predicted has precision 1.0.
    s = sdu_disambiguation.score(["a", "b"], ["a", "a"])
    assert (s["macro_precision"], s["macro_recall"]) == (0.75, 0.5)
    assert s["macro_f1"] == pytest.approx(0.6)


# --- disambiguation ---------------------------------------------------------------------------

def test_word_overlap_scores():
    assert overlap_scores("the support vectors of the classifier",
                          ["support vector machine", "state vector machine"]) == [
        pytest.approx(2 / 3), pytest.approx(1 / 3)]


@pytest.mark.skipif(not embed.available(), reason=embed.INSTALL_HINT)
def test_rank_expansions_by_context():
    ranked = rank_expansions(
        "We train an SVM classifier with a radial basis kernel on the labelled features.",
        "SVM", ["state vector machine", "support vector machine"])
    assert [c for c, _ in ranked] == ["support vector machine", "state vector machine"]
    ranked = rank_expansions(
        "The CTC loss aligns the acoustic frames with the output characters of the recogniser.",
        "CTC", ["common test conditions", "connectionist temporal classification"])
    assert ranked[0][0] == "connectionist temporal classification"


# --- the shared corpus ------------------------------------------------------------------------

def test_identification_on_the_shared_split(capsys):
    folder = corpus("sdu-acronyms", "acronym_identification_dev.shared.json").parent
    result = sdu_identification.main(["--data", str(folder), "--split", "shared"])
    # The task's rule baseline reproduces its published dev score (85.46) on this sample.
    assert result["systems"]["official_baseline"]["macro_f1"] == pytest.approx(0.853, abs=0.001)
    assert result["macro_f1"] >= 0.91
    assert result["long_f1"] >= 0.92
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("{")
