"""Implied clues (abstab.synth.clues): each kind writes a sentence that fits its header's column
(or row) and no other, declines when another line would fit too, and re-checks a clue text
against a table alone."""

from typing import get_args

import pytest

from abstab.records import Abstraction
from abstab.synth.clues import (
    CLUES,
    EXPLAINED_BY,
    ClueContext,
    ClueTable,
    check_weights,
    clue_problem,
    weighted_order,
)

COUNTRIES = [["Country", "Population", "Area", "Capital"],
             ["Belize", "383,071", "22,966", "Belmopan"],
             ["Costa Rica", "4,999,441", "51,100", "San José"],
             ["El Salvador", "6,420,746", "21,041", "San Salvador"],
             ["Guatemala", "16,858,333", "108,889", "Guatemala City"],
             ["Honduras", "9,112,867", "112,492", "Tegucigalpa"]]


def _write(kind: str, grid, target: tuple[int, int], meaning: str, n_header: int = 1,
           **ctx) -> tuple[ClueTable, str | None]:
    t = ClueTable(grid, n_header, *target, meaning)
    ctx.setdefault("header_text", meaning)
    clue = CLUES[kind].write(t, ClueContext(**ctx))
    return t, None if clue is None else clue.text


def test_the_registry_is_the_records_literal():
    literal = get_args(get_args(Abstraction.model_fields["explained_by"].annotation)[0])
    assert set(EXPLAINED_BY) == set(literal)
    assert list(CLUES) == ["value_mention", "unit_mention", "comparison", "trend", "elsewhere"]


def test_value_mention_names_a_value_found_only_in_its_column():
    t, text = _write("value_mention", COUNTRIES, (0, 1), "Population")
    assert text == "For El Salvador, the population was 6,420,746."
    assert clue_problem("value_mention", t, text, "PPL") is None
    # The value moved to the Area column: the clue now fits that column, not the code's.
    assert clue_problem("value_mention", t, "For Honduras, the population was 112,492.", "PPL") \
        == ("the value_mention clue 'For Honduras, the population was 112,492.' fits column 2 "
            "('Area'); it must fit column 1 ('Population') only")
    assert clue_problem("value_mention", t, "For Honduras, the population was 7.", "PPL") == (
        "the value_mention clue 'For Honduras, the population was 7.' fits no column of the table")
    assert clue_problem("value_mention", t, "For Honduras, the PPL was 9,112,867.", "PPL") == (
        "the clue 'For Honduras, the PPL was 9,112,867.' names the code 'PPL'")


def test_value_mention_declines_when_every_value_is_shared():
    grid = [["Team", "Home", "Away"], ["Ajax", "3", "1"], ["PSV", "1", "3"]]
    # Each value of Home also stands in Away: no value points at one column.
    assert _write("value_mention", grid, (0, 1), "Home")[1] is None
    # Nor does it name a value an item asks for.
    assert _write("value_mention", COUNTRIES, (0, 1), "Population",
                  answers={"9,112,867", "16,858,333", "6,420,746", "4,999,441"},
                  avoid={(1, 1)})[1] is None


def test_unit_mention_attaches_the_count_word_and_declines_when_two_columns_fit():
    grid = [["Player", "Total Goals", "Assists"], ["Thompson", "3", "5"], ["Hepburn", "7", "2"],
            ["Ames", "4", "4"]]
    t, text = _write("unit_mention", grid, (0, 1), "Total Goals")
    assert text == "For Hepburn, Table 1 lists 7 goals."
    assert clue_problem("unit_mention", t, text, "TG") is None
    # "For Ames, … 4 goals" fits Assists as well: never written, and caught when tampered in.
    assert clue_problem("unit_mention", t, "For Ames, Table 1 lists 4 goals.", "TG") == (
        "the unit_mention clue 'For Ames, Table 1 lists 4 goals.' fits column 1 ('Total Goals'), "
        "column 2 ('Assists'); it must fit column 1 ('Total Goals') only")
    same = [["Player", "Total Goals", "Assists"], ["Thompson", "3", "3"], ["Hepburn", "7", "7"]]
    assert _write("unit_mention", same, (0, 1), "Total Goals")[1] is None
    # Only where the header counts things the table holds as whole numbers, and not money.
    assert _write("unit_mention", grid, (0, 1), "Total Goals", scales={"million"})[1] is None
    assert _write("unit_mention", grid, (0, 1), "Total Goals",
                  header_text="Total Goals (000s)")[1] is None
    assert _write("unit_mention", [["Shop", "Sales", "Staff"], ["A", "3", "1"], ["B", "5", "2"]],
                  (0, 1), "Sales")[1] is None


def test_comparison_names_the_row_where_only_that_column_peaks():
    t, text = _write("comparison", COUNTRIES, (0, 1), "Population")
    # Area peaks at Honduras and bottoms at El Salvador; Population at Guatemala and Belize.
    assert text == "Of the rows of Table 1, Guatemala has the highest population."
    assert clue_problem("comparison", t, "Of the rows of Table 1, Belize has the lowest "
                        "population.", "PPL") is None
    assert clue_problem("comparison", t, text, "PPL") is None
    # Both numeric columns peak at the same row and bottom at the same row: no comparison.
    grid = [["Country", "Population", "Area"], ["Belize", "383,071", "22,966"],
            ["Guatemala", "16,858,333", "108,889"], ["Honduras", "9,112,867", "51,100"]]
    assert _write("comparison", grid, (0, 1), "Population")[1] is None
    t2 = ClueTable(grid, 1, 0, 1, "Population")
    assert clue_problem("comparison", t2, "Of the rows of Table 1, Guatemala has the highest "
                        "population.", "PPL").endswith(
        "fits column 1 ('Population'), column 2 ('Area'); it must fit column 1 ('Population') only")
    # Not an item's answer ("which country has the largest population?" → Guatemala).
    assert _write("comparison", COUNTRIES, (0, 1), "Population",
                  answers={"Guatemala", "Belize"})[1] is None


