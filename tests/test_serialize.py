"""The one table serializer: each named style gives exactly the text its readers were given."""

import pytest
from builders import make_table

from abstab.core.serialize import UnknownTableStyle, serialize
from abstab.records import Note


def _table():
    return make_table(["Site", "DO  (mg|L)"], [["North  Ridge", "7.9"], ["Lakeside", "6.1"]],
                      caption="Table 1. Oxygen", notes=[Note(kind="legend", text="DO = oxygen")])


def test_markdown_style_is_what_the_bench_reader_sees():
    assert serialize(_table()) == ("Table 1. Oxygen\n| Site | DO  (mg|L) |\n|---|---|\n"
                                   "| North  Ridge | 7.9 |\n| Lakeside | 6.1 |\nDO = oxygen")
    assert serialize(_table(), "markdown", with_notes=False).splitlines()[-1] == "| Lakeside | 6.1 |"


def test_ids_style_names_rows_and_columns_for_the_question_writer():
    assert serialize(_table(), "ids", key_col=0, columns=[1], max_rows=1, max_cell=8) == (
        "Caption: Table 1…\n| row | c0: Site | c1: DO (mg\\… |\n|---|---|---|\n"
        "| r0 | North R… | 7.9 |\n(1 more rows not shown)\n"
        "Row labels are in column c0. Ask about columns: c1.")


def test_an_unknown_style_names_the_known_ones():
    with pytest.raises(UnknownTableStyle, match="table style 'html' is unknown: use one of "
                                                "ids, markdown, marked"):
        serialize(_table(), "html")
