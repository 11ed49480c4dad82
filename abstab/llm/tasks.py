"""The tasks every backend performs, with their typed outputs.

A backend (rules, local, openai; :class:`abstab.backends.Backend`) returns them. LLM backends
ask for the output models' JSON Schemas as structured output; the rules backend builds the same models directly.
Stages turn outputs into records, so the records never depend on which backend ran.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from abstab.core.questions import question_type
from abstab.records import (
    AbstractionStyle,
    KeywordRole,
    QuestionType,
    ResolutionCategory,
    Table,
)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeywordOut(_Out):
    keyword: str = Field(description="the abstract header text, exactly as in the cell")
    row: int = Field(ge=0, description="row of the cell, as marked (row,col)")
    col: int = Field(ge=0, description="column of the cell, as marked (row,col)")
    style: AbstractionStyle
    score: float = Field(ge=0, le=1)
    role: KeywordRole = Field("header", description="header: a header cell; stub: a row label "
                              "in the first column (col 0, row of the body)")


class JudgeOutput(_Out):
    label: Literal["clear", "abstract", "not_table"]
    keywords: list[KeywordOut] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    confidence: float = Field(ge=0, le=1)


class EvidenceOut(_Out):
    source: Literal["block", "note", "table"]
    block_id: str | None = None
    text: str
    score: float = Field(ge=0, le=1)


class ResolveOutput(_Out):
    expansion: str | None = Field(description="what the header means, in words; null if unknown")
    category: ResolutionCategory
    evidence: list[EvidenceOut] = Field(default_factory=list)
    confidence: float = Field(ge=0, le=1)
    method: str


class Passage(_Out):
    """A piece of context given to a reader: a text block or a serialized table."""

    id: str
    kind: Literal["text", "table"]
    text: str
    table: Table | None = None
    score: float = 0.0


class AnswerOutput(_Out):
    answer: str = Field(description="the answer, or '' when abstaining")
    abstained: bool
    evidence_ids: list[str] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0


class GenerateRequest(_Out):
    """What the generate stage asks for about one (de-abstracted) table."""

    key_column: int = Field(ge=0, description="the column of row labels")
    columns: list[int] = Field(description="value columns to ask about, most wanted first")
    types: list[QuestionType]
    lookups_per_column: int = Field(ge=0)
    abstract_columns: list[int] = Field(
        default_factory=list, description="columns whose printed header is abstract")
    lookups_per_abstract_column: int | None = Field(
        default=None, ge=0, description="lookups for those columns (None: lookups_per_column)")
    abstract_rows: list[int] = Field(
        default_factory=list, description="body rows whose printed label is a code with a "
                                          "meaning: ask about them")
    unnamed_rows: list[int] = Field(
        default_factory=list, description="body rows whose printed label is a code without a "
                                          "usable meaning: no question names them")
    per_type: int = Field(ge=0, description="questions of each non-lookup type per table")
    seed: str = "0"

    def lookups_for(self, column: int) -> int:
        if column in self.abstract_columns and self.lookups_per_abstract_column is not None:
            return self.lookups_per_abstract_column
        return self.lookups_per_column

    @property
    def wanted(self) -> int:
        per_column = [question_type(t).per_column for t in self.types]
        lookups = sum(map(self.lookups_for, self.columns)) if any(per_column) else 0
        return lookups + self.per_type * per_column.count(False)


class QuestionOut(_Out):
    """One proposed question: its wording and the cells/operation it is about. The answer is
    checked against the one code computes from the table; a mismatch rejects the question."""

    type: QuestionType
    question: str = Field(description="the question, using the column's words as shown")
    column: int = Field(ge=0, description="column id (c<N>) of the values asked about")
    rows: list[int] = Field(default_factory=list,
                            description="row ids (r<N>) the question names, as its type's rule "
                                        "in the prompt says")
    op: Literal["max", "min", "gt", "lt"] | None = Field(
        None, description="max/min or gt/lt, as its type's rule in the prompt says")
    threshold: float | None = Field(
        None, description="the number the question compares with, as its type's rule says")
    answer: str = Field(description="the answer, as its type's rule in the prompt says")


class GenerateOutput(_Out):
    questions: list[QuestionOut] = Field(default_factory=list)

