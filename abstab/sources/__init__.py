"""Loaders for external table-QA datasets (WikiTableQuestions, TAT-QA) behind one registry.

Every loader turns its dataset's own files into :class:`SourceExample` s: one question with its
table, the dataset's gold answers as strings, the dataset's ids, and the license. The controlled
abstraction path (``abstab.stages.ingest``) and ``abstab bench`` on external datasets both read
them through :func:`load`.

A file that cannot be read at all (missing, not JSON/TSV, wrong layout) raises
:class:`SourceError` naming the file and the fix; one bad example (a missing table file, a
record without a question) is reported to ``on_error`` and skipped, so it never stops a run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abstab.errors import AbstabError
from abstab.registry import Registry

log = logging.getLogger(__name__)

ErrorHook = Callable[[str, str], None]
"""``on_error(example_id_or_file, reason)``: told about every example a loader skips."""


class SourceError(AbstabError):
    """A dataset file that cannot be read at all (the message names the file and the fix)."""


@dataclass(frozen=True)
class SourceExample:
    """One question of an external dataset, with its table and gold answers.

    Attributes:
        source: registry name of the dataset ("wtq", "tatqa").
        example_id: the dataset's own id (WTQ "nt-0", TAT-QA question uid).
        doc_id: grouping unit for splits (WTQ csv path; TAT-QA table uid).
        question: the question text.
        answers: gold answers as the dataset gives them, as strings.
        table: the table as rows of cell strings, header row(s) first.
        paragraphs: the text around the table (TAT-QA, in order); [] for WTQ.
        meta: dataset-specific facts (TAT-QA: answer_type, answer_from, scale, derivation,
            answer as given, rel_paragraphs, req_comparison; WTQ: context path).
        license: the dataset's license as its SOURCES.md states it.
    """

    source: str
    example_id: str
    doc_id: str
    question: str
    answers: list[str]
    table: list[list[str]]
    paragraphs: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    license: str = ""


Loader = Callable[[Path, ErrorHook], Iterator[SourceExample]]

sources: Registry[Loader] = Registry("source dataset", "abstab.sources")
sources.add("wtq", "abstab.sources.wtq:load_wtq", aliases=("wikitablequestions",),
            help="WikiTableQuestions: questions.tsv (id, utterance, context, targetValue) + csv/",
            license="CC BY-SA 4.0")
sources.add("tatqa", "abstab.sources.tatqa:load_tatqa", aliases=("tat-qa",),
            help="TAT-QA: tatqa_dataset_*.json (table, paragraphs, questions with scale)",
            license="CC BY 4.0")


def _log_error(where: str, reason: str) -> None:
    log.warning("skipped %s: %s", where, reason)


def load(source: str, path: Path | str, on_error: ErrorHook | None = None
         ) -> Iterator[SourceExample]:
    """Yield the examples of dataset ``source`` found at ``path`` (a file or its folder).

    Args:
        source: a registered dataset name (``wtq``, ``tatqa``; see ``sources.names()``).
        path: the dataset folder or file (WTQ: folder with ``questions*.tsv`` and ``csv/``, or
            the TSV itself; TAT-QA: a ``tatqa_dataset_*.json`` file or its folder, where
            ``*.shared.json`` and ``*.holdout.json`` names are both accepted).
        on_error: called with (example id or file, reason) for each skipped example; by default
            a warning is logged.

    Raises:
        UnknownNameError: ``source`` is not registered.
        SourceError: ``path`` is missing or is not a file of that dataset.
    """
    loader = sources.get(source)
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder; give the {source} dataset's folder "
                          f"or file (e.g. ../shared/corpora/...)")
    return loader(path, on_error or _log_error)


def source_license(source: str) -> str:
    """The license a registered dataset is distributed under."""
    return str(sources.meta(source).get("license", ""))


def find_files(path: Path, patterns: tuple[str, ...], what: str) -> list[Path]:
    """``path`` itself if it is a file, else the files in it matching the first pattern that
    matches anything (so ``x.shared.json`` and ``x.holdout.json`` are both found)."""
    if path.is_file():
        return [path]
    for pattern in patterns:
        found = sorted(p for p in path.glob(pattern) if p.is_file())
        if found:
            return found
    raise SourceError(f"{path}: no {what} here (looked for {', '.join(patterns)}); give the file "
                      f"itself or the folder holding it")
