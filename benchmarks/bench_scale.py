"""Extraction at scale: pages/s with 1 and 2 workers on the local and the Ray executor, and
peak memory at 50 and 200 PDFs, of extraction and of the later stages (judge, resolve,
generate with the rules backend) on the workspaces those runs wrote.

    python benchmarks/bench_scale.py --data ../shared/corpora

Reads every PDF of DATA/govreports and DATA/icdar2013 (recursively). Each run is a fresh
``abstab extract`` in a child process, so its peak RSS is its own: the driver's (ru_maxrss of
the child) and the largest worker's (ru_maxrss of the child's children). The memory runs use
N copies of the corpus's ``--base`` largest PDFs (25 by default) in a temp dir, cycled: 50
and 200 are both whole multiples of 25, so both sets hold the same distinct files in the same
proportions (and a worker replaced every 10 files meets the same groups of files), and the
50/200 ratio shows what grows with the number of files, not which files happen to be in the
smaller set. Each copy's bytes are made distinct with a trailing PDF comment so that
deduplication does not skip it.

Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = r"""
import json, resource, sys, time
from abstab.stages.extract import ExtractStage
from abstab.registry import executors
inputs, work, workers, executor, timeout, per_worker = json.loads(sys.argv[1])
ex = executors.get(executor)()
start = time.perf_counter()
try:
    report = ExtractStage(work, {"inputs": inputs, "workers": workers, "timeout": timeout,
                                 "files_per_worker": per_worker,
                                 "engine": "auto"}).run(executor=ex)
    seconds = time.perf_counter() - start
finally:
    ex.close()
c = report.stats.get("counts", {})
print(json.dumps({"seconds": seconds, "pages": c.get("pages", 0), "kept": report.stats["kept"],
                  "in": report.stats["in"], "tables": c.get("tables", 0),
                  "driver_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


_STAGE_CHILD = r"""
import json, resource, sys, time
from abstab.backends import build_backend
from abstab.registry import stages
work, name = sys.argv[1], sys.argv[2]
backend = build_backend("rules", {}, work)
settings = {"retriever": "bm25"} if name == "resolve" else {}
start = time.perf_counter()
report = stages.get(name)(work, settings, backend).run()
print(json.dumps({"seconds": time.perf_counter() - start, "kept": report.stats.get("kept", 0),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
LATER_STAGES = ("judge", "resolve", "generate")


def run_stage(work: Path, name: str) -> dict:
    """One later stage (rules backend) in a child process of its own: its peak RSS."""
    out = subprocess.run([sys.executable, "-c", _STAGE_CHILD, str(work), name],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_extract(inputs: list[str], workers: int, executor: str, timeout: float,
                per_worker: int, keep: Path | None = None) -> dict:
    """A fresh extract in a child process; ``keep``: the workspace to leave behind."""
    with tempfile.TemporaryDirectory() as tmp:
        work = keep or Path(tmp) / "work"
        arg = json.dumps([inputs, str(work), workers, executor, timeout, per_worker])
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _CHILD, arg], capture_output=True,
                             text=True, check=False)
        wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"extract failed ({executor}, {workers} workers):\n{out.stderr[-3000:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["wall_seconds"] = round(wall, 2)
    res["pages_per_s"] = round(res["pages"] / res["seconds"], 3)
    return res


def corpus_pdfs(data: Path) -> list[Path]:
    pdfs = []
    for name in ("govreports", "icdar2013"):
        folder = data / name
        if folder.is_dir():
            pdfs += sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".pdf")
    if not pdfs:
        raise SystemExit(f"no PDFs under {data}/govreports or {data}/icdar2013")
    return pdfs


def copies(pdfs: list[Path], n: int, folder: Path, base: int) -> list[str]:
    """``n`` distinct files cycling over the ``base`` largest of ``pdfs`` (a trailing comment
    makes each unique)."""
    folder.mkdir(parents=True, exist_ok=True)
    by_size = sorted(pdfs, key=lambda p: (-p.stat().st_size, p.name))[:base]
    for i, src in zip(range(n), itertools.cycle(by_size), strict=False):
        (folder / f"{i:04d}_{src.name}").write_bytes(src.read_bytes() + f"\n%copy {i}\n".encode())
    return [str(folder)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="the corpora folder")
    ap.add_argument("--executors", default="local,ray")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--memory-sizes", default="50,200")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--base", type=int, default=25,
                    help="the memory runs cycle over this many of the largest corpus PDFs")
    ap.add_argument("--stages", default=",".join(LATER_STAGES),
                    help="later stages whose peak RSS is measured on each memory workspace")
    ap.add_argument("--files-per-worker", type=int, default=10,
                    help="extract's files_per_worker (0: a worker is never replaced)")
    args = ap.parse_args()
    pdfs = corpus_pdfs(args.data)
    inputs = [str(p) for p in pdfs]
    result: dict = {"pdfs": len(pdfs), "cpus": os.cpu_count(), "memory_base": args.base,
                    "files_per_worker": args.files_per_worker, "speed": {}, "memory": {}}
    for executor in filter(None, args.executors.split(",")):
        runs = {}
        for w in (int(x) for x in args.workers.split(",")):
            r = run_extract(inputs, w, executor, args.timeout, args.files_per_worker)
            runs[w] = r
            print(f"{executor:5} workers={w}: {r['pages']} pages in {r['seconds']:.1f}s "
                  f"= {r['pages_per_s']} pages/s ({r['kept']}/{r['in']} PDFs kept)",
                  file=sys.stderr)
        base = runs[min(runs)]["pages_per_s"]
        result["speed"][executor] = {
            str(w): {"pages": r["pages"], "seconds": round(r["seconds"], 2),
                     "pages_per_s": r["pages_per_s"],
                     "ratio_to_1_worker": round(r["pages_per_s"] / base, 3),
                     "seconds_per_pdf": round(r["seconds"] / r["in"], 3)}
            for w, r in runs.items()}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.memory_sizes.split(",")):
            folder = copies(pdfs, n, Path(tmp) / f"c{n}", args.base)
            work = Path(tmp) / f"w{n}"
            r = run_extract(folder, 1, "local", args.timeout, args.files_per_worker, keep=work)
            mem = result["memory"][str(n)] = {
                "driver_peak_rss_mb": round(r["driver_rss_mb"], 1),
                "worker_peak_rss_mb": round(r["worker_rss_mb"], 1),
                "pages": r["pages"], "tables": r["tables"], "seconds": round(r["seconds"], 1)}
            print(f"memory {n} PDFs: driver {r['driver_rss_mb']:.0f} MB, worker "
                  f"{r['worker_rss_mb']:.0f} MB", file=sys.stderr)
            for name in filter(None, args.stages.split(",")):
                st = run_stage(work, name)
                mem[f"{name}_peak_rss_mb"] = round(st["rss_mb"], 1)
                mem[f"{name}_seconds"] = round(st["seconds"], 1)
                print(f"  {name}: {st['rss_mb']:.0f} MB, {st['seconds']:.1f}s", file=sys.stderr)
    sizes = sorted(result["memory"], key=int)
    if len(sizes) >= 2:
        lo, hi = result["memory"][sizes[0]], result["memory"][sizes[-1]]
        for key in [k for k in lo if k.endswith("_peak_rss_mb")]:
            result["memory"][key.replace("_peak_rss_mb", "_ratio")] = round(hi[key] / lo[key], 3)
    result["peak_rss_self_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
