"""The pipeline follows the review (issue 18, point 4): a rerun of `abstab synth` after people's
decisions redoes only the units they change, through the CLI on the README's sample workspace."""

import json
import shutil

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_PIPELINE

from abstab.cli import cli
from abstab.decisions import DecisionLog, latest_decisions
from abstab.records import Decision

REJECTED = "1b3c686b077698be:t1"  # Table 2: Unplanned downtime by failure mode and plant
REWRITTEN = "46131da9c7b958d7:t0"  # Table 1: Mean wellbeing score; header C1 unresolved
MISSED = "a13050e5a9ae2d92:t2"  # Table 3: Nutrient concentrations, judged clear
DROPPED_FROM = "8de399d3bf215f44:t0"  # Table 1: Net revenue expenditure
STAGES = ("extract", "judge", "resolve", "generate", "assemble")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The README's sample workspace: abstab synth -p pipelines/sample.yaml -o W, built once."""
    work = tmp_path_factory.mktemp("honour") / "w"
    _synth(work)
    return work


@pytest.fixture
def work(built, tmp_path):
    shutil.copytree(built, tmp_path / "w")
    return tmp_path / "w"


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _synth(work):
    result = _run("synth", "-p", SAMPLE_PIPELINE, "-o", work)
    assert result.exit_code == 0, result.output
    return result.output


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _source_of(work):
    """Table variant → the document table it was made from."""
    return {t["table_id"]: t["derived_from"] for t in _records(work / "generate" / "tables.jsonl")}


def _of_tables(work, folder, tables):
    """The raw item lines of ``folder``/items.jsonl whose (source) table is in ``tables``,
    and the others."""
    source = _source_of(work)
    inside, outside = [], []
    for line in (work / folder / "items.jsonl").read_text().splitlines():
        tid = json.loads(line)["table_id"]
        (inside if source.get(tid, tid) in tables else outside).append(line)
    return inside, outside


def _decide(work, tmp_path):
    """Export the units, decide four of them as a spreadsheet user would, import the file."""
    assert _run("review", work, "--export", tmp_path / "units.jsonl").exit_code == 0
    units = _records(tmp_path / "units.jsonl")
    dropped = next(u["id"] for u in units
                   if u["unit"] == "item" and u["proposal"]["table_id"] == DROPPED_FROM)
    decide = {("table", REJECTED): ("reject", "not_table"),
              ("meaning", f"{REWRITTEN}#0,1"): ("edit", {"meaning": "first cohort",
                                                         "category": "explicit"}),
              ("header", f"{MISSED}#0,1"): ("edit", True),
              ("item", dropped): ("reject", None)}
    lines = []
    for u in units:
        if (u["unit"], u["id"]) in decide:
            u["decision"], u["value"] = decide[u["unit"], u["id"]]
        lines.append(json.dumps(u))
    (tmp_path / "decided.jsonl").write_text("\n".join(lines) + "\n")
    result = _run("review", work, "--import", tmp_path / "decided.jsonl", "--reviewer", "alice")
    assert result.exit_code == 0, result.output
    assert "imported 4 decision(s)" in result.output
    return dropped


