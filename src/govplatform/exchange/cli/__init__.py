"""`govplatform exchange ...`: members' keys and the gateway's, datasets and their records, agreements.

One module per group of commands. Each command runs on the platform that the root command lends
(core/commands.py, ADR 0014) and prints one JSON object with --json.
"""

from __future__ import annotations

import typer

from govplatform.exchange.cli.agreements import agreement_cli
from govplatform.exchange.cli.datasets import dataset_cli
from govplatform.exchange.cli.keys import gateway_cli, key_cli
from govplatform.exchange.cli.query import query

exchange_cli = typer.Typer(help="Exchange: data shared between public bodies under agreements.", no_args_is_help=True)
exchange_cli.add_typer(key_cli, name="key")
exchange_cli.add_typer(gateway_cli, name="gateway-key")
exchange_cli.add_typer(dataset_cli, name="dataset")
exchange_cli.add_typer(agreement_cli, name="agreement")
exchange_cli.command("query")(query)
