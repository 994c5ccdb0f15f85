"""`govplatform notify ...`: keys, templates and limits for a service's notifications.

The platform, with every component registered, is lent by the root command through core's
command kit (core/commands.py), so these need nothing above notify. Each prints one JSON object
with --json, for scripts.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import typer

from govplatform.core.interfaces import (
    CLI_ACTOR,
    UserFacingError,
    create_api_key,
    emit,
    err,
    fail,
    parse_id,
    run_with_platform,
)
from govplatform.notify.errors import NotifyError

notify_cli = typer.Typer(help="Notifications: email, text messages and letters.", no_args_is_help=True)
key_cli = typer.Typer(help="Notify API keys.", no_args_is_help=True)
template_cli = typer.Typer(help="Message templates.", no_args_is_help=True)
notify_cli.add_typer(key_cli, name="key")
notify_cli.add_typer(template_cli, name="template")

KEY_TYPES = {"live": "normal", "team": "team", "test": "test"}


async def _service_name(platform: Any, service_id: uuid.UUID) -> str:
    async with platform.uow(read_only=True) as uow:
        service = await platform.components["notify"].team.describe(uow, service_id)
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
    service_id = parse_id(service, "--service")
    if key_type not in KEY_TYPES:
        fail("--type must be test, team or live", 2)
    key, shown = create_api_key("notify", service_id, name, KEY_TYPES[key_type])
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
    from govplatform.notify.services import callbacks

    service_id = parse_id(service, "--service")

    async def work(platform: Any) -> Any:
        await _service_name(platform, service_id)
        outbound = platform.components["notify"].outbound  # the operator's settings: allowed hosts, https
        async with platform.uow() as uow:
            row = await callbacks.set_callback(
                uow, platform.cipher, CLI_ACTOR, service_id, callback_type, url, token, outbound
            )
            await uow.commit()
            return row.id

    try:
        callback_id = run_with_platform(work)
    except UserFacingError as error:
        fail(str(error))
    emit(as_json, {"id": callback_id, "service_id": service_id, "type": callback_type}, f"Callback {callback_type} set")


@notify_cli.command("send-csv")
def send_csv(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV, TSV or XLSX, with a header row"),
    service: str = typer.Option(..., help="The service's ID"),
    template: str = typer.Option(..., help="The template's ID"),
    wait: bool = typer.Option(True, help="Show progress until every row has a notification"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Send one template to every row of a file; every row is checked before anything is sent."""
    from govplatform.notify.services import bulk, spreadsheets
    from govplatform.notify.services import settings as notify_settings

    service_id = parse_id(service, "--service")
    template_id = parse_id(template, "--template")
    data = file.read_bytes()

    async def work(platform: Any) -> Any:
        notify = platform.components["notify"]
        name = await _service_name(platform, service_id)
        async with platform.uow(read_only=True) as uow:
            found = await bulk.template_for(uow, service_id, template_id)
            policy = await notify_settings.policy_for(uow, service_id, name)
            allowed = await bulk.allowed_recipients(uow, notify.team, service_id, policy)
        checked = spreadsheets.check_file(file.name, data, found, sms_prefix=policy.sms_prefix, allowed=allowed)
        if not checked.ok:
            return checked, None
        async with platform.uow() as uow:
            created = await bulk.create_bulk_send(
                uow, platform.cipher, notify.limits, CLI_ACTOR, policy, found, file.name, checked
            )
            await uow.commit()
        return checked, created.id

    try:
        checked, bulk_id = run_with_platform(work)
    except (UserFacingError, NotifyError) as error:
        fail(str(error))
    if bulk_id is None:
        for problem in checked.problems:
            err.print(f"Row {problem.row}: {problem.message}", highlight=False, soft_wrap=True)
        hidden = checked.problem_count - len(checked.problems)
        more = f" ({hidden} not shown)" if hidden else ""
        fail(f"{checked.problem_count} rows have errors{more}; nothing was sent")
    if wait:
        _follow(service_id, bulk_id, len(checked.rows), quiet=as_json)
    emit(as_json, {"id": bulk_id, "rows": len(checked.rows)}, f"Bulk send {bulk_id}: {len(checked.rows)} rows")


def _follow(service_id: uuid.UUID, bulk_id: uuid.UUID, rows: int, quiet: bool) -> None:
    """A progress bar fed by the workers' progress, until every row has become a notification."""
    import time

    from rich.progress import Progress as Bar

    from govplatform.notify.services import bulk

    async def read(platform: Any) -> Any:
        async with platform.uow(read_only=True) as uow:
            return await bulk.progress(uow, service_id, bulk_id)

    with Bar(disable=quiet, console=err) as bar:
        task = bar.add_task("Creating notifications", total=rows)
        last_change, last_seen = time.monotonic(), -1
        while True:
            state = run_with_platform(read)
            bar.update(task, completed=state.processed_rows)
            if state.status == "finished":
                return
            if state.processed_rows != last_seen:
                last_change, last_seen = time.monotonic(), state.processed_rows
            elif time.monotonic() - last_change > 60:
                err.print("No progress for a minute: is a worker running (`govplatform worker`)?")
                last_change = time.monotonic()
            time.sleep(0.5)
