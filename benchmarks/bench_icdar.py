"""Table extraction on the ICDAR 2013 Table Competition ground truth: abstab and the raw engines.

Usage:
    python benchmarks/bench_icdar.py --data DIR [--engines a,b,...] [--subsets eu,us] [--limit N]
        [--abstab-engine auto] [--workers N]
    python benchmarks/bench_icdar.py --data DIR --predictions preds.json --name NAME

DIR holds ``competition-dataset-<subset>/`` folders (the official data: ``eu`` and ``us``) or is
one folder of ``X.pdf`` + ``X-reg.xml`` + ``X-str.xml`` (see ``benchmarks/icdar.py``).

Engines (all by default, each in its own child process so a crash stays contained and its peak
RSS is its own; every page of every document is processed):

- ``pymupdf``: ``page.find_tables()`` with its defaults, i.e. gated/completed by the
  pymupdf-layout ONNX model when that package is installed; cell text from ``table.extract()``.
- ``pymupdf-nolayout``: the same without the layout model, ``find_tables(use_layout=False)``; the
  child also blocks ``import pymupdf.layout`` so the model is not even loaded (speed and RSS are
  those of plain PyMuPDF). Setting ``pymupdf._get_layout = None`` has the same effect on tables.
- ``camelot-lattice``, ``camelot-stream``: ``camelot.read_pdf(pdf, pages=N, flavor=...)`` page by
  page; the bottom-left ``table._bbox`` is flipped with the page height, one cell per grid slot.
- ``pdfplumber``: ``page.find_tables()`` with default settings; cells from ``table.rows``.
  pdfplumber is no dependency of abstab (no extra installs it): ``pip install pdfplumber``
  for this engine; ``camelot-*`` need ``pip install 'abstab[camelot]'``.
- ``abstab``: ``python -m abstab extract PDFS -o WORK --engine E --workers N`` then
  ``python -m abstab export icdar WORK -o preds.json`` per subset (``--abstab-engine``, default
  ``auto``, abstab's default engine; ``--workers``, default 1), when ``abstab export icdar``
  exists; otherwise reported as not available. Files the stage drops (timeout, crash) are
  reported as errors.

Merged cells of PyMuPDF and pdfplumber are recovered from the cell boxes
(:func:`icdar.cells_from_boxes`). Speed is pages per second of the extraction loop (imports and
model loading excluded and reported as ``setup_s``; for abstab the wall time of ``abstab
extract``, start-up included). Peak RSS is the child's ``ru_maxrss`` (or its own children's,
whichever is larger).

A readable table goes to stderr; the last line of stdout is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import icdar

REPO = Path(__file__).resolve().parents[1]
ENGINES = ("abstab", "pymupdf", "pymupdf-nolayout", "camelot-lattice", "camelot-stream",
           "pdfplumber")


# ---------------------------------------------------------------------------------------------
# Engine runners (run inside the child process)
# ---------------------------------------------------------------------------------------------

def _table_record(doc: str, page: int, bbox, cells: list[dict]) -> dict:
    return {"doc": doc, "page": page, "bbox": [float(v) for v in bbox], "cells": cells}


def _boxes_and_texts(rows, grid) -> tuple[list, list]:
    """Cell boxes and texts of a PyMuPDF/pdfplumber table: ``rows[i].cells[j]`` is the box of
    the cell starting at slot (i, j) or None, ``grid[i][j]`` its extracted text."""
    boxes, texts = [], []
    for i, row in enumerate(rows):
        for j, box in enumerate(row.cells):
            if box is None:
                continue
            text = grid[i][j] if i < len(grid) and j < len(grid[i]) else ""
            boxes.append(tuple(box))
            texts.append(text or "")
    return boxes, texts


class Runner:
    """An engine: ``setup()`` once (imports, models), then ``run(doc, pdf)`` yields the
    prediction records of every page of one PDF; page errors go to ``self.errors``."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def setup(self) -> None:  # pragma: no cover - trivial
        pass

    def run(self, doc: str, pdf: Path) -> list[dict]:
        raise NotImplementedError


