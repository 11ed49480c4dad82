"""Dataset releases: ``abstab release`` writes one, ``abstab validate`` checks one.

Needs the extra ``release`` (pyarrow, datasets, huggingface_hub, matplotlib); ``croissant``
adds the full Croissant check. :func:`require` names the missing one and its ``pip install``
line before any module of this package that needs it is imported.
"""

from __future__ import annotations

import importlib

from abstab.errors import MissingDependencyError

# What each command imports from the release extra (module, then package to install).
RELEASE_NEEDS = (("pyarrow", "pyarrow"), ("datasets", "datasets"),
                 ("huggingface_hub", "huggingface_hub"))
VALIDATE_NEEDS = (("pyarrow", "pyarrow"),)


def require(feature: str, needs: tuple[tuple[str, str], ...], extra: str = "release") -> None:
    """Raise :class:`MissingDependencyError` naming the first module of ``needs`` that is
    not installed, and ``pip install 'abstab[EXTRA]'``."""
    for module, package in needs:
        try:
            importlib.import_module(module)
        except ImportError:
            raise MissingDependencyError(package, extra, feature) from None
