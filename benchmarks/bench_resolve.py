"""Resolve throughput and the per-document retrieval index, per retriever.

Usage: python benchmarks/bench_resolve.py --data DIR [--work DIR]

DIR holds PDFs (``pdfs/*.pdf`` or ``*.pdf``; e.g. ``datasets/sample`` or
``../shared/corpora/govreports``). The script extracts and judges them once, then runs the
resolve stage with each retriever (``bm25``; ``dense`` and ``hybrid`` when the embed extra is
installed) twice: cold (empty ``WORK/index``) and warm (a forced rerun that reuses the cached
dense vectors). It reports keywords resolved per second, the index build time per document
(cold minus warm, over documents with abstract tables), and the category counts.

The last line of stdout is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from abstab import embed
from abstab.backends import build_backend
from abstab.records import Judgment, Resolution
from abstab.stages.extract import ExtractStage
from abstab.stages.judge import JudgeStage
from abstab.stages.resolve import ResolveStage
from abstab.store import StageDir


def _timed_resolve(work: Path, retriever: str, backend) -> tuple[float, list[Resolution]]:
    start = time.perf_counter()
    ResolveStage(work, {"retriever": retriever}, backend).run(force=True)
    elapsed = time.perf_counter() - start
    return elapsed, list(StageDir(work, "resolve", ()).read("resolutions", Resolution))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    pdf_dir = args.data / "pdfs" if (args.data / "pdfs").is_dir() else args.data
    work = args.work or Path(tempfile.mkdtemp(prefix="abstab-resolve-"))
    backend = build_backend("rules", {}, work)
    ExtractStage(work, {"inputs": [str(pdf_dir)]}).run()
    JudgeStage(work, {}, backend).run()
    judgments = [j for j in StageDir(work, "judge", ()).read("judgments", Judgment)
                 if j.label == "abstract"]
    keywords = sum(len(j.keywords) for j in judgments)
    docs = len({j.doc_id for j in judgments})
    retrievers = ["bm25"] + (["dense", "hybrid"] if embed.available() else [])
    if embed.available():
        start = time.perf_counter()
        embed.encode(["warm up"])  # load the model once, outside every timing below
        model_load = time.perf_counter() - start
    out: dict = {"documents_with_abstract_tables": docs, "keywords": keywords,
                 "model_load_s": round(model_load, 2) if embed.available() else None}
    for retriever in retrievers:
        shutil.rmtree(work / "index", ignore_errors=True)
        from abstab import retrieval

        retrieval._MEMO.clear()  # a cold run: no vectors in memory or on disk
        cold, resolutions = _timed_resolve(work, retriever, backend)
        retrieval._MEMO.clear()  # a warm run: vectors only from WORK/index, as a new process
        warm, _ = _timed_resolve(work, retriever, backend)
        cats: dict[str, int] = {}
        for r in resolutions:
            cats[r.category] = cats.get(r.category, 0) + 1
        out[retriever] = {
            "cold_s": round(cold, 3), "warm_s": round(warm, 3),
            "keywords_per_s_cold": round(keywords / cold, 1) if cold else None,
            "keywords_per_s_warm": round(keywords / warm, 1) if warm else None,
            "index_build_s_per_doc": round(max(cold - warm, 0.0) / docs, 4) if docs else None,
            "categories": dict(sorted(cats.items())),
        }
        print(f"{retriever:7s} cold {cold:7.2f}s  warm {warm:7.2f}s  {cats}")
    backend.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
