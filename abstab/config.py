"""Run configuration: pipeline files, stage settings and the config hashes that drive resume.

Settings are resolved in the order flags, then the pipeline YAML, then defaults.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from abstab import __version__
from abstab.errors import ConfigError
from abstab.records import SCHEMA_VERSION

STAGE_ORDER = ("extract", "judge", "resolve", "generate", "assemble")
# A pipeline with a ``source`` dataset (WTQ, TAT-QA) instead of PDFs: ingest stands in for
# extract (synthetic documents), controlled for generate (items re-checked), then assemble.
DATASET_STAGE_ORDER = ("ingest", "controlled", "assemble")


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


def config_hash(stage: str, settings: Any, upstream: list[str]) -> str:
    """The hash a stage's completion marker holds: its settings chained with its inputs'.

    A changed upstream hash changes every hash after it, so downstream stages redo.
    """
    return stable_hash(
        {"stage": stage, "settings": settings_dict(settings), "upstream": upstream,
         "schema_version": SCHEMA_VERSION, "abstab": __version__}
    )


# What each scalar annotation accepts from YAML or JSON, and how a message names it. A bool is
# an int to Python, and YAML reads `no` as a string only when quoted, so the checks are exact.
_SCALARS: dict[Any, tuple[Callable[[Any], bool], str, str]] = {
    bool: (lambda v: isinstance(v, bool), "true or false", "booleans"),
    int: (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer", "integers"),
    float: (lambda v: isinstance(v, int | float) and not isinstance(v, bool), "a number",
            "numbers"),
    str: (lambda v: isinstance(v, str), "a string", "strings"),
}


def _plural(annotation: Any) -> str:
    return _SCALARS[annotation][2] if annotation in _SCALARS else "values"


def _expected(annotation: Any, value: Any) -> str | None:
    """None when ``value`` fits ``annotation``, else the expected type in words (annotations
    without a check, such as ``Any``, accept anything)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        wanted = [_expected(a, value) for a in args if a is not type(None)]
        if None in wanted:
            return None
        return " or ".join(w for w in wanted if w) + (" or null" if type(None) in args else "")
    if origin is list:
        if not isinstance(value, list) or any(_expected(args[0], v) for v in value):
            return f"a list of {_plural(args[0])}"
        return None
    if origin is dict:
        if not isinstance(value, dict) or any(
                _expected(args[0], k) or _expected(args[1], v) for k, v in value.items()):
            return f"a mapping of {_plural(args[0])} to {_plural(args[1])}"
        return None
    check = _SCALARS.get(annotation)
    return None if check is None or check[0](value) else check[1]


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a mapping", type(None): "null"}.get(type(value),
                                                                       type(value).__name__)


def check_settings(cls: type, value: Any, where: str) -> dict[str, Any]:
    """The settings mapping ``value`` for dataclass ``cls``, checked: known keys only, each of
    the type its field is annotated with.

    Raises:
        ConfigError: naming ``where`` (file and stage), the key, the expected and the given type.
    """
    value = {} if value is None else value
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping of settings, got {_type_name(value)}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - names, key=str)
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(map(str, unknown))}; "
                          f"allowed: {', '.join(sorted(names))}")
    _check_types(typing.get_type_hints(cls), value, where)
    return value


def _check_types(annotations: dict[str, Any], value: dict[str, Any], where: str) -> None:
    for key, given in value.items():
        wanted = _expected(annotations[key], given) if key in annotations else None
        if wanted:
            shown = repr(given) if len(repr(given)) <= 60 else repr(given)[:57] + "..."
            raise ConfigError(f"{where}: {key} must be {wanted}, got {_type_name(given)} "
                              f"{shown}")


def resolve_settings(cls: type, value: Any, where: str) -> Any:
    """Build a settings dataclass from a dict (or pass an instance through), naming bad keys
    and values of the wrong type."""
    if isinstance(value, cls):
        return value
    value = check_settings(cls, value, where)
    try:
        return cls(**value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


# The keys of a pipeline file and their types (stage settings are checked per stage).
_PIPELINE_KEYS: dict[str, Any] = {
    "name": str, "description": str, "inputs": str | list[str], "backend": str,
    "backend_settings": dict[str, Any], "stages": dict[str, Any], "dataset": str}


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
        return DATASET_STAGE_ORDER if self.dataset else STAGE_ORDER

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
        unknown = sorted(set(data) - set(_PIPELINE_KEYS), key=str)
        if unknown:
            raise ConfigError(f"{path}: unknown key(s) {', '.join(map(str, unknown))}; allowed: "
                              f"{', '.join(sorted(_PIPELINE_KEYS))}")
        _check_types(_PIPELINE_KEYS, {k: v for k, v in data.items() if v is not None},
                     str(path))
        stages = data.get("stages") or {}
        dataset = data.get("dataset")
        if dataset is not None:
            from abstab.sources import sources

            dataset = sources.canonical(str(dataset))
        order = DATASET_STAGE_ORDER if dataset else STAGE_ORDER
        bad = sorted(set(stages) - set(order))
        if bad:
            raise ConfigError(f"{path}: unknown stage(s) {', '.join(bad)}; stages are "
                              f"{', '.join(order)}"
                              + ("" if dataset else " (ingest and controlled need `dataset:`)"))
        from abstab.registry import stages as stage_registry

        for name, settings in stages.items():
            check_settings(stage_registry.get(name).settings_cls, settings,
                           f"{path}: stage {name}")
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


def shipped_pipelines() -> list[str]:
    from importlib.resources import files

    return sorted(p.name.removesuffix(".yaml") for p in files("abstab.pipelines").iterdir()
                  if p.name.endswith(".yaml"))
