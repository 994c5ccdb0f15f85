"""One email, built once: the RFC 5322 message the SMTP provider sends and the sandbox writes to disk.

Both providers share this builder so what a developer opens from the sandbox
folder is byte for byte what a mail server would have received (apart from the
Date and the MIME boundary). The message is 7-bit clean with _CRLF line endings:
non-ASCII header text is RFC 2047 encoded and both bodies are quoted-printable,
so it passes through any relay, with or without 8BITMIME.

The bytes are written here, not by ``email.message.EmailMessage`` and its
generator: that took 2.1 ms a message (2.4 ms with 1.5 kB bodies) in header
parsing, folding and generating, more than a worker's whole budget for an
email; writing this one fixed layout directly takes 0.04 ms (0.08 ms). The
standard library still does the parts that need care (``binascii.b2a_qp`` for
the bodies, ``email.quoprimime`` for encoded words, ``Address`` for an address
the fast check does not cover), and the unit tests read messages back with its
parser.

What goes in, and why:

- ``Message-ID`` is the caller's stable id in angle brackets. Notify may send a
  notification again after a worker crashed between the server's 250 and the
  status update; the same Message-ID lets receiving systems (and people) see
  the two copies as one message.
- ``List-Unsubscribe`` and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
  (RFC 8058) when the notification has an unsubscribe link, which large
  mailbox providers expect of bulk senders. The link is written on one line, as
  given: encoded words (what the standard library folds a long header into)
  would leave clients reading ``=?utf-8?q?=3Chttps...`` instead of a link.
- ``multipart/alternative`` with the plain text first and the HTML last: a
  reader shows the last part it understands, so HTML where it can, text
  otherwise.
"""

from __future__ import annotations

import binascii
import datetime as dt
import email.utils
import re
import secrets
import urllib.parse
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.quoprimime import header_encode

from govplatform.notify.providers.base import EmailMessage

_CRLF = "\r\n"
# RFC 5322 2.1.1: a line, _CRLF excluded, must not exceed 998 characters and should not exceed 78.
_MAX_LINE = 998
_FOLD_AT = 78
# A word longer than this is not written as it is (it could not share a line with a header's name).
_MAX_WORD = 900
# RFC 2047 2: an encoded word is at most 75 characters; "=?utf-8?q?" and "?=" take 12 of them.
_MAX_ENCODED_WORD = 75
_MAX_ENCODED_TEXT = _MAX_ENCODED_WORD - 12
# The bytes RFC 2047 5(3) lets a "Q" encoded word carry as they are, even in a display name; a space becomes "_".
_Q_LITERAL = frozenset(b"-!*+/ ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

_SPECIALS = frozenset('()<>[]:;@\\,."')  # RFC 5322 3.2.3: a display name holding one is quoted
_PRINTABLE = re.compile(r"[ -~]*")  # printable ASCII and the space
_VISIBLE = re.compile(r"[!-~]+")  # printable ASCII, no space: a word an unstructured header can carry as it is
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")  # RFC 5322 3.2.3 atext: a word a display name can carry
_DOT_ATOM = rf"{_ATOM.pattern}(?:\.{_ATOM.pattern})*"
_PLAIN_ADDRESS = re.compile(rf"(?P<local>{_DOT_ATOM})@(?P<domain>{_DOT_ATOM})")
_NAME_ADDR = re.compile(r"(?P<name>.*)<(?P<addr>[^<>]*)>\s*", re.DOTALL)
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+>")  # printable ASCII in angle brackets, none inside
_URL_AS_IS = re.compile(r"[!#-;=?-~]*")  # printable ASCII but '"', '<' and '>'
_URL_KEEP = "!#$%&'()*+,-./:;=?@[\\]^_`{|}~"  # for quote(): escapes only controls, space, '"', '<', '>', non-ASCII


def mailbox(value: str) -> Address:
    """An address given as "Name <local@domain>" or "local@domain", as an Address that is written out safely.

    Notify's From is a service's name and an address, and a service name may
    hold characters that mean something in an address header: "Bins, Recycling"
    would otherwise read as two addresses, "Ynys Môn: Bins" as a group. Taking
    the last <...> as the address and everything before it as the name, the
    name is quoted or encoded as it needs. Raises ValueError for an address
    that cannot be written (empty, a line break, no domain, non-ASCII: that
    would need SMTPUTF8).
    """
    found = _NAME_ADDR.fullmatch(value)
    name, addr = (found["name"], found["addr"]) if found else ("", value)
    name = " ".join(name.split())
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"')
    addr = addr.strip()
    if not addr:
        raise ValueError("an empty address")
    plain = _PLAIN_ADDRESS.fullmatch(addr)
    if plain:  # nearly every address: nothing for the email package's parser to find, and it costs 30 µs
        return Address(display_name=name, username=plain["local"], domain=plain["domain"])
    try:
        address = Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError, HeaderParseError) as error:  # the parser's defects are ValueErrors
        raise ValueError(f"an address that cannot be written ({type(error).__name__})") from error
    if not address.domain or not address.addr_spec.isascii():
        raise ValueError("an address that cannot be written (no domain, or not ASCII)")
    return address


