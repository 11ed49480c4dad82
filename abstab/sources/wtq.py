"""WikiTableQuestions: ``questions.tsv`` (id, utterance, context, targetValue) and ``csv/``.

Tables are read from the normalised ``.tsv`` beside each ``.csv`` (the file WTQ's own evaluator
reads; fields escaped as ``\\n``, ``\\p`` for ``|``, ``\\\\``), falling back to the ``.csv``
(quotes escaped with a backslash).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from abstab.sources import ErrorHook, SourceDataset, SourceError, SourceExample, inside

_COLUMNS = ("id", "utterance", "context", "targetValue")
_ESCAPE = re.compile(r"\\(.)")


def unescape(field: str) -> str:
    r"""WTQ's field escaping: ``\n`` newline, ``\p`` pipe, ``\\`` backslash."""
    return _ESCAPE.sub(lambda m: {"n": "\n", "p": "|", "\\": "\\"}.get(m.group(1), m.group(0)),
                       field)


def split_targets(value: str) -> list[str]:
    """``targetValue`` holds several answers separated by unescaped ``|``."""
    return [unescape(v) for v in re.split(r"(?<!\\)\|", value)] if value else []


def read_table(root: Path, context: str) -> list[list[str]]:
    """One WTQ table, header row first, every row padded to the widest row.

    Args:
        root: the dataset folder (resolved); nothing outside it is read.
        context: the table's path as ``questions.tsv`` gives it (``csv/200-csv/1.csv``).

    Raises:
        OutsideDatasetError: ``context`` (or the ``.tsv`` beside it) leaves ``root``.
        OSError, ValueError, csv.Error: the table is missing, empty or unreadable.
    """
    path = inside(root, context)
    tsv = inside(root, str(PurePosixPath(context.replace("\\", "/")).with_suffix(".tsv")))
    if tsv.is_file():
        lines = tsv.read_text(encoding="utf-8").splitlines()
        rows = [[unescape(c) for c in line.split("\t")] for line in lines if line]
    elif path.is_file():
        with path.open(encoding="utf-8", newline="") as fh:
            rows = [list(r) for r in csv.reader(fh, escapechar="\\", doublequote=False) if r]
    else:
        raise FileNotFoundError(f"table file {path} (nor {tsv.name}) not found")
    if not rows:
        raise ValueError(f"table file {path} is empty")
    width = max(len(r) for r in rows)
    return [list(r) + [""] * (width - len(r)) for r in rows]


class WTQDataset(SourceDataset):
    """WikiTableQuestions: ``questions*.tsv`` (id, utterance, context, targetValue) beside
    ``csv/``; each question's table is the file its ``context`` names, inside the folder."""

    name = "wtq"
    title = "WikiTableQuestions"
    license = "CC BY-SA 4.0"
    what = "WTQ questions TSV"
    files = ("questions.tsv", "questions*.tsv", "*.tsv")
    markers = ("questions*.tsv",)
    header_rows = 1  # a WTQ table is a CSV whose first line, and only it, is the header

    @classmethod
    def is_data_file(cls, path: Path) -> bool:
        return path.suffix == ".tsv" and (path.parent / "csv").is_dir()

    def examples(self, on_error: ErrorHook) -> Iterator[SourceExample]:
        yield from _examples(self.data_files(on_error), self.root, self.license, on_error)


def _examples(files: list[Path], root: Path, license_: str,
              on_error: ErrorHook) -> Iterator[SourceExample]:
    tables: dict[str, list[list[str]] | str] = {}
    for qfile in files:
        with qfile.open(encoding="utf-8") as fh:
            header = fh.readline().rstrip("\n").split("\t")
            if tuple(header[:4]) != _COLUMNS:
                raise SourceError(f"{qfile}: not a WTQ questions file: the first line must be "
                                  f"the columns {' '.join(_COLUMNS)}, got {header[:4]}")
            for lineno, line in enumerate(fh, 2):
                line = line.rstrip("\n")
                if not line.strip():
                    continue
                fields = line.split("\t")
                where = f"{qfile}:{lineno}"
                if len(fields) != 4:
                    on_error(where, f"expected 4 tab-separated fields, got {len(fields)}")
                    continue
                ex_id, utterance, context, target = fields
                if context not in tables:
                    try:
                        tables[context] = read_table(root, context)
                    except (OSError, ValueError, csv.Error) as exc:
                        tables[context] = str(exc)
                table = tables[context]
                if isinstance(table, str):
                    on_error(f"{ex_id} ({where})", table)
                    continue
                answers = split_targets(target)
                if not utterance.strip() or not answers:
                    on_error(f"{ex_id} ({where})", "empty question or answer")
                    continue
                yield SourceExample(
                    source="wtq", example_id=ex_id, doc_id=context,
                    question=unescape(utterance).strip(), answers=answers,
                    table=[list(r) for r in table], paragraphs=[],
                    meta={"context": context}, license=license_,
                )
