"""Admin pages: organisations, services, team members and roles, API keys, audit log, dead letters."""

import re

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from govplatform.core.jobs.queue import enqueue
from govplatform.core.models import AuditEvent, Job
from govplatform.core.platform import Platform
from tests.helpers import post_form, ready_user, service_with_org, sign_in


async def signed_in_admin(platform: Platform, client: httpx.AsyncClient, email: str = "admin@example.gov.uk") -> None:
    _, secret = await ready_user(platform, email, platform_admin=True)
    await sign_in(client, email, secret)


async def test_a_platform_admin_creates_an_organisation_a_service_and_a_key_and_all_are_audited(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    await signed_in_admin(platform, client)
    made = await post_form(client, "/admin/organisations", "/admin/organisations", {"name": "Shire Council"})
    assert made.status_code == 303
    listing = await client.get("/admin/services")
    org_id = re.search(r'<option value="([0-9a-f-]{36})">Shire Council</option>', listing.text).group(1)
    created = await post_form(
        client, "/admin/services", "/admin/services", {"organisation_id": org_id, "name": "Report a pothole"}
    )
    assert created.status_code == 303
    service_path = created.headers["location"]
    key_page = await post_form(client, service_path, f"{service_path}/api-keys", {"name": "Case system"})
    assert key_page.status_code == 200
    key = re.search(r'<code id="api-key">(gpk_[A-Za-z0-9_-]+)</code>', key_page.text).group(1)
    who = await client.get("/api/platform/v1/service", headers={"Authorization": f"Bearer {key}"})
    assert who.json()["service"]["name"] == "Report a pothole"
    assert key not in (await client.get(service_path)).text, "the key is shown once only"
    audit = await client.get("/admin/audit")
    for action in ("organisation.created", "service.created", "api_key.created", "sign_in.succeeded"):
        assert action in audit.text
    assert "admin@example.gov.uk" in audit.text and "203.0.113.7" in audit.text


async def test_a_duplicate_organisation_name_gets_an_error_summary(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    await signed_in_admin(platform, client)
    await post_form(client, "/admin/organisations", "/admin/organisations", {"name": "Twice Council"})
    again = await post_form(client, "/admin/organisations", "/admin/organisations", {"name": "twice council"})
    assert again.status_code == 400
    assert "There is a problem" in again.text and "already exists" in again.text


async def test_an_admin_invites_a_team_member_and_sees_a_set_up_link(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    await signed_in_admin(platform, client)
    page = f"/admin/services/{service_id}"
    invited = await post_form(client, page, f"{page}/team", {"email": "newbie@example.gov.uk", "role": "viewer"})
    assert invited.status_code == 200
    assert re.search(r'<code id="setup-link">http://127\.0\.0\.1:8000/setup/[A-Za-z0-9_-]+</code>', invited.text)
    team = await client.get(page)
    assert "newbie@example.gov.uk" in team.text


async def test_a_revoked_key_stops_working(platform: Platform, client: httpx.AsyncClient) -> None:
    service_id = await service_with_org(platform)
    await signed_in_admin(platform, client)
    page = f"/admin/services/{service_id}"
    made = await post_form(client, page, f"{page}/api-keys", {"name": "Temp"})
    key = re.search(r'<code id="api-key">(gpk_[^<]+)</code>', made.text).group(1)
    listing = await client.get(page)
    revoke = re.search(r'action="(/admin/services/[^"]+/revoke)"', listing.text).group(1)
    assert (await post_form(client, page, revoke, {})).status_code == 303
    assert (await client.get("/api/platform/v1/service", headers={"Authorization": f"Bearer {key}"})).status_code == 401


async def test_a_viewer_sees_their_service_but_cannot_manage_it(platform: Platform, client: httpx.AsyncClient) -> None:
    service_id = await service_with_org(platform)
    other_id = await service_with_org(platform, "Other Council", "Other service")
    user_id, secret = await ready_user(platform, "viewer@example.gov.uk")
    from govplatform.core.services import staff
    from tests.helpers import CLI

    async with platform.uow() as uow:
        await staff.set_role(uow, CLI, service_id, user_id, "viewer")
        await uow.commit()
    await sign_in(client, "viewer@example.gov.uk", secret)
    page = f"/admin/services/{service_id}"
    assert (await client.get(page)).status_code == 200
    assert (await client.get(f"/admin/services/{other_id}")).status_code == 403
    refused = await post_form(client, page, f"{page}/api-keys", {"name": "Sneaky"})
    assert refused.status_code == 403
    assert (await client.get("/admin/organisations")).status_code == 403
    assert (await client.get("/admin/jobs")).status_code == 403


async def test_dead_lettered_jobs_are_shown_to_platform_admins_and_can_be_retried(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    async with platform.uow() as uow:
        job = await enqueue(uow, "notify.send-email", {})
        await uow.commit()
        await uow.session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(status="dead", attempts=8, last_error="SMTPServerDisconnected: gone")
        )
        await uow.commit()
    await signed_in_admin(platform, client)
    page = await client.get("/admin/jobs")
    assert "notify.send-email" in page.text and "SMTPServerDisconnected" in page.text
    retried = await post_form(client, "/admin/jobs", f"/admin/jobs/{job.id}/retry", {})
    assert retried.status_code == 303
    async with platform.uow() as uow:
        assert (await uow.session.get(Job, job.id)).status == "queued"


async def test_the_audit_table_refuses_updates_and_deletes(platform: Platform) -> None:
    service_id = await service_with_org(platform)
    async with platform.uow() as uow:
        event_id = await uow.session.scalar(select(AuditEvent.id).where(AuditEvent.service_id == service_id))
        assert event_id is not None
        for statement in (
            update(AuditEvent).where(AuditEvent.id == event_id).values(actor_label="someone else"),
            delete(AuditEvent).where(AuditEvent.id == event_id),
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                async with uow.session.begin_nested():
                    await uow.session.execute(statement)


async def test_unknown_ids_in_admin_urls_get_a_404_not_a_500(platform: Platform, client: httpx.AsyncClient) -> None:
    await signed_in_admin(platform, client)
    assert (await client.get("/admin/services/123e4567-e89b-12d3-a456-426614174000")).status_code == 404
    response = await client.get("/admin/services/not-a-uuid")
    assert response.status_code == 400
    assert "<html" in response.text


async def test_an_admin_changes_a_members_role_and_removes_them(platform: Platform, client: httpx.AsyncClient) -> None:
    service_id = await service_with_org(platform)
    await signed_in_admin(platform, client)
    page = f"/admin/services/{service_id}"
    await post_form(client, page, f"{page}/team", {"email": "member@example.gov.uk", "role": "viewer"})
    listing = await client.get(page)
    member_action = re.search(r'action="(/admin/services/[^"]+/team/[0-9a-f-]{36})"', listing.text).group(1)
    changed = await post_form(client, page, member_action, {"action": "set_role", "role": "editor"})
    assert changed.status_code == 303
    assert '<option value="editor" selected>' in (await client.get(page)).text
    bad = await post_form(client, page, member_action, {"action": "set_role", "role": "owner"})
    assert bad.status_code == 400
    removed = await post_form(client, page, member_action, {"action": "remove"})
    assert removed.status_code == 303
    assert "member@example.gov.uk" not in (await client.get(page)).text
    audit = (await client.get("/admin/audit")).text
    assert "team_member.role_set" in audit and "team_member.removed" in audit
