"""``abstab release WORK -o RELEASE``: package an assembled workspace as a dataset release.

Reads the records of WORK (documents and tables from every stage that wrote them, the assembled
items, the judgments and resolutions), leaves out what may not be redistributed, and writes the
layout described in :mod:`abstab.release.layout`. The release is built in a staging folder
beside RELEASE and swapped in by rename at the end, so a failed release never leaves half a
folder; :mod:`abstab.release.output` says which RELEASE folders it refuses or may replace.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from abstab import __version__
from abstab.core.grounding import grounding_problem
from abstab.errors import ConfigError
from abstab.records import Document, Judgment, QAItem, Resolution, Table, json_schema
from abstab.release import RELEASE_NEEDS, require
from abstab.release.grounding import with_spans
from abstab.release.layout import (
    CHECKSUMS,
    CONFIGS,
    SPLITS,
    STATS,
    Config,
    json_dumps,
)
from abstab.release.licenses import Licensed, LicenseResolver
from abstab.release.output import Staging, check_output
from abstab.release.paths import regular_files, sha256_file
from abstab.store import StageDir, producer, read_kind, reading_workspace

_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")


@dataclass
class ReleaseSettings:
    """Settings of ``abstab release``.

    Args:
        name: the dataset's pretty name on its card (default: the workspace folder's name,
            with a warning among the report's messages).
        homepage: the dataset's home page (card, Croissant ``url``).
        repo_id: the Hugging Face dataset repository (``owner/name``) it will be published as.
        citation: CITATION.cff or .bib file (default: WORK/CITATION.cff, else a generated entry).
        card_fragment: markdown of the authors' own, merged into the card under its summary.
        languages: ISO 639-1 codes of the documents' and questions' language.
        licenses: ``GLOB=SPDX`` rules declaring the license of documents whose source path
            matches GLOB; tried before the shipped table of known sources.
        pdfs: copy each document's PDF into the release where its license allows.
        figures: draw the PNG figures (needs matplotlib, extra ``release``).
        browse_max_items: items embedded in browse.html (the page holds them in memory).
    """

    name: str | None = None
    homepage: str | None = None
    repo_id: str | None = None
    citation: Path | None = None
    card_fragment: Path | None = None
    languages: list[str] = field(default_factory=lambda: ["en"])
    licenses: list[str] = field(default_factory=list)
    pdfs: bool = True
    figures: bool = True
    browse_max_items: int = 5000

    def __post_init__(self) -> None:
        if self.browse_max_items < 1:
            raise ConfigError(f"browse_max_items must be >= 1, got {self.browse_max_items}")
        if self.repo_id is not None and not _REPO_ID.fullmatch(self.repo_id):
            raise ConfigError(f"--repo-id {self.repo_id!r} is not a Hugging Face repository id; "
                              "give OWNER/NAME, e.g. --repo-id my-lab/abstab-reports")
        if self.homepage is not None and not self.homepage.startswith(("https://", "http://")):
            raise ConfigError(f"--homepage {self.homepage!r} is not a web address; give one "
                              "starting with https://")
        bad = [c for c in self.languages if not _LANGUAGE.fullmatch(c)]
        if bad:
            raise ConfigError(f"--language {bad[0]!r} is not an ISO 639-1 code; give a code "
                              "such as en, fr or de")
        if self.card_fragment is not None and not Path(self.card_fragment).is_file():
            raise ConfigError(f"--card-fragment {self.card_fragment}: no such file; pass a "
                              "markdown file")

    @property
    def url(self) -> str | None:
        """The dataset's address: its home page, else its Hugging Face repository."""
        if self.homepage:
            return self.homepage
        return f"https://huggingface.co/datasets/{self.repo_id}" if self.repo_id else None


@dataclass
class ReleaseReport:
    path: Path
    counts: dict[str, dict[str, int]]  # config → split → rows
    left_out: list[dict[str, Any]]  # {"doc_id", "source", "items", "reason"}
    messages: list[str]
    failures: int  # items left out because something is wrong with them (not a license)
    seconds: float
    bytes: int


