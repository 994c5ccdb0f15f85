"""The outbound guard: every call to a URL that a tenant or a partner supplied goes through here.

Why: a service team says where its webhooks and callbacks go (later: a relying
party's JWKS URL, a provider's upstream system, a form's webhook). Unchecked,
that URL is a way into the platform's own network (server-side request
forgery, CWE-918; OWASP ASVS 4.0 5.2.6 and 12.6.1): loopback admin ports, the
cloud's metadata service at 169.254.169.254, databases on private addresses;
and a delivery log that says "HTTP 403" for one port and "could not connect"
for another maps them. What the operator configures (the SMTP host, Stripe's
base URL, Firetext's gateway) does not come through here: the operator chose it.
`tests/unit/test_outbound_calls_use_the_guard.py` keeps every other HTTP client
in the code on that list.

The rules, in the order they are applied (docs/adr/0010-outbound-guard.md):
1. The URL is http or https with a host, a port up to 65535 and no user name or
   password; in production (GOVPLATFORM_ENVIRONMENT=production) only https,
   for every host, since the bodies carry payment and personal details.
2. A host the operator lists in GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS (`host` or
   `host:port`) is let through on purpose (a receiver on loopback for the demo
   and the tests). It is matched on the host as written in the URL, never on
   what a name resolves to: a tenant's own name could resolve to an allowed
   address.
3. Any other host is resolved once, by the guard's resolver (replaceable, so
   tests play a rebinding name offline), and every address must be on the
   public internet (`is_public`); one inside address refuses the name, since a
   name answering with a public and a private address would let the client
   pick. An IP literal is not resolved.
4. The connection goes to an address from that same answer. There is no second
   lookup for a rebinding name (public when checked, 127.0.0.1 a second later)
   to change. The Host header, TLS SNI and the certificate check keep the name.
5. No redirect is followed: a 3xx is the answer.

How the connection is pinned with httpx 0.28 and httpcore 1.0 (constraints.txt):
httpcore's connection pool takes a network backend (`network_backend=`, its
documented extension point: encode.io/httpcore/network-backends), whose
`connect_tcp(host, port)` opens every TCP connection the pool makes. The
guard's backend resolves and checks the host there and hands httpcore's AnyIO
backend an IP address; httpcore then starts TLS with `server_hostname` set to
the URL's host, so SNI and certificate verification use the name. Because the
check sits where sockets are opened, nothing (a kept-alive connection, a
retry) connects unchecked. The guard uses httpcore's pool directly, because
httpx's AsyncHTTPTransport takes no network backend in 0.28 (only its private
`_pool` could be swapped), and httpcore never follows redirects. Rewriting the
URL to the checked IP with httpx's `sni_hostname` extension was the other way;
it needs every caller to do it, and IPv6 literals and the Host header by hand.
Each request gets a fresh pool with no kept-alive connections (a callback is
one request), so no socket outlives the event loop that opened it.

What people see: when a URL is set, one message for every refused address and
for a name that does not resolve ("Enter the URL of a server on the public
internet"), so the form is no probe of internal DNS either. At delivery, one
reason for the same ("no public internet address was found for the host"), and
one for every failure to get an answer from a host that was allowed (refused
connection, TLS failure, timeout, broken reply): "could not connect, or no
answer within N seconds". A status code is shown when a server answered (the
service needs it to fix its end); exception names, addresses and port states
never are.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import httpcore
import httpx

if TYPE_CHECKING:
    from govplatform.core.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves a host name for a port to IP addresses (text); raises OSError when it cannot."""


def N_(message: str) -> str:
    """Marks a message for the catalogue, as core.interfaces' N_ does (this module sits below interfaces)."""
    return message


ENTER_HTTPS_URL = N_("Enter a URL that starts with https://")
ENTER_PUBLIC_URL = N_("Enter the URL of a server on the public internet")
# What delivery logs say: plain words, no address, no port state, no exception name.
NOT_A_URL = "the URL is not an http or https URL with a host"
NEEDS_HTTPS = "the URL must start with https://"
NO_PUBLIC_ADDRESS = "no public internet address was found for the host"

RESOLVE_SECONDS = 5.0  # when a URL is set
MAX_ANSWER_BYTES = 64 * 1024  # of an answer's body kept; the rest is not read

