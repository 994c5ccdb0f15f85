"""Email delivery over SMTP, to a relay or a receiving server, with aiosmtplib.

Notify counts an email as delivered when the receiving server accepts it: the
250 after DATA means that server has taken responsibility for it. Anything
else is mapped to what the worker should do next:

- every recipient accepted and the message taken (250) → DELIVERED, with the
  Message-ID as the reference;
- a 5xx reply at any stage (greeting, EHLO, MAIL, RCPT, DATA) → PERMANENT:
  the server has refused this message for good, sending it again will not help;
- a 4xx reply → TEMPORARY: the server asks us to come back later (greylisting,
  a full queue), so the worker retries;
- connection refused, a timeout, a lost connection or a TLS failure (a
  certificate that does not verify, a handshake that fails, STARTTLS refused
  or not offered) → TEMPORARY, with a detail that says which, so the worker
  retries;
- an authentication failure (535, or any other 5xx to AUTH), or a server that
  wants authentication or encryption we were not configured for (530, 534,
  538, at whatever stage) → TECHNICAL: our configuration is wrong, and every
  message would fail the same way;
- anything else the server or the library says that makes no sense for one
  message (a missing extension, a malformed reply) → TECHNICAL.

`detail` holds the stage, the reply code and the enhanced status code (e.g.
"RCPT refused: 550 5.1.1"), never the server's reply text: servers often echo
the recipient's address there, and a detail must never hold personal data.

Sessions are kept open and reused. Opening one costs a connection, a
greeting, EHLO, often a TLS handshake and AUTH, and QUIT at the end: several
round trips and, on a relay in Python or with TLS, more CPU on both sides than
the message itself (measured in docs/benchmarks.md: a worker delivered 95
emails a second opening a session per message). Reuse has its own failure
modes, handled here: a session idle longer than `idle_seconds` is closed, not
reused (servers drop idle clients; RFC 5321 4.5.3.2.7 lets them after 5
minutes); a refused message leaves the session reset (RSET) before it goes back
to the pool, and a session in any doubt (a timeout, a lost connection, a reply
that made no sense) is closed; a reused session found closed before the
server took anything (before DATA) is replaced by a new one and the message
sent once on it. The pool is bounded (`pool_size`, one per job a worker runs
at once is enough) and belongs to one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
import time
from pathlib import Path
from typing import Final, Literal, get_args

import aiosmtplib

from govplatform.notify.providers.base import EmailMessage, Outcome, SendResult
from govplatform.notify.providers.mime import mailbox, message_id_header, render

TlsMode = Literal["none", "starttls", "tls"]

# Replies that mean our own configuration is wrong, whatever stage they come at:
# 530 authentication (or STARTTLS) required, 534 mechanism too weak,
# 535 credentials invalid, 538 encryption required for the mechanism (RFC 4954).
CONFIGURATION_CODES: Final = frozenset({530, 534, 535, 538})

_ENHANCED_STATUS = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})\b")

# The stage a refusal came from, by the exception aiosmtplib raises for it.
_STAGES: Final[tuple[tuple[type[aiosmtplib.SMTPResponseException], str], ...]] = (
    (aiosmtplib.SMTPConnectResponseError, "connect"),
    (aiosmtplib.SMTPHeloError, "EHLO"),
    (aiosmtplib.SMTPAuthenticationError, "AUTH"),
    (aiosmtplib.SMTPSenderRefused, "MAIL"),
    (aiosmtplib.SMTPRecipientRefused, "RCPT"),
    (aiosmtplib.SMTPDataError, "DATA"),
)


def enhanced_status(reply_text: str) -> str:
    """The RFC 3463 enhanced status code at the start of a reply's text ("5.1.1"), or ""."""
    found = _ENHANCED_STATUS.match(reply_text.strip())
    return found.group(1) if found else ""


def outcome_for_reply(code: int, stage: str = "") -> Outcome:
    """What an SMTP reply code at `stage` means for one message (see the module docstring)."""
    temporary = 400 <= code < 500
    if code in CONFIGURATION_CODES or (stage == "AUTH" and not temporary):
        return Outcome.TECHNICAL  # the server will not take our credentials, whichever message we send
    if stage == "STARTTLS":
        return Outcome.TEMPORARY  # a TLS failure: nothing to do with this message, so the worker retries
    if temporary:
        return Outcome.TEMPORARY
    if 500 <= code < 600:
        return Outcome.PERMANENT
    return Outcome.TECHNICAL  # a success or intermediate code where a refusal was raised: a bad response


def _refused(stage: str, code: int, reply_text: str) -> SendResult:
    status = enhanced_status(reply_text)
    detail = f"{stage} refused: {code} {status}".rstrip()
    return SendResult(outcome=outcome_for_reply(code, stage), provider=SmtpEmailProvider.name, detail=detail)


def _failed(outcome: Outcome, detail: str) -> SendResult:
    return SendResult(outcome=outcome, provider=SmtpEmailProvider.name, detail=detail)


