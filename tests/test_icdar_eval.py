"""The ICDAR 2013 table-extraction evaluation (benchmarks/icdar.py): GT parsing, matching,
adjacency relations, text normalisation and scoring."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, corpus

sys.path.insert(0, str(REPO / "benchmarks"))

import icdar

ICDAR = ("icdar2013",)


def cell(row, col, text, row_span=1, col_span=1) -> dict:
    return {"row": row, "col": col, "row_span": row_span, "col_span": col_span, "text": text}


# --- ground truth of a real document ---------------------------------------------------------

@pytest.fixture(scope="module")
def eu001() -> icdar.GTDocument:
    folder = corpus(*ICDAR, "competition-dataset-eu")
    return icdar.load_document(folder / "eu-001.pdf", folder / "eu-001-reg.xml",
                               folder / "eu-001-str.xml", subset="eu")


def test_gt_eu001_tables_and_cell(eu001):
    assert eu001.doc == "eu-001"
    assert eu001.n_pages == 3
    assert [(t.page, t.table_id) for t in eu001.tables] == [
        (1, "1"), (1, "2"), (1, "3"), (2, "4"), (2, "5"), (3, "6"), (3, "7")]
    first = eu001.tables[0]
    assert len(first.cells) == 28
    assert first.bbox == (100.0, 299.0, 482.0, 391.0)
    header = next(c for c in first.cells if c.text == "THRESHOLD FOR RELEASES")
    # <cell start-row="0" start-col="1" end-col="3"> <bounding-box x1=316 x2=441 y1=533 y2=543>
    assert (header.row, header.col, header.row_span, header.col_span) == (0, 1, 1, 3)
    assert header.bbox == (316.0, 842 - 543, 441.0, 842 - 533)
    air = next(c for c in first.cells if c.text == "to air\nkg/year")
    assert (air.row, air.col, air.row_span, air.col_span) == (1, 1, 1, 1)
    # the region box, flipped with the 842 pt page height, contains all its cells
    x0, y0, x1, y1 = first.bbox
    assert all(x0 - 1 <= c.bbox[0] and c.bbox[2] <= x1 + 1 and y0 - 1 <= c.bbox[1]
               and c.bbox[3] <= y1 + 1 for c in first.cells)


def test_gt_coordinates_match_pymupdf_words(eu001):
    pymupdf = pytest.importorskip("pymupdf")
    header = next(c for c in eu001.tables[0].cells if c.text == "THRESHOLD FOR RELEASES")
    with pymupdf.open(eu001.pdf) as doc:
        words = [w for w in doc[0].get_text("words") if w[4] in ("THRESHOLD", "RELEASES")]
    # the first table's header words: THRESHOLD at x 316.0..372.2, y 298.8..311.0 (top-left)
    threshold, releases = sorted(words, key=lambda w: (w[1], w[0]))[:2]
    assert threshold[0] == pytest.approx(header.bbox[0], abs=0.5)
    assert releases[2] == pytest.approx(header.bbox[2], abs=0.5)
    for w in (threshold, releases):
        assert header.bbox[1] - 1 <= w[1] and w[3] <= header.bbox[3] + 2
        assert icdar.iou(w[:4], header.bbox) > 0


def test_gt_rotated_page_coordinates():
    """eu-015 has /Rotate 90: regions are boxes of the displayed (landscape) page, and its
    structure file's cell boxes are shifted by the unrotated height; both land on the words."""
    pymupdf = pytest.importorskip("pymupdf")
    folder = corpus(*ICDAR, "competition-dataset-eu")
    doc = icdar.load_document(folder / "eu-015.pdf", folder / "eu-015-reg.xml",
                              folder / "eu-015-str.xml")
    table = doc.tables[0]
    assert table.bbox == (60.0, 595 - 505, 356.0, 595 - 292)
    topic = next(c for c in table.cells if c.text == "Topic")
    assert topic.bbox == (60.0, 842 - 752, 82.0, 842 - 742)
    with pymupdf.open(doc.pdf) as pdf:
        page = pdf[0]
        words = [pymupdf.Rect(w[:4]) * page.rotation_matrix
                 for w in page.get_text("words") if w[4] == "Topic"]
    assert any(icdar.iou(tuple(w), topic.bbox) > 0.5 for w in words)
    assert all(icdar.iou(table.bbox, c.bbox) > 0 for c in table.cells)


