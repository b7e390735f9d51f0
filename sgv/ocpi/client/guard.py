"""Which addresses SGV may call (no SSRF), and the resolution a connection is pinned to.

A CPO chooses the URLs SGV calls (its versions URL, the endpoints it publishes, the
redirects and `Link` headers it answers with), so every connection SGV opens to a CPO
is checked here first: the host is resolved once, every address it resolves to must be
public, and the connection goes to one of those very addresses (sgv/ocpi/client/
transport.py), so a DNS answer that changes between check and connect changes nothing.

Loopback, link-local, private, multicast, reserved and other special-purpose addresses
are refused unless the operator allows them with SGV_OUTBOUND_ALLOW_PRIVATE: `1` allows
every one (tests, closed networks), a comma-separated list of networks only those.
"""

import ipaddress
import logging
import socket
import threading
from typing import Any

log = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# SGV_OUTBOUND_ALLOW_PRIVATE as sgv.config.outbound_allowance reads it. False: public
# addresses only; True: any address; networks: public ones and these.
Allowance = bool | tuple[Network, ...]

# Ranges Python's ipaddress (3.11) calls global although they lead inside a network.
SPECIAL = tuple(
    ipaddress.ip_network(net)
    for net in (
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast
        "64:ff9b::/96",  # NAT64: reaches any IPv4 address, private ones too
        "64:ff9b:1::/48",  # local-use NAT64
        "2002::/16",  # 6to4: embeds an IPv4 address
        "2001::/32",  # Teredo: embeds an IPv4 address
        "5f00::/16",  # segment routing
    )
)


class AddressRefused(Exception):
    """A host SGV must not call: it does not resolve, or not to public addresses only."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.reason = reason


def classify(address: Address) -> str | None:
    """Name why an address is not public (loopback, private …), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private or getattr(address, "is_site_local", False)),
        ("special-purpose", any(address in net for net in SPECIAL) or not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def allowed(address: Address, allowance: Allowance) -> bool:
    """Say whether SGV may connect to an address under SGV_OUTBOUND_ALLOW_PRIVATE."""
    if classify(address) is None or allowance is True:
        return True
    if allowance is False:
        return False
    return any(address in network for network in allowance)


def resolve(host: str, port: int, timeout: float) -> list[tuple[Any, ...]]:
    """Return getaddrinfo's (family, type, proto, name, sockaddr) for a host, within `timeout`.

    The system resolver has no timeout of its own, so it runs in a thread that is left
    behind when it is late (it ends with the resolver's own timeouts).
    """
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        family = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 0, "", (host, port))]
    answer: dict[str, Any] = {}

    def run() -> None:
        try:
            answer["found"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            answer["error"] = error

    thread = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(max(timeout, 0))
    if thread.is_alive():
        raise AddressRefused(host, f"no DNS answer within {timeout:g} s")
    if "error" in answer:
        raise AddressRefused(host, f"does not resolve ({answer['error']})")
    found = [entry for entry in answer["found"] if entry[0] in (socket.AF_INET, socket.AF_INET6)]
    if not found:
        raise AddressRefused(host, "resolves to no IP address")
    return found


def checked(host: str, port: int, allowance: Allowance, timeout: float) -> list[tuple[Any, ...]]:
    """Resolve a host and return its addresses, or refuse it when any is not allowed."""
    found = resolve(host, port, timeout)
    for entry in found:
        address = ipaddress.ip_address(entry[4][0])
        if not allowed(address, allowance):
            reason = f"resolves to {address}, a {classify(address)} address"
            log.warning("outbound call refused: %s %s", host, reason)
            raise AddressRefused(host, reason)
    return found