def message_id_header(message_id: str) -> str:
    """The Message-ID header value for a caller's id: the id in angle brackets (given with them or not)."""
    bare = message_id.strip().removeprefix("<").removesuffix(">")
    return f"<{bare}>"


def render(message: EmailMessage, *, now: dt.datetime | None = None) -> bytes:
    """The RFC 5322 message for `message`, as it goes on the wire.

    Raises ValueError when a header value cannot be written (a line break in an
    address, say): that is bad input from our side, not something a resend fixes.
    """
    message_id = message_id_header(message.message_id)
    if not _MESSAGE_ID.fullmatch(message_id) or len(message_id) > _MAX_WORD:
        raise ValueError("a Message-ID that cannot be written")
    # A subject is one line; Notify normalises whitespace in subjects the same way.
    subject = " ".join(message.subject.split())
    head = [
        _address_field("From", message.from_address),
        _address_field("To", message.to),
        _field("Subject", _words(subject, _VISIBLE)),
        f"Date: {email.utils.format_datetime(now or dt.datetime.now(dt.UTC))}{_CRLF}",
        f"Message-ID: {message_id}{_CRLF}",
    ]
    if message.reply_to:
        head.append(_address_field("Reply-To", message.reply_to))
    if message.unsubscribe_url:
        head.append(_unsubscribe_field(message.unsubscribe_url))
        head.append(f"List-Unsubscribe-Post: List-Unsubscribe=One-Click{_CRLF}")
    # Quoted-printable writes "=" only as "=XX" (two hex digits) or at a line's end, so "=_" can occur in
    # neither body: a boundary holding it needs no check against them (RFC 2046 5.1.1). The random rest
    # keeps it apart from the boundary of a message this one is later forwarded inside.
    boundary = f"=_{secrets.token_hex(16)}"
    head.append(f'MIME-Version: 1.0{_CRLF}Content-Type: multipart/alternative;{_CRLF} boundary="{boundary}"{_CRLF}')
    return b"".join(
        (
            "".join(head).encode("ascii"),
            _part_head(boundary, "plain"),
            _quoted_printable(message.text_body),
            _part_head(boundary, "html"),
            _quoted_printable(message.html_body),
            f"{_CRLF}--{boundary}--{_CRLF}".encode("ascii"),
        )
    )


def _part_head(boundary: str, subtype: str) -> bytes:
    # The CRLF before a boundary line belongs to the boundary (RFC 2046 5.1.1), so a body reads back as given.
    return (
        f'{_CRLF}--{boundary}{_CRLF}Content-Type: text/{subtype}; charset="utf-8"{_CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{_CRLF}{_CRLF}"
    ).encode("ascii")


def _field(name: str, tokens: list[str]) -> str:
    """A header field with `tokens` separated by spaces, folded before 78 characters where a token allows."""
    lines: list[str] = []
    line = f"{name}:"
    for index, token in enumerate(tokens):
        if index and len(line) + 1 + len(token) > _FOLD_AT:
            lines.append(line)
            line = ""
        line += f" {token}"
    lines.append(line)
    if max(map(len, lines)) > _MAX_LINE:
        raise ValueError(f"a {name} header that cannot be written")
    return _CRLF.join(lines) + _CRLF


def _address_field(name: str, value: str) -> str:
    address = mailbox(value)
    if not address.display_name:
        return _field(name, [address.addr_spec])
    return _field(name, [*_display_name(address.display_name), f"<{address.addr_spec}>"])