class PyMuPDFRunner(Runner):
    def __init__(self, layout: bool) -> None:
        super().__init__()
        self.layout = layout

    def setup(self) -> None:
        if not self.layout:
            # Keep the layout model out of this process: pymupdf imports pymupdf.layout (which
            # loads the ONNX model and registers pymupdf._get_layout) only if it can.
            os.environ["PYMUPDF_SUGGEST_LAYOUT_ANALYZER"] = "0"
            sys.modules["pymupdf.layout"] = None  # type: ignore[assignment]
        import pymupdf

        self.pymupdf = pymupdf
        if not self.layout:
            pymupdf._get_layout = None
            pymupdf.no_recommend_layout()
        self.info = {"pymupdf": pymupdf.__version__, "mupdf": pymupdf.mupdf_version,
                     "layout_model": pymupdf._get_layout is not None}

    def run(self, doc: str, pdf: Path) -> list[dict]:
        out = []
        with self.pymupdf.open(pdf) as document:
            for pno, page in enumerate(document):
                try:
                    found = page.find_tables(use_layout=self.layout)
                    if found is None:  # find_tables swallows its exceptions and returns None
                        raise RuntimeError("find_tables returned None")
                    for table in found.tables:
                        rows = table.rows
                        boxes, texts = _boxes_and_texts(rows, table.extract())
                        out.append(_table_record(doc, pno + 1, table.bbox,
                                                 icdar.cells_from_boxes(boxes, texts)))
                except Exception as exc:  # noqa: BLE001 - one page must not stop the run
                    self.errors.append(f"{doc} p{pno + 1}: {exc!r}")
        return out


class PdfplumberRunner(Runner):
    def setup(self) -> None:
        try:
            import pdfplumber
        except ImportError:
            raise SystemExit("the pdfplumber engine needs pdfplumber, which abstab does not "
                             "install: pip install pdfplumber (or leave it out of --engines)"
                             ) from None

        self.pdfplumber = pdfplumber
        self.info = {"pdfplumber": pdfplumber.__version__}

    def run(self, doc: str, pdf: Path) -> list[dict]:
        out = []
        with self.pdfplumber.open(pdf) as document:
            for pno, page in enumerate(document.pages):
                try:
                    for table in page.find_tables():
                        boxes, texts = _boxes_and_texts(table.rows, table.extract())
                        out.append(_table_record(doc, pno + 1, table.bbox,
                                                 icdar.cells_from_boxes(boxes, texts)))
                except Exception as exc:  # noqa: BLE001 - one page must not stop the run
                    self.errors.append(f"{doc} p{pno + 1}: {exc!r}")
                finally:
                    page.close()
        return out


class CamelotRunner(Runner):
    def __init__(self, flavor: str) -> None:
        super().__init__()
        self.flavor = flavor

    def setup(self) -> None:
        import warnings

        import camelot
        import pymupdf

        warnings.filterwarnings("ignore")  # "No tables found on page-N" and the like
        self.camelot = camelot
        self.pymupdf = pymupdf
        self.info = {"camelot": camelot.__version__}

    def run(self, doc: str, pdf: Path) -> list[dict]:
        out = []
        with self.pymupdf.open(pdf) as document:
            heights = [page.rect.height for page in document]
        for pno, height in enumerate(heights, start=1):
            try:
                tables = self.camelot.read_pdf(str(pdf), pages=str(pno), flavor=self.flavor,
                                               suppress_stdout=True)
                for table in tables:
                    # _bbox is (x1, y1, x2, y2), bottom-left origin of the displayed page
                    page_h = table.pdf_size[1] if table.pdf_size else height
                    x1, y1, x2, y2 = table._bbox
                    bbox = (min(x1, x2), page_h - max(y1, y2), max(x1, x2), page_h - min(y1, y2))
                    df = table.df
                    cells = [{"row": i, "col": j, "row_span": 1, "col_span": 1,
                              "text": str(df.iat[i, j])}
                             for i in range(df.shape[0]) for j in range(df.shape[1])]
                    out.append(_table_record(doc, pno, bbox, cells))
            except Exception as exc:  # noqa: BLE001 - one page must not stop the run
                self.errors.append(f"{doc} p{pno}: {exc!r}")
        return out


RUNNERS = {
    "pymupdf": lambda: PyMuPDFRunner(layout=True),
    "pymupdf-nolayout": lambda: PyMuPDFRunner(layout=False),
    "camelot-lattice": lambda: CamelotRunner("lattice"),
    "camelot-stream": lambda: CamelotRunner("stream"),
    "pdfplumber": PdfplumberRunner,
}


def _burn(n: int) -> int:
    x = 0
    for i in range(n):
        x += i * i
    return x


def cpu_parallelism(n: int = 4_000_000) -> dict:
    """How much of a second core this run gets: the speedup of two busy loops in two
    processes over one (2.0 on an idle dual-core machine; near 1.0 when another job holds the
    other core). Worker speedups measured in the same run are bounded by it."""
    import multiprocessing as mp

    start = time.perf_counter()
    _burn(n)
    one = time.perf_counter() - start
    with mp.get_context("fork").Pool(2) as pool:
        start = time.perf_counter()
        pool.map(_burn, [n, n])
        two = time.perf_counter() - start
    return {"cpus": os.cpu_count(), "two_process_speedup": round(2 * one / two, 2)}


