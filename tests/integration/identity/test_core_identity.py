"""authlib's OpenID Connect client completes a P2 flow against a real `govplatform serve`: the service asks
for `Cl.Cm.P2` and the coreIdentityJWT, the citizen (proved at P2 by a passport, through the command) signs in,
and the service verifies the coreIdentityJWT against /.well-known/did.json alone, as One Login's relying parties
must: the DID key's kid, ES256, the same subject as the ID token, the level and the verified name and birth
date; the passport claim comes with it. A citizen who has not proved their identity, or proved only P1, is
answered `access_denied`, as One Login answers."""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError
from joserfc.jwk import ECKey, KeySet, RSAKey

from govplatform.core.platform import Platform
from govplatform.examples.core_identity_check import CoreIdentityCheck, CredentialRefused
from govplatform.identity.proofing import core_identity
from tests.conftest import drop_database, new_database
from tests.helpers import csrf_from
from tests.integration.identity.support import identity_of
from tests.integration.identity.test_authlib_client import _citizen_signs_in
from tests.integration.notify.live_server import Platform as Served
from tests.integration.notify.live_server import serving

REDIRECT_URI = "http://127.0.0.1:9/callback"
VOCAB = "https://vocab.account.gov.uk/v1/"
PASSWORD = "a long passphrase for the test"


@pytest.fixture(scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    var_dir = tmp_path_factory.mktemp("identity-p2")
    database_url = await new_database(var_dir)
    try:
        with serving(var_dir, database_url) as platform:
            yield platform
    finally:
        await drop_database(database_url)


@pytest.fixture(scope="module")
def relying_party(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, RSAKey]]:
    key = RSAKey.generate_key(2048)
    pem = tmp_path_factory.mktemp("rp") / "public.pem"
    pem.write_bytes(key.as_pem(private=False))
    org = served.cli_json("org", "create", "--name", "Borsetshire Council")["id"]
    service = served.cli_json("service", "create", "--org", str(org), "--name", "Blue badges")["id"]
    made = served.cli_json("identity", "client", "create", "--service", str(service), "--name", "Blue badges",
                           "--redirect-uri", REDIRECT_URI, "--public-key-file", str(pem), "--levels", "P0,P1,P2",
                           "--claims", f"{VOCAB}coreIdentityJWT {VOCAB}passport {VOCAB}drivingPermit")  # fmt: skip
    yield str(made["client_id"]), key


def _citizen(served: Served, *proof: str) -> tuple[str, pyotp.TOTP]:
    totp = pyotp.TOTP(pyotp.random_base32())
    email = f"resident-{secrets.token_hex(4)}@example.com"
    served.cli_json("identity", "citizen", "create", "--email", email, "--password", PASSWORD,
                    "--totp-secret", totp.secret, *proof)  # fmt: skip
    return email, totp


def _flow(
    served: Served, relying_party: tuple[str, RSAKey], email: str, totp: pyotp.TOTP, vtr: str
) -> tuple[OAuth2Session, dict[str, str], str]:
    """The service's side up to the redirect back: returns the session, the redirect's query and the nonce."""
    client_id, key = relying_party
    config = httpx.get(served.url + "/.well-known/openid-configuration").json()
    oauth = OAuth2Session(client_id, client_secret=key.as_pem(private=True).decode(),
                          token_endpoint_auth_method=PrivateKeyJWT(config["token_endpoint"]),
                          scope="openid email", redirect_uri=REDIRECT_URI)  # fmt: skip
    state, nonce = generate_token(30), generate_token(30)
    claims = json.dumps({"userinfo": {VOCAB + "coreIdentityJWT": None, VOCAB + "passport": None}})
    url, _ = oauth.create_authorization_url(config["authorization_endpoint"], state=state, nonce=nonce, vtr=vtr,
                                            claims=claims)  # fmt: skip
    with httpx.Client() as browser:
        back = _citizen_signs_in(browser, url, email, PASSWORD, totp)
    query = {name: values[0] for name, values in parse_qs(urlsplit(back).query).items()}
    assert query["state"] == state
    return oauth, {**query, "_url": back}, nonce