def test_dataset_counts():
    data = corpus(*ICDAR)
    docs = icdar.load_dataset(data)
    per = Counter()
    for d in docs:
        per[d.subset, "docs"] += 1
        per[d.subset, "tables"] += len(d.tables)
        per[d.subset, "pages"] += d.n_pages
    assert dict(per) == {("eu", "docs"): 18, ("eu", "tables"): 61, ("eu", "pages"): 78,
                         ("us", "docs"): 27, ("us", "tables"): 51, ("us", "pages"): 83}
    assert sum(len(t.cells) for d in docs for t in d.tables) == 9479
    limited = icdar.load_dataset(data, subsets=["us"], limit=2)
    assert [d.doc for d in limited] == ["us-001", "us-002"]
    # us-035: table 2 is one region in the primary GT and three in the alternative "b" one
    b = icdar.load_dataset(data, subsets=["us"], variant="b")
    us035 = next(d for d in b if d.doc == "us-035a")
    assert [len(t.regions) for t in us035.tables] == [1, 3, 1]
    best = icdar.load_dataset(data, subsets=["us"])  # variant "best": primary + alternatives
    assert [d.doc for d in best if d.alternatives] == ["us-011a", "us-031a", "us-035a"]
    us035 = next(d for d in best if d.doc == "us-035a")
    assert [len(t.regions) for t in us035.tables] == [1, 1, 1]
    assert [len(t.regions) for t in us035.alternatives[0]] == [1, 3, 1]
    assert all(not d.alternatives for d in icdar.load_dataset(data, subsets=["us"], variant="a"))


def test_gt_scored_against_itself_is_perfect():
    docs = icdar.load_dataset(corpus(*ICDAR))
    scores = icdar.score(docs, icdar.gt_as_predictions(docs))
    for subset in ("eu", "us", "all"):
        s = scores[subset]
        assert s["det"]["f1"] == 1.0
        assert s["adj"]["normalised"]["f1"] == 1.0
        assert s["adj"]["strict"]["f1"] == 1.0
    assert scores["all"]["det"]["tp"] == 112
    assert scores["all"]["n_pred_tables"] == 112


# --- matching ----------------------------------------------------------------------------------

def test_iou():
    assert icdar.iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert icdar.iou((0, 0, 10, 10), (0, 0, 20, 10)) == 0.5
    assert icdar.iou((0, 0, 10, 10), (5, 5, 15, 15)) == 25 / 175
    assert icdar.iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0
    assert icdar.iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0


def test_match_tables_greedy_one_to_one():
    gt = [(0, 0, 10, 10), (0, 20, 10, 30), (100, 100, 110, 110)]
    preds = [
        (0, 0, 10, 12),      # gt0: IoU 100/120
        (0, 0, 10, 10),      # gt0: IoU 1.0 -> takes gt0 first
        (0, 20, 20, 30),     # gt1: IoU 0.5 exactly (inclusive)
        (50, 50, 60, 60),    # nothing
    ]
    assert icdar.match_tables(gt, preds) == [(0, 1, 1.0), (1, 2, 0.5)]
    # below the threshold: no match; any overlap with threshold 0
    assert icdar.match_tables([(0, 0, 10, 10)], [(0, 0, 30, 10)]) == []
    assert icdar.match_tables([(0, 0, 10, 10)], [(0, 0, 30, 10)], 0.0) == [(0, 0, 1 / 3)]
    # touching boxes never match, even at threshold 0
    assert icdar.match_tables([(0, 0, 10, 10)], [(10, 0, 20, 10)], 0.0) == []
    # one prediction covering two tables matches only one of them
    assert icdar.match_tables([(0, 0, 10, 10), (10, 0, 20, 10)], [(0, 0, 19, 10)]) == [
        (0, 0, 10 / 19)]


# --- adjacency relations -----------------------------------------------------------------------

def test_adjacency_relations_grid_with_empty_and_spanning_cell():
    #  row 0:  [ H (spans cols 0-1) ] [ C ]
    #  row 1:  [ a ] [   (empty)    ] [ b ]
    #  row 2:  [ x ] [      y       ] [ z ]
    cells = [cell(0, 0, "H", col_span=2), cell(0, 2, "C"),
             cell(1, 0, "a"), cell(1, 1, "  "), cell(1, 2, "b"),
             cell(2, 0, "x"), cell(2, 1, "y"), cell(2, 2, "z")]
    expected = Counter({
        ("h", "c", "right"): 1,
        ("h", "a", "down"): 1, ("h", "y", "down"): 1,   # across the empty cell under col 1
        ("c", "b", "down"): 1,
        ("a", "b", "right"): 1,                           # across the empty cell
        ("a", "x", "down"): 1,
        ("b", "z", "down"): 1,
        ("x", "y", "right"): 1, ("y", "z", "right"): 1,
    })
    assert icdar.adjacency_relations(cells, "normalised") == expected
    assert icdar.adjacency_relations(cells, "strict") == expected
    # the same cells as Cell objects, in another order
    objs = [icdar.Cell(c["row"], c["col"], c["row_span"], c["col_span"], c["text"])
            for c in reversed(cells)]
    assert icdar.adjacency_relations(objs) == expected


