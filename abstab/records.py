"""The typed records that flow between stages.

Every stage reads and writes these and nothing else. Their JSON Schemas are generated into
``abstab/schemas/`` (``python -m abstab.records``) and committed; a test fails when they drift.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    model_serializer,
    model_validator,
)

from abstab.errors import MissingDependencyError
from abstab.registry import question_types
from abstab.text import squash

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
KeywordRole = Literal["header", "stub"]
"""Where an abstract keyword lies: ``header``, a header cell (a column header, or a row header
the extractor marked); ``stub``, a body cell of the first column (a row label such as
``BFP (Assured)``)."""
ReviewUnit = Literal["table", "header", "meaning", "item"]

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


def _grid(cells: list[Cell], n_header_rows: int
          ) -> tuple[int, int, list[list[str]], list[list[str]]]:
    """The grid's height and width, and its header rows and body rows as text, from two passes
    over the cells (a table read back is checked against its cells: this runs on every parse).

    A merged header cell is repeated in every slot it covers; in the body a cell spanning rows
    repeats down and one spanning columns stands only in its first column.
    """
    nrows = max((c.row + c.row_span for c in cells), default=0)
    ncols = max((c.col + c.col_span for c in cells), default=0)
    # which cell covers each slot (a merged cell covers many; the first listed wins)
    at: list[list[Cell | None]] = [[None] * ncols for _ in range(nrows)]
    for c in cells:
        if c.row_span == 1 and c.col_span == 1:  # most cells: no span loops
            if at[c.row][c.col] is None:
                at[c.row][c.col] = c
            continue
        for r in range(c.row, c.row + c.row_span):
            line = at[r]
            for k in range(c.col, c.col + c.col_span):
                if line[k] is None:
                    line[k] = c
    head = [["" if cell is None else cell.text for cell in line]
            for line in at[:n_header_rows]]
    body = [["" if cell is None or cell.col != k else cell.text for k, cell in enumerate(line)]
            for line in at[n_header_rows:]]
    return nrows, ncols, head, body


def column_names(header_rows: list[list[str]], skip_rows: frozenset[int] = frozenset(),
                 squash_spaces: bool = False) -> list[str]:
    """Flattened column names: the distinct non-empty header texts of each column, top down,
    joined by `` / `` (``2012 / Rice / Surplus``).

    Args:
        header_rows: the header rows as text (:meth:`Table.from_cells` derives them).
        skip_rows: header rows left out of the names (a row numbering the columns 1, 2, 3).
        squash_spaces: collapse runs of whitespace inside a text, not only strip its ends.
    """
    ncols = max((len(r) for r in header_rows), default=0)
    out = []
    for c in range(ncols):
        parts: list[str] = []
        for r, row in enumerate(header_rows):
            text = squash(row[c]) if squash_spaces else row[c].strip()
            if r not in skip_rows and text and text not in parts:
                parts.append(text)
        out.append(" / ".join(parts))
    return out


def column_rule(header_rows: list[list[str]],
                columns: list[str]) -> tuple[frozenset[int], bool] | None:
    """The ``skip_rows`` and ``squash_spaces`` of :func:`column_names` that turn
    ``header_rows`` into ``columns``, or None if none does."""
    n = len(header_rows)
    # every subset of a few header rows; past 8 rows (2**8 tries) only the rule skipping none.
    # Lazy: a table read back almost always matches the first rule tried (skip none).
    masks = range(2 ** n) if n <= 8 else range(1)
    for skip in (frozenset(r for r in range(n) if mask >> r & 1) for mask in masks):
        for spaces in (False, True):
            if column_names(header_rows, skip, spaces) == columns:
                return skip, spaces
    return None


def require_pandas() -> Any:
    """The pandas module, or a MissingDependencyError naming the extra to install."""
    try:
        import pandas
    except ImportError:
        raise MissingDependencyError("pandas", "pandas", "a DataFrame") from None
    return pandas


class Table(Record):
    """A table: its cells are the one source of truth.

    ``header_rows``, ``rows``, ``n_header_rows``, ``columns`` and the quality's ``rows`` and
    ``cols`` are views of the cells kept in the JSON for readers (the release reads them); build
    a table with :meth:`from_cells` or :meth:`from_grid`, and a record whose views disagree with
    its cells fails validation.
    """

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

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame: its body rows under its flattened column names
        (:attr:`columns`; a name may repeat), every value a string as printed.

        Raises:
            MissingDependencyError: pandas is not installed (``pip install 'abstab[pandas]'``).
        """
        return require_pandas().DataFrame(self.rows, columns=self.columns)

    @model_validator(mode="after")
    def _views_match_cells(self) -> Table:
        nrows, ncols, head, body = _grid(self.cells, self.n_header_rows)
        problems = []
        if (self.quality.rows, self.quality.cols) != (nrows, ncols):
            problems.append(f"quality says {self.quality.rows}x{self.quality.cols}, "
                            f"the cells make {nrows}x{ncols}")
        if self.n_header_rows > nrows:
            problems.append(f"n_header_rows {self.n_header_rows} > {nrows} rows")
        if self.header_rows != head:
            problems.append("header_rows differ from the header cells")
        if self.rows != body:
            problems.append("rows differ from the body cells")
        if [c for c in self.cells if c.row < self.n_header_rows and not c.header]:
            problems.append("a cell in a header row is not marked header")
        if len(self.columns) != ncols:
            problems.append(f"{len(self.columns)} columns for {ncols} grid columns")
        elif head and column_rule(head, self.columns) is None:
            problems.append("the column names are not made of the header cells")
        elif not head and any(self.columns):
            problems.append("column names without header rows")
        if problems:
            raise ValueError(f"table {self.table_id}: {'; '.join(problems)}; build it with "
                             f"Table.from_cells or Table.from_grid")
        return self

    @classmethod
    def from_cells(cls, cells: list[Cell], n_header_rows: int, *, empty_ratio: float,
                   numeric_header_ratio: float, confidence: float,
                   columns: list[str] | None = None, column_skip_rows: frozenset[int] = frozenset(),
                   squash_spaces: bool = False, **fields: Any) -> Table:
        """The table of ``cells``, its views derived from them.

        Args:
            cells: every cell, header cells marked.
            n_header_rows: how many top rows are header rows.
            empty_ratio, numeric_header_ratio, confidence: the maker's quality scores.
            columns: column names if the maker keeps its own (``relabel`` edits them in place);
                by default :func:`column_names` of the header rows.
            column_skip_rows, squash_spaces: passed to :func:`column_names`.
            **fields: the other fields of :class:`Table` (``table_id``, ``provenance``…).
        """
        nrows, ncols, head, body = _grid(cells, n_header_rows)
        if columns is None:
            columns = column_names(head, column_skip_rows, squash_spaces) if head \
                else [""] * ncols
        quality = TableQuality(rows=nrows, cols=ncols, empty_ratio=empty_ratio,
                               numeric_header_ratio=numeric_header_ratio, confidence=confidence)
        return cls(cells=cells, n_header_rows=n_header_rows, header_rows=head, columns=columns,
                   rows=body, quality=quality, **fields)

    @classmethod
    def from_grid(cls, grid: list[list[str]], n_header_rows: int, *,
                  row_header_col: bool = False, empty_ratio: float = 0.0,
                  numeric_header_ratio: float = 0.0, confidence: float = 1.0,
                  squash_spaces: bool = False, **fields: Any) -> Table:
        """The table of a text grid (one cell per slot, short rows padded with ``""``).

        Args:
            grid: rows of cell texts, header rows first.
            n_header_rows: how many top rows are header rows.
            row_header_col: the first column holds row headers (marked header too).
            **fields: see :meth:`from_cells`.
        """
        width = max((len(r) for r in grid), default=0)
        cells = [Cell(row=r, col=c, text=text,
                      header=r < n_header_rows or (row_header_col and c == 0))
                 for r, row in enumerate(grid)
                 for c, text in enumerate(list(row) + [""] * (width - len(row)))]
        return cls.from_cells(cells, n_header_rows, empty_ratio=empty_ratio,
                              numeric_header_ratio=numeric_header_ratio, confidence=confidence,
                              squash_spaces=squash_spaces, **fields)

    def header_cell(self, row: int, col: int) -> Cell | None:
        for c in self.cells:
            if c.header and c.row <= row < c.row + c.row_span and c.col <= col < c.col + c.col_span:
                return c
        return None

    def label_cell(self, row: int, col: int) -> Cell | None:
        """The cell a keyword at (row, col) lies in: a header cell, or the row label of a
        ``stub`` keyword (column 0 of a body row)."""
        return self.header_cell(row, col) or (self.stub_cell(row) if col == 0 else None)

    def stub_cell(self, row: int) -> Cell | None:
        """The body cell of the first column covering ``row`` (a row label), if any."""
        for c in self.cells:
            if not c.header and c.col == 0 and c.row <= row < c.row + c.row_span:
                return c
        return None


