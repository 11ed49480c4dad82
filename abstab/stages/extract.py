"""extract: PDFs → Document and Table records, one isolated worker process per file at a time.

A crash or hang of the PDF library on one file costs only that file: each file runs in a
worker of the run's executor (a pebble process, or a Ray task) with a timeout, and a dead
worker is replaced.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self

from pydantic import Field, model_validator

from abstab.config import Number, StageSettings
from abstab.errors import ConfigError, InputError
from abstab.executors import FileOutcome, Unit
from abstab.records import Document, Provenance, Table
from abstab.stages.base import Stage
from abstab.store import UnitResult


class ExtractStageSettings(StageSettings):
    """Settings of the extract stage.

    Args:
        inputs: PDF files or directories (searched recursively for *.pdf).
        engine: extraction engine name (``abstab engines list``).
        timeout: seconds one PDF may take before its worker is killed.
        workers: worker processes.
        files_per_worker: files a worker process reads before it is replaced by a fresh one
            (0: never), which keeps memory flat over a long run at the cost of a process start
            (about 0.3 s) per that many files.
        max_worker_memory: the most memory (bytes, or a size such as ``"2GiB"``, ``"512MiB"``)
            one file's extraction may use; a file that needs more is skipped with reason
            ``memory`` (a decompression bomb, a page of millions of paths). 0: no limit.
        engine_settings: passed to the engine's settings.
    """

    inputs: list[str] = Field(default_factory=list)
    engine: str = "auto"
    timeout: Number = 120.0
    workers: int = 1
    files_per_worker: int = 10
    max_worker_memory: int | str = "2GiB"
    engine_settings: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {self.timeout}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if self.files_per_worker < 0:
            raise ValueError(f"files_per_worker must be >= 0 (0: never replace), "
                             f"got {self.files_per_worker}")
        self.max_worker_memory = parse_size(self.max_worker_memory, "max_worker_memory")
        return self


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2,
          "mib": 1024**2, "g": 1000**3, "gb": 1000**3, "gib": 1024**3}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*")


def parse_size(value: int | str, name: str) -> int:
    """Bytes from an integer or a size such as ``2GiB``, ``512MiB``, ``1.5GB`` (0: no limit).

    Raises:
        ConfigError: not a size; the message names the setting and the accepted forms.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    m = _SIZE.fullmatch(value.lower()) if isinstance(value, str) else None
    if m is None or m.group(2) not in _UNITS:
        raise ConfigError(f"extract setting {name}={value!r} is not a size; use bytes or a "
                          f"number with KiB, MiB, GiB (or KB, MB, GB), e.g. 2GiB; 0: no limit")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def discover(inputs: Iterable[str]) -> list[Unit]:
    """One unit per PDF; a missing path or a directory without PDFs is a unit that fails."""
    units: list[Unit] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            pdfs = sorted(p for p in path.rglob("*") if p.suffix.lower() == ".pdf" and p.is_file())
            if not pdfs:
                units.append(Unit(f"missing:{raw}", InputError(
                    f"{raw}: directory contains no .pdf files; point to a folder of PDFs",
                    reason="no_pdfs", path=raw)))
            root = path.resolve()
            for p in pdfs:
                if p.resolve().is_relative_to(root):
                    units.append(Unit(str(p.resolve()), p))
                else:  # a link out of the folder named: never read what it points to
                    units.append(Unit(f"outside:{p}", InputError(
                        f"{p}: a link to a file outside {raw}; copy the PDF into the folder "
                        f"or name it on the command line", reason="outside_folder", path=str(p))))
        elif path.exists():
            units.append(Unit(str(path.resolve()), path))
        else:
            units.append(Unit(f"missing:{raw}", InputError(
                f"{raw}: no such file or directory; check the path", reason="not_found",
                path=raw)))
    return list({u.id: u for u in units}.values())  # a file named twice is one unit


def _extract_in_worker(path: str, engine: str, engine_settings: dict[str, Any],
                       provenance: dict[str, Any]) -> tuple[str, Any]:
    """Runs in the worker process; returns plain JSON-able data."""
    from abstab.extract import extract_pdf
    from abstab.extract.pdf import out_of_memory
    from abstab.extract.settings import ExtractSettings

    try:
        settings = ExtractSettings.resolve({"engine": engine, **engine_settings})
        doc, tables = extract_pdf(Path(path), settings, Provenance(**provenance))
    except InputError as exc:
        return "input_error", {"reason": exc.reason, "message": str(exc)}
    except Exception as exc:
        if out_of_memory(exc):  # MuPDF's failed malloc: the executor reports it as memory
            raise MemoryError(str(exc)) from None
        raise
    return "ok", (doc.model_dump_json(), [t.model_dump_json() for t in tables])


def _warm_worker() -> None:
    """Import the extraction code in a worker once, before it forks a child per file."""
    import abstab.extract.engines
    import abstab.extract.grid
    import abstab.extract.layout
    import abstab.extract.notes
    import abstab.extract.tables
    import abstab.extract.unruled  # noqa: F401
    from abstab.extract.pdf import import_pymupdf

    import_pymupdf()


