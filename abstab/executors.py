"""Executors: where a stage's units run. Registered in :data:`abstab.registry.executors`.

Two kinds of work go through an executor:

* **calls** (judge, resolve, generate, assemble, bench): :meth:`map_calls` runs
  ``stage.process(unit)`` for every unit;
* **files** (extract): :meth:`map_files` runs a plain function on each file, isolated, with a
  per-file timeout, so that a crash or hang of the PDF library costs only that file.

Every executor yields ``(unit, result)`` back to the driver, which alone commits through the
stage's journal (:class:`abstab.store.StageWriter`). So records, completion markers and resume
are the same whatever the executor; only the order in which units finish differs.

``local`` (the default) uses threads for calls and a pebble process pool for files. ``ray``
runs both as Ray tasks on the cluster at ``--ray-address``/``RAY_ADDRESS`` (a local Ray instance
when neither is given). At most a bounded number of units are in flight at any time, so memory
stays flat however many units a stage has.
"""

from __future__ import annotations

import os
import pickle
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from abstab.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from abstab.stages.base import Stage, Unit
    from abstab.store import UnitResult

RAY_ADDRESS_ENV = "RAY_ADDRESS"


@dataclass
class FileOutcome:
    """How one file's isolated job ended.

    Attributes:
        status: ``ok`` (``value`` is the job's return value), ``timeout`` (stopped at the
            per-file timeout), ``crash`` (its worker process died), ``error`` (it raised).
        value: the job's return value when ``ok``.
        message: what went wrong otherwise.
    """

    status: str
    value: Any = None
    message: str = ""


def calls_llm(stage: Stage) -> bool:
    """True when the stage's backend sends LLM requests (its units must share a bound)."""
    return getattr(stage.backend, "client", None) is not None


# -- local ----------------------------------------------------------------------------------


class LocalExecutor:
    """Threads for calls (``stage.concurrency`` at once); a pebble process pool for files."""

    name = "local"

    def __init__(self, address: str | None = None):
        del address  # accepted so that every executor is built the same way

    def map_calls(self, stage: Stage, units: Iterable[Unit]) -> Iterator[tuple[Unit, UnitResult]]:
        """Process units, at most ``stage.concurrency`` at once, yielding each as it finishes."""
        limit = stage.concurrency
        if limit <= 1:
            for u in units:
                yield u, stage.process(u)
            return
        queue = iter(units)
        pool = ThreadPoolExecutor(limit, thread_name_prefix=f"abstab-{stage.name}")
        pending: dict[Future[UnitResult], Unit] = {}

        def fill() -> None:
            while len(pending) < limit:
                u = next(queue, None)
                if u is None:
                    return
                pending[pool.submit(stage.process, u)] = u

        try:
            fill()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in [f for f in pending if f in done]:  # submission order
                    u = pending.pop(fut)
                    yield u, fut.result()
                fill()
        finally:
            # On Ctrl-C, SIGTERM or an error, return at once: waiting here for units in flight
            # would wait on the endpoint. The caller then closes the backend, which ends their
            # requests (abstab.llm.transport); units not started are cancelled.
            pool.shutdown(wait=not pending, cancel_futures=True)

    def map_files(self, fn: Callable[..., Any], jobs: Iterable[tuple[Unit, tuple[Any, ...]]],
                  *, workers: int, timeout: float,
                  files_per_worker: int = 0) -> Iterator[tuple[Unit, FileOutcome]]:
        """Run ``fn(*args)`` for each ``(unit, args)`` in a worker process, isolated.

        At most ``2 * workers`` files are queued at once (results stream; nothing accumulates),
        and with one worker they finish in input order. A worker process is replaced after
        ``files_per_worker`` files (0: never), so what a PDF library keeps after a large file
        does not pile up over a long run.
        """
        from concurrent.futures import TimeoutError as FutureTimeout

        from pebble import ProcessExpired, ProcessPool

        queue = iter(jobs)
        pool = ProcessPool(max_workers=workers, max_tasks=files_per_worker)
        pending: dict[Future[Any], Unit] = {}

        def fill() -> None:
            while len(pending) < 2 * workers:
                job = next(queue, None)
                if job is None:
                    return
                unit, args = job
                pending[pool.schedule(fn, args=args, timeout=timeout)] = unit

        try:
            fill()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in [f for f in pending if f in done]:
                    unit = pending.pop(fut)
                    try:
                        outcome = FileOutcome("ok", fut.result())
                    except FutureTimeout:
                        outcome = FileOutcome("timeout")
                    except ProcessExpired as exc:
                        outcome = FileOutcome("crash", message=f"exit code {exc.exitcode}")
                    except Exception as exc:  # noqa: BLE001 - one bad file never stops the run
                        outcome = FileOutcome("error", message=f"{type(exc).__name__}: {exc}")
                    yield unit, outcome
                fill()
        except BaseException:
            # Ctrl-C, a kill of the generator, an error: stop the workers now instead of
            # waiting for the queued files (closing a pool waits for them all).
            pool.stop()
            raise
        finally:
            pool.close()
            pool.join()

    def close(self) -> None:
        pass


