"""The client's address behind nginx: X-Forwarded-For, believed from trusted proxies only.

Rate limits and logs read `request.remote_addr`. Behind deploy/nginx.conf that is
nginx's address unless the forwarded one is taken, and taking it from anyone would let
a client that reaches gunicorn directly pick its own address. So werkzeug's ProxyFix
(one hop: nginx overwrites X-Forwarded-For with the address it sees) applies only to
requests whose peer is in SGV_TRUSTED_PROXIES; every other request is left untouched.
"""

import ipaddress
from collections.abc import Callable, Iterable

from werkzeug.middleware.proxy_fix import ProxyFix

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(setting: str) -> list[Network]:
    """Read SGV_TRUSTED_PROXIES: addresses or networks, comma-separated (empty: none)."""
    networks = []
    for item in filter(None, (part.strip() for part in str(setting).split(","))):
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError as exc:
            raise ValueError(
                f"SGV_TRUSTED_PROXIES: {item!r} is not an IP address or network ({exc})"
            ) from None
    return networks


class TrustedProxyFix:
    """WSGI middleware: ProxyFix for requests from a trusted proxy, nothing for the rest."""

    def __init__(self, app: Callable, networks: list[Network]) -> None:
        self.app = app
        self.networks = networks
        self.fixed = ProxyFix(app, x_for=1, x_proto=1)

    def trusted(self, address: str | None) -> bool:
        """Tell whether a peer address belongs to a trusted proxy."""
        try:
            peer = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(peer in network for network in self.networks)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.trusted(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
