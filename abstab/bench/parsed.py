"""The parser axis: score the same questions over tables a parser read from each document's PDF.

``abstab bench DATASET --tables-from SOURCE`` swaps every document's gold tables for the tables
SOURCE gives, for every system. SOURCE is either

- a registered extraction engine (``abstab engines list``: ``auto``, ``pymupdf``,
  ``camelot-lattice``, ``camelot-stream`` …): the document's PDF is extracted by the extract
  stage's own machinery (one bounded child process per PDF, with its timeout and memory cap)
  into ``OUT/parsed/<engine>/extract/``, so a rerun over the same PDFs extracts nothing; or
- a folder of tables another tool produced, laid out as (see :data:`DIR_FORMATS`)::

      DIR/<doc_id>/page-<N>.md     GitHub pipe tables found on page N (1-based)
      DIR/<doc_id>/page-<N>.html   <table> elements found on page N
      DIR/<doc_id>.json            docling's JSON export of the whole document (DoclingDocument)

  Markdown: the table's header row is a header row; a following row whose non-empty cells
  are all bold (``**text**``) is one too, and so is the first column when all its non-empty
  body cells are bold (row headers). The paragraph right before a table is its caption.
  HTML: rows in ``<thead>`` or made of ``<th>`` cells only, at the top, are header rows; a
  ``<th>`` in a body row is a row header; ``colspan``/``rowspan`` are honoured; ``<caption>``
  is the caption; scripts, styles and comments are ignored (nothing is run or fetched).
  Docling: ``tables[].data.table_cells`` (offsets, spans, ``column_header``, ``row_header``),
  the page of ``prov[0].page_no`` and the caption texts its ``captions`` refer to.

Every file is hostile: it is read only inside DIR (no absolute path, ``..`` or symlink out),
at most :data:`MAX_FILE_BYTES` bytes, at most :data:`MAX_CELLS` cells and :data:`MAX_SPAN`
rows or columns a cell spans; a file breaking a rule, or a file the layout does not name, is an
error (exit 2) naming it and the rule.

Item evidence refers to gold tables, so a system over parsed tables finds its table by place
and content, never by gold coordinates: the item's tables are the parsed tables on the gold
table's pages (the document's when none is there; :meth:`ParsedTables.for_item`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from abstab import __version__
from abstab.bench.data import ParsedTables, pdf_path
from abstab.config import stable_hash
from abstab.errors import ConfigError
from abstab.records import MAX_ID_LENGTH, Cell, Provenance, Table, safe_id

__all__ = ["DIR_FORMATS", "MAX_CELLS", "MAX_FILE_BYTES", "MAX_SPAN", "ParsedTables",
           "TableDirError", "parse_docling", "parse_html", "parse_markdown", "parsed_data",
           "read_table_dir", "table_source", "with_parsed_tables"]

MAX_FILE_BYTES = 20 * 2**20
"""The largest table file read (20 MiB)."""
MAX_CELLS = 200_000
"""The most grid slots one table may have."""
MAX_SPAN = 1000
"""The most rows or columns one cell may span."""

_PAGE_FILE = re.compile(r"^page-([1-9][0-9]{0,5})\.(md|html|htm)$")
_LABEL = re.compile(r"[^A-Za-z0-9._+-]+")


class TableDirError(ConfigError):
    """A file of a ``--tables-from`` folder breaks the layout or a limit."""


def table_source(value: str) -> tuple[str, Path | None]:
    """``--tables-from VALUE`` as (label, folder): a registered engine's name gives (name,
    None); an existing folder gives (its name, the folder).

    Raises:
        ConfigError: VALUE is neither; the message lists the engines.
    """
    from abstab.registry import engines

    if value in engines:
        return engines.canonical(value), None
    path = Path(value)
    if path.is_dir():
        label = _LABEL.sub("-", path.resolve().name).strip("-")[:40] or "dir"
        return (f"dir-{label}" if label in engines or label == "gold" else label), path
    raise ConfigError(f"--tables-from {value}: neither an extraction engine "
                      f"({', '.join(engines.names())}) nor a folder of tables "
                      f"(DIR/<doc_id>/page-<N>.md|.html or DIR/<doc_id>.json)")


def with_parsed_tables(data: Any, parsed: ParsedTables) -> Any:
    """A copy of the :class:`~abstab.bench.data.BenchData` ``data`` whose tables are the
    parsed ones. Items about a table the PDF does not print (an abstracted copy made from a
    document's table) cannot be asked over parsed tables: they are left out, with a note."""
    printed = [i for i in data.items
               if i.table_id is None or data.tables.get(i.table_id) is None
               or data.tables[i.table_id].derived_from is None]
    left = len(data.items) - len(printed)
    if left:
        parsed.notes.append(f"{left} item(s) ask about an abstracted copy of a table that the "
                            f"PDF does not print: not scored over {parsed.label} tables")
    tables = {t.table_id: t for ts in parsed.by_doc.values() for t in ts}
    return dataclasses.replace(data, tables=tables, items=printed, parsed=parsed)


# ------------------------------------------------------------------------- from a PDF


def extract_tables(data: Any, engine: str, out: Path, executor: Any = None,
                   force: bool = False) -> ParsedTables:
    """The tables ``engine`` extracts from the PDFs of the documents ``data``'s items are on,
    through the extract stage into ``out/parsed/<engine>`` (a rerun over the same PDFs is up
    to date).

    Raises:
        ConfigError: a document has no PDF (the message names it and how to get one).
    """
    from abstab.records import Document
    from abstab.release.paths import sha256_file
    from abstab.stages.extract import ExtractStage

    doc_ids = sorted({i.doc_id for i in data.items})
    pdfs: dict[str, str] = {}
    missing = []
    for doc_id in doc_ids:
        p = pdf_path(data, doc_id)
        if p is None:
            missing.append(doc_id)
        else:
            pdfs[doc_id] = p
    if missing:
        fix = ("bench the workspace or a release made with its PDFs (`abstab release WORK -o "
               "REL` keeps PDFs whose license allows it; a dataset pipeline needs render_pdf: "
               "true)")
        what = ("has no PDFs" if len(missing) == len(doc_ids)
                else f"lacks the PDF of {len(missing)} of its {len(doc_ids)} documents "
                     f"(first: {missing[0]})")
        raise ConfigError(f"{data.path}: the {data.kind} {what}; --tables-from {engine} reads "
                          f"tables from each document's PDF: {fix}, or give --tables-from DIR")
    stage = ExtractStage(Path(out) / "parsed" / engine,
                         {"inputs": sorted(set(pdfs.values())), "engine": engine})
    report = stage.run(force=force, executor=executor)
    by_sha: dict[str, str] = {}
    for d in stage.dir.read("documents", Document):
        by_sha[d.sha256] = d.doc_id
    extracted: dict[str, list[Table]] = {}
    for t in stage.dir.read("tables", Table):
        extracted.setdefault(t.doc_id, []).append(t)
    by_doc: dict[str, list[Table]] = {}
    failed = []
    shas: dict[str, str] = {}
    for doc_id, p in pdfs.items():
        sha = shas.get(p) or shas.setdefault(p, sha256_file(Path(p)))
        if sha not in by_sha:
            failed.append(doc_id)
        by_doc[doc_id] = [_renamed(t, doc_id, engine, n)
                          for n, t in enumerate(extracted.get(by_sha.get(sha, ""), []))]
    notes = []
    if failed:
        notes.append(f"{engine}: {len(failed)} PDF(s) could not be extracted (their items "
                     f"get no table); see {stage.dir.path}/errors.jsonl")
    if report.status == "ran":
        notes.append(f"{engine}: extracted {len(pdfs)} PDF(s) into {stage.dir.path}")
    return ParsedTables(engine, by_doc, _gold_pages(data), notes)


def _renamed(table: Table, doc_id: str, label: str, n: int) -> Table:
    """``table`` as the ``n``-th parsed table of dataset document ``doc_id``."""
    tid = safe_id(f"{doc_id}#{label}-{n}", MAX_ID_LENGTH)
    return table.model_copy(update={"table_id": tid, "doc_id": doc_id, "derived_from": None,
                                    "nearby_block_ids": []})


def _gold_pages(data: Any) -> dict[str, list[int]]:
    return {t.table_id: list(t.pages) for t in data.tables.values()}


# -------------------------------------------------------------------- from a folder


def read_table_dir(data: Any, folder: Path, label: str) -> ParsedTables:
    """The tables of ``folder`` (the layout of the module docstring) for ``data``'s documents.

    Raises:
        TableDirError: a file breaks the layout or a limit (named with the rule).
        ConfigError: the folder has tables of none of the dataset's documents.
    """
    from abstab.sources import OutsideDatasetError, inside

    root = Path(folder).resolve()
    prov = Provenance(stage="bench-parsed", abstab_version=__version__,
                      config_hash=stable_hash([label]), engine=label)
    wanted = sorted({i.doc_id for i in data.items})
    by_doc: dict[str, list[Table]] = {}
    for doc_id in wanted:
        try:
            sub, js = inside(root, doc_id), inside(root, f"{doc_id}.json")
        except OutsideDatasetError as exc:
            raise TableDirError(f"--tables-from {folder}: {exc}; tables are read only inside "
                                "the folder") from None
        if sub.exists() and js.exists():
            raise TableDirError(f"{folder}: both {doc_id}/ and {doc_id}.json hold tables of "
                                f"document {doc_id}; keep one")
        raw: list[tuple[int, list[Table]]] = []
        if js.exists():
            raw.append((0, parse_docling(_read(js, root), str(js), doc_id, prov)))
        elif sub.is_dir():
            for f in sorted(sub.iterdir(), key=lambda p: p.name):
                m = _PAGE_FILE.match(f.name)
                if m is None:
                    raise TableDirError(f"{f}: not a table file of the layout; name it "
                                        "page-<N>.md or page-<N>.html (N: its 1-based page)")
                try:
                    inside(root, f"{doc_id}/{f.name}")
                except OutsideDatasetError as exc:
                    raise TableDirError(f"{f}: {exc}; not read") from None
                parse = DIR_FORMATS[m.group(2)]
                raw.append((int(m.group(1)),
                            parse(_read(f, root), str(f), doc_id, int(m.group(1)), prov)))
        if raw:
            raw.sort(key=lambda x: x[0])
            tables = [t for _, ts in raw for t in ts]
            by_doc[doc_id] = [t.model_copy(update={
                "table_id": safe_id(f"{doc_id}#{label}-{n}", MAX_ID_LENGTH)})
                for n, t in enumerate(tables)]
    if not by_doc:
        raise ConfigError(f"--tables-from {folder}: it holds tables of none of the "
                          f"{len(wanted)} documents scored (expected {folder}/<doc_id>/page-"
                          f"<N>.md|.html or {folder}/<doc_id>.json, e.g. doc_id {wanted[0]})")
    notes = []
    if len(by_doc) < len(wanted):
        notes.append(f"{label}: no tables for {len(wanted) - len(by_doc)} of {len(wanted)} "
                     "documents (their items get no table)")
    for doc_id in wanted:
        by_doc.setdefault(doc_id, [])
    return ParsedTables(label, by_doc, _gold_pages(data), notes)


def _read(path: Path, root: Path) -> str:
    """A file's text, if it is a regular file inside ``root`` of at most MAX_FILE_BYTES."""
    if path.is_symlink() and not path.resolve().is_relative_to(root):
        raise TableDirError(f"{path}: a symlink out of the tables folder; not read")
    if not path.is_file():
        raise TableDirError(f"{path}: not a regular file; the layout holds files only")
    with path.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise TableDirError(f"{path}: larger than {MAX_FILE_BYTES // 2**20} MiB; a table file "
                            "is far smaller: split it by page or check the file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TableDirError(f"{path}: not UTF-8 text ({exc}); save it as UTF-8") from None


def _table(slots: list[tuple[int, int, int, int, str, bool]], n_head: int, caption: str | None,
           where: str, doc_id: str, page: int, prov: Provenance) -> Table | None:
    """A Table record of cells given as (row, col, row_span, col_span, text, header); slots no
    cell covers become empty cells. None for a table without cells."""
    if not slots:
        return None
    nrows = max(r + rs for r, _, rs, _, _, _ in slots)
    ncols = max(c + cs for _, c, _, cs, _, _ in slots)
    if nrows * ncols > MAX_CELLS:
        raise TableDirError(f"{where}: a table of {nrows} × {ncols} slots, more than "
                            f"{MAX_CELLS}; not a table a report prints")
    covered: set[tuple[int, int]] = set()
    cells = []
    for r, c, rs, cs, text, header in slots:
        cells.append(Cell(row=r, col=c, row_span=rs, col_span=cs, text=" ".join(text.split()),
                          header=header or r < n_head))
        covered.update((rr, cc) for rr in range(r, r + rs) for cc in range(c, c + cs))
    cells += [Cell(row=r, col=c, text="", header=r < n_head)
              for r in range(nrows) for c in range(ncols) if (r, c) not in covered]
    cells.sort(key=lambda x: (x.row, x.col))
    body = [x for x in cells if x.row >= n_head]
    empty = sum(1 for x in body if not x.text) / max(len(body), 1)
    return Table.from_cells(cells, n_head, empty_ratio=round(empty, 4), numeric_header_ratio=0.0,
                            confidence=1.0, table_id="pending", doc_id=doc_id, pages=[page],
                            bbox=[0.0, 0.0, 0.0, 0.0], engine=prov.engine or "parsed",
                            caption=caption or None, provenance=prov)


# ------------------------------------------------------------------------- markdown


def parse_markdown(text: str, where: str, doc_id: str, page: int,
                   prov: Provenance) -> list[Table]:
    """The pipe tables of one page's Markdown (conventions in the module docstring)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    out: list[Table] = []
    caption: str | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "paragraph_open":
            caption = _inline_text(tokens[i + 1].children or [])[0]
            i += 3
            continue
        if tok.type != "table_open":
            caption = None
            i += 1
            continue
        rows: list[list[tuple[str, bool]]] = []
        head_rows = 0
        i += 1
        while tokens[i].type != "table_close":
            t = tokens[i]
            if t.type == "tr_open":
                rows.append([])
            elif t.type in ("th_open", "td_open"):
                rows[-1].append(_inline_text(tokens[i + 1].children or []))
                head_rows += t.type == "th_open" and len(rows[-1]) == 1
            i += 1
        i += 1
        n_head = head_rows + _bold_rows(rows[head_rows:])
        stub = all(bold for row in rows[n_head:] for txt, bold in row[:1] if txt) and \
            any(txt for row in rows[n_head:] for txt, _ in row[:1])
        slots = [(r, c, 1, 1, txt, r < n_head or (stub and c == 0))
                 for r, row in enumerate(rows) for c, (txt, _) in enumerate(row)]
        table = _table(slots, n_head, caption, where, doc_id, page, prov)
        if table is not None:
            out.append(table)
        caption = None
    return out


def _bold_rows(rows: list[list[tuple[str, bool]]]) -> int:
    """How many top rows have non-empty cells, all bold."""
    n = 0
    for row in rows:
        if not any(txt for txt, _ in row) or not all(bold for txt, bold in row if txt):
            break
        n += 1
    return n


def _inline_text(children: list[Any]) -> tuple[str, bool]:
    """An inline token's plain text, and whether all of it is bold."""
    parts: list[str] = []
    depth, bold, plain = 0, False, False
    for c in children:
        if c.type == "strong_open":
            depth += 1
        elif c.type == "strong_close":
            depth -= 1
        elif c.type in ("text", "code_inline"):
            if c.content.strip():
                bold, plain = bold or depth > 0, plain or depth == 0
            parts.append(c.content)
        elif c.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split()), bold and not plain


# ----------------------------------------------------------------------------- HTML

_IGNORED = ("script", "style", "template", "noscript", "iframe", "object", "embed")


def parse_html(text: str, where: str, doc_id: str, page: int, prov: Provenance) -> list[Table]:
    """The ``<table>`` elements of one page's HTML (conventions in the module docstring);
    a table inside a table cell is read as that cell's text."""
    import lxml.etree
    import lxml.html

    if not text.strip():
        return []
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True,
                                  huge_tree=False)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise TableDirError(f"{where}: not HTML lxml can read ({exc})") from None
    for bad in root.xpath("|".join(f"//{t}" for t in _IGNORED)):
        bad.drop_tree()
    out = []
    for element in root.xpath("//table[not(ancestor::table)]"):
        rows = element.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
        taken: set[tuple[int, int]] = set()
        slots = []
        n_head, top = 0, True
        for r, tr in enumerate(rows):
            cells = tr.xpath("./th | ./td")
            in_head = tr.getparent().tag == "thead" or (bool(cells) and all(
                c.tag == "th" for c in cells))
            if top and in_head:
                n_head += 1
            else:
                top = False
            c = 0
            for cell in cells:
                while (r, c) in taken:
                    c += 1
                rs, cs = _span(cell, "rowspan", where), _span(cell, "colspan", where)
                if (r + rs) * (c + cs) > MAX_CELLS:
                    raise TableDirError(f"{where}: a cell reaching row {r + rs}, column "
                                        f"{c + cs}: more than {MAX_CELLS} slots")
                rs = min(rs, len(rows) - r)  # a rowspan past the last row ends there
                taken.update((rr, cc) for rr in range(r, r + rs) for cc in range(c, c + cs))
                slots.append((r, c, rs, cs, cell.text_content(), cell.tag == "th"))
                c += cs
        cap = element.xpath("./caption")
        caption = " ".join(cap[0].text_content().split()) if cap else None
        table = _table(slots, n_head, caption, where, doc_id, page, prov)
        if table is not None:
            out.append(table)
    return out


