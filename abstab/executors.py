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
import resource
import select
import signal
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from abstab.errors import ConfigError
from abstab.store import UnitResult

RAY_ADDRESS_ENV = "RAY_ADDRESS"

T = TypeVar("T")
H = TypeVar("H")  # a handle on submitted work: a Future, a Ray ObjectRef


def _first_completed(pending: Collection[Any]) -> Collection[Any]:
    return wait(pending, return_when=FIRST_COMPLETED)[0]


class Window(Generic[T, H]):
    """A bounded window over a pool: at most ``size`` items in flight at once.

    Iterating submits items until ``size`` are pending, then yields ``(item, handle)`` for each
    handle that finished (those of one wake-up in submission order), topping the window up
    after each wake-up. Nothing is caught: what ``submit`` or the wait raises (Ctrl-C too)
    reaches the caller, who owns the pool and shuts it down; :attr:`pending` then says what was
    in flight.

    Args:
        submit: starts one item's work and returns its handle.
        items: the items, read lazily.
        size: how many may be in flight.
        finished: blocks until some pending handles are done and returns them; by default
            :func:`concurrent.futures.wait` for the first completed future.
    """

    def __init__(self, submit: Callable[[T], H], items: Iterable[T], size: int,
                 finished: Callable[[Collection[H]], Collection[H]] = _first_completed):
        self._submit = submit
        self._items = iter(items)
        self._size = size
        self._finished = finished
        self.pending: dict[H, T] = {}

    def _fill(self) -> None:
        while len(self.pending) < self._size:
            item = next(self._items, _END)
            if item is _END:
                return
            self.pending[self._submit(item)] = item

    def __iter__(self) -> Iterator[tuple[T, H]]:
        self._fill()
        while self.pending:
            done = self._finished(self.pending.keys())
            for handle in [h for h in self.pending if h in done]:  # submission order
                yield self.pending.pop(handle), handle
            self._fill()


_END: Any = object()


@dataclass
class Unit:
    """One piece of a stage's work: its id in the journal and what the stage needs to do it."""

    id: str
    payload: Any = None


class Stage(Protocol):
    """What an executor uses of a stage (:class:`abstab.stages.base.Stage` provides it)."""

    name: str
    concurrency: int
    backend: Any

    def process(self, unit: Unit) -> UnitResult: ...


@dataclass
class FileOutcome:
    """How one file's isolated job ended.

    Attributes:
        status: ``ok`` (``value`` is the job's return value), ``timeout`` (stopped at the
            per-file timeout), ``memory`` (it needed more than the worker memory limit),
            ``crash`` (its worker process died), ``error`` (it raised).
        value: the job's return value when ``ok``.
        message: what went wrong otherwise.
    """

    status: str
    value: Any = None
    message: str = ""


class WorkerMemoryError(Exception):
    """A file's job ran out of the memory its worker may use (``memory_limit``)."""


class WorkerCrashError(Exception):
    """A file's bounded child died (a crash of a native library), not from the limit."""


STUCK_POLL_S = 0.5
STUCK_AT_LIMIT_S = 10.0
"""A bounded child that holds :data:`MEMORY_DEATH_SHARE` of its limit this long without
finishing is stopped as out of memory: allocations keep failing and it makes no progress."""

MEMORY_DEATH_SHARE = 0.75
"""A job killed by a signal counts as out of memory when its peak RSS reached this share of
the limit: C extensions that do not check a failed allocation crash only once memory is
nearly exhausted (MuPDF itself raises an error instead)."""


