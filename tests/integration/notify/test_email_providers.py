"""The SMTP and sandbox email providers, against a real SMTP server (aiosmtpd) on 127.0.0.1.

Each test starts its own aiosmtpd server on an ephemeral port, in aiosmtpd's
own thread and event loop, and sends to it through the provider as the worker
would; nothing is mocked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.message
import email.policy
import ipaddress
import socket
import ssl
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from govplatform.notify.providers.base import EmailMessage, Outcome
from govplatform.notify.providers.email_sandbox import SandboxEmailProvider
from govplatform.notify.providers.email_smtp import SmtpEmailProvider, outcome_for_reply

RECIPIENT = "resident@example.com"
SUBJECT = "Eich cais am drwydded parcio – wedi’i dderbyn ✓"
TEXT = "Dear resident,\n\nWe have received your application. Cyfeirnod: ÂŴŶ-1234.\n"
HTML = "<p>Dear resident,</p><p>We have received your application. Cyfeirnod: ÂŴŶ-1234.</p>"
UNSUBSCRIBE = (
    "https://notify.example.gov.uk/unsubscribe/6f1c1f0e-5c43-4a0e-9a57-1b4f3c0f8a11/0123456789abcdef0123456789abcdef"
)

# aiosmtpd warns (UserWarning, from each new server-side session, in its own thread) whenever a
# server requires AUTH without requiring TLS. The tests that need AUTH over plain text (to see
# how the provider maps a refused login) set that up on purpose, on 127.0.0.1 only.
AUTH_WITHOUT_TLS = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def email_message(**changes: Any) -> EmailMessage:
    notification_id = uuid.UUID("0b6f1c7e-3e4a-4c9d-9b5e-7f1e2d3c4b5a")
    message = EmailMessage(
        notification_id=notification_id,
        to=RECIPIENT,
        from_address="Cyngor Sir Ynys Môn <noreply@notify.example.gov.uk>",
        subject=SUBJECT,
        html_body=HTML,
        text_body=TEXT,
        message_id=f"{notification_id}@notify.example.gov.uk",
        reply_to="parking@anglesey.example.gov.uk",
        unsubscribe_url=UNSUBSCRIBE,
    )
    return replace(message, **changes)


# --- a real SMTP server ---------------------------------------------------------------------------


class EphemeralController(Controller):
    """aiosmtpd's threaded Controller, listening on a port the system picks (it has no port=0 support)."""

    def _create_server(self) -> Awaitable[Any]:
        async def create() -> Any:
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context
            )
            self.port = server.sockets[0].getsockname()[1]
            return server

        return create()


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    over_tls: bool


