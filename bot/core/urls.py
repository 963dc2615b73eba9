"""Whether a URL someone else handed us may be shown and fetched: https on a public host. No I/O:
host names are taken at their word (a name that resolves to a private address is the operator's
network's business); literal addresses in private, loopback or link-local ranges are refused."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def public_https(url: str | None, *, allow_private: bool = False) -> bool:
    """True for `https://` URLs whose host is a name or a public address. `allow_private` also
    takes `http://` and private addresses (the test fakes on loopback)."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    if allow_private:
        return parts.scheme in ("http", "https") and bool(host)
    if parts.scheme != "https" or not host or host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." in host  # a name
    return address.is_global
