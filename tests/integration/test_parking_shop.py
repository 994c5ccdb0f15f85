"""The example parking-permit shop takes payments through the public Pay API and shows the outcome on return,
for a resident signed in through the platform's provider; its back-channel logout endpoint ends their session.

Here the shop reaches the platform through the same app in this process, and the payment tests start the
resident's session as the shop's callback would: the sign-in itself, over HTTP, is test_parking_sign_in.py's.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import time
import uuid

import httpx
import pyotp
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from govplatform.core.platform import Platform
from govplatform.examples import parking_shop, parking_sign_in
from govplatform.identity.models import RelyingParty
from govplatform.identity.services import back_channel, citizens, clients
from govplatform.identity.services.subjects import pairwise_subject
from tests.helpers import csrf_from
from tests.integration.pay.support import CLI, pay_by_card, pay_key, pay_of, pay_service


async def _register(platform: Platform, service_id: uuid.UUID) -> RelyingParty:
    """The shop as a relying party, as `govplatform demo` registers it."""
    private, public = parking_sign_in.new_key_pair()
    identity = platform.components["identity"]
    base = platform.settings.base_url
    async with platform.uow() as uow:
        client, _ = await clients.create_relying_party(
            uow, CLI, identity.directory, identity.hash_secret, service_id=service_id, name="Parking permits",
            redirect_uris=[base + parking_shop.CALLBACK], post_logout_redirect_uris=[base + parking_shop.SIGNED_OUT],
            back_channel_logout_uri=base + parking_shop.BACK_CHANNEL, public_key_pem=public, pkce_required=True,
        )  # fmt: skip
        await uow.commit()
    registration = parking_sign_in.Registration(client.client_id, private, "a cookie key for the test", base)
    parking_sign_in.save_registration(platform.settings.var_dir, registration)
    return client


def _signed_in(client: httpx.AsyncClient, sub: str = "a-subject") -> parking_sign_in.Sessions:
    """A session started as the shop's callback starts one, its cookie in the client."""
    app = client._transport.app  # type: ignore[attr-defined]
    sessions: parking_sign_in.Sessions = getattr(app.state, "examples_sessions", None) or parking_sign_in.Sessions()
    app.state.examples_sessions = sessions
    resident = parking_sign_in.Resident(sub, "resident@example.com", "an.id.token", time.time())
    client.cookies.set(parking_shop.SESSION_COOKIE, sessions.start(resident))
    return sessions


