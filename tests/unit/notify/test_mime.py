"""The wire bytes `render` writes, read back by the standard library's parser as a mail client would."""

from __future__ import annotations

import datetime as dt
import email
import email.message
import email.policy
import re
import uuid
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.notify.providers.base import EmailMessage
from govplatform.notify.providers.mime import mailbox, message_id_header, render

NOW = dt.datetime(2025, 3, 1, 9, 30, 15, tzinfo=dt.UTC)
UNSUBSCRIBE = (
    "https://notify.example.gov.uk/unsubscribe/6f1c1f0e-5c43-4a0e-9a57-1b4f3c0f8a11/0123456789abcdef0123456789abcdef"
)


def email_message(**changes: Any) -> EmailMessage:
    notification_id = uuid.UUID("0b6f1c7e-3e4a-4c9d-9b5e-7f1e2d3c4b5a")
    message = EmailMessage(
        notification_id=notification_id,
        to="resident@example.com",
        from_address="Cyngor Sir Ynys Môn <noreply@notify.example.gov.uk>",
        subject="Eich cais am drwydded parcio – wedi’i dderbyn ✓",
        html_body="<p>Annwyl breswylydd,</p><p>Cyfeirnod: ÂŴŶ-1234.</p>",
        text_body="Annwyl breswylydd,\n\nCyfeirnod: ÂŴŶ-1234.\n",
        message_id=f"{notification_id}@notify.example.gov.uk",
        reply_to="parking@anglesey.example.gov.uk",
        unsubscribe_url=UNSUBSCRIBE,
    )
    return replace(message, **changes)


