"""The review's decisions: ``WORK/review/decisions.jsonl``, append-only, latest per unit wins.

Each line is a :class:`abstab.records.Decision`. A decision is appended as one whole line and
fsynced; an import of many is written as the old file plus the new lines and swapped in by
rename, so it lands whole or not at all. ``undo`` lines withdraw the same reviewer's latest
live decision on the unit; :func:`latest_decisions` replays the file and returns, per unit, the
latest decision still standing. The pipeline reads the review through that function.

The same units travel as a file (``abstab review WORK --export FILE`` / ``--import FILE``), one
JSON object per unit: ``{"unit", "id", "proposal", "decision", "value"}``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from abstab.errors import ConfigError, WorkspaceError
from abstab.records import Decision
from abstab.review.workspace import REVIEW_DIR, UNITS, ReviewWorkspace
from abstab.store import atomic_write

DECISIONS: Final = "decisions.jsonl"
Key = tuple[str, str]
_EXPORT_KEYS: Final = ("unit", "id", "proposal", "decision", "value")
# An imported line may also name its reviewer (files merged from several people).
_IMPORT_KEYS: Final = frozenset((*_EXPORT_KEYS, "reviewer"))


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


# ------------------------------------------------------------------------ export / import


def export_units(ws: ReviewWorkspace, path: Path) -> int:
    """Write every unit of the workspace to ``path`` (that file only) for people to decide;
    returns how many."""
    n = 0
    try:
        with Path(path).open("w", encoding="utf-8") as fh:
            for unit, uid, proposal in ws.all_units():
                fh.write(json.dumps({"unit": unit, "id": uid, "proposal": proposal,
                                     "decision": None, "value": None}, ensure_ascii=False)
                         + "\n")
                n += 1
    except OSError as exc:
        raise ConfigError(f"cannot write {path} ({exc.strerror}): name a file in a folder you "
                          f"can write") from None
    return n


@dataclass
class ImportResult:
    decided: int
    undecided: int


def _bad(path: Path, lineno: int, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"{path}:{lineno}: {problem}; {fix}. Nothing was imported.")


def parse_import(ws: ReviewWorkspace, path: Path, reviewer: str) -> tuple[list[Decision], int]:
    """The decisions of an import file, every line checked before any is kept.

    Raises:
        ConfigError: naming ``path:line``, what is wrong and the fix, for the first bad line.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path} ({exc.strerror}): give the file --export wrote, "
                          f"with the decisions set") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _bad(path, line, "not UTF-8 text", "save the file as UTF-8") from None
    decided, undecided = [], 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _bad(path, lineno, f"not JSON ({exc.msg})",
                       "write one JSON object per line, as --export wrote it") from None
        if not isinstance(obj, dict):
            raise _bad(path, lineno, "not a JSON object",
                       "write one JSON object per line, as --export wrote it")
        extra = sorted(set(obj) - _IMPORT_KEYS)
        missing = [k for k in ("unit", "id", "decision") if k not in obj]
        if extra or missing:
            raise _bad(path, lineno, f"unknown key(s) {extra}" if extra else
                       f"missing key(s) {missing}",
                       f"keep the keys {', '.join(_EXPORT_KEYS)}")
        if obj["unit"] not in UNITS:
            raise _bad(path, lineno, f"unit {obj['unit']!r} is not one of {', '.join(UNITS)}",
                       "keep the unit --export wrote")
        if obj["decision"] is None:
            undecided += 1
            continue
        if obj["decision"] not in ("accept", "reject", "edit"):
            raise _bad(path, lineno, f"decision {obj['decision']!r} is not accept, reject, "
                       "edit or null", "set decision to one of them")
        if not isinstance(obj["id"], str):
            raise _bad(path, lineno, f"id {obj['id']!r} is not a string",
                       "keep the id --export wrote")
        try:
            current = ws.proposal(obj["unit"], obj["id"])
        except KeyError:
            raise _bad(path, lineno, f"no {obj['unit']} {obj['id']!r} in {ws.work}",
                       "export the units again from this workspace") from None
        if obj.get("proposal") is not None and obj["proposal"] != current:
            raise _bad(path, lineno, f"the proposal for {obj['unit']} {obj['id']!r} is not "
                       f"what {ws.work} proposes now (its stages were rerun, or the line "
                       f"was edited)", "export again and decide on the new proposal, or set "
                       "proposal to null to decide on the current one")
        if current is None and obj["decision"] != "edit":
            raise _bad(path, lineno, f"{obj['unit']} {obj['id']!r} has no proposal to "
                       f"{obj['decision']}", 'write decision "edit" with the value')
        value = obj.get("value")
        if obj["unit"] == "meaning" and isinstance(value, str):
            # a plain corrected meaning keeps the proposal's category (explicit if it had none)
            category = (current or {}).get("category")
            value = {"meaning": value, "category": category if category not in
                     (None, "unresolvable") else "explicit"}
        try:
            decided.append(Decision.now(unit=obj["unit"], id=obj["id"],
                                        decision=obj["decision"], value=value,
                                        proposal=current,
                                        reviewer=obj.get("reviewer") or reviewer))
        except ValidationError as exc:
            first = exc.errors()[0]
            article = "an" if obj["unit"] == "item" else "a"
            problem = (f"value {obj.get('value')!r} does not fit {article} {obj['unit']} "
                       f"{obj['decision']}" if first["loc"][:1] in ((), ("value",)) else
                       f"{'.'.join(map(str, first['loc']))}: {first['msg']}")
            raise _bad(path, lineno, problem, _VALUE_FIX[obj["unit"]]) from None
    return decided, undecided


_VALUE_FIX: Final = {
    "table": 'a table is "accept" or "reject" (value null, "not_table" or "bad_extraction")',
    "header": 'a header edit has value true (abstract) or false',
    "meaning": 'a meaning edit has value "the meaning" or {"meaning": "...", "category": '
               '"explicit"} ({"meaning": null, "category": "unresolvable"} if none)',
    "item": 'an item is "accept" (kept) or "reject" (dropped), value null',
}


def import_units(ws: ReviewWorkspace, path: Path, reviewer: str) -> ImportResult:
    """Check every line of ``path``, then append its decisions to the workspace's log."""
    decided, undecided = parse_import(ws, path, reviewer)
    DecisionLog(ws.work).append_all(decided)
    return ImportResult(len(decided), undecided)
