"""/token and /userinfo, answering as One Login does: errors as `{"error", "error_description"}` with status
400 at /token, and 401 with `WWW-Authenticate: Bearer error="invalid_token"` at /userinfo.

The token request is form-encoded (RFC 6749 section 4.1.3); a parameter sent twice is refused (section 3.2).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from govplatform.core.interfaces import utcnow
from govplatform.identity.discovery import identity_of
from govplatform.identity.errors import OAuthError
from govplatform.identity.firewall import require_user_agent
from govplatform.identity.profile import VOCAB
from govplatform.identity.proofing.claims import identity_claims
from govplatform.identity.services import client_auth, token_store, tokens

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_user_agent)])
PUBLIC_ROUTES = [("POST", "/token"), ("GET", "/userinfo")]  # a client assertion or a bearer token is the credential
OAUTH_PREFIXES = ("/token", "/userinfo")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
INVALID_TOKEN = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
FORM = "application/x-www-form-urlencoded"
MAX_VALUE = 10_000


def error_body(status_code: int, _name: str, message: str) -> dict[str, Any]:
    """The web shell's errors (unknown method, a body too large, 5xx) in OAuth's shape."""
    error = "server_error" if status_code >= 500 else "invalid_request"
    return {"error": error, "error_description": message}


async def _form(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        raise OAuthError("invalid_request", "Request body must be application/x-www-form-urlencoded")
    form = await request.form()
    values: dict[str, str] = {}
    for name in form:
        given = form.getlist(name)
        if len(given) != 1 or not isinstance(given[0], str) or len(given[0]) > MAX_VALUE:
            raise OAuthError("invalid_request", f"Request has a repeated or invalid {name[:40]} parameter")
        values[name] = given[0]
    return values


@router.post("/token")
async def token(request: Request) -> JSONResponse:
    identity = identity_of(request)
    try:
        form = await _form(request)
        tokens.check_grant(form)
        await identity.signing_keys.ring()  # the first keys, made in a unit of work of their own
        async with identity.uow(read_only=True) as reading:
            client = await client_auth.authenticate(reading, identity, form)
        async with identity.uow() as uow:
            try:
                issued = await tokens.exchange(uow, identity, form, client)
            finally:
                await uow.commit()  # a replayed code's revocation and a used jti are kept
    except OAuthError as error:
        raise OAuthError(error.error, error.description, 400, NO_STORE) from None
    return JSONResponse(issued.body(), headers=NO_STORE)


@router.get("/userinfo")
async def userinfo(request: Request) -> JSONResponse:
    identity = identity_of(request)
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip() or len(presented) > 200:
        raise OAuthError("invalid_token", "Missing or invalid bearer access token", 401, INVALID_TOKEN)
    async with identity.uow(read_only=True) as uow:
        row = await token_store.access_token(uow, tokens.token_hash(identity, presented.strip()))
    if row is None or row.revoked or row.expires_at <= utcnow():
        raise OAuthError("invalid_token", "Invalid access token", 401, INVALID_TOKEN)
    claims: dict[str, Any] = {"sub": row.subject}
    if "email" in row.scopes:
        claims.update(email=row.email, email_verified=bool(row.email_verified))
    if "phone" in row.scopes and row.phone_number:
        claims.update(phone_number=row.phone_number, phone_number_verified=True)
    if row.return_code is not None:  # identity not proved: the code the service asked for, and nothing else
        claims[VOCAB + "returnCode"] = [{"code": row.return_code}]
    elif row.level is not None:
        claims.update(await identity_claims(identity, row))
    return JSONResponse(claims, headers=NO_STORE)
