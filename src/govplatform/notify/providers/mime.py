"""One email, built once: the RFC 5322 message the SMTP provider sends and the sandbox writes to disk.

Both providers share this builder so what a developer opens from the sandbox
folder is byte for byte what a mail server would have received (apart from the
Date and the MIME boundary). The message is 7-bit clean: non-ASCII header text
is RFC 2047 encoded and both bodies are quoted-printable, so it passes through
any relay, with or without 8BITMIME.

What goes in, and why:

- ``Message-ID`` is the caller's stable id in angle brackets. Notify may send a
  notification again after a worker crashed between the server's 250 and the
  status update; the same Message-ID lets receiving systems (and people) see
  the two copies as one message.
- ``List-Unsubscribe`` and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
  (RFC 8058) when the notification has an unsubscribe link, which large
  mailbox providers expect of bulk senders.
- ``multipart/alternative`` with the plain text first and the HTML last: a
  reader shows the last part it understands, so HTML where it can, text
  otherwise.
"""

from __future__ import annotations

import datetime as dt
import email.message
import email.policy
import email.utils
import re
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader

from govplatform.notify.providers.base import EmailMessage

# RFC 5322 2.1.1: a line, CRLF excluded, must not exceed 998 characters.
_MAX_LINE = 998


class _UnfoldedHeader(UnstructuredHeader, BaseHeader):
    """A header written on one line, as given.

    The standard library folds a long header that has no spaces by turning it
    into RFC 2047 encoded words, which breaks a header holding a URL (mail
    clients would read `=?utf-8?q?=3Chttps...` instead of `<https://...>`).
    The header object's own `fold` is used whatever policy the message is later
    generated with (aiosmtplib flattens with its own), so the fix lives here.
    """

    def fold(self, *, policy: email.policy.Policy) -> str:
        line = f"{self.name}: {self}"
        if len(line) <= _MAX_LINE and line.isascii():
            return line + policy.linesep
        return super().fold(policy=policy)


def _header_registry() -> HeaderRegistry:
    registry = HeaderRegistry()
    registry.map_to_type("list-unsubscribe", _UnfoldedHeader)
    return registry


# SMTP's policy writes CRLF line endings, as RFC 5322 requires, on the wire and in .eml files.
POLICY = email.policy.SMTP.clone(header_factory=_header_registry())


_NAME_ADDR = re.compile(r"(?P<name>.*)<(?P<addr>[^<>]*)>\s*", re.DOTALL)


def mailbox(value: str) -> Address:
    """An address given as "Name <local@domain>" or "local@domain", as an Address that is written out safely.

    Notify's From is a service's name and an address, and a service name may
    hold characters that mean something in an address header: "Bins, Recycling"
    would otherwise read as two addresses, "Ynys Môn: Bins" as a group. Taking
    the last <...> as the address and everything before it as the name, the
    name is quoted or encoded as it needs. Raises ValueError for an address
    that cannot be written (empty, a line break, no domain).
    """
    found = _NAME_ADDR.fullmatch(value)
    name, addr = (found["name"], found["addr"]) if found else ("", value)
    name = " ".join(name.split())
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"')
    addr = addr.strip()
    if not addr:
        raise ValueError("an empty address")
    try:
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError) as error:  # the email package's header defects are ValueErrors
        raise ValueError(f"an address that cannot be written ({type(error).__name__})") from error


def message_id_header(message_id: str) -> str:
    """The Message-ID header value for a caller's id: the id in angle brackets (given with them or not)."""
    bare = message_id.strip().removeprefix("<").removesuffix(">")
    return f"<{bare}>"


def build_mime(message: EmailMessage, *, now: dt.datetime | None = None) -> email.message.EmailMessage:
    """The RFC 5322 message for `message`.

    Raises ValueError when a header value cannot be written (a line break in an
    address, say): that is bad input from our side, not something a resend fixes.
    """
    mime = email.message.EmailMessage(policy=POLICY)
    mime["From"] = mailbox(message.from_address)
    mime["To"] = mailbox(message.to)
    # A subject is one line; Notify normalises whitespace in subjects the same way.
    mime["Subject"] = " ".join(message.subject.split())
    mime["Date"] = email.utils.format_datetime(now or dt.datetime.now(dt.UTC))
    mime["Message-ID"] = message_id_header(message.message_id)
    if message.reply_to:
        mime["Reply-To"] = mailbox(message.reply_to)
    if message.unsubscribe_url:
        mime["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mime["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mime.set_content(message.text_body, subtype="plain", charset="utf-8", cte="quoted-printable")
    mime.add_alternative(message.html_body, subtype="html", charset="utf-8", cte="quoted-printable")
    for part in mime.iter_parts():
        # add_alternative builds the new part as a whole message, with its own MIME-Version; only the top has one.
        del part["MIME-Version"]
    return mime


def to_bytes(mime: email.message.EmailMessage) -> bytes:
    """The message as it goes on the wire: CRLF line endings, 7-bit clean."""
    return mime.as_bytes(policy=POLICY)
