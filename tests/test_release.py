"""abstab release and validate on the bundled sample: layout, card, loading with datasets and
pandas, Croissant, checksums, licenses, and corrupted copies that validate must catch."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner
from conftest import SAMPLE_PDFS, SAMPLE_PIPELINE

from abstab.cli import cli
from abstab.errors import ConfigError, MissingDependencyError
from abstab.records import QAItem
from abstab.release.build import ReleaseSettings, build_release, write_checksums
from abstab.release.card import read_front_matter
from abstab.release.layout import CONFIGS
from abstab.release.validate import validate_release
from abstab.store import StageDir


@pytest.fixture(scope="module")
def synth_work(tmp_path_factory):
    """The sample pipeline's workspace (synth only: the release needs no bench). BM25 and text
    dedup instead of the embedding model keep it fast; the release does not depend on them."""
    tmp = tmp_path_factory.mktemp("sample")
    pipe = yaml.safe_load(SAMPLE_PIPELINE.read_text())
    pipe["inputs"] = [str(SAMPLE_PDFS)]
    pipe["stages"].setdefault("resolve", {})["retriever"] = "bm25"
    pipe["stages"].setdefault("assemble", {})["dedup"] = "text"
    (tmp / "sample.yaml").write_text(yaml.safe_dump(pipe))
    work = tmp / "work"
    result = CliRunner().invoke(cli, ["synth", "-p", str(tmp / "sample.yaml"), "-o", str(work)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return work


@pytest.fixture(scope="module")
def released(synth_work, tmp_path_factory):
    work = synth_work
    out = tmp_path_factory.mktemp("release") / "sample-release"
    report = build_release(work, out, ReleaseSettings(name="abstab-sample"))
    items = list(StageDir(work, "assemble", ()).read("items", QAItem))
    return out, report, items


def _rows(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist()


def _write(path: Path, rows: list[dict]) -> None:
    schema = pq.read_schema(path)
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def _corrupt_copy(released, tmp_path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(released[0], copy)
    return copy


def _problems(path: Path) -> list[str]:
    result = CliRunner().invoke(cli, ["validate", str(path)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return [line for line in result.output.splitlines() if not line.startswith("note:")][:-1]


def test_release_has_every_part_and_counts_agree(released):
    out, report, items = released
    assert report.failures == 0 and report.left_out == []
    splits = Counter(i.split for i in items)
    assert report.counts["items"] == dict(splits)
    for name in ("README.md", "SHA256SUMS", "croissant.json", "stats.json", "browse.html",
                 "figures/funnel.png", "figures/location_style.png", "figures/splits.png",
                 "schemas/qa_item.json", "schemas/table.json", "schemas/document.json"):
        assert (out / name).is_file(), name
    assert (out / "figures" / "funnel.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The schemas are the committed ones, copied.
    committed = Path(__file__).parents[1] / "abstab" / "schemas" / "qa_item.json"
    assert json.loads((out / "schemas" / "qa_item.json").read_text()) == \
        json.loads(committed.read_text())
    # Every sample document's PDF is there (the sample is abstab's own, Apache-2.0), unchanged.
    docs = {r["doc_id"]: r for p in sorted((out / "documents").glob("*.parquet"))
            for r in _rows(p)}
    assert len(list((out / "pdfs").glob("*.pdf"))) == len(docs) == len({i.doc_id for i in items})
    for d in docs.values():
        assert d["pdf"] == f"pdfs/{d['doc_id']}.pdf"
        assert hashlib.sha256((out / d["pdf"]).read_bytes()).hexdigest().startswith(d["sha256"])
        assert d["license"] == "Apache-2.0" and d["corpus"] == "abstab-sample"
        assert "/" not in d["source"]  # no local paths leak into the release


def test_checksums_verify_with_sha256sum(released):
    out = released[0]
    result = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert len(result.stdout.splitlines()) == len(files) - 1  # all but SHA256SUMS itself


def test_card_front_matter_matches_the_data(released):
    out, report, items = released
    meta = read_front_matter(out / "README.md")
    assert meta["license"] == ["apache-2.0"]
    assert meta["task_categories"] == ["table-question-answering", "question-answering"]
    assert meta["size_categories"] == ["n<1K"]
    assert [c["config_name"] for c in meta["configs"]] == ["items", "tables", "documents"]
    assert meta["configs"][0]["default"] is True
    assert meta["configs"][0]["data_files"] == [
        {"split": s, "path": f"items/{s}-*.parquet"} for s in ("train", "validation", "test")]
    info = {i["config_name"]: i for i in meta["dataset_info"]}
    assert {s["name"]: s["num_examples"] for s in info["items"]["splits"]} == \
        report.counts["items"]
    text = (out / "README.md").read_text()
    stats = json.loads((out / "stats.json").read_text())
    for heading in ("## How the data was made", "### Cleaning funnel", "## Counts",
                    "## Sources and licenses", "## Known limitations", "### Config `items`"):
        assert heading in text
    # The per-location × style table has one row per answer location, with its total.
    for loc, row in stats["location_by_style"].items():
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| {loc} |"))
        assert line.rstrip(" |").endswith(str(sum(row.values())))
    assert stats["by"]["answer_location"] == dict(Counter(i.answer_location for i in items))
    assert stats["run_funnel"][0]["step"] == "PDFs" and stats["run_funnel"][0]["n"] == 4


def test_datasets_and_pandas_load_it_offline(released, tmp_path):
    """In a fresh interpreter with HF_DATASETS_OFFLINE=1 and an empty cache."""
    out, report, _ = released
    script = f"""
