"""The LLM client's HTTP layer: a total deadline, a size cap and a stop switch on every request.

The ``openai`` SDK's timeout bounds each socket operation, not a request: an endpoint that sends
one byte every few seconds keeps a request open forever, and nothing bounds how much it sends.
Here every socket operation of a request (connect, write, each read, headers included) is
clamped to what remains of the request's deadline, reads wait in short slices so that a stop
(Ctrl-C, SIGTERM) ends them within :data:`POLL_S`, and the bytes received are counted against
the cap, so an oversized reply is abandoned without being read whole.

The limits of the request a thread is sending live in a thread-local (:func:`request_limits`):
the sync HTTP client does all the I/O of a request in the thread that sends it.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from abstab.llm.errors import LLMRequestError, ReplyTooLargeError

POLL_S = 0.25
"""Longest a read waits before it checks the stop switch and the deadline again."""

_local = threading.local()


@dataclass
class RequestLimits:
    """The limits of one request.

    Attributes:
        deadline: ``time.monotonic()`` value after which the request is a timeout.
        max_bytes: bytes of the reply (headers included) beyond which it is abandoned.
        stop: set when the run stops; the request then ends at its next read slice.
        received: bytes read so far.
    """

    deadline: float
    max_bytes: int
    stop: threading.Event
    received: int = 0


@contextmanager
def request_limits(timeout: float, max_bytes: int, stop: threading.Event) -> Iterator[None]:
    """Apply a ``timeout``-second total deadline and a ``max_bytes`` cap to the requests this
    thread sends inside the block."""
    _local.limits = RequestLimits(time.monotonic() + timeout, max_bytes, stop)
    try:
        yield
    finally:
        _local.limits = None


def _limits() -> RequestLimits | None:
    return getattr(_local, "limits", None)


def http_modules() -> tuple[ModuleType, ModuleType]:
    """``(httpx, httpcore)`` as the installed ``openai`` SDK uses them (``httpx2`` in 3.x)."""
    import openai

    base = next(c for c in openai.DefaultHttpxClient.__mro__ if c.__name__ == "Client"
                and not c.__module__.startswith("openai"))
    httpx = importlib.import_module(base.__module__.split(".")[0])
    return httpx, importlib.import_module(httpx.__name__.replace("httpx", "httpcore"))


class _LimitedStream:
    """A network stream whose operations obey the current request's limits."""

    def __init__(self, inner: Any, httpcore: ModuleType):
        self._inner = inner
        self._httpcore = httpcore

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        lim = _limits()
        if lim is None:
            return self._inner.read(max_bytes, timeout)  # type: ignore[no-any-return]
        idle_end = None if timeout is None else time.monotonic() + timeout
        while True:
            if lim.stop.is_set():
                raise self._httpcore.ReadTimeout("the run is stopping")
            end = lim.deadline if idle_end is None else min(lim.deadline, idle_end)
            left = end - time.monotonic()
            if left <= 0:
                raise self._httpcore.ReadTimeout("the request's deadline passed")
            try:
                data: bytes = self._inner.read(max_bytes, min(left, POLL_S))
            except self._httpcore.ReadTimeout:
                continue  # a slice ended: check the stop switch and the deadline again
            lim.received += len(data)
            if lim.received > lim.max_bytes:
                raise ReplyTooLargeError(lim.max_bytes)
            return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> _LimitedStream:
        return _LimitedStream(self._inner.start_tls(ssl_context, server_hostname,
                                                    _clamp(timeout)), self._httpcore)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _LimitedBackend:
    """A network backend whose streams are :class:`_LimitedStream`."""

    def __init__(self, inner: Any, httpcore: ModuleType):
        self._inner = inner
        self._httpcore = httpcore

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> _LimitedStream:
        stream = self._inner.connect_tcp(host, port, _clamp(timeout), local_address,
                                         socket_options)
        return _LimitedStream(stream, self._httpcore)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> _LimitedStream:
        stream = self._inner.connect_unix_socket(path, _clamp(timeout), socket_options)
        return _LimitedStream(stream, self._httpcore)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _clamp(timeout: float | None) -> float | None:
    lim = _limits()
    if lim is None:
        return timeout
    left = max(0.001, lim.deadline - time.monotonic())
    return left if timeout is None else min(timeout, left)


def _refuse_encoded(response: Any) -> None:
    # A compressed reply would be inflated past the cap after it was counted: abstab asks for
    # none, and a reply that comes compressed anyway is refused unread.
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        response.close()
        raise LLMRequestError(f"the endpoint sent a compressed reply (Content-Encoding: "
                              f"{encoding}) although abstab asked for none; use an endpoint "
                              "that honours Accept-Encoding: identity")


def limited_http_client(timeout: float) -> Any:
    """The ``openai`` SDK's default HTTP client, with every connection pool's network I/O
    bound by the current :func:`request_limits` and compressed replies refused."""
    import openai

    httpx, httpcore = http_modules()
    client = openai.DefaultHttpxClient(
        timeout=timeout, headers={"Accept-Encoding": "identity"},
        event_hooks={"response": [_refuse_encoded]})
    transports = [client._transport, *client._mounts.values()]  # the default pool and proxies
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):
            if transport is None:
                continue
            raise RuntimeError(f"cannot bound the requests of {type(transport).__name__}: "
                               f"{httpx.__name__} changed its connection pool")
        pool._network_backend = _LimitedBackend(pool._network_backend, httpcore)
    return client
