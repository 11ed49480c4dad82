"""PNG figures of a bench run (extra: ``plot``, i.e. matplotlib).

:func:`plot_facet` draws one grouped bar chart: a metric per group of a facet (answer location
by default), one bar per row of results.json (every system scored so far), with the 95%
interval of :func:`abstab.bench.metrics.confidence_interval` as an error bar.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from abstab.records import ANSWER_LOCATIONS

__all__ = ["PLOT_HINT", "available", "plot_facet", "write_plots"]

PLOT_HINT = "plots need the plot extra: pip install 'abstab[plot]'"


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def plot_facet(results: dict[str, Any], path: Path, facet: str = "answer_location",
               metric: str = "correct") -> Path:
    """Grouped bars of ``metric`` per value of ``facet`` (x) and system (bars).

    Args:
        results: a results.json dict.
        path: the PNG to write.
        facet: a facet key of the results (answer_location, answer_from, style, ...).
        metric: the metric drawn.

    Returns:
        ``path``.

    Raises:
        ValueError: no system has that facet.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    systems = {n: r for n, r in results["systems"].items() if r.get(facet)}
    if not systems:
        raise ValueError(f"no system's results have the facet {facet!r}")
    values = sorted({v for r in systems.values() for v in r[facet]})
    if facet == "answer_location":
        values = [v for v in ANSWER_LOCATIONS if v in values]
    width = 0.8 / len(systems)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(values) * max(1, len(systems)) / 2), 4))
    for i, (name, res) in enumerate(systems.items()):
        means: list[float] = []
        errs: list[list[float]] = [[], []]
        for v in values:
            entry = res[facet].get(v, {}).get("metrics", {}).get(metric)
            mean = entry["mean"] if entry else 0.0
            lo, hi = entry["ci"] if entry else (0.0, 0.0)
            means.append(mean)
            errs[0].append(max(mean - lo, 0.0))
            errs[1].append(max(hi - mean, 0.0))
        xs = [x + (i - (len(systems) - 1) / 2) * width for x in range(len(values))]
        ax.bar(xs, means, width, yerr=errs, capsize=2, label=name)
    ax.set_xticks(range(len(values)))
    ax.set_xticklabels([f"{v}\n(n={max(r[facet].get(v, {}).get('n', 0) for r in systems.values())})"
                        for v in values], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} by {facet.replace('_', ' ')} (bars: 95% CI, Wilson for 0/1 "
                 f"metrics, else bootstrap over documents)", fontsize=9)
    ax.legend(fontsize=8, ncol=min(len(systems), 5))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_plots(results: dict[str, Any], directory: Path) -> list[Path]:
    """``accuracy_by_location.png`` and, for facets the data has, ``accuracy_by_<facet>.png``
    (answer_from, answer_type, style). Nothing when matplotlib is not installed."""
    if not available():
        return []
    out = [plot_facet(results, directory / "accuracy_by_location.png")]
    for facet in ("answer_from", "answer_type", "style"):
        groups = {v for r in results["systems"].values() for v in r.get(facet, {})}
        if len(groups) > 1:
            out.append(plot_facet(results, directory / f"accuracy_by_{facet}.png", facet))
    return out