import json, pandas as pd
from datasets import load_dataset
items = load_dataset({str(out)!r})
tables = load_dataset({str(out)!r}, "tables")
docs = load_dataset({str(out)!r}, "documents")
plain = load_dataset("parquet", data_dir={str(out / "items")!r})
df = pd.read_parquet({str(out / "items")!r})
t = tables["train"][0]
print(json.dumps({{
  "items": {{k: v.num_rows for k, v in items.items()}},
  "plain": {{k: v.num_rows for k, v in plain.items()}},
  "tables": sum(v.num_rows for v in tables.values()),
  "docs": sum(v.num_rows for v in docs.values()),
  "features": items["train"].features.to_dict(),
  "pandas": list(df.shape),
  "header_rows_is_grid": all(isinstance(r, list) for r in t["header_rows"]),
  "rows_width": sorted({{len(r) for r in t["rows"]}}),
  "value": items["train"][0]["answer"]["value"],
}}))
"""
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
           "HF_HOME": str(tmp_path / "hf")}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=240, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["items"] == report.counts["items"] == got["plain"]
    assert got["tables"] == sum(report.counts["tables"].values())
    assert got["docs"] == sum(report.counts["documents"].values())
    assert got["pandas"] == [sum(report.counts["items"].values()), len(CONFIGS["items"].arrow_schema)]
    assert got["header_rows_is_grid"] and len(got["rows_width"]) == 1
    json.loads(got["value"])  # JSON-encoded, as documented
    from datasets import Features

    documented = Features.from_arrow_schema(CONFIGS["items"].arrow_schema).to_dict()
    assert got["features"] == documented


def test_croissant_passes_mlcroissant_and_yields_every_item(released):
    mlc = pytest.importorskip("mlcroissant")
    out, report, _ = released
    ds = mlc.Dataset(jsonld=str(out / "croissant.json"))
    records = list(ds.records("items"))
    assert len(records) == sum(report.counts["items"].values())
    ids = {r["items/item_id"].decode() for r in records}
    assert len(ids) == len(records)
    first = records[0]
    assert set(first["items/answer"]) >= {"items/answer/text", "items/answer/type"}


def test_validate_passes_on_the_release(released):
    out, report, _ = released
    result = CliRunner().invoke(cli, ["validate", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    n = report.counts
    assert result.output.splitlines()[-1] == (
        f"{out}: ok ({sum(n['items'].values())} items, {sum(n['tables'].values())} tables, "
        f"{sum(n['documents'].values())} documents)")


def test_flipped_byte_in_a_pdf_is_caught_naming_the_document(released, tmp_path):
    copy = _corrupt_copy(released, tmp_path)
    pdf = min((copy / "pdfs").glob("*.pdf"))
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pdf.write_bytes(bytes(data))
    doc = pdf.stem
    problems = _problems(copy)
    rel = f"pdfs/{doc}.pdf"
    n_items = sum(1 for i in released[2] if i.doc_id == doc)
    assert problems == [
        (f"{rel}: document {doc}: sha256 differs from SHA256SUMS: the file changed after the "
        "release was made. Fix: restore the original file; or rebuild the release with "
        "`abstab release WORK -o RELEASE --force`"),
        (f"{rel}: doc_id {doc}: the PDF's sha256 is not the document's "
        f"({_doc_sha(copy, doc)}); {n_items} item(s) are about this document. Fix: restore the "
        "original PDF; or rebuild the release with `abstab release WORK -o RELEASE --force`"),
    ]


def _doc_sha(root: Path, doc_id: str) -> str:
    return next(r["sha256"] for p in (root / "documents").glob("*.parquet") for r in _rows(p)
                if r["doc_id"] == doc_id)


def test_flipped_byte_in_a_parquet_file_is_caught(released, tmp_path):
    copy = _corrupt_copy(released, tmp_path)
    path = copy / "items" / "train-00000-of-00001.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    problems = _problems(copy)
    assert problems[0].startswith("items/train-00000-of-00001.parquet: sha256 differs from "
                                  "SHA256SUMS")


def test_duplicate_id_is_caught_naming_the_item(released, tmp_path):
    copy = _corrupt_copy(released, tmp_path)
    path = copy / "items" / "test-00000-of-00001.parquet"
    rows = _rows(path)
    rows.append(dict(rows[0]))
    _write(path, rows)
    write_checksums(copy)  # a careless edit that re-checksummed: the data checks must see it
    problems = _problems(copy)
    dup = rows[0]["item_id"]
    assert f"items/test-00000-of-00001.parquet: item_id {dup}: appears 2 times. Fix: keep one " \
           "row per id; or rebuild the release with `abstab release WORK -o RELEASE --force`" \
           in problems
    # The card and stats no longer agree with the data either.
    assert any(p.startswith("README.md: config items split test: the card says") for p in problems)


def test_document_moved_to_another_split_is_caught_naming_its_items(released, tmp_path):
    copy = _corrupt_copy(released, tmp_path)
    src, dst = copy / "items" / "test-00000-of-00001.parquet", \
        copy / "items" / "train-00000-of-00001.parquet"
    rows = _rows(src)
    doc = rows[0]["doc_id"]
    moved = [dict(r, split="train") for r in rows if r["doc_id"] == doc]
    _write(src, [r for r in rows if r["doc_id"] != doc] or rows[:0])
    _write(dst, _rows(dst) + moved)
    write_checksums(copy)
    problems = _problems(copy)
    for r in moved:
        assert (f"items/train-00000-of-00001.parquet: item_id {r['item_id']}: document {doc} is "
                "in test, but this row is in train: splits must be disjoint by document. Fix: "
                "move it to the test split (or the whole document to train); or rebuild the "
                "release with `abstab release WORK -o RELEASE --force`") in problems


def test_changed_answer_is_caught_naming_the_item(released, tmp_path):
    copy = _corrupt_copy(released, tmp_path)
    path = copy / "items" / "validation-00000-of-00001.parquet"
    rows = _rows(path)
    i = next(k for k, r in enumerate(rows) if r["answer_location"] == "table_defined"
             and len(r["evidence"]["cells"]) == 1)
    old = rows[i]["answer"]["text"]
    rows[i] = dict(rows[i], answer=dict(rows[i]["answer"], text=old + "1"))
    j = next(k for k, r in enumerate(rows) if r["answer_location"] == "text")
    rows[j] = dict(rows[j], answer=dict(rows[j]["answer"], text="not in the document"))
    _write(path, rows)
    write_checksums(copy)
    problems = _problems(copy)
    named = [p for p in problems if f"item_id {rows[i]['item_id']}:" in p]
    assert named and f"answer {old + '1'!r}" in named[0] and f"holds {old!r}" in named[0]
    assert any(f"item_id {rows[j]['item_id']}:" in p for p in problems)


def test_unlicensed_and_forbidden_sources_are_left_out(synth_work, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(synth_work, work, ignore=shutil.ignore_patterns("bench"))
    path = work / "extract" / "documents.jsonl"
    lines = path.read_text().splitlines()
    docs = [json.loads(ln) for ln in lines]
    docs[0]["source"] = "/data/icdar2013/eu-001.pdf"  # research-only: never redistributed
    docs[1]["source"] = "/data/reports/annual.pdf"  # unknown until declared
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    rep = build_release(work, tmp_path / "rel", ReleaseSettings(figures=False))
    left = {x["doc_id"]: x["reason"] for x in rep.left_out}
    assert left == {
        docs[0]["doc_id"]: "its license LicenseRef-research-only does not allow redistribution",
        docs[1]["doc_id"]: "its license is unknown; declare it with --license 'GLOB=SPDX' (for "
                           "example --license '*/reports/*=CC-BY-4.0') if its license allows "
                           "redistribution"}
    kept = [r for p in (tmp_path / "rel" / "items").glob("*.parquet") for r in _rows(p)]
    assert {r["doc_id"] for r in kept}.isdisjoint(left)
    assert "## Sources and licenses" in (tmp_path / "rel" / "README.md").read_text()
    assert validate_release(tmp_path / "rel").ok
    # Declaring the unknown source's license brings it in; the forbidden one stays out.
    rep2 = build_release(work, tmp_path / "rel2", ReleaseSettings(
        figures=False, licenses=["*/reports/*=CC-BY-4.0"]))
    assert [x["doc_id"] for x in rep2.left_out] == [docs[0]["doc_id"]]
    meta = read_front_matter(tmp_path / "rel2" / "README.md")
    assert meta["license"] == ["apache-2.0", "cc-by-4.0"]


def test_release_refuses_to_overwrite_and_says_how(released, synth_work):
    with pytest.raises(ConfigError) as exc:
        build_release(synth_work, released[0])
    assert str(exc.value) == (f"{released[0]} holds an abstab release; pass --force to replace "
                              "it, or -o another folder")


def test_missing_matplotlib_fails_clearly(synth_work, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    with pytest.raises(MissingDependencyError) as exc:
        build_release(synth_work, tmp_path / "rel")
    assert str(exc.value) == ("abstab release figures (or pass --no-figures) needs the "
                              "'matplotlib' package: pip install 'abstab[release]'")
    assert not (tmp_path / "rel").exists()


def test_release_of_a_workspace_without_assemble_says_what_to_run(tmp_path):
    result = CliRunner().invoke(cli, ["release", str(tmp_path), "-o", str(tmp_path / "r")],
                                catch_exceptions=False)
    assert result.exit_code == 2
    assert "no finished assemble stage" in result.output and "abstab synth" in result.output


# -- the card a Hub maintainer would accept (issue 21) --------------------------------------


def _fields_rows(text: str, config: str) -> dict[str, str]:
    """column → description, from the card's table of one config."""
    section = text.split(f"### Config `{config}`", 1)[1].split("\n#", 1)[0]
    rows = [ln.split(" | ") for ln in section.splitlines() if ln.startswith("| `")]
    return {r[0].strip("| `"): r[2].rstrip(" |") for r in rows}


