"""Controlled abstraction: deterministic codes in each style, legend kept or removed."""

from builders import PROV, make_table

from abstab.core.abstract import ABSTRACTORS, abstract_column, relabel
from abstab.records import Table
from abstab.stages.generate import answer_of, natural_term


def _table() -> Table:
    return make_table(["Department", "Number of staff", "Budget (EUR thousand)"],
                      [["Parks", "41", "1,250.5"], ["Libraries", "18", "640.0"]])


def test_styles_are_deterministic():
    got = {style: fn("Number of staff", 1) for style, fn in ABSTRACTORS.items()}
    assert got == {"letter_codes": "A", "acronym": "NS", "shortened": "No. staff",
                   "symbol": "χns"}
    assert ABSTRACTORS["shortened"]("Average discharge", 1) == "Avg. disch."
    assert ABSTRACTORS["acronym"]("Budget", 2) == "BDG"
    assert ABSTRACTORS["letter_codes"]("x", 28) == "B2"


def test_abstract_column_with_and_without_legend():
    t = _table()
    new, code, meaning = abstract_column(t, 2, "acronym", "explicit", "d:t1:acronym", PROV)
    assert (code, meaning) == ("BDG", "Budget")
    assert new.columns == ["Department", "Number of staff", "BDG (EUR thousand)"]
    assert new.header_cell(0, 2).text == "BDG (EUR thousand)"
    assert [(n.kind, n.text, n.targets) for n in new.notes] == [("legend", "BDG = Budget", [[0, 2]])]
    assert new.derived_from == "d:t1" and new.rows == t.rows
    bare, _, _ = abstract_column(t, 1, "letter_codes", "removed", "d:t1:lc", PROV)
    assert bare.columns[1] == "A" and bare.notes == []
    assert t.columns[2] == "Budget (EUR thousand)"  # the source table is untouched


def test_answer_and_term_helpers():
    a = answer_of("1,250.5")
    assert (a.type, a.value, a.text) == ("number", 1250.5, "1,250.5")
    assert answer_of("Northfield").type == "text"
    assert natural_term("2022 / Plan") == "2022 Plan"
    assert natural_term("MTTR* (h)") == "MTTR"


def test_splits_by_document_fill_every_split():
    from abstab.stages.assemble import assign_splits

    fractions = {"train": 0.5, "validation": 0.25, "test": 0.25}
    out = assign_splits(["d1", "d2", "d3", "d4"], fractions, "0")
    assert sorted(out.values()) == ["test", "train", "train", "validation"]
    assert assign_splits(["d4", "d3", "d2", "d1", "d1"], fractions, "0") == out
    ten = assign_splits([f"d{i}" for i in range(10)], {"train": 0.8, "test": 0.2}, "0")
    assert sorted(ten.values()).count("train") == 8


def test_question_wording():
    from abstab.stages.generate import question_for

    assert question_for("Change in score", "Ashgrove") == "What is the change in score for Ashgrove?"
    assert question_for("Northfield", "Cavitation") == "What is the Northfield for Cavitation?"
    assert question_for("MTBF", "Vantor V3") == "What is the MTBF for Vantor V3?"
    assert ABSTRACTORS["shortened"]("Plan", 1) == "Pl."


def test_relabel_edits_cells_and_keeps_the_column_rule():
    # the numbering row (1) (2) (3) stays out of the column names after relabelling
    t = Table.from_grid([["Department", "Number of staff", "Budget"], ["(1)", "(2)", "(3)"],
                         ["Parks", "41", "1,250.5"]], 2, column_skip_rows=frozenset({1}),
                        table_id="d:t1", doc_id="d", pages=[1], bbox=[0, 0, 1, 1], engine="x",
                        provenance=PROV)
    new = relabel(t, {(0, 1): ("Number of staff", "NS")}, "d:t1:x", PROV)
    assert new.columns == ["Department", "NS", "Budget"]
    assert new.header_rows[0] == ["Department", "NS", "Budget"]
    assert [c.text for c in new.cells if c.row == 0] == ["Department", "NS", "Budget"]
    assert (new.derived_from, new.rows) == ("d:t1", [["Parks", "41", "1,250.5"]])


def test_one_meaning_of_each_legend_for_both_controlled_paths():
    from abstab.core.abstract import LEGENDS, controlled_choices, keyword_link

    # A removed legend keeps the printed answer: the item is table_implicit, only the code's
    # meaning is unresolvable (never "unanswerable", which says the answer is not there).
    assert {n: (g.location, g.category) for n, g in LEGENDS.items()} == {
        "explicit": ("table_defined", "explicit"),
        "implicit": ("table_implicit", "inferable_document"),
        "removed": ("table_implicit", "unresolvable")}
    link = keyword_link("NS", "Number of staff", 1, "removed")
    assert (link.abstract, link.detailed, link.column, link.category) == (
        "NS", "Number of staff", 1, "unresolvable")
    # Styles take the columns in turn; the legend is a seeded coin (hash digit < 8 of 16).
    assert controlled_choices("d:t1", [1, 2], ["letter_codes", "acronym", "shortened", "symbol"],
                              "0") == [("letter_codes", 1, "explicit"), ("acronym", 2, "explicit"),
                                       ("shortened", 1, "removed"), ("symbol", 2, "removed")]


def test_a_style_that_changes_nothing_is_refused_alike_on_both_paths():
    import pytest

    from abstab.core.abstract import UnchangedHeaderError, code_for

    assert code_for("Number of staff", "acronym", 1) == "NS"
    with pytest.raises(UnchangedHeaderError, match="^acronym leaves 'GDP' unchanged$"):
        code_for("GDP", "acronym", 1)
    t = make_table(["Country", "GDP"], [["Belize", "3"]])
    with pytest.raises(UnchangedHeaderError, match="^d:t1: acronym leaves 'GDP' unchanged$"):
        abstract_column(t, 1, "acronym", "explicit", "d:t1:acronym", PROV)
