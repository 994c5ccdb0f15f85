"""What the exchange's command modules share: the --json option, and the component from the lent platform."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from govplatform.exchange.component import ExchangeComponent

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON")]


def exchange_of(platform: Any) -> ExchangeComponent:
    component: ExchangeComponent = platform.components["exchange"]
    return component
