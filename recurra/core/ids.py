"""Opaque, prefixed, time-ordered ids: ``con_01jd3x8q3n8k4w2c5v7b9m0p1r``.

A ULID body (48-bit millisecond time + 80 random bits, Crockford base32,
lower case) after a type prefix. Ids sort by creation time to the
millisecond, which makes them a stable key for cursor pagination; within a
millisecond the order is random, but total.
"""

from __future__ import annotations

import functools
import secrets

from recurra.core import clock

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_LENGTH = 40  # longest prefix (8) + "_" + 26, with room to spare


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    body = (clock.epoch_ms() << 80) | secrets.randbits(80)
    return f"{prefix}_{_encode(body, 26)}"


def factory(prefix: str) -> functools.partial[str]:
    """A model-field default that makes ids with ``prefix`` (serialisable in migrations)."""
    return functools.partial(new_id, prefix)
