"""The routes that are public by design. Every other route needs a signed-in user or an API key.

One list, in one place, so a reviewer can see the whole public surface at once;
a test walks the app's route table and requests every route not listed here
anonymously, expecting a refusal. Components add their public routes (a
hosted payment page, a receipt endpoint) with `PublicRoutes.add`.
"""

from __future__ import annotations

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
