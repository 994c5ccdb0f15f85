"""The Firetext provider against a stand-in gateway and real sockets, and the file-writing sandbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from govplatform.notify.providers.base import Outcome, TextMessage, TextProvider
from govplatform.notify.providers.sms_firetext import FiretextProvider
from govplatform.notify.providers.sms_sandbox import SandboxTextProvider
from tests.integration.notify.firetext_gateway import URL, FakeFiretext

KEY = "uk-key-0123456789"
INTERNATIONAL_KEY = "intl-key-9876543210"
UK_NUMBER = "447700900123"


def text(to: str = UK_NUMBER, content: str = "Your bin collection moves to Tuesday.") -> TextMessage:
    return TextMessage(notification_id=uuid.uuid4(), to=to, sender="GOVUK", content=content)


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


@pytest.fixture
def gateway() -> FakeFiretext:
    return FakeFiretext(api_keys={KEY, INTERNATIONAL_KEY})


@pytest.fixture
async def client(gateway: FakeFiretext) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=gateway.transport()) as client:
        yield client


@pytest.fixture
def firetext(client: httpx.AsyncClient) -> FiretextProvider:
    return FiretextProvider(KEY, URL, international_api_key=INTERNATIONAL_KEY, client=client)


def no_number_in(detail: str, number: str = UK_NUMBER) -> bool:
    squeezed = "".join(detail.split())
    return number[2:] not in squeezed


# Sending


async def test_a_send_posts_the_form_notify_posts_and_returns_sending_with_our_reference(
    firetext: FiretextProvider, gateway: FakeFiretext
) -> None:
    message = text()
    result = await firetext.send(message)

    assert result.outcome is Outcome.SENDING
    assert result.provider == "firetext"
    assert result.reference == str(message.notification_id)
    assert gateway.received == [
        {
            "apiKey": KEY,
            "from": "GOVUK",
            "to": UK_NUMBER,
            "message": "Your bin collection moves to Tuesday.",
            "reference": str(message.notification_id),
        }
    ]


async def test_the_text_goes_through_unchanged_whatever_its_characters(
    firetext: FiretextProvider, gateway: FakeFiretext
) -> None:
    welsh = "Mae eich casgliad biniau'n symud i ddydd Mawrth. Diolch – ŵ ŷ & = + %"
    result = await firetext.send(text(content=welsh))
    assert result.outcome is Outcome.SENDING
    assert gateway.received[0]["message"] == welsh


async def test_a_firetext_error_code_is_a_technical_failure_with_the_code_in_detail(gateway: FakeFiretext) -> None:
    async with httpx.AsyncClient(transport=gateway.transport()) as client:
        provider = FiretextProvider("not-a-key-firetext-knows", URL, client=client)
        result = await provider.send(text())

    assert result.outcome is Outcome.TECHNICAL
    assert result.reference is None
    assert "code 1" in result.detail and "Authentication error" in result.detail
    assert no_number_in(result.detail)
    assert "bin collection" not in result.detail


async def test_a_refusal_that_names_the_number_leaves_no_phone_number_in_detail(
    firetext: FiretextProvider, gateway: FakeFiretext
) -> None:
    gateway.echo_number = True
    result = await firetext.send(text())

    assert result.outcome is Outcome.TECHNICAL
    assert "code 2" in result.detail and "Destination error" in result.detail
    assert no_number_in(result.detail)


async def test_a_refusal_that_quotes_the_text_leaves_the_text_out_of_detail(
    firetext: FiretextProvider, gateway: FakeFiretext
) -> None:
    gateway.echo_message = True
    result = await firetext.send(text())

    assert result.outcome is Outcome.TECHNICAL
    assert "code 5" in result.detail and "Message error" in result.detail
    assert "bin collection" not in result.detail


async def test_a_form_the_gateway_would_refuse_is_a_technical_failure(
    firetext: FiretextProvider, gateway: FakeFiretext
) -> None:
    result = await firetext.send(TextMessage(uuid.uuid4(), UK_NUMBER, "A sender id far too long", "Hello"))
    assert result.outcome is Outcome.TECHNICAL
    assert "code 3" in result.detail


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_5xx_from_firetext_is_a_temporary_failure(
    firetext: FiretextProvider, gateway: FakeFiretext, status: int
) -> None:
    gateway.fail_with = status
    result = await firetext.send(text())
    assert result.outcome is Outcome.TEMPORARY
    assert str(status) in result.detail and no_number_in(result.detail)


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_a_4xx_from_firetext_is_a_technical_failure(
    firetext: FiretextProvider, gateway: FakeFiretext, status: int
) -> None:
    gateway.fail_with = status
    result = await firetext.send(text())
    assert result.outcome is Outcome.TECHNICAL
    assert str(status) in result.detail


async def test_a_429_from_firetext_is_a_temporary_failure(firetext: FiretextProvider, gateway: FakeFiretext) -> None:
    gateway.fail_with = 429
    assert (await firetext.send(text())).outcome is Outcome.TEMPORARY


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>Maintenance</html>"),
        httpx.Response(200, json=["not", "an", "object"]),
        httpx.Response(200, json={"description": "no code at all"}),
        httpx.Response(200, json={"code": True}),
    ],
)
async def test_an_answer_that_is_not_firetext_json_is_a_technical_failure(answer: httpx.Response) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda request: answer)) as client:
        result = await FiretextProvider(KEY, URL, client=client).send(text())
    assert result.outcome is Outcome.TECHNICAL


async def test_a_code_sent_as_a_string_is_read_as_a_number() -> None:
    answer = httpx.Response(200, json={"code": "0", "description": "SMS successfully queued"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda request: answer)) as client:
        result = await FiretextProvider(KEY, URL, client=client).send(text())
    assert result.outcome is Outcome.SENDING


@pytest.fixture
async def silent_gateway() -> AsyncIterator[str]:
    """A loopback server that accepts the connection and reads the request but never answers."""
    release = asyncio.Event()

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await release.wait()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/api/sendsms/json"
    release.set()
    server.close()
    await server.wait_closed()


async def test_a_timeout_is_a_temporary_failure(silent_gateway: str) -> None:
    async with FiretextProvider(KEY, silent_gateway, timeout=0.3) as provider:
        result = await provider.send(text())
    assert result.outcome is Outcome.TEMPORARY
    assert "0.3s" in result.detail


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    yield port


async def test_a_gateway_that_cannot_be_reached_is_a_temporary_failure(closed_port: int) -> None:
    async with FiretextProvider(KEY, f"http://127.0.0.1:{closed_port}/api/sendsms/json", timeout=5) as provider:
        result = await provider.send(text())
    assert result.outcome is Outcome.TEMPORARY
    assert "ConnectError" in result.detail


async def test_an_international_number_uses_the_international_key_when_one_is_configured(
    firetext: FiretextProvider, gateway: FakeFiretext
) -> None:
    await firetext.send(text(to="33612345678"))
    await firetext.send(text(to=UK_NUMBER))
    assert [form["apiKey"] for form in gateway.received] == [INTERNATIONAL_KEY, KEY]
    assert gateway.received[0]["to"] == "33612345678"


async def test_an_international_number_uses_the_main_key_when_there_is_no_international_one(
    client: httpx.AsyncClient, gateway: FakeFiretext
) -> None:
    result = await FiretextProvider(KEY, URL, client=client).send(text(to="33612345678"))
    assert result.outcome is Outcome.SENDING
    assert gateway.received[0]["apiKey"] == KEY


async def test_a_number_given_with_a_plus_is_sent_without_it(firetext: FiretextProvider, gateway: FakeFiretext) -> None:
    await firetext.send(text(to="+447700900123"))
    assert gateway.received[0]["to"] == UK_NUMBER and gateway.received[0]["apiKey"] == KEY


def test_both_providers_are_text_providers(tmp_path: Path) -> None:
    providers: list[TextProvider] = [FiretextProvider(KEY, URL), SandboxTextProvider(tmp_path / "texts.jsonl")]
    assert [provider.name for provider in providers] == ["firetext", "sandbox"]


def test_a_provider_needs_an_api_key() -> None:
    with pytest.raises(ValueError, match="API key"):
        FiretextProvider("", URL)


# Receipts

REFERENCE = str(uuid.uuid4())


def receipt_form(status: str, code: str | None = None, time: str = "2024-01-15 10:30:00") -> dict[str, str]:
    form = {"mobile": UK_NUMBER, "status": status, "time": time, "reference": REFERENCE}
    if code is not None:
        form["code"] = code
    return form


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        ("0", None, Outcome.DELIVERED),
        ("0", "000", Outcome.DELIVERED),
        ("2", None, Outcome.SENDING),
        ("2", "000", Outcome.SENDING),
        ("1", None, Outcome.PERMANENT),
        ("1", "", Outcome.PERMANENT),
        ("1", "000", Outcome.TEMPORARY),
        ("1", "101", Outcome.PERMANENT),
        ("1", "102", Outcome.TEMPORARY),
        ("1", "103", Outcome.TEMPORARY),
        ("1", "104", Outcome.TEMPORARY),
        ("1", "201", Outcome.PERMANENT),
        ("1", "301", Outcome.PERMANENT),
        ("1", "302", Outcome.TEMPORARY),
        ("1", "401", Outcome.PERMANENT),
        ("1", "900", Outcome.TEMPORARY),
        ("1", "555", Outcome.PERMANENT),
    ],
)
def test_receipts_map_each_status_and_code_as_notify_maps_them(
    firetext: FiretextProvider, status: str, code: str | None, outcome: Outcome
) -> None:
    receipt = firetext.parse_receipt(receipt_form(status, code))
    assert receipt.outcome is outcome
    assert receipt.reference == REFERENCE
    assert receipt.received_at == utc(2024, 1, 15, 10, 30)
    assert no_number_in(receipt.detail)


def test_a_declined_receipt_gives_firetexts_reason_in_detail(firetext: FiretextProvider) -> None:
    assert firetext.parse_receipt(receipt_form("1", "101")).detail == "declined (code 101: Unknown Subscriber)"
    assert firetext.parse_receipt(receipt_form("1", "555")).detail == "declined (code 555)"
    assert firetext.parse_receipt(receipt_form("1")).detail == "declined"


def test_a_receipt_reference_in_capitals_matches_the_reference_send_gave(firetext: FiretextProvider) -> None:
    form = receipt_form("0") | {"reference": REFERENCE.upper()}
    assert firetext.parse_receipt(form).reference == REFERENCE


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2024-07-01 14:00:00", utc(2024, 7, 1, 13, 0)),  # British Summer Time, UTC+1
        ("2024-12-02 14:00:00", utc(2024, 12, 2, 14, 0)),  # Greenwich Mean Time, UTC+0
        ("2024-03-31 00:59:59", utc(2024, 3, 31, 0, 59, 59)),  # the last GMT second before the clocks go forward
        ("2024-03-31 02:00:00", utc(2024, 3, 31, 1, 0)),  # the first BST hour
        ("2024-10-27 01:30:00", utc(2024, 10, 27, 0, 30)),  # the repeated hour: its first, BST, reading
        ("2024-10-27 02:30:00", utc(2024, 10, 27, 2, 30)),  # GMT again
        ("2024-07-01T14:00:00+00:00", utc(2024, 7, 1, 14, 0)),  # an explicit offset is honoured
    ],
)
def test_receipt_times_are_uk_local_time_converted_to_utc(
    firetext: FiretextProvider, local: str, expected: dt.datetime
) -> None:
    received_at = firetext.parse_receipt(receipt_form("0", time=local)).received_at
    assert received_at == expected and received_at.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reference": None}, "reference missing"),
        ({"reference": ""}, "reference missing"),
        ({"reference": "notification_id"}, "reference is not a notification id"),
        ({"status": None}, "status missing"),
        ({"status": "3"}, "status '3' is not one Firetext sends"),
        ({"status": "delivered"}, "is not one Firetext sends"),
        ({"time": None}, "time missing"),
        ({"time": "bananas"}, "time 'bananas' is not a date and time"),
        ({"time": "2024-07-01"}, "is not a date and time"),
        ({"time": "2024-13-01 10:00:00"}, "is not a date and time"),
    ],
)
def test_malformed_receipts_raise_value_error_saying_what_is_wrong(
    firetext: FiretextProvider, changes: dict[str, str | None], message: str
) -> None:
    form = receipt_form("0")
    for field, value in changes.items():
        if value is None:
            del form[field]
        else:
            form[field] = value
    with pytest.raises(ValueError, match=message) as raised:
        firetext.parse_receipt(form)
    assert str(raised.value).startswith("Firetext receipt: ")
    assert no_number_in(str(raised.value))


# Inbound texts


def inbound_form(**changes: str) -> dict[str, str]:
    form = {
        "source": "07700900123",
        "destination": "447700900999",
        "message": "Yes, Tuesday is fine & thank you",
        "time": "2024-07-01 14:00:00",
        "keyword": "YES",
    }
    return form | changes


def test_an_inbound_text_is_read_with_numbers_in_international_format(firetext: FiretextProvider) -> None:
    inbound = firetext.parse_inbound(inbound_form())
    assert inbound.source_number == UK_NUMBER
    assert inbound.destination_number == "447700900999"
    assert inbound.content == "Yes, Tuesday is fine & thank you"
    assert inbound.received_at == utc(2024, 7, 1, 13, 0)
    assert inbound.provider_reference.startswith("firetext-")


def test_the_same_inbound_text_posted_twice_gets_the_same_reference(firetext: FiretextProvider) -> None:
    first = firetext.parse_inbound(inbound_form())
    again = firetext.parse_inbound(inbound_form())
    other = firetext.parse_inbound(inbound_form(message="No"))
    assert first.provider_reference == again.provider_reference != other.provider_reference
    assert UK_NUMBER not in first.provider_reference


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("07700900123", UK_NUMBER),
        ("07700 900123", UK_NUMBER),
        ("447700900123", UK_NUMBER),
        ("+447700900123", UK_NUMBER),
        ("00447700900123", UK_NUMBER),
        ("+33612345678", "33612345678"),
        ("33612345678", "33612345678"),
        ("0033612345678", "33612345678"),
    ],
)
def test_inbound_numbers_are_normalised_to_international_format_without_a_plus(
    firetext: FiretextProvider, given: str, expected: str
) -> None:
    assert firetext.parse_inbound(inbound_form(source=given)).source_number == expected
    assert firetext.parse_inbound(inbound_form(destination=given)).destination_number == expected


def test_an_inbound_text_to_a_short_code_keeps_the_short_code(firetext: FiretextProvider) -> None:
    assert firetext.parse_inbound(inbound_form(destination="60999")).destination_number == "60999"


def test_an_empty_inbound_text_is_still_a_text(firetext: FiretextProvider) -> None:
    assert firetext.parse_inbound(inbound_form(message="")).content == ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("source", None, "source missing"),
        ("source", "", "source missing"),
        ("source", "not a number", "source is not a phone number"),
        ("source", "60999", "source is not a phone number"),
        ("source", "0770090012345678", "source is not a phone number"),
        ("destination", None, "destination missing"),
        ("message", None, "message missing"),
        ("time", None, "time missing"),
        ("time", "yesterday", "time 'yesterday' is not a date and time"),
    ],
)
def test_malformed_inbound_texts_raise_value_error_saying_what_is_wrong(
    firetext: FiretextProvider, field: str, value: str | None, message: str
) -> None:
    form = inbound_form()
    if value is None:
        del form[field]
    else:
        form[field] = value
    with pytest.raises(ValueError, match=message) as raised:
        firetext.parse_inbound(form)
    assert str(raised.value).startswith("Firetext inbound text: ")
    assert "0770090012345678" not in str(raised.value)


# The sandbox


async def test_the_sandbox_appends_each_text_as_a_json_line_and_reports_it_delivered(tmp_path: Path) -> None:
    path = tmp_path / "not-yet" / "texts.jsonl"
    sandbox = SandboxTextProvider(path)
    first, second = text(), text(to="33612345678", content="Diolch – ŵ ŷ")

    results = [await sandbox.send(first), await sandbox.send(second)]

    assert [(r.outcome, r.provider, r.reference) for r in results] == [
        (Outcome.DELIVERED, "sandbox", str(first.notification_id)),
        (Outcome.DELIVERED, "sandbox", str(second.notification_id)),
    ]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert {key: records[1][key] for key in ("notification_id", "to", "sender", "content")} == {
        "notification_id": str(second.notification_id),
        "to": "33612345678",
        "sender": "GOVUK",
        "content": "Diolch – ŵ ŷ",
    }
    assert dt.datetime.fromisoformat(records[0]["sent_at"]).utcoffset() == dt.timedelta(0)
    assert sandbox.read() == records


async def test_texts_sent_at_once_to_the_sandbox_each_get_a_whole_line(tmp_path: Path) -> None:
    sandbox = SandboxTextProvider(tmp_path / "texts.jsonl")
    messages = [text(content=f"Message {n} " + "x" * 2000) for n in range(20)]
    await asyncio.gather(*(sandbox.send(message) for message in messages))
    assert sorted(record["notification_id"] for record in sandbox.read()) == sorted(
        str(message.notification_id) for message in messages
    )


async def test_a_sandbox_that_cannot_write_is_a_technical_failure(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    result = await SandboxTextProvider(tmp_path / "a-file" / "texts.jsonl").send(text())
    assert result.outcome is Outcome.TECHNICAL
    assert no_number_in(result.detail)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("delivered", Outcome.DELIVERED),
        ("permanent-failure", Outcome.PERMANENT),
        ("temporary-failure", Outcome.TEMPORARY),
        ("pending", Outcome.SENDING),
    ],
)
def test_the_sandbox_parses_its_receipts(tmp_path: Path, status: str, outcome: Outcome) -> None:
    form = {"reference": REFERENCE, "status": status, "received_at": "2024-07-01T14:00:00"}
    receipt = SandboxTextProvider(tmp_path / "texts.jsonl").parse_receipt(form)
    assert (receipt.reference, receipt.outcome, receipt.received_at) == (REFERENCE, outcome, utc(2024, 7, 1, 14, 0))


def test_a_sandbox_receipt_without_a_time_is_received_now(tmp_path: Path) -> None:
    before = dt.datetime.now(dt.UTC)
    receipt = SandboxTextProvider(tmp_path / "t.jsonl").parse_receipt({"reference": "r", "status": "delivered"})
    assert before <= receipt.received_at <= dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"status": "delivered"}, "reference missing"),
        ({"reference": REFERENCE}, "status missing"),
        ({"reference": REFERENCE, "status": "0"}, "status '0' is not one of delivered"),
        ({"reference": REFERENCE, "status": "delivered", "received_at": "soon"}, "is not an ISO 8601"),
    ],
)
def test_malformed_sandbox_receipts_raise_value_error(tmp_path: Path, form: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SandboxTextProvider(tmp_path / "t.jsonl").parse_receipt(form)


def test_the_sandbox_parses_inbound_texts(tmp_path: Path) -> None:
    sandbox = SandboxTextProvider(tmp_path / "t.jsonl")
    form = {"source": "+447700900123", "destination": "07700900999", "message": "Hello", "reference": "abc"}
    inbound = sandbox.parse_inbound(form | {"received_at": "2024-12-02T14:00:00Z"})
    assert (inbound.source_number, inbound.destination_number, inbound.content) == (UK_NUMBER, "447700900999", "Hello")
    assert (inbound.provider_reference, inbound.received_at) == ("abc", utc(2024, 12, 2, 14, 0))
    without_reference = sandbox.parse_inbound({k: v for k, v in form.items() if k != "reference"})
    assert without_reference.provider_reference.startswith("sandbox-")
    with pytest.raises(ValueError, match="sandbox inbound text: message missing"):
        sandbox.parse_inbound({"source": "07700900123", "destination": "60999"})
