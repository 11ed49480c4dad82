"""What ``abstab bench`` scores: a workspace, a release folder, or an external dataset.

Every kind of dataset becomes one :class:`BenchData`: documents, tables and QA items as abstab
records, so the same systems (table, rag, hybrid, oracle, closed-book) and metrics run on all
of them. Kinds are found through :data:`dataset_kinds` (a registry, tried in order by
:func:`detect_kind`):

- ``workspace``: a folder with ``assemble/done.json`` (``abstab synth`` output);
- ``release``: a folder with ``items``/``tables``/``documents`` parquet files per split
  (``abstab release`` output);
- ``tatqa`` / ``wtq``: the external datasets, read by :func:`abstab.sources.load` and turned
  into records here: each TAT-QA context is one document (its paragraphs are blocks
  ``<uid>#p<order>``) with one table; each WTQ table file is one document with no text.

External items keep the dataset's own facts in ``QAItem.source`` (TAT-QA ``answer_type``,
``answer_from``, ``scale``, ``rel_paragraphs``), which the report groups by and the official
scorers read.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from abstab import __version__
from abstab.core.normalize import parse_number
from abstab.errors import ConfigError, WorkspaceError
from abstab.records import (
    MAX_ID_LENGTH,
    Abstraction,
    Answer,
    Block,
    Document,
    ItemEvidence,
    Provenance,
    QAItem,
    SourceRef,
    Table,
    safe_id,
)
from abstab.registry import Registry
from abstab.sources import all_source_files, open_source, source_header_rows, sources
from abstab.store import producer, read_kind, reading_workspace

__all__ = [
    "BenchData",
    "ParsedTables",
    "dataset_kinds",
    "detect_kind",
    "header_row_count",
    "load_data",
    "pdf_path",
    "source_to_records",
]


@dataclass
class ParsedTables:
    """Parsed tables standing in for a dataset's gold tables.

    Attributes:
        label: the table source as results name it (an engine's name, a folder's name).
        by_doc: dataset doc_id → its parsed tables, in reading order.
        gold_pages: gold table_id → the pages it is printed on.
        notes: what the reading left out or could not do, printed by ``abstab bench``.
    """

    label: str
    by_doc: dict[str, list[Table]]
    gold_pages: dict[str, list[int]]
    notes: list[str] = field(default_factory=list)

    @cached_property  # every system's bench stage hashes it; the tables do not change
    def digest(self) -> str:
        """Changes with the parsed tables' content (a bench stage over them redoes then)."""
        h = hashlib.sha256()
        for doc_id in sorted(self.by_doc):
            for t in self.by_doc[doc_id]:
                h.update(t.model_dump_json(exclude={"provenance"}).encode())
        return h.hexdigest()[:16]

    def for_item(self, doc_id: str, table_id: str | None) -> list[Table]:
        """The parsed tables a question about gold table ``table_id`` is asked over: those on
        its pages, else all of the document's (none for a question without a table)."""
        if table_id is None:
            return []
        tables = self.by_doc.get(doc_id, [])
        pages = set(self.gold_pages.get(table_id, ()))
        return [t for t in tables if pages & set(t.pages)] or tables


@dataclass
class BenchData:
    """Documents, tables and items to score, with a fingerprint that changes with the data.

    Attributes:
        kind: the dataset kind (``workspace``, ``release``, ``tatqa``, ``wtq``).
        path: where it was read from.
        docs: documents by doc_id.
        tables: tables by table_id (abstracted copies included).
        items: the QA items, in dataset order.
        fingerprint: a hash of the inputs; a bench run resumes only on the same fingerprint.
        skipped: (example, reason) of every example the loader could not use.
        known_ids: every item id of the dataset, also those a split or a limit leaves out
            (a predictions file may cover them all).
        parsed: when set, ``tables`` are a parser's tables standing in for the gold ones
            (``--tables-from``; :mod:`abstab.bench.parsed`).
    """

    kind: str
    path: Path
    docs: dict[str, Document]
    tables: dict[str, Table]
    items: list[QAItem]
    fingerprint: str
    skipped: list[tuple[str, str]] = field(default_factory=list)
    known_ids: set[str] = field(default_factory=set)
    parsed: ParsedTables | None = None


Detector = Callable[[Path], bool]
LoaderFn = Callable[[Path], BenchData]


@dataclass(frozen=True)
class DatasetKind:
    """How to recognise a dataset kind and how to read it."""

    detect: Detector
    load: LoaderFn


# Every registered source dataset (abstab.sources) is a kind too, also one registered after
# this module loaded (the fallback).
dataset_kinds: Registry[DatasetKind] = Registry("dataset kind",
                                                fallback="abstab.bench.data:source_dataset_kind")


