"""Dataset loaders (WikiTableQuestions, TAT-QA): exact examples, escaping, bad files."""

import json

import pytest
from conftest import corpus

from abstab.errors import UnknownNameError
from abstab.sources import (
    SourceError,
    SourceExample,
    load,
    source_files,
    source_markers,
    sources,
)
from abstab.sources.tatqa import answer_strings
from abstab.sources.wtq import split_targets, unescape

WTQ_QUESTIONS = (
    "id\tutterance\tcontext\ttargetValue\n"
    "nt-1\twhich country has the most birds?\tcsv/200-csv/1.csv\tCosta Rica\n"
    "nt-2\tname two countries\tcsv/200-csv/1.csv\tBelize|El Salvador\n"
    "nt-3\tbroken line without a target\n"
    "nt-4\twhere is it?\tcsv/200-csv/404.csv\tnowhere\n"
)
WTQ_TSV = ("Country\tBirds\tNotes\n"
           "Belize\t544\tpipe \\p and\\nnewline\n"
           "Costa Rica\t838\n")


def _wtq(tmp_path):
    (tmp_path / "csv" / "200-csv").mkdir(parents=True)
    (tmp_path / "csv" / "200-csv" / "1.tsv").write_text(WTQ_TSV, encoding="utf-8")
    (tmp_path / "questions.tsv").write_text(WTQ_QUESTIONS, encoding="utf-8")
    return tmp_path


def test_wtq_loader_reads_questions_tables_and_reports_bad_lines(tmp_path):
    errors = []
    got = list(load("wtq", _wtq(tmp_path), on_error=lambda w, r: errors.append((w, r))))
    assert [e.example_id for e in got] == ["nt-1", "nt-2"]
    first = got[0]
    assert first == SourceExample(
        source="wtq", example_id="nt-1", doc_id="csv/200-csv/1.csv",
        question="which country has the most birds?", answers=["Costa Rica"],
        table=[["Country", "Birds", "Notes"], ["Belize", "544", "pipe | and\nnewline"],
               ["Costa Rica", "838", ""]],
        paragraphs=[], meta={"context": "csv/200-csv/1.csv"}, license="CC BY-SA 4.0")
    assert got[1].answers == ["Belize", "El Salvador"]
    assert [w.split(":")[-1] for w, _ in errors[:1]] == ["4"]
    assert errors[0][1] == "expected 4 tab-separated fields, got 2"
    assert errors[1][0].startswith("nt-4 (") and "404.csv" in errors[1][1]


def test_wtq_escaping():
    assert unescape(r"a\\b\pc\nd") == "a\\b|c\nd"
    assert split_targets(r"1990|a\pb") == ["1990", "a|b"]
    assert split_targets("") == []


def test_wtq_csv_fallback_with_backslash_quotes(tmp_path):
    root = _wtq(tmp_path)
    (root / "csv" / "200-csv" / "1.tsv").unlink()
    (root / "csv" / "200-csv" / "1.csv").write_text(
        '"Country","Birds","Notes"\n"Belize","544","\\"quoted\\""\n', encoding="utf-8")
    got = list(load("wtq", root / "questions.tsv", on_error=lambda w, r: None))
    assert got[0].table == [["Country", "Birds", "Notes"], ["Belize", "544", '"quoted"']]


def test_tatqa_loader_keeps_scale_derivation_and_answers(tmp_path):
    ctx = {"table": {"uid": "T1", "table": [["", "2019", "2018"], ["Revenue", "$ 10.5", "9"]]},
           "paragraphs": [{"uid": "p2", "order": 2, "text": "Second."},
                          {"uid": "p1", "order": 1, "text": "First."}],
           "questions": [
               {"uid": "q1", "order": 1, "question": "What was revenue in 2019?",
                "answer": ["$ 10.5"], "answer_type": "span", "answer_from": "table",
                "derivation": "", "scale": "million", "rel_paragraphs": [],
                "req_comparison": False},
               {"uid": "q2", "order": 2, "question": "Change?", "answer": 1.5,
                "answer_type": "arithmetic", "answer_from": "table", "derivation": "10.5-9",
                "scale": "million"},
               {"uid": "q3", "order": 3, "question": "", "answer": ["x"]}]}
    path = tmp_path / "tatqa_dataset_dev.holdout.json"
    path.write_text(json.dumps([ctx, "not a context"]), encoding="utf-8")
    errors = []
    got = list(load("tatqa", tmp_path, on_error=lambda w, r: errors.append((w, r))))
    assert [e.example_id for e in got] == ["q1", "q2"]
    q1, q2 = got
    assert q1.doc_id == "T1" and q1.paragraphs == ["First.", "Second."]
    assert q1.table == [["", "2019", "2018"], ["Revenue", "$ 10.5", "9"]]
    assert (q1.answers, q1.meta["scale"], q1.license) == (["$ 10.5"], "million", "CC BY 4.0")
    assert (q2.answers, q2.meta["derivation"], q2.meta["answer"]) == (["1.5"], "10.5-9", 1.5)
    assert errors == [("q3", "question without text or answer"),
                      (f"{path}[1]", "context is not an object")]


def test_answer_strings():
    assert answer_strings(3.0) == ["3"]
    assert answer_strings(-22.22) == ["-22.22"]
    assert answer_strings(["a", "b"]) == ["a", "b"]


