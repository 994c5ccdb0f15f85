"""A parking-permit shop: an example service that signs residents in through the platform's OpenID Connect
provider (parking_sign_in.py) and takes payments through the public Pay API.

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
demo` writes its key to var/examples/parking-permits.json, and its relying-party
registration (client id and private key) to var/examples/parking-permits-sign-in.json.
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
from fastapi.responses import JSONResponse, RedirectResponse, Response

from govplatform.core.interfaces import N_, PageRenderer, current_language, gettext_
from govplatform.examples import parking_sign_in, parking_vehicle
from govplatform.examples.parking_sign_in import Pending, Provider, Resident, Sessions, SignInFailed
from govplatform.examples.parking_vehicle import VehicleUnavailable

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent / "templates"
PATH = "/examples/parking-permits"
SIGN_IN = PATH + "/sign-in"
VEHICLE = PATH + "/vehicle"  # the resident agrees to have their vehicle filled in from the agency's records
CALLBACK = PATH + "/signed-in"  # the registered redirect URI
SIGN_OUT = PATH + "/sign-out"
SIGNED_OUT = PATH + "/signed-out"  # the registered post-logout redirect URI
BACK_CHANNEL = PATH + "/back-channel-logout"  # the registered back-channel logout URI
PUBLIC_ROUTES = [
    ("GET", PATH),
    ("POST", PATH),
    ("POST", VEHICLE),
    ("GET", PATH + "/return/{order}"),
    ("GET", SIGN_IN),
    ("GET", CALLBACK),
    ("GET", SIGN_OUT),
    ("GET", SIGNED_OUT),
    ("POST", BACK_CHANNEL),  # the provider's signed logout token is the credential (core/web/access.py)
]
KEY_FILE = "examples/parking-permits.json"
COOKIE = "parking_permit_order"
SESSION_COOKIE = "parking_permit_session"
PENDING_COOKIE = "parking_permit_sign_in"
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
    parking_sign_in.owner_only_folder(path.parent)
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


def _base(request: Request) -> str:
    base: str = request.app.state.platform.settings.base_url
    return base.rstrip("/")


def _transport(request: Request) -> httpx.AsyncBaseTransport | None:
    """None: the network, to the base URL. Tests in one process may set the app itself as the transport."""
    transport: httpx.AsyncBaseTransport | None = getattr(request.app.state, "examples_transport", None)
    return transport


def _client(request: Request) -> httpx.AsyncClient:
    """How the shop reaches the platform's API: over HTTP to the base URL."""
    client: httpx.AsyncClient | None = getattr(request.app.state, "examples_http", None)
    if client is None:
        transport = _transport(request)
        options: dict[str, Any] = {"transport": transport} if transport is not None else {}
        client = httpx.AsyncClient(base_url=_base(request), timeout=10.0, **options)
        request.app.state.examples_http = client
    return client


def _sessions(request: Request) -> Sessions:
    sessions: Sessions | None = getattr(request.app.state, "examples_sessions", None)
    if sessions is None:
        sessions = request.app.state.examples_sessions = Sessions()
    return sessions


def _registration(request: Request) -> parking_sign_in.Registration | None:
    """The shop's registration with the provider, if it was made for this base URL (its URIs are absolute)."""
    registration = parking_sign_in.load_registration(request.app.state.platform.settings.var_dir)
    return registration if registration is not None and registration.base_url == _base(request) else None


def _provider(request: Request) -> Provider | None:
    """The provider as the shop's registration knows it; None until `govplatform demo` has registered it."""
    registration = _registration(request)
    return Provider(_base(request), registration, _transport(request)) if registration else None


def _resident(request: Request) -> Resident | None:
    return _sessions(request).get(request.cookies.get(SESSION_COOKIE))


def _secure(request: Request) -> bool:
    return _base(request).startswith("https://")


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    templates: PageRenderer = request.app.state.templates
    page: Response = templates.render(request, name, {"shop_path": PATH, **context}, status_code=status_code)
    return page


