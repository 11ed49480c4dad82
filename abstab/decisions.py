"""Review decisions as records: ``WORK/review/decisions.jsonl``, append-only, latest per unit wins.

Each line is a :class:`abstab.records.Decision`. A decision is appended as one whole line and
fsynced; an import of many is written as the old file plus the new lines and swapped in by
rename, so it lands whole or not at all. ``undo`` lines withdraw the same reviewer's latest
live decision on the unit; :func:`latest_decisions` replays the file and returns, per unit, the
latest decision still standing.

This module sits on the store's floor so that the stages read the decisions
(:mod:`abstab.stages.reviewed`) and ``abstab review`` (:mod:`abstab.review`) writes them
through one reader and one writer.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from abstab.errors import WorkspaceError
from abstab.jsonl import atomic_write
from abstab.records import Decision

REVIEW_DIR: Final = "review"
"""``WORK/review/``: decisions.jsonl and cache/ (the rendered page regions)."""
DECISIONS: Final = "decisions.jsonl"
Key = tuple[str, str]


def decisions_path(work: Path) -> Path:
    return Path(work) / REVIEW_DIR / DECISIONS


def read_decisions(path: Path) -> list[Decision]:
    """Every decision of a decisions file in order; a torn last line (a write cut by a crash,
    never acknowledged) is left out; any other bad line names the file, line and fix."""
    if not path.exists():
        return []
    data = path.read_bytes()
    lines = data.split(b"\n")
    out = []
    for lineno, line in enumerate(lines[:-1], 1):  # the part after the last newline is torn
        if not line.strip():
            continue
        try:
            out.append(Decision.model_validate_json(line))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise WorkspaceError(
                f"{path}:{lineno}: not a valid decision ({'.'.join(map(str, first['loc']))}: "
                f"{first['msg']}): abstab writes only valid lines, so the file was edited; "
                f"fix or delete that line") from None
    return out


def replay(decisions: Iterable[Decision]) -> dict[Key, list[Decision]]:
    """Per unit, its live decisions in order (undo lines withdraw their reviewer's latest)."""
    live: dict[Key, list[Decision]] = {}
    for d in decisions:
        apply(live, d)
    return {k: v for k, v in live.items() if v}


def apply(live: dict[Key, list[Decision]], d: Decision) -> Decision | None:
    """Add one decision to ``live`` (see :func:`replay`); for an undo, return the decision it
    withdrew (None if the reviewer had none standing on the unit)."""
    stack = live.setdefault(d.key, [])
    if d.decision != "undo":
        stack.append(d)
        return None
    for i in range(len(stack) - 1, -1, -1):
        if stack[i].reviewer == d.reviewer:
            return stack.pop(i)
    return None


def latest_decisions(work: Path) -> dict[Key, Decision]:
    """The decision that stands for each reviewed unit of ``work``: ``(unit, id) → Decision``
    (``unit`` is table, header, meaning or item; ids as in the export). Units whose every
    decision was undone are absent."""
    return {k: v[-1] for k, v in replay(read_decisions(decisions_path(work))).items()}


def by_reviewer(decisions: Iterable[Decision]) -> dict[str, dict[Key, Decision]]:
    """Each reviewer's latest live decision per unit (for agreement between reviewers)."""
    out: dict[str, dict[Key, Decision]] = {}
    for key, stack in replay(decisions).items():
        for d in stack:
            out.setdefault(d.reviewer, {})[key] = d
    return out


class DecisionLog:
    """Appends decisions to ``WORK/review/decisions.jsonl``; safe across threads and processes
    (an OS file lock beside it)."""

    def __init__(self, work: Path):
        self.path = decisions_path(work)
        self._lock = threading.Lock()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, FileLock(str(self.path.parent / f".{DECISIONS}.lock")):
            yield

    def read(self) -> list[Decision]:
        return read_decisions(self.path)

    def _cut_torn_tail(self) -> None:
        """Drop an unterminated last line (a crash mid-append) before appending after it."""
        if not self.path.exists():
            return
        with self.path.open("r+b") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            data = self.path.read_bytes()
            fh.truncate(data.rfind(b"\n") + 1)
            os.fsync(fh.fileno())

    def append(self, decision: Decision) -> None:
        """Append one decision as one fsynced line."""
        line = _line(decision)
        with self._locked():
            self._cut_torn_tail()
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def append_all(self, decisions: list[Decision]) -> None:
        """Append many decisions at once: all of them land, or none (rename, not append)."""
        if not decisions:
            return
        with self._locked():
            self._cut_torn_tail()
            old = self.path.read_bytes() if self.path.exists() else b""
            atomic_write(self.path, old + b"".join(_line(d) for d in decisions))


def _line(decision: Decision) -> bytes:
    data = decision.model_dump(mode="json")
    Decision.model_validate(data)
    return (json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n").encode()
