"""A sampling CPU profiler for the benchmarks: where the process spends its CPU time.

cProfile's per-call overhead inflates code made of many small calls (the
ORM's, psycopg's) several times over and so misleads; sampling the stack
every ``interval`` seconds of CPU time (``ITIMER_PROF``) does not. The report
lists functions by inclusive and by own share of the samples.
"""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any


def _name(frame: FrameType) -> str:
    code = frame.f_code
    path = code.co_filename.split("site-packages/")[-1].split("/recurra/", 1)[-1]
    return f"{path}:{code.co_firstlineno}({code.co_name})"


class Sampler:
    def __init__(self, path: str, interval: float = 0.001, *, wall: bool = False) -> None:
        """``wall``: sample every ``interval`` of real time instead (waits on the database count)."""
        self.path, self.interval, self.wall = path, interval, wall
        self.signal, self.timer = (
            (signal.SIGALRM, signal.ITIMER_REAL) if wall else (signal.SIGPROF, signal.ITIMER_PROF)
        )
        self.samples = 0
        self.own: Counter[str] = Counter()
        self.inclusive: Counter[str] = Counter()

    def _sample(self, signum: int, frame: FrameType | None) -> None:
        names = []
        while frame is not None:
            names.append(_name(frame))
            frame = frame.f_back
        if names:
            self.samples += 1
            self.own[names[0]] += 1
            self.inclusive.update(set(names))

    def __enter__(self) -> Sampler:
        signal.signal(self.signal, self._sample)
        signal.setitimer(self.timer, self.interval, self.interval)
        return self

    def __exit__(self, *exc: Any) -> None:
        signal.setitimer(self.timer, 0, 0)
        signal.signal(self.signal, signal.SIG_DFL)
        total = max(1, self.samples)
        per = "real time" if self.wall else "CPU"
        out = [f"{self.samples} samples, one per {self.interval * 1000:g} ms of {per}\n", "inclusive:"]
        out += [f"{100 * n / total:6.1f}%  {name}" for name, n in self.inclusive.most_common(120)]
        out += ["", "own:"]
        out += [f"{100 * n / total:6.1f}%  {name}" for name, n in self.own.most_common(40)]
        Path(self.path).write_text("\n".join(out) + "\n")
