"""Every route is public by design (listed in core/web/access.py) or refuses anonymous callers."""

import re

import httpx

from govplatform.app import build_app
from govplatform.core.platform import Platform
from govplatform.core.web.access import route_table
from tests.helpers import csrf_from

SAMPLE = {
    "token": "not-a-real-token",
    "service_id": "123e4567-e89b-12d3-a456-426614174000",
    "user_id": "123e4567-e89b-12d3-a456-426614174001",
    "key_id": "123e4567-e89b-12d3-a456-426614174002",
    "job_id": "123e4567-e89b-12d3-a456-426614174003",
    "agreement_id": "123e4567-e89b-12d3-a456-426614174004",
    "consent_id": "123e4567-e89b-12d3-a456-426614174005",
}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: SAMPLE.get(m.group(1), "x"), path)


async def test_every_route_is_either_listed_as_public_or_refuses_anonymous_requests(platform: Platform) -> None:
    app = build_app(platform.settings, platform)
    public = app.state.public_routes
    table = route_table(app.routes)
    assert ("GET", "/admin/services/{service_id}") in table, "included routers are flattened"
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    checked = 0
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        token = csrf_from((await client.get("/sign-in")).text)
        for method, path in table:
            if method == "MOUNT":
                assert path in ("/assets", "/static/govuk", "/static/core", "/static/identity"), (
                    f"unexpected mount {path}"
                )
                continue
            if (method, path) in public:
                continue
            url = concrete(path)
            if method == "GET":
                response = await client.get(url)
            else:
                response = await client.request(method, url, data={"csrf_token": token})
            # Staff pages send to staff sign-in; citizens' account pages to the identity provider's sign-in.
            refused = response.status_code in (401, 403) or (
                response.status_code == 303
                and response.headers["location"].startswith(("/sign-in", "/identity/sign-in/start?"))
            )
            assert refused, f"{method} {path} answered {response.status_code} to an anonymous request"
            checked += 1
    assert checked >= 10


async def test_the_public_list_names_only_routes_that_exist(platform: Platform) -> None:
    app = build_app(platform.settings, platform)
    existing = set(route_table(app.routes))
    missing = [route for route in app.state.public_routes if route not in existing]
    assert not missing, f"listed as public but not routes: {missing}"