def read(raw: bytes) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def bodies(raw: bytes) -> tuple[str, str]:
    """The plain and HTML parts as a client decodes them, with the wire's CRLFs read as newlines."""
    parts = list(read(raw).iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    plain, html = (part.get_content() for part in parts if isinstance(part, email.message.EmailMessage))
    return plain.replace("\r\n", "\n"), html.replace("\r\n", "\n")


def assert_display_name(raw: bytes, header: str, read: str, expected: str) -> None:
    """The display name a client reads. RFC 2047 6.2: the space between two encoded words is dropped, but
    Python 3.11's parser keeps it in a display name (CPython gh-128110) where a long name needed more than one.
    """
    field = re.search(rf"^{header}:.*?\r\n(?! )".encode(), raw, re.MULTILINE | re.DOTALL)
    assert field is not None
    if re.search(rb"\?=\s+=\?", field[0]):
        assert "".join(read.split()) == "".join(expected.split())
    else:
        assert read == expected


def assert_safe_to_send(raw: bytes) -> None:
    assert raw.isascii()
    assert re.search(rb"[^\r]\n|\r[^\n]", raw) is None  # CRLF only, no bare LF or CR
    lines = raw.split(b"\r\n")
    assert max(map(len, lines)) <= 998  # RFC 5322 2.1.1
    body_lines = raw.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
    assert max(map(len, body_lines)) <= 76  # RFC 2045 6.7: quoted-printable lines
    assert not any(line == b"." or line.startswith(b"From ") for line in lines)


# --- headers --------------------------------------------------------------------------------------


def test_a_message_reads_back_with_the_headers_it_was_given() -> None:
    received = read(render(email_message(), now=NOW))

    (sender,) = received["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Cyngor Sir Ynys Môn", "noreply@notify.example.gov.uk")
    assert received["To"] == "resident@example.com"
    assert received["Subject"] == "Eich cais am drwydded parcio – wedi’i dderbyn ✓"
    assert received["Date"].datetime == NOW
    assert received["Message-ID"] == "<0b6f1c7e-3e4a-4c9d-9b5e-7f1e2d3c4b5a@notify.example.gov.uk>"
    assert received["Reply-To"] == "parking@anglesey.example.gov.uk"


def test_ascii_words_of_a_subject_stay_readable_and_only_the_others_are_encoded() -> None:
    raw = render(email_message())

    assert b"\r\nSubject: Eich cais am drwydded parcio =?utf-8?q?" in raw


@pytest.mark.parametrize(
    "name",
    [
        "Ynys Môn: Bins",
        "Bins, Recycling",
        "Ynys Môn: Bins, Recycling",
        "Gwasanaeth Dŵr a Thŷ",
        'The "Bins" team',
        "Back\\slash (and brackets) <x@y.z>; @",
        "=?utf-8?q?not_an_encoded_word?=",
        "Cyngor Bwrdeistref Sirol Rhondda Cynon Taf, Gwasanaethau Gwastraff ac Ailgylchu",
        "Cyngor Bwrdeistref Sirol Rhondda Cynon Taf – Gwasanaethau Gwastraff, Ailgylchu a Glanhau Strydoedd " * 5,
        "Ŵ" * 400,
    ],
)
def test_a_display_name_reads_back_as_one_address_with_the_same_name(name: str) -> None:
    raw = render(email_message(from_address=f"{name} <bins@notify.gov.uk>", reply_to=f"{name} <reply@notify.gov.uk>"))

    assert_safe_to_send(raw)
    received = read(raw)
    for header, address in (("From", "bins@notify.gov.uk"), ("Reply-To", "reply@notify.gov.uk")):
        (mailbox_read,) = received[header].addresses
        assert mailbox_read.addr_spec == address
        assert_display_name(raw, header, mailbox_read.display_name, name.strip())


@pytest.mark.parametrize(
    "subject",
    [
        "Ynys Môn: Bins",
        "Casgliadau ŵ ŷ Ŵ Ŷ",
        "Your bin collection",
        "=?utf-8?q?not_an_encoded_word?= really",
        "Eich cais am drwydded parcio – wedi’i dderbyn ✓ " * 12,
        "A subject with a link https://www.gov.uk/" + "x" * 300,
        "y" * 950,
        "Bell\x07 and nul\x00 characters",
    ],
)
def test_a_subject_reads_back_as_given(subject: str) -> None:
    raw = render(email_message(subject=subject))

    assert_safe_to_send(raw)
    assert read(raw)["Subject"] == subject.strip()


def test_a_subject_with_line_breaks_is_written_on_one_line_with_single_spaces() -> None:
    received = read(render(email_message(subject="Your  application\r\nBcc: someone@example.org\n\tend")))

    assert received["Subject"] == "Your application Bcc: someone@example.org end"
    assert received["Bcc"] is None


def test_a_long_header_is_folded_at_spaces_before_78_characters() -> None:
    raw = render(email_message(subject="Your bin collection day is changing " * 8))

    head = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n") if not line.startswith(b"List-Unsubscribe:")) <= 78


def test_the_message_id_is_in_angle_brackets_whether_or_not_it_was_given_with_them() -> None:
    bare = read(render(email_message(message_id="abc@notify.gov.uk")))
    bracketed = read(render(email_message(message_id="<abc@notify.gov.uk>")))

    assert (
        bare["Message-ID"] == bracketed["Message-ID"] == "<abc@notify.gov.uk>" == message_id_header("abc@notify.gov.uk")
    )


def test_reply_to_and_the_unsubscribe_headers_are_left_out_when_not_set() -> None:
    raw = render(email_message(reply_to=None, unsubscribe_url=None))

    received = read(raw)
    assert received["Reply-To"] is None
    assert received["List-Unsubscribe"] is None and received["List-Unsubscribe-Post"] is None
    assert b"Reply-To" not in raw and b"List-Unsubscribe" not in raw


def test_the_unsubscribe_link_is_written_on_one_line_as_given_with_one_click_post() -> None:
    raw = render(email_message())

    assert f"\r\nList-Unsubscribe: <{UNSUBSCRIBE}>\r\n".encode() in raw  # not folded, not encoded words
    received = read(raw)
    assert received["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_non_ascii_unsubscribe_link_is_percent_encoded_so_it_still_works() -> None:
    received = read(render(email_message(unsubscribe_url="https://cyngor.example/dad-danysgrifio/ŵ ŷ")))

    assert received["List-Unsubscribe"] == "<https://cyngor.example/dad-danysgrifio/%C5%B5%20%C5%B7>"


def test_an_unsubscribe_link_too_long_for_a_line_is_folded_and_reads_back_without_the_folds() -> None:
    url = "https://notify.example.gov.uk/unsubscribe/" + "0123456789" * 150
    raw = render(email_message(unsubscribe_url=url))

    assert_safe_to_send(raw)
    assert "".join(str(read(raw)["List-Unsubscribe"]).split()) == f"<{url}>"  # RFC 2369 2: whitespace is ignored


# --- structure and bodies -------------------------------------------------------------------------


def test_the_message_is_multipart_alternative_with_text_first_and_html_last_in_quoted_printable() -> None:
    raw = render(email_message())

    received = read(raw)
    assert received.get_content_type() == "multipart/alternative"
    parts = list(received.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert [part.get_content_charset() for part in parts] == ["utf-8", "utf-8"]
    assert [part["Content-Transfer-Encoding"] for part in parts] == ["quoted-printable"] * 2


def test_only_the_top_of_the_message_has_a_mime_version() -> None:
    raw = render(email_message())

    assert raw.count(b"MIME-Version:") == 1
    assert read(raw).get_all("MIME-Version") == ["1.0"]
    assert all(part["MIME-Version"] is None for part in read(raw).iter_parts())


def test_the_boundary_is_new_for_each_message_and_holds_a_sequence_quoted_printable_never_writes() -> None:
    first, second = read(render(email_message())), read(render(email_message()))

    assert first.get_boundary() != second.get_boundary()
    assert "=_" in (first.get_boundary() or "")


BODIES = [
    "Annwyl breswylydd,\n\nCyfeirnod: ÂŴŶ-1234. Dŵr, tŷ.\n",
    "A line much longer than seventy-six characters, which quoted-printable has to break with soft line "
    "breaks and a reader has to join again: " + "ŵŷ" * 60 + "\n",
    "Trailing spaces   \nand a trailing tab\t\nend with a space ",
    "Line one\n.\nLine three\n.",
    "From the council\nFrom here too\n" + "From " + "x" * 80 + "\n" + "x" * 70 + "\nFrom y\n",
    "x" * 73 + ". \n" + "x" * 148 + ". \n",  # where b2a_qp's encoded trailing space ran past 76 characters
    "Windows\r\nline endings\r\nand an old Mac one\rend",
    "No newline at the end",
    "",
    "<p>Dear resident,</p>\n<p>=?utf-8?q?x?= and = signs =3D and _underscores_</p>",
]


@pytest.mark.parametrize("body", BODIES)
def test_both_bodies_read_back_exactly_as_given(body: str) -> None:
    raw = render(email_message(text_body=body, html_body=body))

    assert_safe_to_send(raw)
    as_written = body.replace("\r\n", "\n").replace("\r", "\n")
    assert bodies(raw) == (as_written, as_written)


@given(
    subject=st.text(max_size=300),
    name=st.text(max_size=120),
    body=st.text(max_size=2000),
)
def test_any_text_reads_back_as_given(subject: str, name: str, body: str) -> None:
    name = " ".join(name.split())
    address = f"{name} <service@notify.gov.uk>"
    raw = render(email_message(subject=subject, from_address=address, text_body=body, html_body=body))

    assert_safe_to_send(raw)
    received = read(raw)
    assert received["Subject"] == " ".join(subject.split())
    (sender,) = received["From"].addresses
    assert sender.addr_spec == "service@notify.gov.uk"
    assert_display_name(raw, "From", sender.display_name, mailbox(address).display_name)
    as_written = body.replace("\r\n", "\n").replace("\r", "\n")
    assert bodies(raw) == (as_written, as_written)


# --- what cannot be written -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"to": "resident@example.com\r\nBcc: someone@example.org"},
        {"to": "resident\n@example.com"},
        {"from_address": "Bins <bins@notify.gov.uk\r\nBcc: someone@example.org>"},
        {"reply_to": "parking@anglesey.gov.uk\rBcc: someone@example.org"},
        {"to": ""},
        {"to": "resident"},
        {"to": "resident@"},
        {"to": "@example.com"},
        {"to": "résident@example.com"},
        {"to": "resident@exämple.com"},
        {"to": "one@example.com, two@example.com"},
        {"message_id": "abc@notify.gov.uk\r\nBcc: someone@example.org"},
        {"message_id": ""},
        {"message_id": "a b@notify.gov.uk"},
        {"unsubscribe_url": "https://notify.example.gov.uk/u\r\nBcc: someone@example.org"},
    ],
)
def test_a_header_value_that_cannot_be_written_is_refused(changes: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        render(email_message(**changes))


def test_an_address_keeps_its_name_and_quotes_what_needs_quoting() -> None:
    assert str(mailbox('"Bins, Recycling" <bins@notify.gov.uk>')) == '"Bins, Recycling" <bins@notify.gov.uk>'
    assert mailbox("<bins@notify.gov.uk>").display_name == ""
    assert mailbox('"first last"@example.com').addr_spec == '"first last"@example.com'


# --- header injection (issue 13 fault 6) -------------------------------------------------------------

# Every character a reader might take as the end of a line: CR, LF, the other Unicode line breaks, NUL.
LINE_BREAKS = ["\r\n", "\r", "\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00"]
INJECTED = [f"Parking{brk}Bcc: someone@example.org{brk}X-Injected: yes" for brk in LINE_BREAKS]
HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "Reply-To", "List-Unsubscribe", "List-Unsubscribe-Post"]


@pytest.mark.parametrize("text", INJECTED)
@pytest.mark.parametrize("field", ["subject", "from_name", "to_name", "reply_to_name"])
def test_a_line_break_in_a_subject_or_a_display_name_never_starts_a_header_of_its_own(field: str, text: str) -> None:
    changes = {
        "subject": {"subject": text},
        "from_name": {"from_address": f"{text} <bins@notify.gov.uk>"},
        "to_name": {"to": f"{text} <resident@example.com>"},
        "reply_to_name": {"reply_to": f"{text} <parking@anglesey.gov.uk>"},
    }[field]
    raw = render(email_message(**changes))

    assert_safe_to_send(raw)
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    names = [line.split(":", 1)[0] for line in head.split("\r\n") if not line.startswith((" ", "\t"))]
    assert names == [*HEADERS[:5], *HEADERS[5:6], *HEADERS[6:], "MIME-Version", "Content-Type"]
    received = read(raw)
    assert received["Bcc"] is None and received["X-Injected"] is None
    assert [address.addr_spec for address in received["To"].addresses] == ["resident@example.com"]


@pytest.mark.parametrize(
    "address",
    [
        '"a\r\nRCPT TO:<someone@example.org>"@example.com',
        "resident@example.com>\r\nRCPT TO:<someone@example.org",
        '"resident\x00"@example.com',
        "<resident@example.com\r\n.\r\nMAIL FROM:<x@example.org>>",
    ],
)
def test_an_address_that_would_break_an_smtp_command_is_refused(address: str) -> None:
    with pytest.raises(ValueError):
        mailbox(address)
    with pytest.raises(ValueError):
        render(email_message(to=address))
