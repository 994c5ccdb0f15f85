"""Organisation roles as services: who may grant and remove which role, and what is audited (ADR 0012)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from govplatform.core import interfaces
from govplatform.core.interfaces import OrgRole
from govplatform.core.models import AuditEvent, Service, StaffUser
from govplatform.core.platform import Platform
from govplatform.core.services import org_roles, staff
from govplatform.core.services.org_roles import OPERATOR, Granter, NotAllowed
from govplatform.core.services.tenancy import NotFound
from tests.helpers import CLI, service_with_org

ADMIN, OWNER, CDO = OrgRole.ORG_ADMIN, OrgRole.DATA_OWNER, OrgRole.CHIEF_DATA_OFFICER


async def org_of(platform: Platform, service_id: uuid.UUID) -> uuid.UUID:
    async with platform.uow(read_only=True) as uow:
        service = await uow.session.get(Service, service_id)
        assert service is not None
        return service.organisation_id


async def person(
    platform: Platform, email: str, service_id: uuid.UUID | None = None, role: str = "viewer"
) -> uuid.UUID:
    """A staff user (no password: these tests never sign in), on the service's team if one is given."""
    user_id = uuid.uuid4()
    async with platform.uow() as uow:
        uow.session.add(StaffUser(id=user_id, email=email))
        await uow.session.flush()
        if service_id is not None:
            await staff.set_role(uow, CLI, service_id, user_id, role)
        await uow.commit()
    return user_id


async def give(platform: Platform, organisation_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
    async with platform.uow() as uow:
        await org_roles.grant(uow, CLI, OPERATOR, organisation_id, user_id, role)
        await uow.commit()


async def try_grant(platform: Platform, granter: uuid.UUID, org: uuid.UUID, user_id: uuid.UUID, role: str) -> bool:
    """True if the staff member `granter` may give the role; the change is rolled back either way."""
    async with platform.uow() as uow:
        try:
            await org_roles.grant(uow, CLI, Granter(granter, False), org, user_id, role)
        except NotAllowed:
            return False
        return True


@pytest.fixture
async def shire(platform: Platform) -> dict[str, uuid.UUID]:
    """Shire Council with one person in each part, and Other Council with its own org-admin."""
    parking = await service_with_org(platform, "Shire Council", "Parking")
    bins = await service_with_org(platform, "Other Council", "Bins")
    shire_id, other_id = await org_of(platform, parking), await org_of(platform, bins)
    people = {
        "org": shire_id,
        "other_org": other_id,
        "org_admin": await person(platform, "org-admin@shire.gov.uk"),
        "data_owner": await person(platform, "owner@shire.gov.uk"),
        "cdo": await person(platform, "cdo@shire.gov.uk"),
        "service_admin": await person(platform, "admin@shire.gov.uk", parking, "admin"),
        "viewer": await person(platform, "viewer@shire.gov.uk", parking, "viewer"),
        "other_org_admin": await person(platform, "org-admin@other.gov.uk"),
        "target": await person(platform, "officer@shire.gov.uk", parking, "editor"),
    }
    await give(platform, shire_id, people["org_admin"], ADMIN)
    await give(platform, shire_id, people["data_owner"], OWNER)
    await give(platform, shire_id, people["cdo"], CDO)
    await give(platform, other_id, people["other_org_admin"], ADMIN)
    return people


# Who may give each role to a person of Shire Council: everything else is refused.
MAY_GRANT = {
    "org_admin": {ADMIN},
    "cdo": {OWNER},
    "data_owner": set(),
    "service_admin": set(),
    "viewer": set(),
    "other_org_admin": set(),
}


@pytest.mark.parametrize("who", sorted(MAY_GRANT))
async def test_each_person_may_grant_in_an_organisation_exactly_the_roles_the_matrix_gives_them(
    platform: Platform, shire: dict[str, uuid.UUID], who: str
) -> None:
    allowed = {
        role for role in OrgRole.ALL if await try_grant(platform, shire[who], shire["org"], shire["target"], role)
    }
    assert allowed == MAY_GRANT[who]


async def test_a_platform_admin_grants_every_role_and_each_grant_and_removal_is_audited(
    platform: Platform, shire: dict[str, uuid.UUID]
) -> None:
    admin = Granter(await person(platform, "ops@platform.gov.uk"), True)
    async with platform.uow() as uow:
        for role in OrgRole.ALL:
            assert await org_roles.grant(uow, CLI, admin, shire["org"], shire["target"], role)
        assert not await org_roles.grant(uow, CLI, admin, shire["org"], shire["target"], OWNER)  # held already
        await org_roles.remove(uow, CLI, admin, shire["org"], shire["target"], CDO)
        await uow.commit()
    async with platform.uow(read_only=True) as uow:
        events = (
            await uow.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.target_id == str(shire["target"]), AuditEvent.action.like("organisation_role.%"))
                .order_by(AuditEvent.id)
            )
        ).all()
        assert [(e.action, e.detail["role"]) for e in events] == [
            ("organisation_role.granted", ADMIN),
            ("organisation_role.granted", OWNER),
            ("organisation_role.granted", CDO),
            ("organisation_role.removed", CDO),
        ]
        assert {e.detail["organisation_id"] for e in events} == {str(shire["org"])}
        assert await interfaces.has_org_role(uow, shire["target"], shire["org"], OWNER)
        assert not await interfaces.has_org_role(uow, shire["target"], shire["org"], CDO)
        owners = await interfaces.holders_of(uow, shire["org"], OWNER)
        assert [holder.email for holder in owners] == ["officer@shire.gov.uk", "owner@shire.gov.uk"]


