"""The example parking shop signs the demo resident in through the platform's own provider, over HTTP, against
a real `govplatform serve` seeded by `govplatform demo` (on SQLite, or PostgreSQL with the env var).

The shop is a relying party like any other: authlib's client, discovery at the base URL, PKCE, nonce, state,
`vtr`, private_key_jwt, the ID token checked against the JWKS, userinfo, /logout with `id_token_hint` and a
back-channel logout endpoint. The resident's part is played by an HTTP client with cookies, as a browser
without JavaScript would (tests/browser/test_parking_shop.py does it in Chromium).
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pyotp
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from govplatform.examples import parking_shop
from tests.browser.server import run_cli
from tests.conftest import drop_database, new_database
from tests.helpers import csrf_from
from tests.integration.notify.live_server import Platform as Served
from tests.integration.notify.live_server import eventually, serving

pytestmark = pytest.mark.process
PATH = parking_shop.PATH
SIGNED_IN_AS = "You are signed in as "


@pytest.fixture(scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    var_dir = tmp_path_factory.mktemp("parking-sign-in")
    database_url = await new_database(var_dir)
    try:
        with serving(var_dir, database_url) as platform:
            run_cli(platform.env, "demo")
            yield platform
    finally:
        await drop_database(database_url)


@dataclasses.dataclass
class Resident:
    email: str
    password: str
    totp_secret: str
    last_step: int = 0

    def code(self) -> str:
        """A code the provider takes: each only once, one 30-second step of drift either way (core's totp_step).

        Never the previous step's: a code made in the last moment of a step and checked in the next one would
        then be two steps old (a flake CI met under load)."""
        step = max(int(time.time()) // 30, self.last_step + 1)
        while step > int(time.time()) // 30 + 1:
            time.sleep(1)
        self.last_step = step
        return pyotp.TOTP(self.totp_secret).at(step * 30)


@pytest.fixture(scope="module")
def demo_resident(served: Served) -> Resident:
    return Resident(**json.loads((served.var_dir / "demo-resident.json").read_text()))


@pytest.fixture
def resident(served: Served) -> Resident:
    """Another resident, with codes of their own, for the tests that are not about the demo's account."""
    made = Resident(f"resident-{secrets.token_hex(4)}@example.com", "a long passphrase", pyotp.random_base32())
    served.cli_json("identity", "citizen", "create", "--email", made.email, "--password", made.password,
                    "--totp-secret", made.totp_secret)  # fmt: skip
    return made


def _provider_pages(browser: httpx.Client, answer: httpx.Response, resident: Resident, until: str) -> httpx.Response:
    """The resident's email, password and authenticator code on the provider's pages; the redirect to `until`."""
    values = {"email": resident.email, "password": resident.password}
    for field in ("email", "password", "code"):
        while answer.status_code in (302, 303) and not answer.headers["location"].startswith(until):
            answer = browser.get(urljoin(str(answer.url), answer.headers["location"]))
        assert answer.status_code == 200, answer.text
        form = re.search(r'<form method="post" action="(/identity/sign-in/[a-z]+)"', answer.text)
        assert form, answer.text
        value = values.get(field) or resident.code()
        answer = browser.post(
            urljoin(str(answer.url), form.group(1)), data={field: value, "csrf_token": csrf_from(answer.text)}
        )
    assert answer.status_code == 302 and answer.headers["location"].startswith(until), answer.text
    return answer


def _to_provider(browser: httpx.Client, served: Served) -> httpx.Response:
    start = browser.get(PATH)
    assert start.status_code == 200 and "Sign in to apply" in start.text
    assert 'name="registration"' not in start.text, "no application form before signing in"
    sent = browser.get(parking_shop.SIGN_IN)
    assert sent.status_code == 302 and sent.headers["location"].startswith(served.url + "/authorize?")
    return sent


def _sign_in(browser: httpx.Client, served: Served, resident: Resident) -> httpx.Response:
    back = _provider_pages(browser, _to_provider(browser, served), resident, served.url + parking_shop.CALLBACK)
    landed = browser.get(back.headers["location"])
    assert landed.status_code == 303 and landed.headers["location"] == PATH
    page = browser.get(PATH)
    assert SIGNED_IN_AS + resident.email in page.text
    return page


def test_the_authorisation_request_is_one_login_s_profile(served: Served) -> None:
    with httpx.Client(base_url=served.url) as browser:
        query = parse_qs(urlsplit(_to_provider(browser, served).headers["location"]).query)
    client_id = json.loads((served.var_dir / "examples/parking-permits-sign-in.json").read_text())["client_id"]
    assert query["client_id"] == [client_id] and query["response_type"] == ["code"]
    assert query["scope"] == ["openid email"] and query["vtr"] == ['["Cl.Cm.P0"]']
    assert query["redirect_uri"] == [served.url + parking_shop.CALLBACK]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32 and query["state"] != query["nonce"]


def test_the_demo_resident_signs_in_applies_and_signs_out_through_the_provider(
    served: Served, demo_resident: Resident
) -> None:
    assert demo_resident.email == "resident@example.com"
    with httpx.Client(base_url=served.url) as browser:
        page = _sign_in(browser, served, demo_resident)
        assert 'name="registration"' in page.text
        applied = browser.post(
            PATH, data={"permit": "visitor", "registration": "AB12 CDE", "csrf_token": csrf_from(page.text)}
        )
        assert applied.status_code == 303 and "/secure/" in applied.headers["location"]

        out = browser.get(parking_shop.SIGN_OUT)
        assert out.status_code == 302
        logout = urlsplit(out.headers["location"])
        assert f"{logout.scheme}://{logout.netloc}{logout.path}" == served.url + "/logout"
        query = parse_qs(logout.query)
        assert query["post_logout_redirect_uri"] == [served.url + parking_shop.SIGNED_OUT]
        assert query["id_token_hint"][0].count(".") == 2 and query["state"]
        back = browser.get(out.headers["location"])
        assert back.status_code == 302 and back.headers["location"].startswith(served.url + parking_shop.SIGNED_OUT)
        assert "You have signed out" in browser.get(back.headers["location"]).text
        again = browser.get(PATH)
        assert "Sign in to apply" in again.text and SIGNED_IN_AS not in again.text
        refused = browser.post(
            PATH, data={"permit": "visitor", "registration": "AB12 CDE", "csrf_token": csrf_from(again.text)}
        )
        assert refused.status_code == 303 and refused.headers["location"] == PATH, "no application once signed out"


def _back_at_the_shop(browser: httpx.Client, served: Served, answer: httpx.Response) -> httpx.Response:
    """Follow the provider's redirects (a signed-in resident is not asked again) back to the shop's page."""
    while answer.status_code in (302, 303) and not answer.headers["location"].startswith(
        served.url + parking_shop.CALLBACK
    ):
        answer = browser.get(urljoin(str(answer.url), answer.headers["location"]))
    assert answer.status_code in (302, 303), answer.text
    landed = browser.get(answer.headers["location"])
    assert landed.status_code == 303 and landed.headers["location"] == PATH
    return browser.get(PATH)


def test_the_demo_resident_has_their_vehicle_filled_in_from_the_agency_s_records(
    served: Served, demo_resident: Resident
) -> None:
    with httpx.Client(base_url=served.url) as browser:
        page = _sign_in(browser, served, demo_resident)
        assert "Fill in my vehicle from the agency's records" in page.text and "DM21 RES" not in page.text
        asked = browser.post(parking_shop.VEHICLE, data={"csrf_token": csrf_from(page.text)})
        assert asked.status_code == 303 and asked.headers["location"].startswith(served.url + "/authorize?")
        query = parse_qs(urlsplit(asked.headers["location"]).query)
        assert query["vtr"] == ['["Cl.Cm.P2"]']
        assert list(json.loads(query["claims"][0])["userinfo"]) == ["https://vocab.account.gov.uk/v1/drivingPermit"]
        filled = _back_at_the_shop(browser, served, browser.get(asked.headers["location"]))
        assert SIGNED_IN_AS + demo_resident.email in filled.text, "the same session, now with the vehicle"
        assert 'value="DM21 RES"' in filled.text
        assert "Vehicle Licensing Agency (demo)" in filled.text and "NISSAN, Green" in filled.text

        # The agency's answer is a use of the resident's data, on their data-use page at the platform.
        uses = browser.get("/exchange/data-uses")
        assert uses.status_code == 200 and "Vehicle registration number" in uses.text
        assert "Vehicle Licensing Agency (demo)" in uses.text and "applies for a parking permit" in uses.text
        applied = browser.post(
            PATH, data={"permit": "resident-12", "registration": "DM21 RES", "csrf_token": csrf_from(filled.text)}
        )
        assert applied.status_code == 303 and "/secure/" in applied.headers["location"]


def test_a_resident_who_proved_no_licence_is_asked_to_prove_their_identity_first(
    served: Served, resident: Resident
) -> None:
    with httpx.Client(base_url=served.url) as browser:
        page = _sign_in(browser, served, resident)
        asked = browser.post(parking_shop.VEHICLE, data={"csrf_token": csrf_from(page.text)})
        sent = browser.get(asked.headers["location"])
        while sent.status_code in (302, 303) and "/identity/prove" not in sent.headers["location"]:
            sent = browser.get(urljoin(str(sent.url), sent.headers["location"]))
        assert sent.headers["location"].endswith("/identity/prove"), "P2 is asked for, so proofing starts"
        assert "DM21 RES" not in browser.get(PATH).text


def test_a_forged_state_another_browser_or_a_replayed_code_signs_nobody_in(served: Served, resident: Resident) -> None:
    with httpx.Client(base_url=served.url) as browser:
        back = _provider_pages(browser, _to_provider(browser, served), resident, served.url + parking_shop.CALLBACK)
        callback = urlsplit(back.headers["location"])
        code = parse_qs(callback.query)["code"][0]
        forged = browser.get(parking_shop.CALLBACK, params={"code": code, "state": "x" * 43})
        assert forged.status_code == 400 and "Sorry, we could not sign you in" in forged.text
        with httpx.Client(base_url=served.url) as other:
            stolen = other.get(back.headers["location"])
            assert stolen.status_code == 400 and "Sorry, we could not sign you in" in stolen.text
            assert SIGNED_IN_AS not in other.get(PATH).text
        assert browser.get(back.headers["location"]).status_code == 303  # the rightful browser, once
        assert SIGNED_IN_AS in browser.get(PATH).text
        replayed = browser.get(back.headers["location"])
        assert replayed.status_code == 400, "the pending sign-in is spent and the code single-use"


def test_garbage_or_foreign_logout_tokens_are_refused_and_end_no_session(served: Served, resident: Resident) -> None:
    with httpx.Client(base_url=served.url) as browser:
        _sign_in(browser, served, resident)
        foreign = ECKey.generate_key("P-256")
        claims = {"iss": served.url + "/", "aud": "someone", "sub": "x", "jti": secrets.token_hex(8), "iat": 0,
                  "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}  # fmt: skip
        for token in ("", "not-a-jwt", jwt.encode({"alg": "ES256"}, claims, foreign)):
            answer = httpx.post(served.url + parking_shop.BACK_CHANNEL, data={"logout_token": token})
            assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
        assert SIGNED_IN_AS in browser.get(PATH).text


def test_signing_out_of_another_service_ends_the_resident_s_session_here_by_back_channel_logout(
    served: Served, resident: Resident
) -> None:
    with httpx.Client(base_url=served.url) as browser:
        _sign_in(browser, served, resident)
        # Another service of the same platform, which the resident signs in to and then signs out of.
        org = served.cli_json("org", "create", "--name", "Borsetshire Council")["id"]
        service = served.cli_json("service", "create", "--org", str(org), "--name", "Bins")["id"]
        other_uri = "http://127.0.0.1:9/callback"
        made = served.cli_json("identity", "client", "create", "--service", str(service), "--name", "Bins",
                               "--redirect-uri", other_uri, "--token-auth-method", "client_secret_post")  # fmt: skip
        query = {"response_type": "code", "client_id": made["client_id"], "redirect_uri": other_uri,
                 "scope": "openid", "state": secrets.token_hex(16), "nonce": secrets.token_hex(16)}  # fmt: skip
        with httpx.Client(base_url=served.url) as elsewhere:
            back = _provider_pages(elsewhere, elsewhere.get("/authorize", params=query), resident, other_uri)
            code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
            token = elsewhere.post("/token", data={"grant_type": "authorization_code", "code": code,
                                                   "redirect_uri": other_uri, "client_id": made["client_id"],
                                                   "client_secret": made["client_secret"]})  # fmt: skip
            assert token.status_code == 200, token.text
            elsewhere.get("/logout", params={"id_token_hint": token.json()["id_token"]})
        signed_out = eventually(lambda: "Sign in to apply" in browser.get(PATH).text)
        assert signed_out, "the provider's worker posted a logout token and the shop ended the session"
        assert SIGNED_IN_AS not in browser.get(PATH).text
