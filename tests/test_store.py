"""The workspace store: atomic units, resume after a torn write, markers, record validation."""

import json
from collections import Counter
from pathlib import Path

import pytest
from builders import PROV

from abstab.errors import RecordError
from abstab.records import Judgment
from abstab.store import StageDir, UnitResult, funnel


def _judgment(i: int) -> Judgment:
    return Judgment(table_id=f"t{i}", doc_id="d", label="clear", confidence=0.5, provenance=PROV)


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
    # A rerun with the same config redoes exactly the failed unit, then nothing.
    w = sd.open("h1")
    assert (w.done_units, w.retried, w.resumed) == ({"u0", "u1", "u2"}, 1, 3)
    assert (sd.path / "errors.jsonl").read_bytes() == b"" and not sd.is_done()
    w.commit("u9", _unit(9))
    assert w.finish() == {"in": 4, "kept": 4, "dropped": {}}
    assert sd.open("h1") is None  # done with the same config and nothing failed


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
    # a line that is not UTF-8 (or not JSON) is named the same way, not a UnicodeDecodeError
    (sd.path / "judgments.jsonl").write_bytes(good.encode() + b"\n" + good.encode() + b"\n"
                                              + good.encode().replace(b'"d"', b'"\xff\xfe"'))
    with pytest.raises(RecordError, match=r"judgments.jsonl:3: not a valid Judgment.*Invalid JSON"):
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



def _mixed_stage(tmp_path):
    """u0 ok, u1 a failure with a partial record, u2 a deliberate filter, u3 ok, u4 a failure."""
    sd = StageDir(tmp_path, "judge", ["judgments"])
    w = sd.open("h1")
    w.commit("u0", _unit(0))
    partial = _unit(1)
    partial.drop("t1b", "invalid_output", "not JSON")
    w.commit("u1", partial)
    kept_filter = _unit(2)
    kept_filter.drop("t2b", "keyword_not_header", "filtered", failure=False)
    w.commit("u2", kept_filter)
    w.commit("u3", _unit(3))
    failed = UnitResult()
    failed.drop("t4", "llm_unavailable", "HTTP 500")
    w.commit("u4", failed)
    w.finish()
    return sd


def _lines(sd, name):
    return (sd.path / name).read_text().splitlines()


def test_a_rerun_cuts_out_exactly_the_failed_units(tmp_path):
    sd = _mixed_stage(tmp_path)
    before = {n: _lines(sd, n) for n in ("judgments.jsonl", "errors.jsonl")}
    assert sd.failed_units() == ["u1", "u4"]
    w = sd.open("h1")
    assert (w.done_units, w.retried) == ({"u0", "u2", "u3"}, 2)
    assert w.stats == Counter({"in": 3, "kept": 3, "dropped.keyword_not_header": 1})
    assert _lines(sd, "judgments.jsonl") == [before["judgments.jsonl"][i] for i in (0, 2, 3)]
    assert [json.loads(x)["unit"] for x in _lines(sd, "errors.jsonl")] == ["u2"]
    w.close()
    # the cut journal is whole: reopening (a crash now) finds the same state and cuts nothing
    w = sd.open("h1")
    assert (w.done_units, w.retried) == ({"u0", "u2", "u3"}, 0)
    w.commit("u1", _unit(1))
    w.commit("u4", _unit(4))
    w.finish()
    assert sorted(j.table_id for j in sd.read("judgments", Judgment)) == [f"t{i}" for i in range(5)]
    assert [json.loads(x)["unit"] for x in _lines(sd, "errors.jsonl")] == ["u2"]
    assert sd.open("h1") is None


def test_a_cut_interrupted_before_its_commit_point_leaves_the_old_state(tmp_path, monkeypatch):
    from abstab import store

    sd = _mixed_stage(tmp_path)
    before = {n: (sd.path / n).read_bytes() for n in ("judgments.jsonl", "errors.jsonl", ".journal")}
    real = store.atomic_write

    def crash_at_commit_point(path, data):
        if path.name == ".compact":
            raise KeyboardInterrupt  # the process dies with the copies written, not committed
        real(path, data)

    monkeypatch.setattr(store, "atomic_write", crash_at_commit_point)
    with pytest.raises(KeyboardInterrupt):
        sd.open("h1")
    monkeypatch.setattr(store, "atomic_write", real)
    assert {n: (sd.path / n).read_bytes() for n in before} == before
    assert (sd.path / ".judgments.jsonl.retry").exists()
    w = sd.open("h1")  # the copies are dropped and the cut is done again
    assert (w.done_units, w.retried) == ({"u0", "u2", "u3"}, 2)
    assert sorted(p.name for p in sd.path.iterdir()) == [".journal", "errors.jsonl",
                                                         "judgments.jsonl", "stats.json"]
    w.close()