def test_every_items_field_has_a_description_that_is_not_its_name(released):
    out, _, _ = released
    meta = read_front_matter(out / "README.md")
    features = next(i for i in meta["dataset_info"] if i["config_name"] == "items")["features"]
    names = [f["name"] for f in features]
    described = _fields_rows((out / "README.md").read_text(), "items")
    assert names == list(described)
    for name in names:
        desc = described[name]
        assert desc and desc.lower() not in {name.lower(), name.replace("_", " ").lower()}, name
    for config in ("tables", "documents"):
        rows = _fields_rows((out / "README.md").read_text(), config)
        assert all(d and d.lower() != n.replace("_", " ").lower() for n, d in rows.items()), rows


def test_every_enum_value_is_explained_on_the_card(released):
    from typing import get_args

    from abstab.records import Abstraction, QAItem, ResolutionCategory
    from abstab.release.layout import field_docs

    enums = {"answer_location": get_args(QAItem.model_fields["answer_location"].annotation),
             "abstraction.style": get_args(Abstraction.model_fields["style"].annotation),
             "abstraction.legend": get_args(Abstraction.model_fields["legend"].annotation),
             "abstraction.explained_by": get_args(
                 get_args(Abstraction.model_fields["explained_by"].annotation)[0]),
             "keywords.category": get_args(ResolutionCategory),
             "origin": get_args(QAItem.model_fields["origin"].annotation),
             "difficulty": get_args(QAItem.model_fields["difficulty"].annotation)}
    values = field_docs()["values"]
    assert {k: tuple(values[k]) for k in enums} == enums
    text = (released[0] / "README.md").read_text()
    section = text.split("## Field values", 1)[1].split("\n## ", 1)[0]
    for column, vals in enums.items():
        assert f"`{column}`:" in section
        for v in vals:
            assert f"- `{v}`: {values[column][v]}" in section


