"""The citizen's account history at /identity/account/history: what happened to their account, newest first
(services/history.py), each with its date and time in the page's language and what the event's detail names
(the device signed out, a passkey's name, a phone number's last digits).

Behind the session at Cl.Cm, as every account page (pages/account.py): the history says when and from which
browser the citizen signed in, which is theirs alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response

from govplatform.core.interfaces import gettext_
from govplatform.identity.component import IdentityComponent
from govplatform.identity.pages.account import LEVEL, _render, _signed_in, sign_in_redirect
from govplatform.identity.pages.devices import device_name, when
from govplatform.identity.services import history

router = APIRouter(include_in_schema=False)
HISTORY = "/identity/account/history"
ROUTES = [
    ("GET", HISTORY)
]  # not public: an anonymous browser is sent to sign in (tests/integration/test_route_table.py)
DEVICE_KEYS = ("browser", "operating_system")


def shown_detail(detail: Mapping[str, object]) -> str:
    """What the history shows beside an event: the device it was on ("Firefox on Windows"), then any other
    value the event recorded (a passkey's name), as recorded; empty when there is none."""
    parts = []
    if any(detail.get(key) for key in DEVICE_KEYS):
        browser, system = (detail.get(key) for key in DEVICE_KEYS)
        parts.append(device_name(str(browser) if browser else None, str(system) if system else None))
    parts.extend(str(value) for key, value in detail.items() if key not in DEVICE_KEYS and value not in (None, ""))
    return ", ".join(parts)


@router.get(HISTORY)
async def history_page(request: Request) -> Response:
    identity: IdentityComponent = request.app.state.identity
    async with identity.uow() as uow:
        found = await _signed_in(request, uow)
        if found is None:
            return sign_in_redirect(HISTORY, LEVEL)
        events = await history.events(uow, found[1].id)
        await uow.commit()
    shown = [
        {"when": when(event.at) if isinstance(event.at, dt.datetime) else "", "what": gettext_(event.name),
         "detail": shown_detail(event.detail)}
        for event in events
    ]  # fmt: skip
    return _render(request, "history", {"events": shown})
