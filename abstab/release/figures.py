"""The release's figures (PNG, matplotlib from the extra ``release``), drawn from stats.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from abstab.release.layout import SPLITS


def draw_figures(stats: dict[str, Any], out: Path) -> list[Path]:
    """Write funnel.png, location_style.png and splits.png into ``out``."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    written = []
    # Keep PNGs byte-stable across runs (no date or software version in their metadata).
    meta = {"Software": None}

    fig, ax = plt.subplots(figsize=(7, 3.2))
    if stats.get("run_funnel"):  # PDFs → documents → tables → ... → items
        steps = [s["step"] for s in stats["run_funnel"]]
        ax.barh(steps, [s["n"] for s in stats["run_funnel"]], color="#2b6cb0")
        for i, s in enumerate(stats["run_funnel"]):
            ax.text(s["n"], i, f" {s['n']}", va="center", fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel("count (log scale)")
    else:  # per stage: what came in, what was kept
        stages = [s["stage"] for s in stats["funnel"]]
        y = list(range(len(stages)))
        ax.barh([i + 0.2 for i in y], [s["in"] for s in stats["funnel"]], height=0.4,
                label="in", color="#bbbbbb")
        ax.barh([i - 0.2 for i in y], [s["kept"] for s in stats["funnel"]], height=0.4,
                label="kept", color="#2b6cb0")
        ax.set_yticks(y, stages)
        ax.set_xlabel("records")
        ax.legend(loc="lower right", fontsize=8)
    ax.invert_yaxis()
    ax.set_title("Cleaning funnel")
    fig.tight_layout()
    written.append(out / "funnel.png")
    fig.savefig(written[-1], dpi=110, metadata=meta)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 3.6))
    table = stats["location_by_style"]
    locations = list(table)
    styles = sorted({s for row in table.values() for s in row})
    left = [0] * len(locations)
    colors = plt.get_cmap("tab10")
    for j, style in enumerate(styles):
        vals = [table[loc].get(style, 0) for loc in locations]
        ax.barh(locations, vals, left=left, label=style, color=colors(j))
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("items")
    ax.set_title("Items per answer location, by abstraction style")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    written.append(out / "location_style.png")
    fig.savefig(written[-1], dpi=110, metadata=meta)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 2.6))
    counts = [stats["rows"]["items"].get(s, 0) for s in SPLITS]
    ax.bar(SPLITS, counts, color="#2b6cb0")
    for i, c in enumerate(counts):
        ax.text(i, c, str(c), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("items")
    ax.set_title("Items per split (split by document)")
    fig.tight_layout()
    written.append(out / "splits.png")
    fig.savefig(written[-1], dpi=110, metadata=meta)
    plt.close(fig)
    return written
