"""JSON Lines and state files on disk, written so that a crash leaves the old file or the new
one whole, and read back validated (a bad line names its file and line); the workspace
(:mod:`abstab.store`) is built on these."""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from abstab.errors import RecordError, WorkspaceError
from abstab.records import Record

R = TypeVar("R", bound=Record)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_synced(path: Path, data: bytes, mode: int = os.O_APPEND) -> None:
    """Append (or with ``os.O_TRUNC``, write) ``data`` and fsync it before returning."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | mode, 0o644)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make renames and unlinks in ``path`` durable (a no-op where directories cannot be
    opened, as on Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old file or the new one, whole."""
    tmp = path.with_name(f".{path.name}.tmp")
    write_synced(tmp, data, os.O_TRUNC)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def read_state(path: Path, stage: str) -> Any:
    """A small JSON state file (done.json, stats.json); an unreadable one names the fix."""
    try:
        data = json.loads(path.read_bytes())
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        what = "empty" if not path.read_bytes().strip() else f"not valid JSON ({exc})"
        raise WorkspaceError(
            f"{path} is {what}: rerun the {stage} stage with --force, or delete {path.name} "
            f"and run it again") from None
    if not isinstance(data, dict):
        raise WorkspaceError(f"{path} is not a JSON object: rerun the {stage} stage with "
                             f"--force, or delete {path.name} and run it again")
    return data


def read_records(path: Path, kind: type[R]) -> Iterator[R]:
    """Yield validated records from a JSONL file; a bad line (invalid JSON or UTF-8 too) is a
    RecordError naming the file and line."""
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                yield parse_line(path, lineno, line, kind)


def parse_line(path: Path, lineno: int, line: str | bytes, kind: type[R]) -> R:
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

    def __init__(self, path: Path | None, kind: type[R], key: str, *, group: bool = False,
                 keep: Callable[[Any], bool] | None = None, by: str | None = None,
                 cache: int = 64):
        # No path: no stage produced these records (an empty index).
        self.path = Path(path) if path is not None else Path(os.devnull)
        self.kind, self.group, self.cache_size = kind, group, cache
        self._offsets: dict[str, Any] = {}
        self.keys_by: dict[Any, list[str]] = {}
        self._lru: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        if path is None or not self.path.exists():
            return
        offset = 0
        with self.path.open("rb") as fh:
            for lineno, line in enumerate(fh, 1):
                start, offset = offset, offset + len(line)
                if not line.strip():
                    continue
                record = parse_line(self.path, lineno, line, kind)
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
            return parse_line(self.path, lineno, fh.readline(), self.kind)

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
                    records.append(parse_line(self.path, lineno, fh.readline(), self.kind))
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
