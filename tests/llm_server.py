"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

It speaks ``POST /v1/chat/completions`` and ``GET /v1/models``. Each chat request takes the
next scripted :class:`Reply` from a queue (``enqueue``); when the queue is empty the
``responder`` decides (a callable ``request -> Reply``). It records every request body and
header, and counts requests in flight server-side. A reply can also misbehave: drip its bytes
(status line included) slowly, hold the request until the test releases it, or echo the
request's headers in an error body.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Reply:
    """One scripted behaviour.

    Attributes:
        status: HTTP status.
        content: the assistant message (a dict/list is sent as JSON text) for a 200.
        body: the whole JSON body to send instead (error bodies).
        headers: extra headers (``Retry-After``).
        delay: seconds to sleep before answering (a timeout when longer than the client's).
        usage: (prompt_tokens, completion_tokens).
        finish_reason: the choice's finish reason (``length``: cut at max_tokens).
        drip: when set, the whole response (status line first) is sent one byte every
            ``drip`` seconds.
        hold: when set, the request waits for this event before answering (the server sets
            :attr:`FakeLLMServer.arrived` first, so a test knows the request is held).
        echo_headers: append the request's Authorization header to the error body's
            message.
    """

    status: int = 200
    content: Any = None
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    usage: tuple[int, int] = (10, 5)
    finish_reason: str = "stop"
    drip: float | None = None
    hold: threading.Event | None = None
    echo_headers: bool = False


def ok(content: Any, *, usage: tuple[int, int] = (10, 5), delay: float = 0.0) -> Reply:
    """A 200 whose assistant message is ``content`` (dicts are dumped as JSON)."""
    return Reply(200, content=content, usage=usage, delay=delay)


def error(status: int, message: str = "error", *, headers: dict[str, str] | None = None,
          code: str | None = None) -> Reply:
    """An OpenAI-style error body with ``status``."""
    return Reply(status, body={"error": {"message": message, "type": "error", "code": code,
                                         "param": None}}, headers=headers or {})


class Faults:
    """A responder that fails a fixed fraction of requests with 429, 500 or a timeout.

    Which attempts fail is decided by a hash of (seed, the request's messages, how many times
    those messages were sent before), not by the order threads arrive in: a run is
    reproducible, and a test can tell from :attr:`log` which items saw only failures.

    Args:
        responder: the reply for requests that do not fail.
        rate: fraction of requests that fail.
        timeout_delay: seconds a "timeout" reply sleeps (longer than the client's timeout).
        seed: changes which attempts fail.

    Attributes:
        log: per messages key, the outcome of each attempt in order (``ok``, ``429``, ``500``,
            ``timeout``).
    """

    KINDS = ("429", "500", "timeout")

    def __init__(self, responder: Callable[[dict[str, Any]], Reply], rate: float = 0.3,
                 timeout_delay: float = 1.0, seed: str = "0"):
        self.responder = responder
        self.rate = rate
        self.timeout_delay = timeout_delay
        self.seed = seed
        self.log: dict[str, list[str]] = {}
        self._attempts: Counter[str] = Counter()
        self._lock = threading.Lock()

    @staticmethod
    def key(request: dict[str, Any]) -> str:
        return json.dumps(request.get("messages"), sort_keys=True, ensure_ascii=False)

    def __call__(self, request: dict[str, Any]) -> Reply:
        key = self.key(request)
        with self._lock:
            attempt = self._attempts[key]
            self._attempts[key] += 1
        digest = hashlib.sha256(f"{self.seed}|{attempt}|{key}".encode()).digest()
        fails = int.from_bytes(digest[:8], "big") / 2**64 < self.rate
        kind = self.KINDS[digest[8] % len(self.KINDS)] if fails else "ok"
        with self._lock:
            self.log.setdefault(key, []).append(kind)
        if kind == "429":
            return error(429, "Rate limit reached", code="rate_limit_exceeded")
        if kind == "500":
            return error(500, "The server had an error while processing your request")
        reply = self.responder(request)
        if kind == "timeout":
            return Reply(reply.status, content=reply.content, body=reply.body,
                         delay=self.timeout_delay)
        return reply


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128


class FakeLLMServer:
    """Scripted OpenAI-compatible server in a background thread.

    Args:
        responder: reply for requests when the queue is empty (default: a 500 saying so).
        latency: seconds every request sleeps before its scripted delay.
    """

    def __init__(self, responder: Callable[[dict[str, Any]], Reply] | None = None,
                 latency: float = 0.0):
        self.responder = responder
        self.latency = latency
        self.queue: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.model_list_requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:PORT/v1``."""
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self.queue.extend(replies)

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.headers.clear()
            self.max_in_flight = 0

    def _next(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            if self.queue:
                return self.queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        return error(500, "the fake server has no scripted reply left")

    def start(self) -> FakeLLMServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any],
                      headers: dict[str, str] | None = None, drip: float | None = None) -> None:
                data = json.dumps(body).encode()
                try:
                    if drip is not None:
                        head = (f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
                                f"Content-Length: {len(data)}\r\n\r\n").encode()
                        for i in range(len(head + data)):
                            self.wfile.write((head + data)[i:i + 1])
                            self.wfile.flush()
                            time.sleep(drip)
                        return
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/v1/models"):
                    with server._lock:
                        server.model_list_requests += 1
                    self._send(200, {"object": "list", "data": [
                        {"id": "fake-model", "object": "model", "created": 0, "owned_by": "t"}]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.rstrip("/").endswith("/v1/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                with server._lock:
                    server.requests.append(request)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    reply = server._next(request)
                    server.arrived.set()
                    if reply.hold is not None:
                        reply.hold.wait()
                    time.sleep(server.latency + reply.delay)
                    if reply.status != 200 or reply.body is not None:
                        body = reply.body or {}
                        if reply.echo_headers:
                            auth = self.headers.get("Authorization")
                            body = {"error": {**body.get("error", {}), "message":
                                              f"{body.get('error', {}).get('message')} "
                                              f"(Authorization: {auth})"}}
                        self._send(reply.status, body, reply.headers, reply.drip)
                        return
                    content = reply.content
                    if not isinstance(content, str):
                        content = json.dumps(content)
                    p, c = reply.usage
                    self._send(200, {
                        "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion",
                        "created": 0, "model": request.get("model", ""),
                        "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                                     "logprobs": None,
                                     "message": {"role": "assistant", "content": content}}],
                        "usage": {"prompt_tokens": p, "completion_tokens": c,
                                  "total_tokens": p + c},
                    }, reply.headers, reply.drip)
                finally:
                    with server._lock:
                        server.in_flight -= 1

        httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
