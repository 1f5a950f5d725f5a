"""Which network addresses an outgoing request (a webhook) may go to.

Webhook URLs are typed in by people, and the delivery log shows what the far end answered: if
any URL were allowed, "Send test event" would be a scanner for the network Devotion runs in
(its database, the cloud's metadata service with its credentials, admin panels on localhost).
So only public addresses are allowed. The check runs twice: when a URL is saved (a clear
message to the person typing it) and before every send, on the addresses the name resolves to
*then* (DNS may change), and the request connects to an address that was checked.

No Django here: plain functions over :mod:`ipaddress`, so the rules are easy to read and test.

>>> blocked_reason(parse_ip("169.254.169.254"))
'cloud metadata service'
>>> blocked_reason(parse_ip("2130706433"))  # 127.0.0.1 written as one decimal number
'loopback'
>>> blocked_reason(parse_ip("93.184.215.14")) is None
True
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Link-local, but worth naming: they hand out cloud credentials to whoever asks.
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, DigitalOcean, OpenStack...
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
}
# Names that never mean a public host, whatever a resolver says.
_INTERNAL_NAMES = {"localhost", "metadata", "metadata.google.internal", "instance-data"}
_INTERNAL_SUFFIXES = (".localhost", ".internal", ".local", ".home.arpa")
# RFC 1918, carrier-grade NAT (someone's private network) and IPv6 unique-local addresses.
_PRIVATE = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
]
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # 0.0.0.0 reaches this machine on Linux
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressNotAllowed(ValueError):
    """The host is, or resolves to, an address webhooks may not reach."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        self.host, self.address, self.reason = host, address, reason
        shown = address if address == host else f"{host} = {address}"
        super().__init__(f"address not allowed: {reason} ({shown})")


class LookupFailed(OSError):
    """The host name did not resolve to any address."""


def parse_ip(host: str) -> IPAddress | None:
    """The address ``host`` means if it is a literal IP in any form a resolver accepts.

    Besides dotted quads and IPv6 this reads the old forms ``inet_aton`` still accepts:
    one decimal number, octal and hex parts, and fewer than four parts. Returns None for
    a host name.

    >>> [str(parse_ip(h)) for h in ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "[::1]"]]
    ['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1', '::1']
    >>> parse_ip("example.com") is None, parse_ip("1e100.net") is None
    (True, True)
    """
    host = host.strip().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        try:
            if part.lower().startswith("0x"):
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            elif part.isdigit():
                numbers.append(int(part))
            else:
                return None
        except ValueError:
            return None
    # All parts but the last are one byte; the last fills the remaining bytes.
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (4 - len(head)) + last
    return ipaddress.IPv4Address(value)


def blocked_reason(ip: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why a request may not go to ``ip`` (a few words), or None when it is public.

    IPv6 forms that carry an IPv4 address inside (``::ffff:10.0.0.1``, 6to4, NAT64) are
    judged by that address. ``allow_loopback`` lets development setups reach 127.0.0.1 and ::1,
    and nothing else.

    >>> [blocked_reason(parse_ip(h)) for h in ["10.1.2.3", "[fd00::1]", "0.0.0.0", "fe80::1"]]
    ['private network', 'private network', 'unspecified address', 'link-local']
    >>> blocked_reason(parse_ip("::ffff:127.0.0.1")), blocked_reason(parse_ip("::1"))
    ('loopback', 'loopback')
    >>> blocked_reason(parse_ip("127.0.0.1"), allow_loopback=True) is None
    True
    >>> blocked_reason(parse_ip("10.0.0.1"), allow_loopback=True)
    'private network'
    >>> blocked_reason(parse_ip("2606:4700::1111")) is None
    True
    """
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return blocked_reason(inner, allow_loopback=allow_loopback)
    if ip in _METADATA:
        return "cloud metadata service"
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    if ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in _THIS_NETWORK):
        return "unspecified address"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if any(ip in network for network in _PRIVATE if network.version == ip.version):
        return "private network"
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _GLOBAL_UNICAST_V6:
        return "reserved address"
    if not ip.is_global:
        return "reserved address"
    return None


def blocked_name(host: str) -> str | None:
    """Why a host *name* is refused without asking DNS (localhost, metadata, ``.internal``).

    >>> blocked_name("metadata.google.internal"), blocked_name("LOCALHOST.")
    ('internal host name', 'loopback')
    >>> blocked_name("hooks.example.com") is None
    True
    """
    name = host.strip().rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return "loopback"
    if name in _INTERNAL_NAMES or name.endswith(_INTERNAL_SUFFIXES):
        return "internal host name"
    return None


Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to now (IPv4 and IPv6), in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise LookupFailed(f"no address found for {host} ({exc.strerror})") from exc
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise LookupFailed(f"no address found for {host}")
    return addresses


def checked_addresses(
    host: str,
    port: int,
    *,
    allow_loopback: bool = False,
    resolver: Resolver | None = None,
) -> list[IPAddress]:
    """Resolve ``host`` and return its addresses, if every one of them is allowed.

    Raises :class:`AddressNotAllowed` when the name or any address it resolves to is not
    public (one bad address is enough: a resolver could hand out either), and
    :class:`LookupFailed` when the name does not resolve.

    >>> checked_addresses("10.0.0.7", 443)
    Traceback (most recent call last):
    ...
    devotion.lib.netguard.AddressNotAllowed: address not allowed: private network (10.0.0.7)
    >>> fake_dns = lambda host, port: ["93.184.215.14", "192.168.1.9"]
    >>> checked_addresses("hooks.example.com", 443, resolver=fake_dns)
    Traceback (most recent call last):
    ...
    devotion.lib.netguard.AddressNotAllowed: address not allowed: private network (hooks.example.com = 192.168.1.9)
    """  # noqa: E501
    literal = parse_ip(host)
    if literal is not None:
        found = [literal]
    else:
        reason = blocked_name(host)
        if reason == "loopback" and allow_loopback:
            reason = None
        if reason is not None:
            raise AddressNotAllowed(host, host, reason)
        answers = (resolver or resolve)(host, port)
        found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in answers]
    for ip in found:
        reason = blocked_reason(ip, allow_loopback=allow_loopback)
        if reason is not None:
            raise AddressNotAllowed(host, str(ip), reason)
    return found
