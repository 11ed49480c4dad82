"""Ingest and bench read only inside the dataset folder the user named (issue 15, point 2)."""

import hashlib
import json
import os
from pathlib import Path

import pymupdf
import pytest
from builders import PROV
from click.testing import CliRunner

from abstab.cli import cli

SECRET = "HOSTSECRET7731"
TABLE = ("Country\tPopulation\tArea (km2)\tCapital\n"
         "Belize\t383,071\t22,966\tBelmopan\n"
         "Costa Rica\t4,999,441\t51,100\tSan José\n"
         "El Salvador\t6,420,746\t21,041\tSan Salvador\n")
PIPELINE = ("name: t\ndataset: wtq\ninputs: [nowhere]\nstages:\n"
            "  ingest: {styles: [acronym], explanations: [explicit], lookup_questions: 1}\n")


def _everything_under(folder: Path) -> str:
    """Every file's bytes under ``folder`` as text, with each PDF's text (its streams are
    compressed, so the bytes alone would hide a leaked cell)."""
    parts = []
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            parts.append(p.read_bytes().decode("utf-8", "replace"))
            if p.suffix == ".pdf":
                with pymupdf.open(p) as doc:
                    parts.extend(page.get_text() for page in doc)
    return "\n".join(parts)


@pytest.fixture
def hostile_wtq(tmp_path: Path) -> Path:
    """A WTQ folder whose questions name a host file four ways: through ``..``, by absolute
    path, through a symlinked .csv, and through a symlinked .tsv beside a real .csv."""
    (tmp_path / "secret.csv").write_text(f"Name,Code\nalpha,{SECRET}\n", encoding="utf-8")
    (tmp_path / "secret.tsv").write_text(f"Name\tCode\nalpha\t{SECRET}\n", encoding="utf-8")
    data = tmp_path / "data"
    tables = data / "csv" / "200-csv"
    tables.mkdir(parents=True)
    (tables / "1.tsv").write_text(TABLE, encoding="utf-8")
    os.symlink(tmp_path / "secret.csv", tables / "2.csv")
    (tables / "3.csv").write_text("Name,Code\nalpha,harmless\n", encoding="utf-8")
    os.symlink(tmp_path / "secret.tsv", tables / "3.tsv")
    (data / "questions.tsv").write_text(
        "id\tutterance\tcontext\ttargetValue\n"
        "nt-1\twhat is the population of Belize?\tcsv/200-csv/1.csv\t383,071\n"
        "nt-2\twhat is the code of alpha?\t../secret.csv\talpha\n"
        f"nt-3\twhat is the code of alpha?\t{tmp_path / 'secret.csv'}\talpha\n"
        "nt-4\twhat is the code of alpha?\tcsv/200-csv/2.csv\talpha\n"
        "nt-5\twhat is the code of alpha?\tcsv/200-csv/3.csv\talpha\n", encoding="utf-8")
    return data


def _refusals(data: Path) -> list[tuple[str, str]]:
    q = data / "questions.tsv"
    symlink = "is a symlink out of the dataset folder"
    return [
        (f"nt-2 ({q}:3)", f"path '../secret.csv' leaves the dataset folder {data} through '..'"),
        (f"nt-3 ({q}:4)",
         f"path '{data.parent / 'secret.csv'}' is not relative to the dataset folder {data}"),
        (f"nt-4 ({q}:5)", f"path 'csv/200-csv/2.csv' {symlink} {data}"),
        (f"nt-5 ({q}:6)", f"path 'csv/200-csv/3.tsv' {symlink} {data}"),
    ]


def test_synth_on_wtq_reads_nothing_outside_the_dataset_folder(hostile_wtq: Path,
                                                              tmp_path: Path) -> None:
    pipe = tmp_path / "p.yaml"
    pipe.write_text(PIPELINE, encoding="utf-8")
    work = tmp_path / "work"
    res = CliRunner().invoke(cli, ["synth", "-p", str(pipe), "-o", str(work), str(hostile_wtq)],
                             catch_exceptions=False)
    # The bad rows are per-item errors (exit 1); the good table still makes its documents.
    assert res.exit_code == 1, res.output
    errors = [json.loads(line) for line in (work / "ingest" / "errors.jsonl").open()]
    assert [(e["item"], e["reason"], e["message"]) for e in errors] == [
        (item, "bad_source_example", message) for item, message in _refusals(hostile_wtq)]
    assert {i["source"]["doc_id"] for i in map(json.loads, (work / "assemble" / "items.jsonl")
                                               .open())} == {"csv/200-csv/1.csv"}
    assert any((work / "ingest" / "pdfs").glob("*.pdf"))
    assert SECRET not in _everything_under(work)


