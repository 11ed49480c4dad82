"""Your own system, three ways, none needing a package.

* a **function**: ``-s path/to/file.py:function`` or ``-s package.module:function`` (resolved by
  :func:`function_system`, the systems registry's fallback) receives one item's inputs (a dict,
  :func:`item_inputs`) and returns an answer string ('' abstains) or a dict with ``answer``,
  ``abstained`` and ``evidence``;
* an **HTTP service**: ``-s http --url URL`` (:class:`HttpSystem`) gets the same dict POSTed as
  JSON and replies with a JSON object with ``answer`` / ``abstained`` / ``evidence``;
* a **predictions file**: ``--predictions FILE.jsonl --name NAME`` (:class:`PredictionsSystem`),
  one JSON object per line with ``item_id``, ``answer`` and optionally ``abstained`` and
  ``evidence``; items it lacks count as wrong.

These systems answer by themselves: the bench stage calls :meth:`OwnSystem.answer` instead of
giving passages to a reader. They are registered with ``reader=False``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from abstab.bench.data import BenchData, pdf_path
from abstab.bench.systems import Corpus
from abstab.core.normalize import squash
from abstab.core.serialize import serialize
from abstab.errors import ConfigError
from abstab.llm.cache import ResponseCache, request_key
from abstab.llm.errors import LLMError
from abstab.llm.redact import Redactor, public_url, url_secrets
from abstab.llm.retry import RetryPolicy, final_error, status_of
from abstab.llm.settings import LLMSettings
from abstab.llm.tasks import AnswerOutput
from abstab.llm.transport import limited_http_client, request_limits
from abstab.records import TEXT_KINDS, QAItem
from abstab.registry import systems

__all__ = ["FunctionSystem", "HttpSystem", "MissingPredictionError", "OwnSystem",
           "PredictionsSystem", "coerce_answer", "function_system", "item_inputs"]


class SystemReplyError(LLMError):
    """A system's reply for one item cannot be read (not JSON, no answer, wrong types)."""

    reason = "invalid_reply"


class MissingPredictionError(LLMError):
    """A predictions file has no line for this item: it is scored as wrong."""

    reason = "missing_prediction"


# ---------------------------------------------------------------------------- inputs


def item_inputs(data: BenchData, corpus: Corpus, item: QAItem) -> dict[str, Any]:
    """What a system is given for one item: never the gold answer or evidence.

    Keys: ``item_id``, ``question``, ``doc_id``, ``table_id`` (the table the question is about,
    or None; the first one for a question across tables), ``table_ids`` (every table the
    question is about, in document order: two for a question across two tables), ``pdf`` (the document's PDF path when there is one, else None), ``blocks`` (the
    document's text blocks: ``id``, ``kind``, ``page``, ``text``) and ``tables`` (the document's
    tables, the item's own version in place of the one it derives from: ``table_id``,
    ``caption``, ``columns``, ``rows`` (lists of cell strings), ``notes``, ``markdown``).
    Over a parser's tables (``--tables-from``) ``tables`` are the parsed ones, ``table_id`` is
    None and ``table_ids`` are the parsed tables on the pages of the item's gold tables (those
    a built-in system reads, :meth:`Corpus.item_tables`).
    """
    doc = data.docs[item.doc_id]
    swap = corpus.item_table(item)
    tables = []
    for t in corpus.tables_by_doc.get(item.doc_id, []):
        if swap is not None and swap.derived_from == t.table_id:
            t = swap
        tables.append({"table_id": t.table_id, "caption": t.caption, "columns": t.columns,
                       "rows": t.rows, "notes": [n.text for n in t.notes],
                       "markdown": serialize(t, "markdown")})
    return {
        "item_id": item.item_id, "question": item.question, "doc_id": item.doc_id,
        # Over a parser's tables (--tables-from) the gold table's id names none of them.
        "table_id": item.table_id if data.parsed is None else None,
        "table_ids": [t.table_id for t in corpus.item_tables(item)],
        "pdf": pdf_path(data, item.doc_id),
        "blocks": [{"id": b.block_id, "kind": b.kind, "page": b.page, "text": b.text}
                   for b in doc.blocks if b.kind in TEXT_KINDS],
        "tables": tables,
    }


# ---------------------------------------------------------------------------- replies


class _Reply(BaseModel):
    """A system's answer for one item, as a dict (function return, HTTP reply, file line)."""

    model_config = ConfigDict(extra="ignore")

    answer: str | int | float | None = None
    abstained: bool | None = None
    evidence: list[str] | str | None = None


