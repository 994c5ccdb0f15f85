"""Organisation roles in the admin pages: each role can do what it should there and nothing more (ADR 0012)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from govplatform.core.interfaces import OrgRole
from govplatform.core.models import AuditEvent, Service
from govplatform.core.platform import Platform
from govplatform.core.services import org_roles, staff
from govplatform.core.services.org_roles import OPERATOR
from tests.helpers import CLI, post_form, ready_user, service_with_org, sign_in


async def setting(platform: Platform) -> dict[str, uuid.UUID]:
    parking = await service_with_org(platform, "Shire Council", "Parking")
    bins = await service_with_org(platform, "Other Council", "Bins")
    async with platform.uow(read_only=True) as uow:
        shire = (await uow.session.get(Service, parking)).organisation_id  # type: ignore[union-attr]
        other = (await uow.session.get(Service, bins)).organisation_id  # type: ignore[union-attr]
    return {"parking": parking, "bins": bins, "shire": shire, "other": other}


async def signed_in_as(
    platform: Platform, client: httpx.AsyncClient, email: str, org: uuid.UUID | None, role: str
) -> uuid.UUID:
    """Signs in a new person holding `role` in `org`, or (org None) the service role `role` on Parking."""
    user_id, secret = await ready_user(platform, email)
    async with platform.uow() as uow:
        if org is not None:
            await org_roles.grant(uow, CLI, OPERATOR, org, user_id, role)
        await uow.commit()
    client.cookies.clear()
    await sign_in(client, email, secret)
    return user_id


async def on_team(platform: Platform, service_id: uuid.UUID, email: str, role: str) -> uuid.UUID:
    user_id, _ = await ready_user(platform, email)
    async with platform.uow() as uow:
        await staff.set_role(uow, CLI, service_id, user_id, role)
        await uow.commit()
    return user_id


async def test_an_org_admin_runs_their_organisations_services_and_teams_but_not_anothers_nor_any_services_data(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    places = await setting(platform)
    member = await on_team(platform, places["parking"], "officer@shire.gov.uk", "viewer")
    await signed_in_as(platform, client, "org-admin@shire.gov.uk", places["shire"], OrgRole.ORG_ADMIN)
    parking, bins = f"/admin/services/{places['parking']}", f"/admin/services/{places['bins']}"

    listed = await client.get("/admin/services")
    assert "Parking" in listed.text and "Bins" not in listed.text
    page = await client.get(parking)
    assert page.status_code == 200
    assert "Invite a team member" in page.text and "Create an API key" not in page.text
    invited = await post_form(client, parking, f"{parking}/team", {"email": "new@shire.gov.uk", "role": "editor"})
    assert invited.status_code == 200 and "has been invited" in invited.text  # it waits for them to accept
    changed = await post_form(client, parking, f"{parking}/team/{member}", {"action": "set_role", "role": "editor"})
    assert changed.status_code == 303
    created = await post_form(
        client, "/admin/services", "/admin/services", {"organisation_id": str(places["shire"]), "name": "Libraries"}
    )
    assert created.status_code == 303

    assert (await client.get(bins)).status_code == 403
    assert (await client.post(f"{bins}/team", data={"email": "x@other.gov.uk", "role": "admin"})).status_code == 403
    other = await post_form(
        client, "/admin/services", "/admin/services", {"organisation_id": str(places["other"]), "name": "Parks"}
    )
    assert other.status_code == 403
    key = await post_form(client, parking, f"{parking}/api-keys", {"name": "k", "kind": "platform:platform"})
    assert key.status_code == 403
    assert (await client.get(f"{parking}/notify/templates")).status_code == 403
    assert (await client.get(f"/admin/organisations/{places['other']}")).status_code == 403
    assert (await client.get("/admin/jobs")).status_code == 403


async def test_a_data_owner_sees_their_organisations_page_and_nothing_else(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    places = await setting(platform)
    member = await on_team(platform, places["parking"], "officer@shire.gov.uk", "viewer")
    await signed_in_as(platform, client, "owner@shire.gov.uk", places["shire"], OrgRole.DATA_OWNER)
    organisation = f"/admin/organisations/{places['shire']}"
    parking = f"/admin/services/{places['parking']}"

    page = await client.get(organisation)
    assert page.status_code == 200
    assert "owner@shire.gov.uk" in page.text and "Give role" not in page.text
    assert "Shire Council" in (await client.get("/admin/organisations")).text
    assert "Parking" not in (await client.get("/admin/services")).text
    assert (await client.get(parking)).status_code == 403
    assert (await client.post(f"{parking}/team/{member}", data={"action": "remove"})).status_code == 403
    created = await post_form(
        client, organisation, "/admin/services", {"organisation_id": str(places["shire"]), "name": "Libraries"}
    )
    assert created.status_code == 403
    granted = await post_form(
        client, organisation, f"{organisation}/roles", {"email": "officer@shire.gov.uk", "role": "data-owner"}
    )
    assert granted.status_code == 403


async def test_a_service_admin_and_a_viewer_get_no_organisation_page_no_grants_and_no_new_services(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    places = await setting(platform)
    organisation = f"/admin/organisations/{places['shire']}"
    for email, role in (("admin@shire.gov.uk", "admin"), ("viewer@shire.gov.uk", "viewer")):
        user_id, secret = await ready_user(platform, email)
        async with platform.uow() as uow:
            await staff.set_role(uow, CLI, places["parking"], user_id, role)
            await uow.commit()
        client.cookies.clear()
        await sign_in(client, email, secret)
        assert (await client.get(organisation)).status_code == 403
        assert (await client.get("/admin/organisations")).status_code == 403
        page = f"/admin/services/{places['parking']}"
        granted = await post_form(client, page, f"{organisation}/roles", {"email": email, "role": "org-admin"})
        assert granted.status_code == 403
        created = await post_form(
            client, page, "/admin/services", {"organisation_id": str(places["shire"]), "name": "Libraries"}
        )
        assert created.status_code == 403
    async with platform.uow(read_only=True) as uow:
        assert await org_roles.holders_of(uow, places["shire"], OrgRole.ORG_ADMIN) == []


async def test_a_chief_data_officer_names_data_owners_on_the_page_and_each_change_is_audited(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    places = await setting(platform)
    officer = await on_team(platform, places["parking"], "officer@shire.gov.uk", "viewer")
    cdo = await signed_in_as(platform, client, "cdo@shire.gov.uk", places["shire"], OrgRole.CHIEF_DATA_OFFICER)
    organisation = f"/admin/organisations/{places['shire']}"

    page = await client.get(organisation)
    assert 'value="data-owner"' in page.text and 'value="org-admin"' not in page.text
    wrong = await post_form(
        client, organisation, f"{organisation}/roles", {"email": "nobody@x.gov.uk", "role": "data-owner"}
    )
    assert wrong.status_code == 400
    assert "There is a problem" in wrong.text and 'href="#email"' in wrong.text
    refused = await post_form(
        client, organisation, f"{organisation}/roles", {"email": "officer@shire.gov.uk", "role": "org-admin"}
    )
    assert refused.status_code == 403
    granted = await post_form(
        client, organisation, f"{organisation}/roles", {"email": "officer@shire.gov.uk", "role": "data-owner"}
    )
    assert granted.status_code == 303
    remove = f"{organisation}/roles/{officer}/data-owner/remove"
    confirm = await client.get(remove)
    assert "Are you sure you want to remove data-owner from officer@shire.gov.uk?" in confirm.text
    removed = await post_form(client, remove, remove, {})
    assert removed.status_code == 303
    async with platform.uow(read_only=True) as uow:
        assert not await org_roles.has_org_role(uow, officer, places["shire"], OrgRole.DATA_OWNER)
        events = (
            await uow.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == str(cdo)).order_by(AuditEvent.id))
        ).all()
    assert [(e.action, e.target_id, e.ip_address) for e in events if e.action.startswith("organisation_role")] == [
        ("organisation_role.granted", str(officer), "203.0.113.7"),
        ("organisation_role.removed", str(officer), "203.0.113.7"),
    ]


async def test_the_last_org_admin_is_told_on_the_confirmation_page_that_they_must_stay(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    places = await setting(platform)
    me = await signed_in_as(platform, client, "org-admin@shire.gov.uk", places["shire"], OrgRole.ORG_ADMIN)
    remove = f"/admin/organisations/{places['shire']}/roles/{me}/org-admin/remove"
    refused = await post_form(client, remove, remove, {})
    assert refused.status_code == 403
    assert "There is a problem" in refused.text and "at least one org-admin" in refused.text
    async with platform.uow(read_only=True) as uow:
        assert await org_roles.has_org_role(uow, me, places["shire"], OrgRole.ORG_ADMIN)


async def test_a_platform_admin_is_offered_every_role_and_an_unknown_organisation_is_a_404(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    places = await setting(platform)
    user_id, secret = await ready_user(platform, "ops@platform.gov.uk", platform_admin=True)
    await sign_in(client, "ops@platform.gov.uk", secret)
    page = await client.get(f"/admin/organisations/{places['shire']}")
    assert all(f'value="{role}"' in page.text for role in OrgRole.ALL)
    unknown = uuid.uuid4()
    assert (await client.get(f"/admin/organisations/{unknown}")).status_code == 404
    assert (await client.get(f"/admin/organisations/{unknown}/roles/{user_id}/org-admin/remove")).status_code == 404
