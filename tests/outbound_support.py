"""The outbound guard as tests set it up: a resolver that answers from a table, and the operator's allowed hosts.

Tests never reach DNS or the internet: names resolve through `Names`, and the
only servers called are receivers on loopback, which an operator would allow
with GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS (as `use_guard` does here).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any

from govplatform.app import register_components
from govplatform.core.outbound import OutboundGuard
from govplatform.core.platform import Platform

PUBLIC = "93.184.215.14"  # an address on the public internet (example.org's once); nothing here connects to it


class Names:
    """A resolver that answers from a table instead of DNS, and keeps every name it was asked.

    A name's entry is a list of addresses, or a list of such lists answered in turn (a name
    that rebinds between lookups keeps answering its last). Names not in the table resolve
    to `default`, or not at all.
    """

    def __init__(
        self, table: dict[str, Sequence[str] | Sequence[Sequence[str]]] | None = None, default: Sequence[str] = ()
    ) -> None:
        self.table = dict(table or {})
        self.default = list(default)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        entry: Any = self.table.get(host, self.default)
        if not entry:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if isinstance(entry[0], str):
            return list(entry)
        answer = list(entry[0])
        if len(entry) > 1:
            self.table[host] = entry[1:]
        return answer


def public_dns() -> Names:
    """Every name resolves to a public address, as the names tests use (example.org, example.gov.uk) would."""
    return Names(default=[PUBLIC])


def use_guard(
    platform: Platform, *, allowed: str = "", names: Names | None = None, environment: str | None = None
) -> OutboundGuard:
    """Give notify and pay the guard that these settings would make: GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS=`allowed`
    (and GOVPLATFORM_ENVIRONMENT), with names resolved by `names` (the system's resolver when None)."""
    register_components(platform)
    update: dict[str, Any] = {"outbound_allowed_hosts": allowed}
    if environment is not None:
        update["environment"] = environment
    guard = OutboundGuard.from_settings(platform.settings.model_copy(update=update), resolver=names)
    platform.components["notify"].outbound = guard
    platform.components["pay"].outbound = guard
    return guard
