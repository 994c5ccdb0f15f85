"""Set-up shared by identity's integration tests: a service, relying parties with their own RSA keys,
citizens with an authenticator app, and client assertions made as authlib makes them."""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any

import pyotp
from joserfc import jwt
from joserfc.jwk import RSAKey

from govplatform.app import register_components
from govplatform.core.platform import Platform
from govplatform.identity.component import IdentityComponent
from govplatform.identity.services import citizens, clients
from tests.helpers import CLI, service_with_org

REDIRECT_URI = "https://parking.example.gov.uk/oidc/callback"
PASSWORD = "correct horse battery staple"


def identity_of(platform: Platform) -> IdentityComponent:
    register_components(platform)
    component = platform.components["identity"]
    assert isinstance(component, IdentityComponent)
    return component


@dataclasses.dataclass
class Client:
    client_id: str
    key: RSAKey | None
    secret: str | None = None


async def a_service(platform: Platform) -> uuid.UUID:
    register_components(platform)
    return await service_with_org(platform, f"Council {uuid.uuid4().hex[:8]}", "Parking permits")


async def a_client(platform: Platform, service_id: uuid.UUID | None = None, **options: Any) -> Client:
    identity = identity_of(platform)
    service_id = service_id or await a_service(platform)
    key = RSAKey.generate_key(2048)
    options.setdefault("redirect_uris", [REDIRECT_URI])
    if options.get("token_auth_method") == "client_secret_post" or "jwks_url" in options:
        key_pem = None
    else:
        key_pem = key.as_pem(private=False).decode()
    async with platform.uow() as uow:
        client, secret = await clients.create_relying_party(
            uow,
            CLI,
            identity.directory,
            identity.hash_secret,
            service_id=service_id,
            name=options.pop("name", "Parking permits"),
            public_key_pem=key_pem,
            **options,
        )
        await uow.commit()
    return Client(client.client_id, key, secret)


@dataclasses.dataclass
class Person:
    id: uuid.UUID
    email: str
    totp: pyotp.TOTP


async def a_citizen(platform: Platform, email: str | None = None) -> Person:
    identity = identity_of(platform)
    secret = pyotp.random_base32()
    email = email or f"resident-{uuid.uuid4().hex[:8]}@example.com"
    async with platform.uow() as uow:
        citizen = await citizens.create_citizen(
            uow, CLI, identity.box, email=email, password=PASSWORD, totp_secret=secret, given_name="Sam"
        )
        await uow.commit()
    return Person(citizen.id, email, pyotp.TOTP(secret))


def assertion(client: Client, audience: str, **overrides: Any) -> str:
    """A client assertion as authlib's PrivateKeyJWT makes one: RS256, no kid, an hour's lifetime."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": audience,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 3600,
    }
    header = {"alg": overrides.pop("alg", "RS256")}
    if "kid" in overrides:
        header["kid"] = overrides.pop("kid")
    key = overrides.pop("key", client.key)
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(header, claims, key, algorithms=[header["alg"]])


def authorise_query(client: Client, **overrides: str | None) -> dict[str, str]:
    query: dict[str, str | None] = {
        "response_type": "code",
        "scope": "openid email",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT_URI,
        "state": "state-" + uuid.uuid4().hex,
        "nonce": "nonce-" + uuid.uuid4().hex,
        "vtr": '["Cl.Cm.P0"]',
    }
    query.update(overrides)
    return {name: value for name, value in query.items() if value is not None}


async def sign_in_through_pages(http: Any, query: dict[str, str], person: Person) -> Any:
    """Follow /authorize through the email, password and code pages; returns the last response (the
    redirect back to the client)."""
    from tests.helpers import post_form

    started = await http.get("/authorize", params=query)
    assert started.status_code == 302, started.text
    email_page = started.headers["location"]
    sent = await post_form(http, email_page, "/identity/sign-in/email", {"email": person.email})
    assert sent.status_code == 303, sent.text
    passed = await post_form(http, "/identity/sign-in/password", "/identity/sign-in/password", {"password": PASSWORD})
    assert passed.status_code == 303, passed.text
    return await post_form(http, "/identity/sign-in/code", "/identity/sign-in/code", {"code": person.totp.now()})


def code_from(location: str) -> dict[str, str]:
    from urllib.parse import parse_qs, urlsplit

    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


async def a_code(platform: Platform, rp: Client, person: Person, **overrides: str | None) -> tuple[str, dict[str, str]]:
    """A code issued as the sign-in pages issue one (their own tests cover them), and the query it answers."""
    from govplatform.identity.services import sign_in
    from govplatform.identity.services.authorisation import check_request

    identity = identity_of(platform)
    query = authorise_query(rp, **overrides)
    async with platform.uow() as uow:
        checked = await check_request(uow, identity, {name: [value] for name, value in query.items()}, 100)
        token = await sign_in.start(uow, identity, checked)
        row = await sign_in.find(uow, identity, token)
        assert row is not None
        code, _ = await sign_in.issue_code(uow, identity, row, person.id)
        await uow.commit()
    return code, query


def token_form(rp: Client, code: str, audience: str, **overrides: str | None) -> dict[str, str]:
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion(rp, audience),
    }
    form.update(overrides)
    return {name: value for name, value in form.items() if value is not None}
