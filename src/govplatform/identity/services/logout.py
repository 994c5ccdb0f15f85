"""Front-channel logout (OpenID Connect RP-Initiated Logout 1.0, as One Login answers it).

The browser is sent back to `post_logout_redirect_uri` only when every check passes: the `id_token_hint` is
an ID token this provider signed (verified against its own published keys, never a key the token names), its
`iss` is ours, its `aud` is a client we know, and the URI is, character for character, one that client
registered. Anything else means the default "You have signed out" page, so /logout can never be used to send
a citizen somewhere a service did not register. An expired hint is accepted: the ID token lives two minutes
and a citizen signs out much later (RP-Initiated Logout section 2 lets a provider accept one, as One Login does).
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from govplatform.core.interfaces import UnitOfWork
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import RelyingParty

MAX_QUERY = 2048  # One Login's WAF refuses longer /logout query strings with 403
MAX_HINT = 8000
ID_TOKEN_ALGS = ["ES256", "RS256"]


@dataclasses.dataclass(frozen=True)
class Hint:
    """What a verified id_token_hint says: the client it was issued to, the citizen's subject there, the sid."""

    client_id: str
    subject: str
    sid: str | None


async def verify_hint(identity: IdentityComponent, hint: str | None) -> Hint | None:
    """The hint's claims when this provider signed it (expired or not), else None."""
    if not hint or len(hint) > MAX_HINT:
        return None
    ring = await identity.signing_keys.ring()
    try:
        keys = KeySet.import_key_set({"keys": ring.published})
        token = jwt.decode(hint, keys, algorithms=ID_TOKEN_ALGS)
    except (JoseError, ValueError, TypeError):
        return None
    claims = token.claims
    client_id, subject, sid = claims.get("aud"), claims.get("sub"), claims.get("sid")
    if claims.get("iss") != identity.issuer or not isinstance(client_id, str) or not isinstance(subject, str):
        return None
    return Hint(client_id, subject, sid if isinstance(sid, str) else None)


async def redirect_after(
    uow: UnitOfWork, hint: Hint | None, post_logout_redirect_uri: str | None, state: str | None
) -> str | None:
    """Where to send the browser after signing out, or None for the default page."""
    if hint is None or not post_logout_redirect_uri:
        return None
    client = await uow.session.get(RelyingParty, hint.client_id)
    if client is None or post_logout_redirect_uri not in (client.post_logout_redirect_uris or []):
        return None
    if state is None:
        return post_logout_redirect_uri
    joiner = "&" if "?" in post_logout_redirect_uri else "?"
    return post_logout_redirect_uri + joiner + urlencode({"state": state})