@dataclass
class Mailbox:
    """A handler that accepts everything and keeps what arrived; subclasses refuse at one stage."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes) and envelope.mail_from is not None
        assert server.transport is not None
        over_tls = server.transport.get_extra_info("sslcontext") is not None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, over_tls))
        return "250 2.0.0 Ok: queued as 4F3B2C1A"

    def only_message(self) -> email.message.EmailMessage:
        assert len(self.received) == 1
        parsed = email.message_from_bytes(self.received[0].content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed


@dataclass
class RefusingRecipients(Mailbox):
    reply: str = "550 5.1.1 <{address}>: Recipient address rejected: User unknown"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        return self.reply.format(address=address)  # servers echo the address; the detail must not


@dataclass
class RefusingData(Mailbox):
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "554 5.6.0 Message content rejected"


_PROVIDERS: list[SmtpEmailProvider] = []  # made by `provider`, closed when their server stops


@asynccontextmanager
async def smtp_server(handler: Mailbox, **server_options: Any) -> AsyncIterator[int]:
    """An aiosmtpd server on loopback; before it stops, the providers QUIT the sessions they kept open."""
    controller = EphemeralController(
        handler, hostname="127.0.0.1", server_hostname="mx.test", ready_timeout=10, **server_options
    )
    controller.start()
    try:
        yield controller.port
    finally:
        while _PROVIDERS:
            await _PROVIDERS.pop().close()
        controller.stop()


def provider(port: int, **options: Any) -> SmtpEmailProvider:
    settings: dict[str, Any] = {"tls": "none", "timeout": 5.0, "local_hostname": "worker.test"} | options
    made = SmtpEmailProvider("127.0.0.1", port, **settings)
    _PROVIDERS.append(made)
    return made


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: LoginPassword
) -> AuthResult:
    # handled=False: aiosmtpd then answers a failure itself, with 535 5.7.8.
    return AuthResult(success=auth_data == LoginPassword(b"notify", b"correct horse"), handled=False)


# --- a self-signed certificate for 127.0.0.1 ------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "GovPlatform test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Certificate(cert_file, key_file)


# --- SMTP: delivered ------------------------------------------------------------------------------


async def test_an_email_the_server_accepts_is_delivered_with_its_message_id_as_the_reference() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        result = await provider(port).send(email_message())

    assert result.outcome is Outcome.DELIVERED and result.provider == "smtp"
    assert result.reference == "<0b6f1c7e-3e4a-4c9d-9b5e-7f1e2d3c4b5a@notify.example.gov.uk>"
    assert result.detail == "accepted: 250 2.0.0"
    arrived = mailbox.received[0]
    assert arrived.mail_from == "noreply@notify.example.gov.uk" and arrived.rcpt_tos == [RECIPIENT]


async def test_a_delivered_email_arrives_with_the_right_headers_and_the_stable_message_id() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        await provider(port).send(email_message())

    received = mailbox.only_message()
    assert received["From"].addresses[0].display_name == "Cyngor Sir Ynys Môn"
    assert received["From"].addresses[0].addr_spec == "noreply@notify.example.gov.uk"
    assert received["To"] == RECIPIENT
    assert received["Reply-To"] == "parking@anglesey.example.gov.uk"
    assert received["Message-ID"] == "<0b6f1c7e-3e4a-4c9d-9b5e-7f1e2d3c4b5a@notify.example.gov.uk>"
    sent_at = received["Date"].datetime
    assert abs(dt.datetime.now(dt.UTC) - sent_at) < dt.timedelta(minutes=1)


async def test_a_non_ascii_subject_is_encoded_on_the_wire_and_decodes_back_to_the_same_text() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        await provider(port).send(email_message())

    raw = mailbox.received[0].content
    assert raw.isascii()  # 7-bit clean: RFC 2047 words in headers, quoted-printable bodies
    assert b"Subject: Eich cais am drwydded parcio =?utf-8?" in raw
    assert mailbox.only_message()["Subject"] == SUBJECT


async def test_a_subject_with_line_breaks_is_sent_on_one_line() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        result = await provider(port).send(email_message(subject="Your  application\r\nBcc: someone@example.org"))

    assert result.outcome is Outcome.DELIVERED
    received = mailbox.only_message()
    assert received["Subject"] == "Your application Bcc: someone@example.org" and received["Bcc"] is None


async def test_a_delivered_email_has_the_text_part_then_the_html_part() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        await provider(port).send(email_message())

    received = mailbox.only_message()
    assert received.get_content_type() == "multipart/alternative"
    parts = list(received.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert isinstance(parts[0], email.message.EmailMessage) and isinstance(parts[1], email.message.EmailMessage)
    assert parts[0].get_content().replace("\r\n", "\n") == TEXT
    assert parts[1].get_content().rstrip("\r\n") == HTML


async def test_a_delivered_email_carries_one_click_list_unsubscribe_headers() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        await provider(port).send(email_message())

    raw = mailbox.received[0].content
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>\r\n".encode() in raw  # on one line, not encoded words
    received = mailbox.only_message()
    assert received["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_without_an_unsubscribe_link_or_reply_to_those_headers_are_left_out() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        await provider(port).send(email_message(unsubscribe_url=None, reply_to=None))

    received = mailbox.only_message()
    assert received["List-Unsubscribe"] is None and received["List-Unsubscribe-Post"] is None
    assert received["Reply-To"] is None


async def test_a_resend_carries_the_same_message_id() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        first = await provider(port).send(email_message())
        second = await provider(port).send(email_message())

    ids = [
        email.message_from_bytes(item.content, policy=email.policy.default)["Message-ID"] for item in mailbox.received
    ]
    assert ids == ["<0b6f1c7e-3e4a-4c9d-9b5e-7f1e2d3c4b5a@notify.example.gov.uk>"] * 2
    assert first.reference == second.reference == ids[0]


async def test_a_service_name_with_a_comma_or_a_colon_stays_one_sender() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        result = await provider(port).send(email_message(from_address="Ynys Môn: Bins, Recycling <bins@notify.gov.uk>"))

    assert result.outcome is Outcome.DELIVERED
    assert mailbox.received[0].mail_from == "bins@notify.gov.uk"
    (sender,) = mailbox.only_message()["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Ynys Môn: Bins, Recycling", "bins@notify.gov.uk")


async def test_the_envelope_sender_can_differ_from_the_from_address() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        await provider(port, envelope_sender="bounces@notify.example.gov.uk").send(email_message())

    assert mailbox.received[0].mail_from == "bounces@notify.example.gov.uk"
    assert mailbox.only_message()["From"].addresses[0].addr_spec == "noreply@notify.example.gov.uk"


# --- SMTP: sessions kept open between messages ----------------------------------------------------


@dataclass
class CountingSessions(Mailbox):
    """Remembers which connection (the client's port) each message came on; can hang up after each one."""

    peers: list[Any] = field(default_factory=list)
    rcpt_peers: list[Any] = field(default_factory=list)
    hang_up_after_each: bool = False
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        self.rcpt_peers.append(session.peer)
        if address in self.refuse:
            return "550 5.1.1 Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.peers.append(session.peer)
        reply = await super().handle_DATA(server, session, envelope)
        if self.hang_up_after_each:
            assert server.transport is not None
            asyncio.get_running_loop().call_later(0.01, server.transport.close)
        return reply


async def test_several_emails_go_over_one_session_and_each_arrives_once() -> None:
    mailbox = CountingSessions()
    async with smtp_server(mailbox) as port:
        sender = provider(port)
        results = [await sender.send(email_message(to=f"resident{n}@example.com")) for n in range(3)]
    assert [result.outcome for result in results] == [Outcome.DELIVERED] * 3
    assert [received.rcpt_tos for received in mailbox.received] == [[f"resident{n}@example.com"] for n in range(3)]
    assert len(set(mailbox.peers)) == 1, "one connection carried all three"


async def test_emails_sent_at_once_each_take_a_session_of_their_own() -> None:
    mailbox = CountingSessions()
    async with smtp_server(mailbox) as port:
        sender = provider(port, pool_size=2)
        results = await asyncio.gather(*(sender.send(email_message(to=f"r{n}@example.com")) for n in range(4)))
        again = await sender.send(email_message(to="later@example.com"))
    assert {result.outcome for result in [*results, again]} == {Outcome.DELIVERED}
    assert len(mailbox.received) == 5
    assert len(set(mailbox.peers[:4])) == 4, "no session carried two messages at the same time"
    assert mailbox.peers[4] in mailbox.peers[:4], "the next message reused a kept session"


async def test_a_session_the_server_closed_while_idle_is_replaced_and_the_email_sent_once() -> None:
    mailbox = CountingSessions(hang_up_after_each=True)
    async with smtp_server(mailbox) as port:
        sender = provider(port)
        first = await sender.send(email_message(to="first@example.com"))
        await asyncio.sleep(0.1)  # the server hangs up
        second = await sender.send(email_message(to="second@example.com"))
    assert (first.outcome, second.outcome) == (Outcome.DELIVERED, Outcome.DELIVERED)
    assert [received.rcpt_tos for received in mailbox.received] == [["first@example.com"], ["second@example.com"]]
    assert len(set(mailbox.peers)) == 2


async def test_an_idle_session_older_than_the_limit_is_not_reused() -> None:
    mailbox = CountingSessions()
    async with smtp_server(mailbox) as port:
        sender = provider(port, idle_seconds=0.05)
        await sender.send(email_message())
        await asyncio.sleep(0.1)
        await sender.send(email_message())
    assert len(mailbox.received) == 2 and len(set(mailbox.peers)) == 2


async def test_after_a_refused_recipient_the_session_is_reset_and_carries_the_next_email() -> None:
    mailbox = CountingSessions(refuse={"gone@example.com"})
    async with smtp_server(mailbox) as port:
        sender = provider(port)
        refused = await sender.send(email_message(to="gone@example.com"))
        delivered = await sender.send(email_message(to="here@example.com"))
    assert refused.outcome is Outcome.PERMANENT and refused.detail == "RCPT refused: 550 5.1.1"
    assert delivered.outcome is Outcome.DELIVERED
    assert [received.rcpt_tos for received in mailbox.received] == [["here@example.com"]]
    assert len(set(mailbox.rcpt_peers)) == 1, "the same session, reset, carried it"


async def test_with_no_pool_every_email_opens_its_own_session() -> None:
    mailbox = CountingSessions()
    async with smtp_server(mailbox) as port:
        sender = provider(port, pool_size=0)
        for _ in range(2):
            await sender.send(email_message())
    assert len(mailbox.received) == 2 and len(set(mailbox.peers)) == 2


# --- SMTP: refused --------------------------------------------------------------------------------


async def test_a_recipient_refused_with_550_is_a_permanent_failure_whose_detail_holds_no_address() -> None:
    async with smtp_server(RefusingRecipients()) as port:
        result = await provider(port).send(email_message())

    assert result.outcome is Outcome.PERMANENT and result.provider == "smtp"
    assert result.detail == "RCPT refused: 550 5.1.1"
    assert RECIPIENT not in result.detail and result.reference is None


async def test_a_recipient_refused_with_451_is_a_temporary_failure() -> None:
    async with smtp_server(RefusingRecipients(reply="451 4.7.1 <{address}>: Greylisted, try again later")) as port:
        result = await provider(port).send(email_message())

    assert result.outcome is Outcome.TEMPORARY
    assert result.detail == "RCPT refused: 451 4.7.1"


async def test_a_message_refused_with_554_after_data_is_a_permanent_failure() -> None:
    async with smtp_server(RefusingData()) as port:
        result = await provider(port).send(email_message())

    assert result.outcome is Outcome.PERMANENT
    assert result.detail == "DATA refused: 554 5.6.0"


async def test_a_recipient_address_with_a_line_break_is_a_technical_failure_before_connecting() -> None:
    # Port 9 (discard) on 127.0.0.1: nothing listens, and nothing should be tried.
    result = await provider(9).send(email_message(to="resident@example.com\r\nBcc: everyone@example.com"))

    assert result.outcome is Outcome.TECHNICAL
    assert result.detail == "the message could not be built: ValueError"


@pytest.mark.parametrize(
    ("code", "stage", "outcome"),
    [
        (554, "connect", Outcome.PERMANENT),
        (421, "connect", Outcome.TEMPORARY),
        (550, "MAIL", Outcome.PERMANENT),
        (530, "MAIL", Outcome.TECHNICAL),  # authentication required: our configuration
        (550, "RCPT", Outcome.PERMANENT),
        (452, "RCPT", Outcome.TEMPORARY),
        (552, "DATA", Outcome.PERMANENT),
        (535, "AUTH", Outcome.TECHNICAL),
        (504, "AUTH", Outcome.TECHNICAL),  # mechanism refused: still our configuration
        (454, "AUTH", Outcome.TEMPORARY),  # temporary authentication failure
        (454, "STARTTLS", Outcome.TEMPORARY),
        (501, "STARTTLS", Outcome.TEMPORARY),  # a TLS failure, not this message's fault
        (354, "DATA", Outcome.TECHNICAL),  # not a refusal at all: a bad response
    ],
)
def test_each_reply_code_maps_to_what_the_worker_should_do(code: int, stage: str, outcome: Outcome) -> None:
    assert outcome_for_reply(code, stage) is outcome


# --- SMTP: the server cannot be reached -----------------------------------------------------------


async def test_a_closed_port_is_a_temporary_failure_saying_the_connection_was_refused() -> None:
    # A socket bound but not listening: the kernel refuses connections to it, and no one else can take the port.
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        result = await provider(bound.getsockname()[1]).send(email_message())

    assert result.outcome is Outcome.TEMPORARY
    assert result.detail == "could not connect: connection refused"


async def test_a_server_that_never_says_hello_is_a_temporary_failure_saying_it_timed_out() -> None:
    # A listening socket nobody accepts from: the connection opens, the greeting never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        result = await provider(silent.getsockname()[1], timeout=0.3).send(email_message())

    assert result.outcome is Outcome.TEMPORARY
    assert result.detail == "timed out during connect"


# --- SMTP: authentication -------------------------------------------------------------------------


@AUTH_WITHOUT_TLS
async def test_wrong_credentials_for_a_server_requiring_auth_are_a_technical_failure() -> None:
    mailbox = Mailbox()
    server = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
    async with smtp_server(mailbox, **server) as port:
        result = await provider(port, username="notify", password="wrong").send(email_message())

    assert result.outcome is Outcome.TECHNICAL
    assert result.detail == "AUTH refused: 535 5.7.8"
    assert mailbox.received == []


@AUTH_WITHOUT_TLS
async def test_no_credentials_for_a_server_requiring_auth_is_a_technical_failure_not_a_permanent_one() -> None:
    server = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
    async with smtp_server(Mailbox(), **server) as port:
        result = await provider(port).send(email_message())

    assert result.outcome is Outcome.TECHNICAL  # a 530 at MAIL is our configuration, not this message
    assert result.detail == "MAIL refused: 530 5.7.0"


@AUTH_WITHOUT_TLS
async def test_the_right_credentials_are_accepted_and_the_email_delivered() -> None:
    mailbox = Mailbox()
    server = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
    async with smtp_server(mailbox, **server) as port:
        result = await provider(port, username="notify", password="correct horse").send(email_message())

    assert result.outcome is Outcome.DELIVERED and len(mailbox.received) == 1


def test_the_password_is_not_in_the_providers_repr() -> None:
    shown = repr(SmtpEmailProvider("relay.example", 587, username="notify", password="correct horse"))
    assert "correct horse" not in shown and "relay.example" in shown


# --- SMTP: TLS ------------------------------------------------------------------------------------


async def test_starttls_with_a_self_signed_certificate_given_as_the_ca_file_delivers(certificate: Certificate) -> None:
    mailbox = Mailbox()
    server = {"tls_context": certificate.server_context(), "require_starttls": True, "authenticator": authenticator}
    async with smtp_server(mailbox, **server) as port:
        sender = provider(
            port, tls="starttls", ca_file=certificate.cert_file, username="notify", password="correct horse"
        )
        result = await sender.send(email_message())

    assert result.outcome is Outcome.DELIVERED
    assert mailbox.received[0].over_tls  # and AUTH was only offered after STARTTLS (auth_require_tls)


async def test_starttls_against_a_certificate_the_client_does_not_trust_is_a_temporary_tls_failure(
    certificate: Certificate,
) -> None:
    mailbox = Mailbox()
    server = {"tls_context": certificate.server_context(), "require_starttls": True}
    async with smtp_server(mailbox, **server) as port:
        result = await provider(port, tls="starttls").send(email_message())  # the system CAs only

    assert result.outcome is Outcome.TEMPORARY
    assert result.detail.startswith("TLS failed during STARTTLS: certificate verification failed")
    assert mailbox.received == []


async def test_starttls_required_by_the_provider_but_not_offered_is_a_temporary_tls_failure() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        result = await provider(port, tls="starttls").send(email_message())

    assert result.outcome is Outcome.TEMPORARY
    assert result.detail == "TLS failed: the server did not offer STARTTLS"
    assert mailbox.received == []


async def test_implicit_tls_with_a_self_signed_certificate_given_as_the_ca_file_delivers(
    certificate: Certificate,
) -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox, ssl_context=certificate.server_context()) as port:
        result = await provider(port, tls="tls", ca_file=certificate.cert_file).send(email_message())

    assert result.outcome is Outcome.DELIVERED
    assert mailbox.received[0].over_tls


