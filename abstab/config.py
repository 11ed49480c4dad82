"""Run configuration: pipeline files, stage settings and the config hashes that drive resume.

Settings are resolved in the order flags, then the pipeline YAML, then defaults.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
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


def resolve_settings(cls: type, value: Any, where: str) -> Any:
    """Build a settings dataclass from a dict (or pass an instance through), naming bad keys."""
    if isinstance(value, cls):
        return value
    value = value or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping of settings, got {type(value).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - names)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(sorted(names))}"
        )
    try:
        return cls(**value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


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
        allowed = {"name", "inputs", "backend", "backend_settings", "stages", "description",
                   "dataset"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; allowed: "
                              f"{', '.join(sorted(allowed))}")
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
