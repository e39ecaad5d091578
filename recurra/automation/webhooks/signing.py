"""Standard Webhooks signatures (pure): ``v1,`` base64 HMAC-SHA256 of ``id.timestamp.body``.

A secret is ``whsec_`` and the base64 of 32 random bytes; the HMAC key is those bytes. During a
rotation both secrets sign and the header carries both signatures, separated by a space; a
receiver holding either one verifies.

>>> secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
>>> sign(secret=secret, msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330,
...      body='{"test": 2432232314}')
'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
>>> signature_header(secrets=[secret, secret], msg_id="m", timestamp=1, body="{}").count("v1,")
2
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as random
from collections.abc import Sequence

PREFIX = "whsec_"
KEY_BYTES = 32


def new_secret() -> str:
    """A fresh ``whsec_…`` secret."""
    return PREFIX + base64.b64encode(random.token_bytes(KEY_BYTES)).decode()


def key_of(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret (ValueError when it is not one)."""
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret.removeprefix(PREFIX), validate=True)


def sign(*, secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """One signature, ``v1,<base64>``."""
    content = f"{msg_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key_of(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(*, secrets: Sequence[str], msg_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header: one signature per secret, space-separated."""
    return " ".join(sign(secret=s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets)


def hint(secret: str) -> str:
    """What a page may show of a secret without revealing it.

    >>> hint("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    'whsec_MfKQ…'
    """
    return secret[: len(PREFIX) + 4] + "…"
