"""abstab release and validate as an attacker or a careless user would run them: an output
folder that is not a release, hostile record ids and release files, interrupted runs, local
paths in what is published. Every case goes through the CLI on the sample's workspace."""

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_release import synth_work  # noqa: F401 - the sample workspace fixture

from abstab.cli import cli


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _release(work: Path, out: Path, *extra: str):
    return _run("release", str(work), "-o", str(out), "--no-figures", *extra)


@pytest.fixture
def work(synth_work, tmp_path):  # noqa: F811
    """A private copy of the sample workspace (some tests try to make abstab delete it)."""
    copy = tmp_path / "w"
    shutil.copytree(synth_work, copy, ignore=shutil.ignore_patterns("bench"))
    return copy


@pytest.fixture(scope="module")
def release_dir(synth_work, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("rel") / "rel"
    result = _release(synth_work, out)
    assert result.exit_code == 0, result.output
    return out


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


# -- 1. what --force may replace ------------------------------------------------------------


def test_output_is_the_current_directory_is_refused_and_nothing_deleted(work, tmp_path,
                                                                        monkeypatch):
    (tmp_path / "mine.txt").write_text("a user's file")
    before = _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = _release(work, Path("."), "--force")
    assert result.exit_code == 2
    assert result.output == (
        f"Error: . is a parent of the workspace ({work}); a release replaces its output folder, "
        f"so -o must name a new folder outside it, for example -o {work}-release\n")
    assert _tree(tmp_path) == before


def test_output_is_the_current_directory_outside_the_workspace(work, tmp_path, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    (here / "notes.txt").write_text("keep")
    monkeypatch.chdir(here)
    result = _release(work, here, "--force")
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {here} is the current directory ({here}); a release replaces its output "
        f"folder, so -o must name a new folder outside it, for example -o {work}-release\n")
    assert (here / "notes.txt").read_text() == "keep"


@pytest.mark.parametrize("which", ["workspace", "parent"])
def test_output_is_or_contains_the_workspace(work, which):
    out = work if which == "workspace" else work.parent
    sibling = work.parent / "sibling.txt"
    sibling.write_text("keep")
    before = _tree(work.parent)
    result = _release(work, out, "--force")
    assert result.exit_code == 2
    rel = "" if which == "workspace" else "a parent of "
    assert result.output == (
        f"Error: {out} is {rel}the workspace ({work}); a release replaces its output folder, "
        f"so -o must name a new folder outside it, for example -o {work}-release\n")
    assert _tree(work.parent) == before


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_folder_that_is_not_a_release_is_never_replaced(work, tmp_path, force):
    out = tmp_path / "data"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    result = _release(work, out, *force)
    assert result.exit_code == 2
    # Without --force too, the message does not invite the user to add it.
    assert result.output == (
        f"Error: {out} is not a release written by abstab (it has no .abstab-release marker); "
        "abstab replaces only its own releases, so it left the folder as it is: pass -o a new "
        "or empty folder, or move the folder's contents away\n")
    assert _tree(out) == {"thesis.tex": b"years of work"}


def test_a_release_holding_a_users_file_is_not_replaced(work, tmp_path):
    out = tmp_path / "rel"
    assert _release(work, out).exit_code == 0
    (out / "figures").mkdir(exist_ok=True)
    (out / "figures" / "my-plot.png").write_bytes(b"mine")
    result = _release(work, out, "--force")
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {out} is not a release written by abstab (figures/my-plot.png is not one of "
        "its files (not in its SHA256SUMS)); abstab replaces only its own releases, so it left "
        "the folder as it is: pass -o a new or empty folder, or move the folder's contents "
        "away\n")
    assert (out / "figures" / "my-plot.png").read_bytes() == b"mine"


def test_force_replaces_a_release_by_rename_with_the_usual_mode(work, tmp_path):
    out = tmp_path / "rel"
    assert _release(work, out).exit_code == 0
    first = _tree(out)
    (out / "stats.json").write_text("{}")  # an edited release is still abstab's
    inode = out.stat().st_ino
    result = _release(work, out, "--force")
    assert result.exit_code == 0, result.output
    assert out.stat().st_ino != inode  # a new folder renamed in, not the old one emptied
    assert _tree(out).keys() == first.keys()
    assert json.loads((out / "stats.json").read_text())["items"] > 0
    assert json.loads((out / ".abstab-release").read_text()) == {
        "abstab_version": __import__("abstab").__version__}
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel", "w"]  # no staging left


def test_output_symlink_is_a_message_not_a_traceback(work, tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    link = tmp_path / "link"
    link.symlink_to(target)
    result = _release(work, link, "--force")
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {link} is a symbolic link (to {target}); abstab release never replaces a link "
        "or what it points to: pass -o the real folder's path, or a new folder\n")
    assert _tree(target) == {"keep.txt": b"keep"} and link.is_symlink()


# A child `abstab release` that stops, once the release is written but before it is swapped
# in, and says so on stdout: the test then signals it at exactly that point.
_PAUSED_RELEASE = textwrap.dedent("""
    import sys
    import abstab.release.build as build
    from abstab.cli import main

    def paused(root, _write=build.write_checksums):
        sums = _write(root)
        print("written", flush=True)
        sys.stdin.read()  # wait here until signalled
        return sums

    build.write_checksums = paused
    sys.argv = ["abstab", "release", *sys.argv[1:]]
    main()
""")


def _paused_release(work: Path, out: Path) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", _PAUSED_RELEASE, str(work), "-o", str(out), "--no-figures",
         "--force"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    assert child.stdout.readline() == "written\n", child.communicate()[1][-3000:]
    return child


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_interrupted_release_leaves_no_staging_folder_and_the_old_release(work, tmp_path, sig):
    out = tmp_path / "rel"
    assert _release(work, out).exit_code == 0
    before = _tree(out)
    child = _paused_release(work, out)
    child.send_signal(sig)
    _stdout, stderr = child.communicate(timeout=120)
    assert child.returncode == (130 if sig == signal.SIGINT else 128 + sig), stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel", "w"]
    assert _tree(out) == before


def test_staging_left_by_a_killed_release_is_removed_by_the_next_one(work, tmp_path):
    out = tmp_path / "rel"
    assert _release(work, out).exit_code == 0
    child = _paused_release(work, out)
    child.kill()  # SIGKILL: nothing in the child can clean up
    child.communicate(timeout=120)
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".rel.")]
    assert len(left) == 1 and left[0].endswith(".abstab-tmp")
    # Folders abstab did not make, even with a look-alike name, stay.
    (tmp_path / ".rel.mine").mkdir()
    (tmp_path / ".rel.x.abstab-tmp").mkdir()
    (tmp_path / ".rel.x.abstab-tmp" / "data.txt").write_text("keep")
    result = _release(work, out, "--force")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [".rel.mine", ".rel.x.abstab-tmp",
                                                          "rel", "w"]
    assert (tmp_path / ".rel.x.abstab-tmp" / "data.txt").read_text() == "keep"


