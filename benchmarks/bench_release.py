"""Release size on disk and release/validate time per 1,000 items.

    python benchmarks/bench_release.py --data WORK [--scale 10]

WORK is an assembled workspace (e.g. `abstab synth -p pipelines/sample.yaml -o WORK`).
``--scale K`` releases a copy whose assembled items are repeated K times under new ids (same
documents and tables), to see how time and size grow with the number of items. Imports of
pyarrow/datasets/matplotlib are done once before timing (they cost seconds, once per process).
Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path


def _scaled(work: Path, k: int, tmp: Path) -> Path:
    if k == 1:
        return work
    copy = tmp / "work"
    shutil.copytree(work, copy, ignore=shutil.ignore_patterns("bench", "index", ".cache"))
    path = copy / "assemble" / "items.jsonl"
    lines = path.read_text().splitlines()
    out = []
    for rep in range(k):
        for line in lines:
            item = json.loads(line)
            if rep:
                item["item_id"] = hashlib.sha256(f"{item['item_id']}/{rep}".encode()).hexdigest()[:16]
                if item.get("pair_id"):
                    item["pair_id"] = f"{item['pair_id']}/{rep}"
            out.append(json.dumps(item, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n")
    return copy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, type=Path, help="an assembled abstab workspace")
    ap.add_argument("--scale", type=int, default=1, help="repeat the items K times")
    ap.add_argument("--no-figures", action="store_true")
    args = ap.parse_args()

    import matplotlib.pyplot  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import datasets  # noqa: F401 - imported once, outside the timing
    from abstab.release.build import ReleaseSettings, build_release
    from abstab.release.validate import validate_release

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        work = _scaled(args.data, args.scale, tmp)
        t0 = time.perf_counter()
        rep = build_release(work, tmp / "release", ReleaseSettings(figures=not args.no_figures))
        release_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        check = validate_release(tmp / "release")
        validate_s = time.perf_counter() - t0
        parts = {}
        for sub in ("items", "tables", "documents", "pdfs", "figures"):
            parts[sub] = sum(p.stat().st_size for p in (tmp / "release" / sub).rglob("*")
                             if p.is_file())
        parts["browse.html"] = (tmp / "release" / "browse.html").stat().st_size
    items = sum(rep.counts["items"].values())
    result = {
        "items": items,
        "tables": sum(rep.counts["tables"].values()),
        "documents": sum(rep.counts["documents"].values()),
        "bytes": rep.bytes,
        "bytes_per_1000_items": round(rep.bytes / items * 1000),
        "parquet_items_bytes_per_1000_items": round(parts["items"] / items * 1000),
        "bytes_by_part": parts,
        "release_s": round(release_s, 2),
        "release_s_per_1000_items": round(release_s / items * 1000, 2),
        "validate_s": round(validate_s, 2),
        "validate_s_per_1000_items": round(validate_s / items * 1000, 2),
        "validate_ok": check.ok,
        "problems": len(check.problems),
    }
    print(f"released {items} items: {rep.bytes / 1e6:.2f} MB in {release_s:.1f}s; "
          f"validate {validate_s:.1f}s ({'ok' if check.ok else 'problems'})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
