"""Passkeys through the pages, driven as the page's script drives them (a software authenticator with a real
P-256 key answers the options each page carries): signing up with one, using one after the password or
without a password at Cl.Cm, and the account's passkeys page (add, rename, remove, never the last second
factor), each change in the account history and announced by email. Without JavaScript the forms are hidden
and explained."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from govplatform.core.platform import Platform
from govplatform.identity.models import Citizen, CitizenSession, Passkey
from govplatform.identity.services import history
from govplatform.identity.services.citizens import create_citizen
from tests.helpers import CLI, csrf_from, post_form
from tests.integration.identity.passkey_support import a_passkey, ceremony, device_for, options_on
from tests.integration.identity.support import (
    PASSWORD,
    REDIRECT_URI,
    Person,
    a_citizen,
    a_client,
    authorise_query,
    code_from,
    identity_of,
)
from tests.integration.identity.test_account_pages import _sign_in_to
from tests.integration.identity.test_sign_up_pages import APP, GOOD_PASSWORD, to_authenticator
from tests.integration.test_platform_messages import delivered_email, plain_text, sent_to

EMAIL, PASSWORD_PAGE, CODE = "/identity/sign-in/email", "/identity/sign-in/password", "/identity/sign-in/code"
SECOND, WITHOUT, SIGN_UP = "/identity/sign-in/passkey", "/identity/sign-in/with-passkey", "/identity/sign-up/passkey"
PASSKEYS, ADD = "/identity/account/passkeys", "/identity/account/passkeys/add"


async def _passkeys(platform: Platform, citizen_id: object) -> list[Passkey]:
    async with platform.uow(read_only=True) as uow:
        return list(await uow.session.scalars(select(Passkey).where(Passkey.citizen_id == citizen_id)))


async def _kinds(platform: Platform, citizen_id: object) -> list[str]:
    async with platform.uow(read_only=True) as uow:
        return [event.kind for event in await history.events(uow, citizen_id)]  # type: ignore[arg-type]


async def _past_the_password(http: httpx.AsyncClient, platform: Platform, email: str, password: str = PASSWORD) -> None:
    rp = await a_client(platform)
    assert (await http.get("/authorize", params=authorise_query(rp))).status_code == 302
    assert (await post_form(http, EMAIL, EMAIL, {"email": email})).status_code == 303
    assert (await post_form(http, PASSWORD_PAGE, PASSWORD_PAGE, {"password": password})).status_code == 303


async def _passkey_only_citizen(platform: Platform) -> tuple[Person, object]:
    async with platform.uow() as uow:
        citizen = await create_citizen(uow, CLI, identity_of(platform).box, email="only-passkey@example.com",
                                       password=PASSWORD)  # fmt: skip
        await uow.commit()
    person = Person(citizen.id, citizen.email, None)  # type: ignore[arg-type]
    return person, await a_passkey(platform, citizen.id, "Only passkey")


async def test_a_new_citizen_signs_up_with_a_passkey_and_then_signs_in_with_password_and_passkey(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    address = "passkey-sign-up@example.com"
    await to_authenticator(client, platform, address)
    app_page = await client.get(APP)
    assert f'href="{SIGN_UP}"' in app_page.text and "Use a passkey instead" in app_page.text
    device = device_for(platform)
    options = options_on((await client.get(SIGN_UP)).text)
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none" and options["rp"]["id"] == device.rp_id
    done = await ceremony(client, SIGN_UP, device.create)
    assert done.status_code == 302 and done.headers["location"].startswith(REDIRECT_URI + "?code="), done.text
    async with platform.uow(read_only=True) as uow:
        citizen = await uow.session.scalar(select(Citizen).where(Citizen.email == address))
    assert citizen is not None and citizen.totp_secret_encrypted is None
    [passkey] = await _passkeys(platform, citizen.id)
    assert passkey.name == "Passkey on this device" and passkey.transports == ["internal", "hybrid"]
    assert {"account_created", "passkey_added", "signed_in"} <= set(await _kinds(platform, citizen.id))

    client.cookies.clear()
    await _past_the_password(client, platform, address, GOOD_PASSWORD)
    to_passkey = await client.get(CODE)
    assert to_passkey.status_code == 303 and to_passkey.headers["location"] == SECOND  # no app: the passkey page
    page = await client.get(SECOND)
    assert "Use your passkey" in page.text and "Use your authenticator app instead" not in page.text
    assert [item["id"] for item in options_on(page.text)["allowCredentials"]] == [passkey.credential_id]
    signed_in = await ceremony(client, SECOND, device.get)
    assert signed_in.status_code == 302 and "code=" in signed_in.headers["location"], signed_in.text
    [used] = await _passkeys(platform, citizen.id)
    assert used.sign_count == 1 and used.last_used_at is not None


async def test_a_citizen_with_an_app_and_a_passkey_may_use_either_after_the_password(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    device = await a_passkey(platform, person.id)
    await _past_the_password(client, platform, person.email)
    code_page = await client.get(CODE)
    assert code_page.status_code == 200 and f'href="{SECOND}"' in code_page.text
    passkey_page = await client.get(SECOND)
    assert f'href="{CODE}"' in passkey_page.text and "Use your authenticator app instead" in passkey_page.text
    welsh = await client.get(SECOND + "?lang=cy")
    assert '<html lang="cy"' in welsh.text and "Defnyddio eich allwedd mynediad" in welsh.text
    await client.get(SECOND + "?lang=en")
    signed_in = await ceremony(client, SECOND, device.get)
    assert signed_in.status_code == 302 and code_from(signed_in.headers["location"])["code"]
    assert "signed_in" in await _kinds(platform, person.id)


async def test_a_citizen_without_a_passkey_sees_no_passkey_link_and_the_app_path_is_unchanged(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _past_the_password(client, platform, person.email)
    code_page = await client.get(CODE)
    assert code_page.status_code == 200 and f'href="{SECOND}"' not in code_page.text
    assert (await client.get(SECOND)).headers["location"] == CODE
    assert (await post_form(client, CODE, CODE, {"code": person.totp.now()})).status_code == 302


async def test_a_citizen_signs_in_without_a_password_and_reaches_the_pages_that_need_cl_cm(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person, device = await _passkey_only_citizen(platform)
    to_sign_in = await client.get("/identity/account")
    start = await client.get(to_sign_in.headers["location"])
    email_page = await client.get(start.headers["location"])
    assert f'href="{WITHOUT}"' in email_page.text and "data-passkey-supported hidden" in email_page.text
    signed_in = await ceremony(client, WITHOUT, device.get)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/identity/account", signed_in.text
    account = await client.get("/identity/account")
    assert account.status_code == 200 and person.email in account.text and "Only passkey" in account.text
    async with platform.uow(read_only=True) as uow:
        session = await uow.session.scalar(select(CitizenSession).where(CitizenSession.citizen_id == person.id))
    assert session is not None and session.credential == "Cl.Cm"

    # and for a service: its code, in a new sign-in
    client.cookies.clear()
    rp = await a_client(platform)
    await client.get("/authorize", params=authorise_query(rp))
    back = await ceremony(client, WITHOUT, device.get)
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT_URI + "?code=")


async def test_the_account_passkeys_page_adds_renames_and_removes_each_recorded_and_emailed(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    page = await _sign_in_to(client, PASSKEYS, person)
    assert "You have not added any passkeys." in page.text
    device = device_for(platform)
    added = await ceremony(client, ADD, device.create, name="Work laptop")
    assert added.status_code == 303 and added.headers["location"] == PASSKEYS + "?done=added", added.text
    listing = await client.get(added.headers["location"])
    assert "Your passkey has been added" in listing.text and "Work laptop" in listing.text
    assert "Not used yet" in listing.text
    second = await ceremony(client, ADD, device_for(platform).create)
    assert second.status_code == 303
    names = sorted(passkey.name for passkey in await _passkeys(platform, person.id))
    assert names == ["Passkey on this device", "Work laptop"]
    [work] = [passkey for passkey in await _passkeys(platform, person.id) if passkey.name == "Work laptop"]
    other = next(p for p in await _passkeys(platform, person.id) if p.id != work.id)

    rename = f"{PASSKEYS}/{other.id}/rename"
    taken = await post_form(client, rename, rename, {"name": "work LAPTOP"})
    assert taken.status_code == 400 and "You already have a passkey called work LAPTOP" in taken.text
    assert "Error:" in taken.text.split("</title>")[0]
    renamed = await post_form(client, rename, rename, {"name": "  Kitchen   tablet "})
    assert renamed.status_code == 303
    remove = f"{PASSKEYS}/{work.id}/remove"
    assert "Are you sure you want to remove Work laptop?" in (await client.get(remove)).text
    removed = await post_form(client, remove, remove, {})
    assert removed.status_code == 303 and removed.headers["location"] == PASSKEYS + "?done=removed"
    assert [passkey.name for passkey in await _passkeys(platform, person.id)] == ["Kitchen tablet"]
    kinds = await _kinds(platform, person.id)
    assert kinds.count("passkey_added") == 2 and kinds.count("passkey_removed") == 1
    messages = [plain_text(await delivered_email(platform, sent)) for sent in await sent_to(platform, person.email)]
    assert any("A passkey called Work laptop was added to your account." in text for text in messages)
    assert any("The passkey called Work laptop was removed from your account." in text for text in messages)


async def test_the_last_second_factor_cannot_be_removed_and_the_page_says_why(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person, device = await _passkey_only_citizen(platform)
    rp = await a_client(platform)
    await client.get("/authorize", params=authorise_query(rp))
    assert (await ceremony(client, WITHOUT, device.get)).status_code == 302
    [only] = await _passkeys(platform, person.id)
    remove = f"{PASSKEYS}/{only.id}/remove"
    page = await client.get(remove)
    assert "You cannot remove this passkey" in page.text and 'action="' + remove not in page.text
    refused = await client.post(remove, data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 400 and "it is the only way you have to prove it is you" in refused.text
    assert [passkey.id for passkey in await _passkeys(platform, person.id)] == [only.id]
    assert "passkey_removed" not in await _kinds(platform, person.id)
    assert (await ceremony(client, ADD, device_for(platform).create)).status_code == 303
    assert (await post_form(client, remove, remove, {})).status_code == 303  # with another passkey it may go


async def test_another_citizens_passkey_is_not_found_from_the_account_pages_and_is_unchanged(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    owner, stranger = await a_citizen(platform), await a_citizen(platform)
    await a_passkey(platform, owner.id, "Owner's phone")
    await a_passkey(platform, owner.id, "Owner's laptop")
    [theirs, _] = await _passkeys(platform, owner.id)
    await _sign_in_to(client, PASSKEYS, stranger)
    for path in (f"{PASSKEYS}/{theirs.id}/remove", f"{PASSKEYS}/{theirs.id}/rename", f"{PASSKEYS}/not-a-uuid/rename"):
        assert (await client.get(path)).status_code == 404
        token = csrf_from((await client.get(PASSKEYS)).text)
        assert (await client.post(path, data={"csrf_token": token, "name": "Mine now"})).status_code == 404
    assert sorted(p.name for p in await _passkeys(platform, owner.id)) == ["Owner's laptop", "Owner's phone"]


async def test_a_ceremony_the_browser_did_not_finish_gives_the_page_again_with_the_reason(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _sign_in_to(client, PASSKEYS, person)
    page = await client.get(ADD)
    token = csrf_from(page.text)
    for problem, message in (("NotAllowedError", "Your passkey was not used"), ("InvalidStateError", "already set up")):
        answer = await client.post(ADD, data={"csrf_token": token, "credential": "", "problem": problem})
        assert answer.status_code == 400 and message in answer.text and 'href="#passkey"' in answer.text
    garbage = await client.post(ADD, data={"csrf_token": token, "credential": "[" * 5000, "problem": ""})
    assert garbage.status_code == 400 and "Your passkey could not be checked" in garbage.text
    assert await _passkeys(platform, person.id) == []


async def test_without_javascript_the_passkey_forms_are_hidden_and_explained_and_the_script_is_our_own(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _sign_in_to(client, PASSKEYS, person)
    page = await client.get(ADD)
    assert 'data-passkey="create"' in page.text and " hidden>" in page.text.split('data-passkey="create"')[1][:2000]
    assert "you need a browser that supports passkeys, with JavaScript turned on" in page.text
    assert '<script type="module" src="/static/identity/passkeys.js"></script>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = await client.get("/static/identity/passkeys.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "navigator.credentials.create" in script.text


async def test_deleting_the_account_deletes_its_passkeys(platform: Platform, client: httpx.AsyncClient) -> None:
    person = await a_citizen(platform)
    await a_passkey(platform, person.id)
    await _sign_in_to(client, "/identity/account/delete", person)
    answer = await post_form(client, "/identity/account/delete", "/identity/account/delete", {"password": PASSWORD})
    assert answer.status_code == 200
    assert await _passkeys(platform, person.id) == []
