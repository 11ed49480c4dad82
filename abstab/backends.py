"""Building a backend from its registry name and settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from abstab.registry import backends


def build_backend(name: str, settings: dict[str, Any] | None = None,
                  workspace: Path | None = None) -> Any:
    """An instance of backend ``name`` (``abstab backends list``) configured with ``settings``.

    LLM backends get :class:`~abstab.llm.settings.LLMSettings` (flags over YAML over the
    environment); their response cache defaults to ``WORKSPACE/.cache/llm.sqlite``.
    """
    canonical = backends.canonical(name)
    cls = backends.get(canonical)
    if canonical == "rules":
        return cls(settings)
    from abstab.llm.settings import LLMSettings

    return cls(LLMSettings.resolve(dict(settings or {}), backend=canonical, workspace=workspace))
