"""Header cells of real reports, end to end: located, judged and resolved against hand labels.

Usage: python benchmarks/bench_real_headers.py --data DIR --labels FILE [--work DIR]
       [--backend rules|local|openai] [--model M] [--base-url URL] [--retriever bm25|dense|hybrid]
       [--redo judge|resolve] [--errors] [--show] [--resolver-alone]
       [--backend-option KEY=VALUE ...]

FILE holds hand labels in the format of ``benchmarks/labels/reports_headers.json`` (its
``description`` gives the rules): tables named by ``doc`` (a PDF path relative to DIR) and
``pages``, each with labelled header cells (``text``, optional ``text_clean``, ``label``
abstract/clear, ``unsure``, ``category``, ``meaning``, ``role`` column/row). The script runs
extract → judge → resolve (the stages ``abstab extract`` / ``judge`` / ``resolve`` run, through
the public API; ``--backend`` for judge and resolve, default settings otherwise) on the labelled PDFs found in DIR (labels of PDFs elsewhere are left out, so one
file can label several corpora) into WORK (default: a temp dir), then scores:

- located: a labelled cell's text (or ``text_clean``), whitespace- and NFKC-normalised (a
  superscript footnote marker ``ᵃ`` reads as the ``a`` a label types), equals the text of
  one of abstab's header cells in a table of that document on the labelled pages; a ``role: row``
  cell may also be any first-column cell. Cut, merged or missing cells are not located.
- judge: a located cell is judged abstract when the judgment of its table is ``abstract`` and
  one of its keywords lies in the cell; an unlocated cell counts as judged clear. Precision /
  recall / F1 of ``abstract`` over all labelled cells and over cells not marked ``unsure``; and
  the table label (abstract/clear/not_table) against the judgment of the table holding most of
  its located cells (``not_table``: no table there is right too; the cells of such tables are not
  scored). ``row_cells`` counts the ``role: row`` cells apart: found, abstract, judged abstract;
  ``judge_columns`` is the judge on column headers alone (all labels).
- resolve: a cell's meaning is the expansions abstab gives for the keywords in it (resolutions
  whose category is not ``unresolvable``), joined. It matches the label's meaning when their
  content words (:func:`abstab.core.words.content_words`) overlap with F1 >= 0.5. Accuracy:
  matched / labelled abstract cells whose category is not ``unresolvable`` (per category too).
  Precision: matched / meanings given on labelled abstract cells; a meaning on an
  ``unresolvable`` cell is wrong. Meanings given on cells labelled clear are counted apart.

``--errors`` also prints each misjudged cell (false positive or negative, with the judgment's
reasons for its table) to stderr.

A finished stage of WORK is not redone (a rerun with the same WORK scores it again);
``--redo resolve`` reruns resolve alone on the extracted and judged workspace (``--redo judge``:
judge and resolve), so changing the resolver never re-extracts. ``--show`` prints every
labelled abstract cell of a resolvable category: its label meaning, abstab's meaning (or none),
the method and evidence, and the cause of a miss (``not_located``: extraction did not give the
cell; ``not_judged``: the judge left it clear; ``no_meaning``; ``wrong_meaning``).
``--resolver-alone`` also resolves every located labelled abstract cell directly, whatever the
judge said (the judge's keyword in the cell, else the cell's text),
and scores those meanings the same way (``resolver_alone`` in the JSON): the resolver with the
judge taken out of the path.

With ``--backend openai|local`` the LLM judges and resolves: its prompts get the table as
printed (header cells and first-column row labels marked), its caption, notes and legend, and
for resolve the passages retrieval found (``prompts/judge.md``, ``prompts/resolve.md``). A reply
that does not match the schema or names a keyword the table lacks is repaired once, else that
table (judge) or header (resolve) fails: it is not scored, the run goes on, and a rerun with the
same ``--work`` asks again (answers that were accepted come from the workspace's cache).

One line per document, then an ``overall`` line (then a ``failed`` line when items failed); the
last stdout line is one JSON object, with ``stages``: per stage its ``failed`` items, its
``seconds`` and, for LLM backends, this run's requests (``calls``, failed attempts included),
cache hits, retries, requests given up (``failures``), invalid replies, repairs and tokens.
This supersedes the ``govreports_*`` numbers of ``judge_headers.py``, which judge the label
texts alone, not the cells abstab extracts.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from judge_headers import prf_counts

from abstab.backends import Backend, build_backend
from abstab.core.headers import classify
from abstab.core.words import content_words
from abstab.errors import AbstabError
from abstab.llm.tasks import KeywordOut
from abstab.records import Cell, Document, Judgment, Resolution, Table
from abstab.stages.extract import ExtractStage
from abstab.stages.judge import JudgeStage
from abstab.stages.resolve import ResolveStage, locate
from abstab.store import StageDir

MATCH_F1 = 0.5
LABELS = ("abstract", "clear")
CATEGORIES = ("explicit", "inferable_table", "inferable_document", "unresolvable")
TABLE_LABELS = ("abstract", "clear", "not_table")
LEDGER = ("calls", "cache_hits", "retries", "failures", "invalid_outputs", "repairs",
          "prompt_tokens", "completion_tokens")
"""What the JSON line reports of an LLM backend's ledger, per stage (this run's)."""


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def load_labels(path: Path) -> list[dict]:
    """The labelled tables of ``path``, checked field by field.

    Raises:
        SystemExit: a table or cell misses a field or has a value outside its set, naming it.
    """
    try:
        tables = json.loads(path.read_text(encoding="utf-8"))["tables"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise SystemExit(f"{path}: not a labels file with a 'tables' list ({err})") from err
    for i, t in enumerate(tables):
        where = f"{path}: tables[{i}]"
        if not isinstance(t.get("doc"), str) or not isinstance(t.get("page"), int):
            raise SystemExit(f"{where}: needs 'doc' (a PDF path) and 'page' (an int)")
        if t.get("label") not in TABLE_LABELS:
            raise SystemExit(f"{where}: 'label' must be one of {', '.join(TABLE_LABELS)}")
        for j, c in enumerate(t.get("header_cells", [])):
            cw = f"{where}.header_cells[{j}]"
            if not isinstance(c.get("text"), str) or c.get("label") not in LABELS:
                raise SystemExit(f"{cw}: needs a 'text' and a 'label' abstract or clear")
            if c["label"] == "abstract" and c.get("category") not in CATEGORIES:
                raise SystemExit(f"{cw}: an abstract cell needs 'category' in {', '.join(CATEGORIES)}")
            if c.get("role", "column") not in ("column", "row"):
                raise SystemExit(f"{cw}: 'role' must be column or row")
    return tables


def content_f1(given: str, gold: str) -> float:
    """Token F1 of the content words (lemmatised, stopwords out) of two meanings."""
    got, want = content_words(given), content_words(gold)
    common = len(got & want)
    if not common:
        return 0.0
    p, r = common / len(got), common / len(want)
    return 2 * p * r / (p + r)


def _inside(row: int, col: int, cell: Cell) -> bool:
    return cell.row <= row < cell.row + cell.row_span and cell.col <= col < cell.col + cell.col_span


def _locate(label: dict, table: Table) -> Cell | None:
    texts = {_norm(label["text"]), _norm(label.get("text_clean") or label["text"])}
    for cell in table.cells:
        candidate = cell.header or (label.get("role") == "row" and cell.col == 0)
        if candidate and _norm(cell.text) in texts:
            return cell
    return None


class Workspace:
    """The records of one extract → judge → resolve run, indexed for scoring."""

    def __init__(self, work: Path) -> None:
        ex = StageDir(work, "extract", ())
        self.doc_ids = {Path(d.source).resolve(): d.doc_id for d in ex.read("documents", Document)}
        self.tables: dict[str, list[Table]] = defaultdict(list)
        for t in ex.read("tables", Table):
            self.tables[t.doc_id].append(t)
        self.judgments = {j.table_id: j for j in StageDir(work, "judge", ()).read("judgments", Judgment)}
        self.resolutions: dict[str, list[Resolution]] = defaultdict(list)
        for r in StageDir(work, "resolve", ()).read("resolutions", Resolution):
            self.resolutions[r.table_id].append(r)


class AloneResolver:
    """The resolver asked about one cell directly, with the judge out of the path: the judge's
    keyword in the cell when it gave one, else the cell's text as printed, the
    stage's retrieval context, the backend's answer turned into a resolution as the stage
    does."""

    def __init__(self, work: Path, backend: Backend, retriever: str | None) -> None:
        self.stage = ResolveStage(work, {"retriever": retriever} if retriever else {}, backend)
        self.stage.load()
        self.stage._hash = self.stage.config_hash()

    def __call__(self, table: Table, cell: Cell, judged: Judgment | None) -> list[Resolution]:
        stage = self.stage
        doc = stage.docs[table.doc_id]
        mine = next((k for k in judged.keywords if _inside(k.row, k.col, cell)), None) \
            if judged is not None and judged.label == "abstract" else None
        if mine is not None:
            kw = KeywordOut(**mine.model_dump())
        else:  # the cell as printed: what a reader asks about
            style = classify(cell.text).style
            kw = KeywordOut(keyword=" ".join(cell.text.split()), row=cell.row,
                            col=cell.col, style=style if style != "natural" else "acronym",
                            score=1.0, role="header" if cell.header else "stub")
        keyword = kw.keyword
        out = stage.backend.resolve(table, doc, kw, stage.context(table, doc, keyword))
        if not out.expansion or out.category == "unresolvable":
            return []
        evidence = [stage._table_evidence(e) if e.source == "table" else locate(e, doc)
                    for e in out.evidence]
        return [Resolution(table_id=table.table_id, doc_id=doc.doc_id, keyword=keyword,
                           row=cell.row, column=cell.col, expansion=out.expansion,
                           category=out.category, confidence=out.confidence, method=out.method,
                           evidence=[e for e in evidence
                                     if e.char_start is not None or e.source != "block"],
                           provenance=stage.provenance(**stage.backend.provenance("resolve")))]


def score_table(label: dict, candidates: list[Table], ws: Workspace,
                claimed: set[str], alone: AloneResolver | None = None
                ) -> tuple[list[dict], dict]:
    """One outcome per labelled header cell of ``label``, located among ``candidates``, and
    the table label against the judgment of the abstab table that holds most of its cells (the
    first table on its pages when none does; for ``not_table``, no table there is right too).
    On a tie a table no earlier label ``claimed`` goes first (two tables with one header on a
    page); the chosen table is added to ``claimed``. With ``alone``, each outcome also holds
    (``alone``) the meaning that resolver gives a located abstract-labelled cell."""
    pages = set(label.get("pages") or [label["page"]])
    tables = [t for t in candidates if pages & set(t.pages)]
    cells = label.get("header_cells", [])
    tables.sort(key=lambda t: (-sum(_locate(c, t) is not None for c in cells),
                               t.table_id in claimed))
    if tables:
        claimed.add(tables[0].table_id)
    out = []
    for c in cells:
        hit = next(((t, cell) for t in tables if (cell := _locate(c, t)) is not None), None)
        judged = False
        given: list[Resolution] = []
        if hit is not None:
            t, cell = hit
            j = ws.judgments.get(t.table_id)
            judged = j is not None and j.label == "abstract" and any(
                _inside(k.row, k.col, cell) for k in j.keywords)
            given = [r for r in ws.resolutions.get(t.table_id, [])
                     if r.expansion and r.category != "unresolvable"
                     and _inside(r.row, r.column, cell)]
        out.append(outcome(c, hit, judged, given))
        if alone is not None:
            mine = alone(*hit, ws.judgments.get(hit[0].table_id)) \
                if hit is not None and c["label"] == "abstract" else []
            out[-1]["alone"] = outcome(c, hit, c["label"] == "abstract" and hit is not None,
                                       mine)
    j = ws.judgments.get(tables[0].table_id) if tables else None
    predicted = j.label if j else None
    right = predicted == label["label"] or (label["label"] == "not_table" and predicted is None)
    return out, {"gold": label["label"], "predicted": predicted, "right": right}


def outcome(label: dict, hit: tuple[Table, Cell] | None, judged: bool,
            given: list[Resolution]) -> dict:
    """One labelled cell scored: located, judged, the meanings given on it (joined) against the
    label's, with their methods and evidence, and why a resolvable abstract cell missed."""
    meaning = " ".join(r.expansion or "" for r in given)
    f1 = content_f1(meaning, label.get("meaning", "")) if meaning else 0.0
    ok = bool(meaning) and label.get("category") != "unresolvable" and f1 >= MATCH_F1
    cause = None
    if label["label"] == "abstract" and label.get("category") != "unresolvable" and not ok:
        cause = ("not_located" if hit is None else "not_judged" if not judged and not given
                 else "no_meaning" if not meaning else "wrong_meaning")
    return {"text": label["text"], "gold": label["label"], "unsure": bool(label.get("unsure")),
            "table_id": hit[0].table_id if hit is not None else None,
            "role": label.get("role", "column"), "category": label.get("category"),
            "label_meaning": label.get("meaning", ""), "located": hit is not None,
            "judged_abstract": judged, "meaning": meaning, "meaning_ok": ok, "cause": cause,
            "methods": [r.method for r in given],
            "evidence": [(e.source, e.page, e.text) for r in given for e in r.evidence]}


