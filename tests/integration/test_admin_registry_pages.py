"""What core's admin pages show for each component, from the admin registry alone (ADR 0016).

A service's dashboard shows notify's and pay's panels with the links the person's role opens, every
page of a service shows its sections (core's dashboard, notify's, pay's) with the one they are in
marked, and the audit log names the events core, notify and pay record and links their targets, in
English and in Welsh. An event no one declared is shown as it was recorded.
"""

from __future__ import annotations

import html
import re
import uuid

import httpx

from govplatform.core.platform import Platform
from govplatform.core.services import api_keys, audit, staff
from govplatform.notify.services import senders
from govplatform.pay.services import payment_links, webhook_admin
from govplatform.pay.services.payments import Account
from tests.helpers import CLI, ready_user, service_with_org, sign_in

LINK = re.compile(r'<a class="[^"]*" href="([^"]+)"(?: aria-current="(\w+)")?[^>]*>\s*(?:<strong[^>]*>)?([^<]+)<', re.S)


def links(fragment: str) -> list[tuple[str, str, str]]:
    """(text, href, aria-current) of each link in the fragment, in order."""
    return [(html.unescape(text.strip()), href, current) for href, current, text in LINK.findall(fragment)]


def panel(page: str, key: str) -> list[tuple[str, str]]:
    """The links of a dashboard panel: (text, href); empty if the page has no such panel."""
    found = re.search(rf'<h2 class="govuk-heading-m" id="panel-{key}">.*?</ul>', page, re.S)
    return [(text, href) for text, href, _current in links(found.group(0))] if found else []


def sections(page: str) -> list[tuple[str, str, str]]:
    """The service's sections in its navigation: (text, href, aria-current); empty if the page has none."""
    found = re.search(r'<nav aria-label="(?:Sections of this service|Adrannau’r gwasanaeth hwn)".*?</nav>', page, re.S)
    return links(found.group(0)) if found else []


async def person(platform: Platform, client: httpx.AsyncClient, email: str, service_id: uuid.UUID, role: str) -> None:
    user_id, secret = await ready_user(platform, email, platform_admin=role == "platform admin")
    if role != "platform admin":
        async with platform.uow() as uow:
            await staff.set_role(uow, CLI, service_id, user_id, role)
            await uow.commit()
    client.cookies.clear()
    await sign_in(client, email, secret)


