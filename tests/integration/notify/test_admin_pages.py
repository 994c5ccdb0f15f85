"""Notify's admin pages through the app: templates, test sends, sent messages, guest list, senders, usage,
limits, and notify API keys on the service page, as editors, viewers, admins and outsiders see them."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import httpx
from sqlalchemy import select

from govplatform.core.interfaces import utcnow
from govplatform.core.platform import Platform
from govplatform.core.services import staff
from govplatform.notify.models import GuestListEntry, Notification, ReplyToAddress, SmsSender
from govplatform.notify.services import settings as notify_settings
from govplatform.notify.services.usage import daily_usage
from tests.helpers import CLI, another_browser, csrf_from, post_form, ready_user, service_with_org, sign_in
from tests.integration.notify.support import bearer, live_service, notify_key, template

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


async def signed_in_member(
    platform: Platform, client: httpx.AsyncClient, service_id: uuid.UUID, role: str, email: str | None = None
) -> str:
    email = email or f"{role}-{uuid.uuid4().hex[:6]}@example.gov.uk"
    user_id, secret = await ready_user(platform, email)
    async with platform.uow() as uow:
        await staff.set_role(uow, CLI, service_id, user_id, role)
        await uow.commit()
    await sign_in(client, email, secret)
    return email


async def signed_in_platform_admin(platform: Platform, client: httpx.AsyncClient) -> str:
    email = f"admin-{uuid.uuid4().hex[:6]}@example.gov.uk"
    _, secret = await ready_user(platform, email, platform_admin=True)
    await sign_in(client, email, secret)
    return email


def notify_path(service_id: uuid.UUID) -> str:
    return f"/admin/services/{service_id}/notify"


def stored_message(service_id: uuid.UUID, **fields: object) -> Notification:
    """A notification row as the sending service would store it, for pages to list and count."""
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "service_id": service_id,
        "template_id": None,
        "template_version": 0,
        "key_type": "normal",
        "type": "email",
        "recipient": "someone@example.com",
        "status": "sending",
        "created_at": utcnow(),
        "billable_units": 0,
    }
    values.update(fields)
    values.setdefault("normalised_recipient", str(values["recipient"]).lower())
    return Notification(**values)


async def create_email_template(client: httpx.AsyncClient, base: str, **fields: str) -> httpx.Response:
    form = {"name": "Appointment", "subject": "Your appointment", "content": "Hello ((name))", "action": "save"}
    return await post_form(client, f"{base}/templates/new/email", f"{base}/templates/new/email", {**form, **fields})


# Templates -------------------------------------------------------------------------------------------------------


async def test_an_editor_creates_and_edits_a_template_and_the_api_then_reads_version_2(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    await signed_in_member(platform, client, service_id, "editor")
    base = notify_path(service_id)
    assert "This service has no templates yet." in (await client.get(f"{base}/templates")).text

    chosen = await post_form(client, f"{base}/templates/new", f"{base}/templates/new", {"template_type": "email"})
    assert chosen.status_code == 303 and chosen.headers["location"] == f"{base}/templates/new/email"
    created = await create_email_template(client, base)
    assert created.status_code == 303, created.text
    template_page = created.headers["location"].split("?")[0]
    template_id = template_page.rsplit("/", 1)[1]
    shown = await client.get(created.headers["location"])
    assert "Template saved as version 1" in shown.text
    assert '<mark class="notify-placeholder">((name))</mark>' in shown.text

    edited = await post_form(
        client,
        f"{template_page}/edit",
        f"{template_page}/edit",
        {
            "name": "Appointment",
            "subject": "Your new appointment",
            "content": "Hello ((name)), see you soon",
            "action": "save",
        },
    )
    assert edited.status_code == 303 and edited.headers["location"].endswith("?saved=2")
    history = (await client.get(f"{template_page}/versions")).text
    assert f"{template_page}/versions/1" in history and f"{template_page}/versions/2" in history
    first = (await client.get(f"{template_page}/versions/1")).text
    assert "This is version 1, not the latest." in first and "Your appointment" in first
    assert "see you soon" not in first

    key = await notify_key(platform, service_id)
    api = await client.get(f"/v2/template/{template_id}", headers=bearer(key))
    assert api.status_code == 200
    assert api.json()["version"] == 2
    assert api.json()["body"] == "Hello ((name)), see you soon"
    assert api.json()["subject"] == "Your new appointment"
    listed = (await client.get(f"{base}/templates?type=email")).text
    assert "Appointment" in listed
    assert "There are no templates of this type yet." in (await client.get(f"{base}/templates?type=sms")).text


async def test_preview_shows_the_template_filled_in_with_placeholders_marked_and_saves_nothing(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    await signed_in_member(platform, client, service_id, "editor")
    base = notify_path(service_id)
    content = "# Your visit\n\nHello ((first name)), <script>alert(1)</script>\n\n* bring ((document))"
    preview = await create_email_template(client, base, content=content, subject="About ((day))", action="preview")
    assert preview.status_code == 200
    assert "Preview (not saved)" in preview.text
    assert '<h2 class="govuk-heading-m">Your visit</h2>' in preview.text
    assert '<mark class="notify-placeholder">((first name))</mark>' in preview.text
    assert '<mark class="notify-placeholder">((day))</mark>' in preview.text
    assert "<script>alert(1)</script>" not in preview.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in preview.text
    assert 'style="' not in preview.text.split("Preview (not saved)")[1], "inline styles would break the CSP"
    assert "* bring ((document))</textarea>" in preview.text, "the form keeps what was typed"
    assert "This service has no templates yet." in (await client.get(f"{base}/templates")).text

    text_page = f"{base}/templates/new/sms"
    long_text = await post_form(
        client, text_page, text_page, {"name": "Reminder", "content": "Hi ((name)) " + "x" * 200, "action": "preview"}
    )
    assert "Characters" in long_text.text
    assert re.search(r"Charged as \(text messages\)\s*</dt>\s*<dd[^>]*>\s*2\s*</dd>", long_text.text)


async def test_a_template_that_breaks_the_rules_gets_an_error_summary_and_keeps_what_was_typed(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    await signed_in_member(platform, client, service_id, "editor")
    base = notify_path(service_id)
    unnamed = await create_email_template(client, base, name="  ", content="Keep this text")
    assert unnamed.status_code == 400
    assert "<title>Error: " in unnamed.text and "There is a problem" in unnamed.text
    assert '<a href="#name">Enter a template name</a>' in unnamed.text
    assert "Keep this text" in unnamed.text
    no_subject = await create_email_template(client, base, subject="")
    assert '<a href="#subject">Enter a subject</a>' in no_subject.text
    text_page = f"{base}/templates/new/sms"
    too_long = await post_form(client, text_page, text_page, {"name": "Long", "content": "a" * 919, "action": "save"})
    assert too_long.status_code == 400
    assert '<a href="#content">Text messages cannot be longer than 918 characters</a>' in too_long.text
    no_type = await post_form(client, f"{base}/templates/new", f"{base}/templates/new", {})
    assert no_type.status_code == 400 and '<a href="#template_type">Select the type of template</a>' in no_type.text
    assert (await client.get(f"{base}/templates/new/fax")).status_code == 404
    assert (await client.get(f"{base}/templates/{uuid.uuid4()}")).status_code == 404


async def test_a_text_message_and_a_letter_template_show_their_own_previews(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform, name="Bins")
    await signed_in_member(platform, client, service_id, "viewer")
    base = notify_path(service_id)
    text_id = await template(platform, service_id, "sms", "Your bin day is ((day))")
    letter_id = await template(platform, service_id, "letter", "Dear ((name))\n\nYour permit.", "Permit for ((street))")
    text_page = (await client.get(f"{base}/templates/{text_id}")).text
    assert "Bins: Your bin day is" in text_page, "the service name prefixes texts by default"
    assert "Send a test to yourself" not in text_page and "Edit this template" not in text_page
    letter_page = (await client.get(f"{base}/templates/{letter_id}")).text
    assert 'Permit for <mark class="notify-placeholder">((street))</mark>' in letter_page
    assert 'Dear <mark class="notify-placeholder">((name))</mark>' in letter_page


# Sending a test ---------------------------------------------------------------------------------------------------


async def test_an_editor_sends_a_test_email_to_themselves_and_it_is_stored_with_their_name(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    email = await signed_in_member(platform, client, service_id, "editor", "Editor.Person@example.gov.uk")
    base = notify_path(service_id)
    template_id = await template(platform, service_id, "email", "Hello ((name)), your code is ((code))", "Code")
    form_page = f"{base}/templates/{template_id}/send-test"
    shown = await client.get(form_page)
    assert shown.status_code == 200 and "((name))" in shown.text and 'id="placeholder-1"' in shown.text
    assert "editor.person@example.gov.uk" in shown.text.lower()

    missing = await post_form(client, form_page, form_page, {"placeholder-0": "Ada", "placeholder-1": " "})
    assert missing.status_code == 400 and '<a href="#placeholder-1">Enter a value for code</a>' in missing.text

    sent = await post_form(client, form_page, form_page, {"placeholder-0": "Ada", "placeholder-1": "C-3PO"})
    assert sent.status_code == 200, sent.text
    assert "Test message sent" in sent.text
    message_link = re.search(rf'href="({base}/messages/({UUID}))"', sent.text)
    assert message_link
    async with platform.uow() as uow:
        row = await uow.session.get(Notification, uuid.UUID(message_link.group(2)))
    assert row is not None
    assert row.created_by_name == email.lower()
    assert (row.recipient.lower(), row.key_type, row.api_key_id, row.type) == (email.lower(), "normal", None, "email")
    assert "C-3PO" not in (row.personalisation or ""), "personalisation is stored encrypted"
    message = (await client.get(message_link.group(1))).text
    assert "Hello Ada, your code is C-3PO" in message and email.lower() in message.lower()


async def test_someone_outside_the_team_of_a_trial_mode_service_cannot_send_a_test(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    await signed_in_platform_admin(platform, client)
    template_id = await template(platform, service_id, "email", "Hello", "Hi")
    form_page = f"{notify_path(service_id)}/templates/{template_id}/send-test"
    refused = await post_form(client, form_page, form_page, {})
    assert refused.status_code == 400
    assert "Your service is in trial mode, so it can only send messages to its team and guest list." in refused.text
    text_id = await template(platform, service_id, "sms", "Hello")
    assert (await client.get(f"{notify_path(service_id)}/templates/{text_id}/send-test")).status_code == 404


# Sent messages ----------------------------------------------------------------------------------------------------


async def send(client: httpx.AsyncClient, key: str, kind: str, body: dict[str, object]) -> str:
    response = await client.post(f"/v2/notifications/{kind}", json=body, headers=bearer(key))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_sent_messages_are_listed_filtered_searched_and_shown_one_by_one(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await live_service(platform)
    key, test_key = await notify_key(platform, service_id), await notify_key(platform, service_id, "test")
    email_template = await template(platform, service_id, "email", "Dear ((name))", "Hello")
    text_template = await template(platform, service_id, "sms", "Code ((code))")
    letter_template = await template(platform, service_id, "letter", "Dear resident", "Permit")
    first = await send(
        client,
        key,
        "email",
        {
            "template_id": str(email_template),
            "email_address": "Ann@Example.com",
            "personalisation": {"name": "Ann Secret"},
            "reference": "case-1",
        },
    )
    second = await send(
        client,
        key,
        "sms",
        {
            "template_id": str(text_template),
            "phone_number": "07700 900123",
            "personalisation": {"code": "4242"},
            "reference": "case-2",
        },
    )
    address = {"address_line_1": "A Person", "address_line_2": "1 Street", "address_line_3": "SW1A 1AA"}
    third = await send(client, key, "letter", {"template_id": str(letter_template), "personalisation": address})
    await send(
        client,
        test_key,
        "email",
        {"template_id": str(email_template), "email_address": "test@example.com", "personalisation": {"name": "T"}},
    )
    async with platform.uow() as uow:
        for notification_id, status in ((first, "delivered"), (second, "permanent-failure")):
            row = await uow.session.get(Notification, uuid.UUID(notification_id))
            row.status = status
            row.created_at = utcnow() - dt.timedelta(minutes=10 if notification_id == first else 5)
        await uow.commit()
    await signed_in_member(platform, client, service_id, "viewer")
    base = notify_path(service_id)

    listing = (await client.get(f"{base}/messages")).text
    order = [listing.index(f"/messages/{notification_id}") for notification_id in (third, second, first)]
    assert order == sorted(order), "newest first"
    assert "test@example.com" not in listing, "test-key messages are not shown"
    assert "Accepted" in listing and "Delivered" in listing and "Permanent failure" in listing

    def ids_in(page: str) -> set[str]:
        return set(re.findall(rf"/messages/({UUID})", page))

    assert ids_in((await client.get(f"{base}/messages?channel=sms")).text) == {second}
    assert ids_in((await client.get(f"{base}/messages?status=failed")).text) == {second}
    assert ids_in((await client.get(f"{base}/messages?status=delivered&channel=email")).text) == {first}
    assert ids_in((await client.get(f"{base}/messages?search=%2B44%207700%20900123")).text) == {second}
    assert ids_in((await client.get(f"{base}/messages?search=ann%40example.COM")).text) == {first}
    assert ids_in((await client.get(f"{base}/messages?search=case-1")).text) == {first}
    assert ids_in((await client.get(f"{base}/messages?search=ann")).text) == set()

    detail = (await client.get(f"{base}/messages/{first}")).text
    assert "Dear Ann Secret" in detail and "Delivered" in detail and "case-1" in detail
    assert f"/templates/{email_template}/versions/1" in detail and "(version 1)" in detail
    letter = (await client.get(f"{base}/messages/{third}")).text
    assert "Accepted" in letter and "1 Street" in letter and "Dear resident" in letter
    assert (await client.get(f"{base}/messages/{uuid.uuid4()}")).status_code == 404


async def test_sent_messages_come_50_a_page(platform: Platform, client: httpx.AsyncClient) -> None:
    service_id = await service_with_org(platform)
    now = utcnow()
    async with platform.uow() as uow:
        for n in range(51):
            uow.session.add(
                stored_message(service_id, recipient=f"person{n}@example.com", created_at=now - dt.timedelta(seconds=n))
            )
        await uow.commit()
    await signed_in_member(platform, client, service_id, "viewer")
    base = notify_path(service_id)
    first_page = (await client.get(f"{base}/messages?status=sending")).text
    assert first_page.count("@example.com</a>") == 50
    assert "person0@example.com" in first_page and "person50@example.com" not in first_page
    assert f'href="{base}/messages?status=sending&amp;page=2"' in first_page
    assert 'Next<span class="govuk-visually-hidden"> page</span>' in first_page, "markup is not escaped"
    second_page = (await client.get(f"{base}/messages?status=sending&page=2")).text
    assert second_page.count("@example.com</a>") == 1 and "person50@example.com" in second_page


# Guest list and senders -------------------------------------------------------------------------------------------


async def test_an_admin_adds_and_removes_guests_stored_as_notifications_store_recipients(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    await signed_in_member(platform, client, service_id, "admin")
    page = f"{notify_path(service_id)}/guest-list"
    for recipient in ("Guest@Example.COM", "07700 900456"):
        added = await post_form(client, page, page, {"recipient": recipient})
        assert added.status_code == 303
    async with platform.uow() as uow:
        rows = (await uow.session.scalars(select(GuestListEntry).where(GuestListEntry.service_id == service_id))).all()
    assert sorted((row.recipient_type, row.recipient) for row in rows) == [
        ("email", "guest@example.com"),
        ("mobile", "447700900456"),
    ]
    for bad, message, status in (
        ("", "Enter an email address or a mobile number", 400),
        ("guest@", "Enter an email address in the correct format, like name@example.gov.uk", 400),
        ("0770", "The mobile number does not have enough digits", 400),
        ("guest@example.com", "That recipient is already on the guest list", 400),
    ):
        refused = await post_form(client, page, page, {"recipient": bad})
        assert refused.status_code == status and f'<a href="#recipient">{message}</a>' in refused.text
    for n in range(4):
        await post_form(client, page, page, {"recipient": f"guest{n}@example.com"})
    full = await post_form(client, page, page, {"recipient": "one.more@example.com"})
    assert "The guest list can have up to 5 email addresses" in full.text
    listing = (await client.get(page)).text
    remove = re.search(r'action="([^"]+/guest-list/[0-9a-f-]{36}/remove)"', listing).group(1)
    assert (await post_form(client, page, remove, {})).status_code == 303
    async with platform.uow() as uow:
        left = await uow.session.scalars(select(GuestListEntry).where(GuestListEntry.service_id == service_id))
        assert len(left.all()) == 5


async def test_an_admin_adds_reply_to_addresses_and_text_message_senders_makes_one_default_and_removes_one(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    await signed_in_member(platform, client, service_id, "admin")
    page = f"{notify_path(service_id)}/senders"
    for address in ("replies@example.gov.uk", "other@example.gov.uk"):
        assert (await post_form(client, page, f"{page}/reply-to", {"email_address": address})).status_code == 303
    for sender in ("Council", "07700 900789"):
        assert (await post_form(client, page, f"{page}/text-message", {"sms_sender": sender})).status_code == 303
    for sender, message in (
        ("ThisIsTooLong1", "A text message sender ID must be 3 to 11 characters long"),
        ("Bad-Sender", "A text message sender ID can only include letters and numbers"),
        ("info", "A text message sender ID cannot be Alert, Info or Verify"),
        ("0044123", "A text message sender ID cannot start with 00"),
        ("020 7946 0000", "A text message sender that is a number must be a UK mobile number"),
    ):
        refused = await post_form(client, page, f"{page}/text-message", {"sms_sender": sender})
        assert refused.status_code == 400 and f'<a href="#sms_sender">{message}</a>' in refused.text
    refused = await post_form(client, page, f"{page}/reply-to", {"email_address": "nope"})
    assert '<a href="#email_address">Enter an email address in the correct format' in refused.text

    async with platform.uow() as uow:
        replies = {
            row.email_address: row
            for row in await uow.session.scalars(select(ReplyToAddress))
            if row.service_id == service_id
        }
        texts = [
            (row.sms_sender, row.is_default)
            for row in await uow.session.scalars(
                select(SmsSender).where(SmsSender.service_id == service_id).order_by(SmsSender.created_at)
            )
        ]
    assert texts == [("Council", True), ("07700900789", False)]
    assert replies["replies@example.gov.uk"].is_default and not replies["other@example.gov.uk"].is_default
    first, other = replies["replies@example.gov.uk"].id, replies["other@example.gov.uk"].id
    refused = await post_form(client, page, f"{page}/reply-to/{first}/remove", {})
    assert refused.status_code == 400 and "You cannot remove the default" in refused.text
    assert (await post_form(client, page, f"{page}/reply-to/{other}/default", {})).status_code == 303
    assert (await post_form(client, page, f"{page}/reply-to/{first}/remove", {})).status_code == 303
    shown = (await client.get(page)).text
    assert "other@example.gov.uk" in shown and "replies@example.gov.uk" not in shown
    assert "&lt;span" not in shown, "markup is not escaped"
    async with platform.uow() as uow:
        kept = await uow.session.get(ReplyToAddress, first)
        assert kept.archived and (await uow.session.get(ReplyToAddress, other)).is_default


# Usage and limits -------------------------------------------------------------------------------------------------


async def test_usage_counts_messages_per_day_and_channel_by_status_with_fragments_and_sheets(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    today = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    rows = [
        (today, "email", "delivered", 0, "normal"),
        (today, "email", "permanent-failure", 0, "team"),
        (today, "sms", "sending", 3, "normal"),
        (today, "sms", "delivered", 2, "normal"),
        (today - dt.timedelta(days=1), "letter", "created", 2, "normal"),
        (today - dt.timedelta(days=1), "email", "delivered", 0, "test"),
        (today - dt.timedelta(days=9), "email", "delivered", 0, "normal"),
    ]
    async with platform.uow() as uow:
        for created_at, kind, status, units, key_type in rows:
            uow.session.add(
                stored_message(
                    service_id, key_type=key_type, type=kind, status=status, created_at=created_at, billable_units=units
                )
            )
        await uow.commit()
    async with platform.uow() as uow:
        days = await daily_usage(uow, service_id, today.date() - dt.timedelta(days=6), today.date())
    assert [day.day for day in days][:2] == [today.date(), today.date() - dt.timedelta(days=1)] and len(days) == 7
    email, sms = days[0].channels["email"], days[0].channels["sms"]
    assert (email.delivered, email.failed, email.sending) == (1, 1, 0)
    assert (sms.delivered, sms.sending, sms.units) == (1, 1, 5)
    letter = days[1].channels["letter"]
    assert (letter.sending, letter.units) == (1, 2)
    assert days[1].channels["email"].total == 0, "test-key messages are not counted"

    await signed_in_member(platform, client, service_id, "viewer")
    page = await client.get(f"{notify_path(service_id)}/usage")
    assert page.status_code == 200 and "Last 7 days" in page.text and "Text message fragments" in page.text
    month = f"{today.year:04d}-{today.month:02d}"
    monthly = await client.get(f"{notify_path(service_id)}/usage?period={month}")
    assert f'<option value="{month}" selected>' in monthly.text


async def test_a_platform_admin_changes_the_limits_and_an_editor_gets_a_403(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    page = f"{notify_path(service_id)}/limits"
    await signed_in_platform_admin(platform, client)
    shown = await client.get(page)
    assert shown.status_code == 200 and 'value="3000"' in shown.text
    form = {
        "rate_limit": "100",
        "email_daily_limit": "1,000",
        "sms_daily_limit": "500",
        "letter_daily_limit": "20",
        "international_sms_daily_limit": "10",
        "retention_days": "30",
        "live": "yes",
    }
    saved = await post_form(client, page, page, form)
    assert saved.status_code == 303 and saved.headers["location"].endswith("/limits?saved=1")
    async with platform.uow() as uow:
        policy = await notify_settings.policy_for(uow, service_id, "Test service")
    assert (policy.rate_limit, policy.retention_days, policy.restricted) == (100, 30, False)
    assert policy.daily_limits["email"] == 1000 and policy.daily_limits["international_sms"] == 10
    for change, field, message in (
        ({"retention_days": "2"}, "retention_days", "Keep messages for between 3 and 90 days"),
        ({"rate_limit": "lots"}, "rate_limit", "Enter a whole number"),
        ({"sms_daily_limit": "200000000"}, "sms_daily_limit", "A daily limit must be between 0 and 100,000,000"),
    ):
        refused = await post_form(client, page, page, {**form, **change})
        assert refused.status_code == 400 and f'<a href="#{field}">{message}</a>' in refused.text

    editor = another_browser(client)
    async with editor:
        await signed_in_member(platform, editor, service_id, "editor")
        assert (await editor.get(page)).status_code == 403
        token = csrf_from((await editor.get(notify_path(service_id) + "/templates")).text)
        assert (await editor.post(page, data={**form, "csrf_token": token})).status_code == 403
        assert "/notify/limits" not in (await editor.get(f"/admin/services/{service_id}")).text


# Who may do what --------------------------------------------------------------------------------------------------


async def test_a_viewer_sees_the_pages_but_cannot_change_anything(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    template_id = await template(platform, service_id, "email", "Hello", "Hi")
    await signed_in_member(platform, client, service_id, "viewer")
    base = notify_path(service_id)
    for path in (
        "/templates",
        f"/templates/{template_id}",
        f"/templates/{template_id}/versions",
        f"/templates/{template_id}/versions/1",
        "/messages",
        "/guest-list",
        "/senders",
        "/usage",
    ):
        assert (await client.get(base + path)).status_code == 200, path
    for path in (
        "/templates/new",
        "/templates/new/email",
        f"/templates/{template_id}/edit",
        f"/templates/{template_id}/send-test",
        "/limits",
    ):
        assert (await client.get(base + path)).status_code == 403, path
    listing = f"{base}/templates"
    for action, data in (
        ("/templates/new/email", {"name": "x", "subject": "y", "content": "z"}),
        (f"/templates/{template_id}/edit", {"name": "x", "subject": "y", "content": "z"}),
        (f"/templates/{template_id}/send-test", {}),
        ("/guest-list", {"recipient": "a@example.com"}),
        ("/senders/reply-to", {"email_address": "a@example.com"}),
    ):
        assert (await post_form(client, listing, base + action, data)).status_code == 403, action
    page = (await client.get(f"{base}/templates/{template_id}")).text
    assert "Edit this template" not in page and "New template" not in (await client.get(listing)).text


async def test_an_editor_cannot_change_the_guest_list_or_the_senders(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    await signed_in_member(platform, client, service_id, "editor")
    base = notify_path(service_id)
    assert (
        await post_form(client, f"{base}/guest-list", f"{base}/guest-list", {"recipient": "a@b.com"})
    ).status_code == 403
    sms = await post_form(client, f"{base}/senders", f"{base}/senders/text-message", {"sms_sender": "Council"})
    assert sms.status_code == 403


async def test_a_member_of_another_service_sees_nothing_of_this_one(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    other_id = await service_with_org(platform, "Other Council", "Other service")
    template_id = await template(platform, service_id, "email", "Hello", "Hi")
    async with platform.uow() as uow:
        uow.session.add(
            stored_message(service_id, id=(message_id := uuid.uuid4()), template_id=template_id, template_version=1)
        )
        await uow.commit()
    await signed_in_member(platform, client, other_id, "admin")
    base = notify_path(service_id)
    for path in (
        "/templates",
        f"/templates/{template_id}",
        f"/templates/{template_id}/versions",
        "/messages",
        f"/messages/{message_id}",
        "/guest-list",
        "/senders",
        "/usage",
        "/templates/new",
    ):
        assert (await client.get(base + path)).status_code == 403, path
    # Their own service's pages cannot reach this service's template or message either.
    own = notify_path(other_id)
    assert (await client.get(f"{own}/templates/{template_id}")).status_code == 404
    assert (await client.get(f"{own}/messages/{message_id}")).status_code == 404


async def test_the_pages_are_in_welsh_when_asked(platform: Platform, client: httpx.AsyncClient) -> None:
    service_id = await service_with_org(platform)
    await signed_in_member(platform, client, service_id, "editor")
    page = await client.get(f"{notify_path(service_id)}/templates?lang=cy")
    assert '<h1 class="govuk-heading-l">Templedi</h1>' in page.text and "Negeseuon a anfonwyd" in page.text


# API keys on the service page -------------------------------------------------------------------------------------


async def test_an_admin_creates_a_notify_team_key_shown_once_listed_with_its_type_and_revocable(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    await signed_in_member(platform, client, service_id, "admin")
    page = f"/admin/services/{service_id}"
    form = (await client.get(page)).text
    assert 'value="platform:standard" checked' in form and 'value="notify:team"' in form
    assert "Notify API: Team and guest list" in form
    made = await post_form(client, page, f"{page}/api-keys", {"name": "Case system", "kind": "notify:team"})
    assert made.status_code == 200
    key = re.search(rf'<code id="api-key">(case_system-{service_id}-{UUID})</code>', made.text).group(1)
    assert (await client.get("/v2/templates", headers=bearer(key))).status_code == 200
    listing = (await client.get(page)).text
    assert key not in listing, "the key is shown once only"
    row = re.search(r"<tr[^>]*>\s*<td[^>]*>Case system</td>.*?</tr>", listing, re.DOTALL).group(0)
    assert "Notify API" in row and "Team and guest list" in row and "Active" in row
    revoke = re.search(r'action="(/admin/services/[^"]+/revoke)"', row).group(1)
    assert (await post_form(client, page, revoke, {})).status_code == 303
    refused = await client.get("/v2/templates", headers=bearer(key))
    assert refused.status_code == 403 and refused.json()["errors"][0]["message"] == "Invalid token: API key revoked"
    unknown = await post_form(client, page, f"{page}/api-keys", {"name": "X", "kind": "notify:superuser"})
    assert unknown.status_code == 400 and "Choose the kind of API key" in unknown.text