def summarize(outcomes: list[dict]) -> dict:
    """Located, judge P/R/F1 (all and sure labels), resolve accuracy and meaning precision."""
    judge_all = prf_counts([(o["judged_abstract"], o["gold"] == "abstract") for o in outcomes])
    judge_sure = prf_counts([(o["judged_abstract"], o["gold"] == "abstract")
                             for o in outcomes if not o["unsure"]])
    judge_columns = prf_counts([(o["judged_abstract"], o["gold"] == "abstract")
                                for o in outcomes if o.get("role") != "row"])
    abstract = [o for o in outcomes if o["gold"] == "abstract"]
    resolvable = [o for o in abstract if o["category"] != "unresolvable"]
    given = [o for o in abstract if o["meaning"]]
    per_cat = {}
    for cat in CATEGORIES:
        cells = [o for o in abstract if o["category"] == cat]
        per_cat[cat] = {"cells": len(cells), "meanings_given": sum(bool(o["meaning"]) for o in cells),
                        "right": sum(o["meaning_ok"] for o in cells)}
    right = sum(o["meaning_ok"] for o in resolvable)
    rows = [o for o in outcomes if o.get("role") == "row"]
    return {
        "cells": len(outcomes), "located": sum(o["located"] for o in outcomes),
        "located_rate": round(sum(o["located"] for o in outcomes) / len(outcomes), 4)
        if outcomes else None,
        "judge_all": judge_all, "judge_sure": judge_sure, "judge_columns": judge_columns,
        "resolve_accuracy": round(right / len(resolvable), 4) if resolvable else None,
        "resolve_right": right, "resolvable": len(resolvable),
        "meaning_precision": round(sum(o["meaning_ok"] for o in given) / len(given), 4)
        if given else None,
        "meanings_given": len(given),
        "meanings_on_clear_cells": sum(bool(o["meaning"]) for o in outcomes if o["gold"] == "clear"),
        "by_category": per_cat,
        # stub-column labels (codes such as "BFP (Assured)"): found, abstract, judged abstract
        "row_cells": {"cells": len(rows), "located": sum(o["located"] for o in rows),
                      "abstract": sum(o["gold"] == "abstract" for o in rows),
                      "judged_abstract": sum(o["judged_abstract"] for o in rows
                                             if o["gold"] == "abstract")},
    }


