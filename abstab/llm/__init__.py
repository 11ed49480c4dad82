"""The LLM layer: one client for every task (judge, resolve, answer) over OpenAI-compatible
endpoints or a managed local llama.cpp server, with a response cache, retries, bounded
concurrency, structured output with one repair, and a per-run ledger.

Importing this package is cheap: ``openai`` and llama.cpp are imported only when a backend
makes its first request. Modules:

* :mod:`abstab.llm.settings` — :class:`LLMSettings`, :class:`LocalSettings`
* :mod:`abstab.llm.backend` — :class:`OpenAIBackend`, :class:`LocalBackend`
* :mod:`abstab.llm.client` — :class:`ChatClient` (retries, cache, structured output)
* :mod:`abstab.llm.cache`, :mod:`abstab.llm.ledger`, :mod:`abstab.llm.server`,
  :mod:`abstab.llm.prompts`, :mod:`abstab.llm.serialize`, :mod:`abstab.llm.errors`
* :mod:`abstab.llm.tasks` — the task output models (the contract is :mod:`abstab.backends`)
"""

from abstab.llm.errors import (
    LLMError,
    LLMRequestError,
    LLMUnavailableError,
    LocalServerError,
    StructuredOutputError,
)
from abstab.llm.settings import LLMSettings, LocalSettings, Prices

__all__ = [
    "LLMError",
    "LLMRequestError",
    "LLMSettings",
    "LLMUnavailableError",
    "LocalServerError",
    "LocalSettings",
    "Prices",
    "StructuredOutputError",
]
