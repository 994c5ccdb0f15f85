"""Consent, kept apart from the other lawful bases: a citizen signed in with a proved identity gives it on a page
that says who, what, why and for how long, keeps a signed Kantara receipt, and withdraws it; the very next
query under the agreement is refused."""

from __future__ import annotations

import base64
import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
from joserfc import jws
from joserfc.jwk import OKPKey

from govplatform.core.platform import Platform
from govplatform.identity.proofing.command import command_proof
from govplatform.identity.services import citizens, proven
from tests.helpers import CLI, csrf_from, post_form
from tests.integration.exchange.world import World, make_world
from tests.integration.identity.support import PASSWORD, identity_of

EMAIL, PASSWORD_PAGE, CODE = "/identity/sign-in/email", "/identity/sign-in/password", "/identity/sign-in/code"
BORN = dt.date(1985, 4, 19)


async def _resident(platform: Platform, proved: bool = True) -> tuple[str, pyotp.TOTP]:
    identity = identity_of(platform)
    secret = pyotp.random_base32()
    email = "consenting-resident@example.com"
    async with platform.uow() as uow:
        citizen = await citizens.create_citizen(
            uow, CLI, identity.box, email=email, password=PASSWORD, totp_secret=secret, given_name="Demo",
            family_name="Resident", birth_date=BORN,
        )  # fmt: skip
        if proved:
            proof = command_proof("P2", "Demo", "Resident", BORN, None, "RESID804195D99AB")
            await proven.record(uow, identity, citizen.id, proof)
        await uow.commit()
    return email, pyotp.TOTP(secret)


async def _signed_in(client: httpx.AsyncClient, page: str, email: str, totp: pyotp.TOTP) -> httpx.Response:
    sent = await client.get(page)
    assert sent.status_code == 303 and parse_qs(urlsplit(sent.headers["location"]).query)["return_to"] == [page]
    await client.get(sent.headers["location"])
    assert (await post_form(client, EMAIL, EMAIL, {"email": email})).status_code == 303
    assert (await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})).status_code == 303
    back = await post_form(client, CODE, CODE, {"code": totp.now()})
    assert back.status_code == 303 and back.headers["location"] == page, back.text
    return await client.get(page)


def _licence_query(world: World) -> dict[str, object]:
    return world.body(subject={"scheme": "driving-licence", "value": "RESID804195D99AB"})


async def test_consent_given_on_the_page_answers_queries_until_it_is_withdrawn(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform, basis="consent")
    refused = await world.ask(client, _licence_query(world))
    assert refused.status_code == 403 and refused.json()["error"] == "consent_not_given"

    email, totp = await _resident(platform)
    page = f"/exchange/consent/{world.agreement}"
    asked = await _signed_in(client, page, email, totp)
    assert asked.status_code == 200
    for words in ("Anytown Council", "Vehicle Licensing Agency", "Vehicle make", "Resident parking permits"):
        assert words in asked.text
    given = await client.post(page, data={"csrf_token": csrf_from(asked.text)})
    assert given.status_code == 303 and given.headers["location"].startswith("/exchange/consents?given=")
    consent_id = given.headers["location"].split("=")[1]
    listed = await client.get(given.headers["location"])
    assert "You have given your consent" in listed.text and "Withdraw consent" in listed.text

    answered = await world.ask(client, _licence_query(world))
    assert answered.status_code == 200 and answered.json()["data"] == {"make": "NISSAN", "colour": "Green"}
    other_person = await world.ask(client)  # the consent covers only the resident's own identifiers
    assert other_person.status_code == 403 and other_person.json()["error"] == "consent_not_given"

    receipt = await client.get(f"/exchange/consents/{consent_id}/receipt.jws")
    assert receipt.status_code == 200 and receipt.headers["content-type"].startswith("application/jose")
    gateway = (await client.get("/exchange/directory")).json()["gateway"]["keys"]
    header = json.loads(base64.urlsafe_b64decode(receipt.text.split(".")[0] + "=="))
    [signer] = [key for key in gateway if key["kid"] == header["kid"]]
    public = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": signer["x"]})
    kantara = json.loads(jws.deserialize_compact(receipt.text, public, algorithms=["Ed25519"]).payload)
    assert kantara["version"] == "KI-CR-v1.1.0" and kantara["consentReceiptID"] == consent_id
    purpose = kantara["services"][0]["purposes"][0]
    assert purpose["consentType"] == "EXPLICIT" and "Vehicle make" in purpose["piiCategory"]
    assert [c["piiController"] for c in kantara["piiControllers"]] == ["Anytown Council", "Vehicle Licensing Agency"]

    listed = await client.get("/exchange/consents")
    withdrawn = await client.post(
        f"/exchange/consents/{consent_id}/withdraw", data={"csrf_token": csrf_from(listed.text)}
    )
    assert withdrawn.status_code == 303
    again = await world.ask(client, _licence_query(world))
    assert again.status_code == 403 and again.json()["error"] == "consent_not_given"
    shown = await client.get("/exchange/consents")
    assert "Withdrawn on" in shown.text and "Withdraw consent" not in shown.text


async def test_consent_needs_a_proved_identity_and_a_consent_agreement(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform)  # public task: nothing to consent to
    email, totp = await _resident(platform, proved=False)
    page = f"/exchange/consent/{world.agreement}"
    shown = await _signed_in(client, page, email, totp)
    assert shown.status_code == 404 and "You cannot give consent to this" in shown.text
    unknown = await client.get("/exchange/consent/not-an-id")
    assert unknown.status_code == 404
    consent_world = await make_world_named(platform)
    unproved = await client.get(f"/exchange/consent/{consent_world}")
    assert unproved.status_code == 403 and "Prove your identity first" in unproved.text
    nobody = await client.post("/exchange/consents/00000000-0000-0000-0000-000000000000/withdraw",
                               data={"csrf_token": csrf_from(unproved.text)})  # fmt: skip
    assert nobody.status_code == 404


async def make_world_named(platform: Platform) -> str:
    """A second agreement, on consent, between two other bodies (names are unique)."""
    from govplatform.exchange.services import agreements, datasets
    from govplatform.exchange.services.agreements import Terms
    from tests.integration.exchange.support import organisation, role_holder
    from tests.unit.exchange.test_datasets_schema import VEHICLES

    exchange = platform.components["exchange"]
    consumer = await organisation(platform, "Othertown Council")
    provider = await organisation(platform, "Other Agency")
    await role_holder(platform, provider, "owner@other.example.gov.uk", "data-owner")
    await role_holder(platform, provider, "cdo@other.example.gov.uk", "chief-data-officer")
    async with platform.uow() as uow:
        dataset = await datasets.declare(uow, CLI, provider, "Keepers", VEHICLES, ["driving-licence"])
        await uow.commit()
    async with platform.uow() as uow:
        terms = Terms(consumer_id=consumer, dataset_id=dataset.id, fields=["make"], purpose="abc", basis="consent",
                      retention="1 year", security="Encrypted", review_on=dt.date(2099, 1, 1))  # fmt: skip
        made = await agreements.draft(uow, CLI, exchange.log, terms)
        await agreements.approve(uow, exchange.log, made.id, "owner@other.example.gov.uk")
        await agreements.sign_off(uow, exchange.log, made.id, "cdo@other.example.gov.uk")
        await uow.commit()
    return str(made.id)