def _scored(labels: list[dict], ws: Workspace, data: Path, alone: AloneResolver | None = None
            ) -> Iterator[tuple[dict, list[dict], dict]]:
    """(label, its cells' outcomes, its table outcome) for each labelled table, in order."""
    claimed: set[str] = set()
    for label in labels:
        doc_id = ws.doc_ids.get((data / label["doc"]).resolve())
        yield label, *score_table(label, ws.tables.get(doc_id, []) if doc_id else [], ws, claimed,
                                  alone)


def score(labels: list[dict], work: Path, data: Path,
          alone: AloneResolver | None = None) -> dict:
    """Score the workspace ``work`` (extract, judge and resolve done) against ``labels``.

    Cells of tables labelled ``not_table`` are not scored, only the table label. ``cells``
    holds every scored outcome with its ``doc`` and ``page``; with ``alone``,
    ``resolver_alone`` summarises the meanings that resolver gives with the judge out of the
    path."""
    per_doc: dict[str, list[dict]] = defaultdict(list)
    tables_seen: dict[str, list[dict]] = defaultdict(list)
    for label, outcomes, table in _scored(labels, Workspace(work), data, alone):
        if label["label"] != "not_table":
            per_doc[label["doc"]].extend(
                {**o, "doc": label["doc"], "page": label["page"]} for o in outcomes)
        tables_seen[label["doc"]].append(table)
    docs = {}
    for doc, seen in tables_seen.items():
        docs[doc] = summarize(per_doc[doc])
        docs[doc]["tables"] = len(seen)
        docs[doc]["table_label_right"] = sum(t["right"] for t in seen)
    all_tables = [t for ts in tables_seen.values() for t in ts]
    overall = summarize([o for os_ in per_doc.values() for o in os_])
    overall["tables"] = len(all_tables)
    overall["table_label_right"] = sum(t["right"] for t in all_tables)
    overall["tables_without_abstab_table"] = sum(t["predicted"] is None for t in all_tables)
    cells = [o for os_ in per_doc.values() for o in os_]
    out = {"documents": docs, "overall": overall, "cells": cells}
    if alone is not None:
        out["resolver_alone"] = summarize([o["alone"] for o in cells])
    return out