def test_a_rerun_redoes_only_what_the_decisions_change(built, work, tmp_path):
    before = {s: json.loads((work / s / "done.json").read_text()) for s in STAGES}
    old_candidates = _of_tables(work, "generate", {REWRITTEN, MISSED})
    rejected_ids = {json.loads(line)["item_id"]
                    for line in _of_tables(work, "generate", {REJECTED})[0]}
    _, old_kept = _of_tables(work, "assemble", {REJECTED, REWRITTEN, MISSED})
    dropped = _decide(work, tmp_path)

    out = _synth(work)
    lines = {line.split()[0]: line for line in out.splitlines() if line[:1].strip()}
    assert "up-to-date" in lines["extract"] and "up-to-date" in lines["judge"]
    # resolve makes the one unit the marked header adds; generate redoes the two tables whose
    # headers or meanings changed and keeps the other 12 units; assemble is one unit
    assert lines["resolve"].endswith("(redid 1 unit(s) the review changed, kept 6)")
    assert lines["generate"].endswith("(redid 2 unit(s) the review changed, kept 12)")
    assert lines["assemble"].endswith("(redid 1 unit(s) the review changed, kept 0)")
    journal = [json.loads(line) for line in
               (work / "generate" / ".journal").read_text().splitlines()[1:]]
    assert [c["unit"] for c in journal if "review" in c] == [f"table:{REWRITTEN}",
                                                            f"table:{MISSED}"]
    assert len(journal) == 14

    # decisions are not settings: no stage's hash moved, nor what later stages chain
    after = {s: json.loads((work / s / "done.json").read_text()) for s in STAGES}
    for s in ("extract", "judge", "resolve", "generate"):
        assert (after[s]["config_hash"], after[s]["outputs"]) == (
            before[s]["config_hash"], before[s]["outputs"]), s
    assert after["assemble"]["config_hash"] == before["assemble"]["config_hash"]

    # untouched tables' candidates are byte-identical; so are their dataset items
    new_candidates = _of_tables(work, "generate", {REWRITTEN, MISSED})
    assert sorted(new_candidates[1]) == sorted(old_candidates[1])
    assert new_candidates[0] != old_candidates[0]
    _, kept = _of_tables(work, "assemble", {REJECTED, REWRITTEN, MISSED})
    assert sorted(kept) == sorted(line for line in old_kept
                                  if json.loads(line)["item_id"] != dropped)

    # the rejected table's items are gone, counted once each
    items = _records(work / "assemble" / "items.jsonl")
    source = _source_of(work)
    assert not [i for i in items if source.get(i["table_id"], i["table_id"]) == REJECTED]
    stats = json.loads((work / "assemble" / "stats.json").read_text())
    assert stats["dropped"]["rejected_in_review"] == len(rejected_ids) == 25
    assert stats["dropped"]["dropped_in_review"] == 1
    funnel = {step["step"]: step for step in stats["funnel"]}
    assert funnel["clean tables"]["dropped"] == {"rejected_in_review": 1}
    # the table with the header marked abstract is abstract now, its meaning unknown
    assert (funnel["abstract tables"]["n"], funnel["abstract tables"]["dropped"]) == (
        5, {"clear_headers": 1, "unresolved_headers": 1})
    assert "clean tables         7   dropped 1 (rejected_in_review 1)" in out
    assert "rejected_in_review 25" in out and "dropped_in_review 1" in out

    # the dropped item is gone
    assert dropped not in {i["item_id"] for i in items}

    # the rewritten meaning is in that table's regenerated items, marked as the reviewer's
    c1 = [i for i in items if any(k["abstract"] == "C1" for k in i["keywords"])]
    assert c1 and all(i["table_id"] == REWRITTEN for i in c1)
    assert {json.dumps(k, sort_keys=True) for i in c1 for k in i["keywords"]
            if k["abstract"] == "C1"} == {json.dumps({"abstract": "C1", "category": "explicit",
                                                      "column": 1, "detailed": "first cohort"},
                                                     sort_keys=True)}
    assert all(i["reviewed"] == ["meaning"] and i["answer_location"] in (
        "table_defined", "table_implicit") for i in c1)
    assert not [line for line in old_candidates[0] if '"C1"' in line]
    assert any("first cohort" in i["question"] for i in items if i["table_id"] ==
               f"{REWRITTEN}:clear")

    # the header marked abstract was resolved (the rules find no meaning for it), so its
    # column is no longer asked about as a clear one
    samples = [r for r in _records(work / "resolve" / "resolutions.jsonl")
               if r["table_id"] == MISSED]
    assert [(r["keyword"], r["row"], r["column"], r["category"]) for r in samples] == [
        ("Samples", 0, 1, "unresolvable")]
    errors = _records(work / "generate" / "errors.jsonl")
    assert [e["reason"] for e in errors if e["item"] == f"{MISSED}|col1"] == ["unresolved_header"]
    asked = [i for i in items if i["table_id"] == MISSED and i["origin"] == "document"
             and i["operation"]]
    assert asked and not [i for i in asked if i["operation"]["column"] == 1]
    assert [i for i in _records(built / "assemble" / "items.jsonl")
            if i["table_id"] == MISSED and i["origin"] == "document" and i["operation"]
            and i["operation"]["column"] == 1]

    # items nobody reviewed are written as before the field existed
    assert sum(1 for i in items if "reviewed" in i) == 16
    assert all(i["reviewed"] for i in items if "reviewed" in i)

    # nothing left to do
    again = _synth(work)
    assert [line.split()[1] for line in again.splitlines() if line.split()[0] in STAGES] == [
        "up-to-date"] * 5

    # the report scores the machine against the decisions, after the rerun too
    result = _run("review", work, "--report", "--json")
    rep = json.loads(result.output)
    assert rep["stale"] == 0 and rep["tables_rejected"] == 1
    assert [(j["n"], j["fn"], j["recall"]) for j in rep["judge"]] == [(1, 1, 0.0)]
    assert [(r["n"], r["correct"], r["accuracy"]) for r in rep["resolve"]] == [(1, 0, 0.0)]
    assert [(i["n"], i["kept"], i["keep_rate"]) for i in rep["items"]] == [(1, 0, 0.0)]

    # the release says how many items were reviewed
    result = _run("release", work, "-o", tmp_path / "release")
    assert result.exit_code == 0, result.output
    assert ("Reviewed by a person (`abstab review`): 16 of 151 items"
            in (tmp_path / "release" / "README.md").read_text())