def test_adjacency_relations_row_span_counts_neighbour_once():
    #  [ A (rows 0-1) ] [ B (rows 0-1) ]
    #  [ c ]            [ d ]
    cells = [cell(0, 0, "A", row_span=2), cell(0, 1, "B", row_span=2),
             cell(2, 0, "c"), cell(2, 1, "d")]
    assert icdar.adjacency_relations(cells) == Counter({
        ("a", "b", "right"): 1, ("a", "c", "down"): 1, ("b", "d", "down"): 1,
        ("c", "d", "right"): 1})
    # a row-spanning cell with a different neighbour in each row relates to both
    cells = [cell(0, 0, "A", row_span=2), cell(0, 1, "p"), cell(1, 1, "q")]
    assert icdar.adjacency_relations(cells) == Counter({
        ("a", "p", "right"): 1, ("a", "q", "right"): 1, ("p", "q", "down"): 1})
    # repeated texts are a multiset
    cells = [cell(0, 0, "-"), cell(0, 1, "-"), cell(0, 2, "-")]
    assert icdar.adjacency_relations(cells, "strict") == Counter({("-", "-", "right"): 2})
    assert icdar.adjacency_relations([]) == Counter()


def test_strict_and_normalised_text():
    assert icdar.normalise_text("4.5", "normalised") == icdar.normalise_text("45.", "normalised")
    assert icdar.normalise_text("4.5", "strict") != icdar.normalise_text("45.", "strict")
    assert icdar.normalise_text(" Margin of\nError (±) ", "strict") == "marginoferror(±)"
    assert icdar.normalise_text(" Margin of\nError (±) ", "normalised") == "marginoferror"
    assert icdar.normalise_text("ﬁnal 1 000", "normalised") == "final1000"
    assert icdar.normalise_text(None) == ""
    with pytest.raises(ValueError):
        icdar.normalise_text("x", "loose")


# --- scoring -----------------------------------------------------------------------------------

def _doc(tables: list[tuple[int, tuple, list[dict]]], name: str = "d-1", subset: str = "d"
         ) -> icdar.GTDocument:
    gts = [icdar.GTTable(doc=name, page=page, table_id=str(i), bbox=bbox, regions=[bbox],
                         cells=[icdar.Cell(**c) for c in cells])
           for i, (page, bbox, cells) in enumerate(tables)]
    return icdar.GTDocument(doc=name, subset=subset, pdf=Path(f"{name}.pdf"), n_pages=2,
                            tables=gts)


GRID = [cell(0, 0, "Year"), cell(0, 1, "Rate"), cell(1, 0, "2010"), cell(1, 1, "4.5")]


def test_perfect_prediction_scores_one():
    doc = _doc([(1, (10, 10, 100, 50), GRID), (2, (20, 20, 200, 80), GRID)])
    preds = [{"doc": "d-1", "page": 1, "bbox": [10, 10, 100, 50], "cells": GRID},
             {"doc": "d-1", "page": 2, "bbox": [20, 20, 200, 80], "cells": GRID},
             {"doc": "other", "page": 1, "bbox": [0, 0, 1, 1], "cells": GRID}]  # ignored
    s = icdar.score([doc], preds)
    for key in ("d", "all"):
        assert s[key]["det"] == {"tp": 2, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0,
                                 "f1": 1.0}
        for mode in icdar.MODES:
            assert s[key]["adj"][mode] == {"tp": 8, "fp": 0, "fn": 0, "precision": 1.0,
                                           "recall": 1.0, "f1": 1.0}
    assert s["d"]["n_pred_tables"] == 2


def test_strict_penalises_punctuation_errors_only():
    doc = _doc([(1, (10, 10, 100, 50), GRID)])
    wrong = [dict(c, text="45.") if c["text"] == "4.5" else c for c in GRID]
    s = icdar.score([doc], [{"doc": "d-1", "page": 1, "bbox": [10, 10, 100, 50],
                             "cells": wrong}])["all"]
    assert s["adj"]["normalised"]["f1"] == 1.0
    # "4.5" takes part in 2 of the 4 relations: strict gets 2 right, 2 wrong, 2 missed
    assert (s["adj"]["strict"]["tp"], s["adj"]["strict"]["fp"], s["adj"]["strict"]["fn"]) == (
        2, 2, 2)
    assert s["adj"]["strict"]["f1"] == 0.5