REDO = ("judge", "resolve")


def run_pipeline(pdfs: list[Path], work: Path, backend: Backend, retriever: str | None,
                 redo: str | None = None) -> dict[str, dict]:
    """Extract, judge and resolve ``pdfs`` into ``work`` through the public stage API, as
    ``abstab extract`` / ``judge`` / ``resolve`` do (a finished stage is not redone; one whose
    units failed redoes those). ``redo`` (judge or resolve) forces that stage; a stage after it
    reruns when its input changed.

    Returns:
        Per stage (judge, resolve): its ``failed`` items (a unit a bad reply failed: it is not
        scored, and a rerun on the same WORK asks again), its ``seconds`` (0 when it was up to
        date), and for LLM backends this run's :data:`LEDGER` counts.
    """
    ExtractStage(work, {"inputs": [str(p) for p in pdfs]}).run()
    ledger = getattr(backend, "ledger", None)  # LLM backends count their calls
    stages = {}
    for stage in (JudgeStage(work, {}, backend),
                  ResolveStage(work, {"retriever": retriever} if retriever else {}, backend)):
        before = ledger.summary() if ledger is not None else {}
        report = stage.run(force=redo == stage.name)
        after = ledger.summary() if ledger is not None else {}
        stages[report.stage] = {"failed": report.failures, "seconds": round(report.seconds, 1),
                                **{k: after[k] - before[k] for k in LEDGER if k in after}}
    return stages


