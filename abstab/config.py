"""Run configuration: pipeline files, stage settings and the config hashes that drive resume.

Settings are resolved in the order flags, then the pipeline YAML, then defaults.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from abstab.errors import ConfigError
from abstab.records import SCHEMA_VERSION
from abstab.registry import stages as stage_registry

# What every pipeline makes (the record kind of the assembled items).
PIPELINE_GOAL = "dataset_items"


def stable_hash(obj: Any, length: int = 16) -> str:
    """sha256 of the sorted-key JSON of ``obj``."""
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:length]


def settings_dict(settings: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(settings) and not isinstance(settings, type):
        return dataclasses.asdict(settings)
    if hasattr(settings, "model_dump"):
        return settings.model_dump(mode="json")  # type: ignore[no-any-return]
    return dict(settings)


def config_hash(stage: str, settings: Any, upstream: list[str], version: int = 1) -> str:
    """The hash a stage's completion marker holds: its settings and its own ``version``
    chained with its inputs'.

    A changed upstream hash changes every hash after it, so downstream stages redo. The
    package version is not in it (it stays in each record's provenance): upgrading abstab
    redoes only the stages whose ``version`` was bumped.
    """
    return stable_hash(
        {"stage": stage, "settings": settings_dict(settings), "upstream": upstream,
         "schema_version": SCHEMA_VERSION, "stage_version": version}
    )


class StageSettings(BaseModel):
    """Base of every stage's settings (and bench's): unknown keys and values of the wrong type
    are errors, never coerced (YAML's ``controlled: "no"`` is a string, not false).

    Subclasses check ranges and names in a ``model_validator(mode="after")`` that raises
    ``ValueError`` with the message a user reads after the stage's name.
    """

    model_config = ConfigDict(extra="forbid", strict=True)


# A number setting: an integer stays an integer (``timeout: 60``), so the hash of a workspace
# made when settings were dataclasses does not move.
Number = int | float

_WORDS: dict[Any, tuple[str, str]] = {
    bool: ("true or false", "booleans"), int: ("an integer", "integers"),
    float: ("a number", "numbers"), str: ("a string", "strings")}


def _words(annotation: Any, plural: bool = False) -> str:
    """An annotation in words, as a message names the expected type ("a list of strings")."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        if set(kinds) == {int, float}:
            kinds = [float]
        return (" or ".join(_words(a, plural) for a in kinds)
                + (" or null" if type(None) in args else ""))
    if origin is list:
        return "lists" if plural else f"a list of {_words(args[0], True)}"
    if origin is dict:
        return "mappings" if plural else (
            f"a mapping of {_words(args[0], True)} to {_words(args[1], True)}")
    if annotation in _WORDS:
        return _WORDS[annotation][plural]
    return "values" if plural else getattr(annotation, "__name__", str(annotation))


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a mapping", type(None): "null"}.get(type(value),
                                                                       type(value).__name__)


_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_short",
           "too_long", "multiple_of"}
"""pydantic's error types for a value of the right type outside its field's constraints."""


