"""Core's messages go through notify: the platform-owned service sends staff invitations as real emails.

The sandbox email provider writes each email as an .eml file; these tests read
it back as a mail client would and follow the link in it.
"""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from govplatform.core.interfaces import MessageRefused, PlatformTemplate
from govplatform.core.jobs.worker import Worker
from govplatform.core.platform import Platform
from govplatform.core.services import staff
from govplatform.notify.models import Notification
from govplatform.notify.services import settings as notify_settings
from govplatform.notify.services import templates
from govplatform.notify.services.platform_messages import PLATFORM_SERVICE_ID, PLATFORM_TEMPLATES
from tests.helpers import CLI, csrf_from, post_form, ready_user, service_with_org, sign_in
from tests.integration.notify.support import live_service


async def signed_in_service_admin(platform: Platform, client: httpx.AsyncClient, service_id: uuid.UUID) -> None:
    user_id, secret = await ready_user(platform, "admin@shire.gov.uk")
    async with platform.uow() as uow:
        await staff.set_role(uow, CLI, service_id, user_id, "admin")
        await uow.commit()
    await sign_in(client, "admin@shire.gov.uk", secret)


async def sent_to(platform: Platform, address: str) -> list[Notification]:
    async with platform.uow(read_only=True) as uow:
        rows = await uow.session.scalars(select(Notification).where(Notification.normalised_recipient == address))
        return list(rows.all())