@dataclass
class Workspace:
    """The records of an assembled workspace that a release needs."""

    path: Path
    documents: dict[str, Document]
    tables: dict[str, Table]
    items: list[QAItem]
    judgments: dict[str, Judgment]
    resolutions: dict[tuple[str, int, str], Resolution]
    stats: dict[str, dict[str, Any]]
    markers: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, work: Path) -> Workspace:
        with reading_workspace(work):
            return cls._load(Path(work))

    @classmethod
    def _load(cls, work: Path) -> Workspace:
        assemble = producer(work, "dataset_items")
        if assemble is None:
            raise ConfigError(f"{work}: no finished assemble stage (no {work / 'assemble'}/"
                              f"done.json); run `abstab synth -p PIPELINE -o {work}` or `abstab "
                              f"assemble {work}` first")
        # Stages in the order they ran.
        done = [sd for p in sorted(work.iterdir()) if p.is_dir()
                and (sd := StageDir(work, p.name, ())).is_done()]
        done.sort(key=lambda sd: (sd.marker() or {}).get("finished", 0))
        stats = {sd.stage: sd.stats() for sd in done}
        markers = {sd.stage: sd.marker() or {} for sd in done}
        documents: dict[str, Document] = {}
        for d in read_kind(work, "documents"):
            documents.setdefault(d.doc_id, d)
        tables: dict[str, Table] = {}
        # Later kinds win: the assembled tables are the released ones.
        for kind in ("tables", "derived_tables", "dataset_tables"):
            tables.update((t.table_id, t) for t in read_kind(work, kind))
        return cls(
            path=work, documents=documents, tables=tables,
            items=list(assemble.records("dataset_items")),
            judgments={j.table_id: j for j in read_kind(work, "judgments")},
            resolutions={(r.table_id, r.column, r.keyword): r
                         for r in read_kind(work, "resolutions")},
            stats=stats, markers=markers)


def _abstract_headers(table: Table, judgment: Judgment | None, items: list[QAItem],
                      resolutions: dict[tuple[str, int, str], Resolution]) -> list[dict[str, Any]]:
    """The table's abstract header cells: from the judge (document tables) and from the
    items' keyword links (controlled tables, which are abstracted by construction)."""
    out: dict[tuple[int, int, str], dict[str, Any]] = {}
    if judgment is not None:
        for k in judgment.keywords:
            res = resolutions.get((table.table_id, k.col, k.keyword))
            out[(k.row, k.col, k.keyword)] = {
                "row": k.row, "col": k.col, "keyword": k.keyword, "style": k.style,
                "meaning": res.expansion if res else None,
                "category": res.category if res else None}
    for item in items:
        for link in item.keywords:
            if link.column is None:
                continue
            rows = [r for r in range(len(table.header_rows) - 1, -1, -1)
                    if link.column < len(table.header_rows[r])
                    and link.abstract in table.header_rows[r][link.column]]
            if not rows:
                continue
            key = (rows[0], link.column, link.abstract)
            entry = out.setdefault(key, {"row": rows[0], "col": link.column,
                                         "keyword": link.abstract, "style": None,
                                         "meaning": None, "category": None})
            entry["style"] = entry["style"] or item.abstraction.style
            entry["meaning"] = entry["meaning"] or link.detailed
            entry["category"] = entry["category"] or link.category
    return [out[k] for k in sorted(out)]


def _write_parquet(rows_by_split: dict[str, list[dict[str, Any]]], config: Config,
                   out: Path) -> tuple[dict[str, int], dict[str, dict[str, int]], list[str]]:
    """Write one config's parquet shards. Returns rows per split, sizes per split, files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from abstab.release.arrow import encode_row

    schema = config.arrow_schema
    counts, sizes, files = {}, {}, []
    for split in SPLITS:
        rows = rows_by_split.get(split, [])
        if not rows:
            continue
        n_shards = max(1, math.ceil(len(rows) / config.rows_per_shard))
        nbytes = 0
        for i in range(n_shards):
            chunk = rows[i * config.rows_per_shard:(i + 1) * config.rows_per_shard]
            table = pa.Table.from_pylist([encode_row(r, schema) for r in chunk], schema=schema)
            rel = config.shard_path(split, i, n_shards)
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, out / rel, compression="zstd")
            files.append(rel)
            nbytes += table.nbytes
        counts[split] = len(rows)
        sizes[split] = {"num_bytes": nbytes, "num_examples": len(rows)}
    return counts, sizes, files


def _file_name(source: str) -> str:
    """A source path as the release publishes it: its file name only, never a local path."""
    return PurePath(source.replace("\\", "/")).name


def _read_fragment(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--card-fragment {path}: not readable as UTF-8 text ({exc})") from None


def _example(item_rows: dict[str, list[dict[str, Any]]],
             table_rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The card's example instance: an item under an abstract header the document defines
    (the point of the dataset), else under one it implies, else the first item; with its
    table's header and first body rows."""
    rows = [r for s in SPLITS for r in item_rows.get(s, [])]
    for loc in ("table_defined", "table_implicit", None):
        item = next((r for r in rows if loc is None or r["answer_location"] == loc), None)
        if item is not None:
            break
    assert item is not None  # the release has items (checked before the card is written)
    tables = {t["table_id"]: t for s in SPLITS for t in table_rows.get(s, [])}
    table = tables.get(item["table_id"] or "")
    return {"item": item, "table": None if table is None else {
        "table_id": table["table_id"], "caption": table["caption"],
        "header_rows": table["header_rows"], "rows": table["rows"][:3],
        "abstract_headers": table["abstract_headers"]}}