def test_a_cut_interrupted_after_its_commit_point_is_finished_on_reopen(tmp_path, monkeypatch):
    from abstab import store

    sd = _mixed_stage(tmp_path)
    real = store.os.replace
    renamed = []

    def crash_after_one_rename(src, dst):
        if str(src).endswith(".retry") and renamed:
            raise KeyboardInterrupt  # killed between the renames
        renamed.append(src)
        real(src, dst)

    monkeypatch.setattr(store.os, "replace", crash_after_one_rename)
    with pytest.raises(KeyboardInterrupt):
        sd.open("h1")
    monkeypatch.setattr(store.os, "replace", real)
    assert (sd.path / ".compact").exists() and len(renamed) == 1
    w = sd.open("h1")  # the renames are finished; the journal matches the files
    assert (w.done_units, w.retried) == ({"u0", "u2", "u3"}, 0)
    assert [json.loads(x)["table_id"] for x in _lines(sd, "judgments.jsonl")] == ["t0", "t2", "t3"]
    assert not (sd.path / ".compact").exists()
    w.close()


@pytest.mark.parametrize("name,content,message", [
    ("done.json", b"", (r"done.json is empty: rerun the judge stage with --force, or delete "
                        r"done.json and run it again")),
    ("done.json", b'{"config_hash": "h1", "fin', r"done.json is not valid JSON"),
    ("stats.json", b"", r"stats.json is empty: rerun the judge stage with --force"),
    (".journal", b'"h1"\n{"unit": "u0"\n{"unit": "u1", "sizes": {}, "stats": {}}\n',
     (r"\.journal:2: not a journal line \(the file was damaged\): rerun the judge stage with "
      r"--force, or delete \.journal to redo it")),
])
def test_a_damaged_state_file_is_named_with_its_fix(tmp_path, name, content, message):
    from abstab.errors import WorkspaceError

    sd = StageDir(tmp_path, "judge", ["judgments"])
    w = sd.open("h1")
    w.commit("u0", _unit(0))
    w.finish()
    (sd.path / name).write_bytes(content)
    with pytest.raises(WorkspaceError, match=message):
        sd.stats() if name == "stats.json" else sd.open("h2" if name == ".journal" else "h1")
    w = sd.open("h1", force=True)  # --force is the way out, as the message says
    w.commit("u0", _unit(0))
    w.finish()
    assert sd.is_done("h1") and sd.stats()["kept"] == 1


def test_state_files_are_replaced_by_rename(tmp_path, monkeypatch):
    from abstab import store

    sd = StageDir(tmp_path, "judge", ["judgments"])
    w = sd.open("h1")
    w.commit("u0", _unit(0))
    replaced = []
    real = store.os.replace
    monkeypatch.setattr(store.os, "replace", lambda a, b: (replaced.append(Path(b).name), real(a, b)))
    w.finish()
    assert replaced == ["stats.json", "done.json"]
    assert sorted(p.name for p in sd.path.iterdir()) == [".journal", "done.json", "errors.jsonl",
                                                         "judgments.jsonl", "stats.json"]


def test_clear_deletes_only_what_abstab_wrote(tmp_path):
    sd = StageDir(tmp_path, "extract", ["documents"], owned=["pdfs/*.pdf"])
    w = sd.open("h1")
    w.commit("u0", UnitResult())
    w.finish()
    (sd.path / "pdfs").mkdir()
    (sd.path / "pdfs" / "d1.pdf").write_bytes(b"%PDF")
    (sd.path / "notes.txt").write_text("mine")
    w = sd.open("h1", force=True)
    assert w.foreign == ["notes.txt"]
    assert sorted(p.name for p in sd.path.iterdir()) == [".journal", ".replaced",
                                                         "documents.jsonl", "errors.jsonl",
                                                         "notes.txt"]
    assert (sd.path / ".replaced" / "pdfs" / "d1.pdf").read_bytes() == b"%PDF"
    assert (sd.path / "notes.txt").read_text() == "mine"
    w.commit("u1", UnitResult())  # the new run's first unit replaces the old records
    assert not (sd.path / ".replaced").exists() and not (sd.path / "pdfs").exists()
    w.close()
    (sd.path / "notes.txt").unlink()
    assert StageDir(tmp_path, "extract", ["documents"]).clear() == []
    assert not sd.path.exists()


