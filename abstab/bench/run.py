"""Scoring systems on a dataset: predictions, per-item scores, results, leaderboard, plots.

The dataset is a :class:`~abstab.bench.data.BenchData`: a workspace, a release folder or an
external dataset (TAT-QA, WikiTableQuestions). Each (system, backend) pair is a resumable stage
under ``OUT/<system>-<backend>/`` (``predictions.jsonl``, ``scores.jsonl``, ``errors.jsonl``,
``stats.json``): an interrupted bench continues where it stopped, and a changed dataset or
setting redoes the pair. For a workspace ``OUT`` is ``WORK/bench``. The aggregate goes to
``OUT/results.json`` (keys documented in :mod:`abstab.bench.report`), ``OUT/leaderboard.md``
and ``OUT/accuracy_by_location.png``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Self

from pydantic import model_validator

from abstab.bench.data import BenchData
from abstab.config import StageSettings, settings_dict
from abstab.errors import ConfigError
from abstab.executors import Unit
from abstab.llm.tasks import AnswerOutput
from abstab.records import Prediction, QAItem, Score
from abstab.registry import metrics, systems
from abstab.stages.base import Stage, retrieval_identity
from abstab.store import StageDir, UnitResult

__all__ = ["ANSWER_FORMATS", "METRICS", "BenchSettings", "BenchStage", "leaderboard", "run_facts",
           "write_results"]

METRICS = ("correct", "truthfulness", "exact_match", "token_f1", "numeric_match", "abstention",
           "tatqa_em", "tatqa_f1", "denotation")
"""Every metric scored on every item (``abstab metrics list``)."""


ANSWER_FORMATS: dict[str, str] = {"json": "answer", "text": "answer_text"}
"""``--answer-format`` → the backend's reader method: structured JSON, or prose read by
:func:`abstab.llm.backend.answer_from_text`."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


class BenchSettings(StageSettings):
    """Settings of one bench run.

    Args:
        system: system name (``abstab systems list``), or ``file.py:function`` /
            ``package.module:function`` for your own function.
        k: passages retrieved per item by retrieval systems.
        split: score only this split (None: all items).
        concurrency: items answered at once (useful with LLM backends and services).
        retriever: ``bm25``, ``dense`` or ``hybrid`` for rag and hybrid; default ``hybrid``
            when the embed extra is installed, else ``bm25``.
        answer_format: ``json`` (structured output) or ``text`` (a prose answer, its last
            ``Answer:`` line read) for LLM readers.
        name: the name in the results and of the bench folder (default: the system's).
        url: the service of the ``http`` system.
        predictions: the JSONL file of the ``predictions`` system.
        tables_from: the parser whose tables every system reads (an engine's name or a
            folder's; :mod:`abstab.bench.parsed`), None: the gold tables.
    """

    system: str = "table"
    k: int = 5
    split: str | None = None
    concurrency: int = 1
    retriever: str | None = None
    answer_format: str = "json"
    name: str | None = None
    url: str | None = None
    predictions: str | None = None
    tables_from: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        from abstab.retrieval import default_retriever, rankers

        name = systems.canonical(self.system)
        # Systems registered with retrieval=False never search: no retriever to choose (and no
        # reason to import the embedding stack). Plugins say nothing, so they get one.
        if self.retriever is not None or systems.meta(name).get("retrieval") is not False:
            self.retriever = rankers.canonical(self.retriever or default_retriever())
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        if self.answer_format not in ANSWER_FORMATS:
            raise ConfigError(f"--answer-format {self.answer_format}: use one of "
                              f"{', '.join(ANSWER_FORMATS)}")
        if self.name is not None and not _NAME.match(self.name):
            raise ConfigError(f"--name {self.name!r}: use letters, digits and . _ + - only "
                              "(it names a folder)")
        return self