# -- ray ------------------------------------------------------------------------------------


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor ray needs Ray: pip install 'abstab[ray]' "
                          "(or pip install 'ray[data]>=2.40')") from None
    return ray


class RayExecutor:
    """Units as Ray tasks; the driver (this process) commits every result.

    Args:
        address: a Ray cluster (``ray://host:10001`` or ``host:6379``); ``None`` reads
            ``RAY_ADDRESS``, and without it a local Ray instance is started for the run.

    Calls: the stage (its settings, loaded upstream records and a description of its backend)
    is put once in the object store; each worker process deserializes it once and rebuilds the
    backend, then runs one unit per task. LLM stages keep at most ``stage.concurrency`` tasks in
    flight: a task makes its requests one after the other, so that bounds the requests in flight
    across all workers. Other stages keep one task per cluster CPU in flight.

    Files: one task per file (``max_retries=0``), at most ``workers`` in flight; a task past its
    timeout is cancelled with ``force=True``, which kills its worker process, and a worker that
    dies (a segfault in the PDF library) costs only its file.
    """

    name = "ray"

    def __init__(self, address: str | None = None):
        self.address = address or os.environ.get(RAY_ADDRESS_ENV) or None
        self._started = False

    def _ray(self) -> Any:
        ray = _import_ray()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
            if self.address is None:
                kwargs["include_dashboard"] = False
            try:
                ray.init(address=self.address, **kwargs)
            except (ConnectionError, ValueError) as exc:
                raise ConfigError(f"cannot reach the Ray cluster at {self.address!r}: {exc}; "
                                  f"check --ray-address / {RAY_ADDRESS_ENV}, or unset them to "
                                  "run Ray on this machine") from None
            self._started = True
        return ray

    def close(self) -> None:
        """Shut down the Ray instance this executor started (not one it found running)."""
        if self._started:
            ray = _import_ray()
            ray.shutdown()
            self._started = False

    def cpus(self) -> int:
        return max(1, int(self._ray().cluster_resources().get("CPU", 1)))

    def map_calls(self, stage: Stage, units: Iterable[Unit]) -> Iterator[tuple[Unit, UnitResult]]:
        units = list(units)
        if len(units) <= 1:  # nothing to spread: shipping the stage would only cost time
            yield from LocalExecutor().map_calls(stage, units)
            return
        ray = self._ray()
        limit = stage.concurrency if calls_llm(stage) else self.cpus()
        task = ray.remote(max_retries=0, num_cpus=1)(_process_in_worker)
        token = uuid.uuid4().hex
        holder = [ray.put(stage)]  # in a list, so that tasks receive the reference itself
        ledger = getattr(stage.backend, "ledger", None)
        queue = iter(units)
        pending: dict[Any, Unit] = {}

        def fill() -> None:
            while len(pending) < limit:
                u = next(queue, None)
                if u is None:
                    return
                pending[task.remote(token, holder, u)] = u

        try:
            fill()
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    u = pending.pop(ref)
                    status, payload, counts = ray.get(ref)
                    merge_ledger(ledger, counts)
                    if status == "raise":
                        raise payload
                    yield u, payload
                fill()
        finally:
            for ref in pending:
                ray.cancel(ref)

    def map_files(self, fn: Callable[..., Any], jobs: Iterable[tuple[Unit, tuple[Any, ...]]],
                  *, workers: int, timeout: float,
                  files_per_worker: int = 0) -> Iterator[tuple[Unit, FileOutcome]]:
        """Like :meth:`LocalExecutor.map_files`; the timeout counts from the task's dispatch
        (at most ``workers`` are dispatched, so a dispatched task has a CPU). Ray's
        ``max_calls`` replaces a worker process after ``files_per_worker`` files."""
        ray = self._ray()
        from ray.exceptions import (
            GetTimeoutError,
            OutOfMemoryError,
            RayTaskError,
            TaskCancelledError,
            WorkerCrashedError,
        )

        task = ray.remote(max_retries=0, num_cpus=1, max_calls=files_per_worker)(fn)
        queue = iter(jobs)
        pending: dict[Any, tuple[Unit, float]] = {}

        def fill() -> None:
            while len(pending) < workers:
                job = next(queue, None)
                if job is None:
                    return
                unit, args = job
                pending[task.remote(*args)] = (unit, time.monotonic() + timeout)

        try:
            fill()
            while pending:
                first_deadline = min(d for _, d in pending.values())
                wait_s = max(0.0, first_deadline - time.monotonic())
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=wait_s)
                for ref in ready:
                    unit, _ = pending.pop(ref)
                    try:
                        outcome = FileOutcome("ok", ray.get(ref))
                    except (WorkerCrashedError, OutOfMemoryError) as exc:
                        outcome = FileOutcome("crash", message=_first_line(exc))
                    except RayTaskError as exc:
                        cause = exc.cause if exc.cause is not None else exc
                        outcome = FileOutcome("error",
                                              message=f"{type(cause).__name__}: {cause}")
                    except (TaskCancelledError, GetTimeoutError) as exc:
                        outcome = FileOutcome("error", message=_first_line(exc))
                    yield unit, outcome
                now = time.monotonic()
                for ref in [r for r, (_, d) in pending.items() if d <= now and r not in ready]:
                    unit, _ = pending.pop(ref)
                    ray.cancel(ref, force=True)  # kills the worker process: a hang stops here
                    yield unit, FileOutcome("timeout")
                fill()
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


