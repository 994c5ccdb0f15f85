"""One Login's firewall refuses a machine request without a User-Agent with 403; so does the provider, at
discovery, the JWKS, /trustmark, /token and /userinfo, before the endpoint looks at the request (nothing is
used up: a code sent without the header still works afterwards). Pages are for browsers and not guarded."""

from __future__ import annotations

import httpx
import pytest

from govplatform.core.platform import Platform
from tests.integration.identity.support import a_citizen, a_client, a_code, authorise_query, identity_of, token_form

MACHINE_GETS = ["/.well-known/openid-configuration", "/.well-known/jwks.json", "/trustmark", "/userinfo"]


async def _without_user_agent(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    del request.headers["user-agent"]
    return await client.send(request)


@pytest.mark.parametrize("path", MACHINE_GETS)
async def test_a_machine_get_without_a_user_agent_is_refused_with_403(client: httpx.AsyncClient, path: str) -> None:
    refused = await _without_user_agent(client, client.build_request("GET", path))
    assert refused.status_code == 403
    assert refused.json() == {"error": "invalid_request", "error_description": "Requests must send a User-Agent header"}
    blank = await client.get(path, headers={"User-Agent": "  "})
    assert blank.status_code == 403
    answered = await client.get(path, headers={"User-Agent": "a-service/1.0"})
    assert answered.status_code == (401 if path == "/userinfo" else 200)  # /userinfo: no bearer token, as expected


async def test_a_token_request_without_a_user_agent_is_refused_and_its_code_still_works(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    form = token_form(rp, code, f"{identity_of(platform).base_url}/token")
    refused = await _without_user_agent(client, client.build_request("POST", "/token", data=form))
    assert refused.status_code == 403 and refused.json()["error"] == "invalid_request"
    issued = await client.post("/token", data=token_form(rp, code, f"{identity_of(platform).base_url}/token"))
    assert issued.status_code == 200, issued.text
    assert "id_token" in issued.json()


async def test_the_sign_in_pages_do_not_need_a_user_agent(platform: Platform, client: httpx.AsyncClient) -> None:
    rp = await a_client(platform)
    started = await _without_user_agent(client, client.build_request("GET", "/authorize", params=authorise_query(rp)))
    assert started.status_code == 302
