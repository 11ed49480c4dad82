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
    assert all(Path(folder, "__init__.py").is_file() for folder in mapped.values())
    assert listed - on_disk == set(mapped)
