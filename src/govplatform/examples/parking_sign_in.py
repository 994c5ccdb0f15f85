"""The parking shop signs residents in through the platform's own OpenID Connect provider, as any service
built for GOV.UK One Login would: over HTTP, with authlib's standard client, and nothing from the platform.

The flow is One Login's relying-party profile. Discovery at `{base}/.well-known/openid-configuration`;
`/authorize` with state, nonce, PKCE (S256), `vtr=["Cl.Cm.P0"]` and the page's language; the code exchanged
at `/token` with private_key_jwt (the RSA key `govplatform demo` made and registered); the ID token checked
against the provider's JWKS (signature, iss, aud, exp, nonce, at_hash, vot); `/userinfo` for the email;
sign-out through `/logout` with `id_token_hint` and a registered post-logout redirect; and a back-channel
logout endpoint that ends every session of the logout token's `sub` after checking the token (signature,
iss, aud, iat, exp, the event, no nonce) and refusing a `jti` seen before.

To fill in a resident's vehicle (parking_vehicle.py) the shop asks again, at `vtr=["Cl.Cm.P2"]` with the
`claims` parameter naming `drivingPermit`: the provider sends a resident who has not proved their identity to
prove it, and releases the licence they proved, which userinfo returns. A permit alone never needs it.

Sessions are kept in memory on the app (a random id in an HttpOnly cookie): enough for one `serve` process
showing the flow. A real service would keep them in its own database so that a back-channel logout reaches
every process. The pending sign-in (state, nonce, PKCE verifier) rides in a short-lived cookie sealed with
an HMAC key of the shop's own, so a callback from another browser or a forged state finds nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import time
import warnings
from pathlib import Path
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oidc.core import CodeIDToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from govplatform.examples.parking_vehicle import Vehicle

with warnings.catch_warnings():
    # authlib 1.9 would rather drive httpx2; its client on httpx (what the whole platform uses) still works and
    # is what it falls back to. The move to httpx2 is the platform's to make, not this example's.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

REGISTRATION_FILE = "examples/parking-permits-sign-in.json"
SCOPE = "openid email"
VTR = '["Cl.Cm.P0"]'  # a password and a second factor, no identity check: all a parking permit needs
VOT = "Cl.Cm"
IDENTITY_VTR = '["Cl.Cm.P2"]'  # asked only to fill in the vehicle: the licence the resident proved
DRIVING_PERMIT = "https://vocab.account.gov.uk/v1/drivingPermit"
IDENTITY_CLAIMS = json.dumps({"userinfo": {DRIVING_PERMIT: None}})
SESSION_SECONDS = 3600
PENDING_SECONDS = 600
JTI_SECONDS = 600
LEEWAY_SECONDS = 30
BACK_CHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class SignInFailed(Exception):
    """The provider's answer could not be trusted or used; the resident is told to try again."""


@dataclasses.dataclass(frozen=True)
class Registration:
    """What the shop keeps to be a relying party: its client id, private key and cookie key, and for which base."""

    client_id: str
    private_key_pem: str
    cookie_key: str
    base_url: str


@dataclasses.dataclass(frozen=True)
class Resident:
    sub: str
    email: str
    id_token: str
    signed_in_at: float
    licence: str | None = None  # the driving licence number proved, when the shop asked for it
    vehicle: Vehicle | None = None  # filled in from the agency's records (parking_vehicle.py)
    vehicle_note: str | None = None  # why it could not be: "no-licence", "not-held" or "unavailable"


def new_key_pair() -> tuple[str, str]:
    """A fresh RSA key pair (private, public) in PEM, for private_key_jwt."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


def owner_only_folder(folder: Path) -> None:
    """The example's folder under var/ holds its API key and private key: 0700, as var/ itself is, whatever the
    umask, and tightened if an older run made it readable by others."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)


