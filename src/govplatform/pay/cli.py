"""`govplatform pay ...`: Pay API keys for a service.

Creating a key needs core's key store and pay's key format, registered on the platform that the
root command lends through core's command kit (core/commands.py).
"""

from __future__ import annotations

import typer

from govplatform.core.interfaces import create_api_key, emit, fail, parse_id

pay_cli = typer.Typer(help="Payments: GOV.UK Pay-compatible API keys.", no_args_is_help=True)
key_cli = typer.Typer(help="Pay API keys.", no_args_is_help=True)
pay_cli.add_typer(key_cli, name="key")


@key_cli.command("create")
def key_create(
    service: str = typer.Option(..., help="The service's ID"),
    mode: str = typer.Option(..., help="test (the sandbox processor only) or live"),
    name: str = typer.Option("CLI key", help="A name for the key"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
) -> None:
    """Create a Pay API key (api_test_... or api_live_...); it is printed once and never again."""
    service_id = parse_id(service, "--service")
    if mode not in ("test", "live"):
        fail("--mode must be test or live", 2)
    key, shown = create_api_key("pay", service_id, name, mode)
    emit(
        as_json,
        {"id": key.id, "name": key.name, "service_id": key.service_id, "mode": mode, "key": shown},
        f"Pay {mode} key {key.name} ({key.id}):\n{shown}\nCopy it now: it is not shown again.",
    )