# --------------------------------------------------------------------------- judgments


class HeaderKeyword(_Strict):
    keyword: str
    row: int = Field(ge=0)
    col: int = Field(ge=0)
    style: AbstractionStyle
    score: float
    role: KeywordRole = Field("header", description=(
        "header: the keyword lies in a header cell; stub: in a first-column body cell (a row "
        "label), at column 0"))


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
        """Keywords of this judgment that are not in a cell of their role in ``table`` (a
        header cell, or for ``stub`` keywords a first-column body cell), with why."""
        return [(k, why) for k in self.keywords
                if (why := keyword_problem(table, k.keyword, k.row, k.col, k.role)) is not None]


def keyword_problem(table: Table, keyword: str, row: int, col: int,
                    role: KeywordRole = "header") -> str | None:
    """Why ``keyword`` at ``(row, col)`` is not in a cell of its ``role`` in ``table`` (a
    header cell; for ``stub``, a first-column body cell), or None when it is."""
    if role == "stub":
        cell = table.stub_cell(row) if col == 0 else None
        kind = "stub cell"
    else:
        cell = table.header_cell(row, col)
        kind = "header cell"
    if cell is None:
        return f"keyword {keyword!r} at ({row},{col}) is not a {kind}"
    if keyword not in cell.text:
        return f"keyword {keyword!r} is not in {kind} {cell.text!r}"
    return None


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
    cells: list[list[int]] = Field(
        default_factory=list, description="[row, col] in the table; for an item across tables "
                                          "(QAItem.tables), [row, col, k] in its k-th table")
    blocks: list[str] = Field(default_factory=list)
    spans: list[TextSpan] = Field(default_factory=list, description="text spans, re-checkable")


