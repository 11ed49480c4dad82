"""Seeded picking (abstab.core.seeded): fixed values, so a change of the hashing that would
move which rows, splits or legends a seed picks fails here, not in a diff of a release."""

from __future__ import annotations

from abstab.core.seeded import seeded_int, seeded_order


def test_seeded_order_is_a_fixed_shuffle_of_the_seed_and_key() -> None:
    assert seeded_order(["a", "b", "c", "d", "e"], "0", "lookup|1") == ["b", "d", "e", "a", "c"]
    assert seeded_order(iter(["a", "b", "c", "d", "e"]), "0", "lookup|1") == [
        "b", "d", "e", "a", "c"]  # any iterable, e.g. a dict's keys or a range
    assert seeded_order([(1, "x"), (2, "y"), (3, "z")], "7", by=repr) == [
        (3, "z"), (1, "x"), (2, "y")]
    assert seeded_order([], "0") == []


def test_seeded_int_reads_the_leading_hex_digits_of_the_hash() -> None:
    # stable_hash(["0", "t1", "acronym"]) is "503e34fd6bcdd63c": digit 5, a legend kept.
    assert seeded_int("0", "t1", "acronym", digits=1) == 5
    assert seeded_int("k", digits=8) == 0x33E16BC4
    assert seeded_int("0", "t1", "acronym") == 0x503E34FD6BCDD63C
