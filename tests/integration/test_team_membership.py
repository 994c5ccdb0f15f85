"""Who can put a person on a service's team: only an accepted invitation or a platform admin.

Issue 13 fault 7: `POST /admin/services/{id}/team/{user_id}` set a role for any
user id, so a service admin could add anyone, from any organisation, without
an invitation; and an id with no user behind it reached the database's foreign
key and came back as a 503.
"""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from govplatform.core.models import ServiceMembership
from govplatform.core.platform import Platform
from govplatform.core.services import staff
from tests.helpers import CLI, post_form, ready_user, service_with_org, sign_in


async def service_admin(platform: Platform, client: httpx.AsyncClient, service_id: uuid.UUID) -> uuid.UUID:
    """Signs in a service admin (not a platform admin) of `service_id`; returns their id."""
    user_id, secret = await ready_user(platform, "admin@shire.gov.uk")
    async with platform.uow() as uow:
        await staff.set_role(uow, CLI, service_id, user_id, "admin")
        await uow.commit()
    await sign_in(client, "admin@shire.gov.uk", secret)
    return user_id


async def roles_on(platform: Platform, service_id: uuid.UUID) -> dict[uuid.UUID, str]:
    async with platform.uow(read_only=True) as uow:
        rows = await uow.session.scalars(select(ServiceMembership).where(ServiceMembership.service_id == service_id))
        return {row.user_id: row.role for row in rows}


async def test_a_service_admin_cannot_add_a_user_of_another_organisation_by_id(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    ours = await service_with_org(platform, "Shire Council", "Parking")
    theirs = await service_with_org(platform, "Other Council", "Bins")
    outsider, _ = await ready_user(platform, "officer@other.gov.uk")
    async with platform.uow() as uow:
        await staff.set_role(uow, CLI, theirs, outsider, "editor")
        await uow.commit()
    await service_admin(platform, client, ours)
    page = f"/admin/services/{ours}"
    for form in ({"action": "set_role", "role": "admin"}, {"action": "set_role", "role": "viewer"}, {"role": "admin"}):
        answer = await post_form(client, page, f"{page}/team/{outsider}", form)
        assert answer.status_code == 404, answer.text
    assert outsider not in await roles_on(platform, ours)


async def test_a_team_change_for_an_id_with_no_user_is_a_404_not_an_outage(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    ours = await service_with_org(platform, "Shire Council", "Parking")
    await service_admin(platform, client, ours)
    page = f"/admin/services/{ours}"
    answer = await post_form(client, page, f"{page}/team/{uuid.uuid4()}", {"action": "set_role", "role": "viewer"})
    assert answer.status_code == 404
    assert "retry-after" not in answer.headers


async def test_a_service_admin_still_changes_the_role_of_a_member_and_removes_them(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    ours = await service_with_org(platform, "Shire Council", "Parking")
    member, _ = await ready_user(platform, "member@shire.gov.uk")
    async with platform.uow() as uow:
        await staff.set_role(uow, CLI, ours, member, "viewer")
        await uow.commit()
    await service_admin(platform, client, ours)
    page = f"/admin/services/{ours}"
    changed = await post_form(client, page, f"{page}/team/{member}", {"action": "set_role", "role": "editor"})
    assert changed.status_code == 303
    assert (await roles_on(platform, ours))[member] == "editor"
    removed = await post_form(client, page, f"{page}/team/{member}", {"action": "remove"})
    assert removed.status_code == 303
    assert member not in await roles_on(platform, ours)


async def invite(client: httpx.AsyncClient, service_id: uuid.UUID, email: str, role: str) -> httpx.Response:
    page = f"/admin/services/{service_id}"
    return await post_form(client, page, f"{page}/team", {"email": email, "role": role})


async def test_an_existing_user_invited_by_a_service_admin_joins_only_when_they_accept(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    ours = await service_with_org(platform, "Shire Council", "Parking")
    officer, secret = await ready_user(platform, "officer@other.gov.uk")
    await service_admin(platform, client, ours)

    invited = await invite(client, ours, "officer@other.gov.uk", "editor")
    assert invited.status_code == 200
    assert "when they accept" in invited.text
    assert officer not in await roles_on(platform, ours), "not on the team before accepting"
    assert "officer@other.gov.uk" in (await client.get(f"/admin/services/{ours}")).text, "shown as invited"

    client.cookies.clear()
    await sign_in(client, "officer@other.gov.uk", secret)
    dashboard = (await client.get("/admin")).text
    assert "Parking" in dashboard and "Accept" in dashboard
    accepted = await post_form(client, "/admin", f"/admin/invitations/{ours}/accept", {})
    assert accepted.status_code == 303
    assert (await roles_on(platform, ours))[officer] == "editor"
    assert (await client.get(f"/admin/services/{ours}")).status_code == 200
    again = await post_form(client, "/admin", f"/admin/invitations/{ours}/accept", {})
    assert again.status_code == 404, "an invitation is used once"


async def test_a_declined_or_cancelled_invitation_never_adds_anyone(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    ours = await service_with_org(platform, "Shire Council", "Parking")
    _, secret = await ready_user(platform, "officer@other.gov.uk")
    await ready_user(platform, "someone@other.gov.uk")
    admin = await service_admin(platform, client, ours)
    await invite(client, ours, "officer@other.gov.uk", "admin")
    await invite(client, ours, "someone@other.gov.uk", "viewer")
    page = f"/admin/services/{ours}"
    async with platform.uow(read_only=True) as uow:
        other = await staff.find_by_email(uow, "someone@other.gov.uk")
    assert other is not None
    cancelled = await post_form(client, page, f"{page}/invitations/{other.id}/cancel", {})
    assert cancelled.status_code == 303
    assert "someone@other.gov.uk" not in (await client.get(page)).text

    client.cookies.clear()
    await sign_in(client, "officer@other.gov.uk", secret)
    declined = await post_form(client, "/admin", f"/admin/invitations/{ours}/decline", {})
    assert declined.status_code == 303
    assert (await post_form(client, "/admin", f"/admin/invitations/{ours}/accept", {})).status_code == 404
    assert await roles_on(platform, ours) == {admin: "admin"}


async def test_a_new_person_invited_by_a_service_admin_sets_up_their_account_then_accepts(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    ours = await service_with_org(platform, "Shire Council", "Parking")
    await service_admin(platform, client, ours)
    invited = await invite(client, ours, "newbie@shire.gov.uk", "viewer")
    assert invited.status_code == 200 and 'id="setup-link"' in invited.text
    async with platform.uow(read_only=True) as uow:
        user = await staff.find_by_email(uow, "newbie@shire.gov.uk")
    assert user is not None and user.id not in await roles_on(platform, ours)


async def test_a_platform_admins_invitation_puts_the_person_on_the_team_at_once(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    ours = await service_with_org(platform, "Shire Council", "Parking")
    officer, _ = await ready_user(platform, "officer@other.gov.uk")
    _, secret = await ready_user(platform, "root@platform.gov.uk", platform_admin=True)
    await sign_in(client, "root@platform.gov.uk", secret)
    await invite(client, ours, "officer@other.gov.uk", "viewer")
    assert (await roles_on(platform, ours))[officer] == "viewer"
