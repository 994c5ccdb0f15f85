"""A citizen signs in through /authorize and the sign-in pages, and the client exchanges the code for tokens
whose ID token verifies against the JWKS and whose access token reads /userinfo."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable

import httpx
from argon2 import extract_parameters
from joserfc import jwt
from joserfc.jwk import KeySet

from govplatform.core.platform import Platform
from govplatform.core.services import passwords
from govplatform.identity.models import Citizen
from govplatform.identity.services.subjects import pairwise_subject
from tests.integration.identity.support import (
    PASSWORD,
    REDIRECT_URI,
    a_citizen,
    a_client,
    assertion,
    authorise_query,
    code_from,
    identity_of,
    sign_in_through_pages,
)


async def test_discovery_names_the_issuer_with_its_slash_and_one_logins_supported_values(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    answer = await client.get("/.well-known/openid-configuration")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "max-age=86400"
    config = answer.json()
    base = identity_of(platform).base_url
    assert config["issuer"] == base + "/" and config["token_endpoint"] == base + "/token"
    assert config["jwks_uri"] == base + "/.well-known/jwks.json"
    assert config["request_uri_parameter_supported"] is False and config["request_parameter_supported"] is True
    assert config["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]
    assert "ES256" not in config["token_endpoint_auth_signing_alg_values_supported"]
    assert config["ui_locales_supported"] == ["en", "cy"]


async def test_the_jwks_publishes_an_ec_and_an_rsa_key_that_sign_and_the_next_ones(client: httpx.AsyncClient) -> None:
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert sorted(key["kty"] for key in keys) == ["EC", "EC", "RSA", "RSA"]
    assert all(key["kid"] and key["alg"] in ("ES256", "RS256") and "d" not in key for key in keys)


async def test_a_citizen_signs_in_and_the_client_gets_tokens_and_their_email(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform)
    person = await a_citizen(platform)
    query = authorise_query(rp)
    back = await sign_in_through_pages(client, query, person)
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT_URI + "?")
    returned = code_from(back.headers["location"])
    assert returned["state"] == query["state"] and len(returned["code"]) >= 43

    identity = identity_of(platform)
    exchanged = await client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": returned["code"],
            "redirect_uri": REDIRECT_URI,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion(rp, identity.token_endpoint),
        },
    )
    assert exchanged.status_code == 200, exchanged.text
    body = exchanged.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 180
    assert exchanged.headers["cache-control"] == "no-store"

    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    token = jwt.decode(body["id_token"], jwks, algorithms=["ES256"])
    claims = token.claims
    assert token.header["alg"] == "ES256" and token.header["kid"]
    assert claims["iss"] == identity.issuer and claims["aud"] == rp.client_id and claims["nonce"] == query["nonce"]
    assert claims["sub"] == pairwise_subject("parking.example.gov.uk", person.id, await _salt(platform, person.id))
    assert claims["vot"] == "Cl.Cm" and claims["vtm"] == identity.issuer + "trustmark" and claims["sid"]
    assert claims["exp"] - claims["iat"] == 120 and abs(claims["iat"] - time.time()) < 30
    digest = hashlib.sha256(body["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")

    info = await client.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200
    assert info.json() == {"sub": claims["sub"], "email": person.email, "email_verified": True}


async def _salt(platform: Platform, citizen_id: object) -> str:
    from govplatform.identity.models import Citizen

    async with platform.uow(read_only=True) as uow:
        citizen = await uow.session.get(Citizen, citizen_id)
    assert citizen is not None
    return citizen.subject_salt


async def test_a_citizens_password_hashed_at_an_older_cost_is_hashed_again_at_todays_when_they_sign_in(
    platform: Platform, client: httpx.AsyncClient, raise_password_cost: Callable[[], int]
) -> None:
    rp = await a_client(platform)
    person = await a_citizen(platform)  # hashed at the tests' cost: 32 KiB
    raised = raise_password_cost()
    back = await sign_in_through_pages(client, authorise_query(rp), person)
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT_URI + "?")
    async with platform.uow() as uow:
        citizen = await uow.session.get(Citizen, person.id)
        assert citizen is not None and citizen.password_hash is not None
        assert extract_parameters(citizen.password_hash).memory_cost == raised
        assert passwords.verify_password(citizen.password_hash, PASSWORD), "the same password, hashed again"