# -- 4. no record id or release file names a path outside ---------------------------------


def test_a_doc_id_naming_a_path_is_refused(work, tmp_path):
    doc = json.loads((work / "extract" / "documents.jsonl").read_text().splitlines()[0])
    hostile = "../../escaped"
    for path in work.rglob("*.jsonl"):
        path.write_text(path.read_text().replace(f'"doc_id": "{doc["doc_id"]}"',
                                                 f'"doc_id": "{hostile}"'))
    out = tmp_path / "out" / "rel"
    result = _release(work, out)
    assert result.exit_code == 2
    # Records are validated as they are read: the id never reaches a path join.
    assert result.output == (
        f"Error: {work}/extract/documents.jsonl:1: not a valid Document record (1 errors, first: "
        "('doc_id',) Value error, '../../escaped' is not a safe id: an id may hold no '/', '\\', "
        "'..' or control character, and is not empty or only dots (it names files)). Rerun the "
        "stage that wrote it with --force.\n")
    assert list(tmp_path.rglob("escaped*")) == []
    assert not (tmp_path / "out").exists()


def _validate(path: Path) -> list[str]:
    result = _run("validate", str(path))
    assert result.exit_code == 1, result.output
    return result.output.splitlines()


def test_validate_never_follows_a_path_out_of_the_release(release_dir, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from abstab.release.paths import sha256_file

    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 host file")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "key.txt").write_text("host")
    rel = tmp_path / "rel"
    shutil.copytree(release_dir, rel)
    digest = sha256_file(secret)
    with (rel / "SHA256SUMS").open("a") as fh:
        fh.write(f"{digest}  ../secret.pdf\n{digest}  {secret}\n")
    (rel / "pdfs" / "linked.pdf").symlink_to(secret)
    (rel / "extra").symlink_to(tmp_path / "secrets", target_is_directory=True)
    croissant = json.loads((rel / "croissant.json").read_text())
    first = next(d for d in croissant["distribution"] if d["@type"] == "cr:FileObject")
    first.update(contentUrl=str(secret), sha256=digest)
    (rel / "croissant.json").write_text(json.dumps(croissant))
    docs = min((rel / "documents").glob("*.parquet"))
    rows = pq.read_table(docs).to_pylist()
    rows[0]["pdf"] = "../secret.pdf"
    pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(docs)), docs)
    problems = _validate(rel)
    fix = "rebuild the release with `abstab release WORK -o RELEASE --force`"
    doc_file = docs.relative_to(rel).as_posix()
    expected = [
        ("extra: a symbolic link: a release holds files only, and validate does not follow "
         f"links. Fix: replace the link by the file itself; or {fix}"),
        ("pdfs/linked.pdf: a symbolic link: a release holds files only, and validate does not "
         f"follow links. Fix: replace the link by the file itself; or {fix}"),
        (f"SHA256SUMS: line {_sums_lines(rel) - 1}: '../secret.pdf' is not a relative path "
         f"inside the release, so it was not followed. Fix: {fix}"),
        (f"SHA256SUMS: line {_sums_lines(rel)}: '{secret}' is not a relative path inside the "
         f"release, so it was not followed. Fix: {fix}"),
        (f"{doc_file}: doc_id {rows[0]['doc_id']}: its pdf '../secret.pdf' is not a relative "
         f"path inside the release, so it was not followed. Fix: {fix}"),
        (f"croissant.json: {first['@id']}: contentUrl '{secret}' is not a relative path inside "
         f"the release, so it was not followed. Fix: {fix}"),
    ]
    for line in expected:
        assert line in problems
    assert not any("secret" in p and p not in expected for p in problems)


