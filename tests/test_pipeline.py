"""The whole pipeline on the bundled sample: outputs, resume, config changes, crashes, bad input."""

import json
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pymupdf as fitz
from click.testing import CliRunner
from conftest import SAMPLE_PDFS, SAMPLE_PIPELINE, wait_for
from killpoint import kill_at, start_until

from abstab.cli import cli
from abstab.records import ANSWER_LOCATIONS, QAItem
from abstab.store import StageDir

STAGES = ("extract", "judge", "resolve", "generate", "assemble")


def _items(work: Path) -> list[QAItem]:
    return list(StageDir(work, "assemble", ()).read("items", QAItem))


def _status(output: str) -> dict[str, str]:
    out = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in STAGES:
            out[parts[0]] = parts[1]
    return out


# What the README's sample run prints (timings aside): every count is exact.
SAMPLE_SYNTH = """\
extract   ran        in    4  kept    4  dropped   0
          4 documents, 5 pages, 8 tables
judge     ran        in    8  kept    8  dropped   0
          6 abstract, 2 clear, 0 not tables; 22 abstract headers
resolve   ran        in   22  kept   22  dropped   0
          12 explicit, 5 inferable_document, 0 inferable_table, 5 unresolvable
generate  ran        in  188  kept  179  dropped   9
          11 text, 103 table_clear, 36 table_defined, 26 table_implicit, 3 unanswerable
          table questions: 92 lookup, 13 comparison, 13 extremum, 12 count, 10 sum, 12 difference, 13 filter
assemble  ran        in  179  kept  175  dropped   4
          175 items: 101 train, 55 validation, 19 test; 63 easy, 69 medium, 43 hard
          cleaning funnel:
            PDFs                 4
            documents            4
            tables               8
            clean tables         8
            abstract tables      6   dropped 2 (clear_headers 2)
            items              175   dropped 4 (duplicate 4)
"""
SAMPLE_BENCH = """\
dataset: workspace (175 items)   backend: rules   metric: correct
| answer location | n | table | rag | hybrid | oracle | closed-book |
|---|---:|---:|---:|---:|---:|---:|
| text | 11 | 0.00 | 1.00 | 1.00 | 1.00 | 0.00 |
| table_clear | 99 | 0.74 | 0.74 | 0.74 | 0.74 | 0.00 |
| table_defined | 36 | 0.03 | 0.75 | 0.75 | 0.75 | 0.00 |
| table_implicit | 26 | 0.04 | 0.65 | 0.65 | 0.77 | 0.00 |
| unanswerable | 3 | 0.67 | 0.67 | 0.67 | 0.67 | 1.00 |
| overall | 175 | 0.44 | 0.74 | 0.74 | 0.76 | 0.02 |
| abstraction gap (paired) | 62 | +0.73 | +0.05 | +0.05 | +0.00 | +0.00 |
"""


def test_sample_run_prints_the_readme_counts_and_covers_every_location_and_style(sample_work):
    work, synth, _bench = sample_work
    assert synth.exit_code == 0, synth.output
    assert re.sub(r" +[\d.]+s$", "", synth.output, flags=re.MULTILINE) == SAMPLE_SYNTH
    items = _items(work)
    assert Counter(i.answer_location for i in items) == {
        "text": 11, "table_clear": 99, "table_defined": 36, "table_implicit": 26,
        "unanswerable": 3}
    assert set(ANSWER_LOCATIONS) == {i.answer_location for i in items}
    assert Counter(i.abstraction.style for i in items) == {
        "natural": 113, "shortened": 24, "letter_codes": 21, "acronym": 15, "symbol": 2}
    # Both kinds of origin, and splits by document: no document in two splits.
    assert Counter(i.origin for i in items) == {"document": 159, "controlled": 16}
    assert Counter(i.split for i in items) == {"train": 101, "validation": 55, "test": 19}
    split_of_doc: dict[str, set[str]] = {}
    for i in items:
        split_of_doc.setdefault(i.doc_id, set()).add(i.split)
    assert all(len(s) == 1 for s in split_of_doc.values())