def test_undoing_every_decision_gives_back_the_dataset_of_no_review(work, tmp_path):
    original = (work / "assemble" / "items.jsonl").read_text().splitlines()
    candidates = (work / "generate" / "items.jsonl").read_text().splitlines()
    _decide(work, tmp_path)
    _synth(work)
    log = DecisionLog(work)
    for unit, uid in latest_decisions(work):
        log.append(Decision.now(unit=unit, id=uid, decision="undo", reviewer="alice"))
    assert latest_decisions(work) == {}
    out = _synth(work)
    lines = {line.split()[0]: line for line in out.splitlines() if line[:1].strip()}
    assert lines["generate"].endswith("(redid 2 unit(s) the review changed, kept 12)")
    assert lines["resolve"].endswith("(redid 1 unit(s) the review changed, kept 6)")
    assert sorted((work / "generate" / "items.jsonl").read_text().splitlines()) == sorted(
        candidates)
    assert sorted((work / "assemble" / "items.jsonl").read_text().splitlines()) == sorted(
        original)
    assert not [line for line in (work / "generate" / ".journal").read_text().splitlines()
                if '"review"' in line]


def test_row_label_codes_the_judge_flags_are_review_units_and_decisions_reach_resolve(tmp_path):
    """A code in the first column (a ``stub`` keyword, issue 19 point 2) is a header unit like a
    column header: exported, and a person's "not abstract" takes it out of resolve."""
    from conftest import corpus

    pdf = corpus("govreports", "camelot__china.pdf")
    work = tmp_path / "w"
    for stage in (("extract", pdf), ("judge",), ("resolve",)):
        assert _run(stage[0], *(stage[1:]), *(("-o", work) if stage[0] == "extract"
                                               else (work,))).exit_code == 0
    table = "ed8cf637429ea739:t0"
    out = tmp_path / "units.jsonl"
    assert _run("review", work, "--export", out).exit_code == 0
    units = {(u["unit"], u["id"]): u for u in _records(out)}
    stubs = {uid: u["proposal"]["text"] for (unit, uid), u in units.items()  # body rows, col 0
             if unit == "header" and uid.startswith(f"{table}#") and uid.endswith(",0")
             and not uid.endswith("#0,0")}
    assert stubs == {f"{table}#3,0": "IEM", f"{table}#5,0": "PC(s)"}
    assert units["header", f"{table}#5,0"]["proposal"]["abstract"] is True
    assert ("meaning", f"{table}#5,0") in units
    from abstab.review.server import ReviewApp

    page = ReviewApp(work, "bob").table(table)  # what the page draws as clickable
    assert [(h["row"], h["col"], h["abstract"]) for h in page["headers"] if h["col"] == 0] == [
        (0, 0, True), (3, 0, True), (5, 0, True)]
    keywords = [r["keyword"] for r in _records(work / "resolve" / "resolutions.jsonl")]
    assert "PC" in keywords and "IEM" in keywords
    units["header", f"{table}#5,0"].update(decision="edit", value=False)
    out.write_text("".join(json.dumps(u) + "\n" for u in units.values()))
    assert _run("review", work, "--import", out, "--reviewer", "bob").exit_code == 0
    assert _run("resolve", work).exit_code == 0
    after = [r["keyword"] for r in _records(work / "resolve" / "resolutions.jsonl")]
    assert sorted(after) == sorted(k for k in keywords if k != "PC")