def _sums_lines(rel: Path) -> int:
    return len((rel / "SHA256SUMS").read_text().splitlines())


def test_validate_hashes_in_chunks(release_dir, monkeypatch):
    """No file is read whole into memory: a 2 GB PDF must not take 2 GB."""
    def whole(self):
        raise AssertionError(f"{self} read whole")

    monkeypatch.setattr(Path, "read_bytes", whole)
    result = _run("validate", str(release_dir))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith(f"{release_dir}: ok (")


# -- 5. no local path is published --------------------------------------------------------


def test_no_absolute_local_path_is_published(work, tmp_path):
    import pyarrow.parquet as pq

    path = work / "extract" / "documents.jsonl"
    docs = [json.loads(line) for line in path.read_text().splitlines()]
    docs[0]["source"] = "/data/icdar2013/eu-001.pdf"  # withheld: research-only
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    out = tmp_path / "rel"
    result = _release(work, out)
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text())
    assert [(x["doc_id"], x["source"]) for x in stats["left_out"]] == [
        (docs[0]["doc_id"], "eu-001.pdf")]
    assert f"- `{docs[0]['doc_id']}` (eu-001.pdf): " in (out / "README.md").read_text()
    # Every text the release holds, parquet rows included, is free of local paths.
    local = ["/data/icdar2013", str(work), str(tmp_path), str(Path.home()),
             *{str(Path(d["source"]).parent) for d in docs}]
    for p in out.rglob("*"):
        if p.suffix in (".md", ".json", ".html") or p.name == "SHA256SUMS":
            text = p.read_text()
        elif p.suffix == ".parquet":
            text = json.dumps(pq.read_table(p).to_pylist(), default=str)
        else:
            continue
        for prefix in local:
            assert prefix not in text, (p, prefix)


# -- a workspace being written is not read ----------------------------------------------------


def test_release_and_bench_refuse_a_workspace_a_stage_is_being_written_in(work, tmp_path):
    """Another process rewriting the judge stage (``--force``) holds its lock: release and
    bench, which read the whole workspace, say so instead of reading half of it."""
    from filelock import FileLock

    message = (f"Error: another abstab process is writing {work / 'judge'}; wait for it to "
               f"finish (or stop it), then run again\n")
    with FileLock(str(work / ".judge.lock")):
        released = _release(work, tmp_path / "rel")
        benched = _run("bench", str(work), "-s", "oracle")
    assert (released.exit_code, released.output) == (2, message)
    assert (benched.exit_code, benched.output) == (2, message)
    assert not (tmp_path / "rel").exists()
    assert _release(work, tmp_path / "rel").exit_code == 0