def run_bounded(fn: Callable[..., Any], limit: int, args: tuple[Any, ...]) -> Any:
    """``fn(*args)`` in a forked child whose data segment may grow by at most ``limit`` bytes.

    The limit (``RLIMIT_DATA``: heap and private mappings, which is what MuPDF, numpy and
    Python allocate; shared libraries do not count) is set in the child only, so the worker
    that forks it, and a Ray worker's own runtime, keep working. It is counted from what the
    child holds when it starts: a worker forked from a large process (a test runner, a
    notebook that imported torch) inherits private mappings that RLIMIT_DATA counts too. The parent reaps the child with ``wait4`` and so knows how it
    ended and its peak RSS. The child dies with its parent (a timeout kills the worker).

    Raises:
        WorkerMemoryError: the job raised MemoryError, or died from a signal after reaching
            :data:`MEMORY_DEATH_SHARE` of the limit.
        WorkerCrashError: the child died otherwise (a crash of a native library).
    """
    base_rss = _status_bytes("VmRSS")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        code = 0
        try:
            _die_with_parent()
            _, hard = resource.getrlimit(resource.RLIMIT_DATA)
            soft = _status_bytes("VmData") + limit
            soft = soft if hard == resource.RLIM_INFINITY else min(soft, hard)
            base_size = _status_bytes("VmSize")
            resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
            try:
                reply: tuple[str, Any] = ("ok", fn(*args))
            except MemoryError as exc:
                reply = ("memory", str(exc))
            except Exception as exc:  # noqa: BLE001 - raised again in the parent
                # A C library that cannot allocate raises what it likes ("error return
                # without exception set", "calloc failed"): near the limit, it is the limit.
                grown = _status_bytes("VmPeak") - base_size
                reply = (("memory", f"{type(exc).__name__}: {exc}".strip(": "))
                         if grown >= MEMORY_DEATH_SHARE * limit else ("raise", _portable(exc)))
            try:
                data = pickle.dumps(reply)
            except MemoryError:
                data = pickle.dumps(("memory", "its result does not fit in the limit"))
            with os.fdopen(write_fd, "wb") as f:
                f.write(data)
        except BaseException:  # noqa: BLE001 - whatever happens, the child must not return
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    base_data = _status_bytes("VmData")  # the child starts with what its parent holds
    at_limit_since: float | None = None
    with os.fdopen(read_fd, "rb") as f:
        # The child writes its reply and exits; until then, watch that it is not stuck at its
        # limit: a C library whose allocations keep failing can spin there (PyMuPDF's
        # get_cdrawings does), and only the per-file timeout would end it, as a timeout.
        while not select.select([f], [], [], STUCK_POLL_S)[0]:
            if _status_bytes("VmData", pid) - base_data < MEMORY_DEATH_SHARE * limit:
                at_limit_since = None
            elif at_limit_since is None:
                at_limit_since = time.monotonic()
            elif time.monotonic() - at_limit_since >= STUCK_AT_LIMIT_S:
                os.kill(pid, signal.SIGKILL)
                os.wait4(pid, 0)
                raise WorkerMemoryError(f"stuck at the limit for {STUCK_AT_LIMIT_S:g}s")
        data = f.read()
    _, status, usage = os.wait4(pid, 0)
    if data:
        kind, value = pickle.loads(data)
        if kind == "ok":
            return value
        if kind == "memory":
            raise WorkerMemoryError(value or "MemoryError")
        raise value
    peak = usage.ru_maxrss * 1024  # kilobytes on Linux
    if os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status)).name
        if peak - base_rss >= MEMORY_DEATH_SHARE * limit:
            raise WorkerMemoryError(f"killed by {sig} at {peak >> 20} MiB")
        raise WorkerCrashError(f"the worker died from {sig}")
    raise WorkerCrashError(f"the worker exited with code {os.WEXITSTATUS(status)}")


