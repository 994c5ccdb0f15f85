"""The `govplatform` command: core's commands, and each component's as they arrive."""

from __future__ import annotations

import typer

from govplatform import processes
from govplatform.core import cli as core_cli
from govplatform.notify_commands import notify_cli
from govplatform.pay_commands import pay_cli
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
transparency_cli.command("prove")(processes.prove)
transparency_cli.command("integrate")(processes.integrate)
app.add_typer(transparency_cli, name="transparency")
app.add_typer(notify_cli, name="notify")
app.add_typer(pay_cli, name="pay")


def main() -> None:
    app()
