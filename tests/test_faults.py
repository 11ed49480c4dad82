"""Fault tests: SIGKILL at random points of every stage then resume; fifty malformed PDFs
beside good ones; an endpoint failing 30% of calls with 429, 500 and timeouts."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pymupdf
import pytest
from builders import PROV
from click.testing import CliRunner
from conftest import REPO, SAMPLE_PDFS
from killpoint import POINTS, kill_at
from llm_server import FakeLLMServer, Faults, Reply, ok

from abstab.cli import cli
from abstab.records import Document, Table
from abstab.store import StageDir, UnitResult

# -- fifty malformed PDFs, generated at test time (PyMuPDF or raw bytes) ----------------------


def raw_pdf(objects: list[bytes], root: int = 1, *, xref: bool = True) -> bytes:
    """A PDF from object bodies (object i+1 is objects[i]), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    start = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, root, start)
    return bytes(out)


def _page_objects(content: bytes) -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]


def _text_page(text: str) -> bytes:
    return raw_pdf(_page_objects(b"BT /F1 12 Tf 72 700 Td (" + text.encode() + b") Tj ET"))


def _save(doc: pymupdf.Document, path: Path, **kwargs: object) -> None:
    doc.save(path, **kwargs)
    doc.close()


def _report_page(page: pymupdf.Page, title: str) -> None:
    page.insert_text((72, 72), title, fontsize=14)
    page.insert_text((72, 100), "This page belongs to a report used to test bad inputs.")


