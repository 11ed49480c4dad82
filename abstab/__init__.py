"""abstab: benchmarks of question answering over report tables with abstract headers.

The Python API (:mod:`abstab.api`), imported on first use so that ``import abstab`` stays fast::

    import abstab

    abstab.synth("sample", "work")                 # the pipeline, as `abstab synth`
    result = abstab.bench("work", ["table", "oracle"])
    result.leaderboard()                           # a pandas DataFrame
    release = abstab.load_release("release")       # .items, .tables, .documents DataFrames
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `from typing import ...`: importing typing costs more than abstab

__version__ = "0.1.0"

__all__ = ["BenchResult", "Release", "__version__", "bench", "load_release", "synth"]

if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from abstab.api import BenchResult, Release, bench, load_release, synth


class _ApiPackage(type(__import__("sys"))):  # type: ignore[misc]
    """A package that is also the API function of its name: ``abstab.bench`` and
    ``abstab.synth`` are packages, and importing ``abstab.bench.run`` rebinds the name
    ``abstab.bench`` to the package, so the package itself must be callable."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from abstab import api

        return getattr(api, self.__name__.rpartition(".")[2])(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("bench", "synth"):  # callable packages (see abstab/bench/__init__.py)
        import importlib

        return importlib.import_module(f"abstab.{name}")
    if name in __all__:
        from abstab import api

        return getattr(api, name)
    raise AttributeError(f"module 'abstab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