def _display_name(name: str) -> list[str]:
    """The words of a display name (RFC 5322 3.4): atoms, one quoted string, or encoded words where needed."""
    words = name.split(" ")
    if not _PRINTABLE.fullmatch(name) or "=?" in name or max(map(len, words)) > _MAX_WORD:
        return _words(name, _ATOM)
    if _SPECIALS.isdisjoint(name):
        return words
    # A quoted string may be folded at its spaces (RFC 5322 3.2.4); an encoded word must not be inside one.
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}"'.split(" ")


def _words(text: str, plain: re.Pattern[str]) -> list[str]:
    """The words of `text` (single-spaced): each `plain` one as it is, each run of the others as encoded words.

    The spaces within a run go inside the encoded text, because a reader drops
    the space between two encoded words (RFC 2047 6.2). A word that looks like
    an encoded word is encoded itself, so it reads back as written.
    """
    tokens: list[str] = []
    run: list[str] = []
    for word in text.split(" ") if text else ():
        if plain.fullmatch(word) and "=?" not in word and len(word) <= _MAX_WORD:
            if run:
                tokens += _encoded_words(" ".join(run))
                run = []
            tokens.append(word)
        else:
            run.append(word)
    if run:
        tokens += _encoded_words(" ".join(run))
    return tokens


def _encoded_words(text: str) -> list[str]:
    """`text` as RFC 2047 "Q" encoded words of at most 75 characters, each holding whole characters."""
    whole = header_encode(text.encode(), "utf-8")
    if len(whole) <= _MAX_ENCODED_WORD:
        return [whole]
    words: list[str] = []
    start = size = 0
    for index, char in enumerate(text):
        width = sum(1 if byte in _Q_LITERAL else 3 for byte in char.encode())
        if size + width > _MAX_ENCODED_TEXT:
            words.append(header_encode(text[start:index].encode(), "utf-8"))
            start, size = index, 0
        size += width
    words.append(header_encode(text[start:].encode(), "utf-8"))
    return words


def _unsubscribe_field(url: str) -> str:
    if "\r" in url or "\n" in url:
        raise ValueError("a line break in the unsubscribe link")
    if not _URL_AS_IS.fullmatch(url):
        # RFC 3987 3.1: a non-ASCII character in a link is its UTF-8 bytes, percent-encoded; the link still works.
        url = urllib.parse.quote(url, safe=_URL_KEEP)
    field = f"List-Unsubscribe: <{url}>"
    if len(field) > _MAX_LINE:
        # RFC 2369 2: whitespace inside the angle brackets is ignored, so a link too long for a line may be folded.
        field = f"{_CRLF} ".join(field[start : start + _MAX_WORD] for start in range(0, len(field), _MAX_WORD))
    return field + _CRLF


def _quoted_printable(body: str) -> bytes:
    """`body` as quoted-printable (RFC 2045 6.7) with CRLF line endings, every line at most 76 characters."""
    text = body.replace("\r\n", "\n").replace("\r", "\n").encode()
    # b2a_qp encodes trailing spaces and a line that is only "." (=2E), so neither is lost to a relay.
    encoded = binascii.b2a_qp(text, istext=True)
    lines = encoded.split(b"\n")
    if max(map(len, lines)) > 76 or encoded.startswith(b"From ") or b"\nFrom " in encoded:
        encoded = b"\n".join(piece for line in lines for piece in _fit(line))
    return encoded.replace(b"\n", b"\r\n")


def _fit(line: bytes) -> list[bytes]:
    """One line of b2a_qp's output as lines that are safe to send.

    A line starting "From " gets its F encoded (=46), because an mbox store
    would otherwise change it to ">From ". b2a_qp can leave a line of 77 or 78
    characters when it encodes a trailing space; such a line, and one made
    longer by the =46, is split with a soft line break, never inside an =XX.
    """
    lines: list[bytes] = []
    while True:
        if line.startswith(b"From "):
            line = b"=46" + line[1:]
        if len(line) <= 76:
            lines.append(line)
            return lines
        cut = 75
        if line[cut - 1] == ord("="):
            cut -= 1
        elif line[cut - 2] == ord("="):
            cut -= 2
        lines.append(line[:cut] + b"=")
        line = line[cut:]
