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

A rerun redoes the units that failed (``errors.jsonl`` lines with ``"failure": true``): their
byte ranges are cut out of every file by writing the kept ranges to ``.<file>.retry`` copies,
then ``.compact`` is created (the commit point) and the copies are renamed over the originals;
reopening finishes the renames when ``.compact`` exists and drops the copies when it does not.
``done.json`` and ``stats.json`` are replaced by rename after an fsync, never rewritten in place.

Starting over (``--force``, or another config) does not delete the stage's records up front: they
are moved into ``.replaced/`` (``.journal`` and ``done.json`` first) and deleted when the new
run commits its first unit or finishes. A run that ends before that (an endpoint that is down,
Ctrl-C, a crash) gets them back: on close, or on the next open when no unit of the new run was
committed.

A unit a review decision concerns (see :mod:`abstab.stages.base`) has its journal line carry
``review`` (the digest of those decisions), ``own`` (the line count and digest sum of the
records it wrote) and ``base`` (the same of the records it replaced, the unit's output before
any decision). A rerun whose decisions give a unit another digest cuts that unit out as it cuts
a failed one and redoes it. :meth:`StageWriter.outputs_digest` counts ``base`` in place of
``own``: the digest later stages chain stays what it was, so a decision redoes only the units it
concerns downstream too (their own digests change), not whole stages. A journal without
``review`` lines reads and digests exactly as before. A run killed after such a cut and before
the unit's redo loses its ``base``: the redone unit then counts as new output, so later stages
are redone whole (more work, the same records).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

from abstab.errors import ConfigError, RecordError, WorkspaceError
from abstab.jsonl import (
    RecordIndex,
    atomic_write,
    dump_record,
    fsync_dir,
    read_records,
    read_state,
    write_synced,
)
from abstab.records import Document, Judgment, Prediction, QAItem, Record, Resolution, Score, Table

R = TypeVar("R", bound=Record)

ERRORS = "errors.jsonl"
STATS = "stats.json"
DONE = "done.json"
JOURNAL = ".journal"
COMPACT = ".compact"
ASIDE = ".replaced"
# Fault-test hook: ABSTAB_DEBUG_STOP="N:POINT:FD" makes this process's N-th commit write one byte
# to file descriptor FD and then block at POINT (torn-records: half of the unit's first record
# bytes written; records: all written, no journal line; torn-journal: half a journal line;
# committed: after it), so a test kills at exactly that instant. Unset, it costs one test per
# commit.
_STOP = os.environ.get("ABSTAB_DEBUG_STOP", "")
_CHUNK = 1 << 20
_MOD = 1 << 256
NO_LINES: Final = (0, 0)
"""The digest contribution (line count, sum) of a unit that wrote no records."""