def _peak_rss_mb() -> float:
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(self_kb, child_kb) / 1024.0


def run_abstab(job: dict) -> dict:
    """abstab as subprocesses, one extract + export per subset (timed per subset)."""
    groups, predictions, errors = [], [], []
    by_subset: dict[str, list[dict]] = {}
    for d in job["docs"]:
        by_subset.setdefault(d["subset"], []).append(d)
    with tempfile.TemporaryDirectory(prefix="bench_icdar_abstab_") as tmp:
        for subset, docs in by_subset.items():
            work = Path(tmp) / subset
            preds = Path(tmp) / f"{subset}.json"
            cmd = [sys.executable, "-m", "abstab", "extract", *[d["pdf"] for d in docs],
                   "-o", str(work), "--engine", job.get("abstab_engine", "auto"),
                   "--workers", str(job.get("workers", 1))]
            start = time.perf_counter()
            res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - start
            if res.returncode != 0:
                errors.append(f"extract {subset}: exit {res.returncode}: {res.stderr[-2000:]}")
                continue
            groups.append({"docs": [d["doc"] for d in docs], "seconds": seconds})
            failed = work / "extract" / "errors.jsonl"  # files the stage dropped (crash, ...)
            if failed.exists():
                errors.extend(f"extract {subset}: {e.get('item')}: {e.get('reason')}: "
                              f"{e.get('message', '')[:300]}"
                              for e in map(json.loads, failed.read_text().splitlines()))
            res = subprocess.run([sys.executable, "-m", "abstab", "export", "icdar", str(work),
                                  "-o", str(preds)], cwd=REPO, capture_output=True, text=True,
                                 check=False)
            if res.returncode != 0 or not preds.exists():
                errors.append(f"export {subset}: exit {res.returncode}: {res.stderr[-2000:]}")
                continue
            predictions.extend(json.loads(preds.read_text()))
    return {"predictions": predictions, "timings": groups, "errors": errors, "setup_s": 0.0,
            "info": {}}


def worker(engine: str, job_path: Path, out_path: Path) -> int:
    """Child-process entry: run one engine over the job's documents, write its result JSON."""
    job = json.loads(job_path.read_text())
    if engine == "abstab":
        result = run_abstab(job)
    else:
        runner = RUNNERS[engine]()
        start = time.perf_counter()
        runner.setup()
        setup_s = time.perf_counter() - start
        predictions, timings = [], []
        for d in job["docs"]:
            start = time.perf_counter()
            try:
                predictions.extend(runner.run(d["doc"], Path(d["pdf"])))
            except Exception as exc:  # noqa: BLE001 - e.g. a PDF that does not open
                runner.errors.append(f"{d['doc']}: {exc!r}")
            timings.append({"docs": [d["doc"]], "seconds": time.perf_counter() - start})
            print(f"  {engine} {d['doc']}: {timings[-1]['seconds']:.2f}s", file=sys.stderr,
                  flush=True)
        result = {"predictions": predictions, "timings": timings, "errors": runner.errors,
                  "setup_s": setup_s, "info": getattr(runner, "info", {})}
    result["peak_rss_mb"] = _peak_rss_mb()
    out_path.write_text(json.dumps(result))
    return 0


# ---------------------------------------------------------------------------------------------
# Parent: run the engines, score, report
# ---------------------------------------------------------------------------------------------

def abstab_available() -> tuple[bool, str]:
    """Whether ``abstab export icdar`` exists (its --help exits 0)."""
    for cmd in (["export", "--help"], ["export", "icdar", "--help"]):
        res = subprocess.run([sys.executable, "-m", "abstab", *cmd], cwd=REPO,
                             capture_output=True, text=True, check=False)
        if res.returncode != 0:
            tail = (res.stderr or res.stdout).strip().splitlines()[-1:] or [""]
            return False, f"`abstab {' '.join(cmd)}` exited {res.returncode}: {tail[0]}"
    return True, ""


