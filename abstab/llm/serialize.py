"""Compact text views of records for prompts: document blocks and passages (tables are
serialized by :func:`abstab.core.serialize.serialize`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from abstab.core.normalize import squash
from abstab.core.serialize import serialize
from abstab.llm.tasks import GenerateRequest, Passage
from abstab.records import Block, Document, Table


def _mentions(keyword: str) -> re.Pattern[str]:
    escaped = re.escape(keyword.strip())
    if re.match(r"\w", keyword.strip()) and re.search(r"\w$", keyword.strip()):
        return re.compile(rf"(?<!\w){escaped}(?!\w)")
    return re.compile(escaped)


def _clip(text: str, limit: int) -> str:
    text = squash(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _block_line(block: Block, pattern: re.Pattern[str] | None, max_block: int) -> str:
    """``[block_id, p.N] text``, the text cut to ``max_block`` characters around the first
    match of ``pattern`` (else from its start)."""
    text = squash(block.text)
    m = pattern.search(text) if pattern else None  # on the squashed text it is cut from
    if len(text) > max_block:
        centre = m.start() if m else 0
        start = max(0, min(centre - max_block // 3, len(text) - max_block))
        text = ("…" if start else "") + text[start:start + max_block] + "…"
    return f"[{block.block_id}, p.{block.page}] {text}"


def _fill(lines: Iterable[str], max_chars: int) -> list[str]:
    """The first lines that fit in ``max_chars`` (the first one always)."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) > max_chars and kept:
            break
        kept.append(line)
        used += len(line) + 1
    return kept


def document_context(doc: Document | None, *, keyword: str | None = None,
                     table: Table | None = None, max_chars: int = 2500,
                     max_block: int = 400, skip: Collection[str] = ()) -> str:
    """Blocks of ``doc`` relevant to ``keyword``, each as ``[block_id, p.N] text``.

    Blocks mentioning the keyword come first (those near the table before the others), then
    the blocks near the table, until ``max_chars``.

    Args:
        doc: the document (``None`` gives a placeholder line).
        keyword: the header text to look for.
        table: its table, for the nearby blocks.
        max_chars: total budget.
        max_block: characters per block, centred on the first mention.
        skip: ids of blocks shown elsewhere in the prompt (the retrieved passages).

    Returns:
        One block per line.
    """
    if doc is None:
        return "(no document text available)"
    nearby = list(table.nearby_block_ids) if table is not None else []
    rank = {bid: i for i, bid in enumerate(nearby)}
    pattern = _mentions(keyword) if keyword and keyword.strip() else None
    chosen: list[tuple[int, int, int, str]] = []
    for b in doc.blocks:
        if b.kind in ("running_header", "running_footer", "page_number") or b.block_id in skip:
            continue
        m = pattern.search(b.text) if pattern else None
        if m is None and b.block_id not in rank:
            continue
        chosen.append((0 if m else 1, rank.get(b.block_id, len(rank)), b.order,
                       _block_line(b, pattern, max_block)))
    chosen.sort()
    lines = _fill((line for *_, line in chosen), max_chars)
    return "\n".join(lines) if lines else "(no block of the document mentions it)"


def retrieved_context(passages: Sequence[Passage], doc: Document, *, keyword: str,
                      max_chars: int = 3000, max_block: int = 400, max_table: int = 240) -> str:
    """The passages retrieval found about ``keyword``, in its order: text blocks as
    ``[block_id, p.N] text`` (cut around the keyword), the document's other tables as
    ``[table_id] (table, p.N) caption: header | header …``, until ``max_chars``."""
    blocks = {b.block_id: b for b in doc.blocks}
    pattern = _mentions(keyword) if keyword.strip() else None
    lines = []
    for p in passages:
        if p.kind == "text" and p.id in blocks:
            lines.append(_block_line(blocks[p.id], pattern, max_block))
            continue
        t = p.table
        text = p.text
        if t is not None:  # its distinct header texts, in reading order, after its caption
            heads = dict.fromkeys(c.text for c in t.cells if c.header and c.text.strip())
            text = (f"{t.caption}: " if t.caption else "") + " | ".join(heads)
        where = f"{p.kind}, p.{t.pages[0]}" if t is not None and t.pages else p.kind
        lines.append(f"[{p.id}] ({where}) {_clip(text, max_table)}")
    kept = _fill(lines, max_chars)
    return "\n".join(kept) if kept else "(retrieval found no passage)"