# Special-purpose blocks (IANA's IPv4 and IPv6 Special-Purpose Address Registries, RFC 6890 and updates),
# refused whatever this Python's ipaddress properties say: their lists changed between 3.11 patch releases.
_REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(block)
    for block in (
        "0.0.0.0/8",  # "this network": 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",  # RFC 1918
        "100.64.0.0/10",  # RFC 6598 shared space (carrier-grade NAT; 100.100.100.200 is a cloud metadata service)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, the metadata service at 169.254.169.254 among it
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast (RFC 7526)
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, with 255.255.255.255
        "::/96",  # unspecified, loopback (::1) and the deprecated IPv4-compatible form
        "::ffff:0:0:0/96",  # IPv4-translated (RFC 2765)
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, Teredo among them
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 address reached
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.?)+$")


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches: IPv4-mapped, NAT64 (well-known prefix) or 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def is_public(address: str | Address) -> bool:
    """Whether an address is on the public internet: not loopback, private, link-local, multicast, reserved or
    unspecified, in IPv4 or IPv6, nor an IPv6 form of such an IPv4 address. Text that is no address is not."""
    found = _address(address) if isinstance(address, str) else address
    if found is None:
        return False
    if isinstance(found, ipaddress.IPv6Address):
        if found.scope_id:  # a zone index means a link of this machine's own
            return False
        embedded = _embedded_ipv4(found)
        if embedded is not None:
            return is_public(embedded)
    if any(found in network for network in _REFUSED_NETWORKS if network.version == found.version):
        return False
    return found.is_global and not (
        found.is_private
        or found.is_loopback
        or found.is_link_local
        or found.is_multicast
        or found.is_reserved
        or found.is_unspecified
    )


def _normal_host(host: str) -> str:
    address = _address(host)
    return str(address) if address is not None else host.lower().rstrip(".")


def _allowed_entry(entry: str) -> tuple[str, int | None]:
    port_text: str | None = None
    if entry.startswith("["):
        host, bracket, rest = entry[1:].partition("]")
        if not bracket or _address(host) is None or (rest and not rest.startswith(":")):
            raise ValueError(f"{entry!r} is not a host or host:port")
        port_text = rest[1:] if rest else None
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
    else:
        host = entry  # a name, an IPv4 address or a bare IPv6 one
    if _address(host) is None and not _HOST_NAME.match(host.lower()):
        raise ValueError(f"{entry!r} is not a host or host:port")
    if port_text is None:
        return _normal_host(host), None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{entry!r} has no port between 1 and 65535")
    return _normal_host(host), int(port_text)


def parse_allowed_hosts(value: str | Iterable[str]) -> frozenset[tuple[str, int | None]]:
    """GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS: comma-separated `host`, `host:port`, `[ipv6]` or `[ipv6]:port`."""
    entries = value.split(",") if isinstance(value, str) else value
    return frozenset(_allowed_entry(entry.strip()) for entry in entries if entry.strip())


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's resolver (getaddrinfo, in a thread), as a connection would use it."""
    answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]) for *_, sockaddr in answers]


class OutboundRefused(Exception):
    """The guard will not call this URL.

    `template` is for the person setting the URL (pages translate it; core's
    `localise` reads it), `reason` for delivery logs; `kind` says which rule
    ("url", "https" or "address"), for a page that words its own message.
    """

    def __init__(self, kind: Literal["url", "https", "address"], template: str, reason: str) -> None:
        super().__init__(template)
        self.kind = kind
        self.template = template
        self.reason = reason
        self.params: dict[str, object] = {}


class OutboundUnreachable(Exception):
    """An allowed destination gave no usable answer; `reason` says so in one plain sentence."""

    def __init__(self, seconds: float) -> None:
        self.reason = f"could not connect, or no answer within {seconds:g} seconds"
        super().__init__(self.reason)


@dataclasses.dataclass(frozen=True)
class OutboundAnswer:
    status_code: int
    headers: tuple[tuple[str, str], ...]
    body: bytes  # at most MAX_ANSWER_BYTES