_extract_in_worker.warm = _warm_worker  # type: ignore[attr-defined]


class ExtractStage(Stage):
    name = "extract"
    produces = ("documents", "tables")
    external = "pdfs"
    shape = "file"  # each PDF in an isolated worker of the executor, with a timeout
    counted = "documents"
    progress_unit = "PDF"
    file_worker = staticmethod(_extract_in_worker)
    settings_cls = ExtractStageSettings
    speed_settings = (*Stage.speed_settings, "files_per_worker", "max_worker_memory")

    def hash_inputs(self) -> dict[str, Any]:
        # Which files, and their sizes/mtimes, decide the output; not where the work dir is.
        out = super().hash_inputs()
        out["files"] = sorted(
            (u.id, *(_stat(u.payload) if isinstance(u.payload, Path) else ()))
            for u in discover(self.settings.inputs)
        )
        return out

    def check(self) -> None:
        if not self.settings.inputs:
            raise ConfigError("extract needs input PDFs: abstab extract PDFS... -o WORK")
        from abstab.registry import engines

        engines.canonical(self.settings.engine)  # fail early with "did you mean"
        found = discover(self.settings.inputs)
        if not any(isinstance(u.payload, Path) for u in found):  # nothing at all to extract
            raise ConfigError("no PDF to extract: " + "; ".join(str(u.payload) for u in found))

    def load(self) -> None:
        self.seen_docs = {d.doc_id for d in self.dir.read("documents", Document)}
        self.child_provenance = self.provenance(engine=self.settings.engine).model_dump()

    def units(self) -> list[Unit]:
        """One unit per PDF; with more than one worker the largest files go first, so that no
        worker is left alone with a long one at the end."""
        units = discover(self.settings.inputs)
        if self.settings.workers > 1:
            units.sort(key=lambda u: -_size(u.payload) if isinstance(u.payload, Path) else 0)
        return units

    def process(self, unit: Unit) -> UnitResult:
        """A path that is missing, or a folder without PDFs: its error, no child."""
        error: InputError = unit.payload
        return self._failed(unit, error.reason, str(error))

    def file_args(self, unit: Unit) -> tuple[Any, ...] | None:
        if not isinstance(unit.payload, Path):
            return None
        return (str(unit.payload), self.settings.engine, self.settings.engine_settings,
                self.child_provenance)

    def file_limits(self, files: int) -> dict[str, Any]:
        return {"workers": min(self.settings.workers, files), "timeout": self.settings.timeout,
                "files_per_worker": self.settings.files_per_worker,
                "memory_limit": self.settings.max_worker_memory}

    def file_result(self, unit: Unit, out: FileOutcome) -> UnitResult:
        timeout = self.settings.timeout
        if out.status == "timeout":
            return self._failed(unit, "timeout", f"{unit.id}: extraction took longer than "
                                f"{timeout:g}s and was stopped; raise --timeout or check "
                                f"the file")
        if out.status == "memory":
            limit = self.settings.max_worker_memory
            return self._failed(unit, "memory", f"{unit.id}: extraction needed more than the "
                                f"worker memory limit of {limit / 2**20:g} MiB "
                                f"({out.message}) and was stopped; raise "
                                f"--max-worker-memory if the file is genuine")
        if out.status == "crash":
            return self._failed(unit, "crash", f"{unit.id}: the PDF library crashed on this "
                                f"file ({out.message}); the file is skipped")
        if out.status == "error":
            return self._failed(unit, "extract_error", f"{unit.id}: {out.message}")
        if out.value[0] == "input_error":
            return self._failed(unit, out.value[1]["reason"], out.value[1]["message"])
        return self._accepted(unit, *out.value[1])

    def _failed(self, unit: Unit, reason: str, message: str) -> UnitResult:
        result = UnitResult()
        result.drop(unit.id.removeprefix("missing:"), reason, message)
        return result

    def _accepted(self, unit: Unit, doc_json: str, table_jsons: list[str]) -> UnitResult:
        result = UnitResult()
        doc = Document.model_validate_json(doc_json)
        if doc.doc_id in self.seen_docs:
            result.drop(unit.id, "duplicate", f"{unit.id}: same content as a PDF already "
                        f"extracted (doc_id {doc.doc_id})", failure=False)
            return result
        self.seen_docs.add(doc.doc_id)
        result.add("documents", doc)
        for tj in table_jsons:
            result.add("tables", Table.model_validate_json(tj))
        result.stats["tables"] += len(table_jsons)
        result.stats["pages"] += doc.pages
        if doc.scanned_pages:
            result.stats["scanned_pages"] += len(doc.scanned_pages)
        return result

    def summary_lines(self, stats: dict[str, Any]) -> list[str]:
        c = stats.get("counts", {})
        return [(f"{stats['kept']} documents, {c.get('pages', 0)} pages, "
                f"{c.get('tables', 0)} tables")]


def _stat(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, int(st.st_mtime)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