def _permit_choices(selected: str = "") -> list[dict[str, object]]:
    return [
        {"value": code, "text": f"{gettext_(label)} (£{pence / 100:.2f})", "checked": code == selected}
        for code, (label, pence) in PERMITS.items()
    ]


def _ready(request: Request) -> bool:
    return load_key(request.app.state.platform.settings.var_dir) is not None and _registration(request) is not None


def _can_fill_vehicle(request: Request) -> bool:
    return parking_vehicle.load_council_key(request.app.state.platform.settings.var_dir) is not None


def _shop_context(request: Request, resident: Resident | None, selected: str = "") -> dict[str, Any]:
    return {
        "choices": _permit_choices(selected),
        "ready": _ready(request),
        "resident": resident,
        "can_fill_vehicle": _can_fill_vehicle(request),
        "data_uses_url": _base(request) + "/exchange/data-uses",
    }


@router.get(PATH)
async def shop(request: Request) -> Response:
    resident = _resident(request)
    registration = resident.vehicle.registration if resident and resident.vehicle else ""
    context = {**_shop_context(request, resident), "registration": registration}
    return _render(request, "examples/parking_shop.html", context)


@router.post(VEHICLE)
async def fill_vehicle(request: Request) -> Response:
    """The resident agreed: ask the provider for the licence they proved, then the agency for the vehicle."""
    provider = _provider(request)
    if provider is None or _resident(request) is None or not _can_fill_vehicle(request):
        return RedirectResponse(PATH, status_code=303)
    return await _to_provider(request, provider, Pending.new(identity=True))


@router.post(PATH)
async def buy(request: Request) -> Response:
    key = load_key(request.app.state.platform.settings.var_dir)
    resident = _resident(request)
    if resident is None:  # signed out since the form was shown (here or by a back-channel logout)
        return RedirectResponse(PATH, status_code=303)
    form = await request.form()
    permit = str(form.get("permit") or "")
    registration = str(form.get("registration") or "").strip().upper()
    errors = []
    if permit not in PERMITS:
        errors.append({"text": gettext_("Select the permit you want"), "href": "#permit"})
    if not _REGISTRATION.match(registration):
        errors.append({"text": gettext_("Enter the vehicle registration, like AB12 CDE"), "href": "#registration"})
    if errors or key is None:
        context = {**_shop_context(request, resident, permit), "errors": errors, "registration": registration}
        return _render(request, "examples/parking_shop.html", context, 400)
    label, amount = PERMITS[permit]
    order = secrets.token_urlsafe(16)
    base = _base(request)
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


@router.get(SIGN_IN)
async def sign_in(request: Request) -> Response:
    """Send the resident to the provider, with the pending sign-in in a sealed cookie."""
    provider = _provider(request)
    if provider is None:
        return RedirectResponse(PATH, status_code=303)
    return await _to_provider(request, provider, Pending.new())


async def _to_provider(request: Request, provider: Provider, pending: Pending) -> Response:
    try:
        url = await provider.authorize_url(pending, _base(request) + CALLBACK, current_language())
    except (SignInFailed, httpx.HTTPError, ValueError, KeyError):
        return _render(request, "examples/parking_sign_in_problem.html", {}, 502)
    response = RedirectResponse(url, status_code=303 if request.method == "POST" else 302)
    response.set_cookie(
        PENDING_COOKIE,
        pending.cookie(provider.registration),
        max_age=parking_sign_in.PENDING_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path=PATH,
    )
    return response