def make_malformed(folder: Path, good: list[Path]) -> dict[str, str]:
    """Write 50 malformed PDFs into ``folder``; return ``{name: kind}``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261123)
    kinds: dict[str, str] = {}

    def put(name: str, kind: str, data: bytes | None = None) -> Path:
        path = folder / name
        if data is not None:
            path.write_bytes(data)
        kinds[name] = kind
        return path

    sources = [p.read_bytes() for p in good]
    # 12 truncated at different points of real reports
    for i, frac in enumerate((0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)):
        data = sources[i % len(sources)]
        put(f"truncated_{i:02d}.pdf", "truncated", data[: int(len(data) * frac)])
    # 8 random bytes, half behind a PDF header
    for i in range(8):
        body = rng.randbytes(rng.choice((200, 5_000, 60_000)))
        put(f"random_{i}.pdf", "random", (b"%PDF-1.4\n" + body) if i % 2 else body)
    put("empty.pdf", "empty", b"")
    put("text.pdf", "not_pdf", b"Quarterly report\nThis is plain text named .pdf\n" * 20)
    put("page.pdf", "not_pdf", b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr>"
        b"</table></body></html>")
    # 3 without pages
    put("zero_pages_kids.pdf", "zero_pages", raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]))
    put("zero_pages_no_tree.pdf", "zero_pages", raw_pdf([b"<< /Type /Catalog >>"]))
    put("zero_pages_lying_count.pdf", "zero_pages", raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 40 >>"]))
    # 3 with passwords: two need one to open, one only restricts printing
    for name, method, user in (("password_aes.pdf", pymupdf.PDF_ENCRYPT_AES_256, "secret"),
                               ("password_rc4.pdf", pymupdf.PDF_ENCRYPT_RC4_128, "secret"),
                               ("owner_password_only.pdf", pymupdf.PDF_ENCRYPT_AES_128, "")):
        doc = pymupdf.open()
        _report_page(doc.new_page(), "Encrypted report")
        _save(doc, put(name, "password" if user else "owner_password"), encryption=method,
              owner_pw="owner", user_pw=user, permissions=0)
    # a 2,000-page report
    doc = pymupdf.open()
    for i in range(2000):
        _report_page(doc.new_page(width=300, height=200), f"Section {i + 1}")
    _save(doc, put("pages_2000.pdf", "many_pages"), garbage=1)
    # 4 deeply nested objects
    depth = 20_000
    put("nested_array.pdf", "nested", raw_pdf([
        *_page_objects(b"BT /F1 12 Tf 72 700 Td (nested) Tj ET")[:2],
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Junk "
        + b"[" * depth + b"]" * depth + b" >>"]))
    put("nested_dict.pdf", "nested", raw_pdf([
        *_page_objects(b"")[:2],
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Junk "
        + b"<< /A " * depth + b"1" + b" >>" * depth + b" >>"]))
    levels = 3_000  # a page tree 3,000 levels deep: Pages -> Pages -> ... -> Page
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for i in range(levels):
        objs.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (i + 3))
    objs.append(b"<< /Type /Page /MediaBox [0 0 612 792] >>")
    put("nested_page_tree.pdf", "nested", raw_pdf(objs))
    put("page_tree_cycle.pdf", "nested", raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 2 >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 1 /Parent 2 0 R >>"]))
    # 2 that make a table finder work hard: dense ruled grids full of text
    for n in (120, 200):
        step = 1900 / n
        ops = [b"0.3 w"]
        for k in range(n + 1):
            y = 50 + k * step
            ops.append(b"50 %.2f m 1950 %.2f l S 50 %.2f m 50 %.2f l S"
                       % (y, y, 1900 - y + 100, 1900 - y + 100))
            ops.append(b"%.2f 50 m %.2f 1950 l S" % (y, y))
        for r in range(n):
            for c in range(0, n, 2):
                ops.append(b"BT /F1 %.1f Tf %.2f %.2f Td (%d) Tj ET"
                           % (step * 0.5, 52 + c * step, 52 + r * step, r * c % 97))
        objs = _page_objects(b"\n".join(ops))
        objs[2] = objs[2].replace(b"612 792", b"2000 2000")
        put(f"dense_grid_{n}.pdf", "table_finder", raw_pdf(objs))
    # 3 with broken content streams
    put("content_garbage.pdf", "bad_content", raw_pdf(_page_objects(rng.randbytes(4000))))
    put("content_unclosed.pdf", "bad_content", raw_pdf(_page_objects(
        b"BT /F1 12 Tf 72 700 Td (never closed " + b"q " * 5000)))
    put("content_wrong_length.pdf", "bad_content", raw_pdf([
        *_page_objects(b"")[:3],
        b"<< /Length 99999 >>\nstream\nBT /F1 12 Tf 72 700 Td (short) Tj ET\nendstream",
        _page_objects(b"")[4]]))
    # 3 with a broken cross-reference table
    put("no_xref.pdf", "bad_xref", raw_pdf(_page_objects(
        b"BT /F1 12 Tf 72 700 Td (no xref table) Tj ET"), xref=False))
    data = bytearray(_text_page("shifted offsets"))
    data[data.index(b"xref"):] = data[data.index(b"xref"):].replace(b"0000000", b"0000099")
    put("xref_offsets_wrong.pdf", "bad_xref", bytes(data))
    data = bytearray(_text_page("bad startxref"))
    data[data.rindex(b"startxref"):] = b"startxref\n999999999\n%%EOF\n"
    put("startxref_wrong.pdf", "bad_xref", bytes(data))
    # 2 image-only (scanned) pages
    for i in range(2):
        doc = pymupdf.open()
        page = doc.new_page()
        pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 200, 100), False)
        pix.set_rect(pix.irect, (200 + 20 * i,))
        page.insert_image(pymupdf.Rect(72, 72, 472, 272), pixmap=pix)
        _save(doc, put(f"scanned_{i}.pdf", "image_only"))
    # 2 with absurd page boxes
    put("mediabox_zero.pdf", "bad_page", raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 0 0] >>"]))
    put("mediabox_huge.pdf", "bad_page", raw_pdf([
        *_page_objects(b"BT /F1 12 Tf 72 700 Td (huge) Tj ET")[:2],
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400000 14400000] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        *_page_objects(b"BT /F1 12 Tf 72 700 Td (huge) Tj ET")[3:]]))
    # 2 with damaged structure around a good report
    data = sources[0]
    put("garbage_appended.pdf", "bad_tail", data + rng.randbytes(3000))
    mid = len(data) // 2
    put("garbage_in_middle.pdf", "bad_body", data[:mid] + rng.randbytes(2000) + data[mid + 2000:])
    # 2 with a bad header
    put("header_future_version.pdf", "bad_header", data.replace(b"%PDF-1.", b"%PDF-9.", 1))
    put("junk_before_header.pdf", "bad_header", rng.randbytes(2000) + data)
    assert len(kinds) == 50, len(kinds)
    return kinds


def _run(args, ok_codes=(0,)):
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code in ok_codes, r.output
    return r.output


def sorted_outputs(stage_dir):
    """Every record file's lines, sorted, and the marker's hash and unit count."""
    out = {p.name: sorted(p.read_text(encoding="utf-8").splitlines())
           for p in sorted(stage_dir.glob("*.jsonl"))}
    marker = json.loads((stage_dir / "done.json").read_text())
    out["done.json"] = [marker["config_hash"], marker["units"]]
    return out


# -- 1. SIGKILL at random points of every stage, then resume ----------------------------------

STAGE_ARGS = {
    "extract": lambda w: ["extract", str(SAMPLE_PDFS), "-o", str(w)],
    "judge": lambda w: ["judge", str(w)],
    "resolve": lambda w: ["resolve", str(w)],
    "generate": lambda w: ["generate", str(w)],
    "assemble": lambda w: ["assemble", str(w)],
}
ORDER = list(STAGE_ARGS)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run of every stage on the sample."""
    work = tmp_path_factory.mktemp("reference") / "work"
    for stage in ORDER:
        _run(STAGE_ARGS[stage](work))
    return work


