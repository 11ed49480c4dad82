"""Building a backend from its registry name and settings."""

from __future__ import annotations

from typing import Any

from abstab.registry import backends


def build_backend(name: str, settings: dict[str, Any] | None = None) -> Any:
    """An instance of backend ``name`` (``abstab backends list``) configured with ``settings``."""
    cls = backends.get(name)
    if name == "rules" or backends.canonical(name) == "rules":
        return cls(settings)
    from abstab.llm.settings import LLMSettings

    return cls(LLMSettings(backend=backends.canonical(name), **(settings or {})))