def save_registration(var_dir: Path, registration: Registration) -> None:
    """Owner-only, as a service keeps its private key."""
    path = var_dir / REGISTRATION_FILE
    owner_only_folder(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(dataclasses.asdict(registration), handle)


def load_registration(var_dir: Path) -> Registration | None:
    try:
        value = json.loads((var_dir / REGISTRATION_FILE).read_text())
        return Registration(**{field.name: str(value[field.name]) for field in dataclasses.fields(Registration)})
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Sessions:
    """The shop's signed-in residents by session id, and the logout tokens' jti already used."""

    def __init__(self) -> None:
        self._residents: dict[str, Resident] = {}
        self._seen: dict[str, float] = {}

    def start(self, resident: Resident) -> str:
        now = time.time()
        self._residents = {
            session_id: kept
            for session_id, kept in self._residents.items()
            if now - kept.signed_in_at <= SESSION_SECONDS
        }
        session_id = secrets.token_urlsafe(32)
        self._residents[session_id] = resident
        return session_id

    def get(self, session_id: str | None) -> Resident | None:
        resident = self._residents.get(session_id or "")
        if resident is not None and time.time() - resident.signed_in_at > SESSION_SECONDS:
            self.end(session_id)
            return None
        return resident

    def replace(self, session_id: str | None, resident: Resident) -> None:
        """The same session, now holding what was learnt since it began (the vehicle's licence)."""
        if session_id and session_id in self._residents:
            self._residents[session_id] = resident

    def end(self, session_id: str | None) -> Resident | None:
        return self._residents.pop(session_id or "", None)

    def end_for(self, sub: str) -> int:
        ended = [session_id for session_id, resident in self._residents.items() if resident.sub == sub]
        for session_id in ended:
            del self._residents[session_id]
        return len(ended)

    def first_use(self, jti: str) -> bool:
        now = time.time()
        self._seen = {seen: at for seen, at in self._seen.items() if now - at < JTI_SECONDS}
        if jti in self._seen:
            return False
        self._seen[jti] = now
        return True


def seal(registration: Registration, value: str) -> str:
    mac = hmac.new(registration.cookie_key.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"{value}.{mac}"


def unseal(registration: Registration, sealed: str | None) -> str | None:
    value, _, _mac = (sealed or "").rpartition(".")
    return value if value and hmac.compare_digest(seal(registration, value), sealed or "") else None


@dataclasses.dataclass(frozen=True)
class Pending:
    """A sign-in on its way: what the callback must find again."""

    state: str
    nonce: str
    verifier: str
    started_at: int
    identity: bool = False  # asked for the proved licence (IDENTITY_VTR), to fill in the vehicle

    def cookie(self, registration: Registration) -> str:
        fields = (self.state, self.nonce, self.verifier, str(self.started_at), "P2" if self.identity else "P0")
        return seal(registration, "~".join(fields))

    @classmethod
    def new(cls, identity: bool = False) -> Pending:
        return cls(generate_token(32), generate_token(32), generate_token(64), int(time.time()), identity)

    @classmethod
    def from_cookie(cls, registration: Registration, cookie: str | None) -> Pending | None:
        parts = (unseal(registration, cookie) or "").split("~")
        if len(parts) != 5 or not parts[3].isdigit() or time.time() - int(parts[3]) > PENDING_SECONDS:
            return None
        return cls(parts[0], parts[1], parts[2], int(parts[3]), parts[4] == "P2")


def _licence(info: dict[str, Any]) -> str | None:
    """The licence number the resident proved, from userinfo's drivingPermit; None if they proved another way."""
    permits = info.get(DRIVING_PERMIT)
    first = permits[0] if isinstance(permits, list) and permits and isinstance(permits[0], dict) else {}
    number = first.get("personalNumber")
    return number if isinstance(number, str) and number else None


class Provider:
    """The platform's provider as the shop sees it: its discovery document, over HTTP."""

    def __init__(self, base_url: str, registration: Registration, transport: httpx.AsyncBaseTransport | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.registration = registration
        self.transport = transport

    def _http(self) -> dict[str, Any]:
        return {"timeout": 10.0, **({"transport": self.transport} if self.transport is not None else {})}

    async def configuration(self) -> dict[str, Any]:
        async with httpx.AsyncClient(**self._http()) as http:
            answer = await http.get(self.base_url + "/.well-known/openid-configuration")
        if answer.status_code != 200:
            raise SignInFailed(f"discovery answered {answer.status_code}")
        config: dict[str, Any] = answer.json()
        return config

    async def key_set(self, config: dict[str, Any]) -> KeySet:
        async with httpx.AsyncClient(**self._http()) as http:
            answer = await http.get(config["jwks_uri"])
        if answer.status_code != 200:
            raise SignInFailed(f"the JWKS answered {answer.status_code}")
        return KeySet.import_key_set(answer.json())

    def oauth(self, config: dict[str, Any], redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            self.registration.client_id,
            client_secret=self.registration.private_key_pem,
            token_endpoint_auth_method=PrivateKeyJWT(config["token_endpoint"]),
            scope=SCOPE,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            **self._http(),
        )

    async def authorize_url(self, pending: Pending, redirect_uri: str, language: str) -> str:
        config = await self.configuration()
        asked = {"vtr": IDENTITY_VTR, "claims": IDENTITY_CLAIMS} if pending.identity else {"vtr": VTR}
        async with self.oauth(config, redirect_uri) as oauth:
            url, _ = oauth.create_authorization_url(
                config["authorization_endpoint"],
                state=pending.state,
                nonce=pending.nonce,
                code_verifier=pending.verifier,
                ui_locales=language,
                **asked,
            )
        return str(url)

    async def sign_in(self, pending: Pending, code: str, redirect_uri: str) -> Resident:
        """The code exchanged, the ID token checked and userinfo read: the signed-in resident."""
        config = await self.configuration()
        async with self.oauth(config, redirect_uri) as oauth:
            try:
                token = await oauth.fetch_token(config["token_endpoint"], code=code, code_verifier=pending.verifier)
            except Exception as error:  # authlib's OAuthError, or the provider's answer not being a token
                raise SignInFailed(f"the token exchange failed: {type(error).__name__}") from None
            claims = await self._id_token_claims(config, token, pending.nonce)
            answer = await oauth.get(config["userinfo_endpoint"])
        if answer.status_code != 200:
            raise SignInFailed(f"userinfo answered {answer.status_code}")
        info = answer.json()
        if info.get("sub") != claims["sub"] or not isinstance(info.get("email"), str):
            raise SignInFailed("userinfo is for someone else, or has no email")
        licence = _licence(info) if pending.identity else None
        return Resident(str(claims["sub"]), info["email"], str(token["id_token"]), time.time(), licence)

    async def _id_token_claims(self, config: dict[str, Any], token: dict[str, Any], nonce: str) -> dict[str, Any]:
        if not isinstance(token.get("id_token"), str):
            raise SignInFailed("the token response has no ID token")
        algorithms = config["id_token_signing_alg_values_supported"]
        params = {"nonce": nonce, "client_id": self.registration.client_id, "access_token": token["access_token"]}
        try:
            decoded = jwt.decode(token["id_token"], await self.key_set(config), algorithms=algorithms)
            id_token = CodeIDToken(
                decoded.claims,
                decoded.header,
                options={"iss": {"essential": True, "value": config["issuer"]}},
                params=params,
            )
            id_token.validate(leeway=LEEWAY_SECONDS)  # iss, aud, exp, iat, nonce and at_hash
        except Exception as error:  # joserfc's errors, authlib's claim errors, a malformed token
            raise SignInFailed(f"the ID token is not valid: {type(error).__name__}") from None
        if decoded.claims.get("vot") != VOT or not decoded.claims.get("sub"):
            raise SignInFailed("the ID token is not for the level asked for")
        return dict(decoded.claims)

    async def logout_sub(self, logout_token: str) -> tuple[str, str]:
        """The `sub` and `jti` of a valid logout token (OpenID Connect Back-Channel Logout 1.0, section 2.6)."""
        config = await self.configuration()
        try:
            decoded = jwt.decode(
                logout_token, await self.key_set(config), algorithms=config["id_token_signing_alg_values_supported"]
            )
            jwt.JWTClaimsRegistry(
                leeway=LEEWAY_SECONDS,
                iss={"essential": True, "value": config["issuer"]},
                aud={"essential": True, "value": self.registration.client_id},
                iat={"essential": True},
                exp={"essential": True},
                sub={"essential": True},
                jti={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError, KeyError, TypeError) as error:
            raise SignInFailed(f"the logout token is not valid: {type(error).__name__}") from None
        claims = decoded.claims
        events = claims.get("events")
        if not isinstance(events, dict) or BACK_CHANNEL_EVENT not in events or "nonce" in claims:
            raise SignInFailed("the token is not a logout token")
        if not isinstance(claims["iat"], int | float) or claims["iat"] < time.time() - JTI_SECONDS:
            # Older than the jti memory: a replay of it could no longer be told from a first use.
            raise SignInFailed("the logout token is too old")
        return str(claims["sub"]), str(claims["jti"])