def _span(cell: Any, attr: str, where: str) -> int:
    raw = (cell.get(attr) or "1").strip()
    try:
        value = int(raw)
    except ValueError:
        return 1  # browsers read a span that is not a number as 1
    if value > MAX_SPAN:
        raise TableDirError(f"{where}: a cell with {attr}={value}, more than {MAX_SPAN}; "
                            "not a table a report prints")
    return max(value, 1)


# --------------------------------------------------------------------------- docling


def parse_docling(text: str, where: str, doc_id: str, prov: Provenance) -> list[Table]:
    """The tables of a docling JSON export (DoclingDocument: ``tables[].data.table_cells``
    with row/column offsets and header flags, ``prov[0].page_no``, ``captions`` refs into
    ``texts``)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TableDirError(f"{where}: not JSON ({exc})") from None
    except RecursionError:
        raise TableDirError(f"{where}: JSON nested too deeply to be a docling export") from None
    if not isinstance(doc, dict) or doc.get("schema_name") != "DoclingDocument":
        raise TableDirError(f"{where}: not a docling export (schema_name is not "
                            "DoclingDocument); export it with docling's "
                            "`DoclingDocument.save_as_json`")
    texts: list[Any] = doc["texts"] if isinstance(doc.get("texts"), list) else []
    out = []
    for n, item in enumerate(_list(doc.get("tables"), f"{where}: tables")):
        at = f"{where}: tables[{n}]"
        data = item.get("data") if isinstance(item, dict) else None
        if not isinstance(data, dict):
            raise TableDirError(f"{at}: no 'data' object")
        nrows, ncols = _int(data.get("num_rows", 0), f"{at}.num_rows"), \
            _int(data.get("num_cols", 0), f"{at}.num_cols")
        if nrows * ncols > MAX_CELLS:
            raise TableDirError(f"{at}: {nrows} × {ncols} slots, more than {MAX_CELLS}")
        grid: dict[tuple[int, int], dict[str, Any]] = {}
        for k, cell in enumerate(_list(data.get("table_cells"), f"{at}.data.table_cells")):
            if not isinstance(cell, dict) or not isinstance(cell.get("text", ""), str):
                raise TableDirError(f"{at}.data.table_cells[{k}]: not a cell with a text")
            r0, r1, c0, c1 = (_int(cell.get(f"{e}_{a}_offset_idx"), f"{at}.data.table_cells[{k}]")
                              for a in ("row", "col") for e in ("start", "end"))
            r0, c0 = min(r0, nrows), min(c0, ncols)
            r1, c1 = min(max(r1, r0 + 1), nrows), min(max(c1, c0 + 1), ncols)
            if r0 < r1 and c0 < c1:
                grid.setdefault((r0, c0), {**cell, "_rs": r1 - r0, "_cs": c1 - c0})
        head = 0
        for r in range(nrows):
            row = [c for (rr, _), c in grid.items() if rr == r and c.get("text", "").strip()]
            if not row or not all(c.get("column_header") for c in row):
                break
            head += 1
        slots = [(r, c, x["_rs"], x["_cs"], x.get("text", ""),
                  bool(x.get("column_header") or x.get("row_header")))
                 for (r, c), x in sorted(grid.items())]
        page = 1
        provs = item.get("prov")
        if isinstance(provs, list) and provs and isinstance(provs[0], dict):
            page = max(_int(provs[0].get("page_no", 1), f"{at}.prov[0].page_no"), 1)
        caption = " ".join(_ref_text(ref, texts) for ref in _list(item.get("captions", []),
                                                                  f"{at}.captions")).strip()
        table = _table(slots, head, caption, at, doc_id, page, prov)
        if table is not None:
            out.append(table)
    return out


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TableDirError(f"{where}: expected a list")
    return value


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TableDirError(f"{where}: expected a non-negative integer, got {value!r}")
    return value


def _ref_text(ref: Any, texts: list[Any]) -> str:
    """The text a docling ``{"$ref": "#/texts/N"}`` points to ('' for any other ref)."""
    m = re.fullmatch(r"#/texts/(\d{1,9})", ref.get("$ref", "") if isinstance(ref, dict) else "")
    if m is None or int(m.group(1)) >= len(texts) or not isinstance(texts[int(m.group(1))], dict):
        return ""
    value = texts[int(m.group(1))].get("text", "")
    return value if isinstance(value, str) else ""


DIR_FORMATS: dict[str, Callable[[str, str, str, int, Provenance], list[Table]]] = {
    "md": parse_markdown, "html": parse_html, "htm": parse_html}
"""Page-file suffix → its reader (``DIR/<doc_id>/page-<N>.<suffix>``); docling exports are
``DIR/<doc_id>.json`` (:func:`parse_docling`)."""


def parsed_data(data: Any, value: str, out: Path, executor: Any = None,
                force: bool = False) -> Any:
    """``data`` over the tables ``--tables-from VALUE`` gives (an engine run on each
    document's PDF into ``out``, or a folder of tables).

    Raises:
        ConfigError: VALUE is neither, the dataset has no PDFs for an engine, or the folder
            breaks the layout.
    """
    label, folder = table_source(value)
    parsed = (extract_tables(data, label, out, executor, force) if folder is None
              else read_table_dir(data, folder, label))
    return with_parsed_tables(data, parsed)
