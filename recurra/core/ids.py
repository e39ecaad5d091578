"""Opaque, prefixed, time-ordered ids: ``con_01jd3x8q3n8k4w2c5v7b9m0p1r``.

A ULID body (48-bit millisecond time + 80 random bits, Crockford base32,
lower case) after a type prefix. Ids sort by creation time, which makes
them a stable key for cursor pagination. Within one process they are
strictly increasing (ULID's monotonic rule: in the same millisecond the
random part counts up by one); ids made by two processes in the same
millisecond are ordered at random, but totally.
"""

from __future__ import annotations

import base64
import functools
import os
import secrets
import threading

from recurra.core import clock

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_LENGTH = 40  # longest prefix (8) + "_" + 26, with room to spare


_RFC4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_CROCKFORD = bytes.maketrans(_RFC4648.encode(), _ALPHABET.encode())


def _encode(value: int, length: int) -> str:
    """``value`` as ``length`` Crockford base32 digits (at most 40), most significant first.

    Through the C base32 codec: the 25 big-endian bytes encode to 40 digits, of
    which the last ``length`` are the value's.
    """
    return base64.b32encode(value.to_bytes(25, "big"))[-length:].translate(_TO_CROCKFORD).decode()


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
