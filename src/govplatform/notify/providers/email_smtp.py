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

One connection per send. A notification email is one message to one
recipient, and a pooled SMTP connection brings its own failure modes (servers
drop idle sessions, a half-finished transaction must be reset before reuse, a
pool must be bounded per worker). Connecting costs a round trip or two, and a
TLS handshake, which is small next to what Notify's volumes need; a pool can be
added behind the same interface if a deployment ever needs it.
"""

from __future__ import annotations

import contextlib
import re
import ssl
from pathlib import Path
from typing import Final, Literal, get_args

import aiosmtplib

from govplatform.notify.providers.base import EmailMessage, Outcome, SendResult
from govplatform.notify.providers.mime import build_mime, mailbox, message_id_header

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


class SmtpEmailProvider:
    """Sends each email over a fresh SMTP connection to `host`:`port`.

    `tls` is "starttls" (upgrade a plain connection, usually port 587; the send
    fails if the server does not offer it), "tls" (implicit TLS from the first
    byte, usually port 465) or "none" (plain text, for a relay on the same host
    or network only). With TLS the server's certificate is checked against the
    system's CAs, or only against `ca_file` when given (a private relay's own
    CA or self-signed certificate); `verify=False` turns checking off, for
    development only. `timeout` bounds each network step (connect, each
    command, the TLS handshake), in seconds. `local_hostname` is the name given
    in EHLO (the machine's FQDN when not set), and `envelope_sender` the MAIL
    FROM address, where bounces go (the From address when not set).
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
    ) -> None:
        if tls not in get_args(TlsMode):
            raise ValueError(f"tls must be one of {', '.join(get_args(TlsMode))}, not {tls!r}")
        if password is not None and username is None:
            raise ValueError("a password needs a username")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.tls: TlsMode = tls
        self.timeout = timeout
        self.local_hostname = local_hostname
        self.envelope_sender = envelope_sender
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
            mime = build_mime(message)
            sender = self.envelope_sender or mailbox(message.from_address).addr_spec
            recipient = mailbox(message.to).addr_spec
        except ValueError as error:
            # Only our own data can get here (an address with a line break, an unwritable From); no resend fixes it.
            return _failed(Outcome.TECHNICAL, f"the message could not be built: {type(error).__name__}")

        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.tls == "tls",
            start_tls=False,  # done explicitly below, so a failure is known to be the STARTTLS step
            tls_context=self._tls_context,
            timeout=self.timeout,
            local_hostname=self.local_hostname,
        )
        stage = "connect"
        try:
            await client.connect()
            if self.tls == "starttls":
                stage = "STARTTLS"
                await client.starttls()
            if self.username is not None:
                stage = "AUTH"
                await client.login(self.username, self._password or "")
            stage = "send"
            refused, reply = await client.send_message(mime, sender=sender, recipients=[recipient])
            if refused:  # one recipient, so aiosmtplib raises instead; kept in case that ever changes
                first = next(iter(refused.values()))
                return _refused("RCPT", first.code, first.message)
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()  # the message is accepted; a QUIT that goes wrong changes nothing
        except aiosmtplib.SMTPRecipientsRefused as error:
            first_refusal = error.recipients[0]
            return _refused("RCPT", first_refusal.code, first_refusal.message)
        except aiosmtplib.SMTPResponseException as error:
            refused_at = next((name for kind, name in _STAGES if isinstance(error, kind)), stage)
            return _refused(refused_at, error.code, error.message)
        except (aiosmtplib.SMTPTimeoutError, TimeoutError):
            return _failed(Outcome.TEMPORARY, f"timed out during {stage}")
        except aiosmtplib.SMTPConnectError as error:
            if isinstance(error.__cause__, ssl.SSLError):
                return _failed(Outcome.TEMPORARY, f"TLS failed during connect: {_ssl_reason(error.__cause__)}")
            return _failed(Outcome.TEMPORARY, f"could not connect: {_network_reason(error.__cause__)}")
        except aiosmtplib.SMTPServerDisconnected:
            return _failed(Outcome.TEMPORARY, f"connection lost during {stage}")
        except ssl.SSLError as error:
            return _failed(Outcome.TEMPORARY, f"TLS failed during {stage}: {_ssl_reason(error)}")
        except aiosmtplib.SMTPNotSupported:
            # e.g. a non-ASCII address and a server without SMTPUTF8: this server can never take it.
            return _failed(Outcome.TECHNICAL, f"{stage}: the server lacks an extension this message needs")
        except aiosmtplib.SMTPException as error:
            if stage == "STARTTLS":
                return _failed(Outcome.TEMPORARY, "TLS failed: the server did not offer STARTTLS")
            if stage == "AUTH":  # aiosmtplib's own words, e.g. the server offers no AUTH or no mechanism we know
                return _failed(Outcome.TECHNICAL, f"AUTH failed: {error.message}")
            return _failed(Outcome.TECHNICAL, f"{stage} failed: {type(error).__name__}")
        except ValueError as error:
            # aiosmtplib refuses an address that cannot go on a command line safely (spaces, brackets).
            return _failed(Outcome.TECHNICAL, f"{stage} failed: an address cannot be sent ({type(error).__name__})")
        except OSError as error:
            return _failed(Outcome.TEMPORARY, f"network error during {stage}: {_network_reason(error)}")
        finally:
            client.close()

        status = enhanced_status(reply)
        return SendResult(
            outcome=Outcome.DELIVERED,
            provider=self.name,
            reference=message_id_header(message.message_id),
            detail=f"accepted: 250 {status}".rstrip(),
        )