async def test_no_one_but_a_platform_admin_gives_themself_a_role(
    platform: Platform, shire: dict[str, uuid.UUID]
) -> None:
    async with platform.uow() as uow:
        with pytest.raises(NotAllowed):
            await org_roles.grant(uow, CLI, Granter(shire["cdo"], False), shire["org"], shire["cdo"], OWNER)


async def test_an_org_admin_finds_only_the_organisations_own_people_and_cannot_tell_who_exists_elsewhere(
    platform: Platform, shire: dict[str, uuid.UUID]
) -> None:
    granter = Granter(shire["org_admin"], False)
    async with platform.uow() as uow:
        found = await org_roles.find_person(uow, granter, shire["org"], " Officer@Shire.gov.uk ")
        assert found.id == shire["target"]
        messages = []
        for email in ("org-admin@other.gov.uk", "nobody@nowhere.gov.uk"):
            with pytest.raises(NotFound) as refused:
                await org_roles.find_person(uow, granter, shire["org"], email)
            messages.append(refused.value.template)
        assert messages[0] == messages[1]


async def test_the_last_org_admin_stays_unless_a_platform_admin_removes_them(
    platform: Platform, shire: dict[str, uuid.UUID]
) -> None:
    me = Granter(shire["org_admin"], False)
    async with platform.uow() as uow:
        with pytest.raises(NotAllowed):
            await org_roles.remove(uow, CLI, me, shire["org"], shire["org_admin"], ADMIN)
    await give(platform, shire["org"], shire["target"], ADMIN)
    async with platform.uow() as uow:
        await org_roles.remove(uow, CLI, me, shire["org"], shire["org_admin"], ADMIN)  # one is left: stepping down
        with pytest.raises(NotAllowed):
            await org_roles.remove(uow, CLI, Granter(shire["target"], False), shire["org"], shire["target"], ADMIN)
        await org_roles.remove(uow, CLI, OPERATOR, shire["org"], shire["target"], ADMIN)
        assert await org_roles.holders_of(uow, shire["org"], ADMIN) == []


async def test_a_data_owner_may_step_down_but_not_remove_another(
    platform: Platform, shire: dict[str, uuid.UUID]
) -> None:
    await give(platform, shire["org"], shire["target"], OWNER)
    owner = Granter(shire["data_owner"], False)
    async with platform.uow() as uow:
        with pytest.raises(NotAllowed):
            await org_roles.remove(uow, CLI, owner, shire["org"], shire["target"], OWNER)
        await org_roles.remove(uow, CLI, owner, shire["org"], shire["data_owner"], OWNER)
        assert [h.email for h in await org_roles.holders_of(uow, shire["org"], OWNER)] == ["officer@shire.gov.uk"]


async def test_roles_in_one_organisation_give_nothing_in_another(
    platform: Platform, shire: dict[str, uuid.UUID]
) -> None:
    outsider = await person(platform, "clerk@other.gov.uk")
    assert not await try_grant(platform, shire["org_admin"], shire["other_org"], outsider, ADMIN)
    assert await try_grant(platform, shire["other_org_admin"], shire["other_org"], outsider, ADMIN) is True
