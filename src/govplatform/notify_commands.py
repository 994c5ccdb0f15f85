"""`govplatform notify ...`: keys, templates and limits for a service's notifications.

These sit outside the notify component because they need core's key store
and the composition root as well as notify's services (the same reason
`processes.py` does). Each prints one JSON object with --json, for scripts.
"""

from __future__ import annotations

import uuid
from typing import Any

import typer

from govplatform.core.cli import CLI_ACTOR, emit, fail, parse_id, run_with_platform
from govplatform.core.interfaces import UserFacingError

notify_cli = typer.Typer(help="Notifications: email, text messages and letters.", no_args_is_help=True)
key_cli = typer.Typer(help="Notify API keys.", no_args_is_help=True)
template_cli = typer.Typer(help="Message templates.", no_args_is_help=True)
notify_cli.add_typer(key_cli, name="key")
notify_cli.add_typer(template_cli, name="template")

KEY_TYPES = {"live": "normal", "team": "team", "test": "test"}


async def _service_name(platform: Any, service_id: uuid.UUID) -> str:
    from govplatform.core.services.staff import ServiceDirectory

    async with platform.uow(read_only=True) as uow:
        service = await ServiceDirectory().describe(uow, service_id)
    if service is None:
        fail(f"There is no service with ID {service_id}")
    return str(service.name)


@key_cli.command("create")
def key_create(
    service: str = typer.Option(..., help="The service's ID"),
    key_type: str = typer.Option(..., "--type", help="test, team or live"),
    name: str = typer.Option("CLI key", help="A name for the key"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Create a Notify API key; the key is printed once and never again."""
    from govplatform.app import register_components
    from govplatform.core.services import api_keys
    from govplatform.core.services.tenancy import TenancyError

    service_id = parse_id(service, "--service")
    if key_type not in KEY_TYPES:
        fail("--type must be test, team or live", 2)

    async def work(platform: Any) -> Any:
        register_components(platform)
        await _service_name(platform, service_id)
        async with platform.uow() as uow:
            key, shown = await api_keys.create_key(
                uow, CLI_ACTOR, platform.key_formats["notify"], service_id, name, KEY_TYPES[key_type]
            )
            await uow.commit()
            return key, shown

    try:
        key, shown = run_with_platform(work)
    except TenancyError as error:
        fail(str(error))
        raise
    emit(
        as_json,
        {"id": key.id, "name": key.name, "service_id": key.service_id, "type": key_type, "key": shown},
        f"Notify {key_type} key {key.name} ({key.id}):\n{shown}\nCopy it now: it is not shown again.",
    )


@template_cli.command("create")
def template_create(
    service: str = typer.Option(..., help="The service's ID"),
    template_type: str = typer.Option(..., "--type", help="email, sms or letter"),
    name: str = typer.Option(..., help="The template's name"),
    body: str = typer.Option(..., help="The message, with ((placeholders))"),
    subject: str | None = typer.Option(None, help="The subject (email and letter)"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Create a template; prints its ID."""
    from govplatform.notify.services import templates

    service_id = parse_id(service, "--service")

    async def work(platform: Any) -> Any:
        await _service_name(platform, service_id)
        async with platform.uow() as uow:
            created = await templates.create_template(
                uow, CLI_ACTOR, service_id, template_type, name, body.replace("\\n", "\n"), subject
            )
            await uow.commit()
            return created

    try:
        created = run_with_platform(work)
    except UserFacingError as error:
        fail(str(error))
        raise
    emit(
        as_json,
        {"id": created.id, "type": created.type, "name": created.name, "version": created.version},
        f"Template {created.name} ({created.id}), version {created.version}",
    )


@notify_cli.command("limits")
def limits(
    service: str = typer.Option(..., help="The service's ID"),
    rate_limit: int | None = typer.Option(None, help="Requests per 60 seconds, per key type"),
    daily_limit: list[str] = typer.Option([], help="CHANNEL=N, for email, sms, letter or international_sms"),
    live: bool = typer.Option(False, "--live", help="Take the service out of trial mode"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Change a service's sending limits, or take it out of trial mode."""
    from govplatform.notify.services import settings as notify_settings

    service_id = parse_id(service, "--service")
    daily: dict[str, int] = {}
    for item in daily_limit:
        channel, _, value = item.partition("=")
        if not value.isdigit():
            fail(f"--daily-limit must look like email=1000, not {item!r}", 2)
        daily[channel.strip()] = int(value)

    async def work(platform: Any) -> Any:
        name = await _service_name(platform, service_id)
        async with platform.uow() as uow:
            policy = await notify_settings.change_limits(
                uow, CLI_ACTOR, service_id, name, rate_limit=rate_limit, daily_limits=daily, live=live or None
            )
            await uow.commit()
            return policy

    try:
        policy = run_with_platform(work)
    except UserFacingError as error:
        fail(str(error))
        raise
    values = {
        "service_id": policy.service_id,
        "live": not policy.restricted,
        "rate_limit": policy.rate_limit,
        "daily_limits": policy.daily_limits,
    }
    emit(as_json, values, f"Service {service_id}: " + ", ".join(f"{k} {v}" for k, v in values.items()))


@notify_cli.command("callback")
def callback(
    service: str = typer.Option(..., help="The service's ID"),
    callback_type: str = typer.Option(..., "--type", help="delivery_status or inbound_sms"),
    url: str = typer.Option(..., help="Where to post (https)"),
    token: str = typer.Option(..., help="The bearer token the platform sends"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Set where a service's delivery receipts or received texts are posted."""
    from govplatform.app import register_components
    from govplatform.notify.services import callbacks

    service_id = parse_id(service, "--service")

    async def work(platform: Any) -> Any:
        register_components(platform)
        await _service_name(platform, service_id)
        allow_http = platform.components["notify"].callback_policy.allow_http
        async with platform.uow() as uow:
            row = await callbacks.set_callback(
                uow, platform.cipher, CLI_ACTOR, service_id, callback_type, url, token, allow_http
            )
            await uow.commit()
            return row.id

    try:
        callback_id = run_with_platform(work)
    except UserFacingError as error:
        fail(str(error))
        raise
    emit(as_json, {"id": callback_id, "service_id": service_id, "type": callback_type}, f"Callback {callback_type} set")