def test_bench_on_wtq_reads_nothing_outside_the_dataset_folder(hostile_wtq: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "bench"
    res = CliRunner().invoke(cli, ["bench", str(hostile_wtq), "-s", "table", "-o", str(out),
                                   "--no-plots"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    first_item, first_why = _refusals(hostile_wtq)[0]
    assert (f"4 example(s) of the dataset could not be read; first: {first_item}: {first_why}"
            in res.output.splitlines())
    assert json.loads((out / "results.json").read_text())["dataset"]["items"] == 1
    assert SECRET not in _everything_under(out) + res.output


def test_bench_on_tatqa_skips_a_dataset_file_linked_from_outside(tmp_path: Path) -> None:
    def context(uid: str, question: str) -> list[dict]:
        return [{"table": {"uid": uid, "table": [["", "2019"], ["Revenue", "10"]]},
                 "paragraphs": [], "questions": [
                     {"uid": f"{uid}-q", "order": 1, "question": question, "answer": ["10"],
                      "answer_type": "span", "answer_from": "table", "scale": ""}]}]

    (tmp_path / "host.json").write_text(json.dumps(context("H", f"{SECRET}?")), encoding="utf-8")
    data = tmp_path / "tatqa"
    data.mkdir()
    (data / "tatqa_dataset_dev.json").write_text(
        json.dumps(context("T", "What was revenue in 2019?")), encoding="utf-8")
    os.symlink(tmp_path / "host.json", data / "tatqa_dataset_test.json")
    out = tmp_path / "bench"
    res = CliRunner().invoke(cli, ["bench", str(data), "-s", "table", "-o", str(out),
                                   "--no-plots"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert (f"1 example(s) of the dataset could not be read; first: "
            f"{data / 'tatqa_dataset_test.json'}: path 'tatqa_dataset_test.json' is a symlink "
            f"out of the dataset folder {data}; not read") in res.output.splitlines()
    assert json.loads((out / "results.json").read_text())["dataset"]["items"] == 1
    assert SECRET not in _everything_under(out) + res.output


def test_bench_on_a_release_skips_parquet_linked_from_outside(hostile_wtq: Path,
                                                             tmp_path: Path) -> None:
    from abstab.release.build import ReleaseSettings, build_release

    pipe = tmp_path / "p.yaml"
    pipe.write_text(PIPELINE, encoding="utf-8")
    work = tmp_path / "work"
    CliRunner().invoke(cli, ["synth", "-p", str(pipe), "-o", str(work), str(hostile_wtq)],
                       catch_exceptions=False)
    settings = ReleaseSettings(name="t", pdfs=False, figures=False)
    rel, other = build_release(work, tmp_path / "rel", settings), build_release(
        work, tmp_path / "other", settings)
    n_items = sum(rel.counts["items"].values())
    host = next((other.path / "items").glob("*.parquet"))
    os.symlink(host, rel.path / "items" / "zz-00000-of-00001.parquet")
    out = tmp_path / "bench"
    res = CliRunner().invoke(cli, ["bench", str(rel.path), "-s", "table", "-o", str(out),
                                   "--no-plots"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert (f"1 example(s) of the dataset could not be read; first: "
            f"{rel.path / 'items' / 'zz-00000-of-00001.parquet'}: path "
            f"'items/zz-00000-of-00001.parquet' is a symlink out of the dataset folder "
            f"{rel.path}; not read") in res.output.splitlines()
    assert json.loads((out / "results.json").read_text())["dataset"]["items"] == n_items


# ------------------------------------------------------------- ids name no path (point 4)


def test_a_workspace_id_naming_a_path_is_a_validation_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "csv" / "200-csv").mkdir(parents=True)
    (data / "csv" / "200-csv" / "1.tsv").write_text(TABLE, encoding="utf-8")
    (data / "questions.tsv").write_text(
        "id\tutterance\tcontext\ttargetValue\n"
        "nt-1\twhat is the population of Belize?\tcsv/200-csv/1.csv\t383,071\n",
        encoding="utf-8")
    pipe = tmp_path / "p.yaml"
    pipe.write_text(PIPELINE, encoding="utf-8")
    work = tmp_path / "deep" / "work"
    res = CliRunner().invoke(cli, ["synth", "-p", str(pipe), "-o", str(work), str(data)],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    # Rename one document to a path everywhere the workspace names it, as a hostile or
    # hand-edited workspace would: the release would write its PDF to tmp_path/escape.pdf.
    docs = work / "ingest" / "documents.jsonl"
    doc_id = json.loads(docs.open().readline())["doc_id"]
    for f in work.rglob("*.jsonl"):
        f.write_text(f.read_text(encoding="utf-8").replace(doc_id, "../../../escape"),
                     encoding="utf-8")
    res = CliRunner().invoke(cli, ["release", str(work), "-o", str(tmp_path / "deep" / "rel")],
                             catch_exceptions=False)
    assert res.exit_code == 2, res.output
    assert res.output == (
        f"Error: {docs}:1: not a valid Document record (3 errors, "
        f"first: ('doc_id',) Value error, '../../../escape' is not a safe id: an id may hold "
        f"no '/', '\\', '..' or control character, and is not empty or only dots (it names "
        f"files)). Rerun the stage that wrote it with --force.\n")
    assert not list(tmp_path.glob("escape*"))
    res = CliRunner().invoke(cli, ["bench", str(work), "-s", "table", "--no-plots"],
                             catch_exceptions=False)
    assert (res.exit_code, res.output.splitlines()[0][:len(f"Error: {docs}:1:")]) == (
        2, f"Error: {docs}:1:")


@pytest.mark.parametrize("value", ["../x", "a/b", "a\\b", "..", ".", "", "a\nb", "a\x00b",
                                   "x" * 201])
def test_record_ids_refuse_paths(value: str) -> None:
    from pydantic import ValidationError

    from abstab.records import Prediction

    with pytest.raises(ValidationError, match="item_id"):
        Prediction(item_id=value, system="s", answer="", abstained=True, latency_ms=0,
                   provenance=PROV)


@pytest.mark.parametrize("value", ["a13050e5a9ae2d92", "a13050e5a9ae2d92:t2:letter_codes:explicit",
                                   "syn-0f3a", "nt-0", "csv:200-csv:0.csv#table", "T1#p2",
                                   "4960801d-277d-4f79-8eca-c4d0200fa9d6", ".hidden", "x" * 200])
def test_record_ids_of_today_still_validate(value: str) -> None:
    from abstab.records import Prediction, safe_id

    assert Prediction(item_id=value, system="s", answer="", abstained=True, latency_ms=0,
                      provenance=PROV).item_id == value == safe_id(value)


def test_dataset_ids_become_safe_record_ids() -> None:
    from abstab.records import safe_id

    assert [safe_id(v) for v in ("csv/200-csv/0.csv", "../x", "a\tb", "/abs/x")] == [
        "csv:200-csv:0.csv", ".:x", "a:b", ":abs:x"]
    assert safe_id("..") == "id-" + hashlib.sha256(b"..").hexdigest()[:16]
    long = safe_id("y" * 300, 50)
    assert (len(long), long[:33], long[33]) == (50, "y" * 33, "~")


# ------------------------------------------------- pipeline YAML types (point 9, YAML types)


@pytest.mark.parametrize(("body", "message"), [
    ("stages: {extract: {workers: two}}",
     "stage extract: workers must be an integer, got a string 'two'"),
    ("stages: {extract: {timeout: true}}",
     "stage extract: timeout must be a number, got a boolean True"),
    ("inputs: 3", "inputs must be a string or a list of strings, got an integer 3"),
    ("stages: [a]", "stages must be a mapping of strings to values, got a list ['a']"),
    ("backend_settings: 5",
     "backend_settings must be a mapping of strings to values, got an integer 5"),
    ('stages: {generate: {controlled: "no"}}',
     "stage generate: controlled must be true or false, got a string 'no'"),
    ("stages: {generate: {styles: acronym}}",
     "stage generate: styles must be a list of strings, got a string 'acronym'"),
    ("stages: {assemble: {splits: {train: most}}}",
     ("stage assemble: splits must be a mapping of strings to numbers, got a mapping "
      "{'train': 'most'}")),
    ("dataset: wtq\nstages: {ingest: {limit: '5'}}",
     "stage ingest: limit must be an integer or null, got a string '5'"),
    ("stages: {judge: 4}", "stage judge: expected a mapping of settings, got an integer"),
    ("stages: {resolve: {retreiver: bm25, kk: 3}}",
     ("stage resolve: unknown setting(s) retreiver (did you mean retriever?), kk (did you mean "
     "k?); allowed: concurrency, k, min_confidence, retriever")),
    ("stagse: {}", ("unknown key(s) stagse (did you mean stages?); allowed: backend, "
     "backend_settings, dataset, description, inputs, name, stages")),
    ("stages: {extract: {max_worker_memory: [1]}}",
     "stage extract: max_worker_memory must be an integer or a string, got a list [1]"),
    ("stages: {resolve: {min_confidence: '0.5'}}",
     "stage resolve: min_confidence must be a number, got a string '0.5'"),
    ("stages: {resolve: {k: 0}}", "stage resolve: k must be >= 1, got 0"),
])
def test_pipeline_yaml_with_wrong_types_is_a_clear_error(body: str, message: str,
                                                         tmp_path: Path) -> None:
    pipe = tmp_path / "bad.yaml"
    pipe.write_text(f"name: t\n{body}\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["synth", "-p", str(pipe), "-o", str(tmp_path / "w")],
                             catch_exceptions=False)
    assert (res.exit_code, res.output) == (2, f"Error: {pipe}: {message}\n")
    assert not (tmp_path / "w").exists()


def test_integer_settings_hash_as_they_did_before_settings_were_typed() -> None:
    """A number setting written as an integer stays one in the hash: a workspace made by the
    dataclass settings is not redone."""
    from abstab.config import resolve_settings, settings_dict
    from abstab.stages.assemble import AssembleSettings
    from abstab.stages.resolve import ResolveSettings

    s = resolve_settings(AssembleSettings, {"splits": {"train": 1, "validation": 0, "test": 0},
                                            "near_duplicate_threshold": 1}, "t")
    assert json.dumps(settings_dict(s), sort_keys=True) == (
        '{"dedup": "auto", "max_per_location": {}, "max_per_style": {}, '
        '"near_duplicate_threshold": 1, "seed": "0", '
        '"splits": {"test": 0, "train": 1, "validation": 0}}')
    r = resolve_settings(ResolveSettings, {"retriever": "bm25", "min_confidence": 0.5}, "t")
    assert settings_dict(r) == {"concurrency": 1, "min_confidence": 0.5, "retriever": "bm25",
                                "k": 5}


def test_pipeline_yaml_types_that_fit_still_load(tmp_path: Path) -> None:
    from abstab.config import Pipeline

    pipe = tmp_path / "ok.yaml"
    pipe.write_text("name: t\ninputs: pdfs\nbackend_settings: {temperature: 0}\nstages:\n"
                    "  extract: {timeout: 5, workers: 2}\n  resolve: {retriever: null}\n"
                    "  generate: {controlled: false, styles: [acronym]}\n"
                    "  assemble: {splits: {train: 1, validation: 0, test: 0}}\n",
                    encoding="utf-8")
    loaded = Pipeline.load(pipe)
    assert (loaded.inputs, loaded.stages["extract"], loaded.stages["generate"]["controlled"]) == (
        [tmp_path / "pdfs"], {"timeout": 5, "workers": 2}, False)


def test_extract_never_reads_a_pdf_linked_from_outside_the_folder_named(tmp_path: Path) -> None:
    from conftest import SAMPLE_PDFS
    outside = tmp_path / "host"
    outside.mkdir()
    secret = outside / "private.pdf"
    secret.write_bytes(min(SAMPLE_PDFS.glob("*.pdf")).read_bytes())
    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "own.pdf").write_bytes(sorted(SAMPLE_PDFS.glob("*.pdf"))[1].read_bytes())
    os.symlink(secret, folder / "link.pdf")
    work = tmp_path / "w"
    result = CliRunner().invoke(cli, ["extract", str(folder), "-o", str(work)])
    assert result.exit_code == 1, result.output
    errors = [json.loads(line) for line in (work / "extract" / "errors.jsonl").open()]
    assert [(e["reason"], e["message"]) for e in errors] == [(
        "outside_folder", (f"{folder / 'link.pdf'}: a link to a file outside {folder}; copy "
                           "the PDF into the folder or name it on the command line"))]
    with pymupdf.open(secret) as doc:
        secret_line = doc[0].get_text().strip().splitlines()[0]
    assert secret_line not in _everything_under(work)
    assert [json.loads(d)["source"] for d in (work / "extract" / "documents.jsonl").open()] == [
        str((folder / "own.pdf").resolve())]
