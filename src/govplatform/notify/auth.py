"""Authenticating Notify API requests: an HS256 token signed with one of the service's key secrets.

The checks, their order, status codes and messages follow notifications-api
(https://github.com/alphagov/notifications-api,
app/authentication/auth.py), because integrations and the
official clients show these messages to developers: `iss` names the service,
every secret of the service is tried in turn, `iat` must be within 30 seconds
of the server's clock (and `exp` and `nbf`, when a token has them, hold as
PyJWT holds them), and a revoked key says so.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid

from joserfc import jws
from joserfc.errors import BadSignatureError, DecodeError, JoseError
from joserfc.jwk import OctKey

from govplatform.core.interfaces import ApiKeyStore, AuthenticatedKey, KeySecret, UnitOfWork

CLOCK_SKEW_SECONDS = 30
_GENERIC = (
    "Invalid token: make sure your API token matches the example at "
    "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"
)
_CLOCK = "Error: Your system clock must be accurate to within 30 seconds"


@dataclasses.dataclass
class NotifyAuthError(Exception):
    """Refused, with Notify's status code and message (error name AuthError)."""

    status_code: int
    message: str

    def __str__(self) -> str:
        return self.message


def _claims(token: str) -> tuple[dict[str, object], dict[str, object]]:
    """The token's header and claims, read without checking the signature (to find the service)."""
    try:
        compact = jws.extract_compact(token.encode())
        claims = json.loads(compact.payload)
    except (DecodeError, JoseError, ValueError, UnicodeDecodeError):
        raise NotifyAuthError(403, _GENERIC) from None
    if not isinstance(claims, dict):
        raise NotifyAuthError(403, _GENERIC)
    return dict(compact.headers()), claims


async def authenticate(
    uow: UnitOfWork, keys: ApiKeyStore, authorization: str | None, now: float | None = None
) -> AuthenticatedKey:
    """The key whose secret signed the request's token; raises NotifyAuthError otherwise."""
    if not authorization:
        raise NotifyAuthError(401, "Unauthorized: authentication token must be provided")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotifyAuthError(401, "Unauthorized: authentication bearer scheme must be used")
    token = token.strip()
    headers, claims = _claims(token)
    issuer = claims.get("iss")
    if issuer is None:
        raise NotifyAuthError(403, "Invalid token: iss field not provided")
    try:
        service_id = uuid.UUID(str(issuer))
    except ValueError:
        raise NotifyAuthError(403, "Invalid token: service id is not the right data type") from None
    candidates = await keys.secrets_for(uow, "notify", service_id)
    if not candidates:  # perhaps a first key made a moment ago: the store may keep what it read before
        candidates = await keys.secrets_for(uow, "notify", service_id, fresh=True)
    if not candidates:
        raise NotifyAuthError(403, "Invalid token: service not found")
    if headers.get("alg") != "HS256":
        raise NotifyAuthError(403, "Invalid token: algorithm used is not HS256")
    candidate = _signer(token, candidates)
    if candidate is None:  # the same for a key made since the store last read them
        candidate = _signer(token, await keys.secrets_for(uow, "notify", service_id, fresh=True))
    if candidate is None:
        raise NotifyAuthError(403, "Invalid token: API key not found")
    _check_times(claims, now if now is not None else time.time())
    if candidate.revoked:
        raise NotifyAuthError(403, "Invalid token: API key revoked")
    return candidate.key


def _number(claims: dict[str, object], name: str) -> float | None:
    """A time claim as a number, None when absent; anything else is a malformed token."""
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise NotifyAuthError(403, _GENERIC)
    return float(value)


def _check_times(claims: dict[str, object], now: float) -> None:
    """The time claims, in the order PyJWT checks them for notifications-api, with its 30 s leeway.

    Notify's clients send only `iat`, but a token that carries `exp` or `nbf`
    is held to them as PyJWT holds it (RFC 7519 sections 4.1.4 and 4.1.5):
    `iat` or `nbf` later than now + 30 s is ImmatureSignatureError, which the
    server reports as a clock problem; `exp` at or before now - 30 s is
    ExpiredSignatureError, reported with the generic message. Then the
    server's own rule: `iat` more than 30 s either side of now.
    """
    issued_at = _number(claims, "iat")
    if issued_at is None:
        raise NotifyAuthError(403, _GENERIC)
    not_before, expires = _number(claims, "nbf"), _number(claims, "exp")
    if issued_at > now + CLOCK_SKEW_SECONDS or (not_before is not None and not_before > now + CLOCK_SKEW_SECONDS):
        raise NotifyAuthError(403, _CLOCK)
    if expires is not None and expires <= now - CLOCK_SKEW_SECONDS:
        raise NotifyAuthError(403, _GENERIC)
    if abs(now - issued_at) > CLOCK_SKEW_SECONDS:
        raise NotifyAuthError(403, _CLOCK)


def _signer(token: str, candidates: list[KeySecret]) -> KeySecret | None:
    """The key whose secret signed the token, if any."""
    for candidate in candidates:
        try:
            jws.deserialize_compact(token, OctKey.import_key(candidate.secret), algorithms=["HS256"])
        except BadSignatureError:
            continue
        except JoseError:
            raise NotifyAuthError(403, _GENERIC) from None
        return candidate
    return None


def error_body(status_code: int, error: str, message: str) -> dict[str, object]:
    """Notify's v2 error envelope."""
    return {"status_code": status_code, "errors": [{"error": error, "message": message}]}
