"""Every method of the official client, with a test key and a live key, checked field by field against the spec.

The unchanged notifications-python-client (13.0.0, from PyPI) drives a real
`govplatform serve` on a fresh database. Every response must carry exactly the
fields notify.md lists for it, each of a JSON type Notify's OpenAPI spec gives
(notify_wire.py says where notify.md overrides the spec, and why), and errors
must come in the spec's error envelope.

Paging needs more than one page (250 a page). The notifications are sent
through the client in a loop, 10 to 15 ms each, rather than inserted into the
database: that is how real rows come to exist (encrypted personalisation,
rendered content, the worker's receipts), and it costs a few seconds. Received
texts are posted the way a gateway posts them, to the sandbox provider's
inbound route. Only the inbound number itself goes straight into the database,
as there is no CLI for it.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from govplatform.core.settings import normalise_database_url
from govplatform.notify.models import SmsSender
from tests.conftest import drop_database, new_database
from tests.integration.notify import notify_wire as wire
from tests.integration.notify.live_server import World, a_letter_pdf, eventually, serving
from tests.integration.notify.notify_openapi import NotifySpec, conform

pytestmark = pytest.mark.process

PAGE_SIZE = 250
INBOUND_NUMBER = "447700900500"  # the service's number citizens text, in the platform's international format
ADDRESS = {"address_line_1": "A. Person", "address_line_2": "1 High Street", "address_line_3": "SW1A 1AA"}
NOWHERE = {**ADDRESS, "address_line_3": "nowhere", "name": "Ada"}  # not a postcode
EMAIL_PERSONALISATION = {"name": "Ada", "day": "Tuesday", "time": "7am"}
SMS_PERSONALISATION = {"name": "Ada", "day": "Tuesday"}


class Conformance(World):
    """The shared world, plus a text sender that is also the service's inbound number."""

    sms_sender_id: str


async def add_inbound_number(database_url: str, service_id: str) -> str:
    """A text sender that is also the number citizens text back: the server's database, as no CLI makes one."""
    sender_id = uuid.uuid4()
    engine = create_async_engine(normalise_database_url(database_url))
    try:
        async with AsyncSession(engine) as session:
            session.add(SmsSender(id=sender_id, service_id=uuid.UUID(service_id), sms_sender="07700900500",
                                  is_default=False, inbound_number=INBOUND_NUMBER, archived=False))  # fmt: skip
            await session.commit()
    finally:
        await engine.dispose()
    return str(sender_id)


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Conformance]:
    var_dir = tmp_path_factory.mktemp("notify-conformance")
    database_url = await new_database(var_dir)
    try:
        with serving(var_dir, database_url) as platform:
            world = Conformance(platform)
            world.sms_sender_id = await add_inbound_number(database_url, world.service_id)
            yield world
    finally:
        await drop_database(database_url)


@pytest.fixture(scope="module")
def spec(reference_dir: Path) -> wire.Wire:
    return wire.Wire(NotifySpec(reference_dir / "govuk-notify-openapi"))


