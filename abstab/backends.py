"""The backend contract: one base class, its settings, and building one from the registry.

A backend (``abstab backends list``) answers the stages' tasks (judge, resolve, generate) and
the bench's reader. Each declares the pydantic model of its settings; a setting it does not
have is an error naming the backends that do, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import BaseModel

from abstab.config import resolve_settings
from abstab.errors import ConfigError
from abstab.registry import backends


@dataclass(frozen=True)
class Identity:
    """Who answers: how records, stage hashes and the response cache name a backend.

    Attributes:
        backend: the registry name.
        model: the model (a name the endpoint knows, the GGUF file's stem, ``rules-vN``, N the rules backend's own version).
        endpoint: where it answers, without credentials: the base URL, the local model file
            (its server's port changes every run), or ``offline``. Part of cache keys.
    """

    backend: str
    model: str
    endpoint: str


class Backend:
    """Base of every backend.

    Subclasses set :attr:`name` and :attr:`settings_cls`, set :attr:`identity` (at class level
    or in the constructor), and implement the tasks. Build one from a dict of settings with
    :meth:`from_settings` (:func:`build_backend` by registry name); the constructor takes a
    ``settings_cls`` instance only, so settings are resolved once.

    Raises:
        TypeError: the constructor was given something else than a ``settings_cls``.
    """

    name: ClassVar[str]
    settings_cls: ClassVar[type[BaseModel]]
    identity: Identity

    def __init__(self, settings: BaseModel | None = None):
        if settings is None:
            settings = self.settings_cls()
        if not isinstance(settings, self.settings_cls):
            raise TypeError(f"{type(self).__name__} takes a {self.settings_cls.__name__}, not "
                            f"{type(settings).__name__}; from a dict use "
                            f"{type(self).__name__}.from_settings")
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None = None,
                      workspace: Path | None = None,
                      used_elsewhere: Collection[str] = ()) -> Self:
        """The backend configured by ``settings`` (flags over YAML).

        Args:
            settings: the settings given.
            workspace: the run's workspace (LLM backends keep their cache there).
            used_elsewhere: settings another part of the command uses (the bench's ``-s http``
                system takes ``--request-timeout``): not passed on, and no error.

        Raises:
            ConfigError: a setting neither this backend nor ``used_elsewhere`` has (naming the
                backends that use it), or a bad value.
        """
        fields = cls.settings_cls.model_fields
        values = {k: v for k, v in (settings or {}).items()
                  if k in fields or k not in used_elsewhere}
        unused = [k for k in values if k not in fields]
        if unused:
            users = [n for n in backends.names()
                     if unused[0] in backends.get(n).settings_cls.model_fields]
            raise ConfigError(
                f"the {cls.name} backend has no setting {unused[0]}; "
                + (f"it is used by {', '.join(users)}" if users else
                   f"its settings are: {', '.join(sorted(cls.settings_cls.model_fields))}"))
        return cls(cls.build_settings(values, workspace))

    @classmethod
    def build_settings(cls, values: dict[str, Any], workspace: Path | None) -> Any:
        """The settings instance from checked keys (LLM backends add the environment)."""
        return resolve_settings(cls.settings_cls, values, f"backend {cls.name}")

    def prompt_hash(self, task: str) -> str | None:
        """The hash of the prompt ``task`` is asked with (``None``: no prompt)."""
        return None

    def provenance(self, task: str) -> dict[str, Any]:
        """What identifies this backend's answers to ``task`` in hashes and records."""
        return {"backend": self.identity.backend, "model": self.identity.model,
                "prompt_hash": self.prompt_hash(task)}

    def close(self) -> None:
        """Release what the backend holds (a server, a cache)."""


def build_backend(name: str, settings: dict[str, Any] | None = None,
                  workspace: Path | None = None, used_elsewhere: Collection[str] = ()) -> Backend:
    """An instance of backend ``name`` (``abstab backends list``) configured with ``settings``.

    Args:
        name: the registry name or an alias.
        settings: flags over the pipeline's ``backend_settings``.
        workspace: LLM backends keep their response cache in ``WORKSPACE/.cache/llm.sqlite``.
        used_elsewhere: settings the command uses besides the backend; see
            :meth:`Backend.from_settings`.
    """
    cls: type[Backend] = backends.get(name)
    return cls.from_settings(settings, workspace, used_elsewhere)
