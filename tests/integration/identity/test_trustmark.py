"""/trustmark: what an ID token's `vtm` points at, advertised in discovery, with the levels the provider can
achieve today (both credential levels, and the identity levels the proofing routes reach: P0 to P2)."""

from __future__ import annotations

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from govplatform.core.platform import Platform
from tests.integration.identity.support import a_citizen, a_client, a_code, identity_of, token_form


async def test_the_trustmark_names_the_provider_and_the_levels_it_can_achieve(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    answer = await client.get("/trustmark")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "max-age=86400"
    issuer = identity_of(platform).issuer
    assert answer.json() == {"idp": issuer, "trustmark_provider": issuer, "C": ["Cl", "Cl.Cm"], "P": ["P0", "P1", "P2"]}


async def test_discovery_and_the_id_tokens_vtm_point_at_the_trustmark_that_answers(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    identity = identity_of(platform)
    advertised = (await client.get("/.well-known/openid-configuration")).json()["trustmarks"]
    rp = await a_client(platform)
    code, _ = await a_code(platform, rp, await a_citizen(platform))
    issued = await client.post("/token", data=token_form(rp, code, identity.token_endpoint))
    assert issued.status_code == 200, issued.text
    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    vtm = jwt.decode(issued.json()["id_token"], jwks, algorithms=["ES256"]).claims["vtm"]
    assert vtm == advertised == identity.base_url + "/trustmark"
    path = httpx.URL(vtm).path
    assert path == "/trustmark" and (await client.get(path)).json()["idp"] == identity.issuer
