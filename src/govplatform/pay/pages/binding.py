"""Which payments this browser may see: the cookie that binds a browser to the payments it opened.

Opening a next_url (`/secure/{token}`) uses its single-use token up; from then
on only the browser that opened it may see the payment's pages, as in
pay-frontend, whose session cookie holds a key per charge. Ours holds the ids
of the payments this browser opened and when, sealed with core's `SecretBox`
(AES-256-GCM under the platform's encryption keys, with its own associated
data so no other sealed value can stand in for it). Sealing both signs and
hides it: a browser cannot add an id it was not given, and the cookie does
not show which payments it holds.

The cookie is HttpOnly, SameSite=Lax (a service's form posts to /secure from
another site; the redirect that follows is a top-level GET, which Lax
allows) and Secure when the page is served over https. It lasts longer than a
payment's 90 minutes so that the way back to the service still works after a
payment has expired.
"""

from __future__ import annotations

import base64
import json
import time

from starlette.requests import Request
from starlette.responses import Response

from govplatform.core.interfaces import SecretBox

COOKIE = "govplatform_pay"
PURPOSE = "pay-pages-binding"
LIFETIME_SECONDS = 3 * 60 * 60
MAX_PAYMENTS = 10  # pay-frontend keeps at most 10 charges on a session too


def _unseal(box: SecretBox, value: str | None, now: float) -> dict[str, int]:
    """The payments in the cookie that are still within its lifetime; {} for a missing or forged cookie."""
    if not value or len(value) > 4096:
        return {}
    try:
        padded = value + "=" * (-len(value) % 4)
        token = base64.b64encode(base64.urlsafe_b64decode(padded)).decode()
        held = json.loads(box.decrypt_text(token, PURPOSE))
    except Exception:  # not base64 or JSON, or core's DecryptionError (tampered with, or under a retired key)
        return {}
    if not isinstance(held, dict):
        return {}
    return {
        payment_id: issued
        for payment_id, issued in held.items()
        if isinstance(payment_id, str) and isinstance(issued, int) and 0 <= now - issued < LIFETIME_SECONDS
    }


def holds(request: Request, box: SecretBox, payment_id: str) -> bool:
    """Whether this browser opened the payment (and not too long ago)."""
    return payment_id in _unseal(box, request.cookies.get(COOKIE), time.time())


def bind(request: Request, response: Response, box: SecretBox, payment_id: str) -> None:
    """Add the payment to the browser's cookie, dropping the oldest beyond `MAX_PAYMENTS`."""
    now = time.time()
    held = _unseal(box, request.cookies.get(COOKIE), now)
    held[payment_id] = int(now)
    newest = dict(sorted(held.items(), key=lambda item: item[1])[-MAX_PAYMENTS:])
    sealed = box.encrypt_text(json.dumps(newest, separators=(",", ":")), PURPOSE)
    value = base64.urlsafe_b64encode(base64.b64decode(sealed)).decode().rstrip("=")
    response.set_cookie(
        COOKIE,
        value,
        max_age=LIFETIME_SECONDS,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