def _commits(stage_dir):
    return len((stage_dir / ".journal").read_bytes().split(b"\n")[:-1]) - 1


# 20 trials over the five stages; each stage is killed once at each commit point (half of a
# unit's records written; all of them but no journal line; half a journal line; just after the
# journal line) of a commit chosen at random. The child blocks at that point (ABSTAB_DEBUG_STOP)
# and is killed there, so no trial depends on timing.
TRIALS = [(stage, i) for stage in ORDER for i in range(len(POINTS))]


@pytest.mark.slow
@pytest.mark.parametrize("stage,trial", TRIALS)
def test_sigkill_then_resume_gives_the_uninterrupted_records(reference, tmp_path, stage, trial):
    rng = random.Random(f"{stage}-{trial}")
    work = tmp_path / "work"
    for upstream in ORDER[:ORDER.index(stage)]:
        shutil.copytree(reference / upstream, work / upstream)
    units = _commits(reference / stage)
    n, point = rng.randint(1, units), POINTS[trial]
    kill_at(STAGE_ARGS[stage](work), n, point)
    assert not (work / stage / "done.json").exists()
    assert _commits(work / stage) == (n if point == "committed" else n - 1)
    out = _run(STAGE_ARGS[stage](work))
    assert "ran" in out
    assert sorted_outputs(work / stage) == sorted_outputs(reference / stage)
    # and nothing is left half-written: every line of every record file is whole JSON
    for f in (work / stage).glob("*.jsonl"):
        for line in f.read_text(encoding="utf-8").splitlines():
            json.loads(line)


# -- 2. fifty malformed PDFs beside good ones ---------------------------------------------------

# What each kind may end as: a document, or an error with one of these reasons. Timeouts are
# allowed only where a file is built to be slow.
ALLOWED = {
    "truncated": {"damaged"}, "random": {"damaged", "not_pdf"}, "empty": {"empty_file"},
    "not_pdf": {"not_pdf"}, "zero_pages": {"damaged", "extract_error"},
    "password": {"encrypted"}, "owner_password": {"ok"}, "many_pages": {"ok", "timeout"},
    "nested": {"ok", "damaged", "no_text_layer", "crash", "extract_error"},
    "table_finder": {"ok", "timeout"}, "bad_content": {"ok", "no_text_layer", "damaged"},
    "bad_xref": {"ok", "damaged"}, "image_only": {"no_text_layer"},
    "bad_page": {"ok", "no_text_layer", "damaged"}, "bad_tail": {"ok", "damaged"},
    "bad_body": {"ok", "damaged"}, "bad_header": {"ok", "not_pdf", "damaged"},
}