def test_authlib_completes_a_p2_flow_and_verifies_the_core_identity_jwt_against_did_json(
    served: Served, relying_party: tuple[str, RSAKey]
) -> None:
    email, totp = _citizen(served, "--given-name", "Alys Mair", "--family-name", "Pennant", "--birth-date",
                           "1984-05-19", "--level", "P2", "--passport", "530000101")  # fmt: skip
    oauth, back, _ = _flow(served, relying_party, email, totp, '["Cl.Cm.P2"]')
    config = httpx.get(served.url + "/.well-known/openid-configuration").json()
    with oauth:
        token = oauth.fetch_token(config["token_endpoint"], authorization_response=back["_url"])
        jwks = KeySet.import_key_set(httpx.get(config["jwks_uri"]).json())
        id_token = jwt.decode(token["id_token"], jwks, algorithms=["ES256"]).claims
        assert id_token["vot"] == "Cl.Cm"  # the ID token carries the credential level only, as One Login's does
        info = oauth.get(config["userinfo_endpoint"]).json()

    did = httpx.get(served.url + "/.well-known/did.json")
    assert did.headers["cache-control"] == "max-age=3600, private"
    document = did.json()
    host = served.url.split("://", 1)[1]
    assert document["id"] == "did:web:" + host.replace(":", "%3A")
    keys = {method["id"]: method["publicKeyJwk"] for method in document["assertionMethod"]}
    credential = info[VOCAB + "coreIdentityJWT"]
    header = jws.extract_compact(credential.encode()).protected
    assert header["alg"] == "ES256" and header["kid"] in keys and header["kid"].startswith(document["id"] + "#")
    verified = jwt.decode(credential, ECKey.import_key(keys[header["kid"]]), algorithms=["ES256"]).claims
    now = time.time()
    assert verified["sub"] == id_token["sub"] and verified["aud"] == relying_party[0]
    assert verified["iss"] == config["issuer"] and verified["vot"] == "P2"
    assert verified["nbf"] <= now + 5 and 29 * 60 <= verified["exp"] - verified["iat"] <= 30 * 60
    subject = verified["vc"]["credentialSubject"]
    assert subject["name"] == [{"nameParts": [{"type": "GivenName", "value": "Alys"},
                                              {"type": "GivenName", "value": "Mair"},
                                              {"type": "FamilyName", "value": "Pennant"}]}]  # fmt: skip
    assert subject["birthDate"] == [{"value": "1984-05-19"}]
    assert info[VOCAB + "passport"][0]["documentNumber"] == "530000101"
    assert info[VOCAB + "passport"][0]["icaoIssuerCode"] == "GBR"
    # The ID token keys do not verify it: the two sets of keys are apart.
    with pytest.raises(InvalidKeyIdError):
        jwt.decode(credential, jwks, algorithms=["ES256"])
    # Nor does a tampered one verify.
    body = credential.split(".")
    tampered = json.loads(jws.extract_compact(credential.encode()).payload)
    tampered["vot"] = "P3"
    forged = ".".join([body[0], base64.urlsafe_b64encode(json.dumps(tampered).encode()).decode().rstrip("="), body[2]])
    with pytest.raises(BadSignatureError):
        jwt.decode(forged, ECKey.import_key(keys[header["kid"]]), algorithms=["ES256"])


async def test_the_example_services_check_takes_the_credential_over_http_and_refuses_a_changed_one(
    served: Served, relying_party: tuple[str, RSAKey]
) -> None:
    """examples/core_identity_check.py, as a service would run it against the real provider: the credential
    verifies for its subject and service; another subject, another service or a changed signature do not."""
    email, totp = _citizen(served, "--given-name", "Bryn", "--family-name", "Howells", "--birth-date",
                           "1979-11-02", "--level", "P2", "--driving-licence", "HOWEL711029B99XY")  # fmt: skip
    oauth, back, _ = _flow(served, relying_party, email, totp, '["Cl.Cm.P2"]')
    config = httpx.get(served.url + "/.well-known/openid-configuration").json()
    with oauth:
        token = oauth.fetch_token(config["token_endpoint"], authorization_response=back["_url"])
        info = oauth.get(config["userinfo_endpoint"]).json()
    sub = json.loads(jws.extract_compact(token["id_token"].encode()).payload)["sub"]
    credential = info[VOCAB + "coreIdentityJWT"]
    check = CoreIdentityCheck(served.url, relying_party[0])
    verified = await check.verify(credential, sub)
    assert (verified.given_names, verified.family_name, str(verified.birth_date)) == ("Bryn", "Howells", "1979-11-02")
    assert verified.sub == info["sub"] == sub and verified.level == "P2"
    refusals = [(check, credential, "urn:fdc:gov.uk:2022:someone-else", "credential is for another subject"),
                (CoreIdentityCheck(served.url, "another-client"), credential, sub, "credential is for another service"),
                (check, credential[:-10] + ("A" if credential[-10] != "A" else "B") + credential[-9:], sub,
                 "signature does not verify")]  # fmt: skip
    for checker, given, subject, reason in refusals:
        with pytest.raises(CredentialRefused) as refused:
            await checker.verify(given, subject)
        assert refused.value.reason == reason