class BenchStage(Stage):
    """One system over one dataset, item by item, resumable.

    A system registered with ``reader=True`` (the default: table, rag, ...) builds each item's
    passages and the backend's reader answers; its folder is ``<system>-<backend>``. One
    registered with ``reader=False`` (your function, ``http``, ``predictions``) answers by
    itself; its folder is ``<name>`` and no backend is involved.

    Args:
        out: the bench folder (``WORK/bench`` for a workspace).
        data: the dataset.
        settings: :class:`BenchSettings` or a dict of them.
        backend: the reader's backend (unused by systems that answer by themselves).
        index_dir: where dense vectors are cached between runs (default ``OUT/index``).
        llm: LLM-layer settings (timeout, retries, cache, concurrency) for systems that call
            a service.
    """

    produces = ("predictions", "scores")
    settings_cls = BenchSettings

    def __init__(self, out: Path, data: BenchData, settings: Any = None, backend: Any = None,
                 index_dir: Path | None = None, llm: Any = None):
        from abstab.config import resolve_settings

        s = resolve_settings(BenchSettings, settings, "bench")
        canonical = systems.canonical(s.system)
        meta = systems.meta(canonical)
        self.reads = meta.get("reader", True) is not False
        self.system_name = s.name or canonical
        self.name = f"{self.system_name}-{backend.name}" if self.reads else self.system_name
        # Over a parser's tables: its own folder beside the gold run's, which it reads.
        self.gold_dir: Path | None = None
        if s.tables_from is not None:
            if data.parsed is None or data.parsed.label != s.tables_from:
                raise ConfigError(f"tables_from={s.tables_from}: the dataset given holds no "
                                  "such parsed tables (abstab.bench.parsed.with_parsed_tables)")
            self.gold_dir = Path(out) / self.name
            self.name = f"{self.name}@{s.tables_from}"
        self.data = data
        self.llm = llm
        self.index_dir = index_dir or Path(out) / "index"
        super().__init__(out, s, backend if self.reads else None)
        if not self.reads:  # a service takes the LLM layer's concurrency (--concurrency)
            self.concurrency = max(s.concurrency, int(meta.get("concurrency", 1)),
                                   int((llm or {}).get("concurrency") or 1))

    def upstream_hashes(self) -> list[str]:
        if self.gold_dir is None or self.data.parsed is None:
            return [self.data.fingerprint]
        # The parsed tables, and the gold run whose answers attribute each failure.
        marker = StageDir(self.gold_dir.parent, self.gold_dir.name, ()).marker() or {}
        return [self.data.fingerprint, self.data.parsed.digest,
                f"{marker.get('config_hash')}/{marker.get('outputs', '')}"]

    def hash_inputs(self) -> dict[str, Any]:
        out = {k: v for k, v in settings_dict(self.settings).items()
               if k not in self.speed_settings and k != "name"}
        out.update(retrieval_identity(self.settings))
        if self.reads:
            # The reader is the backend's answer task in the chosen format, whatever the
            # stage is called.
            out["backend"] = self.backend.provenance(ANSWER_FORMATS[self.settings.answer_format])
        else:
            out.pop("answer_format")
            fingerprint = getattr(systems.get(self.settings.system), "fingerprint", None)
            out["system"] = [out["system"], fingerprint(self.settings) if fingerprint else None]
        return out

    def load(self) -> None:
        from abstab.bench.systems import Corpus

        cls = systems.get(self.settings.system)
        if self.reads:
            corpus = Corpus(self.data.docs, self.data.tables,
                            retriever=self.settings.retriever or "bm25", cache=self.index_dir,
                            parsed=self.data.parsed)
            self.system = cls(corpus, k=self.settings.k)
            method = ANSWER_FORMATS[self.settings.answer_format]
            self.reader = getattr(self.backend, method, None)
            if self.reader is None:
                raise ConfigError(f"the {self.backend.name} backend reads no "
                                  f"{self.settings.answer_format} answers; use --answer-format "
                                  "json (or -b openai / -b local)")
        else:
            self.system = cls(self.data, self.settings, self.llm)
        self.items = [i for i in self.data.items
                      if self.settings.split is None or i.split == self.settings.split]
        self.metric_fns = {m: metrics.get(m) for m in METRICS}
        self.gold_correct: dict[str, bool] = {}
        if self.gold_dir is not None:
            gold = StageDir(self.gold_dir.parent, self.gold_dir.name, ())
            if gold.marker() is None:
                raise ConfigError(f"{self.gold_dir}: the gold-table run of {self.system_name} is "
                                  "not done; abstab bench --tables-from runs it first")
            self.gold_correct = {sc.item_id: sc.correct for sc in gold.read("scores", Score)}

    def units(self) -> list[Unit]:
        return [Unit(i.item_id, i) for i in self.items]

    def run(self, force: bool = False, executor: Any = None) -> Any:
        try:
            return super().run(force=force, executor=executor)
        finally:
            close = getattr(self.__dict__.get("system"), "close", None)
            if close is not None:
                close()

    def process(self, unit: Unit) -> UnitResult:
        from abstab.bench.own import MissingPredictionError

        item: QAItem = unit.payload
        result = UnitResult()
        result.stats["in"] += 1
        start = time.perf_counter()
        passages: list[Any] = []
        if self.reads:
            try:
                passages = self.system.passages(item)
            except Exception as exc:  # noqa: BLE001 - a system failing on one item skips it only
                result.drop(item.item_id, "system_error", f"{type(exc).__name__}: {exc}")
                return result
            out = self.call_backend(result, item.item_id, self.reader, item.question, passages)
        else:
            try:
                out = self.system.answer(item)
            except ConfigError:
                raise
            except MissingPredictionError as exc:
                # Counted wrong on every metric (an empty answer would pass as an abstention).
                result.drop(item.item_id, exc.reason, str(exc))
                out = AnswerOutput(answer="", abstained=False)
                self._keep(result, item, out, [], 0.0, {m: 0.0 for m in METRICS})
                return result
            except Exception as exc:  # noqa: BLE001 - one item's failure is that item's line
                reason = getattr(exc, "reason", None) or "system_error"
                result.drop(item.item_id, reason, f"{type(exc).__name__}: {exc}")
                return result
        if out is None:
            return result
        latency = (time.perf_counter() - start) * 1000
        replayed = getattr(self.system, "latency_ms", None)
        if replayed is not None:
            latency = replayed(item) or 0.0
        retrieved = [p.id for p in passages] if self.reads else list(out.evidence_ids)
        self._keep(result, item, out, retrieved, latency)
        return result

    def _keep(self, result: UnitResult, item: QAItem, out: AnswerOutput, retrieved: list[str],
              latency: float, values: dict[str, float] | None = None) -> None:
        """Add the item's prediction and score (``values``: the metrics, else computed)."""
        task = ANSWER_FORMATS[self.settings.answer_format]
        prov = self.provenance(**(self.backend.provenance(task) if self.reads else {}))
        name = self.system_name
        pred = Prediction(item_id=item.item_id, system=name, answer=out.answer,
                          abstained=out.abstained, retrieved=retrieved,
                          latency_ms=round(latency, 3), prompt_tokens=out.prompt_tokens,
                          completion_tokens=out.completion_tokens, provenance=prov)
        if values is None:
            values = {m: float(fn(out.answer, item.answer, out.abstained))
                      for m, fn in self.metric_fns.items()}
        category = item.keywords[0].category if item.keywords else None
        correct = values["correct"] >= 1.0
        parsed: dict[str, Any] = {}
        if self.gold_dir is not None:
            gold = self.gold_correct.get(item.item_id)
            parsed = {"tables_from": self.settings.tables_from, "gold_correct": gold,
                      "attribution": None if correct or gold is None
                      else "parsing" if gold else "reading"}
        score = Score(item_id=item.item_id, system=name, answer_location=item.answer_location,
                      style=item.abstraction.style, category=category, metrics=values,
                      correct=correct, provenance=prov, **parsed)
        result.add("predictions", pred)
        result.add("scores", score)
        result.stats["kept"] += 1

    def summary_lines(self, stats: dict[str, Any]) -> list[str]:
        """The items a predictions file lacks (they count as wrong), named."""
        missing = [e["item"] for e in _errors(self.dir.path) if e["reason"] == "missing_prediction"]
        if not missing:
            return []
        shown = ", ".join(missing[:5]) + (", …" if len(missing) > 5 else "")
        return [f"{len(missing)} item(s) have no prediction (counted wrong): {shown}"]


