"""The stage protocol and the runner every stage goes through.

A stage reads validated records from the stages before it, splits its work into units
(a PDF, a table, a document), processes each unit into a :class:`~abstab.store.UnitResult`,
and the runner commits units one by one so that an interrupted run resumes exactly.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from tqdm import tqdm

from abstab import __version__
from abstab.config import config_hash, resolve_settings, settings_dict
from abstab.errors import ConfigError
from abstab.executors import LocalExecutor, Unit
from abstab.records import Provenance
from abstab.retrieval import describe
from abstab.store import StageDir, UnitResult

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


class Stage:
    """Base class of every stage. Subclasses set the class attributes and implement
    :meth:`units` and :meth:`process`."""

    name: str  # set on the class; a bench run names itself after its system
    upstream: ClassVar[tuple[str, ...]] = ()
    outputs: ClassVar[tuple[str, ...]]
    settings_cls: ClassVar[type]
    # Whether the stage asks a backend (judge, resolve, generate): the runner builds one only
    # for those, so a backend flag given to another stage is an error, not ignored.
    uses_backend: ClassVar[bool] = False
    # Settings that decide how fast a stage runs, not what it writes: kept out of the hash.
    speed_settings: ClassVar[tuple[str, ...]] = ("concurrency", "workers", "timeout")
    # Files besides the records that the stage writes in its folder (globs), so that --force
    # deletes them and nothing else.
    owned: ClassVar[tuple[str, ...]] = ()

    def __init__(self, work: Path, settings: Any = None, backend: Any = None):
        self.work = Path(work)
        self.settings: Any = resolve_settings(self.settings_cls, settings, f"stage {self.name}")
        self.backend = backend
        self.dir = StageDir(self.work, self.name, self.outputs, self.owned)
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

    def upstream_hashes(self) -> list[str]:
        """Each upstream stage's config hash and the digest of the records it wrote, so that
        changed upstream outputs (a ``--force`` rerun, a retried failure) redo this stage."""
        hashes = []
        for name in self.upstream:
            marker = StageDir(self.work, name, ()).marker()
            if marker is None:
                raise ConfigError(
                    f"stage {self.name} needs the {name} stage's output in {self.work}; "
                    f"run `abstab {name} {self.work}` (or `abstab synth`) first"
                )
            hashes.append(f"{marker['config_hash']}/{marker.get('outputs', '')}")
        return hashes

    def config_hash(self) -> str:
        return config_hash(self.name, self.hash_inputs(), self.upstream_hashes())

    def provenance(self, **extra: Any) -> Provenance:
        return Provenance(stage=self.name, abstab_version=__version__,
                          config_hash=self._hash, **extra)

    # -- work ---------------------------------------------------------------------------

    def load(self) -> None:
        """Read (and validate) the upstream records this stage needs."""

    def units(self) -> Iterable[Unit]:
        raise NotImplementedError

    def process(self, unit: Unit) -> UnitResult:
        raise NotImplementedError

    def map(self, units: list[Unit]) -> Iterator[tuple[Unit, UnitResult]]:
        """Process units through the run's executor, yielding each as it finishes.

        The local executor runs at most ``concurrency`` at once in threads; ``ray`` ships the
        stage to its workers (see :meth:`__getstate__`). Either way the driver commits.
        """
        return self.executor.map_calls(self, units)

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

    def call_backend(self, result: UnitResult, item: str, fn: Any, *args: Any) -> Any:
        """Call the backend for one item; a failure of that item is recorded, not raised.

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
            result.drop(item, reason, f"{type(exc).__name__}: {exc}", **extra)
            return None

    def extra_stats(self) -> dict[str, Any]:
        """Stage-level figures added to stats.json (e.g. the LLM ledger)."""
        ledger = getattr(self.backend, "ledger", None)
        if ledger is not None:
            return {"llm": {**ledger.summary(), "line": ledger.format()}}
        return {}

    def summary_lines(self, stats: dict[str, Any]) -> list[str]:
        return []

    # -- the runner -----------------------------------------------------------------------

    def run(self, force: bool = False, executor: Any = None) -> StageReport:
        """Run (or resume) the stage; ``executor`` decides where units run (default local)."""
        if executor is not None:
            self.executor = executor
        with ExitStack() as upstream:  # no upstream stage is rewritten while this one reads it
            for name in self.upstream:
                upstream.enter_context(StageDir(self.work, name, ()).reading())
            return self._run(force)

    def _run(self, force: bool) -> StageReport:
        start = time.perf_counter()
        self._hash = self.config_hash()
        writer = self.dir.open(self._hash, force=force)
        if writer is None:
            stats = self.dir.stats()
            return StageReport(self.name, "up-to-date", stats, count_failures(self.dir.path))
        foreign = ", ".join(writer.foreign[:5]) + (" …" if len(writer.foreign) > 5 else "")
        note = f"note: {self.dir.path} holds files abstab did not write, left in place: {foreign}"
        notes = [note] if writer.foreign else []
        try:
            self.load()
            todo = list({u.id: u for u in self.units() if u.id not in writer.done_units}.values())
            with tqdm(total=len(todo) + writer.resumed, initial=writer.resumed, desc=self.name,
                      unit="item", disable=None, file=sys.stderr, leave=False) as bar:
                for unit, result in self.map(todo):
                    writer.commit(unit.id, result)
                    bar.update(1)
            stats = writer.finish(self.extra_stats())
        finally:
            writer.close()
        return StageReport(self.name, "ran", stats, count_failures(self.dir.path),
                           time.perf_counter() - start, writer.resumed,
                           [*notes, *self.summary_lines(stats)], retried_units=writer.retried)


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