def test_a_citizen_who_has_not_proved_p2_is_sent_to_prove_it_and_the_service_gets_access_denied_if_they_cannot(
    served: Served, relying_party: tuple[str, RSAKey]
) -> None:
    """As One Login does: the citizen is sent on to prove their identity; one who has neither document ends
    there, and the service is answered access_denied. A citizen proved only at P1 is sent on just the same."""
    for proof in ([], ["--given-name", "Carys", "--family-name", "Lloyd", "--birth-date", "1992-08-23",
                       "--level", "P1", "--passport", "530000202"]):  # fmt: skip
        email, totp = _citizen(served, *proof)
        back = _cannot_prove(served, relying_party, email, totp)
        assert back["error"] == "access_denied" and "code" not in back
        assert back["error_description"] == "Level of confidence not reached"


def _cannot_prove(served: Served, relying_party: tuple[str, RSAKey], email: str, totp: pyotp.TOTP) -> dict[str, str]:
    config = httpx.get(served.url + "/.well-known/openid-configuration").json()
    oauth = OAuth2Session(relying_party[0], scope="openid email", redirect_uri=REDIRECT_URI)
    url, _ = oauth.create_authorization_url(config["authorization_endpoint"], state=generate_token(30),
                                            nonce=generate_token(30), vtr='["Cl.Cm.P2"]')  # fmt: skip
    with httpx.Client(base_url=served.url) as browser:
        answer = browser.get(url)
        for field, value in (("email", email), ("password", PASSWORD), ("code", None)):
            while answer.status_code in (302, 303):
                answer = browser.get(answer.headers["location"])
            action = re.search(r'<form method="post" action="(/identity/sign-in/[a-z]+)"', answer.text)
            assert action, answer.text
            answer = browser.post(
                action.group(1), data={field: value or totp.now(), "csrf_token": csrf_from(answer.text)}
            )
        assert answer.headers["location"] == "/identity/prove"
        route = browser.get("/identity/prove/route")
        chosen = browser.post("/identity/prove/route", data={"route": "none", "csrf_token": csrf_from(route.text)})
        result = browser.get(chosen.headers["location"])
        assert "We cannot prove your identity online" in result.text
        back = browser.post("/identity/prove/continue", data={"csrf_token": csrf_from(result.text)})
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT_URI)
    return {name: values[0] for name, values in parse_qs(urlsplit(back.headers["location"]).query).items()}


def test_a_p1_identity_gets_a_p1_credential_and_no_document_claims(
    served: Served, relying_party: tuple[str, RSAKey]
) -> None:
    email, totp = _citizen(served, "--given-name", "Carys", "--family-name", "Lloyd", "--birth-date", "1992-08-23",
                           "--level", "P1", "--driving-licence", "LLOYD958232C99AB")  # fmt: skip
    oauth, back, _ = _flow(served, relying_party, email, totp, '["Cl.Cm.P1"]')
    config = httpx.get(served.url + "/.well-known/openid-configuration").json()
    with oauth:
        oauth.fetch_token(config["token_endpoint"], authorization_response=back["_url"])
        info = oauth.get(config["userinfo_endpoint"]).json()
    claims = json.loads(jws.extract_compact(info[VOCAB + "coreIdentityJWT"].encode()).payload)
    assert claims["vot"] == "P1"
    assert VOCAB + "passport" not in info and VOCAB + "drivingPermit" not in info  # only at P2 and above


def test_the_same_passport_cannot_prove_a_second_account_and_bad_proofs_are_refused(served: Served) -> None:
    proof = ["--given-name", "Bryn", "--family-name", "Howells", "--birth-date", "1979-11-02", "--level", "P2"]
    _citizen(served, *proof, "--passport", "530000909")
    with pytest.raises(AssertionError, match="already been used"):
        _citizen(served, *proof, "--passport", "530000909")
    refusals = [(["--passport", "53000"], "9 digits"), (["--driving-licence", "HOWEL711029X99XY"], "first names"),
                ([], "--passport or --driving-licence")]  # fmt: skip
    for bad, why in refusals:
        with pytest.raises(AssertionError, match=why):
            _citizen(served, *proof, *bad)
    with pytest.raises(AssertionError, match="given-name"):
        _citizen(served, "--level", "P2", "--passport", "530000910")


async def test_did_keys_rotate_apart_from_the_id_token_keys_and_stay_published(platform: Platform) -> None:
    identity = identity_of(platform)
    before = {method["id"] for method in (await core_identity.did_document(identity))["assertionMethod"]}
    jwks_before = (await identity.signing_keys.ring()).published
    async with platform.uow() as uow:
        await identity.did_keys.rotate(uow)
        await uow.commit()
    after = {method["id"] for method in (await core_identity.did_document(identity))["assertionMethod"]}
    assert before < after  # the key that signed before is still published; a new next key joined
    assert (await identity.signing_keys.ring()).published == jwks_before
    assert not {key["kid"] for key in jwks_before} & {kid.split("#")[1] for kid in after}
