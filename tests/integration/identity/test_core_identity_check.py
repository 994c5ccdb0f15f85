"""A service checks the coreIdentityJWT as One Login asks (examples/core_identity_check.py, over HTTP against
the provider's did.json), and every way a credential can be wrong is refused with the check it failed: a payload
changed by one character, a key that rotation has taken out of the DID document (while one retired but still
published verifies), another subject, another service, an expired one. And the provider signs nothing it was
not proved: a proof lowered or withdrawn after the code was issued gives no credential at /userinfo.

In-process, so that a rotation here is seen by did.json at once (the keys' cache is forgotten on commit);
test_core_identity.py runs the same checker against a real `govplatform serve` with authlib's client.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from govplatform.app import build_app
from govplatform.core.platform import Platform
from govplatform.examples.core_identity_check import CoreIdentityCheck, CredentialRefused, VerifiedIdentity
from govplatform.identity.proofing.command import command_proof
from govplatform.identity.services import proven
from tests.integration.identity.support import (
    Client,
    Person,
    a_citizen,
    a_client,
    authorise_query,
    code_from,
    identity_of,
    sign_in_through_pages,
    token_form,
)

VOCAB = "https://vocab.account.gov.uk/v1/"
BORN = dt.date(1984, 5, 19)


@pytest.fixture
async def provider(platform: Platform) -> AsyncIterator[httpx.ASGITransport]:
    """The provider's app, as the service reaches it (the `client` fixture is the citizen's browser)."""
    yield httpx.ASGITransport(app=build_app(platform.settings, platform))


async def _rp(platform: Platform) -> Client:
    return await a_client(platform, levels=["P0", "P1", "P2"], claims=[VOCAB + "coreIdentityJWT"])


async def _prove(platform: Platform, person: Person, level: str = "P2") -> None:
    passport = f"{secrets.randbelow(10**9):09d}"
    proved = command_proof(level, "Alys Mair", "Pennant", BORN, passport, None)
    async with platform.uow() as uow:
        await proven.record(uow, identity_of(platform), person.id, proved)
        await uow.commit()


async def _userinfo(
    platform: Platform, browser: httpx.AsyncClient, rp: Client, person: Person, *, signed_in: bool = False
) -> tuple[dict[str, object], str]:
    """A P2 flow asking for the coreIdentityJWT: the citizen signs in (or is signed in already), the service
    exchanges the code and reads /userinfo. Returns userinfo and the ID token's subject."""
    claims = json.dumps({"userinfo": {VOCAB + "coreIdentityJWT": None}})
    query = authorise_query(rp, vtr='["Cl.Cm.P2"]', claims=claims)
    back = await browser.get("/authorize", params=query) if signed_in else None
    if back is None:
        back = await sign_in_through_pages(browser, query, person)
    returned = code_from(back.headers["location"])
    assert "code" in returned, returned
    token = await browser.post("/token", data=token_form(rp, returned["code"], identity_of(platform).token_endpoint))
    assert token.status_code == 200, token.text
    access = token.json()["access_token"]
    info = await browser.get("/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert info.status_code == 200, info.text
    return info.json(), str(info.json()["sub"])


async def _credential(
    platform: Platform, browser: httpx.AsyncClient, rp: Client, person: Person, *, signed_in: bool = False
) -> tuple[str, str]:
    info, sub = await _userinfo(platform, browser, rp, person, signed_in=signed_in)
    return str(info[VOCAB + "coreIdentityJWT"]), sub


def _checker(
    platform: Platform, rp: Client, provider: httpx.ASGITransport, clock: Callable[[], float] = time.time
) -> CoreIdentityCheck:
    return CoreIdentityCheck(platform.settings.base_url, rp.client_id, transport=provider, clock=clock)


async def _refused(checker: CoreIdentityCheck, credential: str, subject: str) -> str:
    with pytest.raises(CredentialRefused) as refused:
        await checker.verify(credential, subject)
    return refused.value.reason


async def test_a_service_verifies_the_credential_and_learns_the_verified_name_and_birth_date(
    platform: Platform, client: httpx.AsyncClient, provider: httpx.ASGITransport
) -> None:
    rp, person = await _rp(platform), await a_citizen(platform)
    await _prove(platform, person)
    credential, sub = await _credential(platform, client, rp, person)
    verified = await _checker(platform, rp, provider).verify(credential, sub)
    assert verified == VerifiedIdentity(sub, "P2", "Alys Mair", "Pennant", BORN)


async def test_a_credential_changed_by_one_character_of_its_payload_is_refused(
    platform: Platform, client: httpx.AsyncClient, provider: httpx.ASGITransport
) -> None:
    rp, person = await _rp(platform), await a_citizen(platform)
    await _prove(platform, person)
    credential, sub = await _credential(platform, client, rp, person)
    header, payload, signature = credential.split(".")
    middle = len(payload) // 2
    changed = "B" if payload[middle] != "B" else "C"
    tampered = ".".join([header, payload[:middle] + changed + payload[middle + 1 :], signature])
    checker = _checker(platform, rp, provider)
    assert await _refused(checker, tampered, sub) == "signature does not verify"

    # A payload rewritten with a higher level, the signature kept: refused the same way, before any claim is read.
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["vot"] = "P3"
    raised = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert await _refused(checker, f"{header}.{raised}.{signature}", sub) == "signature does not verify"
    assert await _refused(checker, "not.a-credential", sub) == "not a signed credential"


async def test_after_two_rotations_the_removed_key_verifies_nothing_and_the_retired_one_still_does(
    platform: Platform, client: httpx.AsyncClient, provider: httpx.ASGITransport
) -> None:
    identity = identity_of(platform)
    rp, person = await _rp(platform), await a_citizen(platform)
    await _prove(platform, person)
    first, sub = await _credential(platform, client, rp, person)
    async with platform.uow() as uow:
        await identity.did_keys.rotate(uow)
        await uow.commit()
    second, again = await _credential(platform, client, rp, person, signed_in=True)
    assert again == sub
    async with platform.uow() as uow:
        await identity.did_keys.rotate(uow)  # the key that signed `first` was retired at the last one: it goes
        await uow.commit()

    checker = _checker(platform, rp, provider)
    assert await _refused(checker, first, sub) == "signed by a key not in the provider's DID document"
    assert (await checker.verify(second, sub)).level == "P2"  # retired, still published: what it signed stands
    published = (await client.get("/.well-known/did.json")).json()["assertionMethod"]
    assert len(published) == 3  # the retired key, the one signing now and the next: never the removed one
    third, _ = await _credential(platform, client, rp, person, signed_in=True)
    assert (await checker.verify(third, sub)).family_name == "Pennant"


async def test_a_kept_did_document_is_fetched_again_for_a_key_it_does_not_hold_at_most_once_a_minute(
    platform: Platform, client: httpx.AsyncClient, provider: httpx.ASGITransport
) -> None:
    identity = identity_of(platform)
    rp, person = await _rp(platform), await a_citizen(platform)
    await _prove(platform, person)
    first, sub = await _credential(platform, client, rp, person)
    offset = [0.0]
    checker = _checker(platform, rp, provider, clock=lambda: time.time() + offset[0])
    await checker.verify(first, sub)  # the DID document is kept from here, for its max-age
    for _ in range(2):
        async with platform.uow() as uow:
            await identity.did_keys.rotate(uow)
            await uow.commit()
    signed_by_a_newer_key, _ = await _credential(platform, client, rp, person, signed_in=True)
    assert await _refused(checker, signed_by_a_newer_key, sub) == "signed by a key not in the provider's DID document"
    offset[0] = 61.0
    assert (await checker.verify(signed_by_a_newer_key, sub)).level == "P2"  # fetched again: the new key is there
    assert await _refused(checker, first, sub) == "signed by a key not in the provider's DID document"


async def test_a_credential_for_another_subject_or_another_service_or_out_of_date_is_refused(
    platform: Platform, client: httpx.AsyncClient, provider: httpx.ASGITransport
) -> None:
    rp, other_rp, person = await _rp(platform), await _rp(platform), await a_citizen(platform)
    await _prove(platform, person)
    credential, sub = await _credential(platform, client, rp, person)
    checker = _checker(platform, rp, provider)
    assert await _refused(checker, credential, sub[:-3] + "abc") == "credential is for another subject"
    another_service = _checker(platform, other_rp, provider)
    assert await _refused(another_service, credential, sub) == "credential is for another service"
    later = _checker(platform, rp, provider, clock=lambda: time.time() + 31 * 60)
    assert await _refused(later, credential, sub) == "credential has expired"
    earlier = _checker(platform, rp, provider, clock=lambda: time.time() - 5 * 60)
    assert await _refused(earlier, credential, sub) == "credential is not valid yet"
    with pytest.raises(CredentialRefused, match="below the level asked for"):
        await checker.verify(credential, sub, level="P3")
    elsewhere = CoreIdentityCheck("http://provider.example.gov.uk", rp.client_id, transport=provider)
    assert await _refused(elsewhere, credential, sub) == "signed by a key of another provider"


async def test_nothing_is_signed_for_a_level_no_longer_proved_when_userinfo_is_read(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    """The level is checked when the code is issued, and the proof read again at /userinfo: a proof lowered
    to P1 or withdrawn in between gives the service no credential and no identity claims."""
    rp, person = await _rp(platform), await a_citizen(platform)
    await _prove(platform, person)
    info, _ = await _userinfo(platform, client, rp, person)
    assert VOCAB + "coreIdentityJWT" in info

    claims = json.dumps({"userinfo": {VOCAB + "coreIdentityJWT": None}})
    query = authorise_query(rp, vtr='["Cl.Cm.P2"]', claims=claims)
    code = code_from((await client.get("/authorize", params=query)).headers["location"])["code"]
    await _prove(platform, person, "P1")  # proved again, at a lower level, before the service reads userinfo
    token = await client.post("/token", data=token_form(rp, code, identity_of(platform).token_endpoint))
    access = token.json()["access_token"]
    lowered = (await client.get("/userinfo", headers={"Authorization": f"Bearer {access}"})).json()
    assert VOCAB + "coreIdentityJWT" not in lowered and lowered["sub"]

    async with platform.uow() as uow:
        await proven.forget(uow, person.id)
        await uow.commit()
    withdrawn = await client.get("/authorize", params=authorise_query(rp, vtr='["Cl.Cm.P2"]'))
    assert withdrawn.headers["location"] == "/identity/prove"  # no code: sent on to prove it again
