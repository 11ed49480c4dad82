"""Records: committed JSON Schemas match the models; validators hold."""

import json

import jsonschema
import pytest
from pydantic import ValidationError

from abstab.records import (
    RECORD_TYPES,
    SCHEMA_DIR,
    Block,
    Cell,
    Document,
    Judgment,
    Provenance,
    Table,
    TableQuality,
    json_schema,
)

PROV = Provenance(stage="t", abstab_version="0", config_hash="h")


@pytest.mark.parametrize("kind", sorted(RECORD_TYPES))
def test_committed_schema_matches_model(kind):
    committed = json.loads((SCHEMA_DIR / f"{kind}.json").read_text())
    assert committed == json_schema(kind), (
        f"abstab/schemas/{kind}.json is stale: run `python -m abstab.records` and commit")


def _table() -> Table:
    cells = [Cell(row=0, col=0, text="Site", header=True), Cell(row=0, col=1, text="DO*", header=True),
             Cell(row=1, col=0, text="North"), Cell(row=1, col=1, text="4.5")]
    return Table(table_id="d:t0", doc_id="d", pages=[1], bbox=[0, 0, 10, 10], engine="pymupdf",
                 cells=cells, n_header_rows=1, header_rows=[["Site", "DO*"]], columns=["Site", "DO*"],
                 rows=[["North", "4.5"]], provenance=PROV,
                 quality=TableQuality(rows=2, cols=2, empty_ratio=0, numeric_header_ratio=0,
                                      confidence=1))


def test_judgment_keywords_must_sit_in_header_cells():
    t = _table()
    j = Judgment(table_id=t.table_id, doc_id="d", label="abstract", confidence=1, provenance=PROV,
                 keywords=[{"keyword": "DO", "row": 0, "col": 1, "style": "acronym", "score": 1},
                           {"keyword": "North", "row": 1, "col": 0, "style": "acronym", "score": 1},
                           {"keyword": "XY", "row": 0, "col": 1, "style": "acronym", "score": 1}])
    assert [why for _, why in j.check_against(t)] == [
        "keyword 'North' at (1,0) is not a header cell",
        "keyword 'XY' is not in header cell 'DO*'",
    ]


def test_document_offsets_must_point_into_text():
    block = Block(block_id="d:b0", page=1, bbox=[0, 0, 1, 1], kind="paragraph", text="Hello",
                  order=0, char_start=0, char_end=5)
    Document(doc_id="d", source="x.pdf", sha256="0", pages=1, text="Hello", blocks=[block],
             provenance=PROV)
    with pytest.raises(ValidationError, match="char span does not match"):
        Document(doc_id="d", source="x.pdf", sha256="0", pages=1, text="Hullo", blocks=[block],
                 provenance=PROV)


def test_records_validate_against_their_json_schema():
    data = _table().model_dump(mode="json")
    jsonschema.validate(data, json_schema("table"))
    data["engine"] = 3
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema("table"))
