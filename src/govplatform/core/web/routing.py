"""An index of the app's routes by first path segment, so a request is matched only against routes that could match it.

Starlette and FastAPI match a request by trying every route in order. FastAPI
0.16x keeps each included router as a lazy branch whose every route is tried
in turn, with scope bookkeeping around each try: about 10 µs a route on this
machine. With 150 routes, an API request behind the admin pages paid about
0.5 ms to be routed, a third of what a whole database write costs
(docs/benchmarks.md, "Routing"). No FastAPI or Starlette option indexes
routes, hence this module.

`RouteIndex` is one route placed first in the app's route list. For a request
it tries, in the app's own order, only the routes whose paths begin with the
request's first segment, plus those that could match any path (a parameter in
their first segment, a mount at the root). A route it skips has a different
literal first segment, so it could not have matched: the first full match it
finds is the one the full scan would have found. Anything else (no match, a
405 from a path that matched with the wrong method, a trailing-slash redirect,
a root_path, telemetry, websockets) it leaves to the router's own full scan,
unchanged, by answering "no match".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

_SELECTED = "govplatform.route_index.selected"
_ANY = "{"  # stands for "a route whose first segment is not a literal"


def first_segment(path: str) -> str:
    """ "/v1/payments/{id}" -> "v1"; "/" -> ""; a parameter in the first segment -> "{"."""
    segment = path.lstrip("/").split("/", 1)[0]
    return _ANY if "{" in segment else segment


def _included_paths(route: BaseRoute, prefix: str = "") -> list[str] | None:
    """The paths of an included router's routes, read from the routes themselves; None if `route` is not FastAPI
    0.16x's branch for an included router (an `include_context` and an `original_router`) or one of its routes has
    no plain path.

    Why not FastAPI's `iter_route_contexts` alone: it builds each route's dependants and validators (FastAPI
    builds them lazily, on a branch's first request), about a third of a second for this app's routes, paid
    for every app built (the test suite builds one per test). A path needs only the prefixes and the route.
    FastAPI keeps them in a private class; where it has changed, the caller falls back to the public walk.
    """
    context = getattr(route, "include_context", None)
    router = getattr(route, "original_router", None)
    if context is None or router is None or not isinstance(getattr(context, "prefix", None), str):
        return None
    prefix += context.prefix
    paths: list[str] = []
    for child in [*router.routes, *getattr(router, "_low_priority_routes", [])]:
        if hasattr(child, "original_router"):  # a router included in this one
            found = _included_paths(child, prefix)
            if found is None:
                return None
            paths += found
        elif isinstance(getattr(child, "path", None), str):
            paths.append(prefix + child.path)
        else:
            return None
    return paths


def _segments_of(route: BaseRoute) -> set[str]:
    if (paths := _included_paths(route)) is not None:
        return {first_segment(path) if path.startswith("/") else _ANY for path in paths} or {_ANY}
    segments: set[str] = set()
    for context in iter_route_contexts([route]):
        path = context.path
        if not isinstance(path, str) or not path.startswith("/"):
            return {_ANY}  # a route without a plain path (a root mount, a host route): try it always
        segments.add(first_segment(path))
    return segments or {_ANY}


class RouteIndex(BaseRoute):
    def __init__(self, routes: list[BaseRoute], version: Callable[[], int] | None = None) -> None:
        # `version` (FastAPI's count of route changes, nested routers included) tells when a route
        # was added after the index was built; the index then rebuilds itself before answering.
        self._version = version
        self._built_at = version() if version is not None else 0
        self._build(routes)

    def _build(self, listed: list[BaseRoute]) -> None:
        self._listed = listed  # the app's own list (this index included), read again on a rebuild
        routes = [route for route in listed if not isinstance(route, RouteIndex)]
        self._candidates: dict[str, list[BaseRoute]] = {}
        self._always: list[BaseRoute] = []
        order: dict[int, int] = {}
        by_segment: dict[str, list[BaseRoute]] = {}
        for position, route in enumerate(routes):
            order[id(route)] = position
            segments = _segments_of(route)
            if _ANY in segments:
                self._always.append(route)
            for segment in segments - {_ANY}:
                by_segment.setdefault(segment, []).append(route)
        for segment, found in by_segment.items():
            merged = {id(route): route for route in [*found, *self._always]}
            self._candidates[segment] = sorted(merged.values(), key=lambda route: order[id(route)])
        self.size = len(routes)

    def candidates(self, path: str) -> list[BaseRoute]:
        return self._candidates.get(first_segment(path), self._always)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope.get("root_path") or scope.get("fastapi.telemetry") is not None:
            return Match.NONE, {}
        if self._version is not None and (now := self._version()) != self._built_at:
            self._built_at = now
            self._build(self._listed)
        for route in self.candidates(scope["path"]):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return Match.FULL, {**child_scope, _SELECTED: route}
        return Match.NONE, {}  # the full scan finds the 405, the redirect or the 404 as it always has

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope.pop(_SELECTED)
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)  # the indexed routes themselves answer, further down the list


def install_route_index(app: FastAPI) -> None:
    """Put an index of the app's routes (as they are now) in front of them; call once all are added."""
    routes = [route for route in app.router.routes if not isinstance(route, RouteIndex)]
    version = getattr(app.router, "_get_routes_version", None)  # FastAPI 0.16x; without it, no rebuilds
    app.router.routes[:] = routes
    app.router.routes.insert(0, RouteIndex(app.router.routes, version))
