"""When a failed delivery is tried again (pure): Svix's schedule inside Stripe's three-day window.

After the first attempt fails, the next ones come 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h
after the one before, then every 12 h, and a last one exactly three days after the first:

    attempt  1   2    3       4        5       6       7        8        9        10       11       12
    after    0   5s   5m5s    35m5s    2h35m   7h35m   17h35m   27h35m   39h35m   51h35m   63h35m   72h
             └─ each delay counts from the attempt before (a late worker shifts the rest), never past
                the window: the attempt that would land after 72 h lands at 72 h, and is the last.

>>> from datetime import datetime, UTC
>>> first = datetime(2027, 1, 1, tzinfo=UTC)
>>> [str(offset) for offset in offsets()]
['0:00:00', '0:00:05', '0:05:05', '0:35:05', '2:35:05', '7:35:05', '17:35:05', '1 day, 3:35:05', \
'1 day, 15:35:05', '2 days, 3:35:05', '2 days, 15:35:05', '3 days, 0:00:00']
>>> next_attempt(first=first, attempts=1, at=first)
datetime.datetime(2027, 1, 1, 0, 0, 5, tzinfo=datetime.timezone.utc)
>>> next_attempt(first=first, attempts=11, at=first + offsets()[10])  # the last one: at the window's end
datetime.datetime(2027, 1, 4, 0, 0, tzinfo=datetime.timezone.utc)
>>> next_attempt(first=first, attempts=12, at=first + WINDOW) is None  # given up
True
>>> MAX_ATTEMPTS
12
"""

from __future__ import annotations

from datetime import datetime, timedelta

DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
THEN_EVERY = timedelta(hours=12)
WINDOW = timedelta(days=3)  # retries end, and an endpoint failing this long without a success is disabled


def delay_after(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th attempt failed (1-based).

    >>> delay_after(1), delay_after(7), delay_after(8)
    (datetime.timedelta(seconds=5), datetime.timedelta(seconds=36000), datetime.timedelta(seconds=43200))
    """
    if attempts < 1:
        raise ValueError("attempts count from 1")
    return DELAYS[attempts - 1] if attempts <= len(DELAYS) else THEN_EVERY


def next_attempt(*, first: datetime, attempts: int, at: datetime) -> datetime | None:
    """When to try again after the ``attempts``-th attempt (made at ``at``; the first at ``first``)
    failed; None once the three-day window is spent."""
    end = first + WINDOW
    if at >= end:
        return None
    return min(at + delay_after(attempts), end)


def offsets() -> list[timedelta]:
    """Each attempt's time after the first, when every attempt runs on time."""
    found = [timedelta(0)]
    while True:
        at = next_attempt(first=_EPOCH, attempts=len(found), at=_EPOCH + found[-1])
        if at is None:
            return found
        found.append(at - _EPOCH)


_EPOCH = datetime(2000, 1, 1)
MAX_ATTEMPTS = 12  # len(offsets()): the job runner's limit for this queue