def test_unmatched_tables_and_merged_prediction():
    doc = _doc([(1, (0, 0, 100, 40), GRID), (1, (0, 60, 100, 100), GRID)])
    # one prediction covering both tables (IoU 0.4 with each), plus a spurious one on page 2
    merged = {"doc": "d-1", "page": 1, "bbox": [0, 0, 100, 100], "cells": GRID}
    spurious = {"doc": "d-1", "page": 2, "bbox": [0, 0, 50, 50],
                "cells": [cell(0, 0, "p"), cell(0, 1, "q")]}
    s = icdar.score([doc], [merged, spurious])["all"]
    assert (s["det"]["tp"], s["det"]["fp"], s["det"]["fn"]) == (0, 2, 2)
    # adjacency: the merged table is paired with one GT table (any overlap): 4 right, the
    # other GT table's 4 relations are missed, the spurious table's 1 relation is a FP
    assert (s["adj"]["strict"]["tp"], s["adj"]["strict"]["fp"], s["adj"]["strict"]["fn"]) == (
        4, 1, 4)
    # pairing only at the detection threshold: everything is missed or spurious
    s = icdar.score([doc], [merged, spurious], adj_threshold=0.5)["all"]
    assert (s["adj"]["strict"]["tp"], s["adj"]["strict"]["fp"], s["adj"]["strict"]["fn"]) == (
        0, 5, 8)


def test_alternative_ground_truth_best_of():
    one = (0, 0, 300, 100)
    thirds = [(0, 0, 100, 100), (100, 0, 200, 100), (200, 0, 300, 100)]
    doc = _doc([(1, one, GRID)])
    alt = [icdar.GTTable(doc="d-1", page=1, table_id="1", bbox=one, regions=thirds,
                         cells=[icdar.Cell(**c) for c in GRID])]
    doc.alternatives = [alt]
    whole = {"doc": "d-1", "page": 1, "bbox": list(one), "cells": GRID}
    s = icdar.score([doc], [whole])["all"]
    assert (s["det"]["tp"], s["n_gt_regions"], s["n_alternative_gt_used"]) == (1, 1, 0)
    middle = {"doc": "d-1", "page": 1, "bbox": list(thirds[1]), "cells": GRID}
    s = icdar.score([doc], [middle])["all"]  # 1 of 3 regions beats 0 of 1
    assert (s["det"]["tp"], s["det"]["fp"], s["det"]["fn"]) == (1, 0, 2)
    assert (s["n_gt_regions"], s["n_alternative_gt_used"]) == (3, 1)


def test_no_predictions():
    doc = _doc([(1, (0, 0, 100, 40), GRID)])
    s = icdar.score([doc], [])["all"]
    assert s["det"] == {"tp": 0, "fp": 0, "fn": 1, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert s["adj"]["normalised"]["fn"] == 4


def test_cells_from_boxes_recovers_spans():
    boxes = [(0, 0, 20, 10), (20, 0, 30, 10),          # header: wide cell, then one cell
             (0, 10, 10, 30), (10, 10, 20, 20), (20, 10.4, 30, 20),   # tall cell at left
             (10, 20, 20, 30), (20, 20, 30, 30)]
    texts = ["H", "C", "tall", "a", "b", "c", None]
    assert icdar.cells_from_boxes(boxes, texts) == [
        cell(0, 0, "H", col_span=2), cell(0, 2, "C"),
        cell(1, 0, "tall", row_span=2), cell(1, 1, "a"), cell(1, 2, "b"),
        cell(2, 1, "c"), cell(2, 2, ""),
    ]


# --- the benchmark script ----------------------------------------------------------------------

def test_bench_scores_a_predictions_file(tmp_path):
    data = corpus(*ICDAR)
    docs = icdar.load_dataset(data, subsets=["eu"], limit=2)
    preds = tmp_path / "preds.json"
    preds.write_text(json.dumps(icdar.gt_as_predictions(docs)))
    res = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_icdar.py"),
                          "--data", str(data), "--subsets", "eu", "--limit", "2",
                          "--predictions", str(preds), "--name", "gold"],
                         capture_output=True, text=True, check=True, cwd=REPO)
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert list(report["engines"]) == ["gold"]
    eu = report["engines"]["gold"]["subsets"]["eu"]
    assert eu["n_docs"] == 2 and eu["det"]["f1"] == 1.0
    assert eu["adj"]["strict"]["f1"] == 1.0 and eu["pages_per_s"] is None
    assert "gold" in res.stderr
