"""Seeded picking: every "random" choice abstab makes, decided by a hash of a seed and a key.

Which rows a question asks about, which documents go to which split, whether a controlled
table keeps its legend: each is :func:`abstab.config.stable_hash` of the seed, a key naming
the choice and the candidate. The same seed makes the same choices on every machine and
rerun; another seed changes all of them. No ``random`` state is involved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from abstab.config import stable_hash

T = TypeVar("T")


def seeded_order(items: Iterable[T], *key: Any, by: Callable[[T], Any] | None = None) -> list[T]:
    """``items`` shuffled deterministically: sorted by ``stable_hash([*key, by(item)])``.

    Args:
        items: the candidates.
        *key: the seed and what names the choice (e.g. a table id and a salt).
        by: what of an item is hashed (the item itself by default; it must be JSON-able or
            have a stable ``str``).

    Returns:
        The items in hash order; the first ``n`` are a seeded sample of ``n``.
    """
    def rank(item: T) -> str:
        return stable_hash([*key, item if by is None else by(item)])

    return sorted(items, key=rank)


def seeded_int(*key: Any, digits: int = 16) -> int:
    """A number drawn from ``key``: the first ``digits`` hex digits of
    ``stable_hash(list(key))``, so in ``[0, 16 ** digits)``.

    Args:
        *key: the seed and what names the choice.
        digits: hex digits used (1 gives 0–15, for a coin or a small choice).

    Returns:
        The number.
    """
    return int(stable_hash(list(key), digits), 16)


__all__ = ["seeded_int", "seeded_order"]
