"""Records: committed JSON Schemas match the models; validators hold."""

import json

import jsonschema
import pytest
from builders import PROV, make_table
from pydantic import ValidationError

from abstab.records import (
    RECORD_TYPES,
    SCHEMA_DIR,
    Block,
    Cell,
    Document,
    Judgment,
    Table,
    json_schema,
)


@pytest.mark.parametrize("kind", sorted(RECORD_TYPES))
def test_committed_schema_matches_model(kind):
    committed = json.loads((SCHEMA_DIR / f"{kind}.json").read_text())
    assert committed == json_schema(kind), (
        f"abstab/schemas/{kind}.json is stale: run `python -m abstab.records` and commit")


def _table() -> Table:
    return make_table(["Site", "DO*"], [["North", "4.5"]], table_id="d:t0",
                      bbox=[0, 0, 10, 10], engine="pymupdf")


def test_table_views_come_from_the_cells():
    # a merged group label over two columns, a row numbering the columns, a stub spanning rows
    cells = [Cell(row=0, col=0, text="District", row_span=2, header=True),
             Cell(row=0, col=1, text="Rice", col_span=2, header=True),
             Cell(row=1, col=1, text=" Surplus ", header=True),
             Cell(row=1, col=2, text="Share", header=True),
             Cell(row=2, col=0, text="(1)", header=True), Cell(row=2, col=1, text="(2)", header=True),
             Cell(row=2, col=2, text="(3)", header=True),
             Cell(row=3, col=0, text="North", row_span=2), Cell(row=3, col=1, text="1.5"),
             Cell(row=3, col=2, text="12%"), Cell(row=4, col=1, text="2.5", col_span=2)]
    t = Table.from_cells(cells, 3, empty_ratio=0.1, numeric_header_ratio=0.0, confidence=0.9,
                         column_skip_rows=frozenset({2}), table_id="d:t0", doc_id="d", pages=[1],
                         bbox=[0, 0, 1, 1], engine="x", provenance=PROV)
    assert t.header_rows == [["District", "Rice", "Rice"], ["District", " Surplus ", "Share"],
                             ["(1)", "(2)", "(3)"]]
    assert t.rows == [["North", "1.5", "12%"], ["North", "2.5", ""]]
    assert t.columns == ["District", "Rice / Surplus", "Rice / Share"]
    assert (t.n_header_rows, t.quality.rows, t.quality.cols) == (3, 5, 3)
    # the JSON keeps the views (the release reads them) and reads back unchanged
    assert Table.model_validate_json(t.model_dump_json()) == t


def test_overlapping_cells_the_first_listed_covers_the_slot():
    # a merged header over a slot another cell also claims: the first listed wins, as written
    cells = [Cell(row=0, col=0, text="Rice", col_span=2, header=True),
             Cell(row=0, col=1, text="Wheat", header=True),
             Cell(row=1, col=0, text="1.5"), Cell(row=1, col=1, text="2.5")]
    t = Table.from_cells(cells, 1, empty_ratio=0.0, numeric_header_ratio=0.0, confidence=1.0,
                         table_id="d:t0", doc_id="d", pages=[1], bbox=[0, 0, 1, 1], engine="x",
                         provenance=PROV)
    assert (t.header_rows, t.rows, t.columns) == ([["Rice", "Rice"]], [["1.5", "2.5"]],
                                                  ["Rice", "Rice"])


def test_sample_tables_read_back_and_write_byte_identical(sample_work):
    # the release depends on the written JSON; reading a table checks it against its cells
    lines = [line for path in sorted(sample_work[0].glob("*/tables.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 44
    for line in lines:
        table = Table.model_validate_json(line)
        assert json.dumps(table.model_dump(mode="json"), ensure_ascii=False,
                          sort_keys=True) == line


@pytest.mark.parametrize(("change", "why"), [
    ({"rows": [["South", "4.5"]]}, "rows differ from the body cells"),
    ({"header_rows": [["Site", "DO"]]}, "header_rows differ from the header cells"),
    ({"columns": ["Site", "Oxygen"]}, "the column names are not made of the header cells"),
    ({"columns": ["Site"]}, "1 columns for 2 grid columns"),
    ({"n_header_rows": 0}, "header_rows differ from the header cells"),
    ({"quality": {"rows": 3, "cols": 2, "empty_ratio": 0, "numeric_header_ratio": 0,
                  "confidence": 1}}, "quality says 3x2, the cells make 2x2"),
])
def test_a_table_whose_views_disagree_with_its_cells_is_refused(change, why):
    data = {**_table().model_dump(), **change}
    with pytest.raises(ValidationError) as err:
        Table.model_validate(data)
    assert f"table d:t0: {why}" in str(err.value)
    assert "build it with Table.from_cells or Table.from_grid" in str(err.value)


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
