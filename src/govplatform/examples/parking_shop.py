"""A parking-permit shop: an example service that takes payments through the public Pay API.

It is what a council's own web service would do with GOV.UK Pay, built the
way Pay's documentation tells service teams to build it, and nothing more:
it creates a payment with `POST /v1/payments` and a test key, sends the user
to the `next_url`, and on the way back looks the outcome up with
`GET /v1/payments/{id}`, because Pay adds nothing to the return URL. The
return URL carries a random order token, and a cookie signed with the shop's
key ties that token to the payment, so one browser cannot read another's
order (Pay's advice: a per-payment random URL and a lookup on return).

It talks to the platform over HTTP (`settings.base_url`) and imports no
component, so it exercises exactly what an outside service would. `govplatform
demo` writes its key to var/examples/parking-permits.json.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
import secrets
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import N_, PageRenderer, current_language, gettext_

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent / "templates"
PATH = "/examples/parking-permits"
PUBLIC_ROUTES = [("GET", PATH), ("POST", PATH), ("GET", PATH + "/return/{order}")]
KEY_FILE = "examples/parking-permits.json"
COOKIE = "parking_permit_order"
PERMITS = {
    "resident-12": (N_("Resident permit, 12 months"), 6000),
    "resident-6": (N_("Resident permit, 6 months"), 3500),
    "visitor": (N_("Book of 20 visitor permits"), 1200),
}
_REGISTRATION = re.compile(r"^[A-Z0-9 ]{2,8}$")


@dataclasses.dataclass(frozen=True)
class ShopKey:
    api_key: str


def key_path(var_dir: Path) -> Path:
    return var_dir / KEY_FILE


def save_key(var_dir: Path, api_key: str) -> None:
    """Keep the shop's test key owner-only, as a service would keep its secret."""
    path = key_path(var_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps({"api_key": api_key}))


def load_key(var_dir: Path) -> ShopKey | None:
    try:
        value = json.loads(key_path(var_dir).read_text())
    except (OSError, ValueError):
        return None
    return ShopKey(str(value["api_key"])) if isinstance(value, dict) and "api_key" in value else None


def _seal(key: ShopKey, order: str, payment_id: str) -> str:
    mac = hmac.new(key.api_key.encode(), f"{order}:{payment_id}".encode(), hashlib.sha256).hexdigest()
    return f"{order}:{payment_id}:{mac}"


def _unseal(key: ShopKey, cookie: str | None, order: str) -> str | None:
    parts = (cookie or "").split(":")
    if len(parts) != 3 or parts[0] != order:
        return None
    return parts[1] if hmac.compare_digest(_seal(key, order, parts[1]), cookie or "") else None


def _client(request: Request) -> httpx.AsyncClient:
    """How the shop reaches the platform's API: over HTTP to the base URL (tests may swap the transport)."""
    client: httpx.AsyncClient | None = getattr(request.app.state, "examples_http", None)
    if client is None:
        client = httpx.AsyncClient(base_url=request.app.state.platform.settings.base_url, timeout=10.0)
        request.app.state.examples_http = client
    return client


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    templates: PageRenderer = request.app.state.templates
    page: Response = templates.render(request, name, {"shop_path": PATH, **context}, status_code=status_code)
    return page


def _permit_choices(selected: str = "") -> list[dict[str, object]]:
    return [
        {"value": code, "text": f"{gettext_(label)} (£{pence / 100:.2f})", "checked": code == selected}
        for code, (label, pence) in PERMITS.items()
    ]


@router.get(PATH)
async def shop(request: Request) -> Response:
    ready = load_key(request.app.state.platform.settings.var_dir) is not None
    return _render(request, "examples/parking_shop.html", {"choices": _permit_choices(), "ready": ready})


@router.post(PATH)
async def buy(request: Request) -> Response:
    key = load_key(request.app.state.platform.settings.var_dir)
    form = await request.form()
    permit = str(form.get("permit") or "")
    registration = str(form.get("registration") or "").strip().upper()
    errors = []
    if permit not in PERMITS:
        errors.append({"text": gettext_("Select the permit you want"), "href": "#permit"})
    if not _REGISTRATION.match(registration):
        errors.append({"text": gettext_("Enter the vehicle registration, like AB12 CDE"), "href": "#registration"})
    if errors or key is None:
        context = {"choices": _permit_choices(permit), "ready": key is not None, "errors": errors}
        return _render(request, "examples/parking_shop.html", {**context, "registration": registration}, 400)
    label, amount = PERMITS[permit]
    order = secrets.token_urlsafe(16)
    base = request.app.state.platform.settings.base_url.rstrip("/")
    language = current_language()  # the payment pages then speak the language the user chose here
    response = await _client(request).post(
        "/v1/payments",
        json={
            "amount": amount,
            "reference": "PERMIT-" + secrets.token_hex(4).upper(),
            "description": gettext_(label),
            "return_url": f"{base}{PATH}/return/{order}",
            "language": language,
            "metadata": {"permit": permit},
        },
        headers={"Authorization": f"Bearer {key.api_key}"},
    )
    if response.status_code != 201:
        return _render(request, "examples/parking_problem.html", {"status": response.status_code}, 502)
    payment = response.json()
    redirect = RedirectResponse(payment["_links"]["next_url"]["href"], status_code=303)
    secure = base.startswith("https://")
    redirect.set_cookie(
        COOKIE, _seal(key, order, payment["payment_id"]), httponly=True, samesite="lax", secure=secure, path=PATH
    )
    return redirect


@router.get(PATH + "/return/{order}")
async def returned(request: Request, order: str) -> Response:
    key = load_key(request.app.state.platform.settings.var_dir)
    payment_id = _unseal(key, request.cookies.get(COOKIE), order) if key else None
    if key is None or payment_id is None:
        return _render(request, "examples/parking_problem.html", {"status": 404}, 404)
    response = await _client(request).get(
        f"/v1/payments/{payment_id}", headers={"Authorization": f"Bearer {key.api_key}"}
    )
    if response.status_code != 200:
        return _render(request, "examples/parking_problem.html", {"status": response.status_code}, 502)
    payment = response.json()
    return _render(request, "examples/parking_outcome.html", {"payment": payment, "state": payment["state"]})