QUESTION_TYPES: tuple[str, ...] = tuple(question_types.ordered())
"""The question types registered when abstab loads, in the order generation makes them."""


def _known_question_type(name: str) -> str:
    if name not in question_types:
        raise ValueError(f"unknown question type {name!r}; known: "
                         f"{', '.join(question_types.ordered())}")
    return name


class _RegisteredQuestionTypes:
    """The JSON Schema of a question type's name: the types registered when the schema is
    made, not when abstab loaded (so the LLM generate schema offers a plugin's type)."""

    def __get_pydantic_json_schema__(self, _core: Any, _handler: Any) -> dict[str, Any]:
        return {"enum": question_types.ordered(), "type": "string"}


# A registered question type's name (abstab.registry.question_types).
QuestionType = Annotated[str, AfterValidator(_known_question_type), _RegisteredQuestionTypes()]


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
    explained_by: Literal["definition_sentence", "legend", "value_mention", "unit_mention",
                          "comparison", "trend", "elsewhere"] | None = Field(
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
    reviewed: list[ReviewUnit] = Field(
        default_factory=list,
        description="what a person decided behind this item in abstab review: the item itself "
                    "(kept), its table (right), the headers or meanings of its columns (checked "
                    "or rewritten); absent when nothing was reviewed")
    tables: list[SafeId] = Field(
        default_factory=list,
        description="for a question needing several tables of its document: their table_ids "
                    "in document order (table_id is the first); absent for one-table items")

    @property
    def key(self) -> str:
        return self.item_id

    @model_serializer(mode="wrap")
    def _omit_unreviewed(self, handler: SerializerFunctionWrapHandler) -> Any:
        # An item nobody reviewed, or about one table, is written as before these fields
        # existed: same bytes, same hashes downstream.
        data = handler(self)
        if isinstance(data, dict):
            for name in ("reviewed", "tables"):
                if not data.get(name):
                    data.pop(name, None)
        return data


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
    tables_from: str | None = Field(
        None, description="the parser whose tables the system read (--tables-from); null: gold")
    gold_correct: bool | None = Field(
        None, description="over a parser's tables: whether the same system answered the item "
                          "right over the gold tables")
    attribution: Literal["parsing", "reading"] | None = Field(
        None, description="over a parser's tables, why the item is wrong: parsing (right over "
                          "gold tables) or reading (wrong over both); null when right")

    @property
    def key(self) -> str:
        return f"{self.system}|{self.item_id}"


# ---------------------------------------------------------------------- review decisions

# Header and meaning units are one header cell: ``TABLE_ID#ROW,COL`` (the cell's top-left slot).
CELL_UNIT_PATTERN = r"^(.+)#(0|[1-9][0-9]*),(0|[1-9][0-9]*)$"
_CELL_UNIT = re.compile(CELL_UNIT_PATTERN)


def split_cell_unit(unit_id: str) -> tuple[str, int, int] | None:
    """``TABLE_ID#ROW,COL`` as (table id, row, col), or None when it is not one."""
    m = _CELL_UNIT.fullmatch(unit_id)
    if m is None or not is_safe_id(m.group(1)):
        return None
    return m.group(1), int(m.group(2)), int(m.group(3))


class MeaningValue(_Strict):
    """A person's meaning for an abstract header: ``meaning`` is None exactly when the
    category is ``unresolvable``."""

    meaning: str | None = Field(description="what the header means; null if unresolvable")
    category: ResolutionCategory

    @model_validator(mode="after")
    def _meaning_iff_resolvable(self) -> MeaningValue:
        if self.meaning is not None:
            self.meaning = " ".join(self.meaning.split())
        if (self.category == "unresolvable") != (not self.meaning):
            raise ValueError("a meaning is null (or empty) exactly when its category is "
                             "'unresolvable'")
        return self


class Decision(_Strict):
    """One person's decision on one review unit (``WORK/review/decisions.jsonl``).

    ``accept``: the machine's ``proposal`` is right; ``reject``: it is wrong (a table: not a
    table or extracted wrong, ``value`` may say which; a header: the judge's abstract/not call is
    wrong; a meaning: wrong, the right one unknown; an item: dropped); ``edit``: the right value
    is ``value`` (a header: true/false for abstract; a meaning: a :class:`MeaningValue`);
    ``undo``: withdraws this reviewer's latest live decision on the unit. The latest live
    decision per unit wins.
    """

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    unit: ReviewUnit
    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH + 24,
                    description="table id; TABLE_ID#ROW,COL for header and meaning; item id")
    decision: Literal["accept", "reject", "edit", "undo"]
    value: StrictBool | MeaningValue | Literal["not_table", "bad_extraction"] | None = None
    proposal: dict[str, Any] | None = Field(
        None, description="what the machine proposed when the person decided")
    reviewer: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
    time: AwareDatetime = Field(description="when it was decided (UTC)")

    @property
    def key(self) -> tuple[str, str]:
        return self.unit, self.id

    @model_validator(mode="after")
    def _value_fits(self) -> Decision:
        if self.unit in ("table", "item"):
            if not is_safe_id(self.id):
                raise ValueError(f"{self.id!r} is not a {self.unit} id")
        elif split_cell_unit(self.id) is None:
            raise ValueError(f"{self.id!r} is not a {self.unit} id: write TABLE_ID#ROW,COL")
        allowed: dict[tuple[str, str], tuple[type, ...]] = {
            ("header", "edit"): (bool,), ("meaning", "edit"): (MeaningValue,),
            ("table", "reject"): (str, type(None)),
        }
        if self.unit in ("table", "item") and self.decision == "edit":
            raise ValueError(f"a {self.unit} is accepted or rejected, not edited")
        want = allowed.get((self.unit, self.decision), (type(None),))
        if not isinstance(self.value, want):  # pydantic reports ValueError, not TypeError
            raise ValueError(  # noqa: TRY004
                f"value {self.value!r} does not fit a {self.unit} {self.decision}: write "
                + {bool: "true or false", MeaningValue: '{"meaning": "...", "category": '
                   '"explicit"}', str: '"not_table", "bad_extraction" or null'}.get(want[0],
                                                                                  "null"))
        self.time = self.time.astimezone(UTC)
        return self

    @classmethod
    def now(cls, **fields: Any) -> Decision:
        """A decision made now (UTC)."""
        return cls(time=datetime.now(UTC), **fields)


RECORD_TYPES: dict[str, type[BaseModel]] = {
    "document": Document,
    "table": Table,
    "judgment": Judgment,
    "resolution": Resolution,
    "qa_item": QAItem,
    "prediction": Prediction,
    "score": Score,
    "decision": Decision,
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
