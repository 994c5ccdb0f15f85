"""Core's commands: db, org, service, user (create, role), key (`serve`, `worker` and `demo` are in
govplatform/processes.py).

Each command builds what it needs from settings (no I/O at import), through the kit every component's
commands share (core/commands.py), which names the database on stderr first. Create
commands take --json and then print one JSON object with at least `id`, so
scripts can use them. A wrong setting or an unreachable database ends the
command with one clear line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

from typing import Any

import typer

from govplatform.core.commands import (
    CLI_ACTOR,
    command_context,
    console,
    create_api_key,
    describe_database,
    emit,
    fail,
    parse_id,
    run_with_platform,
    user_facing,
)
from govplatform.core.interfaces import Role
from govplatform.core.settings import Settings

org_cli = typer.Typer(help="Organisations (public bodies).", no_args_is_help=True)
service_cli = typer.Typer(help="Services, each run by one organisation.", no_args_is_help=True)
user_cli = typer.Typer(help="Staff users of the admin pages.", no_args_is_help=True)
key_cli = typer.Typer(help="Platform API keys.", no_args_is_help=True)
db_cli = typer.Typer(help="The database schema.", no_args_is_help=True)


def settings_or_exit(creates: bool = False) -> Settings:
    """This run's settings, its database named on stderr (see core/commands.py)."""
    return command_context().settings(creates)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every database migration (alembic upgrade head)."""
    from govplatform.core.migrate import upgrade_to_head

    settings = settings_or_exit(creates=True)
    try:
        upgrade_to_head(settings)
    except Exception as error:
        fail(f"Cannot migrate the database ({describe_database(settings)}): {str(error).splitlines()[0][:200]}")
    console.print(f"Database is up to date ({describe_database(settings)}).", highlight=False)


@org_cli.command("create")
def org_create(
    name: str = typer.Option(..., help="The public body's name"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Create an organisation."""
    from govplatform.core.services import tenancy

    async def work(platform: Any) -> Any:
        async with platform.uow() as uow:
            organisation = await tenancy.create_organisation(uow, CLI_ACTOR, name)
            await uow.commit()
            return organisation

    organisation = user_facing(lambda: run_with_platform(work))
    emit(
        as_json,
        {"id": organisation.id, "name": organisation.name},
        f"Created organisation {organisation.name} with ID {organisation.id}",
    )


@service_cli.command("create")
def service_create(
    org: str = typer.Option(..., help="The organisation's ID"),
    name: str = typer.Option(..., help="The service's name"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Create a service for an organisation."""
    from govplatform.core.services import tenancy

    organisation_id = parse_id(org, "--org")

    async def work(platform: Any) -> Any:
        async with platform.uow() as uow:
            service = await tenancy.create_service(uow, CLI_ACTOR, organisation_id, name)
            await uow.commit()
            return service

    service = user_facing(lambda: run_with_platform(work))
    emit(
        as_json,
        {"id": service.id, "name": service.name, "organisation_id": service.organisation_id},
        f"Created service {service.name} with ID {service.id}",
    )


@user_cli.command("create")
def user_create(
    email: str = typer.Option(..., help="Their work email address"),
    service: str | None = typer.Option(None, help="A service ID to add them to"),
    role: str | None = typer.Option(None, help="Their role on that service: admin, editor or viewer"),
    platform_admin: bool = typer.Option(False, "--platform-admin", help="Make them a platform admin"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Create a staff user and print their one-time set-up link."""
    from govplatform.core.services import staff

    if service is None and not platform_admin:
        fail("Give --service ID --role ROLE, or --platform-admin", 2)
    if service is not None and role not in Role.ALL:
        fail("--role must be admin, editor or viewer", 2)
    service_id = parse_id(service, "--service") if service else None

    async def work(platform: Any) -> Any:
        async with platform.uow() as uow:
            user, token = await staff.create_user(
                uow,
                CLI_ACTOR,
                platform.settings.api_key_hash_secret,
                email,
                platform.settings.setup_link_hours,
                platform_admin=platform_admin,
                service_id=service_id,
                role=role,
            )
            await uow.commit()
            return user, token, platform.settings.base_url

    user, token, base_url = user_facing(lambda: run_with_platform(work))
    link = f"{base_url}/setup/{token}" if token else None
    emit(
        as_json,
        {"id": user.id, "email": user.email, "setup_link": link},
        f"Staff user {user.email} has ID {user.id}.\n"
        + (f"Set-up link (works once, expires in 72 hours): {link}" if link else "They have already set up."),
    )


@user_cli.command("role")
def user_role(
    email: str = typer.Option(..., help="Their email address; they must already have an account"),
    role: str = typer.Option(
        ..., help="With --org: org-admin, data-owner or chief-data-officer. With --service: admin, editor or viewer"
    ),
    org: str | None = typer.Option(None, help="An organisation's ID, for an organisation role"),
    service: str | None = typer.Option(None, help="A service's ID, for a role on its team"),
    remove: bool = typer.Option(False, "--remove", help="Take the role away instead of giving it"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Give or take away a role in an organisation or on a service's team, as the operator (audited)."""
    from govplatform.core.interfaces import OrgRole
    from govplatform.core.services import org_roles

    if (org is None) == (service is None):
        fail("Give either --org ID or --service ID, not both or neither", 2)
    scope = "organisation" if org else "service"
    allowed = OrgRole.ALL if org else Role.ALL
    if role not in allowed:
        fail(f"--role for {'--org' if org else '--service'} must be one of {', '.join(allowed)}, not {role!r}", 2)
    scope_id = parse_id(org or service or "", "--org" if org else "--service")

    async def work(platform: Any) -> Any:
        async with platform.uow() as uow:
            changed = await org_roles.change_by_operator(uow, CLI_ACTOR, scope, scope_id, email, role, remove)
            await uow.commit()
            return changed

    user_id, changed = user_facing(lambda: run_with_platform(work))
    verb = "removed" if remove else "granted"
    emit(
        as_json,
        {"email": email.strip().lower(), "user_id": user_id, f"{scope}_id": scope_id, "role": role}
        | {"action": verb, "changed": changed},
        f"{email.strip().lower()}: {role} {verb} ({scope} {scope_id})" + ("" if changed else ", as it already was"),
    )


@key_cli.command("create")
def key_create(
    service: str = typer.Option(..., help="The service's ID"),
    name: str = typer.Option("CLI key", help="A name for the key"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Create a platform API key; the key is printed once and never again."""
    key, shown = create_api_key("platform", parse_id(service, "--service"), name)
    emit(
        as_json,
        {"id": key.id, "name": key.name, "service_id": key.service_id, "key": shown},
        f"API key {key.name} ({key.id}) for service {key.service_id}:\n{shown}\nCopy it now: it is not shown again.",
    )