def test_a_dash_does_not_hide_a_column_that_fits_too():
    grid = [["", "December 31, 2019", "December 31, 2018"],
            ["Right of use assets", "$33,014", "$—"],
            ["Deferred costs", "3,297", "3,184"],
            ["Deposits", "2,338", "1,975"],
            ["Other", "3,197", "3,461"]]
    # A reader skips the dash: Deposits is lowest in 2018 too, so "lowest" names no one column.
    assert _write("comparison", grid, (0, 1), "December 31, 2019")[1] == (
        "Of the rows of Table 1, Right of use assets has the highest december 31, 2019.")
    assert clue_problem("comparison", ClueTable(grid, 1, 0, 1, "December 31, 2019"),
                        "Of the rows of Table 1, Deposits has the lowest december 31, 2019.",
                        "DCM").endswith("fits column 1 ('December 31, 2019'), column 2 "
                                        "('December 31, 2018'); it must fit column 1 "
                                        "('December 31, 2019') only")
    # Nor is a line with a dash spoken of: "highest" would pass over it.
    assert _write("comparison", grid, (0, 2), "December 31, 2018")[1] is None


YEARS = [["", "2017", "2018", "2019"],
         ["Net sales", "1,100", "1,250", "1,400"],
         ["Cost of sales", "900", "850", "800"],
         ["Other", "30", "45", "20"]]


def test_trend_over_years_and_down_rows():
    t, text = _write("trend", YEARS, (1, 0), "Net sales")
    assert text == "The net sales rose every year from 2017 to 2019."
    assert clue_problem("trend", t, text, "NS") is None
    # Years are read oldest first, whatever the column order.
    flipped = [[r[0], *reversed(r[1:])] for r in YEARS]
    assert _write("trend", flipped, (2, 0), "Cost of sales")[1] == (
        "The cost of sales fell every year from 2017 to 2019.")
    # Two rows rise every year: neither may be singled out by "rose".
    both = [*YEARS[:3], ["Gross profit", "200", "400", "600"]]
    assert _write("trend", both, (1, 0), "Net sales")[1] is None
    assert clue_problem("trend", ClueTable(both, 1, 1, 0, "Net sales"),
                        "The net sales rose every year from 2017 to 2019.", "NS").endswith(
        "fits row 1 ('Net sales'), row 3 ('Gross profit'); it must fit row 1 ('Net sales') only")
    grid = [["Driver", "Points", "Wins"], ["Prost", "72", "4"], ["Senna", "60", "6"],
            ["Piquet", "44", "7"]]
    assert _write("trend", grid, (0, 1), "Points")[1] == (
        "Down Table 1, from Prost to Piquet, the points falls with every row.")


def test_comparison_of_a_row_over_three_years():
    t, text = _write("comparison", YEARS, (3, 0), "Other")
    assert text == "Of the years shown in Table 1, the other was highest in 2018."
    assert clue_problem("comparison", t, text, "O") is None


def test_elsewhere_quotes_the_report_sentence_that_names_the_term_with_a_value():
    paragraphs = [("Revenue grew. In 2019, net sales rose to $1,400 from $1,250 in 2018. "
                   "Costs of sales were 800 in 2019.")]
    t, text = _write("elsewhere", YEARS, (1, 0), "Net sales", paragraphs=paragraphs)
    assert text == "In 2019, net sales rose to $1,400 from $1,250 in 2018."
    clue = CLUES["elsewhere"].write(t, ClueContext(paragraphs=paragraphs))
    assert (clue.paragraph, paragraphs[0][clue.start:clue.start + len(text)]) == (0, text)
    assert clue_problem("elsewhere", t, text, "NS") is None
    # A decimal point is not the end of a sentence.
    _, text2 = _write("elsewhere", [["", "2019"], ["Gross margin", "38.7%"], ["Other", "5"]],
                       (1, 0), "Gross margin",
                       paragraphs=["In 2019, gross margin decreased to 38.7% from 40.0%. Fine."])
    assert text2 == "In 2019, gross margin decreased to 38.7% from 40.0%."
    # The sentence names a value two rows hold: it fits both, so the kind declines.
    shared = [*YEARS[:2], ["Cost of sales", "1,400", "850", "800"]]
    assert _write("elsewhere", shared, (1, 0), "Net sales",
                  paragraphs=["Net sales reached 1,400 in 2019."])[1] is None


def test_weights_order_the_kinds_and_bad_names_are_refused():
    weights = {"value_mention": 1, "comparison": 0, "trend": 3}
    order = weighted_order(["value_mention", "comparison", "trend"], weights, "k")
    assert sorted(order) == ["trend", "value_mention"]  # weight 0: never drawn
    firsts = [weighted_order(["value_mention", "trend"], weights, "k", i)[0] for i in range(400)]
    assert 0.65 < firsts.count("trend") / 400 < 0.85  # 3 : 1
    with pytest.raises(ValueError) as err:
        check_weights({"hint": 1}, ["implicit"])
    assert str(err.value) == (
        "unknown explained_by kinds ['hint']; valid kinds: ['legend', 'definition_sentence', "
        "'value_mention', 'unit_mention', 'comparison', 'trend', 'elsewhere']")
    with pytest.raises(ValueError, match="gives every implicit kind weight 0"):
        check_weights(dict.fromkeys(CLUES, 0), ["explicit", "implicit"])
