"""The provider's keys (published a rotation before they sign, ES256 or RS256 per client) and relying
parties' JWKS URLs (fetched through core's outbound guard), and the housekeeping that forgets what expired."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import func, select

from govplatform.core.outbound import OutboundGuard
from govplatform.core.platform import Platform
from govplatform.identity.models import UsedAssertion
from govplatform.identity.schedule import purge_expired
from govplatform.identity.services.client_keys import ClientKeys
from tests.integration.identity.support import a_citizen, a_client, a_code, assertion, identity_of, token_form


async def _id_token_header(platform: Platform, client: httpx.AsyncClient, rp) -> dict:
    person = await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    answer = await client.post("/token", data=token_form(rp, code, identity_of(platform).token_endpoint))
    assert answer.status_code == 200, answer.text
    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    return dict(jwt.decode(answer.json()["id_token"], jwks, algorithms=["ES256", "RS256"]).header)


async def test_a_rotation_signs_with_the_key_published_before_it_and_keeps_the_old_one_published(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    identity = identity_of(platform)
    rp = await a_client(platform)
    before = await _id_token_header(platform, client, rp)
    ring = await identity.signing_keys.ring()
    published_before = {key["kid"] for key in ring.published}
    async with platform.uow() as uow:
        promoted = await identity.signing_keys.rotate(uow)
        await uow.commit()
    assert promoted["ES256"] in published_before and promoted["ES256"] != before["kid"]
    after = await _id_token_header(platform, client, rp)
    assert after["kid"] == promoted["ES256"]
    published_after = {key["kid"] for key in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert before["kid"] in published_after, "tokens signed before the rotation still verify"
    assert published_before <= published_after and len(published_after - published_before) == 2, "new next keys"


async def test_a_client_that_registered_rs256_gets_rs256_id_tokens(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform, id_token_alg="RS256")
    header = await _id_token_header(platform, client, rp)
    assert header["alg"] == "RS256" and header["kid"]


class _Jwks(http.server.BaseHTTPRequestHandler):
    body = b"{}"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def _serving(keys: dict) -> Iterator[str]:
    handler = type("Handler", (_Jwks,), {"body": json.dumps(keys).encode()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_jwks_url_client_is_checked_with_the_key_its_kid_names(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "rp-key-1"})
    with _serving({"keys": [key.as_dict(private=False)]}) as url:
        identity = identity_of(platform)
        identity.client_keys = ClientKeys(OutboundGuard(require_https=False, allowed_hosts="127.0.0.1"))
        rp = await a_client(platform, jwks_url=url)
        rp.key = key
        person = await a_citizen(platform)
        code, _ = await a_code(platform, rp, person)
        endpoint = identity.token_endpoint
        no_kid = token_form(rp, code, endpoint)
        refused = await client.post("/token", data=no_kid)
        assert refused.status_code == 400 and "kid" in refused.json()["error_description"]
        unknown = token_form(rp, code, endpoint, client_assertion=assertion(rp, endpoint, kid="rp-key-2"))
        assert (await client.post("/token", data=unknown)).json()["error"] == "invalid_client"
        signed = token_form(rp, code, endpoint, client_assertion=assertion(rp, endpoint, kid="rp-key-1"))
        answer = await client.post("/token", data=signed)
        assert answer.status_code == 200, answer.text


async def test_a_jwks_url_on_an_internal_address_is_never_fetched(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "rp-key-1"})
    with _serving({"keys": [key.as_dict(private=False)]}) as url:
        identity = identity_of(platform)
        identity.client_keys = ClientKeys(OutboundGuard(require_https=False, allowed_hosts=""))
        rp = await a_client(platform, jwks_url=url)
        rp.key = key
        code, _ = await a_code(platform, rp, await a_citizen(platform))
        endpoint = identity.token_endpoint
        signed = token_form(rp, code, endpoint, client_assertion=assertion(rp, endpoint, kid="rp-key-1"))
        answer = await client.post("/token", data=signed)
        assert answer.status_code == 400
        assert answer.json() == {"error": "invalid_client", "error_description": "The client's JWKS URL is not allowed"}


async def test_housekeeping_forgets_jtis_of_expired_assertions_and_keeps_live_ones(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    assert (await client.post("/token", data=token_form(rp, code, endpoint))).status_code == 200

    async def jtis() -> int:
        async with platform.uow(read_only=True) as uow:
            query = select(func.count()).select_from(UsedAssertion).where(UsedAssertion.client_id == rp.client_id)
            return int(await uow.session.scalar(query) or 0)

    async with platform.uow() as uow:
        await purge_expired(uow, dt.datetime.now(dt.UTC))
        await uow.commit()
    assert await jtis() == 1
    async with platform.uow() as uow:
        await purge_expired(uow, dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))
        await uow.commit()
    assert await jtis() == 0