def test_card_is_self_consistent_and_explains_derived_tables(released):
    out, _, _ = released
    text = (out / "README.md").read_text()
    assert _fields_rows(text, "documents")["source"] == (
        "the PDF's file name (a release never publishes the local path it was read from)")
    docs = [r for p in (out / "documents").glob("*.parquet") for r in _rows(p)]
    assert all("/" not in d["source"] for d in docs)
    tables = [r for p in (out / "tables").glob("*.parquet") for r in _rows(p)]
    found = sum(t["derived_from"] is None for t in tables)
    twins = sum(t["table_id"].endswith(":clear") for t in tables)
    assert (len(tables), found, twins) == (22, 8, 6)
    assert ("The 22 released tables are 8 tables found in the PDFs and 14 that abstab derived "
            "from them (`derived_from` names the table): 6 clear twins") in text
    assert "and 8 controlled abstractions (`<table_id>:<style>:<legend>`" in text
    for heading in ("## Field values", "## Example instance", "## How to evaluate",
                    "## Citation", "## Contact"):
        assert heading in text
    assert "abstab bench PATH/TO/THIS/FOLDER --split test" in text


def test_whole_numbers_are_integers_in_the_release(released):
    out, _, _ = released
    items = [r for p in (out / "items").glob("*.parquet") for r in _rows(p)]
    values = {r["answer"]["text"]: r["answer"]["value"] for r in items
              if r["answer"]["type"] == "number"}
    assert values["2023"] == "2023"  # was "2023.0"
    assert values["12,450"] == "12450"
    assert not [v for v in values.values() if v.endswith(".0")]
    assert json.loads(values["0.102"]) == 0.102