def detect_kind(path: Path) -> str:
    """The kind of the dataset at ``path``: the first registered kind whose detector accepts it.

    Raises:
        ConfigError: nothing recognises the path.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such file or folder; give a workspace, a release folder, "
                          f"or a TAT-QA / WikiTableQuestions dataset")
    listed = dataset_kinds.names()
    for name in [*listed, *(s for s in sources if s not in listed)]:
        if dataset_kinds.get(name).detect(path):
            return dataset_kinds.canonical(name)
    raise ConfigError(
        f"{path}: not a dataset abstab knows: no assemble/done.json (workspace), no "
        f"items*.parquet (release), no tatqa_dataset_*.json / *.shared.json (TAT-QA), no "
        f"questions*.tsv with csv/ (WTQ). Name the format with --format "
        f"({', '.join(dataset_kinds.names())})"
    )


def load_data(path: Path, kind: str | None = None, split: str | None = None) -> BenchData:
    """Read the dataset at ``path`` as ``kind`` (detected when None), optionally one split.

    Raises:
        ConfigError: the dataset has no items, or none of ``split`` (the message names the
            splits it has).
    """
    path = Path(path)
    name = dataset_kinds.canonical(kind) if kind else detect_kind(path)
    data = dataset_kinds.get(name).load(path)
    data.known_ids = {i.item_id for i in data.items}
    if not data.items:
        raise ConfigError(f"{path}: the {data.kind} has no QA items to score; "
                          + ("run `abstab synth` (or generate and assemble) on it first"
                             if data.kind == "workspace" else "check that it is the right folder"))
    if split is not None:
        splits = sorted({i.split for i in data.items if i.split})
        data.items = [i for i in data.items if i.split == split]
        if not data.items:
            known = (f"its splits are: {', '.join(splits)}" if splits
                     else "it has no splits: leave out --split")
            raise ConfigError(f"--split {split}: no item of {path} is in that split; {known}")
    return data


def _files_hash(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        st = p.stat()
        h.update(f"{p.name}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------- workspace


def _is_workspace(path: Path) -> bool:
    try:
        return path.is_dir() and producer(path, "dataset_items") is not None
    except WorkspaceError:  # a stage's damaged done.json: a workspace, whose loading says so
        return True


def _load_workspace(path: Path) -> BenchData:
    with reading_workspace(path):
        docs = {d.doc_id: d for d in read_kind(path, "documents")}
        tables = {t.table_id: t for t in read_kind(path, "tables")}
        tables.update({t.table_id: t for t in read_kind(path, "dataset_tables")})
        items = list(read_kind(path, "dataset_items"))
        marks = [(sd.marker() if sd else None) or {}
                 for sd in (producer(path, "documents"), producer(path, "dataset_items"))]
    fingerprint = hashlib.sha256(
        json.dumps([m.get("config_hash") for m in marks]).encode()).hexdigest()[:16]
    return BenchData("workspace", path, docs, tables, items, fingerprint)


# ------------------------------------------------------------------------------ release


def _release_files(path: Path, name: str,
                   refused: list[tuple[str, str]] | None = None) -> list[Path]:
    """The parquet files of one release config; a file (or folder) that is a symlink out of
    the release is not read, and is added to ``refused`` with why."""
    from abstab.sources import OutsideDatasetError, inside

    root, out = path.resolve(), []
    for p in sorted((path / name).glob("*.parquet")):
        try:
            inside(root, f"{name}/{p.name}")
        except OutsideDatasetError as exc:
            if refused is not None:
                refused.append((str(p), f"{exc}; not read"))
            continue
        if p.is_file():
            out.append(p)
    return out


def _is_release(path: Path) -> bool:
    return path.is_dir() and bool(_release_files(path, "items"))


def _records_from_parquet(path: Path, config_name: str, kind: type[Any],
                          refused: list[tuple[str, str]]) -> list[Any]:
    """The records of one release config (``RELEASE/<config>/<split>-*.parquet``), decoded
    with the release's own column schema (abstab.release.layout); files out of the release
    go to ``refused``."""
    try:
        import pyarrow.parquet as pq

        from abstab.release.arrow import decode_row
        from abstab.release.layout import CONFIGS
    except ImportError as exc:
        raise ConfigError("reading a release needs the release extra: "
                          "pip install 'abstab[release]'") from exc
    cfg = CONFIGS[config_name]
    schema, fields = cfg.arrow_schema, cfg.record_fields
    out = []
    for f in _release_files(path, config_name, refused):
        for n, row in enumerate(pq.read_table(f).to_pylist()):
            try:
                out.append(kind.model_validate(decode_row(row, schema, fields)))
            except Exception as exc:
                raise ConfigError(f"{f}: row {n} is not a valid {kind.__name__} record ({exc}); "
                                  f"check it with `abstab validate {path}`") from exc
    return out


def _load_release(path: Path) -> BenchData:
    refused: list[tuple[str, str]] = []
    docs = {d.doc_id: d for d in _records_from_parquet(path, "documents", Document, refused)}
    tables = {t.table_id: t for t in _records_from_parquet(path, "tables", Table, refused)}
    items = _records_from_parquet(path, "items", QAItem, refused)
    files = [p for n in ("items", "tables", "documents") for p in _release_files(path, n)]
    return BenchData("release", path, docs, tables, items, _files_hash(files), refused)


# ----------------------------------------------------------------- external datasets

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _is_amount(cell: str) -> bool:
    text = cell.strip()
    return (parse_number(text) is not None and not re.fullmatch(r"(?:FY\s*)?(?:19|20)\d\d", text)
            and not re.search(r"[A-Za-z]", text))


def header_row_count(grid: list[list[str]]) -> int:
    """Header rows of a dataset table given "header first": the first row, then each following
    row that holds no amounts and either has an empty first cell (TAT-QA puts "Years Ended
    September 30," over "2019 | 2018" above an empty row-label column) or only years beside its
    first cell ("($ in millions) | 2019 | 2018")."""
    count = 1
    for row in grid[1:]:
        cells = [c.strip() for c in row[1:] if c.strip()]
        if not row or not cells or any(_is_amount(c) for c in cells):
            break
        if row[0].strip() and not all(_YEAR.search(c) for c in cells):
            break
        count += 1
    return min(count, max(len(grid) - 1, 1))


def _table_record(table_id: str, doc_id: str, grid: list[list[str]], source: str,
                  prov: Provenance) -> Table:
    # The dataset's own count when its format fixes one (WTQ: the first line), else a guess.
    fixed = source_header_rows(source)
    if len(grid) <= 1:
        n_head = len(grid)
    else:
        n_head = header_row_count(grid) if fixed is None else min(fixed, len(grid) - 1)
    width = max((len(r) for r in grid), default=0)
    texts = [text for r in grid for text in list(r) + [""] * (width - len(r))]
    header_texts = [t for t in texts[:n_head * width] if t.strip()]
    return Table.from_grid(
        grid, n_head, squash_spaces=True,
        empty_ratio=round(sum(1 for t in texts if not t.strip()) / max(len(texts), 1), 4),
        numeric_header_ratio=round(sum(1 for t in header_texts if parse_number(t) is not None)
                                   / max(len(header_texts), 1), 4),
        table_id=table_id, doc_id=doc_id, pages=[1], bbox=[0.0, 0.0, 0.0, 0.0],
        engine=f"source:{source}",
        provenance=prov)


def _document_record(doc_id: str, source: str, paragraphs: list[str], grid: list[list[str]],
                     prov: Provenance) -> Document:
    blocks, pos, parts = [], 0, []
    for order, text in enumerate(paragraphs, 1):
        blocks.append(Block(block_id=f"{doc_id}#p{order}", page=1, bbox=[0.0, 0.0, 0.0, 0.0],
                            kind="paragraph", text=text, order=order - 1, char_start=pos,
                            char_end=pos + len(text)))
        parts.append(text)
        pos += len(text) + 2
    text = "\n\n".join(parts)
    sha = hashlib.sha256(json.dumps([paragraphs, grid], ensure_ascii=False).encode()).hexdigest()
    return Document(doc_id=doc_id, source=source, sha256=sha, pages=1, text=text, blocks=blocks,
                    provenance=prov)


def _gold_answer(ex: Any) -> Answer:
    """The gold of an external example (see the module docstring of abstab.bench.metrics)."""
    meta = ex.meta or {}
    scale = meta.get("scale") or None
    answer_type = meta.get("answer_type")
    if answer_type in ("arithmetic", "count"):
        try:
            return Answer(text=ex.answers[0], value=float(meta.get("answer", ex.answers[0])),
                          type="number", scale=scale)
        except (TypeError, ValueError):
            pass  # a count given as words: scored as a span
    items = [str(a) for a in ex.answers]
    if len(items) > 1:
        kind = "list"
    else:
        kind = "number" if parse_number(items[0]) is not None else "text"
    return Answer(text=" | ".join(items), value=items, type=kind, scale=scale)


# TAT-QA's answer_from, as abstab's answer_location: the text, else the table (a table-text
# answer is a table value whose meaning, e.g. its scale, the text gives).
_LOCATION = {"text": "text", "table": "table_clear", "table-text": "table_clear"}
_DATASET_ID_LENGTH = MAX_ID_LENGTH - 24


def source_to_records(examples: list[Any], prov: Provenance
                      ) -> tuple[dict[str, Document], dict[str, Table], list[QAItem]]:
    """Documents, tables and items of a list of :class:`abstab.sources.SourceExample`."""
    docs: dict[str, Document] = {}
    tables: dict[str, Table] = {}
    items: list[QAItem] = []
    seen: set[str] = set()
    # Dataset ids become record ids that name no path (WTQ's are paths: csv/200-csv/0.csv →
    # csv:200-csv:0.csv); room is left for the "#table", "#p<n>" and "#<n>" suffixes.
    doc_ids: dict[str, str] = {}
    for ex in examples:
        if ex.doc_id not in doc_ids:
            doc_id = safe_id(ex.doc_id, _DATASET_ID_LENGTH)
            if doc_id in docs:  # two dataset ids made the same record id
                doc_id = f"{doc_id}#{len(docs)}"
            doc_ids[ex.doc_id] = doc_id
            docs[doc_id] = _document_record(doc_id, f"{ex.source}:{ex.doc_id}",
                                            list(ex.paragraphs), ex.table, prov)
            tables[f"{doc_id}#table"] = _table_record(f"{doc_id}#table", doc_id, ex.table,
                                                      ex.source, prov)
        doc_id = doc_ids[ex.doc_id]
        meta = dict(ex.meta or {})
        blocks = [f"{doc_id}#p{int(p)}" for p in meta.get("rel_paragraphs", [])
                  if str(p).isdigit()]
        item_id = safe_id(str(ex.example_id), _DATASET_ID_LENGTH)
        item_id = item_id if item_id not in seen else f"{item_id}#{len(items)}"
        seen.add(item_id)
        items.append(QAItem(
            item_id=item_id, doc_id=doc_id, table_id=f"{doc_id}#table", question=ex.question,
            answer=_gold_answer(ex),
            answer_location=_LOCATION.get(str(meta.get("answer_from")), "table_clear"),  # type: ignore[arg-type]
            evidence=ItemEvidence(blocks=blocks),
            abstraction=Abstraction(style="natural", legend="none"),
            origin="document", template=ex.source,
            difficulty="medium",  # external datasets grade no difficulty; one value for all
            source=SourceRef(dataset=ex.source, example_id=ex.example_id, doc_id=ex.doc_id,
                             license=ex.license, answers=list(ex.answers), meta=meta),
            provenance=prov,
        ))
    return docs, tables, items


def _source_kind(source: str) -> DatasetKind:
    def detect(path: Path) -> bool:
        return sources.get(source).detect(path)

    def load(path: Path) -> BenchData:
        from abstab.config import stable_hash

        skipped: list[tuple[str, str]] = []
        examples = list(open_source(source, path).examples(
            lambda where, why: skipped.append((where, why))))
        if not examples:
            raise ConfigError(f"{path}: no {source} examples could be read "
                              f"({len(skipped)} skipped; first: {skipped[:1]})")
        # every dataset's files, whichever is benched, so the fingerprint of a folder is one
        files = all_source_files(path)
        fingerprint = stable_hash([source, _files_hash(files) if files else "",
                                   len(examples), __version__])
        prov = Provenance(stage=f"bench-load/{source}", abstab_version=__version__,
                          config_hash=fingerprint)
        docs, tables, items = source_to_records(examples, prov)
        return BenchData(source, path, docs, tables, items, fingerprint, skipped)

    return DatasetKind(detect, load)


dataset_kinds.add("workspace", DatasetKind(_is_workspace, _load_workspace),
                  help="an abstab workspace (assemble/done.json)")
dataset_kinds.add("release", DatasetKind(_is_release, _load_release),
                  help="an abstab release folder (items/tables/documents parquet per split)")


def source_dataset_kind(name: str) -> tuple[str, DatasetKind, dict[str, Any]] | None:
    """The dataset kind of a registered source dataset (``tatqa``, ``wtq``, a plugin's), by
    its name or alias; None for a name no source dataset has."""
    if name not in sources:
        return None
    canonical = sources.canonical(name)
    return canonical, _source_kind(canonical), {}


for _name in sources.names():
    dataset_kinds.add(_name, _source_kind(_name), help=sources.help(_name))


def pdf_path(data: BenchData, doc_id: str) -> str | None:
    """The PDF of a document inside the dataset (or, for a workspace, the PDF it was extracted
    from); None when there is none. Paths from records never leave the dataset folder except
    a workspace's own extracted sources."""
    root = Path(data.path).resolve()
    inside = [(root / "pdfs" / f"{doc_id}.pdf").resolve()]
    if data.kind == "workspace" and (made := producer(root, "documents")) is not None:
        inside.append((made.path / "pdfs" / f"{doc_id}.pdf").resolve())  # rendered by ingest
    candidates = [p for p in inside if root in p.parents]
    if data.kind == "workspace":  # abstab extract wrote this source path itself
        candidates.insert(0, Path(data.docs[doc_id].source).resolve())
    for p in candidates:
        if p.suffix.lower() == ".pdf" and p.is_file():
            return str(p)
    return None
