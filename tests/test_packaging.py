"""What a plain `pip install .` ships: every package of abstab/ and the data beside it.

Editable installs (the test command's) find every module on disk, so a package missing from
pyproject's list only fails for a user of the wheel: this reads the list instead.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from conftest import REPO


def test_every_package_under_abstab_is_in_pyproject() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    on_disk = {".".join(p.parent.relative_to(REPO).parts)
               for p in (REPO / "abstab").rglob("__init__.py")}
    mapped = {name: REPO / folder for name, folder in setuptools["package-dir"].items()}
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    # Data-only folders (abstab.datasets) have no __init__.py: the repository's datasets/ must
    # not shadow the `datasets` library; every other mapped folder is a package.
    data_only = {n for n, f in mapped.items() if not Path(f, "__init__.py").is_file()}
    assert data_only == {"abstab.datasets"}
    assert not any(Path(f, "__init__.py").exists() for f in (REPO / "datasets").rglob("*"))
    assert listed - on_disk == set(mapped)


def _installed_files() -> set[str]:
    """The data files a wheel holds, as paths under site-packages: package-dir mapped, then
    package-data globbed (what setuptools ships besides modules)."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    dirs = setuptools["package-dir"]
    out = set()
    for package, globs in setuptools["package-data"].items():
        folder = REPO / dirs.get(package, package.replace(".", "/"))
        for pattern in globs:
            out |= {"/".join([*package.split("."), *p.relative_to(folder).parts])
                    for p in folder.glob(pattern) if p.is_file()}
    return out


def test_every_shipped_pipeline_finds_its_inputs_in_an_installed_wheel() -> None:
    """`abstab synth -p sample` after `pip install abstab`: sample.yaml's relative inputs
    must land in the wheel where they resolve from abstab/pipelines/ (they did not: the sample
    PDFs were not package data, and every stage ran on nothing)."""
    import posixpath

    import yaml

    shipped = _installed_files()
    pipelines = sorted(p for p in shipped if p.startswith("abstab/pipelines/"))
    assert "abstab/pipelines/sample.yaml" in pipelines
    for rel in pipelines:
        data = yaml.safe_load((REPO / "pipelines" / Path(rel).name).read_text())
        inputs = data.get("inputs") or []
        for entry in [inputs] if isinstance(inputs, str) else inputs:
            if Path(entry).is_absolute() or REPO not in (REPO / "pipelines" / entry).resolve(
                    ).parents:
                continue  # data the user brings (tatqa.yaml's ../../shared/corpora/tatqa)
            target = posixpath.normpath(posixpath.join("abstab/pipelines", entry))
            pdfs = sorted(p for p in shipped if p.startswith(target + "/")
                          and p.endswith(".pdf"))
            assert pdfs, f"{rel}: input {entry} is not in the wheel"
    assert sorted(p.rsplit("/", 1)[1] for p in shipped
                  if p.startswith("abstab/datasets/sample/pdfs/")) == [
        "cohort_survey.pdf", "municipal_budget.pdf", "pump_reliability.pdf", "river_quality.pdf"]


def test_license_and_citation_files_match_pyproject() -> None:
    import yaml

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    text = (REPO / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License\n                           Version 2.0, "
                                    "January 2004")
    assert "END OF TERMS AND CONDITIONS" in text and len(text.splitlines()) == 201
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert {"cff-version", "message", "title", "authors"} <= set(cff)
    assert (cff["license"], cff["version"]) == (project["license"], project["version"])


def _imported_modules(folder: Path) -> set[str]:
    import ast

    out = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                out |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                out.add(node.module.split(".")[0])
    return out


def test_extras_declare_what_the_code_imports_and_nothing_it_does_not() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]

    def names(extra: str) -> set[str]:
        return {d.split(">")[0].split("=")[0].split("[")[0].strip().lower().replace("-", "_")
                for d in extras[extra]}

    release_imports = _imported_modules(REPO / "abstab" / "release")
    assert {"pyarrow", "datasets", "huggingface_hub", "matplotlib"} <= release_imports
    assert names("release") == {"pyarrow", "datasets", "huggingface_hub", "matplotlib"}
    # pdfplumber is only a benchmark's engine: no extra installs it for nothing.
    assert "pdfplumber" not in _imported_modules(REPO / "abstab")
    assert names("camelot") == {"camelot_py"}
