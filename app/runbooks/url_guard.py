"""Where a runbook webhook may go: the URL's form, and the address the socket really connects to.

A hook URL is a template filled from alert data, so after expansion it may point at the
cloud metadata service (169.254.169.254), the workstation itself or the office LAN
(RELIABILITY.md 26). The guard refuses those unless the site listed the network in
`[actions] allow_networks`.

Checking a hostname and then letting the HTTP library resolve it again is a race: a
name with a zero TTL can answer a public address to the check and 127.0.0.1 to the
connection a millisecond later (DNS rebinding). So the check is made where the socket is
made: `GuardedAdapter` gives requests a urllib3 connection whose `_new_conn` resolves the
host once, refuses if *any* answer is forbidden, and connects only to those vetted
addresses. Only socket creation is replaced; the Host header, TLS SNI and certificate
verification still use the hostname, exactly as without the guard. Pinning was chosen
over checking the peer after connecting because a refused connection never opens at all
(no SYN to an internal host, nothing for a port scan through us to observe).

Proxies are not used for hooks (the session ignores HTTP(S)_PROXY): through a proxy the
connected address would be the proxy's and the guard could not see the real target.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any, TypeAlias
from urllib.parse import SplitResult, urlsplit

from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

Address: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = frozenset({"http", "https"})
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(Exception):
    """The guard refused a URL or the address its host resolved to; `reason` says why.

    Deliberately not an OSError: urllib3 would wrap an OSError from `_new_conn` into a
    retryable connection error, while a refusal must reach the caller as itself.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_target(url: str, allow_networks: Iterable[Network] = ()) -> str | None:
    """Why a hook to `url` is refused, or None: its form, then every address its host has.

    For the confirmation dialog and the runner, to refuse before the operator confirms.
    It is not what protects the call: the HTTP backend checks the form (`check_url`) and
    then the addresses at the moment it connects (see the module docstring).
    """
    reason = check_url(url)
    if reason is not None:
        return reason
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        resolve(host, _port(parts), tuple(allow_networks))
    except TargetRefused as refused:
        return refused.reason
    except (socket.gaierror, UnicodeError) as error:
        return f"cannot resolve {host} to check where it points ({error})"
    return None


def check_url(url: str) -> str | None:
    """Why the URL's form is refused (scheme, credentials, host, port), or None.

    Nothing is resolved here. Odd characters are refused outright: Python's and urllib3's
    URL parsers disagree on backslashes and whitespace, and a guard must see the same host
    the connection will.
    """
    if any(c <= " " or c in "\\\x7f" for c in url):
        return "the URL holds whitespace, control characters or a backslash"
    try:
        parts = urlsplit(url)
        _port(parts)
    except ValueError as error:
        return f"not a valid URL: {error}"
    if parts.scheme not in SCHEMES:
        return f"scheme {parts.scheme or '(none)'!r} is not allowed; only http and https"
    if "@" in parts.netloc:
        return "credentials in the URL (user:password@) are not allowed; use a secret"
    host = parts.hostname
    if not host:
        return "the URL has no host"
    if "%" in host and ":" not in host:
        return f"percent-encoded host {host!r} is not allowed"
    return None


def _port(parts: SplitResult) -> int:
    """The URL's port or its scheme's default (raises ValueError for a bad one)."""
    return parts.port or (443 if parts.scheme == "https" else 80)


def resolve(
    host: str, port: int, allow_networks: tuple[Network, ...]
) -> list[tuple[socket.AddressFamily, Any]]:
    """Every (family, sockaddr) `host` resolves to, all of them allowed.

    Numeric tricks (`2130706433`, `0x7f.1`, `127.1`) need no special case: the resolver
    reads them as the address the connection would use, and that address is checked.

    Raises:
        TargetRefused: any resolved address is forbidden (one bad answer taints the name).
        socket.gaierror: the name does not resolve.
    """
    answers = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    found: list[tuple[socket.AddressFamily, Any]] = []
    for family, _type, _proto, _name, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        reason = check_address(address, allow_networks)
        if reason is not None:
            shown = host if host == str(address) else f"{host} resolves to {address}, which"
            raise TargetRefused(f"{shown} is {reason}; add its network to allow_networks if meant")
        found.append((family, sockaddr))
    return found


def check_address(address: Address, allow_networks: Iterable[Network] = ()) -> str | None:
    """What kind of forbidden address this is ("loopback", ...), or None when it may be reached.

    An IPv6 address carrying an IPv4 one (mapped `::ffff:a.b.c.d`, 6to4, Teredo, NAT64)
    is judged by both, since the stack or a gateway may deliver it to the IPv4 host.
    """
    candidates = [*_embedded_ipv4(address), address]  # the IPv4 one names it best
    allowed = tuple(allow_networks)
    if any(candidate in network for candidate in candidates for network in allowed):
        return None
    for candidate in candidates:
        kind = _forbidden_kind(candidate)
        if kind is not None:
            return kind if candidate == address else f"{kind} ({candidate} inside {address})"
    return None


def _embedded_ipv4(address: Address) -> list[ipaddress.IPv4Address]:
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [address.ipv4_mapped, address.sixtofour]
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [v4 for v4 in found if v4 is not None]


def _forbidden_kind(address: Address) -> str | None:
    """Most specific kind first, so the message names what the operator will recognise."""
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address in _CGNAT:
        return "in the carrier-grade NAT range 100.64.0.0/10"
    if address.is_private and not address.is_reserved:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a public address"
    return None


def _connect(
    addresses: list[tuple[socket.AddressFamily, Any]], connection: HTTPConnection
) -> socket.socket:
    """A socket connected to the first vetted address that answers (what urllib3 would do)."""
    error: OSError | None = None
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            for option in connection.socket_options or ():
                sock.setsockopt(*option)
            if isinstance(connection.timeout, int | float) or connection.timeout is None:
                sock.settimeout(connection.timeout)
            if connection.source_address:
                sock.bind(connection.source_address)
            sock.connect(sockaddr)
        except OSError as failed:
            sock.close()
            error = failed
        else:
            return sock
    raise error or OSError(f"no address to connect to for {connection.host}")


class _GuardedConnection(HTTPConnection):
    """urllib3's connection with resolution, the address check and connect in one place."""

    allow_networks: tuple[Network, ...] = ()

    def _new_conn(self) -> socket.socket:
        try:
            addresses = resolve(self._dns_host, self.port, self.allow_networks)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        try:
            return _connect(addresses, self)
        except TimeoutError as error:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from error
        except OSError as error:
            raise NewConnectionError(
                self, f"Failed to establish a new connection: {error}"
            ) from error


class _GuardedHttpsConnection(_GuardedConnection, HTTPSConnection):
    """TLS over the guarded socket: SNI and certificate checks still use the hostname."""


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections only reach addresses the guard allows.

    Mount it for both schemes on a session with `trust_env = False` (see the module
    docstring for why proxies are off).
    """

    def __init__(self, allow_networks: Iterable[Network] = ()) -> None:
        networks = tuple(allow_networks)
        attributes = {"allow_networks": networks}
        plain = type("GuardedConnection", (_GuardedConnection,), attributes)
        tls = type("GuardedHttpsConnection", (_GuardedHttpsConnection,), attributes)
        self._pools = {
            "http": type("GuardedPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
            "https": type("GuardedHttpsPool", (HTTPSConnectionPool,), {"ConnectionCls": tls}),
        }
        super().__init__(max_retries=0, pool_connections=1, pool_maxsize=1)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools
