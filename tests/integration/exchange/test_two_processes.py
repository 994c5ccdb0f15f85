"""Across two web processes on one database: consent given through one is answered through the other, and a
withdrawal made through the first holds for the very next query through the second; an agreement suspended
from a third process (this one) is refused at once by both, though each keeps agreements for 2 seconds."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urljoin

import httpx
import pyotp
import pytest

from govplatform.app import register_components
from govplatform.core.platform import build_platform
from govplatform.exchange.services import agreements
from govplatform.identity.proofing.command import command_proof
from govplatform.identity.services import citizens, proven
from tests.browser.server import free_port, server_env, serving
from tests.conftest import drop_database, make_settings, new_database
from tests.helpers import CLI
from tests.integration.exchange.world import World, make_world
from tests.integration.identity.support import PASSWORD

BORN = dt.date(1985, 4, 19)
LICENCE = {"scheme": "driving-licence", "value": "RESID804195D99AB"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
async def two(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Any]]:
    var_dir = tmp_path_factory.mktemp("exchange-two")
    database_url = await new_database(var_dir)
    ports = [free_port(), free_port()]
    base = f"http://127.0.0.1:{ports[0]}"  # both answer as one platform behind a load balancer would
    platform = build_platform(make_settings(var_dir, database_url, base_url=base))
    register_components(platform)
    world = await make_world(platform, basis="consent")
    secret = pyotp.random_base32()
    identity = platform.components["identity"]
    async with platform.uow() as uow:
        citizen = await citizens.create_citizen(
            uow, CLI, identity.box, email="two@example.com", password=PASSWORD, totp_secret=secret,
            given_name="Demo", family_name="Resident", birth_date=BORN,
        )  # fmt: skip
        proof = command_proof("P2", "Demo", "Resident", BORN, None, "RESID804195D99AB")
        await proven.record(uow, identity, citizen.id, proof)
        await uow.commit()
    env = server_env(var_dir, base)
    env["GOVPLATFORM_DATABASE_URL"] = database_url
    try:
        with serving(env, ports[0], var_dir / "a.log"), serving(env, ports[1], var_dir / "b.log", with_worker=False):
            yield {"world": world, "platform": platform, "totp": pyotp.TOTP(secret), "urls":
                   [f"http://127.0.0.1:{port}" for port in ports]}  # fmt: skip
    finally:
        await platform.dispose()
        await drop_database(database_url)


def _ask(world: World, url: str) -> httpx.Response:
    content = json.dumps(world.body(subject=LICENCE)).encode()
    return httpx.post(url + "/api/exchange/v1/queries", content=content, headers=world.sign(content))


def _form(browser: httpx.Client, page: httpx.Response, action: str, data: dict[str, str]) -> httpx.Response:
    token = TOKEN.search(page.text)
    assert token, page.text
    return browser.post(urljoin(str(page.url), action), data={**data, "csrf_token": token.group(1)})


def _signed_in(browser: httpx.Client, url: str, totp: pyotp.TOTP) -> httpx.Response:
    answer = browser.get(url)
    for action, field, value in (("/identity/sign-in/email", "email", "two@example.com"),
                                 ("/identity/sign-in/password", "password", PASSWORD),
                                 ("/identity/sign-in/code", "code", None)):  # fmt: skip
        while answer.status_code in (302, 303):
            answer = browser.get(urljoin(str(answer.url), answer.headers["location"]))
        answer = _form(browser, answer, action, {field: value or totp.now()})
    while answer.status_code in (302, 303):
        answer = browser.get(urljoin(str(answer.url), answer.headers["location"]))
    return answer


def test_consent_and_its_withdrawal_through_one_process_hold_at_once_in_the_other(two: dict[str, Any]) -> None:
    world, (a, b) = two["world"], two["urls"]
    assert _ask(world, b).json()["error"] == "consent_not_given"
    with httpx.Client() as browser:
        page = _signed_in(browser, f"{a}/exchange/consent/{world.agreement}", two["totp"])
        assert page.status_code == 200 and "Do you agree to share this information?" in page.text, page.text
        given = _form(browser, page, f"/exchange/consent/{world.agreement}", {})
        assert given.status_code == 303
        consent_id = given.headers["location"].split("=")[1]
        answered = _ask(world, b)
        assert answered.status_code == 200 and answered.json()["data"] == {"make": "NISSAN", "colour": "Green"}
        listed = browser.get(f"{a}/exchange/consents")
        assert _form(browser, listed, f"/exchange/consents/{consent_id}/withdraw", {}).status_code == 303
    refused = _ask(world, b)
    assert refused.status_code == 403 and refused.json()["error"] == "consent_not_given"


async def test_an_agreement_suspended_elsewhere_is_refused_at_once_by_both_processes(two: dict[str, Any]) -> None:
    world, platform = two["world"], two["platform"]
    for url in two["urls"]:  # each process now keeps the agreement for 2 seconds
        assert _ask(world, url).json()["error"] == "consent_not_given"
    async with platform.uow() as uow:
        await agreements.suspend(uow, world.exchange.log, world.agreement, "cdo@agency.example.gov.uk")
        await uow.commit()
    for url in two["urls"]:
        assert _ask(world, url).json()["error"] == "agreement_not_active"
