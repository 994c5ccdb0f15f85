"""The `govplatform` command: core's commands, each component's from its own cli.py, and the processes.

Every run is lent a `CommandContext` (core/commands.py) holding the composition root's
`register_components`, so a component's commands get the whole platform without importing app.py.
To add commands: write a typer app in the component's cli.py and add it here under the component's name.
"""

from __future__ import annotations

from typing import Any

import typer

from govplatform import processes
from govplatform.core import cli as core_cli
from govplatform.core.commands import CommandContext, lend
from govplatform.exchange.cli import exchange_cli
from govplatform.identity.cli import identity_cli
from govplatform.notify.cli import notify_cli
from govplatform.pay.cli import pay_cli
from govplatform.transparency.cli import transparency_cli

app = typer.Typer(
    help="GovPlatform: shared components for public services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(processes.serve)
app.command()(processes.worker)
app.command()(processes.demo)
app.add_typer(core_cli.db_cli, name="db")
app.add_typer(core_cli.org_cli, name="org")
app.add_typer(core_cli.service_cli, name="service")
app.add_typer(core_cli.user_cli, name="user")
app.add_typer(core_cli.key_cli, name="key")
app.add_typer(transparency_cli, name="transparency")
app.add_typer(notify_cli, name="notify")
app.add_typer(pay_cli, name="pay")
app.add_typer(identity_cli, name="identity")
app.add_typer(exchange_cli, name="exchange")


@app.callback()
def _lend_the_platform() -> None:
    lend(CommandContext(prepare=_register_components))


def _register_components(platform: Any) -> None:
    from govplatform.app import register_components  # when a command builds the platform, not for --help

    register_components(platform)


def main() -> None:
    app()
