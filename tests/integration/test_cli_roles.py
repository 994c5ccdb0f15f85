"""`govplatform user role`: organisation and service roles from the command line, audited (ADR 0012)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from govplatform.core.models import AuditEvent
from tests.integration.test_cli import as_json, govplatform

pytestmark = pytest.mark.process

SOME_ID = "123e4567-e89b-12d3-a456-426614174000"


def audited(database_url: str) -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    select(AuditEvent.action, AuditEvent.detail)
                    .where(
                        AuditEvent.action.in_(
                            [
                                "organisation_role.granted",
                                "organisation_role.removed",
                                "team_member.role_set",
                                "team_member.removed",
                            ]
                        )
                    )
                    .order_by(AuditEvent.id)
                )
                return [(action, (detail or {}).get("role", "")) for action, detail in rows.all()]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_user_role_grants_and_removes_organisation_and_service_roles_with_json_and_audit(
    fresh_database: str, tmp_path: Path
) -> None:
    def run(*args: str) -> dict:
        return as_json(govplatform(tmp_path, fresh_database, *args, "--json"))

    org = run("org", "create", "--name", "Anytown Council")["id"]
    service = run("service", "create", "--org", org, "--name", "Bins")["id"]
    run("user", "create", "--email", "officer@anytown.gov.uk", "--platform-admin")
    who = ("--email", "Officer@Anytown.gov.uk")

    granted = run("user", "role", "--org", org, *who, "--role", "chief-data-officer")
    assert granted | {"user_id": None} == {
        "email": "officer@anytown.gov.uk",
        "user_id": None,
        "organisation_id": org,
        "role": "chief-data-officer",
        "action": "granted",
        "changed": True,
    }
    assert run("user", "role", "--org", org, *who, "--role", "chief-data-officer")["changed"] is False
    assert run("user", "role", "--org", org, *who, "--role", "chief-data-officer", "--remove")["action"] == "removed"
    on_team = run("user", "role", "--service", service, *who, "--role", "editor")
    assert on_team["service_id"] == service and on_team["changed"] is True
    wrong = govplatform(
        tmp_path, fresh_database, "user", "role", "--service", service, *who, "--role", "viewer", "--remove"
    )
    assert wrong.returncode == 1 and "not viewer on this service's team" in wrong.stderr
    assert run("user", "role", "--service", service, *who, "--role", "editor", "--remove")["changed"] is True

    assert audited(fresh_database) == [
        ("organisation_role.granted", "chief-data-officer"),
        ("organisation_role.removed", "chief-data-officer"),
        ("team_member.role_set", "editor"),
        ("team_member.removed", ""),
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--org", SOME_ID, "--service", SOME_ID, "--role", "org-admin"], 2, "not both or neither"),
        (["--role", "org-admin"], 2, "not both or neither"),
        (["--org", SOME_ID, "--role", "admin"], 2, "--role for --org must be one of org-admin, data-owner"),
        (["--service", SOME_ID, "--role", "org-admin"], 2, "--role for --service must be one of admin, editor"),
        (["--org", "not-an-id", "--role", "org-admin"], 2, "--org must be an ID"),
    ],
)
def test_user_role_refuses_bad_input_with_one_line_and_a_non_zero_exit(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    # Refused before any database is opened, so none is given.
    unused = f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"
    result = govplatform(tmp_path, unused, "user", "role", "--email", "x@anytown.gov.uk", *args)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_user_role_names_an_unknown_email_and_an_unknown_organisation(fresh_database: str, tmp_path: Path) -> None:
    org = as_json(govplatform(tmp_path, fresh_database, "org", "create", "--name", "Anytown Council", "--json"))["id"]
    result = govplatform(
        tmp_path, fresh_database, "user", "role", "--org", org, "--email", "ghost@x.gov.uk", "--role", "data-owner"
    )
    assert result.returncode == 1
    assert "There is no staff user with the email address ghost@x.gov.uk" in result.stderr
    missing = govplatform(
        tmp_path, fresh_database, "user", "role", "--org", SOME_ID, "--email", "ghost@x.gov.uk", "--role", "data-owner"
    )
    assert missing.returncode == 1
    assert "There is no organisation with that ID" in missing.stderr