async def test_implicit_tls_against_an_untrusted_certificate_is_a_temporary_tls_failure(
    certificate: Certificate,
) -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox, ssl_context=certificate.server_context()) as port:
        result = await provider(port, tls="tls").send(email_message())

    assert result.outcome is Outcome.TEMPORARY
    assert result.detail.startswith("TLS failed during connect: certificate verification failed")


def test_an_unknown_tls_mode_is_refused_when_the_provider_is_made() -> None:
    with pytest.raises(ValueError, match="tls must be one of none, starttls, tls"):
        SmtpEmailProvider("relay.example", 25, tls="ssl")  # type: ignore[arg-type]


# --- sandbox --------------------------------------------------------------------------------------


async def test_the_sandbox_writes_an_eml_file_that_parses_back_to_the_same_email(tmp_path: Path) -> None:
    folder = tmp_path / "outbox" / "email"  # created when missing
    result = await SandboxEmailProvider(folder).send(email_message())

    assert result.outcome is Outcome.DELIVERED and result.provider == "sandbox"
    assert result.reference == "<0b6f1c7e-3e4a-4c9d-9b5e-7f1e2d3c4b5a@notify.example.gov.uk>"
    written = folder / "0b6f1c7e-3e4a-4c9d-9b5e-7f1e2d3c4b5a.eml"
    assert [path.name for path in folder.iterdir()] == [written.name]
    raw = written.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # RFC 5322 line endings
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    assert parsed["Subject"] == SUBJECT and parsed["To"] == RECIPIENT
    assert parsed["Message-ID"] == result.reference
    assert parsed["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content().rstrip("\r\n") == HTML


async def test_a_sandbox_resend_overwrites_the_file_instead_of_adding_another(tmp_path: Path) -> None:
    sandbox = SandboxEmailProvider(tmp_path)
    await sandbox.send(email_message(subject="First attempt"))
    await sandbox.send(email_message(subject="Second attempt"))

    files = list(tmp_path.iterdir())
    assert [path.name for path in files] == ["0b6f1c7e-3e4a-4c9d-9b5e-7f1e2d3c4b5a.eml"]  # no temporary files left
    assert email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)["Subject"] == "Second attempt"


