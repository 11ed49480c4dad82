"""``abstab validate RELEASE``: is a release whole, consistent and grounded?

Checks, each problem naming the file, the item (or table/document) id and the fix:

- layout: the card, checksums, Croissant metadata, stats and schemas are there;
- checksums: every file matches SHA256SUMS, and no file is unlisted;
- schema: each parquet file has the release's columns, and each row validates against the
  record's JSON Schema shipped in ``schemas/`` (and the record model);
- ids: item, table and document ids are unique;
- splits: every document (with its tables and items) is in one split only, and each row's
  ``split`` is the split of the file it is in;
- grounding: every answer is where its evidence says (the cell at its coordinates, the char
  span of the document's text), definitions are at their char spans, tables and documents exist;
- implied clues: every controlled item whose code is only implied (``explained_by`` one of
  :data:`abstab.synth.clues.IMPLIED_KINDS`) has a clue that, re-derived from the released table
  and text, fits the code's column (row) and no other, and names no code;
- two tables: a question across two tables (``tables``) is recomputed from its evidence cells in both
  (:mod:`abstab.core.multitable`);
- card/data agreement: the YAML front matter (configs, files, split sizes, licenses) and
  stats.json agree with the data; the Croissant metadata's checksums and record sets too;
- containment: validate reads only regular files inside the release. A symbolic link (to a
  file or a folder) is a problem and is not followed; so is a path in ``SHA256SUMS``, the
  documents' ``pdf`` column or a Croissant ``contentUrl`` that is absolute or climbs out with
  ``..``. Files are hashed in chunks, so memory stays flat whatever their size.
"""

from __future__ import annotations

import fnmatch
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from abstab.core.grounding import grounding_problem
from abstab.records import RECORD_TYPES, Document, QAItem, Table, json_schema
from abstab.release.arrow import decode_row
from abstab.release.card import read_front_matter, size_category
from abstab.release.layout import CARD, CHECKSUMS, CONFIGS, CROISSANT, SPLITS, STATS
from abstab.release.licenses import known_licenses
from abstab.release.paths import regular_files, relative_inside, sha256_file
from abstab.synth.validate import implied_item_problem

REBUILD = "rebuild the release with `abstab release WORK -o RELEASE --force`"
OUTSIDE = "not a relative path inside the release, so it was not followed"


@dataclass(frozen=True)
class Problem:
    file: str
    item: str | None
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.item}" if self.item else self.file
        return f"{where}: {self.message}. Fix: {self.fix}"


@dataclass
class ValidationReport:
    path: Path
    problems: list[Problem]
    rows: dict[str, int]
    notes: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its local ``$ref``s replaced by their definitions (the records' schemas
    are not recursive): jsonschema then validates without resolving a reference per value,
    about 10x faster."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {"$ref"} and node["$ref"].startswith("#/$defs/"):
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)  # type: ignore[no-any-return]


