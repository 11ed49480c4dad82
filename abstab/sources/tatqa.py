"""TAT-QA: ``tatqa_dataset_*.json``, a list of contexts (table, paragraphs, questions).

Answers are given as a list of spans (span, multi-span), a number (arithmetic) or a number or
string (count); they become strings here, and the original value stays in ``meta["answer"]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from abstab.sources import ErrorHook, SourceDataset, SourceError, SourceExample


def answer_strings(answer: Any) -> list[str]:
    """TAT-QA's answer field as a list of strings (numbers without a trailing ``.0``)."""
    values = answer if isinstance(answer, list) else [answer]
    out = []
    for v in values:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        out.append(str(v))
    return out


def _context_examples(ctx: dict[str, Any], where: str, license_: str,
                      on_error: ErrorHook) -> Iterator[SourceExample]:
    table_obj = ctx.get("table") or {}
    grid = table_obj.get("table")
    table_uid = table_obj.get("uid")
    if not table_uid or not isinstance(grid, list) or not grid or not all(
            isinstance(r, list) for r in grid):
        on_error(where, "context without a table uid or a 2-D table list")
        return
    width = max(len(r) for r in grid)
    table = [[str(c) for c in r] + [""] * (width - len(r)) for r in grid]
    paras = sorted(ctx.get("paragraphs") or [], key=lambda p: int(p.get("order", 0)))
    paragraphs = [str(p.get("text", "")) for p in paras]
    for q in ctx.get("questions") or []:
        qid = q.get("uid") or f"{where}/q{q.get('order')}"
        if not q.get("question") or "answer" not in q:
            on_error(qid, "question without text or answer")
            continue
        answers = answer_strings(q["answer"])
        if not any(a.strip() for a in answers):
            on_error(qid, "empty answer")
            continue
        yield SourceExample(
            source="tatqa", example_id=str(qid), doc_id=str(table_uid),
            question=str(q["question"]).strip(), answers=answers,
            table=[list(r) for r in table], paragraphs=list(paragraphs),
            meta={"answer_type": q.get("answer_type"), "answer_from": q.get("answer_from"),
                  "scale": q.get("scale") or "", "derivation": q.get("derivation") or "",
                  "answer": q["answer"], "rel_paragraphs": list(q.get("rel_paragraphs") or []),
                  "req_comparison": bool(q.get("req_comparison", False)),
                  "paragraph_uids": [str(p.get("uid", "")) for p in paras]},
            license=license_,
        )


class TatQADataset(SourceDataset):
    """TAT-QA: ``tatqa_dataset_*.json`` files (``*.shared.json`` and ``*.holdout.json`` names
    too), each a JSON list of contexts: a table, its paragraphs and questions."""

    name = "tatqa"
    title = "TAT-QA"
    license = "CC BY 4.0"
    what = "TAT-QA dataset JSON"
    files = ("tatqa_dataset_*.json", "*.shared.json", "*.holdout.json", "*.json")
    markers = ("tatqa_dataset_*.json", "*.shared.json", "*.holdout.json")

    @classmethod
    def is_data_file(cls, path: Path) -> bool:
        return path.suffix == ".json"

    def examples(self, on_error: ErrorHook) -> Iterator[SourceExample]:
        yield from _examples(self.data_files(on_error), self.license, on_error)


def _examples(files: list[Path], license_: str, on_error: ErrorHook) -> Iterator[SourceExample]:
    for file in files:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(f"{file}: not a readable TAT-QA JSON file ({exc}); give a "
                              f"tatqa_dataset_*.json file from NExTplusplus/TAT-QA") from exc
        if not isinstance(data, list):
            raise SourceError(f"{file}: a TAT-QA file is a JSON list of contexts (table, "
                              f"paragraphs, questions), got {type(data).__name__}")
        for i, ctx in enumerate(data):
            if not isinstance(ctx, dict):
                on_error(f"{file}[{i}]", "context is not an object")
                continue
            yield from _context_examples(ctx, f"{file}[{i}]", license_, on_error)