CFF = """cff-version: 1.2.0
title: Abstract headers in council reports
message: Please cite this dataset.
authors:
  - family-names: Lovelace
    given-names: Ada
  - name: The Sample Lab
contact:
  - family-names: Lovelace
    given-names: Ada
    email: ada@example.org
date-released: 2025-03-01
"""


def test_release_card_with_name_homepage_repo_citation_and_fragment(synth_work, tmp_path):
    from huggingface_hub import DatasetCard

    (tmp_path / "CITATION.cff").write_text(CFF)
    (tmp_path / "about.md").write_text("## About\n\nCollected for the *abstab* tutorial.\n")
    out = tmp_path / "rel"
    result = CliRunner().invoke(cli, [
        "release", str(synth_work), "-o", str(out), "--no-figures", "--name", "Council tables",
        "--homepage", "https://example.org/council", "--repo-id", "lab/council-tables",
        "--citation", str(tmp_path / "CITATION.cff"),
        "--card-fragment", str(tmp_path / "about.md")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "validate: ok"
    assert "warning:" not in result.output
    bibtex = ("@misc{abstractheadersincouncil2025,\n"
              "  title = {Abstract headers in council reports},\n"
              "  author = {Lovelace, Ada and The Sample Lab},\n  year = {2025}\n}")
    text = (out / "README.md").read_text()
    assert f"```bibtex\n{bibtex}\n```" in text
    assert "# Council tables\n" in text and "## About\n\nCollected for the *abstab* tutorial.\n" in text
    assert text.index("## About") < text.index("## Loading")
    assert ("- **Point of contact:** Lovelace, Ada <ada@example.org>; "
            "<https://example.org/council>; the discussions of "
            "<https://huggingface.co/datasets/lab/council-tables/discussions>") in text
    assert 'items = load_dataset("lab/council-tables")' in text
    card = DatasetCard.load(out / "README.md", ignore_metadata_errors=False)
    assert (card.data.pretty_name, card.data.language, card.data.license) == (
        "Council tables", ["en"], ["apache-2.0"])
    assert card.data.annotations_creators == ["machine-generated"]
    croissant = json.loads((out / "croissant.json").read_text())
    assert (croissant["name"], croissant["url"], croissant["citeAs"]) == (
        "Council tables", "https://example.org/council", bibtex)
    assert validate_release(out).ok


def test_release_without_name_warns_and_invents_no_address(synth_work, tmp_path):
    out = tmp_path / "rel"
    result = CliRunner().invoke(cli, ["release", str(synth_work), "-o", str(out), "--no-figures"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ("warning: no --name: the card and croissant.json call the dataset 'work' (the "
            "workspace folder's name); pass --name NAME") in result.output.splitlines()
    assert ("warning: the card names no contact: pass --homepage or --repo-id, or give the "
            "CITATION.cff a `contact:`") in result.output.splitlines()
    croissant = json.loads((out / "croissant.json").read_text())
    assert "url" not in croissant
    assert croissant["citeAs"].startswith("@misc{work") and "title = {work}" in croissant["citeAs"]
    assert "## Contact\n\nnone given by the publisher of this release.\n" in (
        out / "README.md").read_text()


@pytest.mark.parametrize(("args", "message"), [
    (["--repo-id", "not a repo"], ("Error: --repo-id 'not a repo' is not a Hugging Face "
     "repository id; give OWNER/NAME, e.g. --repo-id my-lab/abstab-reports")),
    (["--homepage", "example.org"], ("Error: --homepage 'example.org' is not a web address; "
     "give one starting with https://")),
    (["--language", "English"], ("Error: --language 'English' is not an ISO 639-1 code; give "
     "a code such as en, fr or de")),
    (["--citation", "missing.cff"], ("Error: --citation missing.cff: no such file; pass a "
     "CITATION.cff or a .bib file")),
])
def test_bad_card_options_are_usage_errors(synth_work, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["release", str(synth_work), "-o", "rel", "--no-figures",
                                      *args], catch_exceptions=False)
    assert (result.exit_code, result.output.strip()) == (2, message)
    assert not (tmp_path / "rel").exists()


@pytest.mark.parametrize("command", ["release", "validate"])
def test_release_and_validate_without_pyarrow_name_the_extra(tmp_path, command):
    """In a fresh interpreter where `import pyarrow` fails, as without abstab[release]."""
    args = [str(tmp_path)] + (["-o", str(tmp_path / "rel")] if command == "release" else [])
    script = ("import sys; sys.modules['pyarrow'] = None\n"
              f"from abstab.cli import main; sys.argv = ['abstab', {command!r}, *{args!r}]\n"
              "main()")
    env = {k: v for k, v in os.environ.items() if k != "ABSTAB_RAISE_ERRORS"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=120, check=False)
    assert (run.returncode, run.stderr.strip()) == (
        2, f"Error: abstab {command} needs the 'pyarrow' package: pip install 'abstab[release]'")


def test_citation_from_bibtex_workspace_cff_and_preferred_citation(tmp_path):
    from abstab.release.citation import load_citation

    bib = tmp_path / "ref.bib"
    bib.write_text("@article{x2024,\n  title = {X}\n}\n")
    assert load_citation(bib, tmp_path, "n", None, "0.1.0").bibtex == \
        "@article{x2024,\n  title = {X}\n}"
    (tmp_path / "notes.txt").write_text("just words")
    with pytest.raises(ConfigError) as exc:
        load_citation(tmp_path / "notes.txt", tmp_path, "n", None, "0.1.0")
    assert str(exc.value) == (f"--citation {tmp_path / 'notes.txt'}: neither a CITATION.cff "
                              "(by its .cff suffix) nor BibTeX (an entry starting with @); "
                              "pass one of those")
    # Without --citation, the workspace's CITATION.cff; its preferred-citation wins.
    (tmp_path / "CITATION.cff").write_text(CFF + """preferred-citation:
  type: article
  title: Reading abstract headers
  authors:
    - family-names: Hopper
      given-names: Grace
  journal: Journal of Tables
  year: 2024
  doi: 10.1234/abc
""")
    cit = load_citation(None, tmp_path, "n", None, "0.1.0")
    assert cit.bibtex == ("@article{readingabstractheaders2024,\n"
                          "  title = {Reading abstract headers},\n"
                          "  author = {Hopper, Grace},\n  year = {2024},\n"
                          "  journal = {Journal of Tables},\n  doi = {10.1234/abc}\n}")
    assert (cit.source, cit.contact) == ("CITATION.cff", ["Lovelace, Ada <ada@example.org>"])
    (tmp_path / "CITATION.cff").write_text("cff-version: 1.2.0\n")
    with pytest.raises(ConfigError) as exc:
        load_citation(None, tmp_path, "n", None, "0.1.0")
    assert str(exc.value) == (f"{tmp_path / 'CITATION.cff'}: a CITATION.cff needs a `title:` "
                              "(see citation-file-format.github.io); fix it or pass --citation "
                              "another file")