def test_bad_files_raise_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="no such file or folder"):
        list(load("wtq", tmp_path / "missing"))
    with pytest.raises(SourceError, match="no TAT-QA dataset JSON here"):
        list(load("tatqa", tmp_path))
    bad = tmp_path / "tatqa_dataset_dev.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(SourceError, match="not a readable TAT-QA JSON file"):
        list(load("tatqa", bad))
    bad.write_text('{"table": {}}', encoding="utf-8")
    with pytest.raises(SourceError, match="a JSON list of contexts"):
        list(load("tatqa", bad))
    q = tmp_path / "questions.tsv"
    q.write_text("a\tb\n", encoding="utf-8")
    with pytest.raises(SourceError, match="not a WTQ questions file"):
        list(load("wtq", q))
    with pytest.raises(UnknownNameError, match="Did you mean 'wtq'"):
        load("wqt", q)
    assert sources.names() == ["tatqa", "wtq"]


def test_shared_corpora_load_in_full():
    wtq = list(load("wtq", corpus("wikitablequestions")))
    tatqa = list(load("tatqa", corpus("tatqa")))
    assert (len(wtq), len({e.doc_id for e in wtq})) == (195, 138)
    assert (len(tatqa), len({e.doc_id for e in tatqa})) == (1110, 185)
    assert sum(e.meta["answer_from"] == "text" for e in tatqa) == 255
    first = next(e for e in tatqa if e.example_id == "4960801d-277d-4f79-8eca-c4d0200fa9d6")
    assert (first.question, first.answers, first.meta["scale"]) == (
        "What is the amount of total sales in 2019?", ["$1,496.5"], "million")


def test_each_dataset_declares_its_file_patterns_once():
    assert source_files("tatqa") == ("tatqa_dataset_*.json", "*.shared.json", "*.holdout.json",
                                     "*.json")
    assert source_markers("tatqa") == ("tatqa_dataset_*.json", "*.shared.json", "*.holdout.json")
    assert source_files("wtq") == ("questions.tsv", "questions*.tsv", "*.tsv")
    assert source_markers("wikitablequestions") == ("questions*.tsv",)


def test_ingest_hash_covers_the_files_the_loader_reads(tmp_path):
    # A TAT-QA folder with a stray questions.tsv: the stage's hash used to cover that TSV
    # alone, so an edited TAT-QA file did not redo the stage.
    from abstab.stages.ingest import IngestStage

    data = tmp_path / "tatqa"
    data.mkdir()
    dataset = data / "tatqa_dataset_dev.json"
    dataset.write_text("[]", encoding="utf-8")
    (data / "questions.tsv").write_text("id\n", encoding="utf-8")

    def digests() -> list[str]:
        stage = IngestStage(tmp_path / "work", {"source": "tatqa", "inputs": [str(data)]})
        return stage.hash_inputs()["data"]

    before = digests()
    assert len(before) == 1
    (data / "questions.tsv").write_text("id\tutterance\n", encoding="utf-8")
    assert digests() == before
    dataset.write_text("[ ]", encoding="utf-8")
    assert digests() != before


def test_each_dataset_is_one_class_that_every_user_reads_through(tmp_path):
    from abstab.bench.data import detect_kind
    from abstab.sources import open_source
    from abstab.sources.tatqa import TatQADataset
    from abstab.sources.wtq import WTQDataset

    assert sources.get("wikitablequestions") is WTQDataset
    assert sources.get("tat-qa") is TatQADataset
    assert (WTQDataset.title, TatQADataset.title) == ("WikiTableQuestions", "TAT-QA")
    root = _wtq(tmp_path)
    wtq = open_source("wtq", root)
    assert (wtq.root, wtq.data_files()) == (root.resolve(), [root / "questions.tsv"])
    assert WTQDataset.detect(root) and not TatQADataset.detect(root)
    assert detect_kind(root) == "wtq"
    with pytest.raises(SourceError, match="no such file or folder; give the wtq dataset's"):
        open_source("wtq", root / "missing")


def test_a_new_dataset_is_one_class(tmp_path, monkeypatch):
    """A dataset registered as one SourceDataset subclass is ingested, its title and license
    in the synthetic documents' attribution line, and benched (detected by its markers)."""
    from abstab.bench.data import detect_kind, load_data
    from abstab.records import Document
    from abstab.sources import SourceDataset, find_files
    from abstab.stages.ingest import IngestStage
    from abstab.store import StageDir

    class ToyDataset(SourceDataset):
        name, title, license, what, files = "toy", "Toy QA", "CC0", "toy file", ("*.toy",)
        markers = files

        def examples(self, on_error):
            for f in self.data_files(on_error):
                question, answer = f.read_text(encoding="utf-8").split("|")
                yield SourceExample(
                    source="toy", example_id=f.stem, doc_id=f.stem, question=question,
                    answers=[answer], license=self.license,
                    table=[["City", "Population"], ["Ashgrove", "41"], ["Northfield", "18"]])

    from abstab.bench.data import dataset_kinds

    for registry in (sources, dataset_kinds):  # registered for this test only
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))
    sources.add("toy", ToyDataset)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t1.toy").write_text("What is the population of Ashgrove?|41")
    assert find_files(tmp_path / "data", ("*.toy",), "toy file") == [tmp_path / "data" / "t1.toy"]
    IngestStage(tmp_path / "w", {"source": "toy", "inputs": [str(tmp_path / "data")],
                                 "styles": ["acronym"], "explanations": ["explicit"],
                                 "lookup_questions": 0, "render_pdf": False}).run()
    docs = list(StageDir(tmp_path / "w", "ingest", ()).read("documents", Document))
    assert len(docs) == 2
    assert {d.blocks[-1].text for d in docs} == {"Source: Toy QA (CC0), table t1."}
    assert detect_kind(tmp_path / "data") == "toy"
    data = load_data(tmp_path / "data")
    assert (data.kind, [(i.item_id, i.question, i.answer.text) for i in data.items]) == (
        "toy", [("t1", "What is the population of Ashgrove?", "41")])
