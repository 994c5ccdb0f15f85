"""authlib's OAuth 2.0 / OpenID Connect client completes a sign-in against a real `govplatform serve`, as a
relying party outside the platform would: discovery, a signed request object carrying the claims request,
PKCE S256, private_key_jwt, the ID token verified against the JWKS (signature, iss, aud, nonce, at_hash) and
userinfo. The citizen's part (the sign-in pages) is played by an HTTP client with cookies, as a browser
without JavaScript would; the browser tier is for later parts of issue 15."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pyotp
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.conftest import drop_database, new_database
from tests.integration.notify.live_server import Platform as Served
from tests.integration.notify.live_server import serving

REDIRECT_URI = "http://127.0.0.1:9/callback"  # never called: the test reads the code from the redirect
CORE_IDENTITY = "https://vocab.account.gov.uk/v1/coreIdentityJWT"


@pytest.fixture(scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    var_dir = tmp_path_factory.mktemp("identity-authlib")
    database_url = await new_database(var_dir)
    try:
        with serving(var_dir, database_url) as platform:
            yield platform
    finally:
        await drop_database(database_url)


def _citizen_signs_in(browser: httpx.Client, authorize_url: str, email: str, password: str, totp: pyotp.TOTP) -> str:
    """What a person does in a browser: the pages, their CSRF tokens and cookies. Returns the redirect back."""
    answer = browser.get(authorize_url)
    for field, value in (("email", email), ("password", password), ("code", None)):
        while answer.status_code in (302, 303) and not answer.headers["location"].startswith(REDIRECT_URI):
            answer = browser.get(urljoin(str(answer.url), answer.headers["location"]))
        assert answer.status_code == 200, answer.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', answer.text)
        form = re.search(r'<form method="post" action="(/identity/sign-in/[a-z]+)"', answer.text)
        assert token and form, answer.text
        answer = browser.post(
            urljoin(str(answer.url), form.group(1)), data={field: value or totp.now(), "csrf_token": token.group(1)}
        )
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


@pytest.fixture(scope="module")
def relying_party(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, RSAKey]]:
    key = RSAKey.generate_key(2048)
    pem = tmp_path_factory.mktemp("rp") / "public.pem"
    pem.write_bytes(key.as_pem(private=False))
    org = served.cli_json("org", "create", "--name", "Borsetshire Council")["id"]
    service = served.cli_json("service", "create", "--org", str(org), "--name", "Parking permits")["id"]
    made = served.cli_json("identity", "client", "create", "--service", str(service), "--name", "Parking permits",
                           "--redirect-uri", REDIRECT_URI, "--public-key-file", str(pem), "--require-pkce",
                           "--claims", CORE_IDENTITY)  # fmt: skip
    yield str(made["client_id"]), key


def test_authlib_signs_a_citizen_in_with_pkce_a_request_object_and_the_claims_request(
    served: Served, relying_party: tuple[str, RSAKey], tmp_path: Path
) -> None:
    client_id, key = relying_party
    totp = pyotp.TOTP(pyotp.random_base32())
    email, password = f"resident-{secrets.token_hex(4)}@example.com", "a long passphrase for the test"
    served.cli_json("identity", "citizen", "create", "--email", email, "--password", password,
                    "--totp-secret", totp.secret)  # fmt: skip
    config = httpx.get(served.url + "/.well-known/openid-configuration").json()
    assert config["issuer"] == served.url + "/"

    oauth = OAuth2Session(
        client_id,
        client_secret=key.as_pem(private=True).decode(),
        token_endpoint_auth_method=PrivateKeyJWT(config["token_endpoint"]),
        scope="openid email",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    with oauth:
        state, nonce, verifier = generate_token(30), generate_token(30), generate_token(48)
        claims_request = json.dumps({"userinfo": {CORE_IDENTITY: None}})
        now = int(time.time())
        request_object = jwt.encode(
            {"alg": "RS256"},
            {"iss": client_id, "aud": config["issuer"] + "authorize", "exp": now + 300, "iat": now,
             "response_type": "code", "scope": "openid email", "client_id": client_id, "redirect_uri": REDIRECT_URI,
             "state": state, "nonce": nonce, "vtr": ["Cl.Cm.P0"], "claims": claims_request},
            key,
            algorithms=["RS256"],
        )  # fmt: skip
        url, _ = oauth.create_authorization_url(
            config["authorization_endpoint"],
            state=state,
            code_verifier=verifier,
            request=request_object,
            ui_locales="en",
        )
        with httpx.Client() as browser:
            back = _citizen_signs_in(browser, url, email, password, totp)

        token = oauth.fetch_token(config["token_endpoint"], authorization_response=back, code_verifier=verifier)
        assert token["token_type"] == "Bearer" and token["expires_in"] == 180

        jwks = KeySet.import_key_set(httpx.get(config["jwks_uri"]).json())
        decoded = jwt.decode(token["id_token"], jwks, algorithms=config["id_token_signing_alg_values_supported"])
        id_token = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={"iss": {"essential": True, "value": config["issuer"]}},
            params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
        )
        id_token.validate(leeway=30)  # iss, aud, exp, iat, nonce and at_hash, as authlib checks them
        assert id_token["vot"] == "Cl.Cm" and id_token["at_hash"]

        info = oauth.get(config["userinfo_endpoint"]).json()
        assert info == {"sub": id_token["sub"], "email": email, "email_verified": True}
        # The code is spent: authlib trying it again gets One Login's error, and the tokens issued with it are revoked.
        with pytest.raises(OAuthError) as replayed:
            oauth.fetch_token(config["token_endpoint"], authorization_response=back, code_verifier=verifier)
        assert replayed.value.error == "invalid_grant"
        assert oauth.get(config["userinfo_endpoint"]).status_code == 401