class OutboundGuard:
    """Checks tenants' and partners' URLs when they are set, and makes the calls to them (see the module docstring)."""

    def __init__(
        self,
        *,
        require_https: bool,
        allowed_hosts: str | Iterable[str] = "",
        resolver: Resolver | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.require_https = require_https
        self._allowed = parse_allowed_hosts(allowed_hosts)
        self._resolver: Resolver = resolver or system_resolver
        self._backend = _PinnedBackend(self, network_backend or httpcore.AnyIOBackend())
        self._ssl_context: ssl.SSLContext | None = None

    @classmethod
    def from_settings(cls, settings: Settings, resolver: Resolver | None = None) -> OutboundGuard:
        return cls(
            require_https=settings.environment == "production",
            allowed_hosts=settings.outbound_allowed_hosts,
            resolver=resolver,
        )

    def allows(self, host: str, port: int) -> bool:
        """Whether the operator allows this host (as written in a URL) on this port whatever it resolves to."""
        host = _normal_host(host)
        return (host, None) in self._allowed or (host, port) in self._allowed

    async def check(self, url: str) -> str:
        """The URL as given (stripped) if it may be called now; OutboundRefused if not. Run it when a URL is set."""
        parsed = self._parsed(url)
        host, port = _host_and_port(parsed)
        if not self.allows(host, port):
            try:
                async with asyncio.timeout(RESOLVE_SECONDS):
                    await self._addresses(host, port)
            except TimeoutError:
                raise OutboundRefused("address", ENTER_PUBLIC_URL, NO_PUBLIC_ADDRESS) from None
        return url.strip()

    async def post(
        self, url: str, *, content: bytes, headers: dict[str, str] | None = None, seconds: float = 5.0
    ) -> OutboundAnswer:
        return await self.request("POST", url, content=content, headers=headers, seconds=seconds)

    async def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        seconds: float = 5.0,
    ) -> OutboundAnswer:
        """Call the URL once, over a connection to an address checked in that same step; no redirects followed.

        Raises OutboundRefused (the URL or where it leads is not allowed; nothing was sent) or
        OutboundUnreachable (no usable answer within `seconds`, resolving and connecting included).
        """
        parsed = self._parsed(url)
        target = httpcore.URL(scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path)
        sent = [(b"Host", parsed.netloc)] + [(name.encode(), value.encode()) for name, value in (headers or {}).items()]
        limits = {"connect": seconds, "read": seconds, "write": seconds, "pool": seconds}
        try:
            async with (
                asyncio.timeout(seconds),
                self._pool() as pool,
                pool.stream(method, target, headers=sent, content=content, extensions={"timeout": limits}) as response,
            ):
                body = await _first_bytes(response)
        except (TimeoutError, OSError, httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError):
            raise OutboundUnreachable(seconds) from None
        answer_headers = tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in response.headers)
        return OutboundAnswer(response.status, answer_headers, body)

    def _pool(self) -> httpcore.AsyncConnectionPool:
        if self._ssl_context is None:
            self._ssl_context = httpcore.default_ssl_context()  # certifi's roots, hostname checked
        return httpcore.AsyncConnectionPool(
            ssl_context=self._ssl_context,
            max_connections=1,
            max_keepalive_connections=0,
            retries=0,
            network_backend=self._backend,
        )

    def _parsed(self, url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url.strip())
        except (httpx.InvalidURL, ValueError, TypeError):
            raise OutboundRefused("url", ENTER_HTTPS_URL, NOT_A_URL) from None
        port = parsed.port
        if (
            parsed.scheme not in ("http", "https")
            or not parsed.raw_host
            or parsed.userinfo
            or (port is not None and not 0 < port < 65536)
        ):
            raise OutboundRefused("url", ENTER_HTTPS_URL, NOT_A_URL)
        if self.require_https and parsed.scheme != "https":
            raise OutboundRefused("https", ENTER_HTTPS_URL, NEEDS_HTTPS)
        return parsed

    async def _addresses(self, host: str, port: int, checked: bool = True) -> list[str]:
        """The host's addresses, from one answer of the resolver; with `checked`, refused unless every one is public."""
        literal = _address(host)
        if literal is not None:
            answers = [str(literal)]
        else:
            try:
                answers = [str(address) for address in await self._resolver(host, port)]
            except (OSError, UnicodeError, ValueError):
                raise OutboundRefused("address", ENTER_PUBLIC_URL, NO_PUBLIC_ADDRESS) from None
        if not answers or (checked and not all(is_public(answer) for answer in answers)):
            raise OutboundRefused("address", ENTER_PUBLIC_URL, NO_PUBLIC_ADDRESS)
        return answers


def _host_and_port(parsed: httpx.URL) -> tuple[str, int]:
    return parsed.raw_host.decode("ascii"), parsed.port or (443 if parsed.scheme == "https" else 80)


async def _first_bytes(response: httpcore.Response) -> bytes:
    body = b""
    async for chunk in response.aiter_stream():
        body += chunk[: MAX_ANSWER_BYTES - len(body)]
        if len(body) >= MAX_ANSWER_BYTES:
            break
    return body


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens every connection the guard's pools make, to an address resolved and checked in the same call."""

    def __init__(self, guard: OutboundGuard, inner: httpcore.AsyncNetworkBackend) -> None:
        self._guard = guard
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard._addresses(host, port, checked=not self._guard.allows(host, port))
        failure: Exception | None = None
        for address in addresses:  # in the resolver's order (RFC 6724's, from the system's)
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise OutboundRefused("address", ENTER_PUBLIC_URL, NO_PUBLIC_ADDRESS)  # the guard's pools have no socket path

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
