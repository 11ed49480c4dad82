"""External table-QA datasets (WikiTableQuestions, TAT-QA): one :class:`SourceDataset` each.

A dataset is one class registered in :data:`sources`: its name, title and license, the file
patterns it reads and the ones that mark a folder as holding it, how many header rows its
tables have when its format fixes it (WTQ: one; each declared once, on the class), how it finds its files (:meth:`SourceDataset.data_files`), whether a folder holds it
(:meth:`SourceDataset.detect`) and how its files become :class:`SourceExample` s (one question
with its table, the dataset's gold answers as strings, the dataset's ids, and the license).
Every user reads a dataset through its class: the controlled abstraction path
(``abstab.stages.ingest``, also for the hash of the files it read), ``abstab bench`` on external
datasets (detecting, loading, fingerprinting) and the synthetic documents' attribution line.
:func:`open_source` gives the instance, :func:`load` its examples.

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
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, ClassVar

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


def _log_error(where: str, reason: str) -> None:
    log.warning("skipped %s: %s", where, reason)


def _ignore(_where: str, _reason: str) -> None:
    pass


class SourceDataset(ABC):
    """One external dataset at a path the user named (its folder, or one of its files).

    A new dataset is one subclass registered in :data:`sources` (or, from another package, in
    the ``abstab.sources`` entry-point group). Nothing outside the folder is read: see
    :func:`inside` and :func:`find_files`.

    Args:
        path: the dataset folder or file.

    Raises:
        SourceError: ``path`` does not exist.
    """

    name: ClassVar[str]
    """The registry name, also :attr:`SourceExample.source`."""
    title: ClassVar[str]
    """The dataset's name as an attribution line says it ("WikiTableQuestions")."""
    license: ClassVar[str] = ""
    """The license its SOURCES.md states."""
    what: ClassVar[str] = "dataset file"
    """What its files are, for "no … here" messages."""
    files: ClassVar[tuple[str, ...]] = ("*",)
    """The patterns of the files it reads from a folder, in preference order (the first that
    matches anything wins)."""
    markers: ClassVar[tuple[str, ...]] = ()
    """The patterns that tell a folder holds this dataset (``abstab bench`` detecting it)."""
    header_rows: ClassVar[int | None] = None
    """How many leading rows of every table are header rows, when the dataset's format fixes
    it (WTQ: 1, a CSV's first line); None when it does not (a TAT-QA table may have a blank
    row, "Years Ended …" and "2019 | 2018" above its body), and readers count them from the
    rows' content."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file or folder; give the {self.name} "
                              f"dataset's folder or file (e.g. ../shared/corpora/...)")
        self.root = dataset_root(self.path)

    def data_files(self, on_error: ErrorHook | None = None) -> list[Path]:
        """The files its examples are read from (a file symlinked out of the folder is told to
        ``on_error`` and left out).

        Raises:
            SourceError: no file of this dataset at the path.
        """
        return find_files(self.path, self.files, self.what, on_error)

    @abstractmethod
    def examples(self, on_error: ErrorHook) -> Iterator[SourceExample]:
        """Its questions, each with its table; a bad example is told to ``on_error`` and
        skipped.

        Raises:
            SourceError: a file cannot be read at all.
        """

    @classmethod
    def detect(cls, path: Path) -> bool:
        """Whether ``path`` holds this dataset: a marker file that :meth:`is_data_file`."""
        try:
            found = find_files(path, cls.markers, cls.name, on_error=_ignore) if cls.markers \
                else []
        except SourceError:
            return False
        return any(cls.is_data_file(f) for f in found)

    @classmethod
    def is_data_file(cls, path: Path) -> bool:
        """Whether a file matching a marker pattern is one of this dataset's files."""
        return True


# The datasets, each one SourceDataset subclass (its file patterns declared on the class).
sources: Registry[type[SourceDataset]] = Registry("source dataset", "abstab.sources",
                                                  base_cls="abstab.sources:SourceDataset")
sources.add("wtq", "abstab.sources.wtq:WTQDataset", aliases=("wikitablequestions",),
            help="WikiTableQuestions: questions.tsv (id, utterance, context, targetValue) + csv/")
sources.add("tatqa", "abstab.sources.tatqa:TatQADataset", aliases=("tat-qa",),
            help="TAT-QA: tatqa_dataset_*.json (table, paragraphs, questions with scale)")


def open_source(source: str, path: Path | str) -> SourceDataset:
    """The registered dataset ``source`` at ``path`` (a file or its folder).

    Raises:
        UnknownNameError: ``source`` is not registered.
        SourceError: ``path`` is missing.
    """
    return sources.get(source)(path)


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
    return open_source(source, path).examples(on_error or _log_error)


def source_license(source: str) -> str:
    """The license a registered dataset is distributed under."""
    return sources.get(source).license


def source_title(source: str) -> str:
    """A registered dataset's name as an attribution line says it."""
    return sources.get(source).title


def source_files(source: str) -> tuple[str, ...]:
    """The file patterns a registered dataset reads from a folder, in preference order (the
    first that matches anything wins, see :func:`find_files`)."""
    return sources.get(source).files


def source_header_rows(source: str) -> int | None:
    """How many leading rows of a registered dataset's tables are header rows, when its format
    fixes it; None when they are to be counted from the content (see
    :attr:`SourceDataset.header_rows`)."""
    return sources.get(source).header_rows


def source_markers(source: str) -> tuple[str, ...]:
    """The file patterns that tell a folder holds a registered dataset."""
    return sources.get(source).markers


def all_source_files(path: Path) -> list[Path]:
    """Every file of any registered dataset in the folder ``path`` (``path`` itself if it is a
    file), inside the folder only: what a fingerprint of the folder covers, whichever dataset
    is read from it."""
    if path.is_file():
        return [path]
    root = dataset_root(path)
    found = set()
    for name in sources.names():
        for pattern in source_files(name):
            for f in path.glob(pattern):
                try:
                    inside(root, f.name)
                except OutsideDatasetError:
                    continue
                found.add(f)
    return sorted(found)


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
