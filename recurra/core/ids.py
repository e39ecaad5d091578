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
import secrets
import threading

from recurra.core import clock

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_LENGTH = 40  # longest prefix (8) + "_" + 26, with room to spare


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


_lock = threading.Lock()
_last = 0
_RANDOM_BITS = 80


def _next_body() -> int:
    global _last
    with _lock:
        body = (clock.epoch_ms() << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS)
        # Same (or an earlier, if the wall clock stepped back) millisecond: count up.
        _last = max(body, _last + 1)
        return _last


def new_id(prefix: str) -> str:
    return f"{prefix}_{_encode(_next_body(), 26)}"


def factory(prefix: str) -> functools.partial[str]:
    """A model-field default that makes ids with ``prefix`` (serialisable in migrations)."""
    return functools.partial(new_id, prefix)