def codes_note(request: GenerateRequest) -> str:
    """What the question writer must know of the codes the report prints: the table it is
    given is de-abstracted, so the columns and rows whose printed header or label is a code
    show the code's meaning (ask by it, never by the code), and rows whose label is a code
    with no known meaning may not be named at all."""
    columns = [f"c{c}" for c in request.columns if c in request.abstract_columns]
    rows = [f"r{r}" for r in request.abstract_rows]
    lines = []
    if columns or rows:
        lines.append("Printed in the report as codes, shown here by their meanings: "
                     + ", ".join(columns + rows) + ". Name them by the words shown, never by a "
                     "code" + ("; ask about these columns first" if columns else "")
                     + ("; give about half of the lookups to these rows" if rows else "") + ".")
    if request.unnamed_rows:
        lines.append("Labelled in the report by a code it does not explain: "
                     f"{', '.join(f'r{r}' for r in request.unnamed_rows)}. No question may name "
                     "these rows.")
    return "\n".join(lines) or "No header or row label of this table is printed as a code."


def passages_text(passages: list[Passage], *, max_chars: int = 6000) -> str:
    """Passages as ``[id] (kind) text`` sections, tables in the ``marked`` style of :func:`abstab.core.serialize.serialize`."""
    parts: list[str] = []
    used = 0
    for p in passages:
        body = serialize(p.table, "marked") if p.kind == "table" and p.table is not None else p.text
        part = f"[{p.id}] ({p.kind})\n{body.strip()}"
        if used + len(part) > max_chars and parts:
            parts.append(f"({len(passages) - len(parts)} more passages left out)")
            break
        parts.append(part)
        used += len(part) + 2
    return "\n\n".join(parts) if parts else "(no passages)"


def _type_sketch(node: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    if "enum" in node:
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in node["enum"])
    if "const" in node:
        return json.dumps(node["const"], ensure_ascii=False)
    for key in ("anyOf", "oneOf"):
        if key in node:
            return " | ".join(_type_sketch(n, defs) for n in node[key])
    kind = node.get("type")
    if kind == "object" and "properties" in node:
        return "{" + ", ".join(_field_sketch(name, sub, name in node.get("required", []), defs)
                               for name, sub in node["properties"].items()) + "}"
    if kind == "array":
        return f"list of {_type_sketch(node.get('items', {}), defs)}"
    if kind in ("number", "integer"):
        lo, hi = node.get("minimum"), node.get("maximum")
        if lo is not None and hi is not None:
            return f"{kind} {lo}..{hi}"
        if lo is not None:
            return f"{kind} >= {lo}"
        return str(kind)
    if kind == "null":
        return "null"
    return str(kind or "any")


def _field_sketch(name: str, node: dict[str, Any], required: bool,
                  defs: dict[str, Any]) -> str:
    text = f'"{name}"{"" if required else " (optional)"}: {_type_sketch(node, defs)}'
    if node.get("description"):
        text += f" ({node['description']})"
    return text


def schema_sketch(schema: dict[str, Any]) -> str:
    """A JSON Schema as a short human-readable sketch for the prompt text.

    The full schema goes into the request's ``response_format``; the prompt only needs the
    shape, which costs a small model a third of the tokens of the schema itself.

    Example:
        ``{"label": "clear" | "abstract", "score" (optional): number 0..1}`` becomes one line
        per top-level field inside braces.
    """
    defs = schema.get("$defs", {})
    lines = [_field_sketch(name, sub, name in schema.get("required", []), defs)
             for name, sub in schema.get("properties", {}).items()]
    return "{\n  " + ",\n  ".join(lines) + "\n}"