@dataclass
class UnitResult:
    """What one unit of work produced: records per output file, errors, and funnel counts."""

    records: dict[str, list[Record]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    dropped_inputs: int = 0  # drops that were one of the stage's counted inputs

    def add(self, output: str, record: Record) -> None:
        self.records.setdefault(output, []).append(record)

    def drop(self, item: str, reason: str, message: str, *, failure: bool = True,
             counted: bool = True, **extra: Any) -> None:
        """Record a dropped item. ``failure=False`` marks a deliberate filter, not an error;
        ``counted=False`` marks something that is not one of the stage's inputs (a keyword
        left out of a kept judgment, a table no question was asked of): it is listed and
        counted by reason, but not in the stage's ``in``."""
        self.errors.append({"item": item, "reason": reason, "message": message,
                            "failure": failure, **extra})
        self.stats[f"dropped.{reason}"] += 1
        self.dropped_inputs += counted


@dataclass(frozen=True)
class UnitReview:
    """How a stage's units stand with the review's decisions (see :mod:`abstab.stages.base`).

    Attributes:
        digest: unit id → digest of the decisions that change its output ("" when none).
        expected: units that exist only through a decision (a header a person marked abstract
            in a table the judge called clear): made when missing.
    """

    digest: Callable[[str], str]
    expected: frozenset[str] = frozenset()


class StageDir:
    """One stage's directory in the workspace.

    Args:
        work: the workspace.
        stage: the stage's folder name.
        outputs: its record files, without ``.jsonl``.
        owned: glob patterns of other files the stage writes there (e.g. ``pdfs/*.pdf``), which
            :meth:`clear` may delete.
        kinds: the record kinds (:data:`RECORD_KINDS`) the stage produces, named in its
            ``done.json`` so that later stages find them (:func:`producer`).
    """

    def __init__(self, work: Path, stage: str, outputs: Iterable[str],
                 owned: Iterable[str] = (), kinds: Iterable[str] = ()):
        self.path = Path(work) / stage
        self.stage = stage
        self.outputs = [f"{o}.jsonl" for o in outputs]
        self.owned = list(owned)
        self.kinds = list(kinds)

    @property
    def lock_path(self) -> Path:
        """The lock file beside the stage folder (one writer; readers share it)."""
        return self.path.parent / f".{self.stage.replace('/', '_')}.lock"

    # -- reading ------------------------------------------------------------------------

    def marker(self) -> dict[str, Any] | None:
        p = self.path / DONE
        if not p.exists():
            return None
        marker = read_state(p, self.stage)
        if not isinstance(marker.get("config_hash"), str):
            raise WorkspaceError(f"{p} holds no config_hash: rerun the {self.stage} stage with "
                                 f"--force, or delete {DONE} and run it again")
        return marker

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

    def records(self, kind: str) -> Iterator[Any]:
        """The validated records of ``kind`` (:data:`RECORD_KINDS`) in this folder."""
        k = RECORD_KINDS[kind]
        return self.read(k.file, k.record)

    def lines(self, kind: str) -> Iterator[tuple[int, str]]:
        """The committed lines of ``kind``'s file, unparsed, with their 1-based numbers (blank
        lines left out), for a reader that checks each line itself."""
        path = self.path / f"{RECORD_KINDS[kind].file}.jsonl"
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                yield from ((n, line) for n, line in enumerate(fh, 1) if line.strip())

    def index_of(self, kind: str, key: str, **kwargs: Any) -> RecordIndex:
        """The records of ``kind`` by ``key``, read on demand (see :class:`RecordIndex`)."""
        k = RECORD_KINDS[kind]
        return self.index(k.file, k.record, key, **kwargs)

    def stats(self) -> dict[str, Any]:
        p = self.path / STATS
        return read_state(p, self.stage) if p.exists() else {}

    def errors(self, upto: int | None = None) -> Iterator[dict[str, Any]]:
        """errors.jsonl's lines (its first ``upto`` bytes); a damaged line names the fix."""
        path = self.path / ERRORS
        if not path.exists():
            return
        with path.open("rb") as fh:
            data = fh.read() if upto is None else fh.read(upto)
        for lineno, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                continue
            try:
                error = json.loads(line)
            except ValueError:
                error = None
            if not isinstance(error, dict):
                raise WorkspaceError(f"{path}:{lineno}: not a JSON error line: rerun the "
                                     f"{self.stage} stage with --force")
            yield error

    def failed_units(self, upto: int | None = None) -> list[str]:
        """Units with a failure line in errors.jsonl (the first ``upto`` bytes), in file order;
        deliberate filters (``"failure": false``) are not failures."""
        return list(dict.fromkeys(str(e.get("unit")) for e in self.errors(upto)
                                  if e.get("failure", True)))

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the stage's lock shared while a later stage reads it: a writer (``--force``,
        a retry) cannot start meanwhile, and a stage being written cannot be read."""
        if not self.path.parent.is_dir():
            yield
            return
        try:
            import fcntl
        except ImportError:  # no shared locks here: at least refuse while a writer runs
            from filelock import FileLock, Timeout

            probe = FileLock(str(self.lock_path))
            try:
                probe.acquire(timeout=0)
            except Timeout:
                raise self._busy(reading=True) from None
            probe.release()
            yield
            return
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raise self._busy(reading=True) from None
            except OSError:
                pass  # a filesystem without flock: the writer falls back to a soft lock
            yield
        finally:
            os.close(fd)  # releases the flock

    def _busy(self, reading: bool = False) -> ConfigError:
        if reading:
            return ConfigError(f"another abstab process is writing {self.path}; wait for it to "
                               f"finish (or stop it), then run again")
        return ConfigError(f"another abstab process is writing {self.path} or reading it for a "
                           f"later stage; wait for it to finish or stop it, then run again")

    # -- writing ------------------------------------------------------------------------

    def stale_units(self, review: UnitReview | None,
                    journal: list[Any] | None = None) -> list[str]:
        """Committed units whose decisions digest (their journal line's ``review``, "" when
        none) is not ``review.digest(unit)`` now, then the units only a decision makes exist
        that were never made; none when ``review`` is None."""
        if review is None:
            return []
        commits = (self._read_journal() if journal is None else journal)[1:]
        stale = [c["unit"] for c in commits if c.get("review", "") != review.digest(c["unit"])]
        done = {c["unit"] for c in commits}
        return stale + sorted(u for u in review.expected if u not in done)

    def reviewed_outputs(self) -> dict[str, Any]:
        """Unit → the ``own`` digest of the records it wrote, for the committed units a
        decision concerns (a later stage's unit made from one chains it into its identity)."""
        return {c["unit"]: c["own"] for c in self._read_journal()[1:] if c.get("review")}

    def up_to_date(self, config_hash: str, review: UnitReview | None = None) -> bool:
        """Done with this config, no unit failed (a rerun retries failures) and no unit's
        decisions changed."""
        return (self.is_done(config_hash) and not self.failed_units()
                and not self.stale_units(review))

    def open(self, config_hash: str, force: bool = False,
             review: UnitReview | None = None) -> StageWriter | None:
        """Open for writing; None when the stage is done with this config, nothing failed and
        no unit's decisions changed.

        Units that failed, and units whose decisions digest is not ``review.digest(unit)``, are
        cut out (see the module docstring) and left for the caller to redo. The writer holds
        an OS file lock on the stage until :meth:`StageWriter.close` (or the process ends,
        however it ends), so two runs never write one stage at once.
        """
        if not force and self.up_to_date(config_hash, review):
            return None
        from filelock import FileLock, Timeout

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise self._busy() from None
        try:
            return self._open_locked(config_hash, force, lock, review)
        except BaseException:
            lock.release()
            raise

    def _open_locked(self, config_hash: str, force: bool, lock: Any,
                     review: UnitReview | None) -> StageWriter | None:
        self._recover()
        if force:
            return StageWriter(self, config_hash, [], lock, foreign=self.set_aside())
        marker = self.marker()
        journal = self._read_journal()
        if ((marker is not None and marker["config_hash"] != config_hash)
                or (journal and journal[0] != config_hash)):
            return StageWriter(self, config_hash, [], lock, foreign=self.set_aside())
        commits = journal[1:]
        # Failures among the committed units (a done stage without a journal: the whole file).
        committed = commits[-1]["sizes"].get(ERRORS, 0) if commits else 0
        failed = self.failed_units(None if marker is not None and not journal else committed)
        made = {c["unit"] for c in journal[1:]}
        stale = [u for u in self.stale_units(review, journal) if u not in failed]
        new = [u for u in stale if u not in made]  # to make, nothing to cut
        stale = [u for u in stale if u in made]
        if marker is not None and not failed and not stale and not new:  # done meanwhile
            lock.release()
            return None
        if marker is not None and not journal:  # no journal to redo units one by one
            return StageWriter(self, config_hash, [], lock, foreign=self.set_aside())
        bases: dict[str, tuple[int, int]] = {}
        if failed or stale:
            self._unlink(DONE)  # not done until those units are redone
            bases = self._bases(journal, {*failed, *stale})
            journal = self._drop_units(journal, {*failed, *stale})
        return StageWriter(self, config_hash, journal, lock, retried=len(failed),
                           redone=len(stale) + len(new), bases=bases)

    def _bases(self, journal: list[Any], units: set[str]) -> dict[str, tuple[int, int]]:
        """For units about to be cut out: their output before any decision (the ``base`` of a
        reviewed unit's line, else the records they wrote), which a reviewed redo keeps."""
        out: dict[str, tuple[int, int]] = {}
        prev = dict.fromkeys(self.outputs, 0)
        for c in journal[1:]:
            if c["unit"] in units:
                if "base" in c:
                    out[c["unit"]] = _unpack(c["base"])
                else:
                    payload = {}
                    for name in self.outputs:
                        end = c["sizes"].get(name, 0)
                        if end > prev[name]:
                            with (self.path / name).open("rb") as fh:
                                fh.seek(prev[name])
                                payload[name] = fh.read(end - prev[name])
                    out[c["unit"]] = lines_digest(payload)
            prev = {name: c["sizes"].get(name, 0) for name in self.outputs}
        return out

    def _known(self, root: Path | None = None) -> list[Path]:
        """What abstab wrote in the stage folder (or in ``root``, its ``.replaced/``), the
        journal and marker first (see :meth:`set_aside`)."""
        root = root or self.path
        if not root.is_dir():
            return []
        names = [JOURNAL, DONE, *self.outputs, ERRORS, STATS, COMPACT]
        names += [f".{n}.{suffix}" for n in list(names) for suffix in ("tmp", "retry")]
        found = [root / n for n in names if (root / n).is_file()]
        for pattern in self.owned:
            found += [p for p in sorted(root.glob(pattern)) if p.is_file() or p.is_symlink()]
        return found

    def _foreign(self) -> list[str]:
        return sorted(p.name for p in self.path.iterdir() if p.name != ASIDE)

    def _prune(self, root: Path | None = None) -> None:
        """Remove the owned patterns' folders and the stage folder (or ``root``) when they are
        empty."""
        root = root or self.path
        for pattern in self.owned:
            folder = root / pattern.split("/")[0]
            if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
                folder.rmdir()
        if root.is_dir() and not any(root.iterdir()):
            root.rmdir()

    def _aside(self) -> Path | None:
        """The stage's ``.replaced/`` folder, None when there is none.

        Raises:
            WorkspaceError: ``.replaced`` is a link or a file: abstab moves nothing into, and
                deletes nothing under, what it did not make.
        """
        aside = self.path / ASIDE
        if aside.is_symlink() or (aside.exists() and not aside.is_dir()):
            raise WorkspaceError(f"{aside} is not a folder abstab made (a link or a file): move "
                                 f"it away, then run the {self.stage} stage again")
        return aside if aside.is_dir() else None

    def clear(self) -> list[str]:
        """Delete what abstab wrote in the stage folder; return the other files' names, which
        are left in place (the folder too, then)."""
        if not self.path.is_dir():
            return []
        for p in self._known():
            p.unlink()
        self._drop_aside()
        foreign = self._foreign()
        self._prune()
        return foreign

    def set_aside(self) -> list[str]:
        """Move what abstab wrote into ``.replaced/`` (kept until the new run commits, see the
        module docstring); return the other files' names, left in place."""
        known = self._known()
        if not known:
            return self._foreign() if self.path.is_dir() else []
        self._aside()  # refuses a .replaced abstab did not make
        aside = self.path / ASIDE
        for p in known:  # the journal and marker go first: see _recover
            dest = aside / p.relative_to(self.path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(p, dest)
        fsync_dir(self.path)
        self._prune()
        return self._foreign() if self.path.is_dir() else []

    def _drop_aside(self) -> None:
        """Delete the set-aside records (only what abstab moved there)."""
        aside = self._aside()
        if aside is None:
            return
        for p in self._known(aside):
            p.unlink()
        self._prune(aside)
        fsync_dir(self.path)

    def _restore_aside(self) -> None:
        """Put the set-aside records back, dropping the new run's empty beginnings."""
        aside = self._aside()
        if aside is None:
            return
        back = {p.relative_to(aside) for p in self._known(aside)}
        for name in [*self.outputs, ERRORS, JOURNAL]:
            p = self.path / name
            # a new run's empty output, or its journal: nothing was committed to either
            if Path(name) not in back and p.is_file() and (name == JOURNAL
                                                          or p.stat().st_size == 0):
                p.unlink()
        for rel in sorted(back):
            (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(aside / rel, self.path / rel)
        fsync_dir(self.path)
        self._drop_aside()

    def _new_run_committed(self) -> bool:
        if (self.path / DONE).exists():
            return True
        journal = self.path / JOURNAL
        return journal.exists() and len(journal.read_bytes().split(b"\n")) > 2

    def _unlink(self, name: str) -> None:
        (self.path / name).unlink(missing_ok=True)
        fsync_dir(self.path)

    def _read_journal(self) -> list[Any]:
        """[config_hash, commit, commit, ...]; an unfinished last line is ignored (a torn
        append), any other unreadable line is corruption."""
        p = self.path / JOURNAL
        if not p.exists():
            return []
        entries: list[Any] = []
        for lineno, line in enumerate(p.read_bytes().split(b"\n")[:-1], 1):
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if not (isinstance(entry, str) if lineno == 1 else (
                    isinstance(entry, dict) and isinstance(entry.get("unit"), str)
                    and isinstance(entry.get("sizes"), dict)
                    and isinstance(entry.get("stats"), dict))):
                raise WorkspaceError(
                    f"{p}:{lineno}: not a journal line (the file was damaged): rerun the "
                    f"{self.stage} stage with --force, or delete {JOURNAL} to redo it")
            entries.append(entry)
        return entries

    def _check_sizes(self, sizes: Mapping[str, int]) -> None:
        for name, size in sizes.items():
            p = self.path / name
            have = p.stat().st_size if p.exists() else 0
            if have < size:
                raise WorkspaceError(
                    f"{p} is shorter ({have} bytes) than its last commit in {self.path / JOURNAL}"
                    f" ({size} bytes): it was changed outside abstab; rerun the {self.stage} "
                    f"stage with --force")

    def _drop_units(self, journal: list[Any], drop: set[str]) -> list[Any]:
        """Cut the ``drop`` units' bytes out of every file and the journal, crash-safely."""
        commits = journal[1:]
        self._check_sizes(commits[-1]["sizes"] if commits else {})
        files = [*self.outputs, ERRORS]
        kept: list[dict[str, Any]] = []
        new_sizes = dict.fromkeys(files, 0)
        for name in files:
            src_path, dst_path = self.path / name, self.path / f".{name}.retry"
            with open(dst_path, "wb") as dst:
                if src_path.exists():
                    with src_path.open("rb") as src:
                        start = 0
                        for c in commits:
                            end = c["sizes"].get(name, 0)
                            if c["unit"] not in drop:
                                src.seek(start)
                                _copy_bytes(src, dst, end - start)
                            start = end
                dst.flush()
                os.fsync(dst.fileno())
        prev = dict.fromkeys(files, 0)
        for c in commits:
            if c["unit"] not in drop:
                for name in files:
                    new_sizes[name] += c["sizes"].get(name, 0) - prev[name]
                kept.append({**c, "sizes": dict(new_sizes)})
            prev = {name: c["sizes"].get(name, 0) for name in files}
        new = [journal[0], *kept]
        write_synced(self.path / f".{JOURNAL}.retry",
                      b"".join(json.dumps(e).encode() + b"\n" for e in new), os.O_TRUNC)
        atomic_write(self.path / COMPACT, b"")  # the commit point: the copies are whole
        self._recover()
        return new

    def _recover(self) -> None:
        """Finish a cut interrupted after its commit point, or drop one interrupted before."""
        names = [*self.outputs, ERRORS, JOURNAL]
        if not self.path.is_dir():
            return
        if self._aside() is not None:  # a start-over that stopped: keep whichever produced
            if self._new_run_committed():
                self._drop_aside()
            else:
                self._restore_aside()
        if (self.path / COMPACT).exists():
            for name in names:
                if (tmp := self.path / f".{name}.retry").exists():
                    os.replace(tmp, self.path / name)
            fsync_dir(self.path)
            self._unlink(COMPACT)
        else:
            for name in names:
                (self.path / f".{name}.retry").unlink(missing_ok=True)


def _copy_bytes(src: Any, dst: Any, n: int) -> None:
    while n > 0:
        chunk = src.read(min(n, _CHUNK))
        if not chunk:
            raise WorkspaceError(f"{src.name} ended before its journal said; rerun the stage "
                                 f"with --force")
        dst.write(chunk)
        n -= len(chunk)


def _line_hash(name: str, line: bytes) -> int:
    """One record line's share of :meth:`StageWriter.outputs_digest` (a sum, so any order)."""
    return int.from_bytes(hashlib.sha256(name.encode() + b"\0" + line).digest(), "big")


def lines_digest(payload: Mapping[str, bytes]) -> tuple[int, int]:
    """(line count, digest sum) of record file bytes by file name."""
    n = total = 0
    for name, data in payload.items():
        for line in data.split(b"\n"):
            if line.strip():
                total = (total + _line_hash(name, line)) % _MOD
                n += 1
    return n, total


def _pack(contribution: tuple[int, int]) -> list[Any]:
    return [contribution[0], f"{contribution[1]:064x}"]


def _unpack(value: Any) -> tuple[int, int]:
    return int(value[0]), int(value[1], 16)


def _stop_here(n: int, point: str, torn: tuple[Path, bytes] | None = None) -> None:
    """The fault-test hook (see ``_STOP``): signal the test and block at this commit point."""
    want, where, fd = _STOP.split(":")
    if int(want) != n or where != point:
        return
    if torn is not None and torn[1]:
        write_synced(torn[0], torn[1][: max(1, len(torn[1]) // 2)])
    os.write(int(fd), b"1")
    threading.Event().wait()  # until the test's SIGKILL (a signal handler may unwind it)


class StageWriter:
    """Appends units atomically (see the module docstring) and writes the marker at the end.

    Attributes:
        stats: the summed counts of every committed unit (those resumed included).
        resumed: units found done when the stage was opened.
        retried: failed units cut out to be redone.
        redone: units to be redone (or made) because the decisions about them changed.
        foreign: files in the stage folder that abstab did not write (left in place).
    """

    def __init__(self, stage_dir: StageDir, config_hash: str, journal: list[Any],
                 lock: Any = None, *, retried: int = 0, foreign: list[str] | None = None,
                 redone: int = 0, bases: Mapping[str, tuple[int, int]] | None = None):
        self.dir = stage_dir
        self.config_hash = config_hash
        self._lock = lock
        self.dir.path.mkdir(parents=True, exist_ok=True)
        self.files = [*stage_dir.outputs, ERRORS]
        self.done_units: set[str] = set()
        self.stats: Counter[str] = Counter()
        self.retried = retried
        self.redone = redone
        self._bases = dict(bases or {})
        self.foreign = foreign or []
        self._commits = 0  # in this process, for the fault-test hook
        self._aside = self.dir._aside() is not None  # the old records, until a unit replaces them
        jpath = self.dir.path / JOURNAL
        if not journal:
            for f in self.files:
                (self.dir.path / f).write_bytes(b"")
            atomic_write(jpath, json.dumps(config_hash).encode() + b"\n")
            self.resumed = 0
            return
        commits = journal[1:]
        sizes = commits[-1]["sizes"] if commits else {}
        self.dir._check_sizes(sizes)
        for f in self.files:
            p = self.dir.path / f
            p.touch()
            with p.open("r+b") as fh:
                fh.truncate(sizes.get(f, 0))
                os.fsync(fh.fileno())
        # Rewrite the journal without any torn last line.
        atomic_write(jpath, b"".join(json.dumps(e).encode() + b"\n" for e in journal))
        for c in commits:
            self.done_units.add(c["unit"])
            self.stats.update(c["stats"])
        self.resumed = len(self.done_units)

    def commit(self, unit: str, result: UnitResult, review: str = "") -> None:
        """Write one unit's records and errors, then its journal line (``review``: the digest
        of the decisions it was made under, "" when none)."""
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
        payload = {name: data for name, data in payload.items() if data}
        self._commits += 1
        if _STOP:
            first = next(iter(payload.items()), None)
            _stop_here(self._commits, "torn-records",
                       (self.dir.path / first[0], first[1]) if first else None)
        for name, data in payload.items():
            write_synced(self.dir.path / name, data)
        if _STOP:
            _stop_here(self._commits, "records")
        sizes = {f: (self.dir.path / f).stat().st_size for f in self.files}
        entry: dict[str, Any] = {"unit": unit, "sizes": sizes, "stats": dict(result.stats)}
        if review:
            entry.update(review=review, base=_pack(self._bases.get(unit, NO_LINES)),
                         own=_pack(lines_digest({n: d for n, d in payload.items()
                                                 if n in self.dir.outputs})))
        line = json.dumps(entry).encode()
        if _STOP:
            _stop_here(self._commits, "torn-journal", (self.dir.path / JOURNAL, line + b"\n"))
        write_synced(self.dir.path / JOURNAL, line + b"\n")
        if self._aside:
            self.dir._drop_aside()
            self._aside = False
        self.done_units.add(unit)
        self.stats.update(result.stats)
        if _STOP:
            _stop_here(self._commits, "committed")

    def finish(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        stats = funnel(self.stats)
        stats.update(extra or {})
        atomic_write(self.dir.path / STATS,
                     (json.dumps(stats, indent=2, sort_keys=True) + "\n").encode())
        marker = {"config_hash": self.config_hash, "finished": time.time(),
                  "units": len(self.done_units), "outputs": self.outputs_digest()}
        if self.dir.kinds:
            marker["produces"] = self.dir.kinds
        atomic_write(self.dir.path / DONE, (json.dumps(marker) + "\n").encode())
        if self._aside:
            self.dir._drop_aside()
            self._aside = False
        self.close()
        return stats

    def outputs_digest(self) -> str:
        """A digest of the record files' lines, whatever their order (units finish in any
        order): later stages chain it into their config hash, so changed records redo them.
        A reviewed unit counts with its ``base`` (its output before any decision), so that
        decisions alone do not redo later stages (see the module docstring)."""
        total, lines = 0, 0
        for name in sorted(self.dir.outputs):
            with (self.dir.path / name).open("rb") as fh:
                for line in fh:
                    if line.strip():
                        total = (total + _line_hash(name, line.rstrip(b"\n"))) % _MOD
                        lines += 1
        for c in self.dir._read_journal()[1:]:
            if c.get("review"):
                (own_n, own), (base_n, base) = _unpack(c["own"]), _unpack(c["base"])
                total = (total - own + base) % _MOD
                lines += base_n - own_n
        return f"{lines}:{total:064x}"

    def close(self) -> None:
        """Release the stage's lock (finished or not); a start-over that committed nothing
        gets the old records back."""
        if self._aside:
            self.dir._restore_aside()
            self._aside = False
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


# -- record kinds and where a workspace holds them ------------------------------------------


@dataclass(frozen=True)
class RecordKind:
    """A kind of record a stage produces: its file in the stage's folder and its type."""

    file: str
    record: type[Record]


RECORD_KINDS: dict[str, RecordKind] = {
    "documents": RecordKind("documents", Document),
    "tables": RecordKind("tables", Table),  # as extracted from the PDFs (or rendered by ingest)
    "judgments": RecordKind("judgments", Judgment),
    "resolutions": RecordKind("resolutions", Resolution),
    "ingested_items": RecordKind("items", QAItem),  # a dataset's items, before re-checking
    "items": RecordKind("items", QAItem),  # candidate items, before assembling
    "derived_tables": RecordKind("tables", Table),  # tables made from tables (de-abstracted...)
    "dataset_items": RecordKind("items", QAItem),  # the assembled dataset
    "dataset_tables": RecordKind("tables", Table),
    "predictions": RecordKind("predictions", Prediction),
    "scores": RecordKind("scores", Score),
}

# Stage folders whose done.json predates ``produces``: what each one held.
_LEGACY_KINDS: dict[str, tuple[str, ...]] = {
    "extract": ("documents", "tables"), "judge": ("judgments",), "resolve": ("resolutions",),
    "generate": ("items", "derived_tables"), "assemble": ("dataset_items", "dataset_tables"),
}


def producers(work: Path, kind: str) -> list[StageDir]:
    """The finished stage folders of ``work`` that hold records of ``kind``."""
    work = Path(work)
    if not work.is_dir():
        return []
    found = []
    damaged: WorkspaceError | None = None
    for p in sorted(work.iterdir()):
        if p.name.startswith(".") or not (p / DONE).is_file():
            continue
        try:
            marker = StageDir(work, p.name, ()).marker() or {}
        except WorkspaceError as exc:
            # Another stage's damaged marker does not hide this kind's producer (judge
            # --force repairs judge/done.json while reading extract's records).
            if kind in _LEGACY_KINDS.get(p.name, ()):
                raise
            damaged = damaged or exc
            continue
        kinds = marker.get("produces") or _LEGACY_KINDS.get(p.name, ())
        if kind in kinds:
            found.append(StageDir(work, p.name, [RECORD_KINDS[k].file for k in kinds
                                                 if k in RECORD_KINDS], kinds=kinds))
    if not found and damaged is not None:
        raise damaged  # it may have been the producer
    return found


def producer(work: Path, kind: str) -> StageDir | None:
    """The finished stage folder of ``work`` holding ``kind`` records (None: no stage made
    them). Every reader of a workspace finds its input here, by kind, not by folder name.

    Raises:
        WorkspaceError: two stage folders hold ``kind``; the message names both.
    """
    found = producers(work, kind)
    if len(found) > 1:
        names = " and ".join(f"{sd.path.name}/" for sd in found)
        raise WorkspaceError(
            f"{work}: {names} both hold {kind} ({RECORD_KINDS[kind].file}.jsonl); a workspace "
            f"holds one stage's {kind}: delete the folder you do not want, or use a fresh "
            f"workspace")
    return found[0] if found else None


@contextmanager
def reading_workspace(work: Path) -> Iterator[None]:
    """Hold every stage folder of ``work`` shared while it is read whole (release, bench): no
    stage is rewritten meanwhile, and one being written is refused (see
    :meth:`StageDir.reading`)."""
    with ExitStack() as stack:
        if Path(work).is_dir():
            for p in sorted(Path(work).iterdir()):
                if p.is_dir() and not p.name.startswith("."):
                    stack.enter_context(StageDir(work, p.name, ()).reading())
        yield


def read_kind(work: Path, kind: str) -> Iterator[Any]:
    """The records of ``kind`` in ``work`` (none when no stage produced them)."""
    sd = producer(work, kind)
    if sd is not None:
        yield from sd.records(kind)


def index_kind(work: Path, kind: str, key: str, **kwargs: Any) -> RecordIndex:
    """The records of ``kind`` in ``work`` by ``key`` (empty when no stage produced them)."""
    sd = producer(work, kind)
    if sd is None:
        return RecordIndex(None, RECORD_KINDS[kind].record, key, **kwargs)
    return sd.index_of(kind, key, **kwargs)
