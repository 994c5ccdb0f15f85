"""Every call to a URL that a tenant or a partner supplies goes through core's outbound guard.

The rule is kept by listing every module that imports an HTTP or socket client
library; each is either the guard itself or calls only what the operator
configured, and says so here. A new module that makes HTTP calls fails this test
until someone decides which it is: a tenant's URL goes through
`OutboundGuard` (core/outbound.py, docs/adr/0010-outbound-guard.md), an
operator's target is added below with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
CLIENT_LIBRARIES = ("httpx", "httpcore", "aiohttp", "requests", "urllib3", "urllib.request", "http.client", "pycurl")

OPERATOR_TARGETS = {
    "govplatform/core/outbound.py": "the guard itself: it pins each connection to the address it checked",
    "govplatform/notify/providers/sms_firetext.py": "Firetext's gateway URL, from the operator's settings",
    "govplatform/pay/processors/stripe.py": "Stripe's API base URL, from the operator's settings",
    "govplatform/transparency/cli.py": "the log an operator verifies from their own machine, named on the command line",
    "govplatform/transparency/services/witness.py": "the same: fetches over the client the witness command made",
    "govplatform/examples/parking_shop.py": "the platform's own base URL, from the operator's settings",
    "govplatform/examples/parking_sign_in.py": "the same: the platform's own provider, at its base URL",
    "govplatform/examples/core_identity_check.py": "the same: the provider's DID document, at its base URL",
    "govplatform/examples/parking_vehicle.py": "the same: the platform's exchange API and directory, at its base URL",
    "govplatform/exchange/cli/query.py": "the exchange a member asks from its own machine, named on the command line",
}


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _uses_a_client_library(names: set[str]) -> bool:
    return any(name == library or name.startswith(library + ".") for name in names for library in CLIENT_LIBRARIES)


def test_only_the_guard_and_the_operators_own_targets_import_an_http_client() -> None:
    found = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if _uses_a_client_library(_imported(ast.parse(path.read_text(), str(path))))
    }
    unexpected = sorted(found - set(OPERATOR_TARGETS))
    assert not unexpected, (
        f"{unexpected} import an HTTP client: call a tenant's or partner's URL through core's OutboundGuard, "
        "or, for a target only the operator configures, add the module to OPERATOR_TARGETS with why"
    )
    assert set(OPERATOR_TARGETS) <= found, (
        f"no longer an HTTP client, take it off the list: {set(OPERATOR_TARGETS) - found}"
    )


def test_nothing_opens_its_own_sockets_to_reach_a_url() -> None:
    opening = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Attribute)
        and node.attr in ("create_connection", "open_connection", "connect_tcp")
        and str(path.relative_to(SRC)) not in OPERATOR_TARGETS
    )
    assert not opening, f"{opening} open connections themselves: go through core's OutboundGuard"
