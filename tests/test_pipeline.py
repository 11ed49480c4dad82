"""The whole pipeline on the bundled sample: outputs, resume, config changes, crashes, bad input."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pymupdf as fitz
from click.testing import CliRunner
from conftest import SAMPLE_PDFS, SAMPLE_PIPELINE

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


def test_sample_run_covers_every_location_and_style(sample_work):
    work, synth, _bench = sample_work
    assert synth.exit_code == 0, synth.output
    assert _status(synth.output) == dict.fromkeys(STAGES, "ran")
    items = _items(work)
    locations = Counter(i.answer_location for i in items)
    styles = Counter(i.abstraction.style for i in items)
    assert set(locations) == set(ANSWER_LOCATIONS)
    assert {"letter_codes", "acronym", "shortened", "symbol"} <= set(styles)
    # Both kinds of origin, and splits by document: no document in two splits.
    assert {i.origin for i in items} == {"document", "controlled"}
    split_of_doc: dict[str, set[str]] = {}
    for i in items:
        split_of_doc.setdefault(i.doc_id, set()).add(i.split)
    assert all(len(s) == 1 for s in split_of_doc.values())


def test_bench_oracle_beats_table_on_defined_headers(sample_work):
    work, _, bench = sample_work
    assert bench.exit_code == 0, bench.output
    results = json.loads((work / "bench" / "results.json").read_text())
    systems = results["systems"]
    assert set(systems) == {"table", "rag", "hybrid", "oracle", "closed-book"}
    defined = {s: systems[s]["answer_location"]["table_defined"]["correct"] for s in systems}
    assert defined["oracle"] > defined["table"]
    # Closed book answers nothing, so it is right exactly on the unanswerable items.
    cb = systems["closed-book"]["answer_location"]
    assert cb["unanswerable"]["correct"] == 1.0
    assert all(cb[loc]["correct"] == 0.0 for loc in cb if loc != "unanswerable")
    assert "| table_defined |" in bench.output and "| overall |" in bench.output
    assert set(systems["oracle"]["origin"]) == {"document", "controlled"}
    # The oracle writes the gold meanings into the abstract table, so it loses (almost)
    # nothing to abstraction; the clear twin's table has every resolved header written out,
    # which can mislead the rules reader on a multi-cell question (sum over "failures" also
    # matches the "failure" column), hence not exactly zero.
    assert abs(systems["oracle"]["abstraction_gap"]["gap"]) <= 0.05
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


def _run_extract(work: Path, pdfs: list[Path], delay: str | None) -> subprocess.Popen:
    env = dict(os.environ)
    if delay:
        env["ABSTAB_DEBUG_COMMIT_DELAY"] = delay
    return subprocess.Popen([sys.executable, "-m", "abstab", "extract", *map(str, pdfs), "-o",
                             str(work)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_sigkill_mid_stage_then_resume_equals_uninterrupted_run(tmp_path):
    pdfs = sorted(SAMPLE_PDFS.glob("*.pdf"))
    assert len(pdfs) >= 3
    clean = tmp_path / "clean"
    assert _run_extract(clean, pdfs, None).wait(120) == 0

    killed = tmp_path / "killed"
    proc = _run_extract(killed, pdfs, "1.0")
    journal = killed / "extract" / ".journal"
    deadline = time.time() + 60
    # Wait until one unit is committed and the next one's records are being written.
    while time.time() < deadline:
        if journal.exists() and len(journal.read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    time.sleep(1.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    committed = len(journal.read_text().splitlines()) - 1
    assert 1 <= committed < len(pdfs), "the kill did not land in the middle of the stage"
    assert not (killed / "extract" / "done.json").exists()

    resumed = _run_extract(killed, pdfs, None)
    out, _ = resumed.communicate(timeout=120)
    assert resumed.returncode == 0
    assert f"resumed after {committed} done units" in out.decode()
    for name in ("documents.jsonl", "tables.jsonl", "errors.jsonl"):
        assert (killed / "extract" / name).read_bytes() == (clean / "extract" / name).read_bytes()
    assert json.loads((killed / "extract" / "stats.json").read_text()) == json.loads(
        (clean / "extract" / "stats.json").read_text())


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
        env = {**os.environ, "ABSTAB_DEBUG_COMMIT_DELAY": "1.0"}
        # A suite started in the background ignores SIGINT, and children inherit that:
        # give the child the default disposition, as a terminal would.
        proc = subprocess.Popen([sys.executable, "-m", "abstab", "extract", *map(str, pdfs),
                                 "-o", str(work), "--workers", "2"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        journal = work / "extract" / ".journal"
        deadline = time.time() + 60
        while time.time() < deadline and not (
                journal.exists() and len(journal.read_text().splitlines()) >= 2):
            time.sleep(0.05)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == code
        if sig == signal.SIGINT:
            assert b"run the same command again to resume" in err
        time.sleep(0.5)
        assert _alive(str(work)) == []  # no worker process left behind
        resumed = _run_extract(work, pdfs, None)
        resumed.communicate(timeout=120)
        assert resumed.returncode == 0
        docs = (work / "extract" / "documents.jsonl").read_text().splitlines()
        assert len(docs) == len(pdfs)