def find_pdf(doc: Document, work: Path) -> Path | None:
    """The document's PDF, if it is still there with the same content: at its source path, or
    where a dataset pipeline renders it (WORK/ingest/pdfs/<doc_id>.pdf: the folder of the stage
    that produced the documents)."""
    if not doc.sha256:  # records made without a PDF (render_pdf: false)
        return None
    made = producer(work, "documents")
    rendered = [made.path / "pdfs" / f"{doc.doc_id}.pdf"] if made is not None else []
    for p in (Path(doc.source), *rendered):
        if p.suffix.lower() == ".pdf" and p.is_file() and \
                sha256_file(p)[:len(doc.sha256)] == doc.sha256:
            return p
    return None


def write_checksums(root: Path) -> dict[str, str]:
    """SHA256SUMS over every file of the release but itself (``sha256sum -c`` format)."""
    files, _links = regular_files(root)
    sums = {rel: sha256_file(root / rel) for rel in sorted(files) if rel != CHECKSUMS}
    (root / CHECKSUMS).write_text("".join(f"{h}  {rel}\n" for rel, h in sums.items()))
    return sums


def build_release(work: Path, output: Path, settings: ReleaseSettings | None = None,
                  force: bool = False) -> ReleaseReport:
    """Write the release of WORK into OUTPUT (see the module docstring).

    Raises:
        ConfigError: WORK has no finished assemble stage, or OUTPUT exists (without force).
        MissingDependencyError: pyarrow/datasets (or matplotlib for figures) are missing.
    """
    t0 = time.perf_counter()
    settings = settings or ReleaseSettings()
    require("abstab release", RELEASE_NEEDS)
    if settings.figures:
        require("abstab release figures (or pass --no-figures)",
                (("matplotlib", "matplotlib"),))
    output = Path(output)
    check_output(output, work, force)
    ws = Workspace.load(work)
    resolver = LicenseResolver(settings.licenses)

    messages: list[str] = []
    left_out: list[dict[str, Any]] = []
    failures = 0
    items_by_doc: dict[str, list[QAItem]] = defaultdict(list)
    for item in ws.items:
        items_by_doc[item.doc_id].append(item)

    licensed: dict[str, Licensed] = {}
    for doc_id, doc_items in sorted(items_by_doc.items()):
        doc = ws.documents.get(doc_id)
        if doc is None:
            failures += len(doc_items)
            left_out.append({"doc_id": doc_id, "source": None, "items": len(doc_items),
                             "reason": "no document record in the workspace"})
            messages.append(f"document {doc_id}: {len(doc_items)} item(s) left out: no document "
                            "record in the workspace (rerun extract, then synth)")
            continue
        # Items made from an external dataset carry that dataset's license.
        ref = next((i.source for i in doc_items if i.source is not None and i.source.license),
                   None)
        lic = resolver.resolve(os.path.abspath(doc.source), ref.license if ref else None,
                               ref.dataset if ref else None)
        if lic.problem:
            left_out.append({"doc_id": doc_id, "source": _file_name(doc.source),
                             "items": len(doc_items), "reason": lic.problem})
            messages.append(f"document {doc_id} ({doc.source}): {len(doc_items)} item(s) left "
                            f"out: {lic.problem}")
            continue
        licensed[doc_id] = lic

    # Items: grounded again here (a release never publishes an answer that is not where it
    # says), with char spans added for answers and definitions that have none yet.
    item_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    kept_items: list[QAItem] = []
    items_by_table: dict[str, list[QAItem]] = defaultdict(list)
    doc_split: dict[str, str] = {}
    for item in ws.items:
        item_lic = licensed.get(item.doc_id)
        if item_lic is None:
            continue
        item = with_spans(item, ws.documents[item.doc_id], ws.resolutions)
        problem = grounding_problem(item, ws.tables, ws.documents)
        if problem is None and item.answer_location == "text" and not any(
                s.role == "answer" for s in item.evidence.spans):
            problem = "answer text not found at a char span of its evidence blocks"
        split = item.split or ""  # an item without a split fails the next check
        if problem is None and split not in SPLITS:
            problem = f"split {item.split!r} is not one of {list(SPLITS)}"
        if problem is None and doc_split.setdefault(item.doc_id, split) != split:
            problem = (f"its document {item.doc_id} is in split {doc_split[item.doc_id]}; "
                       "splits must be by document (rerun assemble)")
        if problem:
            failures += 1
            messages.append(f"item {item.item_id}: left out: {problem}")
            continue
        row = item.model_dump(mode="json")
        # Columns in every row (the record omits them when empty).
        row.setdefault("reviewed", [])
        row.setdefault("tables", [])
        row.update(license=item_lic.license.spdx,  # type: ignore[union-attr]
                   corpus=item_lic.source)
        item_rows[split].append(row)
        kept_items.append(item)
        for tid in item.tables or ([item.table_id] if item.table_id else []):
            items_by_table[tid].append(item)

    table_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for tid in sorted(items_by_table):
        table = ws.tables[tid]
        lic = licensed[table.doc_id]
        row = table.model_dump(mode="json")
        row.update(split=doc_split[table.doc_id], license=lic.license.spdx,  # type: ignore[union-attr]
                   corpus=lic.source,
                   abstract_headers=_abstract_headers(table, ws.judgments.get(tid),
                                                      items_by_table[tid], ws.resolutions))
        table_rows[doc_split[table.doc_id]].append(row)

    with (staging := Staging(output, work, force)) as tmp:
        doc_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        pdf_count = 0
        for doc_id in sorted(doc_split):
            doc, lic = ws.documents[doc_id], licensed[doc_id]
            pdf = None
            src = find_pdf(doc, ws.path) if settings.pdfs else None
            if src is not None:
                pdf = f"pdfs/{doc_id}.pdf"
                (tmp / "pdfs").mkdir(exist_ok=True)
                shutil.copyfile(src, tmp / pdf)
                pdf_count += 1
            elif settings.pdfs:
                messages.append(f"document {doc_id}: PDF not copied: {doc.source} is missing or "
                                "no longer has the extracted content's sha256")
            row = doc.model_dump(mode="json")
            row.update(source=_file_name(doc.source), split=doc_split[doc_id],
                       license=lic.license.spdx, corpus=lic.source, pdf=pdf)  # type: ignore[union-attr]
            doc_rows[doc_split[doc_id]].append(row)

        counts: dict[str, dict[str, int]] = {}
        sizes: dict[str, dict[str, dict[str, int]]] = {}
        files: dict[str, list[str]] = {}
        for name, rows in (("items", item_rows), ("tables", table_rows),
                           ("documents", doc_rows)):
            counts[name], sizes[name], files[name] = _write_parquet(rows, CONFIGS[name], tmp)
        if not counts["items"]:
            raise ConfigError(f"{work}: no item can be released ({len(ws.items)} in the "
                              "workspace); see the messages above" + "".join(
                                  f"\n  {m}" for m in messages[:20]))

        (tmp / "schemas").mkdir()
        for cfg in CONFIGS.values():
            (tmp / "schemas" / f"{cfg.record}.json").write_text(json_dumps(json_schema(cfg.record)))

        stats = release_stats(ws, kept_items, licensed, doc_split, counts, left_out, pdf_count)
        (tmp / STATS).write_text(json_dumps(stats))
        if settings.figures:
            from abstab.release.figures import draw_figures

            draw_figures(stats, tmp / "figures")

        from abstab.release.browse import write_browser
        from abstab.release.card import CardInfo, write_card
        from abstab.release.citation import load_citation
        from abstab.release.croissant import write_croissant

        name = settings.name or Path(work).resolve().name
        if settings.name is None:
            messages.append(f"warning: no --name: the card and croissant.json call the dataset "
                            f"{name!r} (the workspace folder's name); pass --name NAME")
        citation = load_citation(settings.citation, ws.path, name, settings.url, __version__)
        if not (citation.contact or settings.url):
            messages.append("warning: the card names no contact: pass --homepage or --repo-id, "
                            "or give the CITATION.cff a `contact:`")
        write_browser(tmp, item_rows, table_rows, ws.documents, settings.browse_max_items, name,
                      {r["doc_id"]: r["pdf"] for rows in doc_rows.values() for r in rows})
        write_card(tmp, CardInfo(name=name, citation=citation, homepage=settings.homepage,
                                 repo_id=settings.repo_id, languages=settings.languages,
                                 fragment=_read_fragment(settings.card_fragment),
                                 example=_example(item_rows, table_rows)),
                   stats, sizes, files, settings.figures)
        write_croissant(tmp, name, stats, files, url=settings.url, cite_as=citation.bibtex)
        write_checksums(tmp)
        staging.commit()
    total = sum(p.stat().st_size for p in output.rglob("*") if p.is_file())
    return ReleaseReport(output, counts, left_out, messages, failures,
                         time.perf_counter() - t0, total)


