"""Discovery (OpenID Connect Discovery 1.0), the JWKS and /trustmark, with the values One Login's WellknownHandler
publishes, so a relying party built for One Login needs only the discovery URL changed.

Both are served with `Cache-Control: max-age=86400`, as One Login's are; a rotation therefore publishes a key
a rotation before it signs (services/keys.py), never at the moment it starts signing.
/trustmark is what an ID token's `vtm` names: the credential and identity levels this provider can achieve.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from govplatform.identity.component import IdentityComponent
from govplatform.identity.firewall import require_user_agent
from govplatform.identity.profile import (
    CLIENT_ASSERTION_ALGS,
    TRUSTMARK_CREDENTIALS,
    TRUSTMARK_LEVELS,
    USERINFO_CLAIMS,
)
from govplatform.identity.proofing import core_identity

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_user_agent)])
PUBLIC_ROUTES = [
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/trustmark"),
    ("GET", "/.well-known/did.json"),
]
CACHE = {"Cache-Control": "max-age=86400"}


def identity_of(request: Request) -> IdentityComponent:
    component: IdentityComponent = request.app.state.identity
    return component


def configuration(identity: IdentityComponent) -> dict[str, Any]:
    base = identity.base_url
    return {
        "issuer": identity.issuer,
        "authorization_endpoint": identity.authorization_endpoint,
        "token_endpoint": identity.token_endpoint,
        "userinfo_endpoint": f"{base}/userinfo",
        "end_session_endpoint": f"{base}/logout",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "scopes_supported": ["openid", "email", "phone", "offline_access"],
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public", "pairwise"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_post"],
        "token_endpoint_auth_signing_alg_values_supported": CLIENT_ASSERTION_ALGS,
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "request_object_signing_alg_values_supported": CLIENT_ASSERTION_ALGS,
        "code_challenge_methods_supported": ["S256"],
        "claim_types_supported": ["normal"],
        "claims_supported": [
            "sub",
            "email",
            "email_verified",
            "phone_number",
            "phone_number_verified",
            *USERINFO_CLAIMS,
        ],
        "claims_parameter_supported": True,
        "ui_locales_supported": ["en", "cy"],
        "request_parameter_supported": True,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "trustmarks": identity.trustmark_url,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": False,  # One Login's logout tokens carry no sid
        "service_documentation": "https://docs.sign-in.service.gov.uk/",
    }


@router.get("/.well-known/openid-configuration")
async def openid_configuration(request: Request) -> JSONResponse:
    return JSONResponse(configuration(identity_of(request)), headers=CACHE)


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> JSONResponse:
    ring = await identity_of(request).signing_keys.ring()
    return JSONResponse({"keys": ring.published}, headers=CACHE)


@router.get("/.well-known/did.json")
async def did_json(request: Request) -> JSONResponse:
    """The DID keys that sign coreIdentityJWTs, cached an hour and privately, as One Login serves them."""
    document = await core_identity.did_document(identity_of(request))
    return JSONResponse(document, headers={"Cache-Control": "max-age=3600, private"})


@router.get("/trustmark")
async def trustmark(request: Request) -> JSONResponse:
    identity = identity_of(request)
    body = {
        "idp": identity.issuer,
        "trustmark_provider": identity.issuer,
        "C": TRUSTMARK_CREDENTIALS,
        "P": TRUSTMARK_LEVELS,
    }
    return JSONResponse(body, headers=CACHE)
