"""The rules judge: is a table clear, abstract, or not a table at all?"""

from __future__ import annotations

import re

from abstab.core.headers import classify
from abstab.llm.tasks import JudgeOutput, KeywordOut
from abstab.records import Table

_FIGURE_CAPTION = re.compile(r"^\s*(fig\.?|figure|chart|diagram|graph|map)\b", re.IGNORECASE)
_NUMBER = re.compile(r"^[\s(]*[-−–+]?[\d.,]+\s*%?[)\s]*$")


def _body_numeric_ratio(table: Table) -> float:
    cells = [c for row in table.rows for c in row[1:] if c.strip()]
    return sum(bool(_NUMBER.match(c)) for c in cells) / len(cells) if cells else 0.0


def not_table_reasons(table: Table) -> list[str]:
    """Signs that a detected grid is a figure, a diagram or page furniture, not a table."""
    reasons = []
    if table.caption and _FIGURE_CAPTION.match(table.caption):
        reasons.append(f"caption says figure: {table.caption[:40]!r}")
    if table.quality.rows < 2 or table.quality.cols < 2:
        reasons.append(f"grid too small ({table.quality.rows}x{table.quality.cols})")
    if table.quality.empty_ratio > 0.6:
        reasons.append(f"mostly empty cells ({table.quality.empty_ratio:.0%})")
    if table.n_header_rows == 0 and _body_numeric_ratio(table) == 0 and table.quality.rows <= 3:
        reasons.append("no header row and no numbers")
    return reasons


def judge_table(table: Table) -> JudgeOutput:
    reasons = not_table_reasons(table)
    if reasons:
        return JudgeOutput(label="not_table", reasons=reasons, confidence=0.8)
    keywords: list[KeywordOut] = []
    for cell in table.cells:
        if not cell.header:
            continue
        feats = classify(cell.text)
        if feats.style != "natural" and feats.keyword and feats.keyword in cell.text:
            keywords.append(KeywordOut(keyword=feats.keyword, row=cell.row, col=cell.col,
                                       style=feats.style, score=feats.score))
    if not keywords:
        return JudgeOutput(label="clear", reasons=["every header is ordinary words or numbers"],
                           confidence=0.7)
    return JudgeOutput(
        label="abstract",
        keywords=keywords,
        reasons=[f"{k.keyword!r}: {k.style}" for k in keywords],
        confidence=max(k.score for k in keywords),
    )
