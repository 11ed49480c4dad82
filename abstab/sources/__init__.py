"""Loaders for external table-QA datasets (WikiTableQuestions, TAT-QA) behind one registry.

Every loader turns its dataset's own files into :class:`SourceExample` s: one question with its
table, the dataset's gold answers as strings, the dataset's ids, and the license. The controlled
abstraction path (``abstab.stages.ingest``) and ``abstab bench`` on external datasets both read
them through :func:`load`.

A file that cannot be read at all (missing, not JSON/TSV, wrong layout) raises
:class:`SourceError` naming the file and the fix; one bad example (a missing table file, a
record without a question) is reported to ``on_error`` and skipped, so it never stops a run.

Dataset files are hostile: a loader reads only inside the folder the user named (or the folder
of the file named). A path a dataset file gives (WTQ's ``context``) that is absolute, holds
``..`` or is a symlink out of that folder is a skipped example naming the file, line and path;
a dataset file of the folder that is itself such a symlink is skipped the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
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

# Each dataset's file names are declared here once: ``files`` are what its loader reads from a
# folder (the first pattern that matches anything wins), ``markers`` the names that tell a
# folder is that dataset (``abstab bench`` detecting the format).
sources: Registry[Loader] = Registry("source dataset", "abstab.sources")
sources.add("wtq", "abstab.sources.wtq:load_wtq", aliases=("wikitablequestions",),
            help="WikiTableQuestions: questions.tsv (id, utterance, context, targetValue) + csv/",
            license="CC BY-SA 4.0", files=("questions.tsv", "questions*.tsv", "*.tsv"),
            markers=("questions*.tsv",))
sources.add("tatqa", "abstab.sources.tatqa:load_tatqa", aliases=("tat-qa",),
            help="TAT-QA: tatqa_dataset_*.json (table, paragraphs, questions with scale)",
            license="CC BY 4.0",
            files=("tatqa_dataset_*.json", "*.shared.json", "*.holdout.json", "*.json"),
            markers=("tatqa_dataset_*.json", "*.shared.json", "*.holdout.json"))


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


def source_files(source: str) -> tuple[str, ...]:
    """The file patterns a registered dataset's loader reads from a folder, in preference order
    (the first that matches anything wins, see :func:`find_files`); every file of the folder
    for a plugin's dataset that declares none."""
    return tuple(sources.meta(source).get("files", ("*",)))


def source_markers(source: str) -> tuple[str, ...]:
    """The file patterns that tell a folder holds a registered dataset."""
    return tuple(sources.meta(source).get("markers", ()))


class OutsideDatasetError(ValueError):
    """A path named by a dataset file that leaves the dataset folder (not read)."""


def dataset_root(path: Path) -> Path:
    """The folder a dataset's files may name: ``path`` itself, or the folder of a named file."""
    return (path if path.is_dir() else path.parent).resolve()


def inside(root: Path, name: str) -> Path:
    """``root / name`` resolved, if it stays inside ``root``: dataset files are hostile, and a
    path they name must never make abstab read a file of the host.

    Args:
        root: the dataset folder (resolved, see :func:`dataset_root`).
        name: a relative path as the dataset file gives it.

    Raises:
        OutsideDatasetError: ``name`` is empty or absolute, holds ``..``, or resolves (through
            a symlink) outside ``root``.
    """
    rel = PurePosixPath(name.replace("\\", "/"))
    if not name.strip() or rel.is_absolute() or PureWindowsPath(name).drive:
        raise OutsideDatasetError(f"path {name!r} is not relative to the dataset folder {root}")
    if ".." in rel.parts:
        raise OutsideDatasetError(f"path {name!r} leaves the dataset folder {root} through '..'")
    target = (root / rel).resolve()
    if not target.is_relative_to(root):
        raise OutsideDatasetError(f"path {name!r} is a symlink out of the dataset folder {root}")
    return target


def find_files(path: Path, patterns: tuple[str, ...], what: str,
               on_error: ErrorHook | None = None) -> list[Path]:
    """``path`` itself if it is a file, else the files in it matching the first pattern that
    matches anything (so ``x.shared.json`` and ``x.holdout.json`` are both found).

    A file of the folder that is a symlink out of it is left out (and told to ``on_error``):
    abstab reads only inside the folder the user named.
    """
    if path.is_file():
        return [path]
    root = dataset_root(path)
    refused: set[Path] = set()
    for pattern in patterns:
        found = []
        for p in sorted(path.glob(pattern)):
            if not p.is_file() or p in refused:
                continue
            try:
                inside(root, p.name)
            except OutsideDatasetError as exc:
                (on_error or _log_error)(str(p), f"{exc}; not read")
                refused.add(p)
                continue
            found.append(p)
        if found:
            return found
    raise SourceError(f"{path}: no {what} here (looked for {', '.join(patterns)}); give the file "
                      f"itself or the folder holding it")