# -- what runs in a Ray worker ----------------------------------------------------------------

# The stage a worker process has deserialized, by run token: one per worker, not one per task.
_WORKER_STAGE: dict[str, Any] = {}

_LEDGER_COUNTERS = ("calls", "cache_hits", "retries", "failures", "repairs", "invalid_outputs",
                    "prompt_tokens", "completion_tokens")


def _process_in_worker(token: str, holder: list[Any], unit: Unit) -> tuple[str, Any, Any]:
    """One unit in a Ray worker → ``(status, result or exception, ledger counts)``."""
    import ray

    stage = _WORKER_STAGE.get(token)
    if stage is None:
        for old in _WORKER_STAGE.values():  # the previous run's stage: release its backend
            close = getattr(old.backend, "close", None)
            if close is not None:
                close()
        _WORKER_STAGE.clear()
        stage = ray.get(holder[0])
        _WORKER_STAGE[token] = stage
    try:
        result = stage.process(unit)
    except Exception as exc:  # noqa: BLE001 - raised again in the driver, as local would
        return "raise", _portable(exc), take_ledger(stage.backend)
    return "ok", result, take_ledger(stage.backend)


def _portable(exc: Exception) -> Exception:
    """The exception itself when it survives pickling, else a RuntimeError telling it."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")


def take_ledger(backend: Any) -> dict[str, Any] | None:
    """The counts a worker's LLM ledger gathered since the last call, and reset them.

    The driver adds them to its own ledger (:func:`merge_ledger`), so stats.json counts every
    call wherever it ran.
    """
    ledger = getattr(backend, "ledger", None)
    if ledger is None:
        return None
    with ledger._lock:  # the Ledger's own lock: counters and latencies move together
        counts: dict[str, Any] = {k: getattr(ledger, k, 0) for k in _LEDGER_COUNTERS}
        counts["latencies"] = list(getattr(ledger, "_latencies", []))
        for k in _LEDGER_COUNTERS:
            if hasattr(ledger, k):
                setattr(ledger, k, 0)
        if hasattr(ledger, "_latencies"):
            ledger._latencies.clear()
    return counts


def merge_ledger(ledger: Any, counts: dict[str, Any] | None) -> None:
    """Add a worker's ledger counts (:func:`take_ledger`) to the driver's ledger."""
    if ledger is None or not counts:
        return
    with ledger._lock:
        for k in _LEDGER_COUNTERS:
            if hasattr(ledger, k):
                setattr(ledger, k, getattr(ledger, k) + counts.get(k, 0))
        if hasattr(ledger, "_latencies"):
            ledger._latencies.extend(counts.get("latencies", []))
