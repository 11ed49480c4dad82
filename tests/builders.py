"""What tests build records from: one provenance and one table builder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from abstab.records import Provenance, Table

PROV = Provenance(stage="test", abstab_version="0", config_hash="test")
"""The provenance of every record a test makes by hand."""


def make_table(header: Sequence[str], rows: Sequence[Sequence[str]], **fields: Any) -> Table:
    """A one-header-row table of ``header`` over ``rows``, built by :meth:`Table.from_grid`.

    ``fields`` override the defaults (``table_id="d:t1"``, ``doc_id="d"``, ``engine="x"``…) or
    pass :meth:`Table.from_grid` options.
    """
    defaults: dict[str, Any] = {"table_id": "d:t1", "doc_id": "d", "pages": [1],
                                "bbox": [0, 0, 1, 1], "engine": "x", "provenance": PROV}
    return Table.from_grid([list(header), *[list(r) for r in rows]], 1, **{**defaults, **fields})