def _errors(path: Path) -> list[dict[str, Any]]:
    file = path / "errors.jsonl"
    if not file.exists():
        return []
    with file.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run_facts(system: str, settings: Any, backend: str, model: str | None,
              data: BenchData) -> dict[str, Any]:
    """How one row of results.json was made (its ``run`` dict; keys in
    :mod:`abstab.bench.report`).

    Args:
        system: the system's name.
        settings: its :class:`BenchSettings` (or None: defaults).
        backend: the backend name.
        model: the model that answered (from the predictions' provenance), if known.
        data: the dataset scored.
    """
    from abstab import __version__
    from abstab.retrieval import describe

    retriever = getattr(settings, "retriever", None)
    # A row shown under --name is made by the system its settings name (predictions, http, ...).
    registered = getattr(settings, "system", None) or system
    meta = systems.meta(registered) if registered in systems else {}
    if meta.get("retrieval") is False:
        retriever = None  # set by --retriever for every system, used only by those that search
    reader = meta.get("reader", True) is not False  # your own system brings its own reader
    facts: dict[str, Any] = {
        "name": system, "system": registered, "backend": backend if reader else None,
        "model": model,
        "answer_format": getattr(settings, "answer_format", "json") if reader else None,
        "retriever": None, "embedding_model": None, "k": None,
        "split": getattr(settings, "split", None), "dataset_fingerprint": data.fingerprint,
        "tables_from": getattr(settings, "tables_from", None),
        "abstab_version": __version__, "created": time.time(),
    }
    if retriever is not None:
        facts.update(describe(retriever), k=getattr(settings, "k", None))
    return facts


