"""A dataset answered by the provider's own system: the gateway forwards the checked query, signed with its
key, through the outbound guard, and answers only with what the provider's system signed (over the gateway
request's signature too). A system that is slow, answers unsigned, signs with a key that is not the
provider's, signs too little, or answers a changed body, an error or a field it was not asked for, gives the
consumer a clear upstream error, recorded as a refused query."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from govplatform.core.platform import Platform
from govplatform.exchange.services import members
from tests.helpers import CLI
from tests.integration.exchange.provider_system import ProviderSystem, provider_system
from tests.integration.exchange.support import gateway_signed, jwk_key, raw
from tests.integration.exchange.test_query_attacks import _refused
from tests.integration.exchange.world import QUERIES, Signed, World, make_world

HELD = {"MORGA657054SM9IJ": {"registration": "AB12 CDE", "make": "FORD", "colour": "Blue"}}


@pytest.fixture
def system() -> Iterator[ProviderSystem]:
    with provider_system(HELD) as running:
        yield running


async def _world(platform: Platform, client: httpx.AsyncClient, system: ProviderSystem) -> World:
    """The agency's dataset answered by `system`, whose key the agency registered; the system trusts the
    gateway keys the directory publishes."""
    world = await make_world(platform, provider_url=system.url)
    async with platform.uow() as uow:
        system.key_id = (await members.register_key(uow, CLI, world.agency, raw(system.key))).key_id
        await uow.commit()
    directory = (await client.get("/exchange/directory")).json()
    system.gateway_keys = {entry["kid"]: jwk_key(entry) for entry in directory["gateway"]["keys"]}
    return world


async def test_the_provider_s_system_answers_through_the_gateway(
    platform: Platform, client: httpx.AsyncClient, system: ProviderSystem
) -> None:
    world = await _world(platform, client, system)
    content = json.dumps(world.body(subject={"scheme": "driving-licence", "value": "morga 657054 sm9ij"})).encode()
    headers = world.sign(content)
    answer = await client.post(QUERIES, content=content, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["data"] == {"make": "FORD", "colour": "Blue"}
    assert body["source"]["answered_by"] == "provider" and body["source"]["provider_key_id"] == system.key_id
    directory = (await client.get("/exchange/directory")).json()
    gateway_signed(answer, directory["gateway"]["keys"], Signed("POST", world.url, headers))
    # What the system was sent: the gateway's signed request, with the identifier in its one normal form.
    assert system.verified == [True]
    assert system.asked[0]["subject"] == {"scheme": "driving-licence", "value": "MORGA657054SM9IJ"}
    assert system.asked[0]["fields"] == ["make", "colour"] and system.asked[0]["consumer"]["id"] == str(world.council)

    unknown = await world.ask(client, world.body(subject={"scheme": "driving-licence", "value": "RESID804195D99AB"}))
    assert unknown.status_code == 200 and unknown.json()["data"] == {"make": None, "colour": None}


@pytest.mark.parametrize(
    ("behaviour", "status", "code"),
    [
        ("unsigned", 502, "provider_unsigned"),
        ("wrong-key", 502, "provider_signature_invalid"),
        ("tampered", 502, "provider_signature_invalid"),
        ("no-req", 502, "provider_signature_invalid"),
        ("status-500", 502, "provider_error"),
        ("unsigned-503", 502, "provider_error"),
        ("extra-field", 502, "provider_error"),
        ("too-long", 502, "provider_error"),
        ("not-a-number", 502, "provider_error"),
    ],
)
async def test_a_provider_s_system_that_misbehaves_gives_a_clear_upstream_error(
    platform: Platform, client: httpx.AsyncClient, system: ProviderSystem, behaviour: str, status: int, code: str
) -> None:
    world = await _world(platform, client, system)
    system.behaviour = behaviour
    fields = ["registration", "make"] if behaviour == "too-long" else ["make", "colour"]
    await _refused(platform, client, await world.ask(client, world.body(fields=fields)), status, code)


async def test_a_slow_provider_s_system_times_out_instead_of_hanging(
    platform: Platform, client: httpx.AsyncClient, system: ProviderSystem
) -> None:
    world = await _world(platform, client, system)
    world.exchange.provider_seconds = 0.5
    system.behaviour = "slow"
    await _refused(platform, client, await world.ask(client), 504, "provider_timeout")


async def test_a_provider_s_key_of_another_organisation_is_not_the_provider_s(
    platform: Platform, client: httpx.AsyncClient, system: ProviderSystem
) -> None:
    world = await _world(platform, client, system)
    async with platform.uow() as uow:  # the same key pair registered as the council's: not the agency's word
        system.key_id = (await members.register_key(uow, CLI, world.council, raw(system.key))).key_id
        await uow.commit()
    await _refused(platform, client, await world.ask(client), 502, "provider_signature_invalid")
