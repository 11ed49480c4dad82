"""Export and import of the review's units as a file (``abstab review WORK --export FILE`` /
``--import FILE``), one JSON object per unit: ``{"unit", "id", "proposal", "decision", "value"}``.

The decisions themselves (``WORK/review/decisions.jsonl``) are read and written by
:mod:`abstab.decisions`, which the stages read too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from abstab.decisions import DecisionLog
from abstab.errors import ConfigError
from abstab.records import Decision
from abstab.review.workspace import UNITS, ReviewWorkspace

_EXPORT_KEYS: Final = ("unit", "id", "proposal", "decision", "value")
# An imported line may also name its reviewer (files merged from several people).
_IMPORT_KEYS: Final = frozenset((*_EXPORT_KEYS, "reviewer"))


# ------------------------------------------------------------------------ export / import


def export_units(ws: ReviewWorkspace, path: Path) -> int:
    """Write every unit of the workspace to ``path`` (that file only) for people to decide;
    returns how many."""
    n = 0
    try:
        with Path(path).open("w", encoding="utf-8") as fh:
            for unit, uid, proposal in ws.all_units():
                fh.write(json.dumps({"unit": unit, "id": uid, "proposal": proposal,
                                     "decision": None, "value": None}, ensure_ascii=False)
                         + "\n")
                n += 1
    except OSError as exc:
        raise ConfigError(f"cannot write {path} ({exc.strerror}): name a file in a folder you "
                          f"can write") from None
    return n


@dataclass
class ImportResult:
    decided: int
    undecided: int


def _bad(path: Path, lineno: int, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"{path}:{lineno}: {problem}; {fix}. Nothing was imported.")


def parse_import(ws: ReviewWorkspace, path: Path, reviewer: str) -> tuple[list[Decision], int]:
    """The decisions of an import file, every line checked before any is kept.

    Raises:
        ConfigError: naming ``path:line``, what is wrong and the fix, for the first bad line.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path} ({exc.strerror}): give the file --export wrote, "
                          f"with the decisions set") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _bad(path, line, "not UTF-8 text", "save the file as UTF-8") from None
    decided, undecided = [], 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _bad(path, lineno, f"not JSON ({exc.msg})",
                       "write one JSON object per line, as --export wrote it") from None
        if not isinstance(obj, dict):
            raise _bad(path, lineno, "not a JSON object",
                       "write one JSON object per line, as --export wrote it")
        extra = sorted(set(obj) - _IMPORT_KEYS)
        missing = [k for k in ("unit", "id", "decision") if k not in obj]
        if extra or missing:
            raise _bad(path, lineno, f"unknown key(s) {extra}" if extra else
                       f"missing key(s) {missing}",
                       f"keep the keys {', '.join(_EXPORT_KEYS)}")
        if obj["unit"] not in UNITS:
            raise _bad(path, lineno, f"unit {obj['unit']!r} is not one of {', '.join(UNITS)}",
                       "keep the unit --export wrote")
        if obj["decision"] is None:
            undecided += 1
            continue
        if obj["decision"] not in ("accept", "reject", "edit"):
            raise _bad(path, lineno, f"decision {obj['decision']!r} is not accept, reject, "
                       "edit or null", "set decision to one of them")
        if not isinstance(obj["id"], str):
            raise _bad(path, lineno, f"id {obj['id']!r} is not a string",
                       "keep the id --export wrote")
        try:
            current = ws.proposal(obj["unit"], obj["id"])
        except KeyError:
            raise _bad(path, lineno, f"no {obj['unit']} {obj['id']!r} in {ws.work}",
                       "export the units again from this workspace") from None
        if obj.get("proposal") is not None and obj["proposal"] != current:
            raise _bad(path, lineno, f"the proposal for {obj['unit']} {obj['id']!r} is not "
                       f"what {ws.work} proposes now (its stages were rerun, or the line "
                       f"was edited)", "export again and decide on the new proposal, or set "
                       "proposal to null to decide on the current one")
        if current is None and obj["decision"] != "edit":
            raise _bad(path, lineno, f"{obj['unit']} {obj['id']!r} has no proposal to "
                       f"{obj['decision']}", 'write decision "edit" with the value')
        value = obj.get("value")
        if obj["unit"] == "meaning" and isinstance(value, str):
            # a plain corrected meaning keeps the proposal's category (explicit if it had none)
            category = (current or {}).get("category")
            value = {"meaning": value, "category": category if category not in
                     (None, "unresolvable") else "explicit"}
        try:
            decided.append(Decision.now(unit=obj["unit"], id=obj["id"],
                                        decision=obj["decision"], value=value,
                                        proposal=current,
                                        reviewer=obj.get("reviewer") or reviewer))
        except ValidationError as exc:
            first = exc.errors()[0]
            article = "an" if obj["unit"] == "item" else "a"
            problem = (f"value {obj.get('value')!r} does not fit {article} {obj['unit']} "
                       f"{obj['decision']}" if first["loc"][:1] in ((), ("value",)) else
                       f"{'.'.join(map(str, first['loc']))}: {first['msg']}")
            raise _bad(path, lineno, problem, _VALUE_FIX[obj["unit"]]) from None
    return decided, undecided


_VALUE_FIX: Final = {
    "table": 'a table is "accept" or "reject" (value null, "not_table" or "bad_extraction")',
    "header": 'a header edit has value true (abstract) or false',
    "meaning": 'a meaning edit has value "the meaning" or {"meaning": "...", "category": '
               '"explicit"} ({"meaning": null, "category": "unresolvable"} if none)',
    "item": 'an item is "accept" (kept) or "reject" (dropped), value null',
}


def import_units(ws: ReviewWorkspace, path: Path, reviewer: str) -> ImportResult:
    """Check every line of ``path``, then append its decisions to the workspace's log."""
    decided, undecided = parse_import(ws, path, reviewer)
    DecisionLog(ws.work).append_all(decided)
    return ImportResult(len(decided), undecided)