def release_stats(ws: Workspace, items: list[QAItem], licensed: dict[str, Licensed],
                  doc_split: dict[str, str], counts: dict[str, dict[str, int]],
                  left_out: list[dict[str, Any]], pdfs: int) -> dict[str, Any]:
    """The numbers the card, the figures and the validator read."""
    by: dict[str, Counter[str | None]] = defaultdict(Counter)
    loc_style: dict[str, Counter[str]] = defaultdict(Counter)
    for i in items:
        by["split"][i.split] += 1
        by["answer_location"][i.answer_location] += 1
        by["style"][i.abstraction.style] += 1
        by["legend"][i.abstraction.legend] += 1
        by["origin"][i.origin] += 1
        by["difficulty"][i.difficulty] += 1
        by["template"][i.template] += 1
        by["category"][next((k.category for k in i.keywords if k.category), "none")] += 1
        by["license"][licensed[i.doc_id].license.spdx] += 1  # type: ignore[union-attr]
        by["corpus"][licensed[i.doc_id].source] += 1
        loc_style[i.answer_location][i.abstraction.style] += 1
    sources: dict[str, dict[str, Any]] = {}
    for doc_id in doc_split:
        lic = licensed[doc_id]
        s = sources.setdefault(lic.source, {"license": lic.license.spdx,  # type: ignore[union-attr]
                                            "url": lic.license.url,  # type: ignore[union-attr]
                                            "note": lic.note, "documents": 0, "items": 0})
        s["documents"] += 1
        s["items"] = by["corpus"][lic.source]
    funnel = [{"stage": name, "in": s.get("in", 0), "kept": s.get("kept", 0),
               "dropped": s.get("dropped", {}), "counts": s.get("counts", {})}
              for name, s in ws.stats.items()]
    pair_ids = Counter(i.pair_id for i in items if i.pair_id)
    assembled = producer(ws.path, "dataset_items")
    run_funnel = ws.stats.get(assembled.stage, {}).get("funnel", []) if assembled else []
    # Released tables by where they come from: the PDFs, or made by abstab from one of them.
    table_kinds: Counter[str] = Counter()
    for tid in {i.table_id for i in items if i.table_id}:
        parent = ws.tables[tid].derived_from
        judged = ws.judgments.get(parent) if parent else None
        table_kinds["found" if parent is None else "clear_twin"
                    if judged is not None and judged.label == "abstract" else "controlled"] += 1
    return {
        "abstab_version": __version__,
        "workspace_config": {n: m.get("config_hash") for n, m in ws.markers.items()},
        "backends": sorted({i.provenance.backend or "none" for i in items}),
        "models": sorted({i.provenance.model or "none" for i in items}),
        "rows": counts,
        "items": len(items),
        "documents": len(doc_split),
        "pdfs": pdfs,
        "pairs": sum(1 for n in pair_ids.values() if n >= 2),
        "table_kinds": {k: table_kinds[k] for k in ("found", "clear_twin", "controlled")},
        "reviewed": sum(1 for i in items if i.reviewed),
        "by": {k: dict(sorted(v.items())) for k, v in sorted(by.items())},
        "location_by_style": {k: dict(sorted(v.items())) for k, v in sorted(loc_style.items())},
        "sources": dict(sorted(sources.items())),
        "funnel": funnel,
        "run_funnel": run_funnel,
        "left_out": left_out,
    }
