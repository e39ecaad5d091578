"""Pausing Python's cycle collector around allocation-heavy steps.

A billing batch makes a few hundred thousand short-lived objects, freed by
reference counting; the collector, triggered by allocation counts, would walk
the live ones some hundred times per batch for nothing (a sixth of the run's
CPU). Cycles made meanwhile wait for the next collection. Pauses nest and
overlap across threads: the collector resumes when the last one ends, and
only if it was running when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
