"""The workspace: one directory per stage, with crash-safe, resumable record files.

Layout of ``WORK/<stage>/``::

    <name>.jsonl   records, one per line, appended unit by unit
    errors.jsonl   every dropped item with its reason
    stats.json     the funnel: in / kept / dropped by reason (written when the stage ends)
    done.json      completion marker holding the config hash
    .journal       commit log: line 1 is the config hash, then one line per finished unit
                   with the byte length of every output file after that unit

A unit's lines are written and fsynced before its journal line is. On reopening, every file is
cut back to the lengths of the last journal line, so a run killed at any instant (SIGKILL
included) resumes with exactly the records of the units it had finished: no duplicate, no loss.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from abstab.errors import ConfigError, RecordError
from abstab.records import Record

R = TypeVar("R", bound=Record)

ERRORS = "errors.jsonl"
STATS = "stats.json"
DONE = "done.json"
JOURNAL = ".journal"
_COMMIT_DELAY = float(os.environ.get("ABSTAB_DEBUG_COMMIT_DELAY", "0") or 0)


def _fsync_append(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_records(path: Path, kind: type[R]) -> Iterator[R]:
    """Yield validated records from a JSONL file; a bad line is a RecordError naming it."""
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                yield _parse(path, lineno, line, kind)


def _parse(path: Path, lineno: int, line: str | bytes, kind: type[R]) -> R:
    try:
        return kind.model_validate_json(line)
    except ValidationError as exc:
        raise RecordError(
            f"{path}:{lineno}: not a valid {kind.__name__} record "
            f"({exc.error_count()} errors, first: {exc.errors()[0]['loc']} "
            f"{exc.errors()[0]['msg']}). Rerun the stage that wrote it with --force."
        ) from exc


class RecordIndex(Mapping[str, Any]):
    """A record file looked up by key without holding its records in memory.

    One pass validates every line (so a bad record stops the stage before any unit runs, as
    with :func:`read_records`) and keeps each record's byte offset under its ``key`` field;
    a lookup reads and parses that one line again, and the last ``cache`` records looked up
    stay parsed. Memory is a few dozen bytes per record, whatever the records hold. With
    ``group=True`` a key maps to the list of its records (e.g. resolutions by table), and
    ``keep`` filters records at the scan; ``by`` lists the keys per value of another field
    (:attr:`keys_by`, e.g. tables by document). Pickles as path and offsets, so a Ray worker that
    sees the same workspace path reads the records itself.
    """

    def __init__(self, path: Path, kind: type[R], key: str, *, group: bool = False,
                 keep: Callable[[Any], bool] | None = None, by: str | None = None,
                 cache: int = 64):
        self.path, self.kind, self.group, self.cache_size = Path(path), kind, group, cache
        self._offsets: dict[str, Any] = {}
        self.keys_by: dict[Any, list[str]] = {}
        self._lru: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        if not self.path.exists():
            return
        offset = 0
        with self.path.open("rb") as fh:
            for lineno, line in enumerate(fh, 1):
                start, offset = offset, offset + len(line)
                if not line.strip():
                    continue
                record = _parse(self.path, lineno, line, kind)
                if keep is not None and not keep(record):
                    continue
                k = getattr(record, key)
                if by is not None and k not in self._offsets:
                    self.keys_by.setdefault(getattr(record, by), []).append(k)
                if group:
                    self._offsets.setdefault(k, []).append((start, lineno))
                else:
                    self._offsets[k] = (start, lineno)

    def _read(self, start: int, lineno: int) -> Any:
        with self.path.open("rb") as fh:
            fh.seek(start)
            return _parse(self.path, lineno, fh.readline(), self.kind)

    def __getitem__(self, k: str) -> Any:
        with self._lock:
            if k in self._lru:
                self._lru.move_to_end(k)
                return self._lru[k]
        where = self._offsets[k]
        value = [self._read(*w) for w in where] if self.group else self._read(*where)
        with self._lock:
            self._lru[k] = value
            if len(self._lru) > self.cache_size:
                self._lru.popitem(last=False)
        return value

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        """Every (key, record) in file order, through one open file and past the cache (a
        full pass would only evict what units are using)."""
        if not self._offsets:
            return
        with self.path.open("rb") as fh:
            for k, where in self._offsets.items():
                spots = where if self.group else [where]
                records = []
                for start, lineno in spots:
                    fh.seek(start)
                    records.append(_parse(self.path, lineno, fh.readline(), self.kind))
                yield k, records if self.group else records[0]

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        return (v for _, v in self.items())

    def __contains__(self, k: object) -> bool:
        return k in self._offsets

    def __iter__(self) -> Iterator[str]:
        return iter(self._offsets)

    def __len__(self) -> int:
        return len(self._offsets)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_lru"], state["_lock"] = OrderedDict(), None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def dump_record(record: Record) -> str:
    """Serialize after re-validating, so nothing invalid crosses a stage boundary."""
    data = record.model_dump(mode="json")
    try:
        type(record).model_validate(data)
    except ValidationError as exc:
        raise RecordError(f"refusing to write an invalid {type(record).__name__}: {exc}") from exc
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


@dataclass
class UnitResult:
    """What one unit of work produced: records per output file, errors, and funnel counts."""

    records: dict[str, list[Record]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)

    def add(self, output: str, record: Record) -> None:
        self.records.setdefault(output, []).append(record)

    def drop(self, item: str, reason: str, message: str, *, failure: bool = True,
             **extra: Any) -> None:
        """Record a dropped item. ``failure=False`` marks a deliberate filter, not an error."""
        self.errors.append({"item": item, "reason": reason, "message": message,
                            "failure": failure, **extra})
        self.stats[f"dropped.{reason}"] += 1


class StageDir:
    """One stage's directory in the workspace."""

    def __init__(self, work: Path, stage: str, outputs: Iterable[str]):
        self.path = Path(work) / stage
        self.stage = stage
        self.outputs = [f"{o}.jsonl" for o in outputs]

    # -- reading ------------------------------------------------------------------------

    def marker(self) -> dict[str, Any] | None:
        p = self.path / DONE
        return json.loads(p.read_text()) if p.exists() else None

    def is_done(self, config_hash: str | None = None) -> bool:
        m = self.marker()
        return m is not None and (config_hash is None or m["config_hash"] == config_hash)

    def read(self, output: str, kind: type[R]) -> Iterator[R]:
        path = self.path / f"{output}.jsonl"
        if path.exists():
            yield from read_records(path, kind)

    def index(self, output: str, kind: type[R], key: str, **kwargs: Any) -> RecordIndex:
        """``output``'s records by ``key``, read on demand (see :class:`RecordIndex`)."""
        return RecordIndex(self.path / f"{output}.jsonl", kind, key, **kwargs)

    def stats(self) -> dict[str, Any]:
        p = self.path / STATS
        return json.loads(p.read_text()) if p.exists() else {}

    # -- writing ------------------------------------------------------------------------

    def open(self, config_hash: str, force: bool = False) -> StageWriter | None:
        """Open for writing; None when the stage is already done with this config.

        The writer holds an OS file lock on the stage directory until :meth:`StageWriter.close`
        (or the process ends, however it ends), so two runs never write one stage at once.
        """
        if not force and self.is_done(config_hash):
            return None
        from filelock import FileLock, Timeout

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path.parent / f".{self.stage.replace('/', '_')}.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise ConfigError(
                f"another abstab process is writing {self.path}; wait for it to finish or stop "
                f"it, then run again") from None
        try:
            return self._open_locked(config_hash, force, lock)
        except BaseException:
            lock.release()
            raise

    def _open_locked(self, config_hash: str, force: bool, lock: Any) -> StageWriter | None:
        if not force and self.is_done(config_hash):  # finished while we waited for the lock
            lock.release()
            return None
        journal = self._read_journal()
        if force or self.marker() is not None or (journal and journal[0] != config_hash):
            self.clear()
            journal = []
        return StageWriter(self, config_hash, journal, lock)

    def clear(self) -> None:
        if self.path.exists():
            shutil.rmtree(self.path)

    def _read_journal(self) -> list[Any]:
        """[config_hash, commit, commit, ...]; an unfinished last line is ignored."""
        p = self.path / JOURNAL
        if not p.exists():
            return []
        entries: list[Any] = []
        raw = p.read_bytes()
        for line in raw.split(b"\n")[:-1]:  # the part after the last newline is incomplete
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                break
        return entries


