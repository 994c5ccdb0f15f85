"""What One Login's firewall does in front of its machine endpoints (discovery, JWKS, /trustmark, /token,
/userinfo): a request without a `User-Agent` header is refused with 403 before the endpoint sees it
(identity.md, "Errors"; One Login's "set the User-Agent header" guidance). A service that forgets the header
finds out here, not when it first talks to One Login. The answer is in OAuth's shape, as the provider's
other machine errors are; browsers always send the header, so the pages are not guarded.
"""

from __future__ import annotations

from fastapi import Request

from govplatform.identity.errors import OAuthError

NO_USER_AGENT = "Requests must send a User-Agent header"


def require_user_agent(request: Request) -> None:
    """A FastAPI dependency of the machine endpoints' routers: OAuthError 403 when the header is missing or blank."""
    if not request.headers.get("user-agent", "").strip():
        raise OAuthError("invalid_request", NO_USER_AGENT, 403, {"Cache-Control": "no-store"})
