"""core.collector: pauses of the cycle collector nest and overlap across threads."""

from __future__ import annotations

import gc
import threading

from recurra.core import collector


def test_the_collector_resumes_when_the_last_overlapping_pause_ends() -> None:
    assert gc.isenabled()
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other() -> None:
        with collector.paused():
            first_in.set()
            second_done.wait(5)
        seen.append(gc.isenabled())  # the main thread's pause still runs

    thread = threading.Thread(target=other)
    with collector.paused():
        thread.start()
        first_in.wait(5)
        with collector.paused():
            assert not gc.isenabled()
        second_done.set()
        thread.join(5)
        assert not gc.isenabled()
    assert seen == [False]
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_that_was_off_off() -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
