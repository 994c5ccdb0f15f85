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


async def service_admin(platform: Platform, client: httpx.AsyncClient, service_id: uuid.UUID) -> None:
    """Signs in a service admin (not a platform admin) of `service_id`."""
    user_id, secret = await ready_user(platform, "admin@shire.gov.uk")
    async with platform.uow() as uow:
        await staff.set_role(uow, CLI, service_id, user_id, "admin")
        await uow.commit()
    await sign_in(client, "admin@shire.gov.uk", secret)


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
