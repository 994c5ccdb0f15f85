"""The routes that are public by design, and the routes that need no CSRF token, each listed once.

Public routes: every other route needs a signed-in user or an API key. One
list, in one place, so a reviewer can see the whole public surface at once;
a test walks the app's route table and requests every route not listed here
anonymously, expecting a refusal. Components add their public routes (a
hosted payment page, a receipt endpoint) with `PublicRoutes.add`.

CSRF exemptions: every POST, PUT, PATCH and DELETE needs a CSRF token
(OWASP ASVS 4.0.3 V4.2.2), whatever its content type, except on the
routes below, which a browser session never authenticates: a cross-site page
can make a browser send them a request, but not the credential they check.
They are listed here, not by each component, so that the whole exempt surface
is reviewed in one file; core names the paths of components above it only as
text, never by importing them. A test walks the route table and sends every
other state-changing route requests without a token (no Content-Type, JSON,
text/plain, a form without its field), expecting 403.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from govplatform.core.web.routing import RouteIndex

CORE_PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/"),  # the start page
        ("GET", "/cookies"),
        ("POST", "/cookies"),  # the cookie choice, before anyone can sign in
        ("GET", "/sign-in"),
        ("POST", "/sign-in"),
        ("GET", "/sign-in/code"),  # needs the half-signed-in cookie from the password step
        ("POST", "/sign-in/code"),
        ("GET", "/sign-out"),
        ("POST", "/sign-out"),
        ("GET", "/setup/{token}"),  # the one-time token in the path is the credential
        ("POST", "/setup/{token}"),
        ("GET", "/setup/{token}/authenticator"),
        ("POST", "/setup/{token}/authenticator"),
        ("GET", "/healthz"),  # for load balancers: says only whether the database answers
        ("GET", "/metrics"),  # for Prometheus: counts and latencies, no personal data
        ("GET", "/api/openapi.json"),  # the OpenAPI description of the machine APIs
    }
)


@dataclasses.dataclass(frozen=True)
class CsrfExemption:
    """Paths (a regular expression matched from the start of the path) that need no CSRF token, and why."""

    pattern: str
    reason: str


CSRF_EXEMPT: tuple[CsrfExemption, ...] = (
    CsrfExemption(
        r"/v1/",
        "GOV.UK Pay's API: a bearer API key in the Authorization header, which a browser never adds by itself",
    ),
    CsrfExemption(
        r"/v2/",
        "GOV.UK Notify's API: a bearer JWT signed with the service's key, made afresh for each request",
    ),
    CsrfExemption(r"/api/platform/", "the platform API: a bearer platform key; it reads no cookie"),
    CsrfExemption(r"/api/transparency/", "the transparency API: a bearer platform key; it reads no cookie"),
    CsrfExemption(
        r"/api/exchange/",
        "the exchange API: each request is signed with the member's own key (RFC 9421), single-use by its nonce; "
        "it reads no cookie",
    ),
    CsrfExemption(
        r"/token$",
        "the OpenID Connect token endpoint: the client proves itself with a signed assertion or its secret in the "
        "body, and the code is single-use; it reads no cookie",
    ),
    CsrfExemption(
        r"/examples/parking-permits/back-channel-logout$",
        "the example service's back-channel logout endpoint: the provider's signed logout token in the body is "
        "the credential (checked against the provider's keys, its jti used once); it reads no cookie",
    ),
    CsrfExemption(
        r"/notifications/sms/",
        "SMS gateways' receipts and inbound texts: HTTP Basic with the callback secret, known only to the "
        "gateway (no person is ever given it, so no browser holds it)",
    ),
    CsrfExemption(
        r"/secure$",
        "Pay's POST of a payment's one-time token from the service's own page (next_url_post): it comes from "
        "another site, so it cannot carry our token; the single-use token in the body is the credential, and "
        "the card pages it leads to need our token again",
    ),
)
_EXEMPT = re.compile("|".join(f"(?:{exemption.pattern})" for exemption in CSRF_EXEMPT))


def csrf_exempt(path: str) -> bool:
    """Whether a state-changing request to this path may come without a CSRF token (see CSRF_EXEMPT)."""
    return _EXEMPT.match(path) is not None


class PublicRoutes:
    def __init__(self) -> None:
        self._routes: set[tuple[str, str]] = set(CORE_PUBLIC_ROUTES)

    def add(self, method: str, path: str) -> None:
        self._routes.add((method.upper(), path))

    def __contains__(self, route: object) -> bool:
        return route in self._routes

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(sorted(self._routes))


def route_table(routes: list[object]) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, with included routers flattened.

    FastAPI 0.16x keeps included routers as lazy branches; their
    `effective_route_contexts()` yields each route with its full path. Mounts
    (static files) are listed with the method "MOUNT".
    """
    table: list[tuple[str, str]] = []
    for route in routes:
        if isinstance(route, RouteIndex):
            continue  # an index of the routes that follow, not a route of its own
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for context in contexts():
                methods = getattr(context.original_route, "methods", None) or {"GET"}
                table.extend((method, context.path) for method in methods if method != "HEAD")
        elif hasattr(route, "routes") and not hasattr(route, "methods"):
            table.append(("MOUNT", str(getattr(route, "path", ""))))
        else:
            methods = getattr(route, "methods", None) or {"GET"}
            table.extend((method, str(getattr(route, "path", ""))) for method in methods if method != "HEAD")
    return sorted(set(table))