def _files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_a_start_over_that_commits_nothing_gives_the_old_records_back(tmp_path):
    sd = StageDir(tmp_path, "judge", ["judgments"])
    w = sd.open("h1")
    w.commit("u0", _unit(0))
    w.finish()
    before = _files(sd.path)
    w = sd.open("h2")  # another config: start over
    assert list(sd.read("judgments", Judgment)) == [] and not sd.is_done()
    w.close()  # the run failed before its first unit
    assert _files(sd.path) == before and sd.is_done("h1")
    w = sd.open("h1", force=True)
    w.finish()  # a run with no units at all is finished, and replaces them
    assert list(sd.read("judgments", Judgment)) == [] and sd.is_done("h1")
    assert not (sd.path / ".replaced").exists()


@pytest.mark.parametrize("committed", [False, True])
def test_a_start_over_killed_before_or_after_its_first_commit(tmp_path, committed):
    """The lock dies with a killed process and ``close`` never runs: the next open decides from
    the journal whether the new run had produced anything."""
    sd = StageDir(tmp_path, "judge", ["judgments"])
    w = sd.open("h1")
    w.commit("u0", _unit(0))
    w.finish()
    before = _files(sd.path)
    w = sd.open("h1", force=True)
    if committed:
        w.commit("u7", _unit(7))
    w._aside = False  # as if killed: close() does not restore
    w.close()
    w = sd.open("h1")
    if committed:
        assert w.done_units == {"u7"} and not (sd.path / ".replaced").exists()
    else:
        assert w is None and _files(sd.path) == before


def test_a_stage_being_written_cannot_be_read_and_a_read_one_cannot_be_written(tmp_path):
    from abstab.errors import ConfigError

    sd = StageDir(tmp_path, "judge", ["judgments"])
    w = sd.open("h1")
    busy = r"another abstab process is writing .*judge; wait for"
    with pytest.raises(ConfigError, match=busy), StageDir(tmp_path, "judge", ()).reading():
        pass
    w.finish()
    with (StageDir(tmp_path, "judge", ()).reading(), StageDir(tmp_path, "judge", ()).reading(),
          pytest.raises(ConfigError, match="writing .*judge or reading it for a later stage")):
        sd.open("h1", force=True)
    sd.open("h1", force=True).close()  # the readers are gone


def test_the_outputs_digest_ignores_line_order_but_not_content(tmp_path):
    def digest(lines):
        sd = StageDir(tmp_path / str(len(list(tmp_path.iterdir()))), "judge", ["judgments"])
        w = sd.open("h")
        for i, line in enumerate(lines):
            r = UnitResult()
            r.add("judgments", line)
            w.commit(f"u{i}", r)
        w.finish()
        return sd.marker()["outputs"]

    a, b = _judgment(0), _judgment(1)
    c = b.model_copy(update={"label": "abstract"})
    assert digest([a, b]) == digest([b, a]) != digest([a, c])


def test_a_replaced_folder_abstab_did_not_make_is_refused_and_a_users_file_in_it_kept(tmp_path):
    """``.replaced`` as a link to elsewhere: nothing is moved into it or deleted under it; a
    file a user put in a real ``.replaced/`` outlives the start-over."""
    from abstab.errors import WorkspaceError

    sd = StageDir(tmp_path, "judge", ["judgments"])
    w = sd.open("h1")
    w.commit("u0", _unit(0))
    w.finish()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "judgments.jsonl").write_text("the user's\n")
    (sd.path / ".replaced").symlink_to(elsewhere)
    before = _files(sd.path)
    with pytest.raises(WorkspaceError, match=r"\.replaced is not a folder abstab made"):
        sd.open("h1", force=True)
    assert (elsewhere / "judgments.jsonl").read_text() == "the user's\n"
    assert _files(sd.path) == before
    (sd.path / ".replaced").unlink()
    (sd.path / ".replaced").mkdir()
    (sd.path / ".replaced" / "mine.txt").write_text("keep")
    w = sd.open("h1", force=True)
    w.commit("u1", _unit(1))
    w.finish()
    assert (sd.path / ".replaced" / "mine.txt").read_text() == "keep"
    assert sorted(p.name for p in (sd.path / ".replaced").iterdir()) == ["mine.txt"]
