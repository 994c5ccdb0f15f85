"""Who may grant which organisation role (ADR 0012), as a rule with no database."""

from __future__ import annotations

import pytest

from govplatform.core.interfaces import OrgRole
from govplatform.core.services.org_roles import grantable

ADMIN, OWNER, CDO = OrgRole.ORG_ADMIN, OrgRole.DATA_OWNER, OrgRole.CHIEF_DATA_OFFICER


@pytest.mark.parametrize(
    ("held", "platform_admin", "expected"),
    [
        (set(), True, (ADMIN, OWNER, CDO)),
        ({ADMIN}, False, (ADMIN,)),
        ({CDO}, False, (OWNER,)),
        ({OWNER}, False, ()),
        ({ADMIN, CDO}, False, (ADMIN, OWNER)),
        (set(), False, ()),
    ],
)
def test_each_role_grants_only_the_roles_the_adr_gives_it(
    held: set[str], platform_admin: bool, expected: tuple[str, ...]
) -> None:
    assert grantable(held, platform_admin) == expected


def test_no_organisation_role_grants_the_chief_data_officer_only_a_platform_admin_does() -> None:
    assert all(CDO not in grantable({role}, False) for role in OrgRole.ALL)
    assert CDO in grantable(set(), True)
