"""Opaque, prefixed, time-ordered ids: ``con_01jd3x8q3n8k4w2c5v7b9m0p1r``.

A ULID body (48-bit millisecond time + 80 random bits, Crockford base32,
lower case) after a type prefix. Ids sort by creation time, which makes
them a stable key for cursor pagination. Within one process they are
strictly increasing (ULID's monotonic rule: in the same millisecond the
random part counts up by one); ids made by two processes in the same
millisecond are ordered at random, but totally.
"""

from __future__ import annotations

import functools
import os
import secrets
import threading

from recurra.core import clock

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_LENGTH = 40  # longest prefix (8) + "_" + 26, with room to spare


_PAIRS = tuple(a + b for a in _ALPHABET for b in _ALPHABET)  # every 10-bit value as two digits


def _encode(value: int, length: int) -> str:
    """``value`` as ``length`` Crockford base32 digits (even, at most 26), most significant first.

    Ten bits at a time through a table of digit pairs: a quarter of the cost of
    going through ``base64.b32encode`` (pure Python in 3.11), which new ids per
    billed renewal made count.
    """
    pairs = _PAIRS
    return "".join([pairs[(value >> shift) & 1023] for shift in range(5 * length - 10, -1, -10)])


_lock = threading.Lock()
_last = 0
_RANDOM_BITS = 80


def _forget_last() -> None:
    """A forked child must not go on counting from its parent's last id: two children doing so
    in the same millisecond would make the same ids. It starts afresh from random bits."""
    global _last, _lock
    _last = 0
    _lock = threading.Lock()  # another thread of the parent may have held it at the fork


os.register_at_fork(after_in_child=_forget_last)


def _next_body() -> int:
    global _last
    ms = clock.epoch_ms()
    with _lock:
        if ms == _last >> _RANDOM_BITS:  # the same millisecond: count up (ULID's monotonic rule)
            _last += 1
        else:  # a new one (or an earlier, if the wall clock stepped back: still count up)
            _last = max((ms << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS), _last + 1)
        return _last


_LOW_BITS = 20  # the last four digits
_head: tuple[int, str] = (-1, "")  # the last body's bits above the last four digits, and their 22 digits


def _encode_body(value: int) -> str:
    """``_encode(value, 26)``, re-encoding only the last four digits while the rest is the last one's.

    Ids made in one millisecond count up by one, so nearly every id shares its
    first 22 digits with the one before: the billing run makes a dozen ids per
    renewal, and this spares each of them 22 digits of encoding. (Threads may
    race on ``_head``; a stale pair is only a miss: its bits are compared whole.)
    """
    global _head
    high, digits = _head
    if value >> _LOW_BITS != high:
        text = _encode(value, 26)
        _head = (value >> _LOW_BITS, text[:22])
        return text
    pairs = _PAIRS
    return digits + pairs[(value >> 10) & 1023] + pairs[value & 1023]


def new_id(prefix: str) -> str:
    return f"{prefix}_{_encode_body(_next_body())}"


def new_ids(prefix: str, count: int) -> list[str]:
    """``count`` ids, as ``count`` calls of :func:`new_id` would make them in one millisecond
    (consecutive, increasing), for one clock read and one lock: for rows made by the thousand."""
    if count <= 0:
        return []
    global _last
    ms = clock.epoch_ms()
    with _lock:
        if ms == _last >> _RANDOM_BITS:
            first = _last + 1
        else:
            first = max((ms << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS), _last + 1)
        _last = first + count - 1
    return [f"{prefix}_{_encode_body(body)}" for body in range(first, first + count)]


def factory(prefix: str) -> functools.partial[str]:
    """A model-field default that makes ids with ``prefix`` (serialisable in migrations)."""
    return functools.partial(new_id, prefix)


def id_at(prefix: str, epoch_ms: int) -> str:
    """The smallest id ``prefix`` could have at ``epoch_ms``: every id made earlier sorts below it,
    every id made then or later not below (a time bound for cursors over ids).

    >>> id_at("evt", 0)
    'evt_00000000000000000000000000'
    >>> new_id("evt") > id_at("evt", clock.epoch_ms() - 1)
    True
    """
    return f"{prefix}_{_encode(max(epoch_ms, 0) << _RANDOM_BITS, 26)}"


def epoch_ms_of(id_: str) -> int:
    """The millisecond an id was made in (its first ten digits).

    >>> epoch_ms_of(id_at("evt", 1_800_000_000_000))
    1800000000000
    """
    body = id_.rpartition("_")[2][:10]
    value = 0
    for digit in body:
        value = value * 32 + _ALPHABET.index(digit)
    return value