def run_engine(engine: str, job_path: Path, tmp: Path, timeout: float,
               quiet: bool = False) -> dict:
    """Run one engine in a child process, forwarding its progress lines to stderr; a crash or
    timeout becomes ``status: failed`` with the tail of the child's stderr."""
    out = tmp / f"{engine}.out.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_worker", engine,
           "--_job", str(job_path), "--_out", str(out)]
    tail: deque[str] = deque(maxlen=40)

    def pump(stream) -> None:
        for line in stream:
            tail.append(line)
            if not quiet:
                sys.stderr.write(line)
                sys.stderr.flush()

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, errors="replace")
    reader = threading.Thread(target=pump, args=(proc.stderr,), daemon=True)
    reader.start()
    try:
        code: int | str = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = f"timeout after {timeout:g}s"
    reader.join(timeout=5)
    wall = time.perf_counter() - start
    if code != 0 or not out.exists():
        return {"status": "failed", "reason": f"child exit {code}",
                "stderr_tail": "".join(tail)[-3000:], "wall_s": wall}
    result = json.loads(out.read_text())
    result["status"] = "ok"
    result["wall_s"] = wall
    return result


def engine_metrics(docs: list[icdar.GTDocument], result: dict,
                   adj_threshold: float = icdar.ADJ_IOU_THRESHOLD) -> dict:
    """Scores plus speed per subset for one engine's result."""
    scores = icdar.score(docs, result["predictions"], adj_threshold=adj_threshold)
    subset_of = {d.doc: d.subset for d in docs}
    pages_of = {d.doc: d.n_pages for d in docs}
    speed: dict[str, list[float]] = {}  # subset -> [pages, seconds]; groups lie in one subset
    for group in result.get("timings", []):
        subset = subset_of.get(group["docs"][0]) if group["docs"] else None
        if subset is None:
            continue
        pages = sum(pages_of.get(doc, 0) for doc in group["docs"])
        for key in (subset, "all"):
            acc = speed.setdefault(key, [0.0, 0.0])
            acc[0] += pages
            acc[1] += group["seconds"]
    for key, s in scores.items():
        pages, seconds = speed.get(key, (0.0, 0.0))
        s["seconds"] = round(seconds, 3) if seconds else None
        s["pages_per_s"] = round(pages / seconds, 3) if seconds else None
    out = {"status": "ok", "subsets": scores}
    for key in ("peak_rss_mb", "setup_s", "wall_s"):
        if result.get(key) is not None:
            out[key] = round(result[key], 3)
    if result.get("info"):
        out["info"] = result["info"]
    errors = result.get("errors") or []
    out["n_errors"] = len(errors)
    if errors:
        out["errors"] = errors[:20]
    return out


def _fmt(v, spec=".3f") -> str:
    return "-" if v is None else format(v, spec)