def _status_bytes(field: str, pid: int | None = None) -> int:
    """A ``/proc/<pid>/status`` size (``VmRSS``, ``VmData``; this process by default) in bytes;
    0 where there is none (not Linux, or the process is gone)."""
    try:
        with open(f"/proc/{pid or 'self'}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024  # the kernel writes kB
    except OSError:
        pass
    return 0


def _die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies (Linux; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the call
            os._exit(70)


_BOUNDED_OUTCOMES: dict[type, str] = {WorkerMemoryError: "memory", WorkerCrashError: "crash"}
"""FileOutcome status of each way a bounded child can fail (Ray hands them back as causes)."""


def _bounded_job(fn: Callable[..., Any], limit: int, *args: Any) -> Any:
    warm = getattr(fn, "warm", None)
    if warm is not None:  # imports done here once per worker, not once per forked child
        warm()
    return run_bounded(fn, limit, args)


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
        pool = ThreadPoolExecutor(limit, thread_name_prefix=f"abstab-{stage.name}")
        window = Window(lambda u: pool.submit(stage.process, u), units, limit)
        try:
            for u, fut in window:
                yield u, fut.result()
        finally:
            # On Ctrl-C, SIGTERM or an error, return at once: waiting here for units in flight
            # would wait on the endpoint. The caller then closes the backend, which ends their
            # requests (abstab.llm.transport); units not started are cancelled.
            pool.shutdown(wait=not window.pending, cancel_futures=True)

    def map_files(self, fn: Callable[..., Any], jobs: Iterable[tuple[Unit, tuple[Any, ...]]],
                  *, workers: int, timeout: float, files_per_worker: int = 0,
                  memory_limit: int = 0) -> Iterator[tuple[Unit, FileOutcome]]:
        """Run ``fn(*args)`` for each ``(unit, args)`` in a worker process, isolated.

        At most ``2 * workers`` files are queued at once (results stream; nothing accumulates),
        and with one worker they finish in input order. A worker process is replaced after
        ``files_per_worker`` files (0: never), so what a PDF library keeps after a large file
        does not pile up over a long run. With ``memory_limit`` (bytes; 0: none) each file runs
        in a child of its worker that may use at most that much (:func:`run_bounded`); a
        ``fn.warm`` callable, if set, is run in the worker first (imports the children share).
        """
        from concurrent.futures import TimeoutError as FutureTimeout

        from pebble import ProcessExpired, ProcessPool

        pool = ProcessPool(max_workers=workers, max_tasks=files_per_worker)

        def schedule(job: tuple[Unit, tuple[Any, ...]]) -> Future[Any]:
            args = job[1]
            if memory_limit:
                return pool.schedule(_bounded_job, args=(fn, memory_limit, *args), timeout=timeout)
            return pool.schedule(fn, args=args, timeout=timeout)

        try:
            for (unit, _), fut in Window(schedule, jobs, 2 * workers):
                try:
                    outcome = FileOutcome("ok", fut.result())
                except FutureTimeout:
                    outcome = FileOutcome("timeout")
                except WorkerMemoryError as exc:
                    outcome = FileOutcome("memory", message=str(exc))
                except WorkerCrashError as exc:
                    outcome = FileOutcome("crash", message=str(exc))
                except ProcessExpired as exc:
                    outcome = FileOutcome("crash", message=f"exit code {exc.exitcode}")
                except Exception as exc:  # noqa: BLE001 - one bad file never stops the run
                    outcome = FileOutcome("error", message=f"{type(exc).__name__}: {exc}")
                yield unit, outcome
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
        window: Window[Unit, Any] = Window(
            lambda u: task.remote(token, holder, u), units, limit,
            lambda pending: ray.wait(list(pending), num_returns=1)[0])
        try:
            for u, ref in window:
                status, payload, counts = ray.get(ref)
                merge_ledger(ledger, counts)
                if status == "raise":
                    raise payload
                yield u, payload
        finally:
            for ref in window.pending:
                ray.cancel(ref)

    def map_files(self, fn: Callable[..., Any], jobs: Iterable[tuple[Unit, tuple[Any, ...]]],
                  *, workers: int, timeout: float, files_per_worker: int = 0,
                  memory_limit: int = 0) -> Iterator[tuple[Unit, FileOutcome]]:
        """Like :meth:`LocalExecutor.map_files`; the timeout counts from the task's dispatch
        (at most ``workers`` are dispatched, so a dispatched task has a CPU). Ray's
        ``max_calls`` replaces a worker process after ``files_per_worker`` files. With
        ``memory_limit`` the task forks the bounded child itself (:func:`run_bounded`), so the
        limit holds on every node while the Ray worker process stays unlimited."""
        ray = self._ray()
        from ray.exceptions import (
            GetTimeoutError,
            OutOfMemoryError,
            RayTaskError,
            TaskCancelledError,
            WorkerCrashedError,
        )

        task = ray.remote(max_retries=0, num_cpus=1, max_calls=files_per_worker)(
            _bounded_job if memory_limit else fn)
        queue = iter(jobs)
        pending: dict[Any, tuple[Unit, float]] = {}

        def fill() -> None:
            while len(pending) < workers:
                job = next(queue, None)
                if job is None:
                    return
                unit, args = job
                if memory_limit:
                    args = (fn, memory_limit, *args)
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
                        kind = _BOUNDED_OUTCOMES.get(type(cause), "error")
                        outcome = FileOutcome(kind, message=(
                            str(cause) if kind != "error" else f"{type(cause).__name__}: {cause}"))
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
