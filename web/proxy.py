"""The client's real address behind trusted reverse proxies (``TRUSTED_PROXIES``).

A WSGI middleware. When the connecting address (``REMOTE_ADDR``) is one of the
trusted proxies (addresses or CIDR ranges), the client is the first address
from the right of ``X-Forwarded-For`` that is not itself a trusted proxy, and
``X-Forwarded-Proto`` gives the scheme. From any other peer the forwarding
headers are dropped, so a client cannot choose its own address: the sign-in
limits and the SPARQL budget count by ``REMOTE_ADDR``. Unlike Werkzeug's
ProxyFix, which believes whichever peer sends the headers, nothing is trusted
by default. (waitress drops them itself unless told not to; `pockg serve`
leaves that to this middleware.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from pockg.errors import ConfigurationError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_HOPS = 32                   # X-Forwarded-For entries looked at, from the right
FORWARDING = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
              "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_BY", "HTTP_FORWARDED")


def parse_trusted(setting: str | Iterable[str] | None) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` (or a list of such) as networks; empty: trust nobody."""
    if not setting:
        return ()
    items = setting.split(",") if isinstance(setting, str) else list(setting)
    networks = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ConfigurationError(
                f"TRUSTED_PROXIES: {text!r} is not an address or CIDR range "
                "(write for example POCKG_TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8)") from None
    return tuple(networks)


def parse_address(text: str) -> Address | None:
    """An IP address, or None for anything else (a name, a port, garbage)."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(found, "ipv4_mapped", None)
    return mapped or found


class TrustedProxies:
    """Rewrite ``REMOTE_ADDR`` and ``wsgi.url_scheme`` from trusted proxies' headers."""

    def __init__(self, app, trusted: str | Iterable[str] | None):
        self.app = app
        self.trusted = parse_trusted(trusted)

    def is_trusted(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self.trusted)

    def client(self, peer: str, forwarded_for: str) -> str | None:
        """The client's address, or None when the headers are not to be believed."""
        here = parse_address(peer)
        if not self.is_trusted(here):
            return None
        hops = [hop for hop in forwarded_for.split(",") if hop.strip()][-MAX_HOPS:]
        for hop in reversed(hops):
            address = parse_address(hop)
            if address is None:          # malformed: believe nothing further left
                break
            here = address
            if not self.is_trusted(address):
                break
        return str(here)

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        client = self.client(peer, environ.get("HTTP_X_FORWARDED_FOR", "")) if self.trusted else None
        if client is None:
            for header in FORWARDING:
                environ.pop(header, None)
        else:
            environ["pockg.proxy.peer"] = peer
            environ["REMOTE_ADDR"] = client
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)
