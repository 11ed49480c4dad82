"""The question-type registry: a new question type is one class, registered, and the generator,
executor, wording check and difficulty all use it (here defined in this file alone)."""

import pytest
from builders import make_table
from pydantic import ValidationError

from abstab.core.questions import (
    Computed,
    QuestionKind,
    TableView,
    difficulty,
    execute,
    format_number,
    template_operations,
    wording,
    wording_problem,
)
from abstab.records import QUESTION_TYPES, Answer, Operation
from abstab.registry import question_types
from abstab.stages.generate import GenerateSettings


class Average(QuestionKind):
    """The mean of two named rows' values."""

    name = "average"
    names_rows = True
    unordered_rows = True
    uses_op = False

    def compute(self, op, view):
        a, b = (view.values(op.column)[r] for r in op.rows)
        texts = [view.cell(r, op.column) for r in op.rows]
        text = format_number((a + b) / 2, texts)
        return Computed(Answer(text=text, value=float(text.rstrip("%")), type="number"),
                        [view.coord(r, op.column) for r in op.rows])

    def wording(self, op, view, term, entity):
        k = view.keys
        return f"What is the average {term} of {k[op.rows[0]]} and {k[op.rows[1]]}?"

    def template_op(self, view, c, pick):
        rows = sorted(view.values(c))[:2]
        return Operation(type=self.name, column=c, key_column=view.key_column, rows=rows)


@pytest.fixture
def average(monkeypatch):
    # Registered for this test only: the registry is restored afterwards.
    monkeypatch.setattr(question_types, "_entries", dict(question_types._entries))
    question_types.add("average", Average, help="the mean of two rows' values")


def _table():
    return make_table(("No.", "District", "Rice surplus (t)", "Share"),
                      [["1", "Northfield", "1,250.5", "12%"], ["2", "Southgate", "640.0", "30%"],
                       ["3", "Eastbrook", "980.25", "25%"], ["", "Total", "2,870.75", "67%"]])


def test_a_type_defined_in_one_file_is_generated_executed_and_worded(average):
    view = TableView(_table(), 1)
    ops = template_operations(view, [3], ["lookup", "average"], 1, 1, seed="0")
    assert [op.type for op in ops] == ["lookup", "average"]
    op = ops[1]
    assert (op.column, op.key_column, op.rows, op.op, op.threshold) == (3, 1, [0, 1], None, None)
    computed = execute(op, view.table)
    assert computed.answer.text == "21%"
    assert computed.answer.value == 21.0
    assert computed.cells == [[1, 3], [2, 3]]
    question = wording(op, view, "Share", "District")
    assert question == "What is the average share of Northfield and Southgate?"
    assert wording_problem(question, op, view, []) is None
    assert wording_problem("What is the average share of Northfield?", op, view, []) == (
        "question_mismatch", "the question does not name row 'Southgate'")
    assert difficulty("table_clear", "average") == "medium"
    assert GenerateSettings(question_types=["average"]).question_types == ["average"]


def test_unregistered_type_is_refused_by_records_and_settings():
    with pytest.raises(ValidationError, match="unknown question type 'average'; known: lookup, "
                                              "comparison, extremum, count, sum, difference, "
                                              "filter"):
        Operation(type="average", column=1)
    with pytest.raises(ValidationError, match=r"unknown question type\(s\) \['average'\]"):
        GenerateSettings(question_types=["average"])


def test_builtin_types_are_the_registry_in_generation_order():
    assert QUESTION_TYPES == ("lookup", "comparison", "extremum", "count", "sum", "difference",
                              "filter")
    assert tuple(question_types.ordered()) == QUESTION_TYPES
    assert all(issubclass(question_types.get(t), QuestionKind) for t in QUESTION_TYPES)
    schema = Operation.model_json_schema()["properties"]["type"]
    assert schema == {"enum": list(QUESTION_TYPES), "title": "Type", "type": "string"}
