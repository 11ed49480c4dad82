"""One generic registry, instantiated for systems, backends, metrics and extraction engines.

Entries are registered either as objects or as lazy ``"module:attr"`` strings so that listing
them (and ``abstab --help``) never imports heavy libraries.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from abstab.errors import ConfigError, UnknownNameError

T = TypeVar("T")


@dataclass
class _Entry:
    target: Any  # the object, or a "module:attr" string until first use
    help: str
    meta: dict[str, Any] = field(default_factory=dict)
    # False for what a fallback resolved (a user's file.py:function): usable, never listed.
    listed: bool = True


def _load(spec: str) -> Any:
    """The object a ``"module:attr"`` string names."""
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


class Registry(Generic[T]):
    """Name → implementation, with aliases, lazy targets and a "did you mean" error.

    Args:
        kind: what is registered ("system", "backend", ...), used in messages.
        entry_point_group: a Python entry-point group third-party packages register into.
        fallback: for names not registered, a lazy ``"module:attr"`` callable ``name ->
            (canonical name, target, meta) | None``: a name it understands (e.g. a
            ``file.py:function`` spec) is registered on first lookup.
        base_cls: a lazy ``"module:attr"`` class every target must subclass (checked when it
            is loaded, so a plugin that does not is named).
    """

    def __init__(self, kind: str, entry_point_group: str | None = None,
                 fallback: str | None = None, base_cls: str | None = None):
        self.kind = kind
        self.base_cls = base_cls
        self.entry_point_group = entry_point_group
        self.fallback = fallback
        self._entries: dict[str, _Entry] = {}
        self._aliases: dict[str, str] = {}
        self._plugins_loaded = False

    def add(self, name: str, target: Any, help: str = "", aliases: tuple[str, ...] = (),
            **meta: Any) -> None:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = _Entry(target, help, meta)
        for alias in aliases:
            self._aliases[alias] = name

    def register(self, name: str, help: str = "", aliases: tuple[str, ...] = (),
                 **meta: Any) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""

        def deco(obj: T) -> T:
            self.add(name, obj, help=help, aliases=aliases, **meta)
            return obj

        return deco

    def _load_plugins(self) -> None:
        if self._plugins_loaded or not self.entry_point_group:
            return
        self._plugins_loaded = True
        for ep in entry_points(group=self.entry_point_group):
            if ep.name not in self._entries:
                self._entries[ep.name] = _Entry(ep.value, f"plugin {ep.value}")

    def _from_fallback(self, name: str) -> str | None:
        if self.fallback is None:
            return None
        module, _, attr = self.fallback.partition(":")
        found = getattr(importlib.import_module(module), attr)(name)
        if found is None:
            return None
        canonical, target, meta = found
        if canonical not in self._entries:
            self._entries[canonical] = _Entry(target, f"from {name}", dict(meta), listed=False)
        if canonical != name:
            self._aliases[name] = canonical
        return canonical  # type: ignore[no-any-return]

    def canonical(self, name: str) -> str:
        self._load_plugins()
        name = self._aliases.get(name, name)
        if name not in self._entries:
            found = self._from_fallback(name)
            if found is not None:
                return found
            choices = self.names() + sorted(self._aliases)
            close = difflib.get_close_matches(name, choices, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(self.names())}"
            )
        return name

    def get(self, name: str) -> T:
        entry = self._entries[self.canonical(name)]
        if isinstance(entry.target, str):
            target = _load(entry.target)
            if self.base_cls is not None and not (
                    isinstance(target, type) and issubclass(target, _load(self.base_cls))):
                raise ConfigError(f"{self.kind} {name!r} ({entry.target}) is not a subclass of "
                                  f"{self.base_cls}: derive it from that class")
            entry.target = target
        return entry.target  # type: ignore[no-any-return]

    def meta(self, name: str) -> dict[str, Any]:
        return self._entries[self.canonical(name)].meta

    def help(self, name: str) -> str:
        return self._entries[self.canonical(name)].help

    def __contains__(self, name: str) -> bool:
        self._load_plugins()
        return self._aliases.get(name, name) in self._entries

    def __iter__(self) -> Iterator[str]:
        self._load_plugins()
        return iter(sorted(k for k, e in self._entries.items() if e.listed))

    def names(self) -> list[str]:
        return list(self)

    def ordered(self) -> list[str]:
        """The listed names in the order they were registered (the order that means
        something, e.g. the order question types are generated in)."""
        self._load_plugins()
        return [k for k, e in self._entries.items() if e.listed]


# The catalog: every pluggable part of abstab, registered lazily by "module:attr".
engines: Registry[Any] = Registry("extraction engine", "abstab.engines")
engines.add("auto", "abstab.extract.auto:AutoEngine",
            help="default: ruled tables from vector lines, unruled ones from text alignment")
engines.add("pymupdf", "abstab.extract.engines:PyMuPDFEngine",
            help="PyMuPDF find_tables, cell text re-read from the page's words")
engines.add("camelot-lattice", "abstab.extract.camelot_engine:CamelotLatticeEngine",
            help="camelot lattice (ruled tables; needs camelot-py and opencv)")
engines.add("camelot-stream", "abstab.extract.camelot_engine:CamelotStreamEngine",
            help="camelot stream (tables from text alignment; needs camelot-py)")

backends: Registry[Any] = Registry("backend", "abstab.backends",
                                   base_cls="abstab.backends:Backend")
backends.add("rules", "abstab.rules.backend:RulesBackend",
             help="offline, deterministic: feature judge, definition mining, lookup reader")
backends.add("openai", "abstab.llm.backend:OpenAIBackend",
             help="any OpenAI-compatible endpoint (OPENAI_BASE_URL, OPENAI_API_KEY, ABSTAB_MODEL)")
backends.add("local", "abstab.llm.backend:LocalBackend",
             help="a GGUF model behind a llama.cpp server abstab starts on 127.0.0.1")

# A name that is no system but a "file.py:function" or "package.module:function" spec is
# your own system (abstab.bench.own).
systems: Registry[Any] = Registry("system", "abstab.systems",
                                  fallback="abstab.bench.own:function_system")
systems.add("table", "abstab.bench.systems:TableSystem",
            help="the item's table only: grid and caption, no notes, no text",
            retrieval=False)
systems.add("rag", "abstab.bench.systems:RagSystem",
            help="top-k retrieved passages of the document: text blocks and serialized tables",
            retrieval=True)
systems.add("hybrid", "abstab.bench.systems:HybridSystem",
            help="the table with its notes, plus header definitions retrieved from the text",
            retrieval=True)
systems.add("oracle", "abstab.bench.systems:OracleSystem",
            help="the table with the gold meanings written into its headers (upper bound)",
            retrieval=False)
systems.add("closed-book", "abstab.bench.systems:ClosedBookSystem", aliases=("closed_book",),
            help="the question alone: what is answerable without the document",
            retrieval=False)
systems.add("http", "abstab.bench.own:HttpSystem",
            help="your service: each item POSTed as JSON to --url, its answer read back",
            retrieval=False, reader=False, concurrency=4)
systems.add("predictions", "abstab.bench.own:PredictionsSystem",
            help="answers made elsewhere: --predictions FILE.jsonl (item_id, answer, ...)",
            retrieval=False, reader=False)
metrics: Registry[Any] = Registry("metric", "abstab.metrics")
metrics.add("exact_match", "abstab.bench.metrics:exact_match", aliases=("exact-match",),
            help="normalized string equality (SQuAD/DROP-style, number-aware)",
            higher_is_better=True, aggregation="mean")
metrics.add("token_f1", "abstab.bench.metrics:token_f1", aliases=("token-f1",),
            help="bag-of-tokens F1 after normalization, one token per CJK character",
            higher_is_better=True, aggregation="mean")
metrics.add("numeric_match", "abstab.bench.metrics:numeric_match", aliases=("numeric-match",),
            help="one number within relative tolerance 1e-6, scale-aware (thousand/million/%)",
            higher_is_better=True, aggregation="mean")
metrics.add("abstention", "abstab.bench.metrics:abstention",
            help="abstains on unanswerable items and answers the others",
            higher_is_better=True, aggregation="mean")
metrics.add("correct", "abstab.bench.metrics:correct",
            help="headline accuracy: abstention, numeric match, or exact match / token F1 >= 0.8",
            higher_is_better=True, aggregation="mean")
metrics.add("truthfulness", "abstab.bench.metrics:truthfulness",
            help="CRAG truthfulness: +1 right, 0 abstained, -1 answered wrongly (hallucination)",
            higher_is_better=True, aggregation="mean", range=(-1.0, 1.0))
metrics.add("tatqa_em", "abstab.bench.metrics:tatqa_em", aliases=("tatqa-em",),
            help="exact match by the official TAT-QA rules (scale-aware numbers)",
            higher_is_better=True, aggregation="mean")
metrics.add("tatqa_f1", "abstab.bench.metrics:tatqa_f1", aliases=("tatqa-f1",),
            help="F1 by the official TAT-QA rules (token sets, 2 places; = EM for numbers)",
            higher_is_better=True, aggregation="mean")
metrics.add("denotation", "abstab.bench.metrics:denotation", aliases=("denotation_accuracy",),
            help="WikiTableQuestions denotation accuracy (official evaluator's rules)",
            higher_is_better=True, aggregation="mean")
stages: Registry[Any] = Registry("stage")
stages.add("extract", "abstab.stages.extract:ExtractStage", help="PDFs → documents and tables")
stages.add("judge", "abstab.stages.judge:JudgeStage", help="which tables have abstract headers")
stages.add("resolve", "abstab.stages.resolve:ResolveStage",
           help="what each abstract header means, with evidence")
stages.add("generate", "abstab.stages.generate:GenerateStage",
           help="QA items from tables and text, plus controlled abstraction")
stages.add("assemble", "abstab.stages.assemble:AssembleStage",
           help="validate, deduplicate, split by document")
stages.add("ingest", "abstab.stages.ingest:IngestStage",
           help="a dataset (WTQ, TAT-QA) → synthetic documents as PDFs, tables, items")
stages.add("controlled", "abstab.stages.ingest:ControlledStage",
           help="re-check the evidence of ingested items")
executors: Registry[Any] = Registry("executor", "abstab.executors")
executors.add("local", "abstab.executors:LocalExecutor",
              help="default: threads for LLM calls, a process pool for PDFs (--workers)")
executors.add("ray", "abstab.executors:RayExecutor",
              help="Ray tasks on --ray-address / RAY_ADDRESS, else a local Ray (extra: ray)")
# The order here is the order generation makes them in; each is one QuestionKind subclass.
question_types: Registry[Any] = Registry("question type", "abstab.question_types",
                                         base_cls="abstab.core.questions:QuestionKind")
question_types.add("lookup", "abstab.core.questions:Lookup", help="one cell")
question_types.add("comparison", "abstab.core.questions:Comparison",
                   help="which of two rows is higher/lower")
question_types.add("extremum", "abstab.core.questions:Extremum",
                   help="the row with the highest/lowest value")
question_types.add("count", "abstab.core.questions:Count",
                   help="how many rows are above/below a threshold")
question_types.add("sum", "abstab.core.questions:Sum", help="the sum of two rows' values")
question_types.add("difference", "abstab.core.questions:Difference",
                   help="how much higher one row's value is than another's")
question_types.add("filter", "abstab.core.questions:Filter",
                   help="which rows are above/below a threshold")