async def delivered_email(platform: Platform, notification: Notification) -> email.message.EmailMessage:
    """Runs the worker until the queue is empty, then reads the email the sandbox wrote."""
    await Worker(platform.sessions, platform.tasks, platform.settings).run_until_idle()
    folder = Path(platform.components["notify"].email_provider.folder)
    with (folder / f"{notification.id}.eml").open("rb") as file:
        message = email.message_from_binary_file(file, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def plain_text(message: email.message.EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


async def test_a_new_person_invited_by_a_service_admin_is_emailed_their_set_up_link_from_the_platform_service(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform, "Shire Council", "Parking permits")
    await signed_in_service_admin(platform, client, service_id)
    page = f"/admin/services/{service_id}"
    answer = await post_form(client, page, f"{page}/team", {"email": "New.Officer@shire.gov.uk", "role": "editor"})
    assert answer.status_code == 200
    assert "We have sent them an email about it." in answer.text
    shown = re.search(r'<code id="setup-link">[^<]*(/setup/[^<]+)</code>', answer.text)
    assert shown, "the admin's page still shows the link"

    [notification] = await sent_to(platform, "new.officer@shire.gov.uk")
    assert notification.service_id == PLATFORM_SERVICE_ID
    assert notification.template_id == PLATFORM_TEMPLATES[(PlatformTemplate.STAFF_INVITATION, "email", "en")]
    assert notification.key_type == "normal"
    message = await delivered_email(platform, notification)
    assert message["Subject"] == "Set up your account for Parking permits"
    assert message["To"] == "new.officer@shire.gov.uk"  # staff addresses are kept in lower case
    body = plain_text(message)
    assert "admin@shire.gov.uk has invited you to join Parking permits." in body
    link = re.search(r"https?://\S+(/setup/[A-Za-z0-9_-]+)", body)
    assert link, body
    assert link.group(1) == shown.group(1), "the email holds the link the admin was shown"

    client.cookies.clear()
    setup = await client.get(link.group(1))
    assert setup.status_code == 200
    assert "new.officer@shire.gov.uk" in setup.text
    assert "Create your password" in setup.text
    async with platform.uow(read_only=True) as uow:
        assert await platform.messages.status(uow, notification.id) == "delivered"  # type: ignore[union-attr]


async def test_an_invitation_made_in_welsh_is_sent_from_the_welsh_template(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform, "Cyngor Sir", "Trwyddedau parcio")
    await signed_in_service_admin(platform, client, service_id)
    page = f"/admin/services/{service_id}?lang=cy"
    shown = await client.get(page)
    answer = await client.post(
        f"/admin/services/{service_id}/team",
        data={"email": "swyddog@sir.gov.uk", "role": "viewer", "csrf_token": csrf_from(shown.text)},
    )
    assert answer.status_code == 200
    [notification] = await sent_to(platform, "swyddog@sir.gov.uk")
    assert notification.template_id == PLATFORM_TEMPLATES[(PlatformTemplate.STAFF_INVITATION, "email", "cy")]
    message = await delivered_email(platform, notification)
    assert message["Subject"] == "Sefydlu eich cyfrif ar gyfer Trwyddedau parcio"
    assert "/setup/" in plain_text(message)


async def test_someone_who_already_has_an_account_is_emailed_to_sign_in_and_accept(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform, "Shire Council", "Bins")
    await ready_user(platform, "existing@shire.gov.uk")
    await signed_in_service_admin(platform, client, service_id)
    page = f"/admin/services/{service_id}"
    answer = await post_form(client, page, f"{page}/team", {"email": "existing@shire.gov.uk", "role": "viewer"})
    assert answer.status_code == 200
    assert 'id="setup-link"' not in answer.text
    [notification] = await sent_to(platform, "existing@shire.gov.uk")
    assert notification.template_id == PLATFORM_TEMPLATES[(PlatformTemplate.SERVICE_INVITATION, "email", "en")]
    message = await delivered_email(platform, notification)
    assert message["Subject"] == "You have been invited to join Bins"
    assert f"{platform.settings.base_url}/sign-in" in plain_text(message)


async def test_an_edit_to_a_platform_template_in_the_notify_pages_changes_the_next_email(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    admin_id, secret = await ready_user(platform, "operator@platform.gov.uk", platform_admin=True)
    await sign_in(client, "operator@platform.gov.uk", secret)
    listed = await client.get(f"/admin/services/{PLATFORM_SERVICE_ID}/notify/templates")
    assert listed.status_code == 200
    assert "staff-invitation (cy)" in listed.text and "citizen-sign-in-code" in listed.text
    template_id = PLATFORM_TEMPLATES[(PlatformTemplate.STAFF_INVITATION, "email", "en")]
    async with platform.uow() as uow:
        current = await templates.get_template(uow, PLATFORM_SERVICE_ID, template_id)
        assert current is not None
        await templates.update_template(
            uow, CLI, PLATFORM_SERVICE_ID, template_id, current.name,
            current.content + "\n\nThe Shire digital team", "Welcome to ((service_name))",
        )  # fmt: skip
        await uow.commit()
    service_id = await service_with_org(platform, "Shire Council", "Parking")
    page = f"/admin/services/{service_id}"
    assert (await post_form(client, page, f"{page}/team", {"email": "n@shire.gov.uk", "role": "viewer"})).is_success
    [notification] = await sent_to(platform, "n@shire.gov.uk")
    message = await delivered_email(platform, notification)
    assert message["Subject"] == "Welcome to Parking"
    assert "The Shire digital team" in plain_text(message)
    assert admin_id


async def test_the_platform_service_is_live_so_it_writes_to_people_on_no_team(platform: Platform) -> None:
    async with platform.uow(read_only=True) as uow:
        policy = await notify_settings.policy_for(uow, PLATFORM_SERVICE_ID, "GovPlatform")
    assert not policy.restricted


async def test_a_caller_naming_a_service_sends_from_that_services_own_template(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await live_service(platform, "Parking permits")
    assert platform.messages is not None
    async with platform.uow() as uow:
        english = await templates.create_template(
            uow, CLI, service_id, "email", "payment-confirmation", "You paid ((amount)).", "Payment received"
        )
        welsh = await templates.create_template(
            uow, CLI, service_id, "email", "payment-confirmation (cy)", "Rydych wedi talu ((amount)).", "Taliad"
        )
        by_name = await platform.messages.send_email(
            uow, "payment-confirmation", "payer@example.com", {"amount": "£12"}, service_id=service_id
        )
        in_welsh = await platform.messages.send_email(
            uow, "payment-confirmation", "talwr@example.com", {"amount": "£12"}, service_id=service_id, language="cy"
        )
        by_id = await platform.messages.send_email(
            uow, str(english.id), "third@example.com", {"amount": "£3"}, service_id=service_id
        )
        with pytest.raises(MessageRefused):
            await platform.messages.send_email(uow, "staff-invitation", "x@example.com", {}, service_id=service_id)
        await uow.commit()
    async with platform.uow(read_only=True) as uow:
        rows = {
            row.id: row
            for row in await uow.session.scalars(select(Notification).where(Notification.service_id == service_id))
        }
    assert rows[by_name].template_id == english.id and rows[by_id].template_id == english.id
    assert rows[in_welsh].template_id == welsh.id
    message = await delivered_email(platform, rows[by_name])
    assert message["Subject"] == "Payment received"
    assert message["From"].startswith("Parking permits <")


async def test_a_named_service_in_trial_mode_still_sends_only_to_its_team(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform, "Shire Council", "Trial service")
    assert platform.messages is not None
    async with platform.uow() as uow:
        await templates.create_template(uow, CLI, service_id, "email", "receipt", "Thanks", "Receipt")
        with pytest.raises(MessageRefused, match="trial mode"):
            await platform.messages.send_email(uow, "receipt", "stranger@example.com", {}, service_id=service_id)


async def test_a_citizens_sign_in_code_goes_as_a_text_from_the_platform_service(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    assert platform.messages is not None
    async with platform.uow() as uow:
        sent = await platform.messages.send_text(
            uow, PlatformTemplate.CITIZEN_SIGN_IN_CODE, "07700 900123", {"code": "482913"}, language="cy"
        )
        await uow.commit()
    await Worker(platform.sessions, platform.tasks, platform.settings).run_until_idle()
    async with platform.uow(read_only=True) as uow:
        row = await uow.session.get(Notification, sent)
        assert row is not None
        assert row.service_id == PLATFORM_SERVICE_ID and row.type == "sms"
        assert row.template_id == PLATFORM_TEMPLATES[(PlatformTemplate.CITIZEN_SIGN_IN_CODE, "sms", "cy")]
        assert await platform.messages.status(uow, sent) == "delivered"


async def test_a_template_the_platform_does_not_have_is_refused_and_nothing_is_queued(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    assert platform.messages is not None
    async with platform.uow() as uow:
        with pytest.raises(MessageRefused):
            await platform.messages.send_email(uow, "no-such-template", "a@example.com", {})
        with pytest.raises(MessageRefused):
            await platform.messages.send_text(uow, PlatformTemplate.STAFF_INVITATION, "07700 900123", {})
    assert await sent_to(platform, "a@example.com") == []
