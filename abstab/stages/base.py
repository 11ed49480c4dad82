"""The stage protocol and the runner every stage goes through.

A stage declares the record kinds it consumes and produces (:data:`abstab.store.RECORD_KINDS`);
it finds each input by kind in whichever stage folder of the workspace produced it
(:func:`abstab.store.producer`), and a pipeline's run order is derived from these declarations
(:func:`abstab.config.plan_stages`). It splits its work into units (a PDF, a table, a
document), processes each unit into a :class:`~abstab.store.UnitResult`, and the runner
commits units one by one so that an interrupted run resumes exactly.

A stage's *shape* says how its units run: ``map`` (each unit is a call, in threads or on Ray
workers), ``file`` (each unit is an input file read in an isolated, bounded child process:
extract) or ``reduce`` (one unit over every input record, in this process: assemble).

Review decisions (``WORK/review/decisions.jsonl``, :mod:`abstab.decisions`) are honoured unit
by unit, not stage by stage. A stage that reads them (:attr:`Stage.reads_review`) says, per
unit, which decisions change that unit's output (:meth:`Stage.unit_decisions`); the runner
stores their digest in the unit's journal line. A rerun redoes exactly the units whose digest
changed (a new decision, an edit, an undo), cutting their old records out as it cuts a failed
unit's, and keeps every other unit. The decisions are not part of the stage's config hash, and
a reviewed unit's records count in the digest later stages chain as the unit's output before
any decision (:mod:`abstab.store`), so a decision does not redo later stages whole either:
their units the decision concerns have their own digests. A workspace without decisions (no
``decisions.jsonl``) runs, hashes and resumes exactly as before.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from tqdm import tqdm

from abstab import __version__
from abstab.config import config_hash, resolve_settings, settings_dict, stable_hash
from abstab.decisions import decisions_path, latest_decisions
from abstab.errors import ConfigError
from abstab.executors import FileOutcome, LocalExecutor, Unit
from abstab.jsonl import RecordIndex
from abstab.records import Provenance
from abstab.registry import stages as stage_registry
from abstab.retrieval import describe
from abstab.stages.reviewed import Review
from abstab.store import RECORD_KINDS, StageDir, UnitResult, UnitReview, producer

_RLOCK = type(threading.RLock())
_LOCK_TYPES = (type(threading.Lock()), _RLOCK)


@dataclass(frozen=True)
class _NewLock:
    """A lock attribute in a pickled stage: the other process makes its own."""

    reentrant: bool


@dataclass(frozen=True)
class _BackendSpec:
    """How to rebuild a backend in another process: its class and settings."""

    cls: type
    settings: Any

    def build(self) -> Any:
        return self.cls(self.settings)


@dataclass
class StageReport:
    stage: str
    status: str  # "ran" | "up-to-date"
    stats: dict[str, Any]
    failures: int
    seconds: float = 0.0
    resumed_units: int = 0
    lines: list[str] = field(default_factory=list)
    retried_units: int = 0  # units that had failed and were redone
    redone_units: int = 0  # units redone because the review's decisions about them changed


class Stage:
    """Base class of every stage. Subclasses set the class attributes and implement
    :meth:`units` and :meth:`process` (a ``file``-shaped stage also :meth:`file_args`,
    :meth:`file_limits` and :meth:`file_result`)."""

    name: str  # set on the class (its folder in the workspace); a bench run names itself
    # Record kinds (abstab.store.RECORD_KINDS) the stage needs, and those it reads when a stage
    # of the workspace produced them (assemble's funnel reads the judgments). Both order a
    # pipeline; the needed ones' producers chain into the config hash.
    consumes: ClassVar[tuple[str, ...]] = ()
    reads_if_present: ClassVar[tuple[str, ...]] = ()
    produces: ClassVar[tuple[str, ...]]
    # What the stage reads from outside the workspace (``pdfs``, ``dataset``): a pipeline hands
    # it its ``inputs``. None: it reads records only.
    external: ClassVar[str | None] = None
    shape: ClassVar[str] = "map"  # "map" | "file" | "reduce" (see the module docstring)
    # The produced kind whose records a unit keeps: the runner counts ``kept`` (records of it
    # the unit added) and ``in`` (kept plus the inputs the unit dropped). None: the stage
    # counts ``in`` and ``kept`` itself (ingest counts source examples).
    counted: ClassVar[str | None] = None
    settings_cls: ClassVar[type]
    # Whether the stage asks a backend (judge, resolve, generate): the runner builds one only
    # for those, so a backend flag given to another stage is an error, not ignored.
    uses_backend: ClassVar[bool] = False
    # Settings that decide how fast a stage runs, not what it writes: kept out of the hash.
    speed_settings: ClassVar[tuple[str, ...]] = ("concurrency", "workers", "timeout")
    # Files besides the records that the stage writes in its folder (globs), so that --force
    # deletes them and nothing else.
    owned: ClassVar[tuple[str, ...]] = ()
    # Whether the stage honours review decisions (see :meth:`unit_decisions`).
    reads_review: ClassVar[bool] = False
    # Bump when the stage's output format or logic changes: it is in the config hash (the
    # package version is not), so an upgrade redoes only the stages whose version moved.
    version: ClassVar[int] = 1

    def __init__(self, work: Path, settings: Any = None, backend: Any = None):
        self.work = Path(work)
        self.settings: Any = resolve_settings(self.settings_cls, settings, f"stage {self.name}")
        self.backend = backend
        self.dir = StageDir(self.work, self.name, [RECORD_KINDS[k].file for k in self.produces],
                            self.owned, kinds=self.produces)
        # LLM backends bring their own concurrency (--concurrency sets both).
        self.concurrency: int = max(getattr(self.settings, "concurrency", 1),
                                    getattr(getattr(backend, "settings", None), "concurrency", 1))

    # -- identity ----------------------------------------------------------------------

    def hash_inputs(self) -> dict[str, Any]:
        """What, besides the settings, decides this stage's output (e.g. the backend)."""
        out = {k: v for k, v in settings_dict(self.settings).items()
               if k not in self.speed_settings}
        out.update(retrieval_identity(self.settings))
        if self.backend is not None:
            out["backend"] = self.backend.provenance(self.name)
        return out

    def input(self, kind: str) -> StageDir:
        """The stage folder of the workspace that produced ``kind``, which this stage needs.

        Raises:
            ConfigError: no finished stage produced it; the message names the stages that
                make it.
        """
        found = producer(self.work, kind)
        if found is None:
            makers = [n for n in stage_registry.ordered() if kind in stage_registry.get(n).produces]
            others = "".join(f" (or the {n} stage's)" for n in makers[1:])
            raise ConfigError(
                f"stage {self.name} needs {kind}, and no finished stage in {self.work} produced "
                f"them: it needs the {makers[0]} stage's output{others}; run `abstab "
                f"{makers[0]}` (or `abstab synth`) into {self.work} first")
        return found

    def records_of(self, kind: str) -> Iterator[Any]:
        """The needed ``kind``'s records, validated, in file order."""
        return self.input(kind).records(kind)

    def index_of(self, kind: str, key: str, **kwargs: Any) -> RecordIndex:
        """The needed ``kind``'s records by ``key``, read on demand (see
        :class:`~abstab.store.RecordIndex`)."""
        return self.input(kind).index_of(kind, key, **kwargs)

    def optional_input(self, kind: str) -> StageDir | None:
        """The stage folder that produced ``kind``, or None when no stage did."""
        return producer(self.work, kind)

    def inputs(self) -> list[StageDir]:
        """The folders of the kinds this stage needs, each once, in the order of
        :attr:`consumes`."""
        found: dict[str, StageDir] = {}
        for kind in self.consumes:
            sd = self.input(kind)
            found.setdefault(sd.stage, sd)
        return list(found.values())

    def upstream_hashes(self) -> list[str]:
        """Each input stage's config hash and the digest of the records it wrote, so that
        changed upstream outputs (a ``--force`` rerun, a retried failure) redo this stage."""
        hashes = []
        for sd in self.inputs():
            marker = sd.marker() or {}
            hashes.append(f"{marker['config_hash']}/{marker.get('outputs', '')}")
        return hashes

    def config_hash(self) -> str:
        return config_hash(self.name, self.hash_inputs(), self.upstream_hashes(), self.version)

    def provenance(self, **extra: Any) -> Provenance:
        return Provenance(stage=self.name, abstab_version=__version__,
                          config_hash=self._hash, **extra)

    # -- review -------------------------------------------------------------------------

    @property
    def decisions(self) -> Any:
        """The review's standing decisions (:func:`abstab.decisions.latest_decisions`), read
        once per stage object."""
        if "_decisions" not in self.__dict__:
            self.__dict__["_decisions"] = latest_decisions(self.work)
        return self.__dict__["_decisions"]

    @property
    def review(self) -> Review:
        """The decisions by table (:class:`abstab.stages.reviewed.Review`), read once."""
        return self.load_review()

    def load_review(self) -> Review:
        """Read the review's decisions now, once per stage object."""
        if "_review" not in self.__dict__:
            self.__dict__["_review"] = Review(self.decisions)
        return self.__dict__["_review"]  # type: ignore[no-any-return]

    def unit_decisions(self, unit_id: str) -> Any:
        """What the review decided that changes ``unit_id``'s output, as JSON (None or empty:
        nothing). Its digest is the unit's review identity (see the module docstring)."""
        return None

    def review_digest(self, unit_id: str) -> str:
        """The digest of :meth:`unit_decisions`; "" for a unit no decision changes."""
        decided = self.unit_decisions(unit_id)
        return stable_hash(decided) if decided else ""

    def review_units(self) -> Iterable[str]:
        """Units that exist only through a decision (see :class:`abstab.store.UnitReview`)."""
        return ()

    def upstream_reviewed(self, kind: str) -> dict[str, Any]:
        """The reviewed units of the stage that produced ``kind``, with the digest of what each
        wrote (:meth:`abstab.store.StageDir.reviewed_outputs`): a unit made from one of them
        puts it in its :meth:`unit_decisions`, so it is redone when that output changes."""
        cache = self.__dict__.setdefault("_upstream_reviewed", {})
        if kind not in cache:
            sd = self.optional_input(kind)
            cache[kind] = sd.reviewed_outputs() if sd is not None else {}
        return cache[kind]  # type: ignore[no-any-return]

    def _unit_review(self) -> UnitReview | None:
        """How this run's units stand with the review; None when the stage does not read the
        review or the workspace has no decisions (then nothing changes)."""
        if not self.reads_review or not decisions_path(self.work).exists():
            return None
        return UnitReview(self.review_digest, frozenset(self.review_units()))

    # -- work ---------------------------------------------------------------------------

    def check(self) -> None:
        """Refuse a run that cannot start (no inputs, an unknown engine) before the stage
        folder is created or touched."""

    def load(self) -> None:
        """Read (and validate) the upstream records this stage needs."""

    def units(self) -> Iterable[Unit]:
        raise NotImplementedError

    def process(self, unit: Unit) -> UnitResult:
        """One unit's result (for a ``file``-shaped stage: a unit that needs no child, e.g. a
        missing path)."""
        raise NotImplementedError

    # A file-shaped stage's child: ``file_worker(*file_args(unit))`` runs in an isolated
    # process of the executor, bounded by :meth:`file_limits`; :meth:`file_result` reads its
    # outcome in the driver.
    file_worker: ClassVar[Callable[..., Any] | None] = None

    def file_args(self, unit: Unit) -> tuple[Any, ...] | None:
        """The child's arguments for ``unit``; None: :meth:`process` handles it here."""
        raise NotImplementedError

    def file_limits(self, files: int) -> dict[str, Any]:
        """``workers``, ``timeout``, ``files_per_worker`` and ``memory_limit`` for ``files``
        files (see :meth:`abstab.executors.LocalExecutor.map_files`)."""
        raise NotImplementedError

    def file_result(self, unit: Unit, outcome: FileOutcome) -> UnitResult:
        """The unit's result from how its child ended."""
        raise NotImplementedError

    def map(self, units: list[Unit]) -> Iterator[tuple[Unit, UnitResult]]:
        """Process units as the stage's shape says, yielding each as it finishes, counted.

        ``map``: the local executor runs at most ``concurrency`` at once in threads; ``ray``
        ships the stage to its workers (see :meth:`__getstate__`). ``file``: each file in a
        bounded child of the executor. ``reduce``: here. Either way the driver commits.
        """
        for unit, result in _SHAPES[self.shape](self, units):
            yield unit, self.count(result)

    def count(self, result: UnitResult) -> UnitResult:
        """Add the unit's ``kept`` (records of :attr:`counted` it added) and ``in`` (kept plus
        the inputs it dropped) to its counts."""
        if self.counted is not None:
            kept = len(result.records.get(RECORD_KINDS[self.counted].file, []))
            result.stats["kept"] += kept
            result.stats["in"] += kept + result.dropped_inputs
        return result

    @property
    def executor(self) -> Any:
        """The executor of the current run (:data:`abstab.registry.executors`); local by default."""
        ex = self.__dict__.get("_executor")
        if ex is None:
            ex = self.__dict__["_executor"] = LocalExecutor()
        return ex

    @executor.setter
    def executor(self, value: Any) -> None:
        self.__dict__["_executor"] = value

    # A stage travels to executor workers (Ray) by pickle. Its backend travels as its class and
    # settings and is rebuilt there: live clients, locks, caches and servers do not pickle.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_executor", None)
        for k, v in state.items():  # locks guarding per-process caches: a fresh one there
            if isinstance(v, _LOCK_TYPES):
                state[k] = _NewLock(type(v) is _RLOCK)
        if state.get("backend") is not None:
            state["backend"] = _BackendSpec(type(state["backend"]),
                                            getattr(state["backend"], "settings", None))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("backend"), _BackendSpec):
            state["backend"] = state["backend"].build()
        for k, v in state.items():
            if isinstance(v, _NewLock):
                state[k] = threading.RLock() if v.reentrant else threading.Lock()
        self.__dict__.update(state)

    def call_backend(self, result: UnitResult, item: str, fn: Any, *args: Any,
                     counted: bool = True) -> Any:
        """Call the backend for one item; a failure of that item is recorded, not raised
        (``counted=False``: the item is not one of the stage's counted inputs).

        Errors that no other item can escape (a bad key, an unknown model) stop the run.
        """
        try:
            return fn(*args)
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad reply never stops the run
            reason = getattr(exc, "reason", None) or "backend_error"
            raw = getattr(exc, "raw", None)
            extra = {"raw": raw} if raw else {}
            result.drop(item, reason, f"{type(exc).__name__}: {exc}", counted=counted, **extra)
            return None

    def extra_stats(self, counts: Mapping[str, int]) -> dict[str, Any]:
        """Stage-level figures added to stats.json (e.g. the LLM ledger), given the summed
        counts of every committed unit."""
        ledger = getattr(self.backend, "ledger", None)
        if ledger is not None:
            return {"llm": {**ledger.summary(), "line": ledger.format()}}
        return {}

    def summary_lines(self, stats: dict[str, Any]) -> list[str]:
        return []

    # The progress bar counts what the summary's ``in`` counts: ``unit_size`` of each unit.
    progress_unit: ClassVar[str] = "item"

    def unit_size(self, unit: Unit) -> int:
        """How many of the summary's inputs ``unit`` holds (resolve: its headers)."""
        return 1

    # -- the runner -----------------------------------------------------------------------

    def run(self, force: bool = False, executor: Any = None) -> StageReport:
        """Run (or resume) the stage; ``executor`` decides where units run (default local)."""
        if executor is not None:
            self.executor = executor
        with ExitStack() as upstream:  # no upstream stage is rewritten while this one reads it
            read = {sd.stage: sd for sd in self.inputs()}
            for kind in self.reads_if_present:
                if (sd := self.optional_input(kind)) is not None:
                    read.setdefault(sd.stage, sd)
            for sd in read.values():
                upstream.enter_context(sd.reading())
            return self._run(force)

    def _run(self, force: bool) -> StageReport:
        start = time.perf_counter()
        self._hash = self.config_hash()
        review = self._unit_review()
        self.check()
        writer = self.dir.open(self._hash, force=force, review=review)
        if writer is None:
            stats = self.dir.stats()
            return StageReport(self.name, "up-to-date", stats, count_failures(self.dir.path))
        foreign = ", ".join(writer.foreign[:5]) + (" …" if len(writer.foreign) > 5 else "")
        note = f"note: {self.dir.path} holds files abstab did not write, left in place: {foreign}"
        notes = [note] if writer.foreign else []
        try:
            self.load()
            if self.reads_review:  # read here: units shipped to other processes take this copy
                self.load_review()
            units = list({u.id: u for u in self.units()}.values())
            todo = [u for u in units if u.id not in writer.done_units]
            done = sum(self.unit_size(u) for u in units if u.id in writer.done_units)
            with tqdm(total=done + sum(self.unit_size(u) for u in todo), initial=done,
                      desc=self.name, unit=self.progress_unit, disable=None, file=sys.stderr,
                      leave=False) as bar:
                for unit, result in self.map(todo):
                    writer.commit(unit.id, result, review.digest(unit.id) if review else "")
                    bar.update(self.unit_size(unit))
            stats = writer.finish(self.extra_stats(writer.stats))
        finally:
            writer.close()
        return StageReport(self.name, "ran", stats, count_failures(self.dir.path),
                           time.perf_counter() - start, writer.resumed,
                           [*notes, *self.summary_lines(stats)], retried_units=writer.retried,
                           redone_units=writer.redone)