def print_report(report: dict, file=sys.stderr) -> None:
    head = (f"{'engine':<18} {'subset':<6} {'docs':>4} {'pages':>5} {'GT':>4} {'pred':>5} "
            f"{'det P':>6} {'det R':>6} {'det F1':>6} {'adj F1':>7} {'strict':>7} "
            f"{'pages/s':>8} {'RSS MB':>7}")
    print(head, file=file)
    print("-" * len(head), file=file)
    # GT = ground-truth regions (the detection targets); adj F1 = normalised, strict = strict
    for name, eng in report["engines"].items():
        if eng["status"] != "ok":
            print(f"{name:<18} {eng['status']}: {eng.get('reason', '')}", file=file)
            continue
        for subset, s in eng["subsets"].items():
            print(f"{name:<18} {subset:<6} {s['n_docs']:>4} {s['n_pages']:>5} "
                  f"{s['n_gt_regions']:>4} {s['n_pred_tables']:>5} "
                  f"{_fmt(s['det']['precision']):>6} {_fmt(s['det']['recall']):>6} "
                  f"{_fmt(s['det']['f1']):>6} {_fmt(s['adj']['normalised']['f1']):>7} "
                  f"{_fmt(s['adj']['strict']['f1']):>7} {_fmt(s.get('pages_per_s'), '.2f'):>8} "
                  f"{_fmt(eng.get('peak_rss_mb'), '.0f'):>7}", file=file)
        if eng.get("n_errors"):
            print(f"{'':<18} {eng['n_errors']} page error(s), first: {eng['errors'][0]}",
                  file=file)
    print(file=file)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, help="dataset folder (see the module docstring)")
    ap.add_argument("--engines", help=f"comma-separated, from {','.join(ENGINES)} "
                    "(default: all, or none with --predictions)")
    ap.add_argument("--subsets", help="comma-separated subset names (default: all), e.g. eu,us")
    ap.add_argument("--limit", type=int, help="only the first N documents of each subset")
    ap.add_argument("--variant", choices=icdar.VARIANTS, default="best",
                    help="documents with alternative ground truths: scored against the best "
                    "one (default), the primary a, or b")
    ap.add_argument("--predictions", type=Path, help="score this predictions file too")
    ap.add_argument("--name", help="name of the --predictions entry (default: the file stem)")
    ap.add_argument("--save-predictions", type=Path, metavar="DIR",
                    help="write each engine's predictions to DIR/<engine>.json")
    ap.add_argument("--adj-iou", type=float, default=icdar.ADJ_IOU_THRESHOLD,
                    help="IoU from which a prediction is paired with a GT table for the "
                    "adjacency metric (default 0: any overlap; 0.5 = the detection matching)")
    ap.add_argument("--abstab-engine", default="auto",
                    help="engine `abstab extract --engine` uses (default: auto, abstab's default)")
    ap.add_argument("--workers", type=int, default=1,
                    help="`abstab extract --workers N` (default 1: one process)")
    ap.add_argument("--quiet", action="store_true", help="no per-document progress lines")
    ap.add_argument("--timeout", type=float, default=3600.0,
                    help="seconds per engine before its child is stopped (default 3600)")
    ap.add_argument("--_worker", help=argparse.SUPPRESS)
    ap.add_argument("--_job", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._worker:
        return worker(args._worker, args._job, args._out)
    if args.data is None:
        ap.error("--data is required")
    if args.engines:
        engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    else:
        engines = [] if args.predictions else list(ENGINES)
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        ap.error(f"unknown engine(s) {unknown}; choose from {list(ENGINES)}")
    if args.name and not args.predictions:
        ap.error("--name goes with --predictions")
    subsets = [s.strip() for s in args.subsets.split(",")] if args.subsets else None

    docs = icdar.load_dataset(args.data, subsets, args.limit, args.variant)
    if not docs:
        ap.error(f"no documents with ground truth under {args.data}")
    subset_info: dict[str, dict] = {}
    for d in docs:
        info = subset_info.setdefault(d.subset, {"docs": 0, "pages": 0, "gt_tables": 0})
        info["docs"] += 1
        info["pages"] += d.n_pages
        info["gt_tables"] += len(d.tables)
    print(f"ICDAR 2013 at {args.data}: " + ", ".join(
        f"{s} {v['docs']} docs / {v['pages']} pages / {v['gt_tables']} tables"
        for s, v in subset_info.items()), file=sys.stderr)

    machine = cpu_parallelism()
    print(f"machine: {machine['cpus']} CPUs, two busy processes run "
          f"{machine['two_process_speedup']:.2f}x as fast as one", file=sys.stderr)
    report: dict = {"data": str(args.data), "variant": args.variant, "machine": machine,
                    "iou_threshold": icdar.IOU_THRESHOLD, "adj_iou_threshold": args.adj_iou,
                    "subsets": subset_info, "engines": {}}
    job = {"docs": [{"doc": d.doc, "subset": d.subset, "pdf": str(d.pdf.resolve()),
                     "n_pages": d.n_pages} for d in docs],
           "abstab_engine": args.abstab_engine, "workers": args.workers}
    report["abstab"] = {"engine": args.abstab_engine, "workers": args.workers}
    with tempfile.TemporaryDirectory(prefix="bench_icdar_") as tmp_name:
        tmp = Path(tmp_name)
        job_path = tmp / "job.json"
        job_path.write_text(json.dumps(job))
        for engine in engines:
            if engine == "abstab":
                ok, why = abstab_available()
                if not ok:
                    print(f"abstab: not available ({why})", file=sys.stderr)
                    report["engines"][engine] = {"status": "not available", "reason": why}
                    continue
            print(f"running {engine} ...", file=sys.stderr, flush=True)
            try:
                result = run_engine(engine, job_path, tmp, args.timeout, args.quiet)
            except Exception:  # noqa: BLE001 - report, go on with the next engine
                result = {"status": "failed", "reason": traceback.format_exc(limit=3)}
            if result["status"] != "ok":
                print(f"{engine}: {result['status']} ({result.get('reason')})\n"
                      f"{result.get('stderr_tail', '')[-1500:]}", file=sys.stderr)
                report["engines"][engine] = result
                continue
            if args.save_predictions:
                args.save_predictions.mkdir(parents=True, exist_ok=True)
                (args.save_predictions / f"{engine}.json").write_text(
                    json.dumps(result["predictions"]))
            report["engines"][engine] = engine_metrics(docs, result, args.adj_iou)
    if args.predictions:
        name = args.name or args.predictions.stem
        predictions = json.loads(args.predictions.read_text())
        report["engines"][name] = engine_metrics(docs, {"predictions": predictions},
                                                 args.adj_iou)
        report["engines"][name]["predictions_file"] = str(args.predictions)

    print_report(report)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