def test_bench_prints_the_readme_table_on_the_sample(sample_work):
    work, _, bench = sample_work
    assert bench.exit_code == 0, bench.output
    assert bench.output.startswith(SAMPLE_BENCH)
    results = json.loads((work / "bench" / "results.json").read_text())
    systems = results["systems"]
    correct = {s: {loc: (v["n"], round(v["correct"], 4)) for loc, v in
                   systems[s]["answer_location"].items()} for s in systems}
    assert correct == {
        "table": {"text": (11, 0.0), "table_clear": (99, 0.7374), "table_defined": (36, 0.0278),
                  "table_implicit": (26, 0.0385), "unanswerable": (3, 0.6667)},
        "rag": {"text": (11, 1.0), "table_clear": (99, 0.7374), "table_defined": (36, 0.75),
                "table_implicit": (26, 0.6538), "unanswerable": (3, 0.6667)},
        "hybrid": {"text": (11, 1.0), "table_clear": (99, 0.7374), "table_defined": (36, 0.75),
                   "table_implicit": (26, 0.6538), "unanswerable": (3, 0.6667)},
        "oracle": {"text": (11, 1.0), "table_clear": (99, 0.7374), "table_defined": (36, 0.75),
                   "table_implicit": (26, 0.7692), "unanswerable": (3, 0.6667)},
        "closed-book": {"text": (11, 0.0), "table_clear": (99, 0.0), "table_defined": (36, 0.0),
                        "table_implicit": (26, 0.0), "unanswerable": (3, 1.0)},
    }
    assert set(systems["oracle"]["origin"]) == {"document", "controlled"}
    # The oracle writes the gold meanings into the abstract table, so it loses nothing to
    # abstraction on the sample (62 pairs).
    gaps = {s: (v["abstraction_gap"]["pairs"], v["abstraction_gap"]["gap"])
            for s, v in systems.items()}
    assert gaps == {"table": (62, 0.7258), "rag": (62, 0.0484), "hybrid": (62, 0.0484),
                    "oracle": (62, 0.0), "closed-book": (62, 0.0)}
    for name in systems:
        assert (work / "bench" / f"{name}-rules" / "predictions.jsonl").exists()