@pytest.mark.slow
def test_fifty_malformed_pdfs_each_end_as_an_error_or_a_result(tmp_path):
    folder = tmp_path / "pdfs"
    good = sorted(SAMPLE_PDFS.glob("*.pdf"))
    kinds = make_malformed(folder, good)
    for p in good:
        shutil.copy(p, folder / p.name)
    work = tmp_path / "work"
    timeout = 15
    out = _run(["extract", str(folder), "-o", str(work), "--workers", "2", "--timeout",
                str(timeout)], ok_codes=(1,))
    assert "in   54" in out
    outcome: dict[str, list[str]] = {}
    for line in (work / "extract" / "documents.jsonl").read_text().splitlines():
        outcome.setdefault(Path(json.loads(line)["source"]).name, []).append("ok")
    for line in (work / "extract" / "errors.jsonl").read_text().splitlines():
        e = json.loads(line)
        outcome.setdefault(Path(e["item"]).name, []).append(e["reason"])
    assert sorted(outcome) == sorted([*kinds, *(p.name for p in good)])
    assert all(len(v) == 1 for v in outcome.values()), outcome  # none twice
    for p in good:
        assert outcome[p.name] == ["ok"]
    wrong = {n: (k, outcome[n][0]) for n, k in kinds.items() if outcome[n][0] not in ALLOWED[k]}
    assert wrong == {}
    # the dense grids really are the slow ones: they hit the timeout, nothing else did
    timed_out = sorted(n for n, v in outcome.items() if v == ["timeout"])
    assert set(timed_out) <= {n for n, k in kinds.items() if k in ("table_finder", "many_pages")}
    assert "dense_grid_200.pdf" in timed_out


# -- 3. an endpoint failing 30% of calls --------------------------------------------------------

N_TABLES = 40


@pytest.fixture(scope="module")
def many_tables(tmp_path_factory):
    """An extract stage of 40 distinct tables (the sample's, each caption marked ``#i``),
    written through the store's own commit protocol."""
    sample = tmp_path_factory.mktemp("sample") / "work"
    _run(STAGE_ARGS["extract"](sample))
    work = tmp_path_factory.mktemp("faulty") / "work"
    ref = StageDir(sample, "extract", ())
    docs = list(ref.read("documents", Document))
    tables = list(ref.read("tables", Table))
    writer = StageDir(work, "extract", ("documents", "tables")).open("fixture-hash")
    result = UnitResult()
    for d in docs:
        result.add("documents", d)
    for i in range(N_TABLES):
        t = tables[i % len(tables)]
        result.add("tables", t.model_copy(update={
            "table_id": f"{t.table_id}-{i}", "caption": f"{t.caption or 'Table'} #{i}#"}))
    writer.commit("all", result)
    writer.finish()
    return work


@pytest.mark.slow
def test_an_endpoint_failing_30_percent_ends_every_item_done_or_in_errors(many_tables,
                                                                         tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    work = tmp_path / "work"
    shutil.copytree(many_tables, work)
    reply = {"label": "clear", "confidence": 0.8, "reasons": ["plain words"], "keywords": []}
    faults = Faults(lambda req: ok(reply), rate=0.3, timeout_delay=1.5)
    with FakeLLMServer(faults) as server:
        _run(["judge", str(work), "--backend", "openai", "--model", "m", "--base-url",
              server.url, "--api-key", "k", "--concurrency", "4", "--no-cache",
              "--request-timeout", "0.5", "--max-retries", "1"], ok_codes=(0, 1))
        sent = len(server.requests)
    marker = re.compile(r"#(\d+)#")
    outcomes = {int(marker.search(k).group(1)): v for k, v in faults.log.items()}
    assert len(outcomes) == N_TABLES
    failed_requests = sum(v.count("429") + v.count("500") + v.count("timeout")
                          for v in outcomes.values())
    assert sent == sum(len(v) for v in outcomes.values())
    assert 0.15 < failed_requests / sent < 0.45  # the endpoint did fail about 30% of calls
    # an item fails exactly when both of its attempts (1 retry) failed
    expected_failed = {i for i, v in outcomes.items() if "ok" not in v}
    assert all(len(v) == (2 if v[0] != "ok" else 1) for v in outcomes.values())
    judged = [json.loads(x)["table_id"] for x in
              (work / "judge" / "judgments.jsonl").read_text().splitlines()]
    errors = [json.loads(x) for x in (work / "judge" / "errors.jsonl").read_text().splitlines()]
    errored = [e["item"] for e in errors]
    assert len(judged) == len(set(judged)) and len(errored) == len(set(errored))  # none twice
    assert not set(judged) & set(errored)
    index = {tid: int(tid.rsplit("-", 1)[1]) for tid in [*judged, *errored]}
    assert len(index) == N_TABLES  # every item is done or in errors.jsonl
    assert {index[t] for t in errored} == expected_failed
    assert {e["reason"] for e in errors} <= {"llm_unavailable", "timeout", "backend_error"}
    stats = json.loads((work / "judge" / "stats.json").read_text())
    assert stats["in"] == N_TABLES and stats["kept"] == N_TABLES - len(expected_failed)


def _pid(_: int) -> int:
    return os.getpid()


@pytest.mark.parametrize("per_worker,distinct", [(2, 3), (0, 1)])
def test_a_worker_process_is_replaced_after_files_per_worker_files(per_worker, distinct):
    """What a PDF library keeps after a file goes away with its process every N files."""
    from abstab.executors import LocalExecutor, Unit

    jobs = [(Unit(f"f{i}"), (i,)) for i in range(5)]
    out = list(LocalExecutor().map_files(_pid, jobs, workers=1, timeout=60,
                                         files_per_worker=per_worker))
    assert [u.id for u, _ in out] == ["f0", "f1", "f2", "f3", "f4"]
    pids = [o.value for _, o in out]
    assert len(set(pids)) == distinct and os.getpid() not in pids
    if per_worker:
        assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]