async def test_the_sandbox_and_smtp_build_the_same_message(tmp_path: Path) -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        await provider(port).send(email_message())
    await SandboxEmailProvider(tmp_path).send(email_message())

    sent = mailbox.only_message()
    written = email.message_from_bytes(next(tmp_path.iterdir()).read_bytes(), policy=email.policy.default)
    for header in ("From", "To", "Subject", "Message-ID", "Reply-To", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert sent[header] == written[header], header


async def test_a_sender_address_with_a_line_break_is_a_technical_failure_before_connecting() -> None:
    # Issue 13: the envelope's MAIL FROM is taken from the From address, so a line break there would be a
    # second SMTP command. Port 9 (discard) on 127.0.0.1: nothing listens, and nothing should be tried.
    message = email_message(from_address="Bins <bins@notify.gov.uk\r\nRCPT TO:someone@example.org>")
    result = await provider(9).send(message)

    assert result.outcome is Outcome.TECHNICAL
    assert result.detail == "the message could not be built: ValueError"


async def test_a_service_name_with_a_line_break_arrives_as_one_from_header_and_one_recipient() -> None:
    mailbox = Mailbox()
    async with smtp_server(mailbox) as port:
        message = email_message(from_address="Bins\r\nBcc: someone@example.org <bins@notify.gov.uk>")
        result = await provider(port).send(message)

    assert result.outcome is Outcome.DELIVERED
    assert (mailbox.received[0].mail_from, mailbox.received[0].rcpt_tos) == ("bins@notify.gov.uk", [RECIPIENT])
    received = mailbox.only_message()
    assert received["Bcc"] is None
    assert received["From"].addresses[0].display_name == "Bins Bcc: someone@example.org"