def test_rerun_redoes_nothing_and_changed_config_redoes_downstream(sample_work, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(sample_work[0], work)
    runner = CliRunner()
    before = {p: p.stat().st_mtime_ns for p in work.rglob("*.jsonl")}
    again = runner.invoke(cli, ["synth", "-p", str(SAMPLE_PIPELINE), "-o", str(work)],
                          catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert _status(again.output) == dict.fromkeys(STAGES, "up-to-date")
    assert {p: p.stat().st_mtime_ns for p in work.rglob("*.jsonl")} == before

    changed = tmp_path / "changed.yaml"
    text = SAMPLE_PIPELINE.read_text().replace("rows_per_column: 2", "rows_per_column: 1")
    changed.write_text(text.replace("../datasets/sample/pdfs", str(SAMPLE_PDFS)))
    third = runner.invoke(cli, ["synth", "-p", str(changed), "-o", str(work)],
                          catch_exceptions=False)
    assert _status(third.output) == {"extract": "up-to-date", "judge": "up-to-date",
                                     "resolve": "up-to-date", "generate": "ran", "assemble": "ran"}
    assert len(_items(work)) < len(_items(sample_work[0]))

    forced = runner.invoke(cli, ["judge", str(work), "--force"], catch_exceptions=False)
    assert _status(forced.output) == {"judge": "ran"}


def _run_extract(work: Path, pdfs: list[Path]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "abstab", "extract", *map(str, pdfs), "-o",
                             str(work)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _extract_args(work: Path, pdfs: list[Path]) -> list[str]:
    return ["extract", *map(str, pdfs), "-o", str(work)]


def test_sigkill_mid_stage_then_resume_equals_uninterrupted_run(tmp_path):
    pdfs = sorted(SAMPLE_PDFS.glob("*.pdf"))
    assert len(pdfs) >= 3
    clean = tmp_path / "clean"
    assert _run_extract(clean, pdfs).wait(120) == 0

    killed = tmp_path / "killed"
    # killed with the second unit's records on disk and its journal line not written
    kill_at(_extract_args(killed, pdfs), 2, "records")
    journal = killed / "extract" / ".journal"
    assert len(journal.read_text().splitlines()) - 1 == 1
    assert not (killed / "extract" / "done.json").exists()

    resumed = _run_extract(killed, pdfs)
    out, _ = resumed.communicate(timeout=120)
    assert resumed.returncode == 0
    assert "resumed after 1 done units" in out.decode()
    for name in ("documents.jsonl", "tables.jsonl", "errors.jsonl"):
        assert (killed / "extract" / name).read_bytes() == (clean / "extract" / name).read_bytes()
    assert json.loads((killed / "extract" / "stats.json").read_text()) == json.loads(
        (clean / "extract" / "stats.json").read_text())


def _sorted_lines(stage_dir: Path) -> dict[str, list[str]]:
    return {p.name: sorted(p.read_text(encoding="utf-8").splitlines())
            for p in sorted(stage_dir.glob("*.jsonl"))}


def test_a_rerun_retries_a_failed_file_and_a_sigkill_during_the_retry_resumes(tmp_path):
    pdfs = sorted(SAMPLE_PDFS.glob("*.pdf"))
    (tmp_path / "notes.pdf").write_text("a text file, not a PDF\n")
    inputs = [*pdfs[:2], tmp_path / "notes.pdf", *pdfs[2:]]  # its unit in the middle
    clean = tmp_path / "clean"
    assert _run_extract(clean, inputs).wait(120) == 1
    work = tmp_path / "work"
    assert _run_extract(work, inputs).wait(120) == 1
    # The rerun cuts the failed unit out and redoes it; killed with half its error line written.
    kill_at(_extract_args(work, inputs), 1, "torn-records")
    errors = (work / "extract" / "errors.jsonl").read_text()
    assert "notes.pdf" in errors and not errors.endswith("\n")  # the torn line, uncommitted
    resumed = _run_extract(work, inputs)
    out, _ = resumed.communicate(timeout=120)
    assert resumed.returncode == 1
    assert f"resumed after {len(pdfs)} done units" in out.decode()
    assert _sorted_lines(work / "extract") == _sorted_lines(clean / "extract")
    assert (work / "extract" / "documents.jsonl").read_bytes() == (
        clean / "extract" / "documents.jsonl").read_bytes()
    # and the next rerun retries it again, alone
    again = CliRunner().invoke(cli, _extract_args(work, inputs), catch_exceptions=False)
    assert again.exit_code == 1
    assert f"(retried 1 failed unit(s), kept {len(pdfs)})" in again.output
    assert _sorted_lines(work / "extract") == _sorted_lines(clean / "extract")


def _bad_inputs(d: Path) -> dict[str, Path]:
    good = min(SAMPLE_PDFS.glob("*.pdf"))
    files = {"good": d / "good.pdf", "not_pdf": d / "notes.pdf", "empty": d / "empty.pdf",
             "truncated": d / "truncated.pdf", "encrypted": d / "locked.pdf",
             "scanned": d / "scanned.pdf"}
    shutil.copy(good, files["good"])
    files["not_pdf"].write_text("this is a text file, not a PDF\n")
    files["empty"].write_bytes(b"")
    files["truncated"].write_bytes(good.read_bytes()[:1500])
    src = fitz.open(good)
    src.save(files["encrypted"], encryption=fitz.PDF_ENCRYPT_AES_256, owner_pw="o", user_pw="u")
    img = fitz.open()
    page = img.new_page()
    pix = fitz.Pixmap(fitz.csRGB, fitz.IRect(0, 0, 40, 40), False)
    pix.clear_with(200)
    page.insert_image(page.rect, pixmap=pix)
    img.save(files["scanned"])
    return files


def test_bad_inputs_are_reported_one_line_each_and_the_rest_goes_on(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    files = _bad_inputs(inputs)
    empty_dir = tmp_path / "no_pdfs"
    empty_dir.mkdir()
    work = tmp_path / "work"
    result = CliRunner().invoke(
        cli, ["extract", *map(str, files.values()), str(tmp_path / "missing.pdf"), str(empty_dir),
              "-o", str(work)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    errors = [json.loads(x) for x in (work / "extract" / "errors.jsonl").read_text().splitlines()]
    by_reason = {e["reason"]: e for e in errors}
    assert sorted(by_reason) == ["damaged", "empty_file", "encrypted", "no_pdfs", "no_text_layer",
                                 "not_found", "not_pdf"]
    assert len(errors) == 7
    assert "notes.pdf" in by_reason["not_pdf"]["message"]
    assert "missing.pdf" in by_reason["not_found"]["message"]
    docs = (work / "extract" / "documents.jsonl").read_text().splitlines()
    assert len(docs) == 1 and json.loads(docs[0])["source"].endswith("good.pdf")
    assert "7 item(s) failed" in result.output


def test_usage_errors_exit_2(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["judge", str(tmp_path / "nowork")])
    assert r.exit_code == 2
    assert "needs the extract stage's output" in r.output
    r = runner.invoke(cli, ["bench", str(tmp_path), "--system", "hybird"])
    assert r.exit_code == 2 and "Did you mean 'hybrid'?" in r.output
    r = runner.invoke(cli, ["synth", "-p", "nonesuch", "-o", str(tmp_path)])
    assert r.exit_code == 2 and "pipeline 'nonesuch' not found" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("inputs: [x]\nstages:\n  generate: {rows_per_colum: 2}\n")
    r = runner.invoke(cli, ["synth", "-p", str(bad), "-o", str(tmp_path / "w")])
    assert r.exit_code == 2 and "unknown setting(s) rows_per_colum" in r.output


def _alive(marker: str) -> list[str]:
    out = subprocess.run(["pgrep", "-f", marker], check=False, capture_output=True,
                         text=True).stdout
    return out.split()


def test_ctrl_c_or_sigterm_stops_workers_and_the_run_resumes(tmp_path):
    pdfs = sorted(SAMPLE_PDFS.glob("*.pdf"))
    for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        work = tmp_path / f"w{int(sig)}"
        # Signalled while its first commit blocks (its records written, no journal line).
        proc = start_until(_extract_args(work, pdfs) + ["--workers", "2"], 1, "records",
                           stderr=subprocess.PIPE, ctrl_c=True)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == code
        if sig == signal.SIGINT:
            assert b"run the same command again to resume" in err
        # No worker process left behind: they die with their parent (the kernel kills them).
        wait_for(lambda marker=str(work): _alive(marker) == [], "the workers' exit")
        resumed = _run_extract(work, pdfs)
        _, err = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, err
        docs = (work / "extract" / "documents.jsonl").read_text().splitlines()
        assert len(docs) == len(pdfs)


def test_a_rerun_retries_the_failed_llm_item_only_and_changed_outputs_redo_downstream(
        tmp_path, monkeypatch):
    from llm_server import FakeLLMServer, error, ok

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    runner = CliRunner()
    base = tmp_path / "base"
    r = runner.invoke(cli, ["extract", str(SAMPLE_PDFS / "pump_reliability.pdf"), "-o", str(base)],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    first, _second = [json.loads(x) for x in
                     (base / "extract" / "tables.jsonl").read_text().splitlines()]
    mtbf = first["columns"].index("MTBF")
    abstract = {"label": "abstract", "confidence": 0.9, "reasons": ["codes"], "keywords": [
        {"keyword": "MTBF", "row": 0, "col": mtbf, "style": "acronym", "score": 0.9}]}
    clear = {"label": "clear", "confidence": 0.8, "reasons": ["plain words"], "keywords": []}
    mode = {"down": True, "second": clear}

    def respond(request):
        prompt = json.dumps(request["messages"], ensure_ascii=False)
        if f"Caption: {first['caption']}" in prompt:
            return error(500, "overloaded") if mode["down"] else ok(abstract)
        return ok(mode["second"])

    def run(work, *args):
        out = runner.invoke(cli, [*args, str(work)], catch_exceptions=False)
        return out.exit_code, _status(out.output), out.output

    llm = ["--backend", "openai", "--model", "m", "--api-key", "k", "--no-cache",
           "--max-retries", "0", "--concurrency", "1"]
    work, good = tmp_path / "work", tmp_path / "good"
    shutil.copytree(base, work)
    shutil.copytree(base, good)
    with FakeLLMServer(respond) as server:
        llm += ["--base-url", server.url]
        code, status, out = run(work, "judge", *llm)
        assert (code, status) == (1, {"judge": "ran"}) and "1 item(s) failed" in out
        for stage in ("resolve", "generate", "assemble"):
            assert run(work, stage)[:2] == (0, {stage: "ran"})
        mode["down"] = False
        for stage in ("judge", "resolve", "generate", "assemble"):  # an uninterrupted good run
            assert run(good, stage, *(llm if stage == "judge" else []))[:2] == (0, {stage: "ran"})

        server.reset_counts()
        code, status, out = run(work, "judge", *llm)
        assert (code, status) == (0, {"judge": "ran"})
        assert "(retried 1 failed unit(s), kept 1)" in out
        asked = [json.dumps(q["messages"], ensure_ascii=False) for q in server.requests]
        assert len(asked) == 1 and f"Caption: {first['caption']}" in asked[0]
        for stage in ("judge", "resolve", "generate", "assemble"):
            if stage != "judge":  # the judgments changed: every later stage redoes
                assert run(work, stage)[:2] == (0, {stage: "ran"})
            assert _sorted_lines(work / stage) == _sorted_lines(good / stage)

        # --force with the same replies writes the same judgments: nothing later redoes ...
        assert run(work, "judge", "--force", *llm)[:2] == (0, {"judge": "ran"})
        assert run(work, "resolve")[:2] == (0, {"resolve": "up-to-date"})
        # ... and with a changed judgment, the later stages redo
        mode["second"] = {**abstract, "keywords": []}
        assert run(work, "judge", "--force", *llm)[:2] == (0, {"judge": "ran"})
        for stage in ("resolve", "generate", "assemble"):
            assert run(work, stage)[:2] == (0, {stage: "ran"})


def test_damaged_state_foreign_files_and_a_busy_upstream_are_messages_not_tracebacks(tmp_path):
    from filelock import FileLock

    runner = CliRunner()
    work = tmp_path / "work"

    def run(*args):
        return runner.invoke(cli, [*args], catch_exceptions=False)

    assert run("extract", str(SAMPLE_PDFS / "pump_reliability.pdf"), "-o", str(work)).exit_code == 0
    assert run("judge", str(work)).exit_code == 0
    done = work / "judge" / "done.json"
    done.write_bytes(b"")  # what a crash mid-write left before done.json was written atomically
    for args in (("resolve", str(work)), ("judge", str(work))):
        r = run(*args)
        assert r.exit_code == 2
        assert r.output == (f"Error: {done} is empty: rerun the judge stage with --force, or "
                            f"delete done.json and run it again\n")
    (work / "judge" / "notes.txt").write_text("my notes")
    r = run("judge", str(work), "--force")
    assert r.exit_code == 0 and _status(r.output) == {"judge": "ran"}
    assert (f"note: {work / 'judge'} holds files abstab did not write, left in place: "
            f"notes.txt") in r.output
    assert (work / "judge" / "notes.txt").read_text() == "my notes"

    stats = work / "judge" / "stats.json"
    stats.write_text('{"in": 2, "ke')
    r = run("judge", str(work))
    assert r.exit_code == 2 and r.output.startswith(f"Error: {stats} is not valid JSON (")
    assert r.output.endswith("rerun the judge stage with --force, or delete stats.json and run "
                             "it again\n")
    assert run("judge", str(work), "--force").exit_code == 0

    journal = work / "judge" / ".journal"
    journal.write_bytes(journal.read_bytes().replace(b'"unit"', b'"un\xffit"', 1))
    done.unlink()  # so that the stage reopens its journal
    r = run("judge", str(work))
    assert r.exit_code == 2
    assert r.output == (f"Error: {journal}:2: not a journal line (the file was damaged): rerun "
                        f"the judge stage with --force, or delete .journal to redo it\n")
    assert run("judge", str(work), "--force").exit_code == 0

    tables = work / "extract" / "tables.jsonl"
    lines = tables.read_bytes().splitlines(keepends=True)
    tables.write_bytes(lines[0] + lines[1].replace(b'"table_id": "', b'"table_id": "\xff'))
    r = run("judge", str(work), "--force")
    assert r.exit_code == 2
    assert r.output.startswith(f"Error: {tables}:2: not a valid Table record (")
    tables.write_bytes(b"".join(lines))
    assert run("judge", str(work)).exit_code == 0

    with FileLock(str(work / ".judge.lock")):  # another process writing judge
        r = run("resolve", str(work))
    assert r.exit_code == 2
    assert r.output == (f"Error: another abstab process is writing {work / 'judge'}; wait for it "
                        f"to finish (or stop it), then run again\n")
    assert run("resolve", str(work)).exit_code == 0


def _without_timings(text: str) -> list[str]:
    return [re.sub(r"\s+\d+(\.\d+)?s$", "", line.rstrip()) for line in text.splitlines()]


def test_the_readme_sample_block_is_what_the_readme_command_prints(sample_work):
    """The README's sample block, line for line (timings aside), is what its first command
    prints: synth, then `abstab bench work`. That command installs abstab without the embed
    extra, so its default retriever is bm25, as the fixture's bench is."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What the sample run prints", 1)[1]
    block = _without_timings(section.split("```\n", 1)[1].split("```", 1)[0])
    _, synth, bench = sample_work
    printed = [line for line in _without_timings(synth.output) + _without_timings(bench.output)
               if line.strip()]
    assert printed[:len(block)] == block
