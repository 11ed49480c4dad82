"""One stage protocol: stages declare the record kinds they consume and produce, find their
inputs by kind, run in the order those declarations give, and are counted by the runner."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_PDFS, SAMPLE_PIPELINE

from abstab.cli import cli
from abstab.registry import stages
from abstab.stages.base import Stage

TABLE = ("Country\tPopulation\tArea (km2)\tCapital\n"
         "Belize\t383,071\t22,966\tBelmopan\n"
         "Costa Rica\t4,999,441\t51,100\tSan José\n"
         "El Salvador\t6,420,746\t21,041\tSan Salvador\n")
QUESTIONS = ("id\tutterance\tcontext\ttargetValue\n"
             "nt-1\twhat is the population of Belize?\tcsv/200-csv/1.csv\t383,071\n")


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _stages_run(output: str) -> list[str]:
    """The stage of every report line (``NAME  ran  in ...``), in the order they ran."""
    return [line.split()[0] for line in output.splitlines()
            if len(line.split()) > 2 and line.split()[1] in ("ran", "up-to-date")]


@pytest.fixture
def wtq(tmp_path: Path) -> Path:
    root = tmp_path / "wtq"
    (root / "csv" / "200-csv").mkdir(parents=True)
    (root / "csv" / "200-csv" / "1.tsv").write_text(TABLE, encoding="utf-8")
    (root / "questions.tsv").write_text(QUESTIONS, encoding="utf-8")
    return root


def test_a_pipeline_listing_stages_out_of_order_runs_them_in_the_derived_order(tmp_path):
    pipe = tmp_path / "p.yaml"
    pipe.write_text(f"name: t\ninputs: [{SAMPLE_PDFS / 'pump_reliability.pdf'}]\nstages:\n"
                    "  assemble: {dedup: text}\n  generate: {}\n  resolve: {retriever: bm25}\n"
                    "  judge: {}\n  extract: {engine: pymupdf}\n", encoding="utf-8")
    res = _invoke("synth", "-p", str(pipe), "-o", str(tmp_path / "w"))
    assert res.exit_code == 0, res.output
    assert _stages_run(res.output) == ["extract", "judge", "resolve", "generate", "assemble"]


def test_a_dataset_pipeline_lists_its_stages_in_any_order(wtq, tmp_path):
    pipe = tmp_path / "p.yaml"
    pipe.write_text("name: t\ndataset: wtq\ninputs: [x]\nstages:\n  assemble: {}\n"
                    "  controlled: {}\n  ingest: {styles: [acronym], explanations: [explicit],"
                    " render_pdf: false}\n", encoding="utf-8")
    res = _invoke("synth", "-p", str(pipe), "-o", str(tmp_path / "w"), str(wtq))
    assert res.exit_code == 0, res.output
    assert _stages_run(res.output) == ["ingest", "controlled", "assemble"]
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == [
        ".assemble.lock", ".controlled.lock", ".ingest.lock", "assemble", "controlled", "ingest"]


@pytest.mark.parametrize(("body", "message"), [
    ("stages: {controlled: {}}",
     ("stage controlled needs ingested_items, and no stage of this pipeline can produce them "
     "from its pdfs")),
    ("stages: {bogus: {}}",
     ("unknown stage(s) bogus; stages are extract, judge, resolve, generate, assemble, ingest, "
     "controlled")),
    ("dataset: wtq\nstages: {generate: {}, controlled: {}}",
     "stages generate and controlled both produce items; a pipeline keeps one of them"),
    ("dataset: wtq\nstages: {extract: {}}",
     ("stage extract reads pdfs, and this pipeline reads a dataset (`dataset:`): remove extract "
     "from its stages")),
])
def test_a_stage_whose_input_no_stage_makes_is_an_error_naming_it(body, message, tmp_path):
    pipe = tmp_path / "p.yaml"
    pipe.write_text(f"name: t\ninputs: [x]\n{body}\n", encoding="utf-8")
    res = _invoke("synth", "-p", str(pipe), "-o", str(tmp_path / "w"))
    assert (res.exit_code, res.output) == (2, f"Error: {pipe}: {message}\n")
    assert not (tmp_path / "w").exists()


def test_ingest_writes_its_own_folder_and_judge_reads_it(wtq, tmp_path):
    work = tmp_path / "w"
    res = _invoke("ingest", str(wtq), "-o", str(work), "--source", "wtq", "--no-pdf")
    assert res.exit_code == 0, res.output
    assert _stages_run(res.output) == ["ingest"]
    assert not (work / "extract").exists()
    marker = json.loads((work / "ingest" / "done.json").read_text())
    assert marker["produces"] == ["documents", "tables", "ingested_items"]
    n_tables = len((work / "ingest" / "tables.jsonl").read_text().splitlines())
    # The clear table and its abstract variants: 4 styles × explicit, removed and implicit (the
    # items ask every population, so no value may be named; a trend or a comparison may).
    assert n_tables == 13

    legacy = tmp_path / "legacy"
    shutil.copytree(work, legacy)

    res = _invoke("judge", str(work))
    assert res.exit_code == 0, res.output
    judge = json.loads((work / "judge" / "stats.json").read_text())
    assert (judge["in"], judge["kept"]) == (n_tables, n_tables)

    # A workspace of the previous version: ingest wrote WORK/extract, its marker named no
    # kinds. It is an extract folder, and judge reads it the same.
    (legacy / "ingest").rename(legacy / "extract")
    (legacy / ".ingest.lock").unlink()
    done = legacy / "extract" / "done.json"
    old = json.loads(done.read_text())
    del old["produces"]
    done.write_text(json.dumps(old))
    res = _invoke("judge", str(legacy))
    assert res.exit_code == 0, res.output
    assert (legacy / "judge" / "judgments.jsonl").read_text() == (
        work / "judge" / "judgments.jsonl").read_text()

    # Both folders in one workspace: which documents are meant is a question, not a guess.
    shutil.copytree(work / "ingest", legacy / "ingest")
    res = _invoke("judge", str(legacy), "--force")
    assert (res.exit_code, res.output) == (
        2, (f"Error: {legacy}: extract/ and ingest/ both hold documents (documents.jsonl); a "
           f"workspace holds one stage's documents: delete the folder you do not want, or use "
           f"a fresh workspace\n"))


def test_a_stage_with_no_input_in_the_workspace_names_the_stages_that_make_it(tmp_path):
    res = _invoke("controlled", str(tmp_path / "w"))
    assert (res.exit_code, res.output) == (
        2, (f"Error: stage controlled needs documents, and no finished stage in {tmp_path / 'w'} "
           f"produced them: it needs the extract stage's output (or the ingest stage's); run "
           f"`abstab extract` (or `abstab synth`) into {tmp_path / 'w'} first\n"))


# The sample's funnel as the stages counted it by hand before the runner counted it.
SAMPLE_COUNTS = {
    "extract": (4, 4, {}),
    "judge": (8, 8, {}),
    "resolve": (22, 22, {}),
    "generate": (188, 179, {"ambiguous_blank": 1, "unresolved_header": 5,
                            "unusable_meaning": 3}),
    "assemble": (179, 175, {"duplicate": 4}),
}


def test_the_runner_counts_the_sample_as_the_stages_did(tmp_path):
    work = tmp_path / "w"
    res = _invoke("synth", "-p", str(SAMPLE_PIPELINE), "-o", str(work))
    assert res.exit_code == 0, res.output
    got = {}
    for name in SAMPLE_COUNTS:
        s = json.loads((work / name / "stats.json").read_text())
        got[name] = (s["in"], s["kept"], s["dropped"])
    assert got == SAMPLE_COUNTS
    funnel = json.loads((work / "assemble" / "stats.json").read_text())["funnel"]
    assert [(f["step"], f["n"]) for f in funnel] == [
        ("PDFs", 4), ("documents", 4), ("tables", 8), ("clean tables", 8),
        ("abstract tables", 6), ("items", 175)]
    assert funnel[-1]["generated"] == 179


def test_no_stage_bends_the_runner():
    """Every registered stage runs through the base class's runner: none overrides how units
    run or are counted, and each declares what it reads and writes as record kinds."""
    from abstab.store import RECORD_KINDS

    for name in stages.ordered():
        cls = stages.get(name)
        assert cls.name == name
        assert not {"map", "run", "_run", "count"} & set(vars(cls)), name
        assert cls.shape in ("map", "file", "reduce")
        assert set(cls.consumes) | set(cls.produces) <= set(RECORD_KINDS), name
    assert stages.get("extract").shape == "file"
    assert stages.get("assemble").shape == "reduce"
    assert Stage.map is stages.get("extract").map
