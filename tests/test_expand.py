"""Expanding headers with no document (abstab.core.expand) and the NameGuess scorer
(benchmarks/nameguess.py)."""

from __future__ import annotations

import sys

import pytest
from conftest import REPO, corpus

from abstab.core.expand import abbreviation_cost, expand_header, tokenize

sys.path.insert(0, str(REPO / "benchmarks"))

import nameguess


@pytest.mark.parametrize("header,tokens", [
    ("lst_inspec_mnth", ["lst", "inspec", "mnth"]),
    ("mnthRprtd", ["mnth", "Rprtd"]),
    ("Pc2005", ["Pc", "2005"]),
    ("4thCtc_nm", ["4th", "Ctc", "nm"]),
    ("HOTRM", ["HOTRM"]),
    ("ADAAccble", ["ADA", "Accble"]),
])
def test_tokenize(header, tokens):
    assert tokenize(header) == tokens


def test_abbreviation_cost():
    assert abbreviation_cost("mnth", "month") == pytest.approx(0.25)  # one vowel dropped
    assert abbreviation_cost("schl", "school") == pytest.approx(0.35)  # a vowel, then its double
    assert abbreviation_cost("descr", "description") == pytest.approx(0.8)  # tail of 6 cut
    assert abbreviation_cost("cd", "could") == pytest.approx(1.5)  # o, u and the consonant l
    assert abbreviation_cost("xy", "month") is None  # first letter must be kept
    assert abbreviation_cost("mtnh", "month") is None  # order must be kept


@pytest.mark.parametrize("header,expected", [
    ("mnthRprtd", "month reported"),
    ("num_trips", "number trips"),
    ("AftrSchlHrs", "after school hours"),
    ("HOTRM", "hotel room"),  # one run, split into two words
    ("planprjdescr", "plan project description"),
    ("Pc2005", "percent 2005"),
    ("DtSgd", "date signed"),
    ("4thCtc_nm", "fourth catch name"),  # "Ctc" is read as the likelier "catch": a known miss
    ("veh_color", "vehicle color"),
    ("count", "count"),  # a common word stays itself rather than become "country"
    ("2019", "2019"),
])
def test_expand_header(header, expected):
    assert expand_header(header)[0] == expected


def test_expand_header_uses_siblings_and_values():
    assert expand_header("stnm")[:2] == ["state name", "street name"]
    # A sibling that spells "street" out settles the reading.
    assert expand_header("stnm", siblings=["street_number", "city"])[0] == "street name"
    # Month-valued columns favour "month(s)" over the likelier "man".
    assert expand_header("mn")[0] == "man"
    assert expand_header("mn", values=["Jan"])[0] == "months"


def test_expand_header_edges():
    assert expand_header("") == []
    assert expand_header("___") == []
    assert len(expand_header("lst_inspec_mnth", k=3)) == 3


# --- the NameGuess scorer, pinned on hand-computed cases -----------------------------------

def test_variants_follow_the_nameguess_metric():
    # Underscores become spaces in an extra variant; punctuation and articles go; lemmas added.
    assert nameguess.variants("num_trips") == ["num trips", "numtrips"]
    assert nameguess.variants("The Number of Trips") == ["number of trips", "number of trip"]
    assert nameguess.variants("MONTH REPORTED") == ["month reported", "month report"]


def test_score_pair_by_hand():
    assert nameguess.score_pair("month reported", "MONTH REPORTED") == (1.0, 1.0)
    # Lemmas make plural and singular meet: "training types" == "training type".
    assert nameguess.score_pair("training type", "training types") == (1.0, 1.0)
    # "number trips" vs "number of trips": 2 shared of 2 and 3 tokens → F1 = 2·1·⅔/(1+⅔) = 0.8.
    em, f1 = nameguess.score_pair("number trips", "number of trips")
    assert em == 0.0 and f1 == pytest.approx(0.8)
    # "num_trips" scores through its underscore variant "num trips": 1/2 and 1/3 → F1 0.4.
    assert nameguess.score_pair("num_trips", "number of trips") == (0.0, pytest.approx(0.4))
    assert nameguess.score_pair("", "year") == (0.0, 0.0)


def test_parse_values_only_when_unambiguous():
    rec = {"table_prompt": "column names : a, b, c\nrow 1 : 2021-04, Tacoma, 319.0\n"}
    assert nameguess.parse_values(rec, 3) == ["2021-04", "Tacoma", "319.0"]
    rec = {"table_prompt": "column names : a, b\nrow 1 : Chicago, IL, 60601\n"}
    assert nameguess.parse_values(rec, 2) == ["", ""]


def test_evaluate_on_hand_made_items():
    items = [("yr", "year", ["yr", "amt"], "2019"), ("amt", "amount", ["yr", "amt"], "12.5")]
    scores = nameguess.evaluate(items, nameguess.rules_predict)
    assert (scores["em"], scores["f1"]) == (1.0, 1.0)
    identity = nameguess.evaluate(items, lambda h, s, v: h)
    assert (identity["em"], identity["f1"]) == (0.0, 0.0)


def test_nameguess_corpus_loads():
    folder = corpus("nameguess")
    items = nameguess.load(folder)
    assert len(items) >= 6091  # the shared split's column count (SOURCES.md)
    header, gold, siblings, value = items[0]
    assert (header, gold, value) == ("make", "Make", "Scion")
    assert siblings == ["make", "lst_inspec_mnth", "Mdl", "veh_color", "mnthRprtd", "num_trips"]
