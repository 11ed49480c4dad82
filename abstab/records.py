"""The typed records that flow between stages.

Every stage reads and writes these and nothing else. Their JSON Schemas are generated into
``abstab/schemas/`` (``python -m abstab.records``) and committed; a test fails when they drift.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION: Final = "1.0"

BBox = Annotated[list[float], Field(min_length=4, max_length=4)]
"""x0, y0, x1, y1 in PyMuPDF page coordinates (points, top-left origin)."""

MAX_ID_LENGTH = 200
# Ids are joined into paths (``pdfs/<doc_id>.pdf``): no separator, no control character, no
# ``..``, not only dots. Written without lookarounds so every JSON Schema engine can run it.
SAFE_ID_PATTERN = r"^\.?[^./\\\x00-\x1f\x7f]+(?:\.[^./\\\x00-\x1f\x7f]+)*\.?$"
_SAFE_ID = re.compile(SAFE_ID_PATTERN)


def is_safe_id(value: str) -> bool:
    """Whether ``value`` can be joined into a path as a file name and stay in its folder."""
    return len(value) <= MAX_ID_LENGTH and _SAFE_ID.fullmatch(value) is not None


def _check_id(value: str) -> str:
    if not is_safe_id(value):
        raise ValueError(f"{value!r} is not a safe id: an id may hold no '/', '\\', '..' or "
                         f"control character, and is not empty or only dots (it names files)")
    return value


def safe_id(text: str, max_length: int = MAX_ID_LENGTH) -> str:
    """``text`` itself if it is a safe id of at most ``max_length`` characters, else a safe id
    made from it (separators and control characters become ``:``, ``..`` runs one ``.``;
    a hash stands in for what is still too long or empty), for ids taken from datasets."""
    if len(text) <= max_length and _SAFE_ID.fullmatch(text):
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    cleaned = re.sub(r"\.{2,}", ".", re.sub(r"[/\\\x00-\x1f\x7f]", ":", text))
    if len(cleaned) > max_length:
        cleaned = f"{cleaned[:max_length - 17]}~{digest}"
    return cleaned if _SAFE_ID.fullmatch(cleaned) else f"id-{digest}"


SafeId = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH,
                              json_schema_extra={"pattern": SAFE_ID_PATTERN}),
                   AfterValidator(_check_id)]
"""A record id that can be joined into a path and stay in its folder."""

BlockKind = Literal[
    "heading", "paragraph", "caption", "footnote", "list", "running_header", "running_footer",
    "page_number",
]
# Blocks that carry the document's prose; running headers, footers and page numbers do not.
TEXT_KINDS: frozenset[str] = frozenset({"heading", "paragraph", "caption", "footnote", "list"})
AbstractionStyle = Literal["natural", "letter_codes", "acronym", "shortened", "symbol"]
AnswerLocation = Literal["text", "table_clear", "table_defined", "table_implicit", "unanswerable"]
ResolutionCategory = Literal["explicit", "inferable_table", "inferable_document", "unresolvable"]

ANSWER_LOCATIONS: tuple[str, ...] = AnswerLocation.__args__  # type: ignore[attr-defined]
ABSTRACT_STYLES: tuple[str, ...] = ("letter_codes", "acronym", "shortened", "symbol")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Provenance(_Strict):
    """Who made a record, and with which settings."""

    stage: str
    abstab_version: str
    config_hash: str = Field(description="hash of the stage config chained with its inputs'")
    engine: str | None = Field(None, description="extraction engine, for extract records")
    backend: str | None = Field(None, description="LLM backend name (rules, local, openai)")
    model: str | None = None
    prompt_hash: str | None = None


class Record(_Strict):
    """Base of every record: a schema version and provenance."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    provenance: Provenance

    @property
    def key(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


# --------------------------------------------------------------------------- documents


class Block(_Strict):
    block_id: SafeId
    page: int = Field(ge=1, description="1-based page number")
    bbox: BBox
    kind: BlockKind
    text: str
    order: int = Field(ge=0, description="reading order within the document")
    section: list[str] = Field(default_factory=list, description="heading path above the block")
    char_start: int = Field(ge=0, description="offset of the block in Document.text")
    char_end: int = Field(ge=0)


class Document(Record):
    doc_id: SafeId = Field(description="content hash of the PDF (sha256 prefix)")
    source: str = Field(description="path of the PDF as given")
    sha256: str
    pages: int = Field(ge=0)
    title: str | None = None
    text: str = Field(description="the blocks' text joined by blank lines; offsets point here")
    blocks: list[Block]
    scanned_pages: list[int] = Field(
        default_factory=list, description="pages without a text layer (no OCR is done)"
    )

    @property
    def key(self) -> str:
        return self.doc_id

    @model_validator(mode="after")
    def _offsets_point_into_text(self) -> Document:
        for b in self.blocks:
            if self.text[b.char_start : b.char_end] != b.text:
                raise ValueError(f"block {b.block_id}: char span does not match its text")
        return self


# ------------------------------------------------------------------------------ tables


class Cell(_Strict):
    row: int = Field(ge=0)
    col: int = Field(ge=0)
    row_span: int = Field(1, ge=1)
    col_span: int = Field(1, ge=1)
    text: str
    bbox: BBox | None = None
    page: int | None = Field(None, ge=1, description="page of the cell, for tables over pages")
    header: bool = False


class Note(_Strict):
    """A footnote, legend line or source note under (or beside) a table."""

    kind: Literal["footnote", "legend", "source", "note"]
    marker: str | None = Field(None, description="the footnote marker (*, a, 1, †) if any")
    text: str
    block_id: str | None = None
    targets: list[list[int]] = Field(
        default_factory=list, description="[row, col] of the header cells the note annotates"
    )


class TableQuality(_Strict):
    rows: int
    cols: int
    empty_ratio: float
    numeric_header_ratio: float
    confidence: float


class Table(Record):
    table_id: SafeId
    doc_id: SafeId
    pages: list[int]
    bbox: BBox
    engine: str
    caption: str | None = None
    cells: list[Cell]
    n_header_rows: int = Field(ge=0)
    header_rows: list[list[str]] = Field(description="header rows, spans repeated per column")
    columns: list[str] = Field(description="flattened column names, e.g. '2012 / Rice / Surplus'")
    rows: list[list[str]] = Field(description="body rows as text")
    notes: list[Note] = Field(default_factory=list)
    nearby_block_ids: list[str] = Field(default_factory=list)
    nearby_text: str = ""
    quality: TableQuality
    derived_from: SafeId | None = Field(
        None, description="for tables made by controlled abstraction: the source table_id"
    )

    @property
    def key(self) -> str:
        return self.table_id

    def header_cell(self, row: int, col: int) -> Cell | None:
        for c in self.cells:
            if c.header and c.row <= row < c.row + c.row_span and c.col <= col < c.col + c.col_span:
                return c
        return None


# --------------------------------------------------------------------------- judgments


class HeaderKeyword(_Strict):
    keyword: str
    row: int = Field(ge=0)
    col: int = Field(ge=0)
    style: AbstractionStyle
    score: float


class Judgment(Record):
    table_id: SafeId
    doc_id: SafeId
    label: Literal["clear", "abstract", "not_table"]
    keywords: list[HeaderKeyword] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    confidence: float

    @property
    def key(self) -> str:
        return self.table_id

    def check_against(self, table: Table) -> list[tuple[HeaderKeyword, str]]:
        """Keywords of this judgment that are not in a header cell of ``table``, with why."""
        problems = []
        for k in self.keywords:
            cell = table.header_cell(k.row, k.col)
            if cell is None:
                problems.append((k, f"keyword {k.keyword!r} at ({k.row},{k.col}) is not a header cell"))
            elif k.keyword not in cell.text:
                problems.append((k, f"keyword {k.keyword!r} is not in header cell {cell.text!r}"))
        return problems


# ------------------------------------------------------------------------- resolutions


class Evidence(_Strict):
    source: Literal["block", "note", "table"]
    block_id: str | None = None
    page: int | None = None
    char_start: int | None = Field(None, description="offset in Document.text")
    char_end: int | None = None
    text: str
    score: float


class Resolution(Record):
    table_id: SafeId
    doc_id: SafeId
    keyword: str
    row: int
    column: int
    expansion: str | None
    category: ResolutionCategory
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float
    method: str = Field(description="which rule or prompt produced it")

    @property
    def key(self) -> str:
        return f"{self.table_id}|{self.row}|{self.column}|{self.keyword}"


# ----------------------------------------------------------------------------- QA items


class Answer(_Strict):
    text: str = Field(description="the answer as it appears in the document; '' if unanswerable")
    value: float | str | bool | list[str] | None = Field(None, description="normalized value")
    type: Literal["number", "text", "date", "bool", "list", "none"]
    unit: str | None = None
    scale: str | None = None


class KeywordLink(_Strict):
    abstract: str
    detailed: str
    column: int | None = None
    category: ResolutionCategory | None = None


class TextSpan(_Strict):
    """A span of Document.text: ``Document.text[char_start:char_end] == text``."""

    block_id: str | None = None
    char_start: int = Field(ge=0, description="offset in Document.text")
    char_end: int = Field(ge=0)
    text: str
    role: Literal["answer", "definition", "clue"] = Field(
        description="answer: the answer itself; definition: where the document explains a header; "
                    "clue: where the document only lets a header's meaning be inferred")


class ItemEvidence(_Strict):
    cells: list[list[int]] = Field(default_factory=list, description="[row, col] in the table")
    blocks: list[str] = Field(default_factory=list)
    spans: list[TextSpan] = Field(default_factory=list, description="text spans, re-checkable")


QuestionType = Literal["lookup", "comparison", "extremum", "count", "sum", "difference", "filter"]
QUESTION_TYPES: tuple[str, ...] = QuestionType.__args__  # type: ignore[attr-defined]


class Operation(_Strict):
    """How a table item's answer is computed from the table, so a validator can redo it.

    Rows are body-row indices (``Table.rows``); evidence cells are table coordinates
    (header rows included).
    """

    type: QuestionType
    column: int = Field(ge=0, description="the column whose values the question is about")
    key_column: int = Field(0, ge=0, description="the column of row labels")
    rows: list[int] = Field(default_factory=list, description="body rows the question names")
    op: Literal["max", "min", "gt", "lt"] | None = None
    threshold: float | None = None


class Abstraction(_Strict):
    style: AbstractionStyle
    legend: Literal["explicit", "implicit", "removed", "none"]
    explained_by: Literal["definition_sentence", "legend", "value_mention"] | None = Field(
        None, description="how the document explains the code (controlled abstraction)")


class SourceRef(_Strict):
    """The external dataset item a controlled item comes from, and under which license."""

    dataset: str = Field(description="registry name of the dataset (wtq, tatqa)")
    example_id: str | None = Field(
        None, description="the dataset's question id; None for questions abstab wrote")
    doc_id: str = Field(description="the dataset's table / context id")
    license: str
    answers: list[str] = Field(default_factory=list, description="the dataset's gold answers")
    meta: dict[str, Any] = Field(default_factory=dict, description="e.g. TAT-QA scale, derivation")


class QAItem(Record):
    item_id: SafeId
    doc_id: SafeId
    table_id: SafeId | None
    question: str
    answer: Answer
    answer_location: AnswerLocation
    keywords: list[KeywordLink] = Field(default_factory=list)
    evidence: ItemEvidence = Field(default_factory=ItemEvidence)
    abstraction: Abstraction
    origin: Literal["document", "controlled"]
    pair_id: SafeId | None = Field(None, description="links the clear and abstract versions")
    template: str
    operation: Operation | None = Field(
        None, description="for table items: how the answer follows from the table")
    difficulty: Literal["easy", "medium", "hard"]
    split: Literal["train", "validation", "test"] | None = None
    source: SourceRef | None = Field(None, description="the external dataset item it comes from")

    @property
    def key(self) -> str:
        return self.item_id


# ------------------------------------------------------------------------- predictions


class Prediction(Record):
    item_id: SafeId
    system: str
    answer: str
    abstained: bool
    retrieved: list[str] = Field(default_factory=list, description="block/table ids given")
    latency_ms: float
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def key(self) -> str:
        return f"{self.system}|{self.item_id}"


class Score(Record):
    item_id: SafeId
    system: str
    answer_location: AnswerLocation
    style: AbstractionStyle
    category: ResolutionCategory | None = None
    metrics: dict[str, float]
    correct: bool

    @property
    def key(self) -> str:
        return f"{self.system}|{self.item_id}"


RECORD_TYPES: dict[str, type[Record]] = {
    "document": Document,
    "table": Table,
    "judgment": Judgment,
    "resolution": Resolution,
    "qa_item": QAItem,
    "prediction": Prediction,
    "score": Score,
}

SCHEMA_DIR = Path(__file__).parent / "schemas"


def json_schema(kind: str) -> dict[str, Any]:
    schema = RECORD_TYPES[kind].model_json_schema()
    schema["$id"] = f"https://abstab.dev/schemas/{kind}-{SCHEMA_VERSION}.json"
    return schema


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every record's JSON Schema; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in RECORD_TYPES:
        path = directory / f"{kind}.json"
        path.write_text(json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_schemas():
        print(p)