@pytest.fixture(scope="module", params=["test", "live"])
def key_type(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def client(world: Conformance, key_type: str) -> NotificationsAPIClient:
    return world.platform.client(world.test_key if key_type == "test" else world.live_key)


def delivered(client: NotificationsAPIClient, notification_id: str) -> bool:
    return bool(client.get_notification_by_id(notification_id)["status"] == "delivered")


class Sent:
    """One of each kind of message sent with one key: the 201 bodies, and each notification's kind by id."""

    def __init__(self, world: Conformance, client: NotificationsAPIClient, key_type: str) -> None:
        self.reference = f"every-kind-{key_type}"
        self.email = client.send_email_notification(
            "someone@example.com", world.email_template, personalisation={**EMAIL_PERSONALISATION,
            "name": "Ada [link](https://evil.example)"}, reference=self.reference, sanitise_content_for=["name"],
            one_click_unsubscribe_url="https://example.com/unsubscribe?u=1",
        )  # fmt: skip
        self.unreferenced_email = client.send_email_notification(
            "someone@example.com", world.email_template, personalisation=EMAIL_PERSONALISATION
        )
        self.sms = client.send_sms_notification(
            "07700900123", world.sms_template, SMS_PERSONALISATION, self.reference, world.sms_sender_id
        )
        self.letter = client.send_letter_notification(
            world.letter_template, personalisation={**ADDRESS, "name": "Ada"}, reference=self.reference
        )
        self.precompiled = client.send_precompiled_letter_notification(
            self.reference, io.BytesIO(a_letter_pdf()), postage="first"
        )
        sent = {"email": self.email, "sms": self.sms, "letter": self.letter, "precompiled": self.precompiled}
        self.kinds = {body["id"]: kind for kind, body in sent.items()} | {self.unreferenced_email["id"]: "email"}
        for body in (self.email, self.unreferenced_email, self.sms):
            assert eventually(functools.partial(delivered, client, body["id"])), body["id"]
        if key_type == "test":  # test letters get a simulated print receipt from the worker
            for body in (self.letter, self.precompiled):
                assert eventually(lambda id=body["id"]: client.get_notification_by_id(id)["status"] == "received")


@pytest.fixture(scope="module")
def sent(world: Conformance, client: NotificationsAPIClient, key_type: str) -> Sent:
    return Sent(world, client, key_type)


def check_times(value: dict[str, Any], *names: str) -> None:
    for name in names:
        if value[name] is not None:
            assert re.match(wire.TIMESTAMP, value[name]), (name, value[name])


def check_links(links: dict[str, str], items: list[Any]) -> None:
    """notify.md: `next` whenever the page is not empty, with older_than first (the client takes the first UUID)."""
    assert set(links) == (wire.PAGE_LINKS if items else {"current"})
    if items:
        assert links["next"].split("?", 1)[1].startswith(f"older_than={items[-1]['id']}")


def test_notify_md_and_the_spec_name_the_same_fields(spec: wire.Wire) -> None:
    """The field lists in notify_wire.py, from notify.md, are the spec's, apart from the differences noted there."""
    for kind in ("sms", "email", "letter", "precompiled"):
        assert set(spec.sent(kind).fields()) == wire.SENT_FIELDS[kind]
        if kind != "precompiled":
            assert set(spec.sent(kind).field("content").fields()) == wire.SENT_CONTENT[kind]
            assert set(spec.sent(kind).field("template").fields()) == wire.TEMPLATE_REF
    raw = spec.spec.response("/v2/notifications/{notification_id}", "get", 200)
    for kind, variant in wire.NOTIFICATION_VARIANTS.items():
        assert set(raw.variant(variant).fields()) == wire.NOTIFICATION  # no estimated_delivery in the spec
        cost_details = raw.variant(variant).field("cost_details")
        assert set(cost_details.fields()) == wire.COST_DETAILS["letter" if "letter" in variant else kind]
    for template_type in ("sms", "email", "letter"):
        assert set(spec.template(template_type).fields()) == wire.TEMPLATE
    assert set(spec.preview().fields()) == wire.PREVIEW
    texts = spec.received_texts()
    each_text = texts.field("received_text_messages").items
    assert each_text is not None and set(each_text.fields()) == wire.RECEIVED_TEXT
    assert set(texts.field("links").fields()) == wire.PAGE_LINKS
    assert set(spec.page_of_notifications().field("links").fields()) == wire.PAGE_LINKS


@pytest.mark.parametrize("kind", ["email", "sms", "letter", "precompiled"])
def test_a_send_answers_with_every_field_notify_lists(spec: wire.Wire, sent: Sent, kind: str) -> None:
    body = getattr(sent, kind)
    assert set(body) == wire.SENT_FIELDS[kind]
    conform(body, spec.sent(kind), f"POST {kind}")
    uuid.UUID(body["id"])
    assert body["reference"] == sent.reference
    if kind == "precompiled":
        assert body["postage"] == "first"
        return
    assert set(body["content"]) == wire.SENT_CONTENT[kind] and body["scheduled_for"] is None
    if kind == "email":
        assert body["content"]["one_click_unsubscribe_url"] == "https://example.com/unsubscribe?u=1"
        assert set(body["sanitised_content"]) == {"name"}
        assert set(body["sanitised_content"]["name"]) == {"unsanitised", "sanitised"}
        conform(sent.unreferenced_email, spec.sent("email"), "POST email without a reference")
        assert sent.unreferenced_email["reference"] is None and sent.unreferenced_email["sanitised_content"] == {}
    if kind == "sms":
        assert body["content"]["from_number"] == "07700900500"  # the sms_sender_id given


@pytest.mark.parametrize("kind", ["email", "sms", "letter", "precompiled"])
def test_a_notification_read_by_id_has_every_field_of_its_kind(
    spec: wire.Wire, client: NotificationsAPIClient, sent: Sent, key_type: str, kind: str
) -> None:
    found = client.get_notification_by_id(getattr(sent, kind)["id"])
    letter = kind in ("letter", "precompiled")
    assert set(found) == wire.NOTIFICATION | (wire.LETTER_ONLY if letter else set())
    conform(found, spec.notification(kind, found), f"GET {kind}")
    check_times(found, "created_at", "sent_at", "completed_at", *(wire.LETTER_ONLY if letter else ()))
    assert found["type"] == ("letter" if letter else kind) and found["reference"] == sent.reference
    assert set(found["template"]) == wire.TEMPLATE_REF
    if found["status"] in ("delivered", "received"):
        assert found["sent_at"] is not None and found["completed_at"] is not None
    if found["is_cost_data_ready"]:
        assert set(found["cost_details"]) == wire.COST_DETAILS["letter" if letter else kind]
    if not letter:
        assert found["status"] == "delivered" and found["is_cost_data_ready"] is True
    else:
        assert found["status"] == ("received" if key_type == "test" else "accepted")


def test_a_page_of_notifications_has_every_field_of_each_kind(
    spec: wire.Wire, client: NotificationsAPIClient, sent: Sent
) -> None:
    page = client.get_all_notifications(reference=sent.reference, include_jobs=True)
    assert set(page) == {"notifications", "links"}
    conform(page, spec.page_of_notifications(), "GET /v2/notifications", pick=spec.pick_notification(sent.kinds))
    assert {item["id"] for item in page["notifications"]} == set(sent.kinds) - {sent.unreferenced_email["id"]}
    check_links(page["links"], page["notifications"])
    for item in page["notifications"]:
        check_times(item, "created_at", "sent_at", "completed_at")
    only_delivered_texts = client.get_all_notifications(
        status="delivered", template_type="sms", reference=sent.reference
    )
    assert [n["id"] for n in only_delivered_texts["notifications"]] == [sent.sms["id"]]
    check_links(only_delivered_texts["links"], only_delivered_texts["notifications"])


@pytest.fixture(scope="module")
def many_sent(world: Conformance, client: NotificationsAPIClient, key_type: str) -> list[str]:
    """More than a page of text messages with this key, oldest first."""
    return [
        client.send_sms_notification("07700900456", world.sms_template, personalisation={"name": str(n), "day": "x"},
                                     reference=f"paging-{key_type}")["id"]
        for n in range(PAGE_SIZE + 7)
    ]  # fmt: skip


def test_the_iterator_pages_through_more_than_one_page(
    spec: wire.Wire, client: NotificationsAPIClient, many_sent: list[str], key_type: str
) -> None:
    reference, newest_first = f"paging-{key_type}", many_sent[::-1]
    kinds = dict.fromkeys(many_sent, "sms")
    pages: list[list[str]] = []
    older_than = None
    while True:
        page = client.get_all_notifications(reference=reference, older_than=older_than)
        conform(page, spec.page_of_notifications(), f"page {len(pages)}", pick=spec.pick_notification(kinds))
        check_links(page["links"], page["notifications"])
        pages.append([item["id"] for item in page["notifications"]])
        if not page["notifications"]:
            break
        older_than = pages[-1][-1]
    assert [len(ids) for ids in pages] == [PAGE_SIZE, 7, 0]
    assert [i for ids in pages for i in ids] == newest_first
    iterated = list(client.get_all_notifications_iterator(reference=reference))
    assert [item["id"] for item in iterated] == newest_first
    for item in iterated[:: PAGE_SIZE // 5]:
        conform(item, spec.notification("sms", item), "an iterated notification")


@pytest.mark.parametrize("kind", ["letter", "precompiled"])
def test_a_letters_pdf_comes_back_as_the_spec_says(
    spec: wire.Wire, client: NotificationsAPIClient, sent: Sent, kind: str
) -> None:
    assert spec.spec.media_type("/v2/notifications/{notification_id}/pdf", "get", 200) == "application/pdf"
    pdf = client.get_pdf_for_letter(getattr(sent, kind)["id"]).read()
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF-")
    if kind == "precompiled":
        assert pdf == a_letter_pdf()


@pytest.mark.parametrize("template_type", ["sms", "email", "letter"])
def test_a_template_by_id_and_by_version_has_every_field(
    spec: wire.Wire, world: Conformance, client: NotificationsAPIClient, template_type: str
) -> None:
    template_id = getattr(world, f"{template_type}_template")
    template = client.get_template(template_id)
    assert set(template) == wire.TEMPLATE
    conform(template, spec.template(template_type), f"GET template {template_type}")
    check_times(template, "created_at", "updated_at")
    # notify.md: personalisation is {name: {"required": true}}; the spec says only "object".
    assert template["personalisation"] and all(v == {"required": True} for v in template["personalisation"].values())
    assert (template["id"], template["type"], template["version"]) == (template_id, template_type, 1)
    versioned = client.get_template_version(template_id, 1)
    conform(versioned, spec.template(template_type, version=True), f"GET template {template_type} version 1")
    assert versioned == template


@pytest.mark.parametrize("template_type", [None, "sms", "email", "letter"])
def test_all_templates_have_every_field(
    spec: wire.Wire, world: Conformance, client: NotificationsAPIClient, template_type: str | None
) -> None:
    found = client.get_all_templates(template_type)
    assert set(found) == {"templates"}
    conform(found, spec.templates(), "GET /v2/templates")
    assert {t["type"] for t in found["templates"]} == ({template_type} if template_type else {"sms", "email", "letter"})
    for template in found["templates"]:
        assert set(template) == wire.TEMPLATE
        check_times(template, "created_at", "updated_at")


@pytest.mark.parametrize(
    ("template_type", "personalisation"),
    [("email", EMAIL_PERSONALISATION), ("sms", SMS_PERSONALISATION), ("letter", {"name": "Ada"})],
)
def test_a_preview_has_every_field(
    spec: wire.Wire,
    world: Conformance,
    client: NotificationsAPIClient,
    template_type: str,
    personalisation: dict[str, str],
) -> None:
    preview = client.post_template_preview(getattr(world, f"{template_type}_template"), personalisation)
    assert set(preview) == wire.PREVIEW
    conform(preview, spec.preview(), f"preview {template_type}")
    # notify.md: html is for email only; the spec makes it nullable, and it is null for the others.
    assert (preview["html"] is not None) == (template_type == "email")
    assert "Ada" in preview["body"] and preview["type"] == template_type


@pytest.fixture(scope="module")
def received(world: Conformance) -> list[str]:
    """More than a page of texts to the service's number, posted as a gateway posts them; contents oldest first."""
    secret = world.platform.secret("notify_provider_callback_secret")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    contents = [f"Reply {n}" for n in range(PAGE_SIZE + 3)]
    with httpx.Client(base_url=world.platform.url, auth=("gateway", secret)) as gateway:
        for n, content in enumerate(contents):
            form = {"source": "07700900123", "destination": INBOUND_NUMBER, "message": content,
                    "received_at": (start + dt.timedelta(seconds=n)).isoformat()}  # fmt: skip
            assert gateway.post("/notifications/sms/inbound/sandbox", data=form).status_code == 200
    return contents


def test_received_texts_have_every_field_and_the_iterator_reads_every_page(
    spec: wire.Wire, world: Conformance, client: NotificationsAPIClient, received: list[str]
) -> None:
    page = client.get_received_texts()
    assert set(page) == {"received_text_messages", "links"}
    conform(page, spec.received_texts(), "GET /v2/received-text-messages")
    texts = page["received_text_messages"]
    assert len(texts) == PAGE_SIZE and all(set(text) == wire.RECEIVED_TEXT for text in texts)
    check_links(page["links"], texts)
    first = texts[0]
    check_times(first, "created_at")
    assert (first["user_number"], first["notify_number"], first["service_id"]) == (
        "447700900123", INBOUND_NUMBER, world.service_id
    )  # fmt: skip
    second = client.get_received_texts(older_than=texts[-1]["id"])
    conform(second, spec.received_texts(), "the second page of received texts")
    check_links(second["links"], second["received_text_messages"])
    assert len(second["received_text_messages"]) == len(received) - PAGE_SIZE
    after = client.get_received_texts(older_than=second["received_text_messages"][-1]["id"])
    conform(after, spec.received_texts(), "the page after the last")
    assert after["received_text_messages"] == [] and set(after["links"]) == {"current"}
    iterated = list(client.get_received_texts_iterator())
    assert [text["content"] for text in iterated] == received[::-1]


Call = Callable[[NotificationsAPIClient, Conformance, Sent], object]


def error_case(status: int, name: str, path: str, method: str, call: Call, client_method: str) -> Any:
    return pytest.param(path, method, name, status, call, id=f"{status}-{client_method}")


ERRORS = [
    error_case(400, "ValidationError", "/v2/notifications/email", "post",
               lambda c, w, s: c.send_email_notification("not-an-email", w.email_template, EMAIL_PERSONALISATION),
               "send_email_notification"),
    error_case(400, "ValidationError", "/v2/notifications/sms", "post",
               lambda c, w, s: c.send_sms_notification("07123", w.sms_template, SMS_PERSONALISATION),
               "send_sms_notification"),
    error_case(400, "ValidationError", "/v2/notifications/letter", "post",
               lambda c, w, s: c.send_letter_notification(w.letter_template, NOWHERE),
               "send_letter_notification"),
    error_case(400, "BadRequestError", "/v2/notifications/letter", "post",
               lambda c, w, s: c.send_precompiled_letter_notification("not-a-pdf", io.BytesIO(b"hello")),
               "send_precompiled_letter_notification"),
    error_case(400, "ValidationError", "/v2/notifications/{notification_id}", "get",
               lambda c, w, s: c.get_notification_by_id("x"), "get_notification_by_id"),
    error_case(400, "ValidationError", "/v2/notifications", "get",
               lambda c, w, s: c.get_all_notifications(status="nope"), "get_all_notifications"),
    error_case(400, "BadRequestError", "/v2/notifications/{notification_id}/pdf", "get",
               lambda c, w, s: c.get_pdf_for_letter(s.sms["id"]), "get_pdf_for_letter"),
    error_case(400, "ValidationError", "/v2/template/{template_id}", "get",
               lambda c, w, s: c.get_template("nope"), "get_template"),
    error_case(400, "ValidationError", "/v2/templates", "get",
               lambda c, w, s: c.get_all_templates("nope"), "get_all_templates"),
    error_case(400, "BadRequestError", "/v2/template/{template_id}/preview", "post",
               lambda c, w, s: c.post_template_preview(w.email_template, {"name": "Ada"}), "post_template_preview"),
    error_case(400, "ValidationError", "/v2/received-text-messages", "get",
               lambda c, w, s: c.get_received_texts(older_than="nope"), "get_received_texts"),
    error_case(404, "NoResultFound", "/v2/notifications/{notification_id}", "get",
               lambda c, w, s: c.get_notification_by_id(str(uuid.uuid4())), "get_notification_by_id"),
    error_case(404, "NoResultFound", "/v2/notifications/{notification_id}/pdf", "get",
               lambda c, w, s: c.get_pdf_for_letter(str(uuid.uuid4())), "get_pdf_for_letter"),
    error_case(404, "NoResultFound", "/v2/template/{template_id}", "get",
               lambda c, w, s: c.get_template(str(uuid.uuid4())), "get_template"),
    error_case(404, "NoResultFound", "/v2/template/{template_id}/version/{version}", "get",
               lambda c, w, s: c.get_template_version(w.sms_template, 99), "get_template_version"),
]  # fmt: skip
# 403: the key's own name and service with a secret that is not the service's (a mistyped key).
FORBIDDEN = [
    pytest.param("/v2/notifications/email", "post",
                 lambda c: c.send_email_notification("a@example.com", str(uuid.uuid4())), id="send_email_notification"),
    pytest.param("/v2/notifications/{notification_id}", "get", lambda c: c.get_notification_by_id(str(uuid.uuid4())),
                 id="get_notification_by_id"),
    pytest.param("/v2/templates", "get", lambda c: c.get_all_templates(), id="get_all_templates"),
    pytest.param("/v2/received-text-messages", "get", lambda c: c.get_received_texts(), id="get_received_texts"),
]  # fmt: skip


def check_error(spec: wire.Wire, path: str, method: str, status: int, raised: HTTPError) -> list[dict[str, str]]:
    """The spec's error envelope for that response: {status_code, errors: [{error, message}]}."""
    assert raised.status_code == status
    body = raised.response.json()  # type: ignore[union-attr]
    assert set(body) == wire.ERROR_ENVELOPE and body["status_code"] == status
    conform(body, spec.error(path, method, status), f"{status} from {method.upper()} {path}")
    assert body["errors"] and all(set(error) == wire.ERROR for error in body["errors"])
    return list(body["errors"])


@pytest.mark.parametrize(("path", "method", "name", "status", "call"), ERRORS)
def test_errors_come_in_the_specs_envelope(
    spec: wire.Wire, world: Conformance, client: NotificationsAPIClient, sent: Sent,
    path: str, method: str, name: str, status: int, call: Call,
) -> None:  # fmt: skip
    with pytest.raises(HTTPError) as raised:
        call(client, world, sent)
    errors = check_error(spec, path, method, status, raised.value)
    assert {error["error"] for error in errors} == {name}


@pytest.mark.parametrize(("path", "method", "call"), FORBIDDEN)
def test_a_wrong_key_is_refused_in_the_specs_envelope(
    spec: wire.Wire, world: Conformance, key_type: str, path: str, method: str, call: Callable[[Any], object]
) -> None:
    mistyped = f"{key_type}_key-{world.service_id}-{uuid.uuid4()}"
    with pytest.raises(HTTPError) as raised:
        call(world.platform.client(mistyped))
    errors = check_error(spec, path, method, 403, raised.value)
    assert errors == [{"error": "AuthError", "message": "Invalid token: API key not found"}]


def test_the_check_refuses_a_missing_field_an_extra_field_a_wrong_type_and_a_bad_enum(spec: wire.Wire) -> None:
    """So a pass above means something: the same check on a good body with one thing wrong at a time."""
    good = {"id": str(uuid.uuid4()), "type": "sms", "version": 1, "body": "Hi", "html": None, "subject": None,
            "postage": None}  # fmt: skip
    conform(good, spec.preview())
    for wrong in ({k: v for k, v in good.items() if k != "html"}, {**good, "extra": 1}, {**good, "version": "1"},
                  {**good, "version": True}, {**good, "body": None}, {**good, "type": "fax"}):  # fmt: skip
        with pytest.raises(AssertionError):
            conform(wrong, spec.preview())