def _map_calls(stage: Stage, units: list[Unit]) -> Iterator[tuple[Unit, UnitResult]]:
    return stage.executor.map_calls(stage, units)  # type: ignore[no-any-return]


def _map_files(stage: Stage, units: list[Unit]) -> Iterator[tuple[Unit, UnitResult]]:
    """Units that need no child first (processed here), then each file in a bounded child of
    the executor, streamed: at most a few are in flight, so memory does not grow with the
    corpus."""
    jobs = []
    for unit in units:
        args = stage.file_args(unit)
        if args is None:
            yield unit, stage.process(unit)
        else:
            jobs.append((unit, args))
    if not jobs:
        return
    assert stage.file_worker is not None, f"stage {stage.name} is file-shaped: set file_worker"
    for unit, outcome in stage.executor.map_files(stage.file_worker, iter(jobs),
                                                  **stage.file_limits(len(jobs))):
        yield unit, stage.file_result(unit, outcome)


def _reduce(stage: Stage, units: list[Unit]) -> Iterator[tuple[Unit, UnitResult]]:
    """The unit over every input record, in this process (shipping it would only copy)."""
    for unit in units:
        yield unit, stage.process(unit)


_SHAPES: dict[str, Callable[[Stage, list[Unit]], Iterator[tuple[Unit, UnitResult]]]] = {
    "map": _map_calls, "file": _map_files, "reduce": _reduce}


def retrieval_identity(settings: Any) -> dict[str, Any]:
    """The retriever and, for dense and hybrid, the embedding model, for a config hash: another
    embedding model ranks other passages. Empty for settings without a retriever; for bm25 it
    repeats the ``retriever`` setting, so such hashes are what they were before."""
    retriever = getattr(settings, "retriever", None)
    return describe(retriever) if retriever else {}


def count_failures(stage_path: Path) -> int:
    """Items that failed (as opposed to items filtered out on purpose)."""
    stage = StageDir(stage_path.parent, stage_path.name, ())
    return sum(1 for e in stage.errors() if e.get("failure", True))