def misjudged(labels: list[dict], work: Path, data: Path) -> list[str]:
    """One line per labelled cell the judge got wrong: FP/FN, document, page, role, the label's
    text and category, and the judgment's reasons for the cell's table (or "not located")."""
    ws = Workspace(work)
    lines = []
    for label, outcomes, _ in _scored(labels, ws, data):
        if label["label"] == "not_table":
            continue
        for c, o in zip(label.get("header_cells", []), outcomes, strict=True):
            if o["judged_abstract"] == (o["gold"] == "abstract"):
                continue
            j = ws.judgments.get(o["table_id"]) if o["table_id"] else None
            why = ("not located" if not o["located"] else
                   f"{j.label}: {'; '.join(j.reasons)}" if j else "no judgment")
            lines.append(f"{'FP' if o['judged_abstract'] else 'FN'} {label['doc']} p{label['page']}"
                         f" [{o['role']}{', unsure' if o['unsure'] else ''}] {c['text']!r}"
                         f" ({c.get('category') or 'clear'}) :: {why[:300]}")
    return lines


def show(cells: list[dict], key: str | None = None) -> list[str]:
    """Every labelled abstract cell of a resolvable category (``key``: the outcomes of that
    name inside each, e.g. ``alone``), misses grouped by cause: label meaning, abstab's,
    method, evidence."""
    rows = [(c, c[key] if key else c) for c in cells
            if c["gold"] == "abstract" and c["category"] != "unresolvable"]
    lines = []
    for cause in ("ok", "wrong_meaning", "no_meaning", "not_judged", "not_located"):
        group = [(c, o) for c, o in rows if (o["cause"] or "ok") == cause]
        lines.append(f"== {cause}: {len(group)}")
        for c, o in sorted(group, key=lambda co: (co[1]["category"], co[0]["doc"])):
            ev = "; ".join(f"{src} p{page}: {text[:90]!r}" for src, page, text in o["evidence"])
            lines.append(f"  [{o['category']}] {c['doc']} p{c['page']} {o['text']!r} "
                         f"(label: {o['label_meaning']!r}) -> {o['meaning'] or None!r} "
                         f"{'+'.join(o['methods'])} {ev}".rstrip())
    given_wrong = [o for _, o in ((c, c[key] if key else c) for c in cells)
                   if o["gold"] == "abstract" and o["category"] == "unresolvable" and o["meaning"]]
    lines.append(f"== meanings on unresolvable cells: {len(given_wrong)}")
    lines.extend(f"  {o['text']!r} -> {o['meaning']!r} {'+'.join(o['methods'])}"
                 for o in given_wrong)
    return lines