class StageWriter:
    """Appends units atomically (see the module docstring) and writes the marker at the end."""

    def __init__(self, stage_dir: StageDir, config_hash: str, journal: list[Any],
                 lock: Any = None):
        self.dir = stage_dir
        self.config_hash = config_hash
        self._lock = lock
        self.dir.path.mkdir(parents=True, exist_ok=True)
        self.files = [*stage_dir.outputs, ERRORS]
        self.done_units: set[str] = set()
        self.stats: Counter[str] = Counter()
        self.resumed = 0  # units found done when the stage was opened
        jpath = self.dir.path / JOURNAL
        if not journal:
            jpath.write_bytes(json.dumps(config_hash).encode() + b"\n")
            for f in self.files:
                (self.dir.path / f).write_bytes(b"")
            return
        commits = journal[1:]
        sizes = commits[-1]["sizes"] if commits else {}
        for f in self.files:
            p = self.dir.path / f
            p.touch()
            with p.open("r+b") as fh:
                fh.truncate(sizes.get(f, 0))
        # Rewrite the journal without any torn last line.
        jpath.write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in journal))
        for c in commits:
            self.done_units.add(c["unit"])
            self.stats.update(c["stats"])
        self.resumed = len(self.done_units)

    def commit(self, unit: str, result: UnitResult) -> None:
        if unit in self.done_units:
            raise RecordError(f"unit {unit!r} committed twice in stage {self.dir.stage}")
        payload: dict[str, bytes] = {}
        for output, recs in result.records.items():
            name = f"{output}.jsonl"
            if name not in self.files:
                raise RecordError(f"stage {self.dir.stage} has no output {output!r}")
            payload[name] = "".join(dump_record(r) + "\n" for r in recs).encode()
        if result.errors:
            payload[ERRORS] = "".join(
                json.dumps({"stage": self.dir.stage, "unit": unit, **e}, ensure_ascii=False) + "\n"
                for e in result.errors
            ).encode()
        for name, data in payload.items():
            if data:
                _fsync_append(self.dir.path / name, data)
        if _COMMIT_DELAY:  # lets tests kill a run between a unit's records and its commit
            time.sleep(_COMMIT_DELAY)
        sizes = {f: (self.dir.path / f).stat().st_size for f in self.files}
        entry = {"unit": unit, "sizes": sizes, "stats": dict(result.stats)}
        _fsync_append(self.dir.path / JOURNAL, json.dumps(entry).encode() + b"\n")
        self.done_units.add(unit)
        self.stats.update(result.stats)

    def finish(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        stats = funnel(self.stats)
        stats.update(extra or {})
        (self.dir.path / STATS).write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n")
        marker = {"config_hash": self.config_hash, "finished": time.time(), "units": len(self.done_units)}
        (self.dir.path / DONE).write_text(json.dumps(marker) + "\n")
        self.close()
        return stats

    def close(self) -> None:
        """Release the stage's lock (finished or not)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def funnel(counts: Counter[str]) -> dict[str, Any]:
    """Turn flat counters (in, kept, dropped.<reason>, other) into the stats.json shape."""
    out: dict[str, Any] = {"in": counts.get("in", 0), "kept": counts.get("kept", 0), "dropped": {}}
    for k, v in sorted(counts.items()):
        if k.startswith("dropped."):
            out["dropped"][k.removeprefix("dropped.")] = v
        elif k not in ("in", "kept"):
            out.setdefault("counts", {})[k] = v
    return out