def write_results(out: Path, data: BenchData, runs: dict[str, Path], backend: str,
                  split: str | None, k: int | None = None, plots: bool = True,
                  settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge this run's systems into results.json, leaderboard.md and the plots, and write
    official-format prediction files.

    Rows of earlier runs on the same dataset and split stay; a row with the same system,
    backend, model, answer format, retriever and k is replaced
    (:func:`abstab.bench.report.merge_results`).

    Args:
        out: the bench folder.
        data: the dataset scored.
        runs: the system's name in the results (``NAME@SOURCE`` for its run over a parser's
            tables, ``--tables-from SOURCE``) -> its stage folder.
        backend: the backend name.
        split: the split scored, or None.
        k: the retrieval depth, for systems without ``settings``.
        plots: write PNG plots when matplotlib is installed.
        settings: system name -> its :class:`BenchSettings` (retriever, k, answer format);
            a system without one is described by ``BenchSettings(system, k, split)``.

    Returns:
        The results dict (keys in :mod:`abstab.bench.report`); ``notes`` lists rows dropped.
    """
    from abstab.bench.report import (
        RESULTS_SCHEMA,
        export_official,
        merge_results,
        read_results,
        summarize,
    )

    out = Path(out)
    items = {i.item_id: i for i in data.items}
    results: dict[str, Any] = {
        "schema": RESULTS_SCHEMA,
        "dataset": {"kind": data.kind, "path": str(data.path), "fingerprint": data.fingerprint,
                    "items": len(data.items), "skipped": len(data.skipped)},
        "split": split, "created": time.time(), "metrics": list(METRICS),
        "systems": {},
    }
    for key, path in runs.items():
        system = key.split("@", 1)[0]  # a name holds no "@" (BenchSettings.name)
        stage = StageDir(path.parent, path.name, ())
        scores = list(stage.read("scores", Score))
        preds = list(stage.read("predictions", Prediction))
        s = (settings or {}).get(key)
        if s is None and system in systems:
            s = BenchSettings(system=system, k=k or BenchSettings.model_fields["k"].default, split=split)
        retrieves = system in systems and bool(systems.meta(system).get("retrieval"))
        row = summarize(scores, items, preds, METRICS,
                        retrieval_k=getattr(s, "k", k) if retrieves else None)
        model = next((p.provenance.model for p in preds if p.provenance.model), None)
        row["run"] = run_facts(system, s, backend, model, data)
        results["systems"][key] = row
        export_official(data.kind, preds, path)
    previous, note = read_results(out / "results.json")
    results = merge_results(previous, results)
    if note:
        results["notes"].insert(0, note)
    out.mkdir(parents=True, exist_ok=True)
    if plots:
        from abstab.bench.plots import write_plots

        results["plots"] = [p.name for p in write_plots(results, out)]
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "leaderboard.md").write_text(leaderboard(results) + "\n")
    return results


def leaderboard(results: dict[str, Any]) -> str:
    """The markdown leaderboard (:func:`abstab.bench.report.leaderboard`)."""
    from abstab.bench.report import leaderboard as _leaderboard

    return _leaderboard(results)