def _line(name: str, s: dict) -> str:
    ja, js = s["judge_all"], s["judge_sure"]
    return (f"{name[:44]:44s} cells {s['located']:3d}/{s['cells']:<3d} judge F1 {ja['f1']:.2f} "
            f"(sure {js['f1']:.2f}) resolve {s['resolve_right']}/{s['resolvable']} "
            f"meanings {s['meanings_given']} tables {s['table_label_right']}/{s['tables']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="folder the labels' doc paths are in")
    ap.add_argument("--labels", type=Path, required=True, help="hand labels (JSON)")
    ap.add_argument("--work", type=Path, default=None, help="workspace (default: a temp dir)")
    ap.add_argument("--backend", default="rules", help="abstab backend for judge and resolve")
    ap.add_argument("--model", default=None, help="backend model (a GGUF path for local)")
    ap.add_argument("--base-url", default=None, help="OpenAI-compatible endpoint")
    ap.add_argument("--retriever", default=None,
                    help="resolve's retriever (bm25, dense, hybrid; default: the stage's)")
    ap.add_argument("--redo", choices=REDO, default=None,
                    help="rerun this stage in --work (and what follows when its output changed), "
                         "keeping the extraction")
    ap.add_argument("--errors", action="store_true",
                    help="print every misjudged cell, with the judgment's reasons, to stderr")
    ap.add_argument("--backend-option", action="append", default=[], metavar="KEY=VALUE",
                    help="another backend setting (max_tokens=256, n_ctx=4096, "
                         "concurrency=1, ...; a JSON value or a string); repeatable")
    ap.add_argument("--show", action="store_true",
                    help="print every labelled abstract cell: label meaning, abstab's, evidence")
    ap.add_argument("--resolver-alone", action="store_true",
                    help="also resolve every located abstract-labelled cell, judge out of path")
    args = ap.parse_args()
    data = args.data.resolve()
    labels = load_labels(args.labels)
    # one labels file may cover several corpora: only the tables whose PDF is in DIR count
    named = len(labels)
    labels = [t for t in labels if (data / t["doc"]).is_file()]
    if not labels:
        raise SystemExit(f"{args.labels}: none of its PDFs is in {data}; give the folder the "
                         f"labels' doc paths are relative to")
    pdfs = sorted({data / t["doc"] for t in labels})
    work = args.work or Path(tempfile.mkdtemp(prefix="abstab-real-headers-")) / "work"
    settings = {**backend_options(args.backend_option),
                **{k: v for k, v in (("model", args.model), ("base_url", args.base_url)) if v}}
    alone = None
    try:
        backend = build_backend(args.backend, settings, work)
        try:
            stages = run_pipeline(pdfs, work, backend, args.retriever, args.redo)
            alone = AloneResolver(work, backend, args.retriever) if args.resolver_alone else None
            result = score(labels, work, data, alone)
        finally:
            backend.close()
    except AbstabError as err:  # a bad setting, key or model: the message names the fix
        raise SystemExit(f"bench_real_headers: {err}") from err
    cells = result.pop("cells")
    if args.errors:
        print("\n".join(misjudged(labels, work, data)), file=sys.stderr)
    if args.show:
        print("\n".join(show(cells)))
        if alone is not None:
            print("-- the resolver alone (judge out of the path):")
            print("\n".join(show(cells, "alone")))
    for doc, s in sorted(result["documents"].items()):
        print(_line(doc, s))
    print(_line("overall", result["overall"]))
    if "resolver_alone" in result:
        print(_line("resolver alone", {**result["resolver_alone"], "tables": 0,
                                       "table_label_right": 0}))
    failed = {name: st["failed"] for name, st in stages.items() if st["failed"]}
    if failed:
        print("failed (not scored; a rerun with --work " + str(work) + " asks again): "
              + ", ".join(f"{name} {n}" for name, n in failed.items()))
    print(json.dumps({"data": str(data), "labels": str(args.labels), "backend": args.backend,
                      "retriever": args.retriever, "work": str(work), "pdfs": len(pdfs), "tables_labelled": named,
                      "tables_in_data": len(labels), "stages": stages, **result}))


def backend_options(pairs: list[str]) -> dict:
    """``KEY=VALUE`` pairs as backend settings, each value read as JSON when it parses
    (``256``, ``true``), else kept as a string.

    Raises:
        SystemExit: a pair has no ``=``.
    """
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--backend-option {pair!r}: give KEY=VALUE, e.g. max_tokens=256")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    return options


if __name__ == "__main__":
    main()
