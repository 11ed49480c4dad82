"""Stop an ``abstab`` child at an exact commit point, without sleeps or races.

The child runs with ``ABSTAB_DEBUG_STOP="N:POINT:FD"`` (see ``abstab/store.py``): its N-th commit
writes one byte to the pipe FD and blocks at POINT. The test waits on the pipe's other end, so
it acts at that instant; if the child ends first, the pipe closes and the test says so.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

from conftest import REPO

POINTS = ("torn-records", "records", "torn-journal", "committed")

# A suite started in the background ignores SIGINT, and children inherit that: this prelude
# gives the child Python's own Ctrl-C handler (KeyboardInterrupt), as a terminal would.
CTRL_C_AS_TERMINAL = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)"
_RUN_ABSTAB = ("import runpy, sys; sys.argv[0] = 'abstab'; "
               "runpy.run_module('abstab', run_name='__main__')")


def start_until(args: Sequence[str], n: int, point: str, *, timeout: float = 120,
                ctrl_c: bool = False, **popen: Any) -> subprocess.Popen[bytes]:
    """Start ``python -m abstab ARGS``; return once its ``n``-th commit blocks at ``point``.

    With ``ctrl_c`` the child handles SIGINT as one started from a terminal does.
    """
    assert point in POINTS, point
    r, w = os.pipe()
    with tempfile.TemporaryFile() as err:  # the child keeps its own handle
        try:
            env = {**os.environ, "ABSTAB_DEBUG_STOP": f"{n}:{point}:{w}"}
            command = ([sys.executable, "-c", f"{CTRL_C_AS_TERMINAL}; {_RUN_ABSTAB}"] if ctrl_c
                       else [sys.executable, "-m", "abstab"])
            proc = subprocess.Popen([*command, *args], cwd=REPO, env=env,
                                    stdout=subprocess.DEVNULL, stderr=popen.pop("stderr", err),
                                    pass_fds=(w,), **popen)
        finally:
            os.close(w)
        try:
            ready, _, _ = select.select([r], [], [], timeout)  # a deadline, not a poll for a state
            got = os.read(r, 1) if ready else b""
        finally:
            os.close(r)
        if got != b"1":
            if popen.get("start_new_session"):
                kill_group(proc)
            proc.kill()
            proc.wait()
            err.seek(0)
            tail = err.read()[-2000:].decode(errors="replace")
            raise AssertionError(f"abstab {args[0]} ended (exit {proc.returncode}) before commit "
                                 f"{n} reached {point}:\n{tail}")
    return proc


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child and its pool workers (a session of their own): a hard stop."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def kill_at(args: Sequence[str], n: int, point: str) -> None:
    """Run ``abstab ARGS`` until its ``n``-th commit reaches ``point``, then SIGKILL it there."""
    kill_group(start_until(args, n, point, start_new_session=True))
