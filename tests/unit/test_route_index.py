"""The route index answers every request with the route the full scan would have chosen."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Match
from starlette.staticfiles import StaticFiles

from govplatform.core.web.routing import RouteIndex, first_segment, install_route_index


def _app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    app = FastAPI()
    static = tmp_path_factory.mktemp("static")
    (static / "a.txt").write_text("static file")
    app.mount("/assets", StaticFiles(directory=static), name="assets")

    pages = APIRouter()

    @pages.get("/")
    async def home() -> dict[str, str]:
        return {"route": "home"}

    @pages.get("/v1/payments/new")
    async def literal_first() -> dict[str, str]:
        return {"route": "pages literal"}

    api = APIRouter(prefix="/v1")

    @api.get("/payments/{payment_id}")
    async def payment(payment_id: str) -> dict[str, str]:
        return {"route": "api payment", "id": payment_id}

    @api.post("/payments")
    async def create() -> dict[str, str]:
        return {"route": "api create"}

    catch_all = APIRouter()

    @catch_all.get("/{slug}/about")
    async def about(slug: str) -> dict[str, str]:
        return {"route": "catch-all", "slug": slug}

    @catch_all.get("/v1/payments/{payment_id}/receipt")
    async def receipt(payment_id: str) -> dict[str, str]:
        return {"route": "receipt", "id": payment_id}

    # Nested with prefixes at every level: the index reads the paths from the prefixes (routing._included_paths)
    inner = APIRouter(prefix="/inner")

    @inner.get("/{item}")
    async def nested(item: str) -> dict[str, str]:
        return {"route": "nested", "item": item}

    outer = APIRouter(prefix="/outer")
    outer.include_router(inner, prefix="/nest")

    app.include_router(pages)
    app.include_router(catch_all)  # a parameter first segment sits between the two v1 routers
    app.include_router(api)
    app.include_router(outer, prefix="/top")
    return app


@pytest.fixture
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    app = _app(tmp_path_factory)
    install_route_index(app)
    return app


@pytest.fixture
def unindexed(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return _app(tmp_path_factory)


REQUESTS = [
    ("GET", "/"),
    ("GET", "/v1/payments/new"),  # the page router comes first and wins, as in the full scan
    ("GET", "/v1/payments/abc"),
    ("POST", "/v1/payments"),
    ("GET", "/v1/about"),  # only the parameter route matches a literal-looking first segment
    ("GET", "/v1/payments/abc/receipt"),
    ("GET", "/assets/a.txt"),
    ("GET", "/assets/missing.txt"),
    ("GET", "/v1/payments"),  # 405: the path exists for POST only
    ("DELETE", "/v1/payments/abc"),  # 405
    ("GET", "/v1/payments/"),  # trailing slash: the router's own redirect
    ("GET", "/nowhere"),  # 404
    ("GET", "/nowhere/at/all"),
    ("GET", "/top/outer/nest/inner/abc"),
    ("GET", "/outer/nest/inner/abc"),  # 404: the prefix it was included with is part of its path
]


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path"), REQUESTS)
async def test_an_indexed_app_answers_exactly_as_the_unindexed_one(
    app: FastAPI, unindexed: FastAPI, method: str, path: str
) -> None:
    answers = []
    for each in (app, unindexed):
        transport = httpx.ASGITransport(app=each)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.request(method, path)
        answers.append((response.status_code, response.headers.get("location"), response.content))
    assert answers[0] == answers[1]


def test_the_index_is_first_and_indexes_every_other_route(app: FastAPI) -> None:
    index = app.router.routes[0]
    assert isinstance(index, RouteIndex)
    assert index.size == len(app.router.routes) - 1
    install_route_index(app)  # installing again replaces the index rather than stacking two
    assert sum(isinstance(route, RouteIndex) for route in app.router.routes) == 1


@pytest.mark.anyio
async def test_a_route_added_to_an_included_router_after_the_index_was_built_is_found_as_the_scan_finds_it() -> None:
    first, second = APIRouter(), APIRouter()

    @first.get("/a/x")
    async def a_x() -> dict[str, str]:
        return {"route": "a/x"}

    @second.get("/b/q")
    async def b_q() -> dict[str, str]:
        return {"route": "b/q"}

    app = FastAPI()
    app.include_router(first)
    app.include_router(second)
    install_route_index(app)

    @first.get("/b/{p}")  # added later, to the router that comes first: it now wins /b/q
    async def b_any(p: str) -> dict[str, str]:
        return {"route": "b/{p}"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get("/b/q")).json() == {"route": "b/{p}"}


def test_requests_are_tried_only_against_routes_that_could_match(app: FastAPI) -> None:
    index = app.router.routes[0]
    assert isinstance(index, RouteIndex)
    v1 = index.candidates("/v1/payments/abc")
    assets = index.candidates("/assets/a.txt")
    other = index.candidates("/elsewhere")
    assert len(v1) == 3  # the page router, the parameter router and the API router
    assert len(assets) == 2  # the mount and the parameter router
    assert len(other) == 1  # only the parameter router could match
    assert len(index.candidates("/top/outer/nest/inner/abc")) == 2  # the nested router and the parameter router
    assert set(map(id, other)) <= set(map(id, v1)) & set(map(id, assets))


def test_the_index_leaves_websockets_and_mounted_paths_to_the_full_scan(app: FastAPI) -> None:
    index = app.router.routes[0]
    assert isinstance(index, RouteIndex)
    assert index.matches({"type": "websocket", "path": "/v1/payments/abc"})[0] is Match.NONE
    scope = {"type": "http", "path": "/prefix/v1/payments/abc", "root_path": "/prefix", "method": "GET"}
    assert index.matches(scope)[0] is Match.NONE


@pytest.mark.parametrize(
    ("path", "segment"),
    [("/", ""), ("/v1/payments", "v1"), ("/v1", "v1"), ("/{token}", "{"), ("/files-{id}/x", "{"), ("", "")],
)
def test_first_segments(path: str, segment: str) -> None:
    assert first_segment(path) == segment


def _chosen(routes: list[BaseRoute], scope: dict[str, object]) -> BaseRoute | None:
    for route in routes:
        if route.matches(scope)[0] is Match.FULL:
            return route
    return None


@pytest.mark.anyio
async def test_every_route_of_the_platform_is_found_by_the_index_as_by_the_scan(tmp_path: Path) -> None:
    from govplatform.app import build_app
    from tests.conftest import make_settings

    app = build_app(make_settings(tmp_path, "sqlite+aiosqlite:///:memory:"))
    index, routes = app.router.routes[0], app.router.routes[1:]
    assert isinstance(index, RouteIndex)
    from govplatform.core.web.access import route_table

    checked = 0
    for method, path in route_table(app.routes):
        if method == "MOUNT":
            path = path + "/file.css"
            method = "GET"
        concrete = re.sub(r"\{[^}]+\}", "x1", path)
        scope = {"type": "http", "method": method, "path": concrete, "root_path": "", "headers": []}
        expected = _chosen(routes, scope)
        match, child = index.matches(dict(scope))
        if expected is None:
            assert match is Match.NONE
        else:
            assert match is Match.FULL, (method, path)
            assert child["govplatform.route_index.selected"] is expected, (method, path)
        checked += 1
    assert checked > 100
