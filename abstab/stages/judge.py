"""judge: which tables have abstract headers, and which header cells are they?"""

from __future__ import annotations

from typing import Any, Self

from pydantic import model_validator

from abstab.config import StageSettings
from abstab.executors import Unit
from abstab.records import Judgment, Table
from abstab.stages.base import Stage
from abstab.store import UnitResult


class JudgeSettings(StageSettings):
    """Settings of the judge stage.

    Args:
        concurrency: tables judged at once (useful with LLM backends).
    """

    concurrency: int = 1

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {self.concurrency}")
        return self


class JudgeStage(Stage):
    name = "judge"
    consumes = ("documents", "tables")
    produces = ("judgments",)
    counted = "judgments"
    progress_unit = "table"
    settings_cls = JudgeSettings
    uses_backend = True

    def load(self) -> None:
        # Indexes, not lists: a table and its document are read when their unit runs.
        self.docs = self.index_of("documents", "doc_id")
        self.tables = self.index_of("tables", "table_id")

    def units(self) -> list[Unit]:
        return [Unit(tid) for tid in self.tables]

    def process(self, unit: Unit) -> UnitResult:
        table: Table = self.tables[unit.id]
        result = UnitResult()
        out = self.call_backend(result, table.table_id, self.backend.judge, table,
                                self.docs.get(table.doc_id))
        if out is None:
            return result
        judgment = Judgment(
            table_id=table.table_id, doc_id=table.doc_id, label=out.label,
            keywords=[k.model_dump() for k in out.keywords], reasons=out.reasons,
            confidence=out.confidence, provenance=self.provenance(**self.backend.provenance("judge")),
        )
        problems = judgment.check_against(table)
        if problems:  # a keyword that is not a header is rejected, the rest is kept
            for _, why in problems:
                result.drop(table.table_id, "keyword_not_header", why, failure=False,
                            counted=False)
            bad = [id(k) for k, _ in problems]
            judgment.keywords = [k for k in judgment.keywords if id(k) not in bad]
            if judgment.label == "abstract" and not judgment.keywords:
                judgment.label = "clear"
        result.add("judgments", judgment)
        result.stats[f"label.{judgment.label}"] += 1
        result.stats["keywords"] += len(judgment.keywords)
        return result

    def summary_lines(self, stats: dict[str, Any]) -> list[str]:
        c = stats.get("counts", {})
        return [(f"{c.get('label.abstract', 0)} abstract, {c.get('label.clear', 0)} clear, "
                f"{c.get('label.not_table', 0)} not tables; {c.get('keywords', 0)} abstract headers")]