@router.get(CALLBACK)
async def signed_in(request: Request) -> Response:
    """The provider's redirect back: the code exchanged and checked, and the resident's session started."""
    provider = _provider(request)
    pending = Pending.from_cookie(provider.registration, request.cookies.get(PENDING_COOKIE)) if provider else None
    code = request.query_params.get("code")
    given_state = request.query_params.get("state") or ""
    if provider is None or pending is None or not code or not secrets.compare_digest(given_state, pending.state):
        return _render(request, "examples/parking_sign_in_problem.html", {}, 400)
    try:
        resident = await provider.sign_in(pending, code, _base(request) + CALLBACK)
    except (SignInFailed, httpx.HTTPError, ValueError, KeyError):
        return _render(request, "examples/parking_sign_in_problem.html", {}, 502)
    if pending.identity:
        resident = await _with_vehicle(request, resident)
    response = RedirectResponse(PATH, status_code=303)
    response.delete_cookie(PENDING_COOKIE, path=PATH)
    session_id = request.cookies.get(SESSION_COOKIE)
    current = _resident(request)
    if current is not None and current.sub == resident.sub:  # the same resident, now with their vehicle
        _sessions(request).replace(session_id, dataclasses.replace(resident, signed_in_at=current.signed_in_at))
        return response
    response.set_cookie(
        SESSION_COOKIE,
        _sessions(request).start(resident),
        max_age=parking_sign_in.SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path=PATH,
    )
    return response


async def _with_vehicle(request: Request, resident: Resident) -> Resident:
    """The resident with their vehicle from the agency's records, or a note of why it could not be filled in."""
    council = parking_vehicle.load_council_key(request.app.state.platform.settings.var_dir)
    if resident.licence is None:
        return dataclasses.replace(resident, vehicle_note="no-licence")
    if council is None:
        return dataclasses.replace(resident, vehicle_note="unavailable")
    try:
        vehicle = await parking_vehicle.vehicle_of(_client(request), _base(request), council, resident.licence)
    except VehicleUnavailable:
        return dataclasses.replace(resident, vehicle_note="unavailable")
    if vehicle is None:
        return dataclasses.replace(resident, vehicle_note="not-held")
    return dataclasses.replace(resident, vehicle=vehicle)


@router.get(SIGN_OUT)
async def sign_out(request: Request) -> Response:
    """End the session here, then at the provider, which sends the resident back to SIGNED_OUT."""
    resident = _sessions(request).end(request.cookies.get(SESSION_COOKIE))
    provider = _provider(request)
    target = SIGNED_OUT
    if resident is not None and provider is not None:
        try:
            end_session = (await provider.configuration())["end_session_endpoint"]
        except (SignInFailed, httpx.HTTPError, ValueError, KeyError):
            end_session = None
        if end_session:
            query = {
                "id_token_hint": resident.id_token,
                "post_logout_redirect_uri": _base(request) + SIGNED_OUT,
                "state": secrets.token_urlsafe(16),
            }
            target = str(httpx.URL(end_session, params=query))
    response = RedirectResponse(target, status_code=302)
    response.delete_cookie(SESSION_COOKIE, path=PATH)
    return response


@router.get(SIGNED_OUT)
async def signed_out(request: Request) -> Response:
    return _render(request, "examples/parking_signed_out.html", {})


def _logout_refused(description: str) -> Response:
    return JSONResponse(
        {"error": "invalid_request", "error_description": description},
        status_code=400,
        headers={"Cache-Control": "no-store"},
    )


@router.post(BACK_CHANNEL)
async def back_channel_logout(request: Request) -> Response:
    """The provider says the resident signed out elsewhere: end every session of theirs here."""
    provider = _provider(request)
    if provider is None:
        return _logout_refused("This service has no registration with the provider")
    form = await request.form()
    token = form.get("logout_token")
    if not isinstance(token, str) or not token:
        return _logout_refused("Give a logout_token")
    try:
        sub, jti = await provider.logout_sub(token)
    except (SignInFailed, httpx.HTTPError, ValueError, KeyError):
        return _logout_refused("The logout token is not valid")
    sessions = _sessions(request)
    if not sessions.first_use(jti):
        return _logout_refused("The logout token was used before")
    sessions.end_for(sub)
    return Response(status_code=200, headers={"Cache-Control": "no-store"})
