"""The Python API: what the ``abstab`` commands do, callable from a script or a notebook.

```python
import abstab

reports = abstab.synth("sample", "work")          # extract → judge → resolve → generate → assemble
result = abstab.bench("work", ["table", "oracle"])
result.leaderboard()                              # pandas DataFrame: one row per system
```

The CLI calls these same functions (``abstab synth``, ``abstab bench``) and prints what they
return. pandas is needed only by the functions that return DataFrames
(``pip install 'abstab[pandas]'``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from abstab.errors import AbstabError, ConfigError, MissingDependencyError
from abstab.records import require_pandas

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from abstab.bench.data import BenchData
    from abstab.stages.base import StageReport

__all__ = ["BenchResult", "NothingKeptError", "Release", "bench", "load_release",
           "require_pandas", "run_stages", "synth"]

DEFAULT_SYSTEMS = ("table", "rag", "hybrid", "oracle", "closed-book")
FIRST_ERRORS = 3
"""Error lines of a stage that kept nothing shown in the message that stops the run."""


class NothingKeptError(AbstabError):
    """A stage kept nothing and a later stage needs its records: the run stops there.

    The CLI exits 1 (done with per-item errors): the cause is in the inputs, listed in the
    message, not in the command.

    Attributes:
        reports: the reports of the stages that ran, the empty one last.
    """

    exit_code = 1

    def __init__(self, message: str, reports: list[StageReport]):
        super().__init__(message)
        self.reports = reports


def _first_errors(work: Path, stage: str, n: int = FIRST_ERRORS) -> list[str]:
    """``WORK/STAGE/errors.jsonl:LINE: reason: message`` for the first ``n`` failures."""
    from abstab.store import StageDir

    path = work / stage / "errors.jsonl"
    out = []
    for lineno, e in enumerate(StageDir(work, stage, ()).errors(), 1):
        if e.get("failure", True):
            out.append(f"{path}:{lineno}: {e.get('reason')}: {e.get('message')}")
            if len(out) == n:
                break
    return out


def _needed_later(name: str, rest: Sequence[str]) -> str | None:
    """The first later stage of ``rest`` that needs a kind ``name`` produces, or None."""
    from abstab.registry import stages

    made = set(stages.get(name).produces)
    return next((s for s in rest if made & set(stages.get(s).consumes)), None)


def run_stages(work: str | Path, plan: Sequence[tuple[str, dict[str, Any] | Any]],
               backend: str = "rules", backend_settings: dict[str, Any] | None = None, *,
               force: bool = False, executor: Any = None,
               on_stage: Callable[[StageReport], None] | None = None) -> list[StageReport]:
    """Run stages in order in the workspace ``work``, each resuming what is done.

    Every stage's settings, and the backend's when a stage uses one, are checked before any
    stage runs. A stage that had inputs but kept nothing because they failed (or, for the stage
    reading PDFs or a dataset, kept nothing at all) stops the run when a later stage needs its
    records.

    Args:
        work: the workspace folder.
        plan: (stage name, its settings as a mapping or settings object), in run order.
        backend: backend name (``abstab backends list``) for the stages that call one.
        backend_settings: the backend's settings (model, base_url, ...).
        force: redo each stage even if it is done.
        executor: where units run (an instance of :data:`abstab.registry.executors`); local
            by default.
        on_stage: called with each stage's report as soon as that stage ends.

    Returns:
        One :class:`~abstab.stages.base.StageReport` per stage.

    Raises:
        ConfigError: a bad setting, backend or input (before anything runs where possible).
        NothingKeptError: a stage kept nothing that a later stage needs; the message names
            its errors file and shows its first errors.
    """
    from abstab.backends import build_backend
    from abstab.config import resolve_settings
    from abstab.registry import stages

    work = Path(work)
    plan = [(name, resolve_settings(stages.get(name).settings_cls, settings, f"stage {name}"))
            for name, settings in plan]
    uses = {name for name, _ in plan if stages.get(name).uses_backend}
    be = build_backend(backend, backend_settings or {}, work) if uses else None
    reports: list[StageReport] = []
    try:
        for i, (name, settings) in enumerate(plan):
            cls = stages.get(name)
            report = cls(work, settings, be if name in uses else None).run(force=force,
                                                                           executor=executor)
            reports.append(report)
            if on_stage is not None:
                on_stage(report)
            s = report.stats or {}
            empty = s.get("kept", 0) == 0 and (report.failures > 0 or cls.external is not None)
            later = _needed_later(name, [n for n, _ in plan[i + 1:]]) if empty else None
            if later is not None:
                shown = _first_errors(work, name)
                raise NothingKeptError(
                    f"stage {name} kept nothing of its {s.get('in', 0)} input(s), so {later} "
                    f"has nothing to read; stopped. First errors ({work / name / 'errors.jsonl'}):"
                    + "".join(f"\n  {line}" for line in shown), reports)
    finally:
        if be is not None:
            be.close()
    return reports


def synth(pipeline: str | Path, work: str | Path, inputs: Iterable[str | Path] | None = None, *,
          backend: str | None = None, force: bool = False, executor: Any = None,
          on_stage: Callable[[StageReport], None] | None = None,
          **llm: Any) -> list[StageReport]:
    """Run a pipeline's stages into ``work`` (what ``abstab synth`` does).

    Args:
        pipeline: a pipeline YAML file, or the name of a shipped one (``sample``, ``reports``,
            ``wtq``, ``tatqa``).
        work: the workspace folder.
        inputs: PDFs or folders (for a dataset pipeline: the dataset's folder or files) that
            replace the pipeline's ``inputs``.
        backend: the backend instead of the pipeline's (``rules``, ``local``, ``openai``).
        force: redo every stage.
        executor: where units run (see :func:`run_stages`).
        on_stage: called with each stage's report as soon as that stage ends.
        **llm: backend settings over the pipeline's ``backend_settings`` (``model``,
            ``base_url``, ``api_key``, ``concurrency``, ...).

    Returns:
        One :class:`~abstab.stages.base.StageReport` per stage (``.stage``, ``.status``,
        ``.stats``, ``.failures``).

    Raises:
        ConfigError: an unknown pipeline, a bad setting, no inputs, or inputs without a PDF.
        NothingKeptError: see :func:`run_stages`.
    """
    from abstab.config import Pipeline
    from abstab.registry import stages

    pipe = Pipeline.load(pipeline)
    given = [str(p) for p in inputs or ()]
    plan = []
    for name in pipe.stage_order:
        settings = dict(pipe.stages.get(name, {}))
        external = stages.get(name).external
        if external is not None:  # the stage that reads the pipeline's inputs
            settings["inputs"] = given or [str(p) for p in pipe.inputs]
            if not settings["inputs"]:
                what = "PDFS" if external == "pdfs" else "DATA"
                raise ConfigError(
                    f"pipeline {pipe.source or pipeline} has no inputs: give them after the "
                    f"pipeline, e.g. abstab synth -p {pipeline} {what}... -o {work}")
            if pipe.dataset:
                settings["source"] = pipe.dataset
        plan.append((name, settings))
    return run_stages(work, plan, backend or pipe.backend,
                      {**pipe.backend_settings, **{k: v for k, v in llm.items() if v is not None}},
                      force=force, executor=executor, on_stage=on_stage)


@dataclass
class BenchResult:
    """What a bench run wrote and scored.

    Attributes:
        results: the merged ``results.json`` (keys documented in :mod:`abstab.bench.report`).
        out: the bench folder.
        data: the dataset scored.
        runs: system name → its folder (``predictions.jsonl``, ``scores.jsonl``).
        reports: one stage report per system.
        backend: the reader's backend name.
        parsed: the datasets whose tables a parser made (``tables_from``), one per source.
    """

    results: dict[str, Any]
    out: Path
    data: BenchData
    runs: dict[str, Path]
    reports: list[StageReport]
    backend: str
    parsed: list[BenchData] = field(default_factory=list)

    @property
    def failures(self) -> int:
        """Items that failed (a line in a system's ``errors.jsonl``)."""
        return sum(r.failures for r in self.reports)

    def leaderboard(self, facet: str = "overall") -> pd.DataFrame:
        """Accuracy and every metric per system (rows), over all items (``facet="overall"``)
        or per value of ``answer_location``, ``style`` or ``category`` (a column ``group``)."""
        pandas = require_pandas()
        rows = []
        for system, row in self.results["systems"].items():
            if facet == "overall":
                metrics = {k: v for k, v in row["overall"].items() if not isinstance(v, (list, dict))}
                rows.append({"system": system, "n": row["n"], **metrics})
                continue
            for group, entry in (row.get(facet) or {}).items():
                rows.append({"system": system, "group": group, "n": entry["n"],
                             **{m: v["mean"] for m, v in entry.get("metrics", {}).items()}})
        index = ["system"] if facet == "overall" else ["system", "group"]
        return pandas.DataFrame(rows).set_index(index)

    def scores(self) -> pd.DataFrame:
        """One row per (system, item) of this run: answer location, style, category,
        ``correct`` and every metric."""
        from abstab.records import Score
        from abstab.store import StageDir

        pandas = require_pandas()
        rows = []
        for system, path in self.runs.items():
            for s in StageDir(path.parent, path.name, ()).read("scores", Score):
                rows.append({"system": system, "item_id": s.item_id,
                             "answer_location": s.answer_location, "style": s.style,
                             "category": s.category, "correct": s.correct, **s.metrics})
        return pandas.DataFrame(rows)


def bench(dataset: str | Path, systems: Sequence[str] | str | None = None, *,
          predictions: str | Path | None = None, name: str | None = None,
          url: str | None = None, answer_format: str = "json", kind: str | None = None,
          out: str | Path | None = None, split: str | None = None, limit: int | None = None,
          k: int = 5, retriever: str | None = None, plots: bool = True,
          backend: str | None = None, force: bool = False, executor: Any = None,
          tables_from: Sequence[str] = (), **llm: Any) -> BenchResult:
    """Score systems on a dataset (what ``abstab bench`` does) and merge them into
    ``OUT/results.json`` and ``leaderboard.md``.

    Args:
        dataset: an abstab workspace, a release folder, or a TAT-QA / WikiTableQuestions
            dataset.
        systems: system names (``abstab systems list``), ``path/to/file.py:function`` or
            ``package.module:function``, ``http`` (with ``url``); a string may hold several,
            comma-separated. Default: table, rag, hybrid, oracle, closed-book (none when
            ``predictions`` is given).
        predictions: a JSONL file of answers made elsewhere (item_id, answer).
        name: the name of your own system (predictions, http, a function) in the results.
        url: the service of the ``http`` system.
        answer_format: how LLM readers answer: ``json`` or ``text``.
        kind: the dataset kind (``workspace``, ``release``, ``tatqa``, ``wtq``; default:
            detected).
        out: the bench folder (default ``WORK/bench`` for a workspace, else
            ``./bench-<name>``).
        split: score one split only.
        limit: score only the first ``limit`` items.
        k: passages retrieved per item.
        retriever: ``bm25``, ``dense`` or ``hybrid`` (default: hybrid with the embed extra,
            else bm25).
        plots: write PNG plots (needs the plot extra).
        backend: the reader's backend (default ``rules``).
        force: redo every system's run.
        executor: where units run (see :func:`run_stages`).
        tables_from: parser axis: extraction engines or folders of tables made by another
            tool; every system is also scored over each source's tables, beside the gold run.
        **llm: backend settings (``model``, ``base_url``, ``api_key``, ``concurrency``,
            ``timeout``, ...).

    Returns:
        A :class:`BenchResult`; ``.leaderboard()`` and ``.scores()`` are DataFrames.

    Raises:
        ConfigError: an unknown system, a bad dataset or setting.
    """
    from abstab.backends import build_backend
    from abstab.bench.data import load_data
    from abstab.bench.own import llm_settings_used
    from abstab.bench.parsed import parsed_data
    from abstab.bench.run import BenchStage, write_results
    from abstab.registry import systems as registry

    dataset = Path(dataset)
    llm = {key: v for key, v in llm.items() if v is not None}
    given = [systems] if isinstance(systems, str) else list(systems or ())
    if not given and predictions is None:
        given = list(DEFAULT_SYSTEMS)
    names = [registry.canonical(n) for s in given for n in s.split(",") if n]
    if predictions is not None:
        names.append("predictions")
    own = [n for n in names if registry.meta(n).get("reader", True) is False]
    if name is not None and len(own) != 1:
        raise ConfigError("--name names your own system (--predictions, -s http or "
                          f"-s FILE.py:function); this run has {len(own)}")
    data = load_data(dataset, kind, split)
    if limit is not None:
        data.items = data.items[:limit]
        data.fingerprint = f"{data.fingerprint}-first{limit}"
    workspace = data.kind == "workspace"
    out = Path(out) if out is not None else (
        dataset / "bench" if workspace else Path(f"bench-{dataset.resolve().name}"))
    cache_root = dataset if workspace else out
    # A setting is the backend's unless a system of this run uses it (-s http: timeout).
    be = build_backend(backend or "rules", llm, cache_root, used_elsewhere=llm_settings_used(own))
    service = {**llm, "workspace": cache_root}
    reports, runs, stages = [], {}, {}
    # The gold tables first: each run over a parser's tables is compared with it item by item.
    variants = [data, *(parsed_data(data, src, out, executor, force) for src in tables_from)]
    try:
        for variant in variants:
            for system in names:
                stage = BenchStage(out, variant, {
                    "system": system, "k": k, "split": split, "retriever": retriever,
                    "answer_format": answer_format, "url": url,
                    "predictions": str(predictions) if predictions else None,
                    "name": name if system in own else None,
                    "tables_from": variant.parsed.label if variant.parsed else None}, be,
                    index_dir=dataset / "index" if workspace else None, llm=service)
                reports.append(stage.run(force=force, executor=executor))
                key = stage.system_name + (f"@{variant.parsed.label}" if variant.parsed else "")
                runs[key], stages[key] = stage.dir.path, stage
    finally:
        be.close()
    results = write_results(out, data, runs, be.name, split, k=k, plots=plots,
                            settings={n: stage.settings for n, stage in stages.items()})
    return BenchResult(results, out, data, runs, reports, be.name, variants[1:])


@dataclass
class Release:
    """A release folder's three configs as DataFrames, one row per record, every split.

    Attributes:
        path: the release folder.
        items: QA items (``item_id``, ``question``, ``answer``, ``answer_location``, ``split``,
            ...; the columns the card describes). ``tables`` lists both table ids of a question
            needing two tables of its document (empty for one table).
        tables: tables, with ``split`` and ``abstract_headers``.
        documents: documents' text, with ``split`` and ``pdf``.
        refused: (file, why) of every parquet file not read (a symlink out of the release).
    """

    path: Path
    items: pd.DataFrame
    tables: pd.DataFrame
    documents: pd.DataFrame
    refused: list[tuple[str, str]] = field(default_factory=list)


def load_release(path: str | Path) -> Release:
    """Read a release folder (``abstab release WORK -o PATH``) into pandas DataFrames.

    Files are read only inside ``path``; check the release first with ``abstab validate``.

    Raises:
        ConfigError: ``path`` holds no ``items/*.parquet`` (it is not a release).
        MissingDependencyError: pandas or pyarrow is not installed.
    """
    from abstab.bench.data import _release_files

    pandas = require_pandas()
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependencyError("pyarrow", "pandas", "reading a release") from None
    path = Path(path)
    refused: list[tuple[str, str]] = []
    frames = {}
    for config in ("items", "tables", "documents"):
        files = _release_files(path, config, refused)
        if config == "items" and not files:
            raise ConfigError(f"{path} is not an abstab release: it has no items/*.parquet; "
                              f"write one with abstab release WORK -o {path}")
        parts = [pq.read_table(f).to_pandas() for f in files]
        frames[config] = (pandas.concat(parts, ignore_index=True) if parts
                          else pandas.DataFrame())
    return Release(path, frames["items"], frames["tables"], frames["documents"], refused)
