"""Endpoint secrets at rest: encrypted with a key derived from ``SECRET_KEY``, revealed on request.

A secret must sign every delivery, so it cannot be kept only hashed. It is kept sealed: HMAC-SHA256
in counter mode as the keystream (a fresh 16-byte nonce per seal) and an HMAC-SHA256 tag over nonce
and ciphertext (encrypt-then-MAC), keys derived from ``SECRET_KEY``. A database dump alone does not
reveal it; changing ``SECRET_KEY`` makes sealed secrets unreadable (rotate every endpoint's secret
then). The standard library only: no extra dependency.

>>> from django.conf import settings
>>> sealed = seal("whsec_abc", key="k")
>>> sealed.startswith("s1:") and "whsec" not in sealed
True
>>> unseal(sealed, key="k")
'whsec_abc'
>>> unseal(sealed, key="another")
Traceback (most recent call last):
...
ValueError: the sealed secret does not match this SECRET_KEY (or was altered)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

VERSION = "s1:"
NONCE = 16


def _keys(key: str | None) -> tuple[bytes, bytes]:
    root = hashlib.sha256(("recurra.webhooks.sealing:" + (key or settings.SECRET_KEY)).encode()).digest()
    return hmac.new(root, b"encrypt", hashlib.sha256).digest(), hmac.new(
        root, b"mac", hashlib.sha256
    ).digest()


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (
        hmac.new(key, nonce + i.to_bytes(8, "big"), hashlib.sha256).digest() for i in range(length // 32 + 1)
    )
    return b"".join(blocks)[:length]


def seal(secret: str, *, key: str | None = None) -> str:
    enc, mac = _keys(key)
    nonce = secrets.token_bytes(NONCE)
    plain = secret.encode()
    cipher = bytes(a ^ b for a, b in zip(plain, _stream(enc, nonce, len(plain)), strict=True))
    tag = hmac.new(mac, nonce + cipher, hashlib.sha256).digest()
    return VERSION + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def unseal(sealed: str, *, key: str | None = None) -> str:
    if not sealed.startswith(VERSION):
        raise ValueError("not a sealed secret")
    enc, mac = _keys(key)
    raw = base64.urlsafe_b64decode(sealed.removeprefix(VERSION))
    nonce, cipher, tag = raw[:NONCE], raw[NONCE:-32], raw[-32:]
    if not hmac.compare_digest(tag, hmac.new(mac, nonce + cipher, hashlib.sha256).digest()):
        raise ValueError("the sealed secret does not match this SECRET_KEY (or was altered)")
    return bytes(a ^ b for a, b in zip(cipher, _stream(enc, nonce, len(cipher)), strict=True)).decode()
