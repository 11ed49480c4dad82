"""Text helpers at the bottom floor: what the records themselves need (table column names) and
every floor above shares (:mod:`abstab.core.normalize` re-exports :func:`squash`)."""

from __future__ import annotations


def squash(text: str, *, sep: str = " ") -> str:
    """``text`` on one line: whitespace runs become ``sep``, none at the ends.

    Args:
        text: any text.
        sep: what a whitespace run becomes: one space by default; ``""`` removes every space,
            the key for comparing cells (``$  1,452.4`` == ``$1,452.4``).

    Returns:
        The squashed text.
    """
    return sep.join(text.split())