@pytest.fixture
async def shop(platform: Platform, client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The shop with a test key and a registration, reaching the platform through the same app in this process."""
    service_id = await pay_service(platform)
    parking_shop.save_key(platform.settings.var_dir, await pay_key(platform, service_id))
    await _register(platform, service_id)
    app = client._transport.app  # type: ignore[attr-defined]
    app.state.examples_transport = httpx.ASGITransport(app=app)
    return client


async def _order(client: httpx.AsyncClient, permit: str = "resident-12") -> httpx.Response:
    _signed_in(client)
    page = await client.get(parking_shop.PATH)
    assert page.status_code == 200 and "Apply for a resident parking permit" in page.text
    assert "You are signed in as resident@example.com" in page.text
    return await client.post(
        parking_shop.PATH,
        data={"permit": permit, "registration": "ab12 cde", "csrf_token": csrf_from(page.text)},
    )


@pytest.mark.parametrize(
    ("card", "heading", "status"),
    [
        ("4242424242424242", "Permit paid for", "success"),
        ("4000000000000002", "Your payment was not taken", "failed"),
        ("4000000000000119", "Your payment was not taken", "error"),
    ],
)
async def test_the_return_page_shows_what_get_payment_says(
    platform: Platform, shop: httpx.AsyncClient, card: str, heading: str, status: str
) -> None:
    ordered = await _order(shop)
    assert ordered.status_code == 303
    next_url = ordered.headers["location"]
    assert next_url.startswith(platform.settings.base_url + "/secure/")
    payment = await pay_by_card(pay_of(platform), next_url, card)
    assert payment.return_url is not None
    back = await shop.get(f"{parking_shop.PATH}/return/{payment.return_url.rsplit('/', 1)[-1]}")
    assert back.status_code == 200
    assert heading in back.text and payment.id in back.text
    assert re.search(rf">\s*{status}\s*<", back.text), "the page shows the status GET /v1/payments gives"


async def test_another_browser_cannot_read_an_order(platform: Platform, shop: httpx.AsyncClient) -> None:
    ordered = await _order(shop)
    payment = await pay_by_card(pay_of(platform), ordered.headers["location"])
    order = str(payment.return_url).rsplit("/", 1)[-1]
    shop.cookies.clear()
    assert (await shop.get(f"{parking_shop.PATH}/return/{order}")).status_code == 404


async def test_a_missing_choice_or_registration_is_shown_as_errors(platform: Platform, shop: httpx.AsyncClient) -> None:
    _signed_in(shop)
    page = await shop.get(parking_shop.PATH)
    response = await shop.post(parking_shop.PATH, data={"registration": "!!", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 400
    assert "Select the permit you want" in response.text and "Enter the vehicle registration" in response.text
    assert response.text.count('class="govuk-error-summary"') == 1, "one summary (the page shell's)"


async def test_without_a_session_the_shop_asks_the_resident_to_sign_in_and_takes_no_order(
    shop: httpx.AsyncClient,
) -> None:
    page = await shop.get(parking_shop.PATH)
    assert "Sign in to apply" in page.text and 'name="registration"' not in page.text
    posted = await shop.post(
        parking_shop.PATH, data={"permit": "visitor", "registration": "AB12 CDE", "csrf_token": csrf_from(page.text)}
    )
    assert posted.status_code == 303 and posted.headers["location"] == parking_shop.PATH


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    claims: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


async def _logout_token(platform: Platform, client: RelyingParty) -> str:
    """A logout token as the provider's back-channel job signs it, for a citizen of this test."""
    identity = platform.components["identity"]
    async with platform.uow() as uow:
        citizen = await citizens.create_citizen(
            uow, CLI, identity.box, email=f"r-{uuid.uuid4().hex[:8]}@example.com", password="a long passphrase",
            totp_secret=pyotp.random_base32(),
        )  # fmt: skip
        await uow.commit()
    subject = pairwise_subject(client.sector, citizen.id, citizen.subject_salt)
    return await back_channel.logout_token(identity, client, subject)


async def test_a_logout_token_from_the_provider_ends_that_resident_s_sessions_once(
    platform: Platform, shop: httpx.AsyncClient
) -> None:
    registration = parking_sign_in.load_registration(platform.settings.var_dir)
    assert registration is not None
    async with platform.uow(read_only=True) as uow:
        client = await uow.session.get(RelyingParty, registration.client_id)
    assert client is not None
    token = await _logout_token(platform, client)
    sessions = _signed_in(shop, sub=str(_claims(token)["sub"]))
    other = sessions.start(parking_sign_in.Resident("someone-else", "b@example.com", "x.y.z", time.time()))
    assert "You are signed in as" in (await shop.get(parking_shop.PATH)).text

    ended = await shop.post(parking_shop.BACK_CHANNEL, data={"logout_token": token})
    assert ended.status_code == 200 and ended.headers["cache-control"] == "no-store"
    page = await shop.get(parking_shop.PATH)
    assert "Sign in to apply" in page.text and "You are signed in as" not in page.text
    assert sessions.get(other) is not None, "another resident's session goes on"

    _signed_in(shop, sub=str(_claims(token)["sub"]))
    replayed = await shop.post(parking_shop.BACK_CHANNEL, data={"logout_token": token})
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_request"
    assert "used before" in replayed.json()["error_description"]
    assert "You are signed in as" in (await shop.get(parking_shop.PATH)).text


async def test_a_logout_token_for_another_client_or_without_one_is_refused(
    platform: Platform, shop: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform, "Bins")
    elsewhere = await _register(platform, service_id)  # the registration file now names this client ...
    token = await _logout_token(platform, elsewhere)
    await _register(platform, service_id)  # ... and now a third: the token's aud is no longer the shop's
    _signed_in(shop, sub=str(_claims(token)["sub"]))
    for body in ({"logout_token": token}, {}, {"logout_token": token.rsplit(".", 1)[0] + ".AAAA"}):
        refused = await shop.post(parking_shop.BACK_CHANNEL, data=body)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_request", body
    assert "You are signed in as" in (await shop.get(parking_shop.PATH)).text


async def test_a_registration_made_for_another_address_is_not_used(platform: Platform, shop: httpx.AsyncClient) -> None:
    var_dir = platform.settings.var_dir
    registration = parking_sign_in.load_registration(var_dir)
    assert registration is not None
    moved = dataclasses.replace(registration, base_url="http://localhost:8000")
    parking_sign_in.save_registration(var_dir, moved)
    page = await shop.get(parking_shop.PATH)
    assert "The shop is not set up for this address yet" in page.text and "Sign in to apply" not in page.text
    sent = await shop.get(parking_shop.SIGN_IN)
    assert sent.status_code == 303 and sent.headers["location"] == parking_shop.PATH, "never to a wrong redirect URI"


async def test_the_shop_trusts_only_an_id_token_the_provider_signed_for_it_with_its_nonce_and_access_token(
    platform: Platform, shop: httpx.AsyncClient
) -> None:
    registration = parking_sign_in.load_registration(platform.settings.var_dir)
    assert registration is not None
    app = shop._transport.app  # type: ignore[attr-defined]
    provider = parking_sign_in.Provider(platform.settings.base_url, registration, httpx.ASGITransport(app=app))
    config = await provider.configuration()
    identity = platform.components["identity"]
    kid, key = (await identity.signing_keys.ring()).signers["ES256"]
    access, now = "an-access-token", int(time.time())
    at_hash = base64.urlsafe_b64encode(hashlib.sha256(access.encode()).digest()[:16]).rstrip(b"=").decode()
    good = {"iss": identity.issuer, "aud": registration.client_id, "sub": "the-sub", "iat": now, "exp": now + 120,
            "nonce": "the-nonce", "at_hash": at_hash, "vot": "Cl.Cm"}  # fmt: skip

    async def claims(token: str) -> dict[str, object]:
        return await provider._id_token_claims(config, {"id_token": token, "access_token": access}, "the-nonce")

    assert (await claims(jwt.encode({"alg": "ES256", "kid": kid}, good, key)))["sub"] == "the-sub"
    wrong = [{"nonce": "another"}, {"aud": "another-client"}, {"iss": "https://elsewhere.example/"},
             {"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, {"exp": now - 600}, {"vot": "Cl"}]  # fmt: skip
    for change in wrong:
        with pytest.raises(parking_sign_in.SignInFailed):
            await claims(jwt.encode({"alg": "ES256", "kid": kid}, {**good, **change}, key))
    with pytest.raises(parking_sign_in.SignInFailed):  # the right claims, signed by someone else's key
        await claims(jwt.encode({"alg": "ES256", "kid": kid}, good, ECKey.generate_key("P-256")))
    unsigned = jwt.encode({"alg": "ES256", "kid": kid}, good, key).rsplit(".", 1)[0] + "."
    with pytest.raises(parking_sign_in.SignInFailed):
        await claims(unsigned.replace(unsigned.split(".")[0], "eyJhbGciOiJub25lIn0", 1))  # alg: none
