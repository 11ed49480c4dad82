"""Fill-in-the-blank items from the document's sentences (issue 21, point 6)."""

from __future__ import annotations

import json
from typing import Any


def _items(work: Any) -> list[dict[str, Any]]:
    path = work / "assemble" / "items.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_number_before_a_comma_is_blanked_without_the_comma(sample_work: Any) -> None:
    work, _, _ = sample_work
    cloze = [i for i in _items(work) if i["template"] == "sentence_cloze"]
    assert [i["answer"]["text"] for i in cloze if i["answer"]["text"].endswith(",")] == []
    survey = next(i for i in cloze if "three cohorts" in i["question"])
    assert survey["question"] == (
        'Fill in the blank from the document: "The survey follows three cohorts of students: '
        "the first entered secondary school in ___, the second in 2020, and the third cohort, "
        'which entered in 2021, joined the panel in 2022."')
    assert (survey["answer"]["text"], survey["answer"]["value"]) == ("2019", 2019)
