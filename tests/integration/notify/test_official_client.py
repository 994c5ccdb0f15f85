"""The official notifications-python-client, unchanged, against a real `govplatform serve` process.

Set-up goes through the CLI an operator would use (`notify key create`,
`notify template create`, `notify limits`), and every call goes over HTTP
exactly as the client makes it, so what passes here works for any service
that points its existing integration at the platform.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import AsyncIterator

import pytest
from notifications_python_client.errors import HTTPError
from pypdf import PdfReader

from tests.conftest import drop_database, new_database
from tests.integration.notify.live_server import World, a_letter_pdf, eventually, serving
from tests.integration.notify.receiver import callback_receiver

pytestmark = pytest.mark.process


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    var_dir = tmp_path_factory.mktemp("notify-client")
    database_url = await new_database(var_dir)
    try:
        with serving(var_dir, database_url) as platform, callback_receiver() as receiver:
            world = World(platform)
            world.receiver = receiver
            platform.cli_json("notify", "callback", "--service", world.service_id, "--type", "delivery_status",
                              "--url", receiver.url, "--token", "the-services-own-token")  # fmt: skip
            yield world
    finally:
        await drop_database(database_url)


EMAIL_PERSONALISATION = {"name": "Ada", "day": "Tuesday", "time": "7am"}
NOTIFICATION_FIELDS = {
    "id", "reference", "email_address", "phone_number", "line_1", "line_2", "line_3", "line_4", "line_5", "line_6",
    "postcode", "type", "status", "template", "body", "subject", "created_at", "created_by_name", "sent_at",
    "completed_at", "scheduled_for", "postage", "one_click_unsubscribe_url", "is_cost_data_ready", "cost_in_pounds",
    "cost_details",
}  # fmt: skip
TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"


def test_an_email_sent_with_a_test_key_is_accepted_and_then_delivered(world: World) -> None:
    client = world.platform.client(world.test_key)
    sent = client.send_email_notification(
        "someone@example.com", world.email_template, personalisation=EMAIL_PERSONALISATION, reference="ref-1"
    )
    assert set(sent) == {"id", "reference", "uri", "template", "scheduled_for", "content", "sanitised_content"}
    assert sent["reference"] == "ref-1" and sent["scheduled_for"] is None and sent["sanitised_content"] == {}
    assert sent["content"]["subject"] == "Bins on Tuesday"
    assert sent["content"]["body"] == "Hello Ada, your bin is collected on Tuesday at 7am."
    assert sent["content"]["from_email"] == "bin.collections@127.0.0.1"
    assert sent["content"]["one_click_unsubscribe_url"] is None
    assert sent["template"] == {
        "id": world.email_template,
        "version": 1,
        "uri": f"{world.platform.url}/services/{world.service_id}/templates/{world.email_template}",
    }
    assert sent["uri"] == f"{world.platform.url}/v2/notifications/{sent['id']}"

    delivered = eventually(lambda: (n := client.get_notification_by_id(sent["id"]))["status"] == "delivered" and n)
    assert delivered, client.get_notification_by_id(sent["id"])
    assert set(delivered) == NOTIFICATION_FIELDS
    assert delivered["email_address"] == "someone@example.com" and delivered["phone_number"] is None
    assert delivered["type"] == "email" and delivered["reference"] == "ref-1"
    assert delivered["body"] == sent["content"]["body"] and delivered["subject"] == "Bins on Tuesday"
    assert delivered["cost_in_pounds"] == 0.0 and delivered["is_cost_data_ready"] is True
    for field in ("created_at", "sent_at", "completed_at"):
        assert re.match(TIMESTAMP, delivered[field]), (field, delivered[field])
    receipts = eventually(lambda: [r for r in world.receiver.received if r.body["id"] == sent["id"]])
    assert receipts, "the service's callback received the delivery receipt"
    assert receipts[0].headers["authorization"] == "Bearer the-services-own-token"
    assert receipts[0].body["status"] == "delivered" and receipts[0].body["to"] == "someone@example.com"


@pytest.mark.parametrize(
    ("recipient", "status"),
    [("perm-fail@simulator.notify", "permanent-failure"), ("temp-fail@simulator.notify", "temporary-failure")],
)
def test_the_simulated_failure_addresses_fail_as_notify_documents(world: World, recipient: str, status: str) -> None:
    client = world.platform.client(world.test_key)
    sent = client.send_email_notification(recipient, world.email_template, personalisation=EMAIL_PERSONALISATION)
    assert eventually(lambda: client.get_notification_by_id(sent["id"])["status"] == status)


def test_a_text_message_is_sent_with_the_template_filled_in(world: World) -> None:
    client = world.platform.client(world.test_key)
    sent = client.send_sms_notification(
        "07700 900123", world.sms_template, personalisation={"name": "Ada", "day": "Tuesday"}
    )
    assert sent["content"] == {"body": "Hi Ada, bins go out on Tuesday.", "from_number": "GOVUK"}
    found = eventually(lambda: (n := client.get_notification_by_id(sent["id"]))["status"] == "delivered" and n)
    assert found and found["phone_number"] == "07700 900123" and found["type"] == "sms"
    assert found["is_cost_data_ready"] is True
    assert found["cost_details"]["billable_sms_fragments"] == 1


def test_a_letter_is_accepted_with_its_address_and_shown_as_notify_shows_letters(world: World) -> None:
    client = world.platform.client(world.live_key)
    address = {"address_line_1": "A. Person", "address_line_2": "1 High Street", "address_line_3": "SW1A 1AA"}
    sent = client.send_letter_notification(world.letter_template, personalisation={**address, "name": "Ada"})
    assert sent["content"] == {"body": "Dear Ada\n\nYour collection day is changing.", "subject": "Collection changes"}
    found = client.get_notification_by_id(sent["id"])
    assert found["status"] == "accepted" and found["type"] == "letter"
    assert found["line_1"] == "A. Person" and found["line_3"] == "SW1A 1AA" and found["postage"] == "second"
    assert "estimated_delivery" in found


def test_smoke_test_recipients_get_a_201_and_are_not_stored(world: World) -> None:
    client = world.platform.client(world.live_key)
    sent = client.send_email_notification(
        "simulate-delivered@notifications.service.gov.uk", world.email_template, personalisation=EMAIL_PERSONALISATION
    )
    uuid.UUID(sent["id"])
    with pytest.raises(HTTPError) as error:
        client.get_notification_by_id(sent["id"])
    assert error.value.status_code == 404
    assert error.value.message == [{"error": "NoResultFound", "message": "No result found"}]


def test_templates_are_read_back_by_id_version_and_type(world: World) -> None:
    client = world.platform.client(world.live_key)
    template = client.get_template(world.email_template)
    assert template["id"] == world.email_template and template["type"] == "email" and template["version"] == 1
    assert template["body"].startswith("Hello ((name))") and template["subject"] == "Bins on ((day))"
    assert template["personalisation"] == {"day": {"required": True}, "name": {"required": True},
                                           "time": {"required": True}}  # fmt: skip
    assert template["created_by"] == "govplatform cli" and template["updated_at"] is None
    assert client.get_template_version(world.email_template, 1) == template
    all_sms = client.get_all_templates("sms")["templates"]
    assert [t["id"] for t in all_sms] == [world.sms_template] and all_sms[0]["subject"] is None
    assert {t["id"] for t in client.get_all_templates()["templates"]} == {
        world.email_template, world.sms_template, world.letter_template
    }  # fmt: skip


def test_a_preview_fills_in_the_template_and_renders_the_email_html(world: World) -> None:
    client = world.platform.client(world.live_key)
    preview = client.post_template_preview(world.email_template, EMAIL_PERSONALISATION)
    assert preview["body"] == "Hello Ada, your bin is collected on Tuesday at 7am."
    assert preview["subject"] == "Bins on Tuesday" and preview["type"] == "email" and preview["version"] == 1
    assert "<p" in preview["html"] and "Ada" in preview["html"]
    with pytest.raises(HTTPError) as error:
        client.post_template_preview(world.email_template, {"name": "Ada"})
    assert error.value.message == [{"error": "BadRequestError", "message": "Missing personalisation: day, time"}]


def test_listing_pages_with_the_iterator_and_sees_only_its_own_key_type(world: World) -> None:
    client = world.platform.client(world.test_key)
    ids = [
        client.send_sms_notification("07700900456", world.sms_template, personalisation={"name": n, "day": "Friday"},
                                     reference="paging")["id"]
        for n in ("A", "B", "C")
    ]  # fmt: skip
    page = client.get_all_notifications(reference="paging")
    assert [n["id"] for n in page["notifications"]] == ids[::-1]
    assert page["links"]["next"].split("?", 1)[1].startswith(f"older_than={ids[0]}")
    iterated = [n["id"] for n in client.get_all_notifications_iterator(reference="paging")]
    assert iterated == ids[::-1]
    live = world.platform.client(world.live_key).get_all_notifications(reference="paging")
    assert live["notifications"] == [] and "next" not in live["links"]


@pytest.mark.parametrize(
    ("call", "status", "errors"),
    [
        (lambda c, w: c.send_email_notification("not-an-email", w.email_template, EMAIL_PERSONALISATION), 400,
         [{"error": "ValidationError", "message": "email_address Not a valid email address"}]),
        (lambda c, w: c.send_email_notification("a@example.com", "nope"), 400,
         [{"error": "ValidationError", "message": "template_id is not a valid UUID"}]),
        (lambda c, w: c.send_email_notification("a@example.com", str(uuid.uuid4())), 400,
         [{"error": "BadRequestError", "message": "Template not found"}]),
        (lambda c, w: c.send_sms_notification("07700900123", w.email_template, EMAIL_PERSONALISATION), 400,
         [{"error": "BadRequestError", "message": "email template is not suitable for sms notification"}]),
        (lambda c, w: c.send_email_notification("a@example.com", w.email_template, {"name": "x"}), 400,
         [{"error": "BadRequestError", "message": "Missing personalisation: day, time"}]),
        (lambda c, w: c.send_sms_notification("07123", w.sms_template, {"name": "x", "day": "y"}), 400,
         [{"error": "ValidationError", "message": "phone_number Not enough digits"}]),
        (lambda c, w: c.send_letter_notification(w.letter_template, {"address_line_1": "A", "address_line_2": "B",
                                                                      "address_line_3": "nowhere", "name": "x"}), 400,
         [{"error": "ValidationError", "message": "Must be a real UK postcode"}]),
        (lambda c, w: c.get_template(str(uuid.uuid4())), 404,
         [{"error": "NoResultFound", "message": "No result found"}]),
        (lambda c, w: c.get_notification_by_id("nope"), 400,
         [{"error": "ValidationError", "message": "notification_id is not a valid UUID"}]),
    ],
)  # fmt: skip
def test_bad_requests_get_notifys_status_error_name_and_message(world: World, call, status, errors) -> None:
    client = world.platform.client(world.live_key)
    with pytest.raises(HTTPError) as error:
        call(client, world)
    assert (error.value.status_code, error.value.message) == (status, errors)


def test_a_revoked_or_unknown_key_is_refused_with_notifys_message(world: World) -> None:
    stranger = f"x-{world.service_id}-{uuid.uuid4()}"
    with pytest.raises(HTTPError) as error:
        world.platform.client(stranger).get_all_templates()
    assert error.value.status_code == 403
    assert error.value.message == [{"error": "AuthError", "message": "Invalid token: API key not found"}]


def test_a_precompiled_letter_is_accepted_and_its_pdf_comes_back_unchanged(world: World) -> None:
    client = world.platform.client(world.live_key)
    pdf = a_letter_pdf()
    sent = client.send_precompiled_letter_notification("permit-7", io.BytesIO(pdf), postage="first")
    assert set(sent) == {"id", "reference", "postage"}
    assert sent["reference"] == "permit-7" and sent["postage"] == "first"
    found = client.get_notification_by_id(sent["id"])
    assert found["status"] == "accepted" and found["type"] == "letter" and found["reference"] == "permit-7"
    assert client.get_pdf_for_letter(sent["id"]).read() == pdf


def test_a_templated_letters_pdf_comes_back_through_the_client(world: World) -> None:
    client = world.platform.client(world.live_key)
    address = {"address_line_1": "A. Person", "address_line_2": "1 High Street", "address_line_3": "SW1A 1AA"}
    sent = client.send_letter_notification(world.letter_template, personalisation={**address, "name": "Ada"})
    pdf = client.get_pdf_for_letter(sent["id"]).read()
    assert pdf.startswith(b"%PDF-") and "Dear Ada" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_a_pdf_that_is_not_a_pdf_is_refused_and_not_stored(world: World) -> None:
    client = world.platform.client(world.live_key)
    with pytest.raises(HTTPError) as error:
        client.send_precompiled_letter_notification("not-a-pdf", io.BytesIO(b"hello"))
    assert error.value.status_code == 400
    assert error.value.message == [{"error": "BadRequestError", "message": "Letter content is not a valid PDF"}]
    assert client.get_all_notifications(reference="not-a-pdf")["notifications"] == []


def test_sanitise_content_for_defuses_a_link_in_a_personalisation_value(world: World) -> None:
    client = world.platform.client(world.test_key)
    evil = "Ada, now [click this evil link](https://evil.link)"
    sent = client.send_email_notification(
        "someone@example.com",
        world.email_template,
        personalisation={**EMAIL_PERSONALISATION, "name": evil},
        sanitise_content_for=["name"],
    )
    assert sent["sanitised_content"]["name"]["unsanitised"] == evil
    assert "https://evil.link" not in sent["sanitised_content"]["name"]["sanitised"]
    assert "https://evil.link" not in sent["content"]["body"]
