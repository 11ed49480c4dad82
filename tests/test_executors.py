"""executors.Window: the one bounded-concurrency loop under every executor and the LLM backend."""

from concurrent.futures import Future

import pytest

from abstab.executors import Window


def _done(value: object) -> Future:
    fut: Future = Future()
    fut.set_result(value)
    return fut


def test_window_keeps_at_most_size_in_flight_reads_lazily_and_yields_in_submission_order():
    read: list[int] = []
    in_flight: list[int] = []

    def items():
        for i in range(7):
            read.append(i)
            yield i

    def submit(i: int) -> Future:
        in_flight.append(len(window.pending) + 1)
        return _done(i * i)

    window = Window(submit, items(), 3)
    seen = []
    for i, fut in window:
        seen.append((i, fut.result(), len(read)))
    # one wake-up finds the three submitted done; the window refills after each wake-up
    assert seen == [(0, 0, 3), (1, 1, 3), (2, 4, 3), (3, 9, 6), (4, 16, 6), (5, 25, 6),
                    (6, 36, 7)]
    assert max(in_flight) == 3 and window.pending == {}


def test_window_lets_errors_through_and_says_what_was_in_flight():
    def submit(i: int) -> Future:
        if i == 3:
            raise KeyboardInterrupt  # Ctrl-C while topping up reaches the caller
        return _done(i)

    window = Window(submit, range(5), 2)
    got = []
    with pytest.raises(KeyboardInterrupt):
        for _, fut in window:
            got.append(fut.result())
    assert got == [0, 1]
    assert list(window.pending.values()) == [2]  # submitted, not yet yielded: the caller's to stop
