"""The workspace store: atomic units, resume after a torn write, markers, record validation."""

import json
from collections import Counter

import pytest

from abstab.errors import RecordError
from abstab.records import Judgment, Provenance
from abstab.store import StageDir, UnitResult, funnel


def _judgment(i: int) -> Judgment:
    prov = Provenance(stage="judge", abstab_version="0", config_hash="h")
    return Judgment(table_id=f"t{i}", doc_id="d", label="clear", confidence=0.5, provenance=prov)


def _unit(i: int) -> UnitResult:
    r = UnitResult()
    r.add("judgments", _judgment(i))
    r.stats["in"] += 1
    r.stats["kept"] += 1
    return r


def test_round_trip_and_marker(tmp_path):
    sd = StageDir(tmp_path, "judge", ["judgments"])
    w = sd.open("h1")
    for i in range(3):
        w.commit(f"u{i}", _unit(i))
    bad = UnitResult()
    bad.stats["in"] += 1
    bad.drop("t9", "backend_error", "boom")
    w.commit("u9", bad)
    stats = w.finish()
    assert stats == {"in": 4, "kept": 3, "dropped": {"backend_error": 1}}
    assert sd.is_done("h1") and not sd.is_done("h2")
    assert [j.table_id for j in sd.read("judgments", Judgment)] == ["t0", "t1", "t2"]
    errors = [json.loads(x) for x in (sd.path / "errors.jsonl").read_text().splitlines()]
    assert errors == [{"stage": "judge", "unit": "u9", "item": "t9", "reason": "backend_error",
                       "message": "boom", "failure": True}]
    assert sd.open("h1") is None  # done with the same config: nothing to redo


def test_torn_unit_is_cut_back_on_resume(tmp_path):
    sd = StageDir(tmp_path, "judge", ["judgments"])
    w = sd.open("h1")
    w.commit("u0", _unit(0))
    w.commit("u1", _unit(1))
    # A crash after unit 2's records were written but before its journal line: the records
    # file has a line (and half of another) that no commit covers, the journal a torn line.
    with (sd.path / "judgments.jsonl").open("a") as fh:
        fh.write('{"half": ')
    with (sd.path / ".journal").open("a") as fh:
        fh.write('{"unit": "u2", "si')
    w.close()  # the crashed process's lock dies with it
    w2 = sd.open("h1")
    assert w2.done_units == {"u0", "u1"}
    assert w2.stats == Counter({"in": 2, "kept": 2})
    w2.commit("u2", _unit(2))
    w2.finish()
    assert [j.table_id for j in sd.read("judgments", Judgment)] == ["t0", "t1", "t2"]


def test_changed_config_or_force_starts_over(tmp_path):
    sd = StageDir(tmp_path, "judge", ["judgments"])
    w = sd.open("h1")
    w.commit("u0", _unit(0))
    w.finish()
    w = sd.open("h2")
    assert w is not None and w.done_units == set()
    assert list(sd.read("judgments", Judgment)) == []
    w.commit("u5", _unit(5))
    w.finish()
    w = sd.open("h2", force=True)
    assert w.done_units == set() and not sd.is_done()


def test_partial_run_with_other_config_is_discarded(tmp_path):
    sd = StageDir(tmp_path, "judge", ["judgments"])
    w1 = sd.open("h1")
    w1.commit("u0", _unit(0))
    w1.close()
    w = sd.open("h2")
    assert w.done_units == set()


def test_double_commit_and_unknown_output_are_refused(tmp_path):
    w = StageDir(tmp_path, "judge", ["judgments"]).open("h")
    w.commit("u0", _unit(0))
    with pytest.raises(RecordError, match="committed twice"):
        w.commit("u0", _unit(0))
    r = UnitResult()
    r.add("tables", _judgment(1))
    with pytest.raises(RecordError, match="no output 'tables'"):
        w.commit("u1", r)


@pytest.mark.parametrize("read", [
    lambda sd: list(sd.read("judgments", Judgment)),
    # an index validates every line up front: a bad record stops the stage before any unit
    lambda sd: sd.index("judgments", Judgment, "table_id"),
], ids=["read", "index"])
def test_invalid_record_line_names_file_and_line(tmp_path, read):
    sd = StageDir(tmp_path, "judge", ["judgments"])
    sd.path.mkdir(parents=True)
    good = _judgment(0).model_dump_json()
    (sd.path / "judgments.jsonl").write_text(good + "\n" + good.replace('"clear"', '"murky"') + "\n")
    with pytest.raises(RecordError, match=r"judgments.jsonl:2: not a valid Judgment"):
        read(sd)


def test_mutated_record_is_not_written(tmp_path):
    w = StageDir(tmp_path, "judge", ["judgments"]).open("h")
    r = _unit(0)
    r.records["judgments"][0].label = "murky"  # no validate_assignment: caught at the boundary
    with pytest.raises(RecordError, match="refusing to write an invalid Judgment"):
        w.commit("u0", r)


def test_funnel_shape():
    c = Counter({"in": 5, "kept": 3, "dropped.a": 1, "dropped.b": 1, "tables": 7})
    assert funnel(c) == {"in": 5, "kept": 3, "dropped": {"a": 1, "b": 1}, "counts": {"tables": 7}}


def test_a_stage_has_one_writer_at_a_time(tmp_path):
    from abstab.errors import ConfigError

    sd = StageDir(tmp_path, "judge", ["judgments"])
    w = sd.open("h1")
    with pytest.raises(ConfigError, match="another abstab process is writing"):
        StageDir(tmp_path, "judge", ["judgments"]).open("h1")
    w.commit("u0", _unit(0))
    w.finish()  # releases the lock
    w2 = StageDir(tmp_path, "judge", ["judgments"]).open("h2")
    assert w2 is not None
    w2.close()


def test_record_index_reads_records_by_key_on_demand(tmp_path):
    import pickle

    sd = StageDir(tmp_path, "judge", ["judgments"])
    sd.path.mkdir(parents=True)
    lines = [_judgment(i).model_copy(update={"doc_id": f"d{i % 2}"}).model_dump_json()
             for i in range(5)]
    (sd.path / "judgments.jsonl").write_text("\n".join(lines) + "\n\n")
    index = sd.index("judgments", Judgment, "table_id", by="doc_id", cache=2)
    assert list(index) == ["t0", "t1", "t2", "t3", "t4"] and len(index) == 5
    assert index.keys_by == {"d0": ["t0", "t2", "t4"], "d1": ["t1", "t3"]}
    assert index["t3"].model_dump_json() == lines[3] and "t9" not in index
    assert index.get("t9") is None
    for k in index:  # streaming over every record keeps at most `cache` of them parsed
        assert index[k].table_id == k
    assert list(index._lru) == ["t3", "t4"]
    assert [j.model_dump_json() for j in index.values()] == lines  # one pass, cache untouched
    assert list(index._lru) == ["t3", "t4"]
    grouped = sd.index("judgments", Judgment, "doc_id", group=True,
                       keep=lambda j: j.table_id != "t2")
    assert [j.table_id for j in grouped["d0"]] == ["t0", "t4"]
    remote = pickle.loads(pickle.dumps(index))  # what a Ray worker gets: offsets, no records
    assert remote._lru == {} and remote["t1"].table_id == "t1"
    assert len(sd.index("missing", Judgment, "table_id")) == 0

