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


def __getattr__(name: str) -> Any:
    if name in __all__:
        from abstab import api

        return getattr(api, name)
    raise AttributeError(f"module 'abstab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
