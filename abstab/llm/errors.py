"""Errors of the LLM layer.

Two kinds, and stages treat them differently:

* :class:`LLMError` and its subclasses concern **one item** (one table, one keyword, one
  question). A stage records them in its ``errors.jsonl`` under ``error.reason`` and goes on.
* :class:`abstab.errors.ConfigError` (a rejected key, an unknown model, a bad setting) and
  :class:`LocalServerError` concern **the run**: every further call would fail the same way, so
  they propagate and the CLI exits with code 2.
"""

from __future__ import annotations

from abstab.errors import AbstabError, ConfigError


class LLMError(AbstabError):
    """A call for one item failed; the run goes on without that item.

    Attributes:
        reason: short machine-readable reason for ``errors.jsonl`` (the cleaning funnel).
    """

    reason = "llm_error"


class StructuredOutputError(LLMError):
    """The model's reply did not match the task's JSON Schema, even after one repair attempt.

    Attributes:
        raw: the last raw reply text.
        errors: the validation message for each attempt (first reply, repaired reply).
        task: the task name (judge, resolve, answer) when known.
    """

    reason = "invalid_output"

    def __init__(self, message: str, *, raw: str, errors: list[str], task: str | None = None):
        super().__init__(message)
        self.raw = raw
        self.errors = errors
        self.task = task


class LLMUnavailableError(LLMError):
    """A transient error (timeout, connection, 429, 5xx) persisted through every retry."""

    reason = "llm_unavailable"

    def __init__(self, message: str, *, attempts: int):
        super().__init__(message)
        self.attempts = attempts


class LLMTimeoutError(LLMUnavailableError):
    """Every attempt ran past its total deadline (``--request-timeout``)."""

    reason = "timeout"


class ReplyTooLargeError(LLMError):
    """The reply grew past ``max_reply_bytes``; it was abandoned unread, and is not retried."""

    reason = "reply_too_large"

    def __init__(self, limit: int):
        super().__init__(f"the reply is larger than the {limit:,}-byte cap (max_reply_bytes); "
                         "raise it with --max-reply-bytes if replies are really that long")
        self.limit = limit


class LLMRequestError(LLMError):
    """The endpoint rejected this request (400, 422, ...): not retried, the item is skipped."""

    reason = "llm_request_rejected"

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class CacheError(ConfigError):
    """The response cache file cannot be used (not SQLite, damaged, unreadable): stops the run."""


class LocalServerError(AbstabError):
    """The managed llama.cpp server could not be started or died; it stops the run."""