async def test_a_services_dashboard_shows_each_components_panel_with_the_links_the_persons_role_opens(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    base = f"/admin/services/{service_id}"

    await person(platform, client, "viewer@example.gov.uk", service_id, "viewer")
    page = (await client.get(base)).text
    assert panel(page, "notify") == [
        ("Templates", f"{base}/notify/templates"),
        ("Sent messages", f"{base}/notify/messages"),
        ("Bulk sends", f"{base}/notify/bulk-sends"),
        ("Usage", f"{base}/notify/usage"),
        ("Guest list", f"{base}/notify/guest-list"),
        ("Reply-to email addresses and text message senders", f"{base}/notify/senders"),
        ("Callbacks: delivery receipts and received text messages", f"{base}/notify/callbacks"),
    ]
    assert panel(page, "pay") == [
        ("Live payments", f"{base}/pay/live/payments"),
        ("Test payments", f"{base}/pay/test/payments"),
    ]
    assert page.index('id="panel-notify"') < page.index('id="panel-pay"'), "in the order the components declared"

    await person(platform, client, "admin@example.gov.uk", service_id, "admin")
    page = (await client.get(base)).text
    assert ("Payment settings", f"{base}/pay/settings") in panel(page, "pay")
    assert ("Limits and trial mode", f"{base}/notify/limits") not in panel(page, "notify"), "platform admins' alone"

    await person(platform, client, "platform@example.gov.uk", service_id, "platform admin")
    page = (await client.get(base)).text
    assert ("Limits and trial mode", f"{base}/notify/limits") in panel(page, "notify")
    for text, href in panel(page, "notify") + panel(page, "pay"):
        assert (await client.get(href)).status_code == 200, f"{text} leads to a page that is there"

    welsh = (await client.get(f"{base}?lang=cy")).text
    assert panel(welsh, "notify")[0] == ("Templedi", f"{base}/notify/templates")
    assert ">Hysbysiadau</h2>" in welsh and ">Taliadau</h2>" in welsh


async def test_an_org_admin_without_a_role_on_the_team_sees_no_panel_of_the_services_data(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    from govplatform.core.interfaces import OrgRole
    from govplatform.core.models import Service
    from govplatform.core.services import org_roles

    service_id = await service_with_org(platform)
    user_id, secret = await ready_user(platform, "org-admin@example.gov.uk")
    async with platform.uow() as uow:
        organisation_id = (await uow.session.get(Service, service_id)).organisation_id  # type: ignore[union-attr]
        await org_roles.grant(uow, CLI, org_roles.OPERATOR, organisation_id, user_id, OrgRole.ORG_ADMIN)
        await uow.commit()
    await sign_in(client, "org-admin@example.gov.uk", secret)
    page = (await client.get(f"/admin/services/{service_id}")).text
    assert "Team members" in page, "they run the team"
    assert panel(page, "notify") == [] and panel(page, "pay") == []
    assert sections(page) == [], "the dashboard is the one section they may open, so there is nothing to choose"


async def test_every_page_of_a_service_shows_its_sections_with_the_one_the_person_is_in_marked(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    base = f"/admin/services/{service_id}"
    await person(platform, client, "viewer@example.gov.uk", service_id, "viewer")
    dashboard = ("Dashboard", base)
    notify = ("Notifications", f"{base}/notify/templates")
    pay = ("Payments", f"{base}/pay/live/payments")
    identity = ("Sign-in", f"{base}/identity/clients")

    def marked(page: str) -> list[tuple[str, str, str]]:
        return [(text, href, current) for text, href, current in sections(page)]

    assert marked((await client.get(base)).text) == [(*dashboard, "page"), (*notify, ""), (*pay, ""), (*identity, "")]
    assert marked((await client.get(f"{base}/notify/templates")).text) == [
        (*dashboard, ""),
        (*notify, "page"),
        (*pay, ""),
        (*identity, ""),
    ]
    assert marked((await client.get(f"{base}/notify/usage")).text) == [
        (*dashboard, ""),
        (*notify, "true"),
        (*pay, ""),
        (*identity, ""),
    ]
    assert marked((await client.get(f"{base}/pay/test/payments")).text) == [
        (*dashboard, ""),
        (*notify, ""),
        (*pay, "true"),
        (*identity, ""),
    ]
    assert marked((await client.get(f"{base}/identity/clients")).text) == [
        (*dashboard, ""),
        (*notify, ""),
        (*pay, ""),
        (*identity, "page"),
    ]
    welsh = marked((await client.get(f"{base}/pay/live/payments?lang=cy")).text)
    assert welsh == [
        ("Dangosfwrdd", base, ""),
        ("Hysbysiadau", notify[1], ""),
        ("Taliadau", pay[1], "page"),
        ("Mewngofnodi", identity[1], ""),
    ]
    other = await service_with_org(platform, "Other Council", "Other service")
    assert (await client.get(f"/admin/services/{other}")).status_code == 403, "sections open no other service"


async def test_the_audit_log_names_the_events_of_core_notify_and_pay_and_links_their_targets(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform, name="Report a pothole")
    base = f"/admin/services/{service_id}"
    await person(platform, client, "platform@example.gov.uk", service_id, "platform admin")
    async with platform.uow() as uow:
        key, _shown = await api_keys.create_key(uow, CLI, platform.platform_keys, service_id, "Case system", None)
        await api_keys.revoke_key(uow, CLI, service_id, key.id)
        reply_to = await senders.add_reply_to(uow, CLI, service_id, "potholes@council.gov.uk")
        link = await payment_links.create_link(
            uow,
            CLI,
            service_id,
            payment_links.LinkDetails("Pay for a skip permit", None, "", 5000, "Permit number", "en", live=False),
        )
        await payment_links.set_active(uow, CLI, link, False)
        hook, _secret = await webhook_admin.subscribe(
            uow,
            platform.cipher,
            CLI,
            Account(service_id, True),
            webhook_admin.Subscription(
                "https://hooks.council.gov.uk/pay", "Case system hook", ["card_payment_succeeded"]
            ),
        )
        await uow.commit()
    page = (await client.get("/admin/audit")).text

    def row(action: str) -> str:
        rows = [
            found
            for found in re.findall(r"<tr class=\"govuk-table__row\">.*?</tr>", page, re.S)
            if f"<code>{action}</code>" in found
        ]
        assert len(rows) == 1, f"one row for {action}"
        return rows[0]

    revoked = row("api_key.revoked")
    assert "API key revoked" in revoked and (("API key ‘Case system’", base, "") in links(revoked))
    assert str(key.id) in revoked, "the recorded id stays beside the name"
    added = row("notify.reply_to_added")
    assert "Reply-to email address added" in added
    assert ("Reply-to email address ‘potholes@council.gov.uk’", f"{base}/notify/senders", "") in links(added)
    assert str(reply_to.id) in added
    turned_off = row("pay.payment_link_deactivated")
    assert "Payment link turned off" in turned_off
    assert ("Payment link ‘Pay for a skip permit’", f"{base}/pay/test/payment-links", "") in links(turned_off)
    created = row("pay.webhook_created")
    assert ("Webhook ‘Case system hook’", f"{base}/pay/live/webhooks/{hook.id}", "") in links(created)
    assert ("Service ‘Report a pothole’", base, "") in links(row("service.created"))
    for _text, href, _current in links(revoked) + links(added) + links(turned_off) + links(created):
        assert (await client.get(href)).status_code == 200, href

    welsh = (await client.get("/admin/audit?lang=cy")).text
    assert "Allwedd API wedi’i dirymu" in welsh and "Allwedd API ‘Case system’" in welsh
    assert "Cyfeiriad e-bost ateb wedi’i ychwanegu" in welsh and "Dolen dalu wedi’i diffodd" in welsh


async def test_an_event_or_target_no_component_declared_is_shown_as_it_was_recorded(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    await person(platform, client, "platform@example.gov.uk", service_id, "platform admin")
    async with platform.uow() as uow:
        audit.record(uow, CLI, "forms.form_published", "form", "f-42", service_id, title="Old form")
        audit.record(uow, CLI, "service.created", "service", "not-a-uuid", service_id)  # a declared type, a bad id
        await uow.commit()
    response = await client.get("/admin/audit")
    assert response.status_code == 200
    assert "forms.form_published" in response.text and "form f-42" in response.text
    assert re.search(r"Service created.*?Service<span[^>]*>not-a-uuid</span>", response.text, re.S)
