"""The release's file layout and column schemas: one place that writer and validator share.

```
RELEASE/
  README.md                 dataset card (YAML front matter: licenses, configs, splits, sizes)
  items/<split>-00000-of-0000N.parquet      QA items          (config `items`, the default)
  tables/<split>-...parquet                 tables            (config `tables`)
  documents/<split>-...parquet              documents' text   (config `documents`)
  pdfs/<doc_id>.pdf         the documents' PDFs, where their license allows
  schemas/*.json            the records' JSON Schemas
  croissant.json            Croissant 1.0 metadata (JSON-LD)
  stats.json                counts, the cleaning funnel, what was left out and why
  figures/*.png             the funnel and the counts, as pictures
  browse.html               a static page to browse the items (no server needed)
  SHA256SUMS                sha256 of every other file (`sha256sum -c SHA256SUMS`)
  .abstab-release           marker: this folder is an abstab release (`--force` may replace it)
```
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pyarrow as pa
import yaml

from abstab.records import json_schema
from abstab.release.arrow import schema_from_json_schema

SPLITS = ("train", "validation", "test")
CHECKSUMS = "SHA256SUMS"
CARD = "README.md"
CROISSANT = "croissant.json"
STATS = "stats.json"
BROWSER = "browse.html"


@dataclass(frozen=True)
class Config:
    """One Hugging Face config of the release: a record kind plus release-only columns."""

    name: str
    record: str  # key of abstab.records.RECORD_TYPES
    key: str  # the id column
    extras: tuple[tuple[pa.Field, str], ...]  # (column, description)
    rows_per_shard: int

    @property
    def record_schema(self) -> dict[str, Any]:
        return _record_schema(self.record)

    @property
    def record_fields(self) -> list[str]:
        return list(self.record_schema["properties"])

    @property
    def arrow_schema(self) -> pa.Schema:
        base = schema_from_json_schema(self.record_schema)
        names = set(base.names)
        for f, _ in self.extras:
            if f.name not in names:
                base = base.append(f)
        return base

    def descriptions(self) -> dict[str, str]:
        """Each column's description: ``fields.yaml``'s, else the JSON Schema's (never the
        schema's title, which is only the field name in title case)."""
        schema = self.record_schema
        defs = schema.get("$defs", {})
        out = {}
        for k, v in schema["properties"].items():
            ref = next((o["$ref"] for o in [v, *v.get("anyOf", ()), *([v["items"]] if "items"
                        in v else [])] if "$ref" in o), None)
            target = defs.get(ref.rsplit("/", 1)[-1], {}) if ref else {}
            out[k] = v.get("description") or target.get("description") or ""
        out.update({f.name: d for f, d in self.extras})
        out.update(field_docs()["columns"].get(self.name, {}))
        return out

    def shard_path(self, split: str, index: int, count: int) -> str:
        return f"{self.name}/{split}-{index:05d}-of-{count:05d}.parquet"


@cache
def _record_schema(kind: str) -> dict[str, Any]:
    return json_schema(kind)


@cache
def field_docs() -> dict[str, Any]:
    """``fields.yaml``: each config's column descriptions and what each enum value means."""
    text = resources.files("abstab.release").joinpath("fields.yaml").read_text("utf-8")
    return yaml.safe_load(text)


_LICENSE = (pa.field("license", pa.string(), False),
            "SPDX id of the license of the item's source document")
_CORPUS = (pa.field("corpus", pa.string(), False),
           "the source the document came from (see the card's sources table)")
_SPLIT = (pa.field("split", pa.string(), False), "train, validation or test (by document)")

CONFIGS: dict[str, Config] = {c.name: c for c in (
    Config("items", "qa_item", "item_id", (
        _LICENSE, _CORPUS,
    ), 100_000),
    Config("tables", "table", "table_id", (
        _SPLIT, _LICENSE, _CORPUS,
        (pa.field("abstract_headers", pa.list_(pa.struct(
            [pa.field("row", pa.int64(), False), pa.field("col", pa.int64(), False),
             pa.field("keyword", pa.string(), False), pa.field("meaning", pa.string()),
             pa.field("style", pa.string()), pa.field("category", pa.string())])), False),
         "the header cells that show an abstract keyword, with its meaning when known"),
    ), 20_000),
    Config("documents", "document", "doc_id", (
        _SPLIT, _LICENSE, _CORPUS,
        (pa.field("pdf", pa.string()), ("path of the PDF in the release, or null when its "
                                       "license or availability did not allow it")),
    ), 2_000),
)}


def json_dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