def coerce_answer(value: Any, where: str) -> AnswerOutput:
    """An answer string ('' or None abstains) or a dict with ``answer``, ``abstained``,
    ``evidence`` (ids or text) as an :class:`AnswerOutput`.

    Raises:
        SystemReplyError: anything else; the message says where and what is expected.
    """
    if value is None or isinstance(value, str):
        value = {"answer": value}
    if not isinstance(value, dict) or not ("answer" in value or value.get("abstained")):
        raise SystemReplyError(
            f"{where}: expected an answer string or a JSON object with 'answer' (and optionally "
            f"'abstained', 'evidence'), got {_preview(value)}")
    try:
        reply = _Reply.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SystemReplyError(f"{where}: {'.'.join(map(str, first['loc']))}: {first['msg']} "
                               f"(in {_preview(value)})") from None
    answer = "" if reply.answer is None else str(reply.answer).strip()
    evidence = [reply.evidence] if isinstance(reply.evidence, str) else reply.evidence or []
    abstained = reply.abstained if reply.abstained is not None else answer == ""
    return AnswerOutput(answer=answer, abstained=abstained, evidence_ids=evidence)


def _preview(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------- systems


class OwnSystem:
    """A system that answers by itself.

    Args:
        data: the dataset (for the inputs and the known item ids).
        settings: the run's :class:`~abstab.bench.run.BenchSettings`.
        llm: the LLM layer's settings (timeout, retries, cache) for systems that call out.

    Attributes:
        llm_settings: the LLM-layer settings (flags) the system uses: the bench stage runs
            ``concurrency`` items at once; a flag no system and not the backend uses is an error.
    """

    llm_settings: ClassVar[frozenset[str]] = frozenset({"concurrency"})

    def __init__(self, data: BenchData, settings: Any, llm: Any = None):
        self.data = data
        self.settings = settings
        self.llm = llm
        self.corpus = Corpus(data.docs, data.tables, parsed=data.parsed)

    @classmethod
    def fingerprint(cls, settings: Any) -> str | None:
        """What, besides the settings, decides this system's answers (in the stage hash)."""
        return None

    def inputs(self, item: QAItem) -> dict[str, Any]:
        return item_inputs(self.data, self.corpus, item)

    def answer(self, item: QAItem) -> AnswerOutput:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the system holds (connections, caches)."""


def llm_settings_used(names: Iterable[str]) -> frozenset[str]:
    """The LLM-layer settings the systems ``names`` use themselves (readers use none: their
    backend does)."""
    return frozenset().union(*(getattr(systems.get(n), "llm_settings", ()) for n in names))


class FunctionSystem(OwnSystem):
    """A Python function ``fn(item: dict) -> str | dict`` (see :func:`function_system`)."""

    spec: str = ""
    source_hash: str = ""

    @staticmethod
    def fn(item: dict[str, Any]) -> Any:
        raise NotImplementedError

    @classmethod
    def fingerprint(cls, settings: Any) -> str | None:
        return cls.source_hash  # an edited function redoes the run

    def answer(self, item: QAItem) -> AnswerOutput:
        return coerce_answer(type(self).fn(self.inputs(item)), f"{self.spec} (item {item.item_id})")


def function_system(name: str) -> tuple[str, type[FunctionSystem], dict[str, Any]] | None:
    """The systems registry's fallback: ``file.py:function`` or ``package.module:function``.

    Returns:
        (registry name, system class, meta) for a spec, None for any other name. The registry
        name is ``<file stem>.<function>`` (or ``<module>.<function>``); it names the bench
        folder and the results unless ``--name`` says otherwise.

    Raises:
        ConfigError: the file or module cannot be imported or has no such function.
    """
    target, sep, attr = name.rpartition(":")
    if not sep or not target or not attr.isidentifier():
        return None
    is_file = target.endswith(".py") or "/" in target or os.sep in target
    if is_file:
        path = Path(target).expanduser()
        if not path.is_file():
            raise ConfigError(f"system {name!r}: no file {path}; give -s path/to/file.py:function")
        module = _import_file(path, name)
        canonical, source = f"{path.stem}.{attr}", path.read_bytes()
    else:
        module = _import_module(target, name)
        canonical = f"{target}.{attr}"
        file = getattr(module, "__file__", None)
        source = Path(file).read_bytes() if file and Path(file).is_file() else target.encode()
    fn = getattr(module, attr, None)
    if not callable(fn):
        found = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_")
                       and getattr(v, "__module__", None) == module.__name__)
        raise ConfigError(f"system {name!r}: {target} has no function {attr!r}"
                          f"{'; it has: ' + ', '.join(found) if found else ''}")
    cls = type(f"FunctionSystem[{canonical}]", (FunctionSystem,),
               {"fn": staticmethod(fn), "spec": name,
                "source_hash": hashlib.sha256(source).hexdigest()[:16]})
    return canonical, cls, {"reader": False, "retrieval": False}


def _import_file(path: Path, spec_name: str) -> Any:
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    stem = re.sub(r"\W", "_", path.stem)
    mod_name = f"abstab_user_{stem}_{digest}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"system {spec_name!r}: {path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    # Like `python file.py`: the file's folder is importable while it loads.
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(mod_name, None)
        raise ConfigError(f"system {spec_name!r}: importing {path} failed: "
                          f"{type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.pop(0)
    return module


def _import_module(target: str, spec_name: str) -> Any:
    try:
        try:
            return importlib.import_module(target)
        except ModuleNotFoundError as exc:
            # The `abstab` script does not put the current folder on sys.path; python -m does.
            if exc.name != target.split(".")[0] or os.getcwd() in sys.path:
                raise
            sys.path.insert(0, os.getcwd())
            return importlib.import_module(target)
    except Exception as exc:
        raise ConfigError(f"system {spec_name!r}: cannot import {target} "
                          f"({type(exc).__name__}: {exc}); run abstab from the folder that "
                          f"holds it, or give -s path/to/file.py:function") from exc


class HttpSystem(OwnSystem):
    """A service at ``--url``: each item's inputs POSTed as JSON, the reply's ``answer``,
    ``abstained`` and ``evidence`` read back.

    Requests go out as the LLM layer's do: ``--concurrency`` at once, each within a total
    deadline of ``--request-timeout`` seconds and a reply cap of ``--max-reply-bytes``
    (:mod:`abstab.llm.transport`), transient errors retried up to ``--max-retries`` times by the
    LLM layer's retry policy (:mod:`abstab.llm.retry`), and replies kept in the response cache
    (``--cache``, default ``WORK/.cache/llm.sqlite``; ``--no-cache``), so a rerun sends nothing.

    Raises:
        ConfigError: no ``--url``, or one that is not ``http(s)://``.
    """

    llm_settings = OwnSystem.llm_settings | {"timeout", "max_retries", "retry_max_wait",
                                             "max_reply_bytes", "cache_path", "no_cache"}

    def __init__(self, data: BenchData, settings: Any, llm: Any = None):
        super().__init__(data, settings, llm)
        if not settings.url:
            raise ConfigError("system 'http' needs the service's address: --url "
                              "http://HOST:PORT/PATH")
        if urlsplit(settings.url).scheme not in ("http", "https"):
            raise ConfigError(f"--url {public_url(settings.url)}: the service's address must "
                              "start with http:// or https://")
        self.url = settings.url
        self.endpoint = public_url(self.url)  # in messages and cache keys: no credentials
        self.redact = Redactor(url_secrets(self.url))
        mine = self.llm_settings | {"workspace"}
        self.llm = LLMSettings.resolve({k: v for k, v in (llm or {}).items() if k in mine})
        self.policy = RetryPolicy(self.llm.max_retries, self.llm.retry_max_wait)
        path = self.llm.resolved_cache_path()
        self.cache = ResponseCache(path) if path is not None else None
        self._http: Any = None
        self._http_lock = threading.Lock()

    @classmethod
    def fingerprint(cls, settings: Any) -> str | None:
        return public_url(settings.url) if settings.url else None

    def answer(self, item: QAItem) -> AnswerOutput:
        body = self.inputs(item)
        request = {"endpoint": self.endpoint, "system": "http", "body": body}
        key = request_key(request)
        where = f"{self.endpoint} (item {item.item_id})"
        hit = self.cache.get(key) if self.cache is not None else None
        if hit is not None:
            return coerce_answer(hit["reply"], where)
        raw = self._post(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        try:
            reply = json.loads(raw)
        except ValueError:
            raise SystemReplyError(f"{where}: the reply is not JSON: {_preview(raw)}") from None
        out = coerce_answer(reply, where)  # only replies that read are cached
        if self.cache is not None:
            self.cache.put(key, {**request, "model": "http"}, {"reply": reply})
        return out

    def _client(self) -> Any:
        with self._http_lock:
            if self._http is None:
                self._http = limited_http_client(self.llm.timeout)
            return self._http

    def _post(self, data: bytes) -> str:
        """POST ``data``; the reply's text.

        Raises:
            LLMTimeoutError, LLMUnavailableError, LLMRequestError, ReplyTooLargeError: the
                item's error, after the retries the policy allows.
        """
        headers = {"Content-Type": "application/json", "User-Agent": "abstab"}

        def send() -> bytes:
            client = self._client()
            with request_limits(self.llm.timeout, self.llm.max_reply_bytes, self.policy.closed):
                reply = client.post(self.url, content=data, headers=headers)
            reply.raise_for_status()
            return reply.content  # type: ignore[no-any-return]

        try:
            return self.policy.call(send).decode("utf-8", errors="replace")
        except Exception as exc:
            raise final_error(exc, url=self.endpoint, attempts=self.policy.attempts,
                              timeout=self.llm.timeout, detail=self._detail(exc)) from exc

    def _detail(self, exc: Exception) -> str:
        """What went wrong, without secrets: an error reply's first bytes, else the error."""
        response = getattr(exc, "response", None) if status_of(exc) else None
        text = response.content.decode("utf-8", "replace") if response is not None else str(exc)
        return _preview(self.redact(squash(text) or type(exc).__name__))

    def close(self) -> None:
        self.policy.close()  # requests in flight end within a fraction of a second
        with self._http_lock:
            if self._http is not None:
                self._http.close()
                self._http = None
        if self.cache is not None:
            self.cache.close()


class _PredictionLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item_id: str
    answer: str | int | float | None
    abstained: bool | None = None
    evidence: list[str] | str | None = None
    retrieved: list[str] | None = None  # a replayed abstab predictions.jsonl
    latency_ms: float = 0.0


class PredictionsSystem(OwnSystem):
    """Answers from ``--predictions FILE.jsonl``: one JSON object per line with ``item_id``,
    ``answer`` and optionally ``abstained`` (bool) and ``evidence`` (ids or text). Extra keys
    are ignored, so a bench folder's own ``predictions.jsonl`` replays as is.

    Raises:
        ConfigError: the file is missing, a line is not such an object, an ``item_id`` is not
            an item of the dataset, or appears twice; the message names file, line and fix.
    """

    def __init__(self, data: BenchData, settings: Any, llm: Any = None):
        super().__init__(data, settings, llm)
        self.path = _predictions_path(settings)
        known = data.known_ids or {i.item_id for i in data.items}
        self.lines: dict[str, tuple[int, _PredictionLine]] = {}
        fix = ('write one JSON object per line: {"item_id": "...", "answer": "...", '
               '"abstained": false, "evidence": ["..."]}')
        with self.path.open(encoding="utf-8") as fh:
            for n, text in enumerate(fh, 1):
                if not text.strip():
                    continue
                where = f"{self.path}:{n}"
                try:
                    line = _PredictionLine.model_validate_json(text)
                except ValidationError as exc:
                    first = exc.errors()[0]
                    loc = ".".join(map(str, first["loc"]))
                    raise ConfigError(f"{where}: {loc + ': ' if loc else ''}{first['msg']}; "
                                      f"{fix}") from None
                if line.item_id not in known:
                    close = _close(line.item_id, known)
                    raise ConfigError(f"{where}: item_id {line.item_id!r} is not an item of "
                                      f"{data.path}{close}; predictions must use the item ids "
                                      f"of `abstab export items {data.path}`")
                if line.item_id in self.lines:
                    raise ConfigError(f"{where}: item_id {line.item_id!r} again (first on line "
                                      f"{self.lines[line.item_id][0]}); keep one line per item")
                self.lines[line.item_id] = (n, line)

    @classmethod
    def fingerprint(cls, settings: Any) -> str | None:
        return hashlib.sha256(_predictions_path(settings).read_bytes()).hexdigest()[:16]

    def answer(self, item: QAItem) -> AnswerOutput:
        found = self.lines.get(item.item_id)
        if found is None:
            raise MissingPredictionError(f"{self.path} has no line for item {item.item_id}: "
                                         "counted wrong")
        n, line = found
        value: dict[str, Any] = {"answer": line.answer, "abstained": line.abstained,
                                 "evidence": line.evidence if line.evidence is not None
                                 else line.retrieved}
        return coerce_answer(value, f"{self.path}:{n}")

    def latency_ms(self, item: QAItem) -> float | None:
        """The latency the file reports for the item (abstab's own predictions carry one)."""
        found = self.lines.get(item.item_id)
        return found[1].latency_ms if found else None


def _predictions_path(settings: Any) -> Path:
    if not settings.predictions:
        raise ConfigError("system 'predictions' needs the file: --predictions FILE.jsonl")
    path = Path(settings.predictions)
    if not path.is_file():
        raise ConfigError(f"--predictions {path}: no such file")
    return path


def _close(name: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
