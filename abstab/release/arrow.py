"""Arrow schemas derived from the records' JSON Schemas, and rows to and from records.

The release's parquet columns are the record fields themselves, typed from the same JSON Schema
that is committed in ``abstab/schemas`` (so a field another stage adds to a record reaches the
release without code here changing). Parquet has no union type: a field whose schema allows
several non-null types (``Answer.value``: number, string, bool or list) or a free-form mapping
is stored as a JSON string, and its arrow field carries ``abstab.encoding = json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pyarrow as pa

JSON_ENCODING = {b"abstab.encoding": b"json"}
_SCALARS = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(),
            "boolean": pa.bool_()}


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _field(name: str, node: dict[str, Any], defs: dict[str, Any], nullable: bool) -> pa.Field:
    node = _resolve(node, defs)
    if "anyOf" in node:
        options = [_resolve(o, defs) for o in node["anyOf"]]
        non_null = [o for o in options if o.get("type") != "null"]
        if len(non_null) == 1:
            return _field(name, non_null[0], defs, True)
        return pa.field(name, pa.string(), True, metadata=JSON_ENCODING)
    kind = node.get("type")
    if kind == "object" and "properties" in node:
        required = set(node.get("required", ()))
        children = [_field(k, v, defs, k not in required or _has_default(v))
                    for k, v in node["properties"].items()]
        return pa.field(name, pa.struct(children), nullable)
    if kind == "object":  # a free mapping (dict[str, X]): no fixed columns
        return pa.field(name, pa.string(), nullable, metadata=JSON_ENCODING)
    if kind == "array":
        inner = _field("item", node.get("items", {}), defs, True)
        if inner.metadata:  # a list of unions: encode the whole list
            return pa.field(name, pa.string(), nullable, metadata=JSON_ENCODING)
        return pa.field(name, pa.list_(inner), nullable)
    if kind in _SCALARS:
        return pa.field(name, _SCALARS[kind], nullable)
    raise ValueError(f"field {name!r}: JSON Schema node {node} has no arrow type; "
                     "give the record field a concrete type")


def _has_default(node: dict[str, Any]) -> bool:
    return "default" in node


def schema_from_json_schema(schema: dict[str, Any]) -> pa.Schema:
    """The arrow schema of a record type, from its JSON Schema (the committed one)."""
    defs = schema.get("$defs", {})
    required = set(schema.get("required", ()))
    fields = [_field(k, v, defs, k not in required or _has_default(v))
              for k, v in schema["properties"].items()]
    return pa.schema(fields)


def _convert(value: Any, field: pa.Field, leaf: Callable[[Any], Any]) -> Any:
    """``value`` walked along ``field``'s type, ``leaf`` applied to each JSON-encoded part."""
    if value is None:
        return None
    if field.metadata == JSON_ENCODING:
        return leaf(value)
    t = field.type
    if pa.types.is_struct(t):
        return {t.field(i).name: _convert(value.get(t.field(i).name), t.field(i), leaf)
                for i in range(t.num_fields)}
    if pa.types.is_list(t):
        return [_convert(v, t.value_field, leaf) for v in value]
    return value


def whole_numbers_as_int(value: Any) -> Any:
    """``value`` with every whole float made an int: records hold numbers as floats, the
    release shows ``2019`` as ``2019``, not ``2019.0`` (the same JSON number)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [whole_numbers_as_int(v) for v in value]
    if isinstance(value, dict):
        return {k: whole_numbers_as_int(v) for k, v in value.items()}
    return value


def _encode(value: Any, field: pa.Field) -> Any:
    return _convert(value, field, lambda v: json.dumps(whole_numbers_as_int(v),
                                                       ensure_ascii=False, sort_keys=True))


def _decode(value: Any, field: pa.Field) -> Any:
    return _convert(value, field, json.loads)


def encode_row(data: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    """A record's ``model_dump(mode="json")`` (plus release columns) → one arrow row."""
    return {f.name: _encode(data.get(f.name), f) for f in schema}


def decode_row(row: dict[str, Any], schema: pa.Schema, fields: list[str] | None = None
               ) -> dict[str, Any]:
    """One arrow row → plain JSON data; ``fields`` keeps only those columns (the record's)."""
    names = fields if fields is not None else schema.names
    return {n: _decode(row.get(n), schema.field(n)) for n in names if n in schema.names}