def _ssl_reason(error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
        return f"certificate verification failed ({error.verify_message})"
    return str(error.reason or type(error).__name__)


def _network_reason(error: BaseException | None) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return type(error).__name__ if error is not None else "unknown error"


class _Connection:
    """An open SMTP session (greeted, encrypted and signed in as configured) and when it was last used."""

    __slots__ = ("client", "idle_since", "loop")

    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client
        self.loop = asyncio.get_running_loop()
        self.idle_since = time.monotonic()


class _Stale(Exception):
    """A reused session was gone before the server took the message: it is safe to send on a new one."""


class SmtpEmailProvider:
    """Sends emails over SMTP sessions to `host`:`port`, keeping up to `pool_size` idle ones open.

    `tls` is "starttls" (upgrade a plain connection, usually port 587; the send
    fails if the server does not offer it), "tls" (implicit TLS from the first
    byte, usually port 465) or "none" (plain text, for a relay on the same host
    or network only). With TLS the server's certificate is checked against the
    system's CAs, or only against `ca_file` when given (a private relay's own
    CA or self-signed certificate); `verify=False` turns checking off, for
    development only. `timeout` bounds each network step (connect, each
    command, the TLS handshake), in seconds. `local_hostname` is the name given
    in EHLO (the machine's FQDN when not set, looked up once), and
    `envelope_sender` the MAIL FROM address, where bounces go (the From address
    when not set). An idle session older than `idle_seconds` is closed rather
    than reused; `pool_size` 0 opens a session for every message.
    """

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        tls: TlsMode = "starttls",
        ca_file: str | Path | None = None,
        verify: bool = True,
        timeout: float = 30.0,
        local_hostname: str | None = None,
        envelope_sender: str | None = None,
        pool_size: int = 8,
        idle_seconds: float = 30.0,
    ) -> None:
        if tls not in get_args(TlsMode):
            raise ValueError(f"tls must be one of {', '.join(get_args(TlsMode))}, not {tls!r}")
        if password is not None and username is None:
            raise ValueError("a password needs a username")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if pool_size < 0 or idle_seconds <= 0:
            raise ValueError("pool_size must be 0 or more, and idle_seconds positive")
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.tls: TlsMode = tls
        self.timeout = timeout
        # Looked up once: left unset, aiosmtplib resolves it in a thread for every connection.
        self.local_hostname = local_hostname or socket.getfqdn()
        self.envelope_sender = envelope_sender
        self.pool_size = pool_size
        self.idle_seconds = idle_seconds
        self._idle: list[_Connection] = []
        # Built once: loading a CA bundle is slow, and the context is safe to share between connections.
        self._tls_context = self._make_tls_context(ca_file, verify) if tls != "none" else None

    def __repr__(self) -> str:  # never the password
        return f"SmtpEmailProvider(host={self.host!r}, port={self.port}, tls={self.tls!r}, username={self.username!r})"

    @staticmethod
    def _make_tls_context(ca_file: str | Path | None, verify: bool) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    async def send(self, message: EmailMessage) -> SendResult:
        try:
            content = render(message)
            sender = self.envelope_sender or mailbox(message.from_address).addr_spec
            recipient = mailbox(message.to).addr_spec
        except ValueError as error:
            # Only our own data can get here (an address with a line break, an unwritable From); no resend fixes it.
            return _failed(Outcome.TECHNICAL, f"the message could not be built: {type(error).__name__}")
        reference = message_id_header(message.message_id)
        idle = self._take_idle()
        if idle is not None:
            try:
                return await self._send_on(idle, sender, recipient, content, reference)
            except _Stale:
                pass  # closed by the server while idle, before it took anything: send once on a new session
        return await self._send_on(None, sender, recipient, content, reference)

    async def close(self) -> None:
        """QUIT every idle session (a worker stopping); sessions in use close when their send ends."""
        idle, self._idle = self._idle, []
        for connection in idle:
            if connection.loop is not asyncio.get_running_loop():
                continue  # its event loop has ended, and its transport with it
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                if connection.client.is_connected:
                    await connection.client.quit()
            connection.client.close()

    def _take_idle(self) -> _Connection | None:
        """The most recently used idle session that is still fit to reuse; stale ones are closed."""
        loop = asyncio.get_running_loop()
        while self._idle:
            connection = self._idle.pop()
            if connection.loop is not loop:
                continue  # left by an event loop that has ended; its transport went with it
            if connection.client.is_connected and time.monotonic() - connection.idle_since < self.idle_seconds:
                return connection
            connection.client.close()
        return None

    def _give_back(self, connection: _Connection) -> None:
        if len(self._idle) < self.pool_size and connection.client.is_connected:
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                # Not awaited for an answer: the message is accepted or refused already, and QUIT changes neither.
                connection.client.close()

    async def _open(self, stage: list[str]) -> _Connection:
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.tls == "tls",
            start_tls=False,  # done explicitly below, so a failure is known to be the STARTTLS step
            tls_context=self._tls_context,
            timeout=self.timeout,
            local_hostname=self.local_hostname,
        )
        await client.connect()
        connection = _Connection(client)
        try:
            if self.tls == "starttls":
                stage[0] = "STARTTLS"
                await client.starttls()
            if self.username is not None:
                stage[0] = "AUTH"
                await client.login(self.username, self._password or "")
        except BaseException:
            client.close()
            raise
        return connection

    @staticmethod
    async def _transaction(
        client: aiosmtplib.SMTP, sender: str, recipient: str, content: bytes, stage: list[str]
    ) -> str:
        """MAIL, RCPT and DATA for one message, with `stage` kept current; the server's reply to DATA.

        Done command by command, not with aiosmtplib's sendmail, so that a lost
        connection is known to have come before DATA (safe to send again) or not.
        """
        encoding = "ascii"
        options: list[str] = []
        if not (sender.isascii() and recipient.isascii()):
            if not client.supports_extension("smtputf8"):
                raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server")
            encoding = "utf-8"
            options.append("SMTPUTF8")
        if client.supports_extension("size"):
            options.insert(0, f"SIZE={len(content)}")  # RFC 1870; `content` already has CRLF line endings
        stage[0] = "MAIL"
        await client.mail(sender, options=options, encoding=encoding)
        stage[0] = "RCPT"
        await client.rcpt(recipient, encoding=encoding)
        stage[0] = "DATA"
        response = await client.data(content)
        return response.message

    @staticmethod
    async def _reset(connection: _Connection | None) -> bool:
        """RSET after a refused message, so the session can carry the next; False if that fails."""
        if connection is None or not connection.client.is_connected:
            return False
        try:
            await connection.client.rset()
        except (aiosmtplib.SMTPException, OSError):
            return False
        return True

    async def _send_on(
        self, connection: _Connection | None, sender: str, recipient: str, content: bytes, reference: str
    ) -> SendResult:
        """One message on `connection`, or on a new session when None, mapped to an outcome (module docstring).

        Raises _Stale when a reused session turns out to be closed before DATA.
        """
        reused = connection is not None
        stage = ["connect" if connection is None else "MAIL"]
        usable = False  # whether the session may carry another message afterwards
        try:
            if connection is None:
                connection = await self._open(stage)
            reply = await self._transaction(connection.client, sender, recipient, content, stage)
            usable = True
        except aiosmtplib.SMTPRecipientsRefused as error:
            usable = await self._reset(connection)
            first_refusal = error.recipients[0]
            return _refused("RCPT", first_refusal.code, first_refusal.message)
        except aiosmtplib.SMTPResponseException as error:
            refused_at = next((name for kind, name in _STAGES if isinstance(error, kind)), stage[0])
            usable = refused_at in ("MAIL", "RCPT", "DATA") and await self._reset(connection)
            return _refused(refused_at, error.code, error.message)
        except (aiosmtplib.SMTPTimeoutError, TimeoutError):
            return _failed(Outcome.TEMPORARY, f"timed out during {stage[0]}")
        except aiosmtplib.SMTPConnectError as error:
            if isinstance(error.__cause__, ssl.SSLError):
                return _failed(Outcome.TEMPORARY, f"TLS failed during connect: {_ssl_reason(error.__cause__)}")
            return _failed(Outcome.TEMPORARY, f"could not connect: {_network_reason(error.__cause__)}")
        except aiosmtplib.SMTPServerDisconnected:
            if reused and stage[0] in ("MAIL", "RCPT"):
                raise _Stale from None
            return _failed(Outcome.TEMPORARY, f"connection lost during {stage[0]}")
        except ssl.SSLError as error:
            return _failed(Outcome.TEMPORARY, f"TLS failed during {stage[0]}: {_ssl_reason(error)}")
        except aiosmtplib.SMTPNotSupported:
            # e.g. a non-ASCII address and a server without SMTPUTF8: this server can never take it.
            usable = await self._reset(connection)
            return _failed(Outcome.TECHNICAL, f"{stage[0]}: the server lacks an extension this message needs")
        except aiosmtplib.SMTPException as error:
            if stage[0] == "STARTTLS":
                return _failed(Outcome.TEMPORARY, "TLS failed: the server did not offer STARTTLS")
            if stage[0] == "AUTH":  # aiosmtplib's own words, e.g. the server offers no AUTH or no mechanism we know
                return _failed(Outcome.TECHNICAL, f"AUTH failed: {error.message}")
            return _failed(Outcome.TECHNICAL, f"{stage[0]} failed: {type(error).__name__}")
        except ValueError as error:
            # aiosmtplib refuses an address that cannot go on a command line safely (spaces, brackets).
            return _failed(Outcome.TECHNICAL, f"{stage[0]} failed: an address cannot be sent ({type(error).__name__})")
        except OSError as error:
            return _failed(Outcome.TEMPORARY, f"network error during {stage[0]}: {_network_reason(error)}")
        finally:
            if connection is not None:
                if usable:
                    self._give_back(connection)
                else:
                    connection.client.close()

        status = enhanced_status(reply)
        return SendResult(
            outcome=Outcome.DELIVERED,
            provider=self.name,
            reference=reference,
            detail=f"accepted: 250 {status}".rstrip(),
        )