class _Validator:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        # config → list of (file, split, decoded row)
        self.rows: dict[str, list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
        # The release's regular files (relative paths), reached without following a link:
        # the only files any check opens.
        self.files: set[str] = set()

    def add(self, file: str, item: str | None, message: str, fix: str) -> None:
        self.problems.append(Problem(file, item, message, fix))

    # -- files ---------------------------------------------------------------------------

    def layout(self) -> bool:
        if not self.root.is_dir():
            self.add(str(self.root), None, "not a folder", "give the release folder written by "
                     "`abstab release`")
            return False
        self.files, links = regular_files(self.root)
        for rel in links:
            self.add(rel, None, "a symbolic link: a release holds files only, and validate "
                     "does not follow links", "replace the link by the file itself; or " + REBUILD)
        for name in (CARD, CHECKSUMS, STATS, CROISSANT):
            if name not in self.files:
                self.add(name, None, "missing", REBUILD)
        for cfg in CONFIGS.values():
            if f"schemas/{cfg.record}.json" not in self.files:
                self.add(f"schemas/{cfg.record}.json", None, "missing", REBUILD)
        return True

    def _inside(self, entry: str) -> str | None:
        """``entry`` (a path a release file names) when it is one of the release's regular
        files; None when it is missing or outside (the caller says which)."""
        rel = relative_inside(entry)
        return rel if rel in self.files else None

    def checksums(self) -> None:
        if CHECKSUMS not in self.files:
            return
        listed: dict[str, str] = {}
        text = (self.root / CHECKSUMS).read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            digest, sep, entry = line.partition("  ")
            if not sep or len(digest) != 64:
                self.add(CHECKSUMS, None, f"line {n} is not `<sha256>  <path>`", REBUILD)
                continue
            rel = relative_inside(entry)
            if rel is None:
                self.add(CHECKSUMS, None, f"line {n}: {entry!r} is {OUTSIDE}", REBUILD)
                continue
            listed[rel] = digest
        for rel, digest in listed.items():
            p = self.root / rel
            if rel not in self.files:
                if not p.is_symlink():  # a link is reported once, where it was found
                    self.add(rel, None, "listed in SHA256SUMS but missing",
                             "restore it; or " + REBUILD)
            elif sha256_file(p) != digest:
                self.add(rel, self._owner(rel), "sha256 differs from SHA256SUMS: the file "
                         "changed after the release was made",
                         "restore the original file; or " + REBUILD)
        for rel in sorted(self.files):
            if rel != CHECKSUMS and rel not in listed:
                self.add(rel, None, "not listed in SHA256SUMS", "remove it; or " + REBUILD)

    def _owner(self, rel: str) -> str | None:
        if rel.startswith("pdfs/") and rel.endswith(".pdf"):
            return f"document {Path(rel).stem}"
        return None

    # -- parquet -------------------------------------------------------------------------

    def read(self) -> None:
        import pyarrow.parquet as pq

        for cname, cfg in CONFIGS.items():
            expected = cfg.arrow_schema
            for rel in sorted(f for f in self.files if f.startswith(f"{cname}/")
                              and f.endswith(".parquet") and f.count("/") == 1):
                p = self.root / rel
                split = p.name.split("-", 1)[0]
                if split not in SPLITS:
                    self.add(rel, None, f"file name does not start with a split "
                             f"({', '.join(SPLITS)})", REBUILD)
                    continue
                try:
                    table = pq.read_table(p)
                except Exception as exc:  # noqa: BLE001 - any parquet/arrow error: unreadable
                    self.add(rel, None, f"unreadable parquet ({type(exc).__name__}: {exc})",
                             "restore the original file; or " + REBUILD)
                    continue
                if not table.schema.equals(expected, check_metadata=False):
                    diff = sorted(set(map(str, table.schema)) ^ set(map(str, expected)))
                    self.add(rel, None, f"columns differ from the `{cname}` config's: "
                             f"{'; '.join(diff[:4])}", REBUILD)
                    continue
                for raw in table.to_pylist():
                    self.rows[cname].append((rel, split, decode_row(raw, expected)))

    def schema(self) -> None:
        """Each row against the record schema shipped in ``schemas/``. When that file is this
        abstab's own schema of the record (the usual case), the record model that generated
        it validates the rows (pydantic, fast); else jsonschema does, with the shipped file."""
        from jsonschema import Draft202012Validator

        for cname, cfg in CONFIGS.items():
            path = self.root / "schemas" / f"{cfg.record}.json"
            if f"schemas/{cfg.record}.json" not in self.files:
                continue
            shipped = json.loads(path.read_text())
            validator = None
            if shipped != json_schema(cfg.record):
                validator = Draft202012Validator(_inline_refs(shipped))
                self.notes.append(f"schemas/{cfg.record}.json differs from this abstab's "
                                  f"{cfg.record} schema: rows checked against the shipped file")
            fields = cfg.record_fields
            for rel, _split, row in self.rows[cname]:
                record = {k: row[k] for k in fields}
                rid = row.get(cfg.key)
                errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path)) \
                    if validator is not None else []
                if errors:
                    e = errors[0]
                    loc = ".".join(map(str, e.path)) or "(record)"
                    self.add(rel, f"{cfg.key} {rid}", f"not a valid {cfg.record} record: {loc}: "
                             f"{e.message}" + (f" (+{len(errors) - 1} more)" if len(errors) > 1
                                               else ""),
                             "restore the original row; or " + REBUILD)
                    row["_invalid"] = True
                    continue
                try:
                    RECORD_TYPES[cfg.record].model_validate(record)
                except ValidationError as exc:
                    err = exc.errors()[0]
                    loc = ".".join(map(str, err["loc"])) or "(record)"
                    self.add(rel, f"{cfg.key} {rid}", f"not a valid {cfg.record} record: {loc}: "
                             f"{err['msg']}", "restore the original row; or " + REBUILD)
                    row["_invalid"] = True

    def ids(self) -> None:
        for cname, cfg in CONFIGS.items():
            where: dict[str, list[str]] = defaultdict(list)
            for rel, _split, row in self.rows[cname]:
                where[str(row.get(cfg.key))].append(rel)
            for rid, files in where.items():
                if len(files) > 1:
                    self.add(", ".join(sorted(set(files))), f"{cfg.key} {rid}",
                             f"appears {len(files)} times", "keep one row per id; or " + REBUILD)

    def splits(self) -> None:
        for cname in CONFIGS:
            for rel, split, row in self.rows[cname]:
                if row.get("split") != split:
                    self.add(rel, f"{CONFIGS[cname].key} {row.get(CONFIGS[cname].key)}",
                             f"its split column says {row.get('split')!r} but it is in a "
                             f"{split} file", "put the row in the file of its split; or " + REBUILD)
        doc_splits: dict[str | None, dict[str, list[tuple[str, str]]]] = defaultdict(
            lambda: defaultdict(list))
        for cname, cfg in CONFIGS.items():
            for rel, split, row in self.rows[cname]:
                doc_splits[row.get("doc_id")][split].append((rel, f"{cfg.key} {row.get(cfg.key)}"))
        for doc_id, by_split in doc_splits.items():
            if len(by_split) < 2:
                continue
            # The documents config says where a document is; else most of its rows do.
            home = [s for s, members in by_split.items()
                    if any(m.startswith("doc_id ") for _r, m in members)]
            main = home[0] if len(home) == 1 else max(by_split, key=lambda s: len(by_split[s]))
            for split, members in sorted(by_split.items()):
                if split == main:
                    continue
                for rel, member in members:
                    self.add(rel, member,
                             f"document {doc_id} is in {main}, but this row is in {split}: "
                             "splits must be disjoint by document",
                             f"move it to the {main} split (or the whole document to {split}); "
                             "or " + REBUILD)

    def grounding(self) -> None:
        docs: dict[str, Document] = {}
        tables: dict[str, Table] = {}
        fields = {c: CONFIGS[c].record_fields for c in CONFIGS}
        for _rel, _s, row in self.rows["documents"]:
            if not row.get("_invalid"):
                docs[row["doc_id"]] = Document.model_validate({k: row[k] for k in fields["documents"]})
        for _rel, _s, row in self.rows["tables"]:
            if not row.get("_invalid"):
                tables[row["table_id"]] = Table.model_validate({k: row[k] for k in fields["tables"]})
        doc_license = {r["doc_id"]: r["license"] for _f, _s, r in self.rows["documents"]}
        licenses = known_licenses()
        for rel, _s, row in self.rows["items"]:
            if row.get("_invalid"):
                continue
            item = QAItem.model_validate({k: row[k] for k in fields["items"]})
            iid = f"item_id {item.item_id}"
            problem = grounding_problem(item, tables, docs)
            if problem:
                self.add(rel, iid, f"{problem}{self._cell_detail(item, tables)}",
                         "restore the item's answer or evidence; or " + REBUILD)
            doc = docs.get(item.doc_id)
            if doc is not None:
                self._spans(rel, iid, item, doc)
                self._implied(rel, iid, item, doc, tables.get(item.table_id or ""))
            lic = row["license"]
            if lic not in licenses or not licenses[lic].redistribute:
                self.add(rel, iid, f"license {lic!r} does not allow redistribution",
                         "remove the item; or rebuild the release without its source")
            elif item.doc_id in doc_license and doc_license[item.doc_id] != lic:
                self.add(rel, iid, f"license {lic} differs from its document's "
                         f"({doc_license[item.doc_id]})", REBUILD)
        for rel, _s, row in self.rows["documents"]:
            if row.get("pdf"):
                self._pdf(rel, row)

    @staticmethod
    def _cell_detail(item: QAItem, tables: dict[str, Table]) -> str:
        table = tables.get(item.table_id or "")
        # An item across tables names its cells in its problem (abstab.core.multitable).
        if table is None or not item.evidence.cells or item.tables:
            return ""
        r, c = item.evidence.cells[0]
        body = r - table.n_header_rows
        if 0 <= body < len(table.rows) and c < len(table.rows[body]):
            return (f" (answer {item.answer.text!r}; cell [{r}, {c}] of table {table.table_id} "
                    f"holds {table.rows[body][c]!r})")
        return f" (cell [{r}, {c}] is outside table {table.table_id})"

    def _spans(self, rel: str, iid: str, item: QAItem, doc: Document) -> None:
        """What grounding_problem leaves to the release: a text answer has an answer span,
        and every span lies inside its block."""
        if item.answer_location == "text" and not any(
                s.role == "answer" for s in item.evidence.spans):
            self.add(rel, iid, "a text answer without an answer span (char offsets)", REBUILD)
        blocks = {b.block_id: b for b in doc.blocks}
        for s in item.evidence.spans:
            block = blocks.get(s.block_id or "")
            if s.block_id and (block is None or not block.char_start <= s.char_start
                               <= s.char_end <= block.char_end):
                self.add(rel, iid, f"{s.role} span [{s.char_start}, {s.char_end}) lies outside "
                         f"its block {s.block_id}", REBUILD)

    def _implied(self, rel: str, iid: str, item: QAItem, doc: Document, table: Table | None
                 ) -> None:
        """An implied clue still singles out its header: re-derived from the released table and
        the document's text at the clue spans (:mod:`abstab.synth.clues`)."""
        problem = implied_item_problem(item, doc, table)
        if problem:
            self.add(rel, iid, f"implied clue ({item.abstraction.explained_by}): {problem}",
                     "restore the document's text and the table; or " + REBUILD)

    def _pdf(self, rel: str, row: dict[str, Any]) -> None:
        did = f"doc_id {row['doc_id']}"
        if relative_inside(row["pdf"]) is None:
            self.add(rel, did, f"its pdf {row['pdf']!r} is {OUTSIDE}", REBUILD)
            return
        pdf = self._inside(row["pdf"])
        if pdf is None:
            self.add(rel, did, f"its PDF {row['pdf']} is missing", "restore it; or " + REBUILD)
            return
        digest = sha256_file(self.root / pdf)
        if digest[:len(row["sha256"])] != row["sha256"]:
            n = sum(1 for _f, _s, r in self.rows["items"] if r.get("doc_id") == row["doc_id"])
            self.add(row["pdf"], did, f"the PDF's sha256 is not the document's "
                     f"({row['sha256']}); {n} item(s) are about this document",
                     "restore the original PDF; or " + REBUILD)

    # -- card, stats, croissant ----------------------------------------------------------

    def card(self) -> None:
        if CARD not in self.files:
            return
        meta = read_front_matter(self.root / CARD)
        if not meta:
            self.add(CARD, None, "no YAML front matter", REBUILD)
            return
        counts = {c: Counter(s for _f, s, _r in self.rows[c]) for c in CONFIGS}
        files = {c: sorted({f for f, _s, _r in self.rows[c]}) for c in CONFIGS}
        configs = {c.get("config_name"): c for c in meta.get("configs", [])}
        present = {c for c in CONFIGS if self.rows[c]}
        if set(configs) != present:
            self.add(CARD, None, f"configs {sorted(configs)} differ from the data's "
                     f"{sorted(present)}", REBUILD)
        for cname, conf in configs.items():
            for df in conf.get("data_files", []):
                matched = [f for f in files.get(cname, []) if fnmatch.fnmatch(f, df["path"])]
                if not matched:
                    self.add(CARD, f"config {cname}", f"data_files {df['path']} match no "
                             "readable parquet file", REBUILD)
        for info in meta.get("dataset_info", []):
            cname = info.get("config_name")
            for s in info.get("splits", []):
                have = counts.get(cname, Counter()).get(s["name"], 0)
                if s.get("num_examples") != have:
                    self.add(CARD, f"config {cname} split {s['name']}",
                             f"the card says {s.get('num_examples')} rows, the data has {have}",
                             REBUILD)
        licenses = known_licenses()
        used = {licenses[r["license"]].hf for _f, _s, r in self.rows["items"]
                if r.get("license") in licenses}
        card_licenses = meta.get("license")
        card_licenses = set([card_licenses] if isinstance(card_licenses, str) else
                            card_licenses or [])
        if used - card_licenses:
            self.add(CARD, None, f"licenses {sorted(used - card_licenses)} of items are not on "
                     f"the card ({sorted(card_licenses)})", REBUILD)
        n_items = len(self.rows["items"])
        if meta.get("size_categories") != [size_category(n_items)]:
            self.add(CARD, None, f"size_categories {meta.get('size_categories')} do not fit "
                     f"{n_items} items", REBUILD)
        self._stats(counts)

    def _stats(self, counts: dict[str, Counter[str]]) -> None:
        path = self.root / STATS
        if STATS not in self.files:
            return
        stats = json.loads(path.read_text())
        for cname, by_split in counts.items():
            if dict(by_split) != stats.get("rows", {}).get(cname, {}):
                self.add(STATS, f"config {cname}", f"rows {stats.get('rows', {}).get(cname)} "
                         f"differ from the data's {dict(sorted(by_split.items()))}", REBUILD)
        items = [r for _f, _s, r in self.rows["items"]]
        actual = {"answer_location": Counter(r["answer_location"] for r in items),
                  "style": Counter(r["abstraction"]["style"] for r in items)}
        for key, counter in actual.items():
            if dict(counter) != stats.get("by", {}).get(key):
                self.add(STATS, None, f"{key} counts {stats.get('by', {}).get(key)} differ from "
                         f"the data's {dict(sorted(counter.items()))}", REBUILD)

    def croissant(self) -> None:
        path = self.root / CROISSANT
        if CROISSANT not in self.files:
            return
        try:
            meta = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            self.add(CROISSANT, None, f"not JSON ({exc})", REBUILD)
            return
        outside = False
        for d in meta.get("distribution", []):
            if d.get("@type") != "cr:FileObject":
                continue
            url = str(d.get("contentUrl", ""))
            rel = self._inside(url)
            if relative_inside(url) is None:
                outside = True
                self.add(CROISSANT, d.get("@id"), f"contentUrl {url!r} is {OUTSIDE}", REBUILD)
            elif rel is None:
                self.add(CROISSANT, d.get("@id"), "file listed in distribution is missing",
                         REBUILD)
            elif sha256_file(self.root / rel) != d.get("sha256"):
                self.add(CROISSANT, d.get("@id"), "sha256 differs from the file's", REBUILD)
        sets = {r.get("name") for r in meta.get("recordSet", [])}
        present = {c for c in CONFIGS if self.rows[c]}
        if sets != present:
            self.add(CROISSANT, None, f"record sets {sorted(sets)} differ from the data's "
                     f"configs {sorted(present)}", REBUILD)
        try:
            import mlcroissant as mlc
        except ImportError:
            self.notes.append("Croissant checked for files and checksums only; for the full "
                              "check: pip install 'abstab[croissant]'")
            return
        if outside:  # mlcroissant would follow the path
            return
        try:
            mlc.Dataset(jsonld=str(path))
        except Exception as exc:  # noqa: BLE001 - mlcroissant raises ValidationError and others
            self.add(CROISSANT, None, f"mlcroissant rejects it: {str(exc).strip()[:300]}",
                     REBUILD)


def validate_release(root: Path) -> ValidationReport:
    """Run every check on the release at ``root`` (see the module docstring)."""
    v = _Validator(Path(root))
    if v.layout():
        v.checksums()
        v.read()
        v.schema()
        v.ids()
        v.splits()
        v.grounding()
        v.card()
        v.croissant()
    return ValidationReport(Path(root), v.problems,
                            {c: len(v.rows[c]) for c in CONFIGS}, v.notes)