# == issue 15: the LLM layer — keys never leak, invalid replies never cached, total deadline, ====
# == size cap, SIGTERM, damaged cache (tests/llm_server.py plays the endpoint) =================

JUDGED = {"label": "clear", "confidence": 0.8, "reasons": ["plain words"], "keywords": []}


@pytest.fixture(scope="module")
def two_tables(tmp_path_factory):
    """An extract stage holding two tables (one sample report)."""
    work = tmp_path_factory.mktemp("two_tables") / "work"
    _run(["extract", str(SAMPLE_PDFS / "pump_reliability.pdf"), "-o", str(work)])
    captions = [json.loads(x)["caption"] for x in
                (work / "extract" / "tables.jsonl").read_text().splitlines()]
    assert len(captions) == 2 and all(captions) and captions[0] != captions[1]
    return work, captions


def _workspace(two_tables, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(two_tables[0], work)
    return work, two_tables[1]


def _about(request, caption):
    return f"Caption: {caption}" in json.dumps(request["messages"], ensure_ascii=False)


def _judge_args(work, url, *extra):
    return ["judge", str(work), "-b", "openai", "-m", "m", "--base-url", url, *extra]


def _lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def no_env_key(monkeypatch):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ABSTAB_MODEL"):
        monkeypatch.delenv(var, raising=False)


def test_a_key_in_the_endpoint_url_or_an_echoed_header_never_reaches_disk_or_output(
        two_tables, tmp_path, no_env_key):
    import base64

    work, (first, _second) = _workspace(two_tables, tmp_path)
    other = tmp_path / "other"
    shutil.copytree(two_tables[0], other)

    def respond(request):  # the second table's error body echoes the Authorization header
        return ok(JUDGED) if _about(request, first) else Reply(
            400, body={"error": {"message": "unsupported"}}, echo_headers=True)

    with FakeLLMServer(respond) as server:
        url = server.url
        result = CliRunner().invoke(cli, _judge_args(
            work, url.replace("//", "//user:SECRETKEY@"), "--api-key", "sk-SECRETKEY-2"),
            catch_exceptions=False)
        assert server.headers[0]["authorization"].startswith("Basic ")
        # a key as a query parameter: the SDK cannot use it (404), and the message hides it
        query = CliRunner().invoke(cli, _judge_args(other, f"{url}?api-key=SECRETKEY"),
                                   catch_exceptions=False)
    assert result.exit_code == 1, result.output
    errors = _lines(work / "judge" / "errors.jsonl")
    assert [(e["reason"], e["message"].split(": Error code")[0]) for e in errors] == [
        ("llm_request_rejected", f"LLMRequestError: {url} rejected the request (HTTP 400)")]
    assert errors[0]["message"].endswith("unsupported (Authorization: Basic ***)")
    assert query.exit_code == 2
    assert query.output == (f"Error: model 'm' not found at {url}?api-key=*** (404); set "
                            "ABSTAB_MODEL or --model (or, if the endpoint is wrong, "
                            "OPENAI_BASE_URL or --base-url)\n")
    basic = base64.b64encode(b"user:SECRETKEY")
    files = [p for p in [*work.rglob("*"), *other.rglob("*")] if p.is_file()]
    assert work / ".cache" / "llm.sqlite" in files
    leaks = [str(p) for p in files if b"SECRETKEY" in p.read_bytes() or basic in p.read_bytes()]
    assert leaks == []
    assert "SECRETKEY" not in result.output + query.output


def test_an_invalid_reply_is_not_cached_and_the_retry_asks_the_endpoint_again(
        two_tables, tmp_path, no_env_key):
    work, (first, _second) = _workspace(two_tables, tmp_path)
    asked = []

    def respond(request):  # the first table: invalid twice (reply and repair), then valid
        if not _about(request, first):
            return ok(JUDGED)
        asked.append(request)
        return ok("not JSON") if len(asked) <= 2 else ok(JUDGED)

    with FakeLLMServer(respond) as server:
        args = _judge_args(work, server.url, "--api-key", "k", "--concurrency", "1")
        out = _run(args, ok_codes=(1,))
        assert "1 item(s) failed" in out
        assert [e["reason"] for e in _lines(work / "judge" / "errors.jsonl")] == ["invalid_output"]
        assert len(asked) == 2
        out = _run([*args, "--force"])
    assert len(asked) == 3  # asked again, not replayed from the cache
    assert _lines(work / "judge" / "errors.jsonl") == []
    assert len(_lines(work / "judge" / "judgments.jsonl")) == 2


def _judge_in_child(work, url, *extra):
    return subprocess.Popen([sys.executable, "-m", "abstab", *_judge_args(work, url, *extra)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"})


def test_an_endpoint_dripping_one_byte_at_a_time_ends_as_a_timeout(two_tables, tmp_path):
    work, (first, _second) = _workspace(two_tables, tmp_path)

    def respond(request):  # the first table's reply comes one byte every 0.5 s (~3 minutes)
        return Reply(content=JUDGED, drip=0.5) if _about(request, first) else ok(JUDGED)

    with FakeLLMServer(respond) as server:
        url = server.url
        proc = _judge_in_child(work, url, "--api-key", "k", "--request-timeout", "2",
                               "--max-retries", "1")
        try:
            _out, err = proc.communicate(timeout=60)  # a guard, far above the 2 x 2 s it takes
        finally:
            proc.kill()
    assert proc.returncode == 1, err
    errors = _lines(work / "judge" / "errors.jsonl")
    assert [(e["reason"], e["message"]) for e in errors] == [(
        "timeout", (f"LLMTimeoutError: {url}: no complete reply within 2 s, 2 attempt(s) "
        "(raise --request-timeout)"))]
    assert len(_lines(work / "judge" / "judgments.jsonl")) == 1


def test_an_oversized_reply_is_an_item_error_and_nothing_of_it_is_kept(two_tables, tmp_path,
                                                                       no_env_key):
    import sqlite3

    work, (first, _second) = _workspace(two_tables, tmp_path)
    huge = {**JUDGED, "reasons": ["x" * 5_000_000]}  # valid JSON, 5 MB

    def respond(request):
        return ok(huge) if _about(request, first) else ok(JUDGED)

    with FakeLLMServer(respond) as server:
        _run(_judge_args(work, server.url, "--api-key", "k"), ok_codes=(1,))
        sent = len(server.requests)
    assert sent == 2  # not retried, no repair
    errors = _lines(work / "judge" / "errors.jsonl")
    assert [(e["reason"], e["message"]) for e in errors] == [(
        "reply_too_large", ("ReplyTooLargeError: the reply is larger than the 1,048,576-byte cap "
        "(max_reply_bytes); raise it with --max-reply-bytes if replies are really that long"))]
    assert (work / "judge" / "errors.jsonl").stat().st_size < 2000
    with sqlite3.connect(work / ".cache" / "llm.sqlite") as db:
        cached = [r[0] for r in db.execute("SELECT request FROM responses")]
    assert len(cached) == 1 and first not in cached[0]


def test_sigterm_stops_a_run_the_endpoint_holds_and_a_rerun_completes(two_tables, tmp_path,
                                                                      no_env_key):
    work, _captions = _workspace(two_tables, tmp_path)
    hold = threading.Event()
    with FakeLLMServer(lambda request: Reply(content=JUDGED, hold=hold)) as server:
        proc = _judge_in_child(work, server.url, "--api-key", "k", "--request-timeout", "600")
        try:
            assert server.arrived.wait(60), "the child never sent a request"
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=30)  # a guard: it stops within a read slice
        finally:
            proc.kill()
            hold.set()
    assert proc.returncode == 143, err
    assert err.endswith("Interrupted. Finished items are kept; run the same command again to "
                        "resume.\n")
    assert not (work / "judge" / "done.json").exists()
    with FakeLLMServer(lambda request: ok(JUDGED)) as server:
        out = _run(_judge_args(work, server.url, "--api-key", "k"))
    assert "judge     ran" in out
    assert len(_lines(work / "judge" / "judgments.jsonl")) == 2


def test_a_damaged_cache_file_is_a_message_naming_it_and_the_fix(two_tables, tmp_path,
                                                                 no_env_key):
    work, _captions = _workspace(two_tables, tmp_path)
    cache = work / ".cache" / "llm.sqlite"
    cache.parent.mkdir()
    cache.write_bytes(random.Random(15).randbytes(8192))
    with FakeLLMServer(lambda request: ok(JUDGED)) as server:
        result = CliRunner().invoke(cli, _judge_args(work, server.url, "--api-key", "k"),
                                    catch_exceptions=False)
        assert server.requests == []
    assert result.exit_code == 2
    assert result.output == (
        f"Error: LLM response cache {cache} cannot be used (file is not a database): delete the "
        "file (it holds only cached replies), or run with --no-cache or --cache OTHER.sqlite\n")


# -- 4. decompression bombs: bounded worker memory, nothing inflated or decoded to measure --------
# (issue 15, point 8) Each bomb is built here, deflated at level 9 and written raw.

_BOMB_TEXT = b"BT /F1 12 Tf 72 700 Td (Quarterly revenue by region and year) Tj ET\n"


def _deflated(head: bytes, unit: bytes, total: int) -> bytes:
    """``head`` then ``unit`` repeated to ``total`` bytes, deflated (level 9) a MiB at a time."""
    z = zlib.compressobj(9)
    block = unit * ((1 << 20) // len(unit))
    parts = [z.compress(head)]
    parts += [z.compress(block) for _ in range(0, total, len(block))]
    return b"".join([*parts, z.flush()])


def _flate(data: bytes, entries: bytes = b"") -> bytes:
    return (b"<< /Length %d /Filter /FlateDecode %s >>\nstream\n" % (len(data), entries)
            + data + b"\nendstream")


def _bomb_pdf(content: bytes, resources: bytes = b"", extra: tuple[bytes, ...] = ()) -> bytes:
    objects = _page_objects(b"")
    objects[2] = objects[2].replace(b"/F1 5 0 R >>", b"/F1 5 0 R >> " + resources)
    objects[3] = _flate(content)
    return raw_pdf([*objects, *extra])


def make_bombs(folder: Path) -> dict[str, Path]:
    """A 512 MB content stream of spaces in a 0.5 MB file, a 20000 x 20000 image in a 0.4 MB
    file (400 MB decoded), and a page of 3 million line segments in a 0.13 MB file."""
    image = _flate(_deflated(b"", b"\xff", 20000 * 20000),
                   b"/Type /XObject /Subtype /Image /Width 20000 /Height 20000 "
                   b"/ColorSpace /DeviceGray /BitsPerComponent 8")
    pdfs = {
        "content": _bomb_pdf(_deflated(_BOMB_TEXT, b" ", 512 << 20)),
        "image": _bomb_pdf(zlib.compress(_BOMB_TEXT + b"q 500 0 0 500 50 100 cm /Im1 Do Q", 9),
                           b"/XObject << /Im1 6 0 R >>", (image,)),
        "paths": _bomb_pdf(_deflated(_BOMB_TEXT, b"10 10 m 20 20 l S\n", 3_000_000 * 18)),
    }
    out = {}
    for name, data in pdfs.items():
        out[name] = folder / f"{name}_bomb.pdf"
        out[name].write_bytes(data)
    return out


# Runs the command given as arguments and prints its process tree's peak RSS (bytes): every
# descendant is reaped by its parent, so RUSAGE_CHILDREN covers the worker and its children.
_PEAK_RSS = ("import resource, subprocess, sys\n"
             "code = subprocess.run(sys.argv[1:]).returncode\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
             "sys.exit(code)\n")


def test_bombs_stay_under_the_worker_memory_limit_and_their_neighbours_succeed(tmp_path):
    """Inflating a content stream to measure it, or decoding an image to place it, would
    each need more than the limit; a page of millions of paths does need more: it is one
    ``memory`` line, and every other file, good or bomb, is extracted."""
    bombs = make_bombs(tmp_path)
    good = SAMPLE_PDFS / "river_quality.pdf"
    limit = 384 << 20

    def extract(pdfs: list[Path], work: Path) -> tuple[int, int]:
        proc = subprocess.run(
            [sys.executable, "-c", _PEAK_RSS, sys.executable, "-m", "abstab", "extract",
             *map(str, pdfs), "-o", str(work), "--max-worker-memory", "384MiB",
             "--timeout", "300"],
            cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
        return proc.returncode, int(proc.stdout.strip().splitlines()[-1])

    # The limit bounds what a file adds to its worker: the largest process of a run on the
    # good file alone is the baseline.
    code, baseline = extract([good], tmp_path / "baseline")
    assert code == 0
    work = tmp_path / "work"
    code, peak = extract([*bombs.values(), good], work)
    assert code == 1
    assert peak < baseline + 1.1 * limit, f"peak RSS {peak >> 20} MiB, baseline {baseline >> 20}"
    errors = [json.loads(line) for line in
              (work / "extract" / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["item"], e["reason"]) for e in errors] == [(str(bombs["paths"]), "memory")], errors
    assert re.fullmatch(
        re.escape(f"{bombs['paths']}: extraction needed more than the worker memory limit of "
                  "384 MiB (") + r"[^)]+" + re.escape(") and was stopped; raise "
                                                    "--max-worker-memory if the file is genuine"),
        errors[0]["message"]), errors[0]["message"]
    docs = {d.source: d for d in StageDir(work, "extract", ()).read("documents", Document)}
    assert sorted(docs) == sorted(str(p) for p in (bombs["content"], bombs["image"], good))
    from abstab.extract import extract_pdf

    _, alone = extract_pdf(good, None, PROV)
    tables = [t for t in StageDir(work, "extract", ()).read("tables", Table)
              if t.doc_id == docs[str(good)].doc_id]
    assert [t.cells for t in tables] == [t.cells for t in alone] and alone


def test_a_max_worker_memory_that_is_not_a_size_is_exit_2_naming_it(tmp_path):
    r = CliRunner().invoke(cli, ["extract", str(SAMPLE_PDFS / "river_quality.pdf"), "-o",
                                 str(tmp_path / "w"), "--max-worker-memory", "lots"])
    assert r.exit_code == 2
    assert ("extract setting max_worker_memory='lots' is not a size; use bytes or a number "
            "with KiB, MiB, GiB (or KB, MB, GB), e.g. 2GiB; 0: no limit") in r.output


def _hold_and_spin(nbytes: int) -> None:
    held = bytearray(nbytes)  # touched: it counts in the data segment and the RSS
    while held:  # a C library retrying failed allocations forever looks like this
        pass


def test_a_child_stuck_at_its_memory_limit_is_stopped_as_memory(monkeypatch):
    """PyMuPDF's get_cdrawings can spin at the limit instead of failing: the worker stops a
    child that holds most of its limit without finishing, as out of memory, not as a timeout."""
    from abstab import executors

    monkeypatch.setattr(executors, "STUCK_AT_LIMIT_S", 1.0)
    limit = 64 << 20
    with pytest.raises(executors.WorkerMemoryError, match=r"^stuck at the limit for 1s$"):
        executors.run_bounded(_hold_and_spin, limit, (int(0.9 * limit),))
