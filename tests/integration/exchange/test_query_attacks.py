"""Every bad input and attack on the query API is refused with its documented code, recorded as a refused
query, and answers nothing; the refusal itself is signed by the gateway."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from govplatform.core.interfaces import utcnow
from govplatform.core.platform import Platform
from govplatform.exchange.models import Agreement, Query
from govplatform.exchange.services import agreements, members
from govplatform.exchange.services.agreements import Terms
from tests.helpers import CLI
from tests.integration.exchange.support import gateway_signed, raw
from tests.integration.exchange.world import COMPONENTS, QUERIES, Signed, World, make_world


async def _refused(
    platform: Platform, client: httpx.AsyncClient, response: httpx.Response, status: int, code: str
) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["message"] and "data" not in body
    gateway = (await client.get("/exchange/directory")).json()["gateway"]["keys"]
    asked = Signed("POST", platform.settings.base_url.rstrip("/") + QUERIES, response.request.headers)
    assert gateway_signed(response, gateway, asked).startswith("gateway/")  # refusals are signed too
    async with platform.uow(read_only=True) as uow:
        outcomes = list(await uow.session.scalars(select(Query.outcome)))
    assert code in outcomes and "answered" not in outcomes[-1:], outcomes


async def _post(client: httpx.AsyncClient, content: bytes, headers: dict[str, str]) -> httpx.Response:
    return await client.post(QUERIES, content=content, headers=headers)


def _content(world: World, **changes: object) -> bytes:
    return json.dumps(world.body(**changes)).encode()


async def test_a_forged_signature_is_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    world = await make_world(platform)
    content = _content(world)
    response = await _post(client, content, world.sign(content, key=Ed25519PrivateKey.generate()))
    await _refused(platform, client, response, 401, "signature_invalid")


async def test_a_signature_covering_too_few_components_is_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform)
    content = _content(world)
    response = await _post(client, content, world.sign(content, components=COMPONENTS[:3]))
    await _refused(platform, client, response, 401, "signature_components")


async def test_several_signatures_on_one_request_are_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    world = await make_world(platform)
    content = _content(world)
    headers = world.sign(content)
    second = world.sign(content, nonce=secrets.token_urlsafe(24))
    headers["Signature-Input"] += ", " + second["Signature-Input"].replace("sig1=", "sig2=")
    headers["Signature"] += ", " + second["Signature"].replace("sig1=", "sig2=")
    await _refused(platform, client, await _post(client, content, headers), 401, "signature_multiple")


async def test_an_unknown_key_is_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    world = await make_world(platform)
    content = _content(world)
    other = f"{world.council}/{'A' * 43}"
    response = await _post(client, content, world.sign(content, key_id=other))
    await _refused(platform, client, response, 401, "key_unknown")
    gateway = await _post(client, content, world.sign(content, key_id="gateway/" + "A" * 43))
    await _refused(platform, client, gateway, 401, "key_unknown")


async def test_a_rotated_out_key_is_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    world = await make_world(platform)
    async with platform.uow() as uow:
        await members.register_key(uow, CLI, world.council, raw(Ed25519PrivateKey.generate()))
        await members.retire_key(uow, CLI, world.key_id)
        await uow.commit()
    content = _content(world)
    await _refused(platform, client, await _post(client, content, world.sign(content)), 401, "key_retired")


async def test_a_body_changed_after_signing_is_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    world = await make_world(platform)
    content = _content(world)
    changed = _content(world, fields=["registration", "make", "colour"])
    await _refused(platform, client, await _post(client, changed, world.sign(content)), 401, "content_digest_mismatch")


@pytest.mark.parametrize(("seconds", "code"), [(-120, "signature_expired"), (60, "signature_in_future")])
async def test_a_signature_too_old_or_from_the_future_is_refused(
    platform: Platform, client: httpx.AsyncClient, seconds: int, code: str
) -> None:
    world = await make_world(platform)
    content = _content(world)
    created = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    await _refused(platform, client, await _post(client, content, world.sign(content, created=created)), 401, code)


async def test_a_replayed_nonce_is_refused_even_from_another_organisation(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform)
    nonce = secrets.token_urlsafe(24)
    content = _content(world)
    assert (await _post(client, content, world.sign(content, nonce=nonce))).status_code == 200
    await _refused(
        platform, client, await _post(client, content, world.sign(content, nonce=nonce)), 401, "nonce_replayed"
    )
    agency_key = Ed25519PrivateKey.generate()
    async with platform.uow() as uow:
        registered = await members.register_key(uow, CLI, world.agency, raw(agency_key))
        await uow.commit()
    other = await _post(client, content, world.sign(content, key=agency_key, key_id=registered.key_id, nonce=nonce))
    await _refused(platform, client, other, 401, "nonce_replayed")


async def test_a_refused_querys_nonce_is_spent_too(platform: Platform, client: httpx.AsyncClient) -> None:
    world = await make_world(platform)
    nonce = secrets.token_urlsafe(24)
    wrong = _content(world, purpose="something-else")
    await _refused(
        platform, client, await _post(client, wrong, world.sign(wrong, nonce=nonce)), 403, "purpose_mismatch"
    )
    right = _content(world)
    await _refused(platform, client, await _post(client, right, world.sign(right, nonce=nonce)), 401, "nonce_replayed")


async def test_a_consumer_that_is_not_the_agreements_consumer_is_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform)
    agency_key = Ed25519PrivateKey.generate()
    async with platform.uow() as uow:
        registered = await members.register_key(uow, CLI, world.agency, raw(agency_key))
        await uow.commit()
    content = _content(world)
    response = await _post(client, content, world.sign(content, key=agency_key, key_id=registered.key_id))
    await _refused(platform, client, response, 403, "not_a_party")


@pytest.mark.parametrize("state", ["draft", "suspended", "expired", "revoked"])
async def test_an_agreement_that_is_not_active_answers_nothing(
    platform: Platform, client: httpx.AsyncClient, state: str
) -> None:
    world = await make_world(platform)
    log, agreement_id = world.exchange.log, world.agreement
    async with platform.uow() as uow:
        if state == "draft":
            terms = Terms(consumer_id=world.council, dataset_id=world.dataset, fields=["make"],
                          purpose="resident-parking-permits", basis="public-task")  # fmt: skip
            agreement_id = (await agreements.draft(uow, CLI, log, terms)).id
        elif state == "suspended":
            await agreements.suspend(uow, log, agreement_id, "cdo@agency.example.gov.uk")
        elif state == "revoked":
            await agreements.revoke(uow, log, agreement_id, "cdo@agency.example.gov.uk")
        else:
            yesterday = utcnow().date() - dt.timedelta(days=1)
            await uow.session.execute(
                update(Agreement).where(Agreement.id == agreement_id).values(expires_on=yesterday)
            )
        await uow.commit()
    content = _content(world, agreement_id=str(agreement_id), fields=["make"])
    response = await _post(client, content, world.sign(content))
    await _refused(platform, client, response, 403, "agreement_not_active")
    assert state in response.json()["message"]


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"agreement_id": str(uuid.UUID(int=7))}, 403, "agreement_unknown"),
        ({"purpose": "debt-collection"}, 403, "purpose_mismatch"),
        ({"fields": ["make", "blue_badge"]}, 403, "field_not_agreed"),
        ({"fields": ["make", "vin"]}, 403, "field_not_agreed"),
        ({"subject": {"scheme": "driving-licence", "value": "MORGA-657054-SM9IJ"}}, 400, "subject_invalid"),
        ({"subject": {"scheme": "driving-licence", "value": "not a licence"}}, 400, "subject_invalid"),
        ({"subject": {"scheme": "nino", "value": "MORGA657054SM9IJ"}}, 400, "subject_invalid"),
        ({"subject": {"scheme": "passport", "value": "123456789"}}, 400, "subject_scheme_not_accepted"),
        ({"subject": {"scheme": "driving-licence"}}, 400, "body_invalid"),
        ({"fields": []}, 400, "body_invalid"),
        ({"fields": ["make", "make"]}, 400, "body_invalid"),
        ({"agreement_id": "not-an-id"}, 400, "body_invalid"),
        ({"extra": "key"}, 400, "body_invalid"),
    ],
)  # fmt: skip
async def test_a_query_outside_its_agreement_or_malformed_is_refused(
    platform: Platform, client: httpx.AsyncClient, changes: dict[str, object], status: int, code: str
) -> None:
    world = await make_world(platform)
    content = _content(world, **changes)
    await _refused(platform, client, await _post(client, content, world.sign(content)), status, code)


async def test_an_oversize_body_wrong_type_or_not_json_is_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform)
    big = _content(world, fields=["make"] + [f"f{n}" for n in range(3000)])
    await _refused(platform, client, await _post(client, big, world.sign(big)), 413, "body_too_large")
    content = _content(world)
    typed = await _post(client, content, world.sign(content, content_type="text/plain"))
    await _refused(platform, client, typed, 415, "unsupported_media_type")
    junk = b"{not json"
    await _refused(platform, client, await _post(client, junk, world.sign(junk)), 400, "body_invalid")


async def test_a_consent_agreement_answers_nothing_without_the_persons_consent(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform, basis="consent")
    await _refused(platform, client, await world.ask(client), 403, "consent_not_given")


async def test_queries_past_the_rate_limit_are_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    world = await make_world(platform)
    world.exchange.queries_per_second = 2
    # Windows are whole seconds of the clock, so four queries can straddle a boundary two and two (CI's
    # one failure): ask until one is refused, which must happen well within twenty at any speed above 3/s.
    answers = [await world.ask(client)]
    while answers[-1].status_code == 200 and len(answers) < 20:
        answers.append(await world.ask(client))
    codes = [answer.status_code for answer in answers]
    assert codes[0] == 200 and codes[-1] == 429, codes
    await _refused(platform, client, answers[-1], 429, "rate_limited")


async def test_an_unsigned_request_is_refused_and_recorded_with_what_it_claimed(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform)
    response = await client.post(QUERIES, json=world.body())
    await _refused(platform, client, response, 401, "signature_missing")


async def test_unsigned_junk_from_one_address_is_recorded_only_a_few_times_a_second(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform)
    answers = [await client.post(QUERIES, json=world.body()) for _ in range(12)]
    assert {answer.json()["error"] for answer in answers} == {"signature_missing"}
    async with platform.uow(read_only=True) as uow:
        recorded = list(await uow.session.scalars(select(Query.outcome)))
    assert 5 <= len(recorded) <= 10  # 5 a second at most (the 12 may straddle two seconds), never all 12
