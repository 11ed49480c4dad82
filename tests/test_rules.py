"""The rules backend's pieces: header styles, definition mining, implied meanings, the reader."""

import pytest
from builders import make_table

from abstab.core.headers import classify, core_text
from abstab.llm.tasks import Passage
from abstab.records import Note
from abstab.rules.definitions import (
    expansion_problem,
    explicit_matches,
    implied_matches,
    note_expansion,
    schwartz_hearst,
)
from abstab.rules.reader import read


@pytest.mark.parametrize("header,keyword,style", [
    ("Avg. disch.", "Avg. disch.", "shortened"),
    ("ΔT", "ΔT", "symbol"),
    ("%Δ", "%Δ", "symbol"),
    ("DO (mg/L)", "DO", "acronym"),
    ("MTTR*", "MTTR", "acronym"),
    ("RPK", "RPK", "acronym"),
    ("A", "A", "letter_codes"),
    ("C3", "C3", "letter_codes"),
    ("Q95", "Q95", "letter_codes"),
    ("Rev.¹", "Rev.", "shortened"),
    ("Station", "Station", "natural"),
    ("Budget (EUR thousand)", "Budget", "natural"),
    ("TOTAL", "TOTAL", "natural"),
    ("2022", "2022", "natural"),
    ("No. of pupils", "No. of pupils", "natural"),
])
def test_header_styles(header, keyword, style):
    f = classify(header)
    assert (f.keyword, f.style) == (keyword, style)


def test_core_text_strips_markers_and_units():
    assert core_text("MTTR** (h)") == "MTTR"
    assert core_text("Rev.¹") == "Rev."
    assert core_text("(mg/L)") == "(mg/L)"


TEXT = ("Reliability is summarised by the mean time between failures (MTBF) of each unit. "
        "The letter codes A, B and C denote the three plants: A = Northfield, B = Eastgate and "
        "C = Southport. Here ΔT is the change in water temperature between inlet and outlet.")


def test_explicit_definitions():
    assert [(m.long, m.pattern) for m in explicit_matches(TEXT, "MTBF")] == [
        ("mean time between failures", "acronym_pair")]
    assert explicit_matches(TEXT, "B")[0].long == "Eastgate"
    assert explicit_matches(TEXT, "C")[0].long == "Southport"
    assert explicit_matches(TEXT, "ΔT")[0].long == "change in water temperature between inlet and outlet"
    assert explicit_matches("DO = dissolved oxygen (mg/L)", "DO")[0].long == "dissolved oxygen (mg/L)"
    assert explicit_matches(TEXT, "MTTR") == []
    # a heading numbers a part of the report; it defines no code
    assert explicit_matches("APPENDIX B: SCHEMATIC\nB = bypass flow", "B")[0].long == "bypass flow"
    assert explicit_matches("see Table 3: Results by plant", "3") == []


def test_schwartz_hearst():
    assert schwartz_hearst("MTBF", "summarised by the mean time between failures ") == \
        "mean time between failures"
    assert schwartz_hearst("XYZ", "nothing matching here") is None


def test_note_expansion():
    assert note_expansion("* MTTR: mean time to repair; hours", "MTTR", "*") == "mean time to repair"
    assert note_expansion("* Mean time to repair, in hours", "MTTR", "*") == "Mean time to repair"
    assert note_expansion("Source: national survey", "MTTR", None) is None
    # a legend line that repeats its key and adds a formula (JAL traffic report)
    assert note_expansion("L/F = load factor = RPK÷ASK", "L/F", "L/F") == "load factor"


def test_implied_meanings():
    text = ("We report the average discharge at each station. The third cohort, which entered in "
            "2021, grew. The change in water temperature is small. Mean time to repair fell.")
    assert implied_matches(text, "Avg. disch.")[0].long == "average discharge"
    assert implied_matches(text, "C3")[0].long == "third cohort"
    assert implied_matches(text, "ΔT")[0].long == "change in water temperature"
    assert implied_matches(text, "MTTR")[0].long == "mean time to repair"
    assert implied_matches(text, "Q95") == []


def _table(notes=()):
    return make_table(["Site", "DO", "ΔT"], [["North Ridge", "7.9", "-0.8"], ["Lakeside", "6.1", "1.4"]],
                      table_id="d:t0", notes=list(notes))


def test_reader_needs_the_meaning_in_its_context():
    q = "What is the dissolved oxygen for Lakeside?"
    bare = _table()
    assert read(q, [Passage(id="t", kind="table", table=bare, text="")]).abstained
    legend = _table([Note(kind="legend", text="DO = dissolved oxygen", targets=[[0, 1]])])
    out = read(q, [Passage(id="t", kind="table", table=legend, text="")])
    assert (out.answer, out.abstained) == ("6.1", False)
    defined = [Passage(id="t", kind="table", table=bare, text=""),
               Passage(id="b1", kind="text", text="Here ΔT is the change in water temperature.")]
    out = read("What is the change in water temperature for North Ridge?", defined)
    assert out.answer == "-0.8"
    assert read("What is the salinity for Lakeside?", defined).abstained


def test_reader_fills_a_blank_from_text():
    ps = [Passage(id="b", kind="text", text="The 2023 campaign sampled 14 stations over 11 months.")]
    out = read('Fill in the blank from the document: "The 2023 campaign sampled ___ stations over '
               '11 months."', ps)
    assert out.answer == "14"


@pytest.mark.parametrize("keyword,expansion,implied,problem", [
    # what resolve found in the shared govreports PDFs before these checks
    ("N", "144) positive for Campylobacter", False, "starts inside a number or with a separator"),
    ("D", "\\Setup.exe in the Open field", False, "starts inside a number or with a separator"),
    ("B", "SCHEMATIC............E INDEX", False, "a dot-leader line (table of contents)"),
    ("LITE", "lite", True, "the header itself, re-spelled"),
    ("Treaty reform / IGC", "treaty reform igc", True, "the header itself, re-spelled"),
    ("F", "for", True, "only function words"),
    ("AA", "and august", True, "starts with a function word"),
    ("N", "note", True, "one letter implies no word"),
    ("RR", "roundupp readyy", True, "not ordinary words: ['roundupp', 'readyy']"),
    ("U11", "u22 11", True, "not ordinary words: ['u22']"),
    # meanings that stay
    ("ISCED 0-2", "pre-primary, primary and lower secondary", False, None),
    ("Avg. disch.", "average discharge", True, None),
    ("Q95", "95th percentile flow", True, None),
    ("C3", "third cohort", True, None),
    ("F1", "frequency 1", True, None),
    # an explicit definition may use words no frequency list knows
    ("GLWQI", "Great Lakes water quality index", False, None),
])
def test_expansion_problem(keyword, expansion, implied, problem):
    assert expansion_problem(keyword, expansion, implied) == problem
