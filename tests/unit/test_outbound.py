"""The outbound guard: where a URL that a tenant or partner gave may lead, checked when it is set and at every
connection (docs/adr/0010-outbound-guard.md). Servers here are on loopback; names resolve through a table."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import pytest

from govplatform.core.outbound import OutboundGuard, OutboundRefused, OutboundUnreachable, is_public
from govplatform.core.settings import SettingsError, load_settings
from tests.integration.notify.receiver import callback_receiver
from tests.outbound_support import PUBLIC, Names

NOT_PUBLIC = "Enter the URL of a server on the public internet"
NO_PUBLIC_ADDRESS = "no public internet address was found for the host"

INSIDE = [
    "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0",  # noqa: S104 (an address to refuse, never bound)
    "100.100.100.200", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.0.8",
    "192.0.2.1", "198.18.0.1", "198.51.100.7", "203.0.113.9",
    "::1", "::", "fe80::1", "fe80::1%1", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "2002:7f00:1::1", "2002:a9fe:a9fe::1", "2001::1", "100::1",
]  # fmt: skip
OUTSIDE = ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


def guard(names: Names | None = None, allowed: str = "", production: bool = False, **options: Any) -> OutboundGuard:
    return OutboundGuard(require_https=production, allowed_hosts=allowed, resolver=names or Names(), **options)


@pytest.mark.parametrize("address", INSIDE)
def test_loopback_private_link_local_multicast_reserved_and_embedded_inside_addresses_are_not_public(
    address: str,
) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", OUTSIDE)
def test_addresses_on_the_public_internet_are_public(address: str) -> None:
    assert is_public(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://10.1.2.3/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00::1]/",
        "http://0.0.0.0:5432/",
        "http://100.64.0.1/",
    ],
)
async def test_a_url_with_an_inside_address_is_refused_when_it_is_set(url: str) -> None:
    names = Names(default=[PUBLIC])
    with pytest.raises(OutboundRefused) as refused:
        await guard(names).check(url)
    assert refused.value.template == NOT_PUBLIC and refused.value.reason == NO_PUBLIC_ADDRESS
    assert names.asked == [], "an address written in the URL is judged as it is, never looked up"


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://017700000001/"])
async def test_loopback_written_in_the_forms_the_system_resolver_accepts_is_refused(url: str) -> None:
    with pytest.raises(OutboundRefused, match=NOT_PUBLIC):
        await OutboundGuard(require_https=False).check(url)


async def test_a_name_is_refused_if_any_address_it_resolves_to_is_inside() -> None:
    names = Names({"mixed.test": [PUBLIC, "10.0.0.1"], "loopback.test": ["127.0.0.1"], "public.test": [PUBLIC]})
    for url in ("https://mixed.test/hooks", "https://loopback.test/hooks"):
        with pytest.raises(OutboundRefused, match=NOT_PUBLIC):
            await guard(names).check(url)
    assert await guard(names).check("  https://public.test/hooks?a=1  ") == "https://public.test/hooks?a=1"


async def test_a_name_that_does_not_resolve_gets_the_same_plain_reason_as_an_inside_one() -> None:
    with pytest.raises(OutboundRefused) as refused:
        await guard(Names()).check("https://nowhere.test/hooks")
    assert refused.value.template == NOT_PUBLIC and refused.value.reason == NO_PUBLIC_ADDRESS


@pytest.mark.parametrize(
    "url",
    ["ftp://public.test/", "file:///etc/passwd", "gopher://public.test/", "not a url", "https:///hooks", "https://",
     "https://user:secret@public.test/", "https://public.test:99999/", "//public.test/hooks", ""],
)  # fmt: skip
async def test_anything_but_an_http_or_https_url_with_a_host_and_no_credentials_is_refused(url: str) -> None:
    with pytest.raises(OutboundRefused) as refused:
        await guard(Names(default=[PUBLIC])).check(url)
    assert refused.value.template == "Enter a URL that starts with https://"


async def test_production_needs_https_even_for_a_host_the_operator_allows() -> None:
    production = guard(Names(default=[PUBLIC]), allowed="127.0.0.1", production=True)
    for url in ("http://public.test/hooks", "http://127.0.0.1:8000/hooks"):
        with pytest.raises(OutboundRefused) as refused:
            await production.check(url)
        assert refused.value.template == "Enter a URL that starts with https://"
        assert refused.value.reason == "the URL must start with https://"
    assert await production.check("https://public.test/hooks") == "https://public.test/hooks"
    assert await guard(Names(default=[PUBLIC])).check("http://public.test/hooks") == "http://public.test/hooks"


def test_allowed_hosts_are_names_with_or_without_a_port_matched_as_written_in_the_url() -> None:
    allowing = guard(allowed=" Localhost , 127.0.0.1:8080,[::1], [::1]:9000 ,receiver.test")
    assert allowing.allows("localhost", 1) and allowing.allows("LOCALHOST", 443)
    assert allowing.allows("127.0.0.1", 8080) and not allowing.allows("127.0.0.1", 8081)
    assert allowing.allows("::1", 5) and allowing.allows("0:0::1", 9000)
    assert allowing.allows("receiver.test", 443) and not allowing.allows("other.test", 443)
    assert not guard().allows("localhost", 80)


@pytest.mark.parametrize("value", ["127.0.0.1:port", "[::1", "host/path", "https://host", "a b", "[::1]:0"])
def test_a_malformed_allowed_host_stops_the_platform_at_start_up_naming_the_setting(value: str) -> None:
    with pytest.raises(SettingsError, match="GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS"):
        load_settings(environment="test", outbound_allowed_hosts=value)


async def test_an_allowed_host_reaches_loopback_and_another_port_of_it_does_not() -> None:
    with callback_receiver() as receiver:
        port = int(receiver.url.split(":")[2].split("/")[0])
        allowing = guard(allowed=f"127.0.0.1:{port}")
        assert await allowing.check(receiver.url) == receiver.url
        answer = await allowing.post(receiver.url, content=b'{"a": 1}', headers={"Content-Type": "application/json"})
        assert answer.status_code == 200 and receiver.received[0].body == {"a": 1}
        with pytest.raises(OutboundRefused, match=NOT_PUBLIC):
            await allowing.post(f"http://127.0.0.1:{port + 1}/callbacks", content=b"{}")
        with pytest.raises(OutboundRefused, match=NOT_PUBLIC):
            await guard().post(receiver.url, content=b"{}")
    assert len(receiver.received) == 1


async def test_a_stored_url_pointed_inside_is_refused_at_connection_and_its_server_never_called() -> None:
    with callback_receiver() as receiver:
        with pytest.raises(OutboundRefused) as refused:
            await guard().post(receiver.url, content=b"{}")
        assert refused.value.reason == NO_PUBLIC_ADDRESS
    assert receiver.received == []


async def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_at_connection() -> None:
    with callback_receiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        url = f"http://rebind.test:{port}/callbacks"
        names = Names({"rebind.test": [[PUBLIC], ["127.0.0.1"]]})
        rebinding = guard(names)
        assert await rebinding.check(url) == url, "public when the service set it"
        with pytest.raises(OutboundRefused, match=NOT_PUBLIC):
            await rebinding.post(url, content=b"{}")
    assert receiver.received == [] and names.asked == ["rebind.test", "rebind.test"]


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Stands in for the network: records where each connection goes and the TLS name, and answers 204."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []
        self.tls_names: list[str | None] = []
        self.written = b""

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, **_: Any) -> Any:
        self.connected.append((host, port))
        return RecordingStream(self)

    async def sleep(self, seconds: float) -> None:
        return None


class RecordingStream(httpcore.AsyncNetworkStream):
    def __init__(self, backend: RecordingBackend) -> None:
        self.backend = backend
        self.answer = [b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"]

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.answer.pop(0) if self.answer else b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.backend.written += buffer

    async def aclose(self) -> None:
        return None

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        self.backend.tls_names.append(server_hostname)
        return self


async def test_the_connection_goes_to_the_address_checked_and_the_name_stays_in_the_host_header_and_tls() -> None:
    network = RecordingBackend()
    names = Names({"hooks.test": [[PUBLIC], ["127.0.0.1"]]})
    pinned = guard(names, production=True, network_backend=network)
    answer = await pinned.post("https://hooks.test/receive?x=1", content=b"{}", headers={"X-Test": "yes"})
    assert answer.status_code == 204
    assert network.connected == [(PUBLIC, 443)], "connected to the address the guard resolved and checked"
    assert names.asked == ["hooks.test"], "resolved once: no second lookup that a rebinding name could change"
    assert network.tls_names == ["hooks.test"], "SNI and the certificate check use the name"
    assert network.written.startswith(b"POST /receive?x=1 HTTP/1.1\r\n") and b"Host: hooks.test\r\n" in network.written


class Redirecting(BaseHTTPRequestHandler):
    target = ""
    calls: list[str] = []  # noqa: RUF012 - one list for the test's server

    def do_POST(self) -> None:
        self.calls.append(self.path)
        self.send_response(307)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


async def test_a_redirect_is_answered_back_and_never_followed() -> None:
    with callback_receiver() as inside, serving(Redirecting) as port:
        Redirecting.target = inside.url
        allowing = guard(allowed=f"127.0.0.1:{port}")
        answer = await allowing.post(f"http://127.0.0.1:{port}/hooks", content=b"{}")
    assert answer.status_code == 307 and Redirecting.calls == ["/hooks"] and inside.received == []


async def test_a_port_where_nothing_listens_gives_one_plain_reason_without_the_error_class() -> None:
    with pytest.raises(OutboundUnreachable) as failed:
        await guard(allowed="127.0.0.1").post("http://127.0.0.1:9/hooks", content=b"{}", seconds=2.0)
    assert failed.value.reason == "could not connect, or no answer within 2 seconds"
    assert "Error" not in str(failed.value) and "refused" not in str(failed.value).lower()


async def test_a_server_that_takes_the_connection_but_never_answers_is_given_up_at_the_time_limit() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(OutboundUnreachable) as failed:
            await guard(allowed="127.0.0.1").post(f"http://127.0.0.1:{port}/", content=b"{}", seconds=0.5)
    assert time.monotonic() - started < 3
    assert failed.value.reason == "could not connect, or no answer within 0.5 seconds"
