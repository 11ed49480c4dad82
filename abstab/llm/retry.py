"""The one retry policy of abstab's outgoing requests (the LLM client, the bench's ``http`` system).

* Transient errors are retried: timeouts, connection errors, 408/409/429 and 5xx, whether the
  ``openai`` SDK raised them or its HTTP library did.
* Waits are tenacity's jittered exponential backoff, at most ``retry_max_wait`` seconds; a
  429/503 that says how long to wait (``Retry-After``, ``retry-after-ms``) is obeyed, up to that
  cap, and pauses every thread that sends through the same policy, not only the one that got it.
* At most ``max_retries`` retries; :meth:`RetryPolicy.close` ends waits at once and stops
  retrying.
* After the last attempt the error becomes the item's error (:func:`final_error`): a timeout, an
  unavailable endpoint, or a rejected request, each message naming the flag to change.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from abstab.llm.errors import LLMError, LLMRequestError, LLMTimeoutError, LLMUnavailableError
from abstab.llm.transport import http_modules

T = TypeVar("T")

_TRANSIENT_STATUS = {408, 409, 429}


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of an error reply (``openai.APIStatusError``, ``httpx.HTTPStatusError``)."""
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int):
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def is_timeout(exc: BaseException) -> bool:
    """True when the request ran past its deadline."""
    import openai

    httpx, _ = http_modules()
    return isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException))


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: timeouts, connection errors, 408/409/429 and 5xx."""
    import openai

    httpx, _ = http_modules()
    if isinstance(exc, (openai.APIConnectionError, httpx.TransportError)):
        return not isinstance(exc, httpx.UnsupportedProtocol)  # a bad URL stays bad
    status = status_of(exc)
    return status is not None and (status in _TRANSIENT_STATUS or status >= 500)


def retry_after_seconds(exc: BaseException) -> float | None:
    """The wait a 429/503 asks for (``retry-after-ms`` or ``Retry-After``: seconds or a date)."""
    if status_of(exc) not in (429, 503):
        return None
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


class RetryPolicy:
    """Retries of one client's requests, shared by every thread that sends through it.

    Args:
        max_retries: retries after the first attempt.
        max_wait: longest wait between two attempts, in seconds.
        on_retry: called before each wait (the ledger counts retries).
        gone: says the endpoint is gone for good (a managed server died): no retry then.

    Attributes:
        closed: set by :meth:`close`; waits end and nothing more is retried. Requests in flight
            watch it too (:func:`abstab.llm.transport.request_limits`).
    """

    def __init__(self, max_retries: int, max_wait: float, *,
                 on_retry: Callable[[], None] | None = None,
                 gone: Callable[[], bool] | None = None):
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.closed = threading.Event()
        self._on_retry = on_retry
        self._gone = gone
        self._pause_lock = threading.Lock()
        self._pause_until = 0.0

    @property
    def attempts(self) -> int:
        """Attempts a request gets in all."""
        return self.max_retries + 1

    def call(self, send: Callable[[], T]) -> T:
        """``send()``, retried while it raises a transient error; the last error is raised."""
        retrying = Retrying(
            sleep=self._sleep,
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception(self._should_retry),
            before_sleep=lambda _state: self._on_retry() if self._on_retry else None,
            reraise=True,
        )
        return retrying(self._after_pause, send)

    def close(self) -> None:
        """Stop retrying and wake every thread that waits to retry."""
        self.closed.set()

    def _sleep(self, seconds: float) -> None:
        self.closed.wait(seconds)  # close() cuts the wait short

    def _after_pause(self, send: Callable[[], T]) -> T:
        with self._pause_lock:
            pause = self._pause_until - time.monotonic()
        if pause > 0:
            self.closed.wait(pause)
        return send()

    def _should_retry(self, exc: BaseException) -> bool:
        return (is_transient(exc) and not self.closed.is_set()
                and not (self._gone is not None and self._gone()))

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = retry_after_seconds(exc) if exc is not None else None
        if asked is not None:
            wait = min(asked, self.max_wait)
            with self._pause_lock:  # a rate limit pauses every thread, not only this one
                self._pause_until = max(self._pause_until, time.monotonic() + wait)
            return wait
        return float(wait_random_exponential(multiplier=0.5, max=self.max_wait)(state))


def final_error(exc: Exception, *, url: str, attempts: int, timeout: float, detail: str,
                hint: str = "") -> Exception:
    """The error a request that failed for good is reported as.

    Args:
        exc: the last attempt's error.
        url: the endpoint, without credentials.
        attempts: attempts made.
        timeout: the total deadline of one attempt (``--request-timeout``).
        detail: the error's text, cleaned of secrets and shortened by the caller.
        hint: added to a rejected request's message.

    Returns:
        :class:`LLMTimeoutError`, :class:`LLMUnavailableError` for other transient errors,
        :class:`LLMRequestError` for other error replies; an :class:`LLMError` (a reply over
        the cap, a compressed reply) and any other error as they are.
    """
    if isinstance(exc, LLMError):
        return exc
    if is_timeout(exc):
        return LLMTimeoutError(f"{url}: no complete reply within {timeout:g} s, {attempts} "
                               "attempt(s) (raise --request-timeout)", attempts=attempts)
    status = status_of(exc)
    if is_transient(exc):
        what = f"HTTP {status}" if status else type(exc).__name__
        return LLMUnavailableError(f"{url}: {what} after {attempts} attempt(s): {detail}",
                                   attempts=attempts)
    if status is not None:
        return LLMRequestError(f"{url} rejected the request (HTTP {status}): {detail}{hint}",
                               status=status)
    return exc