def _message(cls: type[BaseModel], value: dict[str, Any], exc: ValidationError,
             noun: str) -> str:
    """pydantic's errors as one sentence: unknown keys (with the closest known one), else the
    first key of the wrong type, else the first failed check."""
    names = sorted(cls.model_fields)
    errors = exc.errors()
    unknown = [str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden"]
    if unknown:
        shown = [k + "".join(f" (did you mean {c}?)"
                             for c in difflib.get_close_matches(k, names, n=1))
                 for k in unknown]
        return f"unknown {noun}(s) {', '.join(shown)}; allowed: {', '.join(names)}"
    for e in errors:
        key = e["loc"][0] if e["loc"] else None
        if e["type"] != "value_error" and key in cls.model_fields:
            given = value[key]
            text = repr(given) if len(repr(given)) <= 60 else repr(given)[:57] + "..."
            if e["type"] in _BOUNDS:  # the right type, out of range: say the range
                bound = str(e["msg"]).removeprefix("Input should be ")
                return f"{key} must be {bound}, got {text}"
            wanted = _words(cls.model_fields[str(key)].annotation)
            return f"{key} must be {wanted}, got {_type_name(given)} {text}"
    return str(errors[0]["msg"]).removeprefix("Value error, ")


SettingsT = typing.TypeVar("SettingsT", bound=BaseModel)


def resolve_settings(cls: type[SettingsT], value: Any, where: str,
                     noun: str = "setting") -> SettingsT:
    """The settings model ``cls`` from a mapping (an instance passes through).

    Args:
        cls: a pydantic model, usually a :class:`StageSettings`.
        value: a mapping of settings, None (defaults) or an instance of ``cls``.
        where: what the message names first (file and stage).
        noun: what an unknown key is called in the message.

    Raises:
        ConfigError: naming ``where``, the key, the expected and the given type, and for an
            unknown key the closest known one.
    """
    if isinstance(value, cls):
        return value
    value = {} if value is None else value
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping of {noun}s, got {_type_name(value)}")
    try:
        return cls.model_validate(value)
    except ValidationError as exc:
        raise ConfigError(f"{where}: {_message(cls, value, exc, noun)}") from None


class _PipelineFile(StageSettings):
    """The keys of a pipeline file and their types (stage settings are checked per stage)."""

    name: str = ""
    description: str = ""
    inputs: str | list[str] = ""
    backend: str = "rules"
    backend_settings: dict[str, Any] = Field(default_factory=dict)
    stages: dict[str, Any] = Field(default_factory=dict)
    dataset: str = ""


@dataclass
class Pipeline:
    """A pipeline file: which PDFs, which backend, and per-stage settings."""

    name: str
    inputs: list[Path]
    backend: str = "rules"
    backend_settings: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Path | None = None
    dataset: str | None = None  # a registered source dataset: inputs are its files, not PDFs

    @property
    def stage_order(self) -> tuple[str, ...]:
        """The stages to run, in an order where each runs after the stages it reads (see
        :func:`plan_stages`)."""
        return plan_stages(list(self.stages), self.reads, str(self.source or self.name))

    @property
    def reads(self) -> str:
        """What the pipeline's inputs are: ``dataset`` files (with ``dataset:``) or ``pdfs``."""
        return "dataset" if self.dataset else "pdfs"

    @classmethod
    def load(cls, ref: str | Path) -> Pipeline:
        """Load a pipeline from a path, or by name from the pipelines shipped with abstab."""
        path = Path(ref)
        if not path.exists():
            from importlib.resources import files

            packaged = files("abstab.pipelines").joinpath(f"{ref}.yaml")
            if not packaged.is_file():
                raise ConfigError(
                    f"pipeline {str(ref)!r} not found: give a YAML file path, or one of the "
                    f"shipped names ({', '.join(shipped_pipelines())})"
                )
            path = Path(str(packaged))
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a pipeline file is a mapping (name, inputs, stages)")
        # An empty key (``stages:``) means its default.
        resolve_settings(_PipelineFile, {str(k): v for k, v in data.items() if v is not None},
                         str(path), noun="key")
        stages = data.get("stages") or {}
        dataset = data.get("dataset")
        if dataset is not None:
            from abstab.sources import sources

            dataset = sources.canonical(str(dataset))
        bad = sorted(set(stages) - set(stage_registry.ordered()))
        if bad:
            raise ConfigError(f"{path}: unknown stage(s) {', '.join(bad)}; stages are "
                              f"{', '.join(stage_registry.ordered())}")
        for name, settings in stages.items():
            resolve_settings(stage_registry.get(name).settings_cls, settings,
                             f"{path}: stage {name}")
        plan_stages(list(stages), "dataset" if dataset else "pdfs", str(path))
        inputs = data.get("inputs") or []
        if isinstance(inputs, str):
            inputs = [inputs]
        return cls(
            name=str(data.get("name", path.stem)),
            # Relative inputs are relative to the pipeline file, not to the current directory.
            inputs=[(path.parent / p).resolve() if not Path(p).is_absolute() else Path(p)
                    for p in inputs],
            backend=str(data.get("backend", "rules")),
            backend_settings=dict(data.get("backend_settings") or {}),
            stages={k: dict(v or {}) for k, v in stages.items()},
            source=path,
            dataset=dataset,
        )


def plan_stages(listed: list[str], reads: str, where: str) -> tuple[str, ...]:
    """The stages a pipeline runs, in order, derived from what each stage consumes and produces.

    The pipeline makes :data:`PIPELINE_GOAL` from its inputs (``reads``: PDFs, or a dataset's
    files). Its stages are the ``listed`` ones plus, for every kind of record that one of them
    (or the goal) needs and none of them produces, a registered stage that produces it and can
    run on these inputs: the one whose own inputs are already there when there is a choice
    (a dataset pipeline's items come from controlled, not from generate). They are ordered so
    that each stage runs after the stages whose records it reads.

    Args:
        listed: the stages named under the pipeline file's ``stages:``.
        reads: ``pdfs`` or ``dataset``.
        where: the pipeline file, for messages.

    Raises:
        ConfigError: a stage reads inputs this pipeline does not give, needs a kind of record no
            stage can make here (the message names the stage and the kind), two stages make
            one kind, or a kind can come from two stages and none is listed.
    """
    cls = {n: stage_registry.get(n) for n in stage_registry.ordered()}

    def fits(name: str) -> bool:
        return cls[name].external in (None, reads)

    def makeable(kind: str, made: frozenset[str], seen: frozenset[str] = frozenset()) -> bool:
        """Whether ``kind`` is in ``made`` or a stage not in ``seen`` can make it here."""
        return kind in made or any(
            fits(n) and n not in seen and all(makeable(k, made, seen | {n})
                                              for k in cls[n].consumes)
            for n in cls if kind in cls[n].produces)

    for name in listed:
        if not fits(name):
            if cls[name].external == "dataset":
                needy = [n for n in cls if not fits(n) or not all(
                    makeable(k, frozenset()) for k in cls[n].consumes)]
                raise ConfigError(f"{where}: stage {name} reads a source dataset and this "
                                  f"pipeline names none: {' and '.join(needy)} need `dataset:`")
            raise ConfigError(f"{where}: stage {name} reads {cls[name].external}, and this pipeline "
                              f"reads a dataset (`dataset:`): remove {name} from its stages")
    chosen = list(dict.fromkeys(listed))
    while True:
        made = frozenset(k for n in chosen for k in cls[n].produces)
        wanted = [(None, PIPELINE_GOAL)] + [(n, k) for n in chosen for k in cls[n].consumes]
        missing = next(((n, k) for n, k in wanted if k not in made), None)
        if missing is None:
            break
        who, kind = missing
        makers = [n for n in cls if kind in cls[n].produces and n not in chosen and fits(n)
                  and all(makeable(k, made, frozenset(chosen) | {n}) for k in cls[n].consumes)]
        ready = [n for n in makers if all(k in made for k in cls[n].consumes)]
        pick = ready if len(ready) == 1 else makers
        if not makers:
            needer = f"stage {who}" if who else "the pipeline (it makes a dataset)"
            raise ConfigError(f"{where}: {needer} needs {kind}, and no stage of this pipeline "
                              f"can produce them from its {reads}")
        if len(pick) > 1:
            raise ConfigError(f"{where}: {kind} can come from stage {' or '.join(pick)}: name "
                              f"the one you want under `stages:`")
        chosen.append(pick[0])
    for kind in dict.fromkeys(k for n in chosen for k in cls[n].produces):
        makers = [n for n in chosen if kind in cls[n].produces]
        if len(makers) > 1:
            raise ConfigError(f"{where}: stages {' and '.join(makers)} both produce {kind}; a "
                              f"pipeline keeps one of them")
    maker = {k: n for n in chosen for k in cls[n].produces}
    graph = TopologicalSorter({n: [maker[k] for k in (*cls[n].consumes, *cls[n].reads_if_present)
                                   if k in maker and maker[k] != n] for n in chosen})
    try:
        return tuple(graph.static_order())
    except CycleError as exc:
        raise ConfigError(f"{where}: stages {' → '.join(exc.args[1])} read each other's "
                          f"records: no order runs them") from None


def shipped_pipelines() -> list[str]:
    from importlib.resources import files

    return sorted(p.name.removesuffix(".yaml") for p in files("abstab.pipelines").iterdir()
                  if p.name.endswith(".yaml"))
