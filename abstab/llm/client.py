"""One OpenAI-compatible chat client: cache, retries, bounded concurrency, structured output.

:class:`ChatClient` sends chat-completion requests through the ``openai`` SDK (built in one
method, :meth:`ChatClient.build_client`, with the SDK's own retries off) and

* answers identical non-sampled requests from the :class:`~abstab.llm.cache.ResponseCache`,
  which holds only complete replies that validated (an invalid or cut-off reply is asked again);
* bounds every request by a total deadline and its reply by a size cap, and ends requests in
  flight within a fraction of a second of :meth:`ChatClient.close` (:mod:`abstab.llm.transport`);
* keeps the key out of cache entries, messages and logs, whether it came as ``api_key``, inside
  the endpoint URL, or echoed back in an error body (:mod:`abstab.llm.redact`);
* retries transient errors by the one retry policy (:mod:`abstab.llm.retry`: timeouts,
  connection errors, 408/409/429/5xx, jittered backoff, ``Retry-After``); 401/403/404 become a
  :class:`~abstab.errors.ConfigError` that names the variable or flag to fix, other 4xx an
  :class:`~abstab.llm.errors.LLMRequestError`;
* keeps at most ``concurrency`` requests in flight across all threads;
* validates structured replies against a JSON Schema, sends one repair request with the
  validation error, then raises :class:`~abstab.llm.errors.StructuredOutputError`;
* logs raw requests and replies to stderr when ``ABSTAB_LLM_SHOW_RESPONSES=1``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import jsonschema
from pydantic import ValidationError

from abstab.backends import Identity
from abstab.core.normalize import squash
from abstab.errors import ConfigError
from abstab.llm.cache import ResponseCache, request_key
from abstab.llm.errors import (
    LLMRequestError,
    LLMUnavailableError,
    ReplyTooLargeError,
    StructuredOutputError,
)
from abstab.llm.ledger import Ledger
from abstab.llm.prompts import load_prompt
from abstab.llm.redact import Redactor, public_url, url_secrets
from abstab.llm.retry import RetryPolicy, final_error, status_of
from abstab.llm.settings import LLMSettings, ResponseFormat
from abstab.llm.transport import http_modules, limited_http_client, request_limits

if TYPE_CHECKING:  # pragma: no cover
    import openai

T = TypeVar("T")

SHOW_RESPONSES_ENV = "ABSTAB_LLM_SHOW_RESPONSES"
_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)
_LOG_LOCK = threading.Lock()
RAW_PREFIX = 2000
"""Characters of an invalid reply kept with its error (errors.jsonl holds no whole reply)."""


@dataclass
class ChatReply:
    """One reply: its text, token usage, whether it came from the cache, and the latency."""

    content: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    latency_s: float = 0.0
    finish_reason: str | None = None


@dataclass
class StructuredReply:
    """A validated structured reply and the usage of every request it took (repair included)."""

    value: Any
    raw: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 1
    cached: bool = False
    errors: list[str] = field(default_factory=list)


def strip_fences(text: str) -> str:
    """Remove a Markdown code fence around a JSON reply, which small models often add."""
    m = _FENCE.match(text)
    return m.group(1) if m else text


def _describe(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"the reply is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    if isinstance(exc, jsonschema.ValidationError):
        where = "/".join(str(p) for p in exc.absolute_path) or "the top level"
        return f"at {where}: {exc.message}"
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = "/".join(str(p) for p in first["loc"]) or "the top level"
        return f"at {where}: {first['msg']}"
    return str(exc)


class ChatClient:
    """Chat completions against one OpenAI-compatible endpoint.

    Args:
        settings: sampling, timeout, concurrency and retry settings.
        identity: the backend, model and endpoint (what cache keys name; the local backend's
            endpoint is its GGUF file, since its port changes every run).
        base_url: the endpoint, or a callable giving it on first use (the local backend starts
            its server only when a request misses the cache).
        api_key: key sent as a bearer token.
        response_format: how the schema is sent (``json_schema``, ``json_object``, ``none``).
        ledger: where calls are counted.
        cache: response cache, or ``None`` for no caching.
        endpoint_alive: for a managed endpoint, says whether its server process still runs;
            a connection error to a dead server is not retried.
    """

    def __init__(self, settings: LLMSettings, identity: Identity, *,
                 base_url: str | Callable[[], str], api_key: str,
                 response_format: ResponseFormat = "json_schema",
                 ledger: Ledger | None = None, cache: ResponseCache | None = None,
                 endpoint_alive: Callable[[], bool] | None = None):
        self.settings = settings
        self.identity = identity
        self.model = identity.model
        self._base_url = base_url
        self.api_key = api_key
        self.response_format = response_format
        self.ledger = ledger or Ledger(identity.backend, identity.model, settings.prices)
        self.cache = cache
        self._endpoint_alive = endpoint_alive
        self.show_responses = os.environ.get(SHOW_RESPONSES_ENV, "") not in ("", "0", "false")
        self._client: openai.OpenAI | None = None
        self._client_lock = threading.Lock()
        self.policy = RetryPolicy(settings.max_retries, settings.retry_max_wait,
                                  on_retry=self.ledger.record_retry, gone=self._endpoint_died)
        self._closed = self.policy.closed
        self._known_url = identity.endpoint
        self.redact = Redactor([api_key, *(url_secrets(base_url) if isinstance(base_url, str)
                                           else [])])
        self._slots = threading.BoundedSemaphore(settings.concurrency)
        self._validators: dict[str, jsonschema.protocols.Validator] = {}
        # Set once the endpoint answered anything: a connection refused before that is a
        # wrong or stopped endpoint, the same for every item (no retries, stop the run).
        self._reached = threading.Event()

    # ------------------------------------------------------------------ the HTTP client

    @property
    def base_url(self) -> str:
        """The endpoint URL (resolving a lazy one starts the local server)."""
        url = self._base_url if isinstance(self._base_url, str) else self._base_url()
        self._known_url = public_url(url)
        return url

    def build_client(self) -> openai.OpenAI:
        """Build the ``openai`` client: base_url, key, timeout, no SDK-level retries.

        Retries are tenacity's alone (``max_retries=0`` here), so they are counted and bounded
        in one place. Its HTTP client enforces each request's deadline and size cap.
        """
        import openai

        return openai.OpenAI(
            base_url=self.base_url,
            api_key=self.api_key,
            timeout=self.settings.timeout,
            max_retries=0,
            default_headers={"User-Agent": "abstab"},
            http_client=limited_http_client(self.settings.timeout),
        )

    def _openai(self) -> openai.OpenAI:
        if self._closed.is_set():
            raise LLMUnavailableError(f"the {self.identity.backend} backend is closed",
                                      attempts=0)
        with self._client_lock:
            if self._client is None:
                self._client = self.build_client()
            return self._client

    def close(self) -> None:
        """Stop retrying, wake threads waiting to retry, close the HTTP connections.

        The cache belongs to the backend and stays open.
        """
        self.policy.close()
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    # -------------------------------------------------------------------- requests

    def _response_format(self, schema: dict[str, Any] | None,
                         name: str) -> dict[str, Any] | None:
        if schema is None or self.response_format == "none":
            return None
        if self.response_format == "json_object":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": False}}

    def request_body(self, messages: list[dict[str, str]], *,
                     schema: dict[str, Any] | None = None,
                     schema_name: str = "output") -> dict[str, Any]:
        """The chat-completion parameters sent for ``messages`` (without the model)."""
        body: dict[str, Any] = {"messages": messages, "temperature": self.settings.temperature}
        if self.settings.seed is not None:
            body["seed"] = self.settings.seed
        if self.settings.max_tokens is not None:
            body["max_tokens"] = self.settings.max_tokens
        rf = self._response_format(schema, schema_name)
        if rf is not None:
            body["response_format"] = rf
        return body

    def chat(self, messages: list[dict[str, str]], *, schema: dict[str, Any] | None = None,
             schema_name: str = "output", prompt_hash: str = "") -> ChatReply:
        """Send one chat request (or answer it from the cache).

        Args:
            messages: OpenAI-style messages.
            schema: JSON Schema of the expected reply, sent per ``response_format``.
            schema_name: name of the schema in a ``json_schema`` response format.
            prompt_hash: hash of the prompt template, part of the cache key.

        Returns:
            The reply.

        Raises:
            ConfigError: 401/403/404: the key, model or endpoint is wrong; stops the run.
            LLMUnavailableError: a transient error outlasted the retries.
            LLMRequestError: the endpoint rejected this request (other 4xx).
        """
        reply, entry = self._ask(messages, schema, schema_name, prompt_hash)
        self._remember(entry, reply)
        return reply

    def _ask(self, messages: list[dict[str, str]], schema: dict[str, Any] | None,
             schema_name: str, prompt_hash: str,
             ) -> tuple[ChatReply, tuple[str, dict[str, Any]] | None]:
        """The reply from the cache or the endpoint, and the cache entry ``(key, request)``
        it belongs under (``None`` when it is not cached)."""
        body = self.request_body(messages, schema=schema, schema_name=schema_name)
        entry = None
        if self.cache is not None and not self.settings.sampled:
            key_request = {"endpoint": self.identity.endpoint, "model": self.model,
                           "prompt_hash": prompt_hash, **body}
            entry = (request_key(key_request), key_request)
            hit = self.cache.get(entry[0])
            # an entry cut at max_tokens (cached by older versions) is asked again
            if (hit is not None and isinstance(hit.get("content"), str)
                    and hit.get("finish_reason") != "length"):
                self.ledger.record_cache_hit()
                return ChatReply(content=hit["content"], prompt_tokens=hit.get("prompt_tokens", 0),
                                 completion_tokens=hit.get("completion_tokens", 0), cached=True,
                                 finish_reason=hit.get("finish_reason")), entry
        return self._send_with_retries(body), entry

    def _remember(self, entry: tuple[str, dict[str, Any]] | None, reply: ChatReply) -> None:
        """Cache a reply the caller accepted, unless it was cut at ``max_tokens``."""
        if entry is None or reply.cached or reply.finish_reason == "length":
            return
        assert self.cache is not None
        self.cache.put(entry[0], entry[1], {
            "content": reply.content, "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens, "finish_reason": reply.finish_reason,
        })

    def _send_with_retries(self, body: dict[str, Any]) -> ChatReply:
        try:
            return self.policy.call(lambda: self._send_once(body))
        except Exception as exc:
            raise self._translate(exc) from exc

    def _endpoint_died(self) -> bool:
        return self._endpoint_alive is not None and not self._endpoint_alive()

    def _send_once(self, body: dict[str, Any]) -> ChatReply:
        client = self._openai()
        with self._slots:
            if self.show_responses:
                self._log(">>>", {"url": f"{self._known_url}/chat/completions",
                                  "model": self.model, **body})
            start = time.perf_counter()
            try:
                with request_limits(self.settings.timeout, self.settings.max_reply_bytes,
                                    self._closed):
                    completion = client.chat.completions.create(model=self.model, **body)
            except Exception as exc:
                self.ledger.record_failed_attempt()
                if self.show_responses:
                    self._log("<<< error", {"type": type(exc).__name__, "status": status_of(exc),
                                            "message": str(exc)})
                if status_of(exc) is not None:
                    self._reached.set()
                self._stop_if_unreachable(exc)
                raise
            self._reached.set()
            latency = time.perf_counter() - start
        if self.show_responses:
            self._log("<<<", completion.model_dump(mode="json"))
        usage = completion.usage
        prompt_tokens = (usage.prompt_tokens or 0) if usage else 0
        completion_tokens = (usage.completion_tokens or 0) if usage else 0
        self.ledger.record_call(latency, prompt_tokens, completion_tokens)
        choice = completion.choices[0] if completion.choices else None
        content = self.redact.exact((choice.message.content or "") if choice else "")
        return ChatReply(content=content, prompt_tokens=prompt_tokens,
                         completion_tokens=completion_tokens, latency_s=latency,
                         finish_reason=choice.finish_reason if choice else None)

    def _stop_if_unreachable(self, exc: Exception) -> None:
        """Raise a ConfigError when a given endpoint could not be connected to before it ever
        answered (refused, unknown host): retrying each item would only wait."""
        httpx, _ = http_modules()
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, httpx.ConnectError):
            cause = cause.__cause__ or cause.__context__
        if cause is None or self._reached.is_set() or not isinstance(self._base_url, str):
            return  # the local backend's own server has its own health check and error
        raise ConfigError(f"cannot connect to {self._known_url} ({self._short(cause)}): start "
                          "the server there, or pass the right --base-url (or OPENAI_BASE_URL)")

    def _translate(self, exc: Exception) -> Exception:
        """Turn an SDK error into the error abstab reports."""
        import openai

        if isinstance(exc, (ReplyTooLargeError, LLMRequestError)):  # raised by the transport
            self.ledger.record_failure()
            return exc
        if not isinstance(exc, openai.OpenAIError):
            return exc
        self.ledger.record_failure()
        status = status_of(exc)
        url = self._known_url  # never self.base_url: that could restart a stopped server
        if (isinstance(exc, openai.APIConnectionError) and not self._closed.is_set()
                and self._endpoint_died() and not isinstance(self._base_url, str)):
            self._base_url()  # a managed server that died raises LocalServerError here
        if status == 401:
            return ConfigError(
                f"{url} rejected the API key (401 Unauthorized): "
                "set OPENAI_API_KEY or pass --api-key"
            )
        if status == 403:
            return ConfigError(
                f"{url} refused access to model {self.model!r} (403 Forbidden): use a key with "
                "access (OPENAI_API_KEY or --api-key) or another model (ABSTAB_MODEL or --model)"
            )
        if status == 404:
            return ConfigError(
                f"model {self.model!r} not found at {url} (404); set ABSTAB_MODEL or --model "
                "(or, if the endpoint is wrong, OPENAI_BASE_URL or --base-url)"
            )
        hint = ""
        if status == 400 and "response_format" in str(exc):
            hint = (" (the endpoint may not support this structured-output style: try "
                    "--response-format json_object or none)")
        out = final_error(exc, url=url, attempts=self.policy.attempts,
                          timeout=self.settings.timeout, detail=self._short(exc), hint=hint)
        if out is exc:  # an SDK error without a status: the reply could not be used
            return LLMRequestError(f"{url} rejected the request (HTTP {status}): "
                                   f"{self._short(exc)}", status=status)
        return out

    def _short(self, exc: Exception, limit: int = 300) -> str:
        """The error's text on one line, without secrets, at most ``limit`` characters."""
        text = self.redact(squash(str(exc)))
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def _log(self, tag: str, payload: dict[str, Any]) -> None:
        line = self.redact(json.dumps(payload, ensure_ascii=False))
        with _LOG_LOCK:
            print(f"[abstab llm] {tag} {line}", file=sys.stderr, flush=True)

    # ------------------------------------------------------------ structured output

    def _validator(self, schema: dict[str, Any]) -> jsonschema.protocols.Validator:
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
            validator = cls(schema)
            self._validators[key] = validator
        return validator

    def structured(self, messages: list[dict[str, str]], *, schema: dict[str, Any],
                   parse: Callable[[dict[str, Any]], T], schema_name: str = "output",
                   prompt_hash: str = "", task: str | None = None) -> StructuredReply:
        """Ask for a JSON reply matching ``schema``; repair once; parse it.

        Args:
            messages: the rendered prompt.
            schema: JSON Schema of the reply.
            parse: turns the validated dict into the output object; a ``ValueError``
                (pydantic's ``ValidationError`` included) counts as an invalid reply.
            schema_name: name of the schema in the request.
            prompt_hash: prompt template hash, part of the cache key.
            task: task name, for the error.

        Returns:
            The parsed value with the usage of all requests it took.

        Raises:
            StructuredOutputError: the reply and the repaired reply are both invalid.
            ConfigError, LLMUnavailableError, LLMRequestError: see :meth:`chat`.
        """
        validator = self._validator(schema)
        reply, entry = self._ask(messages, schema, schema_name, prompt_hash)
        replies = [reply]
        errors: list[str] = []
        while True:
            try:
                data = json.loads(strip_fences(reply.content))
                error = jsonschema.exceptions.best_match(validator.iter_errors(data))
                if error is not None:
                    raise error
                value = parse(data)
            except (ValueError, jsonschema.ValidationError) as exc:
                if reply.cached and entry is not None:
                    # cached before replies were validated first (or the schema changed):
                    # never served, asked again
                    assert self.cache is not None
                    self.cache.delete(entry[0])
                    reply, entry = self._ask(messages, schema, schema_name, prompt_hash)
                    replies[-1] = reply
                    continue
                errors.append(_describe(exc))
                if reply.finish_reason == "length":
                    errors[-1] += " (the reply was cut at max_tokens)"
            else:
                self._remember(entry, reply)
                return StructuredReply(
                    value=value, raw=reply.content,
                    prompt_tokens=sum(r.prompt_tokens for r in replies),
                    completion_tokens=sum(r.completion_tokens for r in replies),
                    requests=len(replies), cached=all(r.cached for r in replies), errors=errors,
                )
            if len(replies) == 2:
                self.ledger.record_invalid_output()
                raise StructuredOutputError(
                    f"{task or 'structured'} reply does not match its schema after one repair: "
                    f"{errors[-1]}",
                    raw=_prefix(reply.content), errors=errors, task=task,
                )
            self.ledger.record_repair()
            repair = load_prompt("repair")
            messages = [
                *messages,
                {"role": "assistant", "content": reply.content},
                {"role": "user", "content": repair.render_user(error=errors[-1])},
            ]
            reply, entry = self._ask(messages, schema, schema_name, prompt_hash)
            replies.append(reply)


def _prefix(text: str, limit: int = RAW_PREFIX) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"
