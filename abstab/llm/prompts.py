"""Prompt templates: load them from the package, render them, hash them.

Each task has one file ``prompts/<task>.md`` (shipped as the package ``abstab.prompts``) with a
``## system`` part and a ``## user`` part; text before ``## system`` is a comment for humans.
Placeholders are :class:`string.Template` ones (``$table``, ``${keyword}``), so JSON braces in
the text need no escaping; a literal dollar is ``$$``. The sha256 of the file (first 12 hex)
is the prompt hash that goes into cache keys and record provenance.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from string import Template

from abstab.errors import ConfigError

_SECTION = re.compile(r"^##[ \t]+(system|user)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class PromptTemplate:
    """One task's prompt.

    Attributes:
        task: the task name (the file stem).
        system: the system message template ('' when the file has none).
        user: the user message template.
        hash: first 12 hex digits of the sha256 of the file's bytes.
    """

    task: str
    system: str
    user: str
    hash: str

    @classmethod
    def parse(cls, task: str, text: str) -> PromptTemplate:
        """Split a template file into its system and user parts.

        Raises:
            ConfigError: the file has no ``## user`` part.
        """
        parts: dict[str, str] = {}
        matches = list(_SECTION.finditer(text))
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            parts[m.group(1)] = text[m.end():end].strip("\n")
        if "user" not in parts:
            raise ConfigError(f"prompt {task!r} has no '## user' section")
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        return cls(task, parts.get("system", "").strip(), parts["user"].strip(), digest)

    def placeholders(self) -> set[str]:
        """Names the template expects."""
        names = set()
        for part in (self.system, self.user):
            for m in Template.pattern.finditer(part):
                name = m.group("named") or m.group("braced")
                if name:
                    names.add(name)
        return names

    def render_user(self, **values: object) -> str:
        """The user part with ``values`` substituted."""
        return self._fill(self.user, values)

    def render(self, **values: object) -> list[dict[str, str]]:
        """Chat messages (system, user) with ``values`` substituted.

        Raises:
            ConfigError: a placeholder has no value.
        """
        messages = []
        if self.system:
            messages.append({"role": "system", "content": self._fill(self.system, values)})
        messages.append({"role": "user", "content": self._fill(self.user, values)})
        return messages

    def _fill(self, text: str, values: dict[str, object]) -> str:
        try:
            return Template(text).substitute({k: str(v) for k, v in values.items()})
        except KeyError as exc:
            raise ConfigError(f"prompt {self.task!r} needs a value for ${exc.args[0]}") from None


def _prompt_dir() -> Traversable:
    """``abstab.prompts`` when installed; ``prompts/`` beside the package in a source tree."""
    try:
        return files("abstab.prompts")
    except ModuleNotFoundError:
        return files("abstab").joinpath("..", "prompts")


@cache
def load_prompt(task: str) -> PromptTemplate:
    """The template of ``task`` from the installed ``abstab.prompts`` package.

    Raises:
        ConfigError: there is no such prompt file.
    """
    resource = _prompt_dir().joinpath(f"{task}.md")
    if not resource.is_file():
        raise ConfigError(f"no prompt template for task {task!r} (expected prompts/{task}.md)")
    return PromptTemplate.parse(task, resource.read_text(encoding="utf-8"))


def prompt_hash(task: str) -> str:
    """The 12-hex prompt hash of ``task``."""
    return load_prompt(task).hash
