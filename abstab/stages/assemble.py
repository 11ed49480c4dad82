"""assemble: validate, deduplicate and split the generated items into the dataset.

Splits are by document (every item of a document lands in the same split): documents are
ordered by a salted hash of their doc_id and cut by the split fractions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from abstab.config import stable_hash
from abstab.records import Document, QAItem, Table
from abstab.stages.base import Stage, Unit
from abstab.store import StageDir, UnitResult

SPLITS = ("train", "validation", "test")


@dataclass
class AssembleSettings:
    """Settings of the assemble stage.

    Args:
        splits: fraction of documents per split (train, validation, test), summing to 1.
        seed: salt of the document hash that assigns splits.
    """

    splits: dict[str, float] = field(
        default_factory=lambda: {"train": 0.6, "validation": 0.2, "test": 0.2})
    seed: str = "0"

    def __post_init__(self) -> None:
        bad = sorted(set(self.splits) - set(SPLITS))
        if bad:
            raise ValueError(f"unknown split(s) {bad}; allowed: {list(SPLITS)}")
        total = sum(self.splits.values())
        if abs(total - 1) > 1e-6 or any(v < 0 for v in self.splits.values()):
            raise ValueError(f"split fractions must be >= 0 and sum to 1, got {self.splits}")


def assign_splits(doc_ids: list[str], fractions: dict[str, float], seed: str) -> dict[str, str]:
    """Documents → split. Documents are ordered by a salted hash and cut by the fractions
    (largest remainder), so every split with a share gets a document when there are enough."""
    docs = sorted(set(doc_ids), key=lambda d: stable_hash([seed, d]))
    names = [s for s in SPLITS if fractions.get(s, 0) > 0]
    quotas = {s: fractions[s] * len(docs) for s in names}
    counts = {s: int(q) for s, q in quotas.items()}
    for s in sorted(names, key=lambda s: -(quotas[s] - counts[s]))[:len(docs) - sum(counts.values())]:
        counts[s] += 1
    out, i = {}, 0
    for s in names:
        for d in docs[i:i + counts[s]]:
            out[d] = s
        i += counts[s]
    return out


def _norm(text: str) -> str:
    return " ".join(text.split())


def grounding_problem(item: QAItem, tables: dict[str, Table], docs: dict[str, Document]) -> str | None:
    """Why the item's gold answer is not where the item says it is (None when it is)."""
    if item.doc_id not in docs:
        return f"unknown document {item.doc_id}"
    if item.answer_location == "unanswerable":
        return None if item.answer.type == "none" else "unanswerable item with an answer"
    if item.answer_location == "text":
        blocks = {b.block_id: b for b in docs[item.doc_id].blocks}
        if not any(item.answer.text in _norm(blocks[b].text) for b in item.evidence.blocks if b in blocks):
            return "answer not in its evidence blocks"
        return None
    table = tables.get(item.table_id or "")
    if table is None:
        return f"unknown table {item.table_id}"
    for r, c in item.evidence.cells:
        body = r - table.n_header_rows
        if 0 <= body < len(table.rows) and c < len(table.rows[body]) and \
                _norm(table.rows[body][c]) == item.answer.text:
            return None
    return "answer not in its evidence cell"


class AssembleStage(Stage):
    name = "assemble"
    upstream = ("extract", "generate")
    outputs = ("items", "tables")
    settings_cls = AssembleSettings

    def load(self) -> None:
        ex = StageDir(self.work, "extract", ())
        gen = StageDir(self.work, "generate", ())
        self.docs = {d.doc_id: d for d in ex.read("documents", Document)}
        self.tables = {t.table_id: t for t in ex.read("tables", Table)}
        self.tables.update({t.table_id: t for t in gen.read("tables", Table)})
        self.items = list(gen.read("items", QAItem))

    def units(self) -> list[Unit]:
        return [Unit("dataset")]

    def process(self, unit: Unit) -> UnitResult:
        result = UnitResult()
        kept: dict[str, QAItem] = {}
        seen_questions: dict[tuple[str, str | None, str], str] = {}
        for item in self.items:
            result.stats["in"] += 1
            problem = grounding_problem(item, self.tables, self.docs)
            if problem:
                result.drop(item.item_id, "ungrounded", problem)
                continue
            key = (item.doc_id, item.table_id, _norm(item.question).lower())
            if item.item_id in kept or key in seen_questions:
                prior = kept[seen_questions.get(key, item.item_id)]
                if prior.pair_id is None and item.pair_id is not None:  # keep the paired one
                    kept[prior.item_id] = item.model_copy(update={"item_id": prior.item_id})
                result.drop(item.item_id, "duplicate", "same question on the same table",
                            failure=False)
                continue
            seen_questions[key] = item.item_id
            kept[item.item_id] = item
        used_tables: set[str] = set()
        splits = assign_splits([i.doc_id for i in kept.values()], self.settings.splits,
                               self.settings.seed)
        for item in kept.values():
            split = splits[item.doc_id]
            out = item.model_copy(update={"split": split})  # provenance stays the generator's
            result.add("items", QAItem.model_validate(out.model_dump()))
            result.stats["kept"] += 1
            result.stats[f"split.{split}"] += 1
            result.stats[f"location.{item.answer_location}"] += 1
            result.stats[f"style.{item.abstraction.style}"] += 1
            if item.table_id:
                used_tables.add(item.table_id)
        for tid in sorted(used_tables):
            result.add("tables", self.tables[tid])
        return result

    def summary_lines(self, stats: dict[str, Any]) -> list[str]:
        c = stats.get("counts", {})
        return [f"{stats['kept']} items: " + ", ".join(
            f"{c.get('split.' + s, 0)} {s}" for s in SPLITS)]
