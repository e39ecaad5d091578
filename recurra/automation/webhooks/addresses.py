"""Which URLs may receive webhooks, checked when an endpoint is saved and again at every delivery
(a name may resolve elsewhere by then).

- ``https`` only in live mode (``http`` too in sandbox mode);
- no user name or password in the URL (it would show in every log);
- every address the host resolves to must be public: loopback, private (RFC 1918, ULA), link-local
  (cloud metadata at 169.254.169.254), multicast, reserved and unspecified addresses are refused,
  unless ``RECURRA_WEBHOOKS_ALLOW_PRIVATE=1``; sandbox mode allows loopback (a receiver on the
  developer's own machine).

>>> refusal("ftp://example.com/x", live=False, allow_private=False, resolve=lambda h, p: ["93.184.216.34"])
'the URL must start with https:// or http://'
>>> refusal("http://example.com/x", live=True, allow_private=False, resolve=lambda h, p: ["93.184.216.34"])
'the URL must use https in live mode'
>>> refusal("https://internal.example/x", live=True, allow_private=False, resolve=lambda h, p: ["10.0.0.7"])
'internal.example resolves to 10.0.0.7, a private address: webhooks go to public addresses only'
>>> refusal("http://127.0.0.1:8000/hook", live=False, allow_private=False, resolve=lambda h, p: ["127.0.0.1"])
>>> refusal("https://[::ffff:169.254.169.254]/", live=True, allow_private=False,
...         resolve=lambda h, p: ["::ffff:169.254.169.254"])
'::ffff:169.254.169.254 resolves to ::ffff:169.254.169.254, a link-local address: webhooks go to \
public addresses only'
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

Resolve = Callable[[str, int], Sequence[str]]
MAX_URL = 2000


# Why an address is not public, as a sentence names it (the API, with no language active: English).
KINDS = {
    "loopback": _("loopback"),
    "link-local": _("link-local"),
    "multicast": _("multicast"),
    "unspecified": _("unspecified"),
    "private": _("private"),
    "reserved": _("reserved"),
}


class RefusedUrl(ValueError):
    """A URL that may not receive webhooks; the message says why."""


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (OSError when it does not)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is not public (None: it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _kind(address.ipv4_mapped)
    for name, test in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if test:
            return name
    return None


def allowed_addresses(
    host: str, port: int, *, live: bool, allow_private: bool, resolve: Resolve = resolve
) -> list[str]:
    """The addresses of ``host`` a delivery may connect to; RefusedUrl when any is not allowed."""
    try:
        found = list(resolve(host, port))
    except (OSError, UnicodeError) as exc:
        raise RefusedUrl(
            gettext("%(host)s does not resolve (%(error)s)") % {"host": host, "error": exc}
        ) from exc
    if not found:
        raise RefusedUrl(gettext("%(host)s does not resolve") % {"host": host})
    for text in found:
        kind = _kind(ipaddress.ip_address(text.split("%")[0]))
        if kind is None or allow_private or (kind == "loopback" and not live):
            continue
        raise RefusedUrl(
            gettext(
                "%(host)s resolves to %(address)s, a %(kind)s address: webhooks go to public addresses only"
            )
            % {"host": host, "address": text, "kind": KINDS[kind]}
        )
    return found


def split(url: str, *, live: bool) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an acceptable URL; RefusedUrl otherwise (no resolving)."""
    if len(url) > MAX_URL:
        raise RefusedUrl(gettext("the URL is longer than %(max)s characters") % {"max": MAX_URL})
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise RefusedUrl(gettext("not a valid URL (%(error)s)") % {"error": exc}) from exc
    if parts.scheme not in ("https", "http"):
        raise RefusedUrl(gettext("the URL must start with https:// or http://"))
    if live and parts.scheme != "https":
        raise RefusedUrl(gettext("the URL must use https in live mode"))
    if not parts.hostname:
        raise RefusedUrl(gettext("the URL has no host"))
    if parts.username is not None or parts.password is not None:
        raise RefusedUrl(gettext("the URL may not carry a user name or password"))
    if parts.fragment:
        raise RefusedUrl(gettext("the URL may not have a #fragment"))
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def refusal(url: str, *, live: bool, allow_private: bool, resolve: Resolve = resolve) -> str | None:
    """Why ``url`` may not receive webhooks (None: it may)."""
    try:
        _, host, port = split(url, live=live)
        allowed_addresses(host, port, live=live, allow_private=allow_private, resolve=resolve)
    except RefusedUrl as exc:
        return str(exc)
    return None


def policy() -> tuple[bool, bool]:
    """``(live, allow_private)`` from the settings."""
    return settings.RECURRA_MODE == "live", bool(getattr(settings, "RECURRA_WEBHOOKS_ALLOW_PRIVATE", False))
