"""The citizen's account history page: behind the session, their own events only, newest first, each with its
date and time in UK time and the page's language, and the device it was on where one was recorded."""

from __future__ import annotations

import datetime as dt
import re

import httpx
from sqlalchemy import select, update

from govplatform.core.platform import Platform
from govplatform.identity.models import AccountEvent, Citizen
from govplatform.identity.services import history
from tests.helpers import another_browser, post_form
from tests.integration.identity.support import Person, a_citizen
from tests.integration.identity.test_account_pages import _sign_in_to as _through_sign_in

HISTORY, DEVICES = "/identity/account/history", "/identity/account/devices"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)


async def _sign_in_to(platform: Platform, http: httpx.AsyncClient, page: str, person: Person) -> httpx.Response:
    """Sign in and open `page`, the authenticator on its next code (a code is accepted once, RFC 6238 5.2)."""
    async with platform.uow() as uow:
        await uow.session.execute(update(Citizen).where(Citizen.id == person.id).values(totp_last_step=None))
        await uow.commit()
    return await _through_sign_in(http, page, person)


def _rows(page: str) -> list[list[str]]:
    """The history table's body rows, each cell's text."""
    body = page.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    return [
        [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows
    ]


async def _at(platform: Platform, person: Person, kind: str, when: dt.datetime) -> None:
    """Move the citizen's (only) event of `kind` to `when`, as if it had happened then."""
    async with platform.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(AccountEvent).where(AccountEvent.citizen_id == person.id, AccountEvent.kind == kind)
            )
        ).all()
        for row in rows:
            row.at = when
        await uow.commit()


async def test_the_history_lists_the_citizen_s_own_events_newest_first_with_the_device_in_english_and_welsh(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person, someone_else = await a_citizen(platform), await a_citizen(platform)
    async with platform.uow() as uow:
        history.record(uow, someone_else.id, "password_changed")  # not this citizen's
        await uow.commit()
    phone = another_browser(client, **{"User-Agent": SAFARI_IPHONE})
    async with phone:
        await _sign_in_to(platform, phone, DEVICES, person)
    await _at(platform, person, "signed_in", dt.datetime(2026, 3, 5, 14, 5, tzinfo=dt.UTC))  # GMT
    await _at(platform, person, "account_created", dt.datetime(2026, 2, 1, 23, 59, tzinfo=dt.UTC))
    client.headers["User-Agent"] = FIREFOX_WINDOWS
    page = await _sign_in_to(platform, client, DEVICES, person)
    phone_sid = re.findall(r'name="device" value="([^"]+)"', page.text)[1]
    assert (await post_form(client, DEVICES, DEVICES + "/sign-out", {"device": phone_sid})).status_code == 303
    await _at(platform, person, "session_ended", dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.UTC))  # BST: 10:30am
    async with platform.uow() as uow:  # the Firefox sign-in, the newest
        event = await uow.session.scalar(
            select(AccountEvent).where(
                AccountEvent.citizen_id == person.id,
                AccountEvent.kind == "signed_in",
                AccountEvent.at > dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
            )
        )
        assert event is not None
        event.at = dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)
        await uow.commit()

    shown = await client.get(HISTORY)
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert _rows(shown.text) == [
        ["7 December 2026 at 12:00am", "Signed in", "Firefox on Windows"],
        ["1 July 2026 at 10:30am", "Signed out on a device", "Safari on iOS"],
        ["5 March 2026 at 2:05pm", "Signed in", "Safari on iOS"],
        ["1 February 2026 at 11:59pm", "Account created", ""],
    ]
    welsh = await client.get(HISTORY + "?lang=cy")
    assert '<html lang="cy"' in welsh.text and "Hanes eich cyfrif" in welsh.text
    assert _rows(welsh.text) == [
        ["7 Rhagfyr 2026 am 12:00yb", "Wedi mewngofnodi", "Firefox ar Windows"],
        ["1 Gorffennaf 2026 am 10:30yb", "Wedi allgofnodi ar ddyfais", "Safari ar iOS"],
        ["5 Mawrth 2026 am 2:05yh", "Wedi mewngofnodi", "Safari ar iOS"],
        ["1 Chwefror 2026 am 11:59yh", "Cyfrif wedi’i greu", ""],
    ]


async def test_signing_out_everywhere_is_in_the_history_after_signing_in_again(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _sign_in_to(platform, client, DEVICES, person)
    done = await post_form(client, DEVICES, DEVICES + "/sign-out-everywhere", {})
    assert done.status_code == 200
    page = await _sign_in_to(platform, client, HISTORY, person)
    events = [row[1] for row in _rows(page.text)]
    assert events == ["Signed in", "Signed out on every device", "Signed in", "Account created"]


async def test_the_history_shows_any_other_detail_an_event_recorded_as_recorded(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    async with platform.uow() as uow:
        history.record(uow, person.id, "passkey_added", name="Work laptop")
        await uow.commit()
    await _at(platform, person, "passkey_added", dt.datetime(2026, 1, 2, 8, 0, tzinfo=dt.UTC))
    page = await _sign_in_to(platform, client, HISTORY, person)
    await _at(platform, person, "account_created", dt.datetime(2025, 12, 31, 8, 0, tzinfo=dt.UTC))
    page = await client.get(HISTORY)
    assert _rows(page.text)[-2] == ["2 January 2026 at 8:00am", "Passkey added", "Work laptop"]
    welsh = await client.get(HISTORY + "?lang=cy")
    assert _rows(welsh.text)[-2] == ["2 Ionawr 2026 am 8:00yb", "Allwedd mynediad wedi’i hychwanegu", "Work laptop"]
