"""Where ``abstab release`` writes, and what it may replace there.

A release is built in a staging folder beside OUTPUT (``.<name>.<random>.abstab-tmp``) and
swapped in by rename, so OUTPUT is always either the old release or the new one, never half of
one. ``--force`` replaces only a folder abstab itself wrote: one that holds the
``.abstab-release`` marker at its top and no file that its ``SHA256SUMS`` does not list (so a
file a user put there is never deleted). OUTPUT may never be, or contain, the workspace or the
current directory, and may not be a symbolic link.

A staging folder carries a marker file on which its run holds an OS lock. A run killed before it
could clean up leaves that folder behind; the next release to the same OUTPUT removes it (and
puts back an old release it had moved aside, if the swap was cut short) once no process holds
its lock. Folders without that marker are never touched.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from filelock import FileLock, Timeout

from abstab import __version__
from abstab.errors import ConfigError
from abstab.release.layout import CHECKSUMS
from abstab.release.paths import regular_files

RELEASE_MARKER = ".abstab-release"
STAGING_MARKER = ".abstab-staging"
STAGING_SUFFIX = ".abstab-tmp"


def not_a_release(folder: Path) -> str | None:
    """Why ``folder`` is not a release abstab wrote (None when it is one)."""
    marker = folder / RELEASE_MARKER
    if marker.is_symlink() or not marker.is_file():
        return f"it has no {RELEASE_MARKER} marker"
    sums = folder / CHECKSUMS
    if sums.is_symlink() or not sums.is_file():
        return f"it has no {CHECKSUMS}"
    listed = {line.partition("  ")[2] for line in
              sums.read_text(encoding="utf-8", errors="replace").splitlines()}
    files, links = regular_files(folder)
    if links:
        return f"{links[0]} is a symbolic link"
    extra = sorted(files - listed - {CHECKSUMS})
    if extra:
        return f"{extra[0]} is not one of its files (not in its {CHECKSUMS})"
    return None


def check_output(output: Path, work: Path, force: bool) -> None:
    """Refuse an OUTPUT that a release may not be written to or may not replace.

    Raises:
        ConfigError: OUTPUT is a symbolic link, is or contains WORK or the current directory,
            exists and is not a folder, holds something other than an abstab release, or holds
            a release and ``force`` is off.
    """
    if output.is_symlink():
        raise ConfigError(f"{output} is a symbolic link (to {os.readlink(output)}); abstab "
                          "release never replaces a link or what it points to: pass -o the real "
                          "folder's path, or a new folder")
    real = output.resolve()
    for what, path in (("the workspace", Path(work).resolve()),
                       ("the current directory", Path.cwd().resolve())):
        if real == path or real in path.parents:
            rel = "" if real == path else "a parent of "
            raise ConfigError(f"{output} is {rel}{what} ({path}); a release replaces its "
                              "output folder, so -o must name a new folder outside it, for "
                              f"example -o {Path(work).resolve()}-release")
    if not real.exists():
        return
    if not real.is_dir():
        raise ConfigError(f"{output} exists and is not a folder; pass -o a new folder")
    if not any(real.iterdir()):
        return
    reason = not_a_release(real)
    if reason:
        raise ConfigError(f"{output} is not a release written by abstab ({reason}); abstab "
                          "replaces only its own releases, so it left the folder as it is: pass "
                          "-o a new or empty folder, or move the folder's contents away")
    if not force:
        raise ConfigError(f"{output} holds an abstab release; pass --force to replace it, or "
                          "-o another folder")


def _stale_staging(output: Path) -> None:
    """Remove the staging folders for OUTPUT that a killed run left (see the module docstring);
    a folder still locked by a live run, or without abstab's marker, stays."""
    parent = output.parent
    if not parent.is_dir():
        return
    for tmp in parent.glob(f".{glob.escape(output.name)}.*{STAGING_SUFFIX}"):
        marker = tmp / STAGING_MARKER
        if tmp.is_symlink() or not tmp.is_dir() or marker.is_symlink() or not marker.is_file():
            continue
        lock = FileLock(str(marker))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue  # another release is building there now
        try:
            old = tmp / "old"
            if old.is_dir() and not old.is_symlink() and not os.path.lexists(output):
                os.rename(old, output)  # the swap was cut short: put the old release back
            shutil.rmtree(tmp)
        finally:
            lock.release()


# Signals whose default action kills the process without cleanup (Ctrl-C already raises).
_EXIT_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the staging cleanup, unlike the default


class Staging:
    """A folder beside OUTPUT to build the release in; :meth:`commit` swaps it in.

    Use as a context manager: leaving it removes the staging folder (and with it the old
    release once replaced), on success, error, Ctrl-C, SIGTERM or SIGHUP alike.
    """

    def __init__(self, output: Path, work: Path, force: bool):
        self.output = Path(os.path.abspath(output))
        self.work = work
        self.force = force
        self.tmp: Path | None = None
        self._lock: FileLock | None = None
        self._previous: dict[signal.Signals, Any] = {}

    def __enter__(self) -> Path:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        _stale_staging(self.output)
        try:
            return self._enter()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _enter(self) -> Path:
        if threading.current_thread() is threading.main_thread():
            for sig in _EXIT_SIGNALS:
                if signal.getsignal(sig) is signal.SIG_DFL:
                    self._previous[sig] = signal.signal(sig, _exit_on_signal)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.output.name}.", suffix=STAGING_SUFFIX,
                                         dir=self.output.parent))
        self._lock = FileLock(str(self.tmp / STAGING_MARKER))
        self._lock.acquire(timeout=0)
        # mkdtemp's folder is private (0700); the release itself gets the usual mode.
        build = self.tmp / "release"
        build.mkdir()
        (build / RELEASE_MARKER).write_text(json.dumps({"abstab_version": __version__}) + "\n")
        return build

    def commit(self) -> None:
        """Move the built release to OUTPUT, replacing the old one (checked again first)."""
        assert self.tmp is not None
        check_output(self.output, self.work, self.force)
        old = self.tmp / "old"
        # No signal between the two renames: OUTPUT is never left missing by an interrupt.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, *_EXIT_SIGNALS})
        try:
            if self.output.exists():
                os.rename(self.output, old)
            try:
                os.rename(self.tmp / "release", self.output)
            except OSError:
                if old.exists():
                    os.rename(old, self.output)
                raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
        finally:
            if self._lock is not None:
                self._lock.release()
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)
            self._previous.clear()
