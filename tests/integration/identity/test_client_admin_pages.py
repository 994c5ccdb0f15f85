"""Staff register, view, change and turn off a service's sign-in clients in the admin pages, under the same rules
as the CLI; bad input gets a GOV.UK error summary and stores nothing; every change is audited without secrets."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import RSAKey
from sqlalchemy import select

from govplatform.core.interfaces import OutboundGuard
from govplatform.core.models import AuditEvent
from govplatform.core.platform import Platform
from govplatform.core.services import staff
from govplatform.identity.models import RelyingParty
from govplatform.identity.services.clients import secret_hash
from tests.helpers import CLI, csrf_from, post_form, ready_user, sign_in
from tests.integration.identity.support import (
    a_citizen,
    a_client,
    a_code,
    a_service,
    authorise_query,
    code_from,
    identity_of,
    token_form,
)

RSA_PEM = RSAKey.generate_key(2048).as_pem(private=False).decode()


def _ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


async def signed_in_member(platform: Platform, http: httpx.AsyncClient, service_id: uuid.UUID, role: str) -> str:
    email = f"{role}-{uuid.uuid4().hex[:6]}@example.gov.uk"
    user_id, secret = await ready_user(platform, email)
    async with platform.uow() as uow:
        await staff.set_role(uow, CLI, service_id, user_id, role)
        await uow.commit()
    await sign_in(http, email, secret)
    return email


def clients_path(service_id: uuid.UUID) -> str:
    return f"/admin/services/{service_id}/identity/clients"


def a_form(**fields: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "name": "Parking permits",
        "redirect_uris": "https://parking.example.gov.uk/oidc/callback\nhttps://parking.example.gov.uk/other",
        "post_logout_redirect_uris": "https://parking.example.gov.uk/signed-out",
        "back_channel_logout_uri": "https://parking.example.gov.uk/backchannel",
        "key_source": "public_key",
        "public_key_pem": RSA_PEM,
        "jwks_url": "",
        "sector": "",
        "scopes": ["email"],
        "claims": [],
        "levels": ["P0"],
        "id_token_alg": "RS256",
        "pkce_required": "yes",
        "active": "yes",
    }
    form.update(fields)
    return form


async def post(http: httpx.AsyncClient, page: str, action: str, form: dict[str, str | list[str]]) -> httpx.Response:
    shown = await http.get(page)
    return await http.post(action, data={**form, "csrf_token": csrf_from(shown.text)})


async def stored(platform: Platform, service_id: uuid.UUID) -> list[RelyingParty]:
    async with platform.uow(read_only=True) as uow:
        query = select(RelyingParty).where(RelyingParty.service_id == service_id)
        return list(await uow.session.scalars(query))


async def audited(platform: Platform, action: str) -> list[AuditEvent]:
    async with platform.uow(read_only=True) as uow:
        return list(await uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


async def test_an_admin_registers_a_private_key_jwt_client_and_sees_it_listed_with_what_it_was_given(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await a_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    base = clients_path(service_id)
    made = await post(client, f"{base}/new", f"{base}/new", a_form(claims=["https://vocab.account.gov.uk/v1/address"]))
    assert made.status_code == 303, made.text
    page = await client.get(made.headers["location"])
    assert "The sign-in client has been registered" in page.text and "BEGIN PUBLIC KEY" in page.text
    assert "https://parking.example.gov.uk/other" in page.text and "RS256" in page.text and "openid email" in page.text
    [row] = await stored(platform, service_id)
    assert row.redirect_uris == ["https://parking.example.gov.uk/oidc/callback", "https://parking.example.gov.uk/other"]
    assert row.sector == "parking.example.gov.uk" and row.scopes == ["openid", "email"] and row.levels == ["P0"]
    assert row.claims == ["https://vocab.account.gov.uk/v1/address"] and row.pkce_required and row.active
    assert row.token_auth_method == "private_key_jwt" and row.client_secret_hash is None
    assert not row.max_age_enabled, "max_age is ignored unless the client opts in"
    listing = await client.get(base)
    assert "Parking permits" in listing.text and row.client_id in listing.text
    [event] = await audited(platform, "identity.client_created")
    assert event.target_id == row.client_id and event.detail == {"name": "Parking permits"}
    audit_page = await client.get("/admin/audit")
    assert "Sign-in client registered" in audit_page.text and f"{base}/{row.client_id}" in audit_page.text


async def test_a_client_secret_post_client_gets_its_secret_once_on_a_page_that_is_not_cached(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await a_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    base = clients_path(service_id)
    made = await post(client, f"{base}/new", f"{base}/new", a_form(key_source="client_secret_post"))
    assert made.status_code == 200, made.text
    assert "no-store" in made.headers["cache-control"] and "You will not see it again" in made.text
    secret = re.search(r'<code class="govuk-!-font-size-19" id="client-secret">([A-Za-z0-9_-]{43,})</code>', made.text)
    assert secret is not None
    [row] = await stored(platform, service_id)
    assert row.client_secret_hash == secret_hash(identity_of(platform).hash_secret, secret.group(1))
    assert row.public_key_pem is None and row.token_auth_method == "client_secret_post"
    assert secret.group(1) not in (await client.get(f"{base}/{row.client_id}")).text
    [event] = await audited(platform, "identity.client_created")
    assert secret.group(1) not in str(event.detail) and row.client_secret_hash not in str(event.detail)


async def test_an_http_redirect_uri_on_localhost_is_accepted_for_development(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await a_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    base = clients_path(service_id)
    made = await post(client, f"{base}/new", f"{base}/new", a_form(redirect_uris="http://localhost:8001/callback"))
    assert made.status_code == 303, made.text
    [row] = await stored(platform, service_id)
    assert row.redirect_uris == ["http://localhost:8001/callback"] and row.sector == "localhost"


PRIVATE_PEM = RSAKey.generate_key(2048).as_pem(private=True).decode()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"redirect_uris": "http://parking.example.gov.uk/callback"}, "redirect_uris", "full https address"),
        ({"redirect_uris": "https://parking.example.gov.uk/callback#here"}, "redirect_uris", "without a fragment"),
        ({"redirect_uris": ""}, "redirect_uris", "at least one redirect URI"),
        ({"redirect_uris": "\n".join(f"https://p.example.gov.uk/{n}" for n in range(21))}, "redirect_uris", "no more"),
        ({"post_logout_redirect_uris": "javascript:alert(1)"}, "post_logout_redirect_uris", "full https address"),
        ({"back_channel_logout_uri": "ftp://parking.example.gov.uk/x"}, "back_channel_logout_uri", "full https"),
        ({"public_key_pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}, "public_key_pem", "PEM"),
        ({"public_key_pem": PRIVATE_PEM}, "public_key_pem", "That is a private key"),
        ({"public_key_pem": _ec_pem()}, "public_key_pem", "RSA public key of 2048 bits"),
        ({"public_key_pem": ""}, "public_key_pem", "public key as PEM or a JWKS URL"),
        ({"key_source": "jwks_url", "jwks_url": "https://127.0.0.1/jwks.json"}, "jwks_url", "public internet"),
        ({"key_source": "jwks_url", "jwks_url": "https://10.1.2.3/jwks.json"}, "jwks_url", "public internet"),
        ({"key_source": "jwks_url", "jwks_url": "not a url"}, "jwks_url", "full https address"),
        ({"key_source": ""}, "key_source", "Choose how the client proves"),
        ({"key_source": "client_secret_post", "levels": ["P0", "P2"]}, "levels", "may not ask for identity"),
        ({"scopes": ["email", "wallet"]}, "scopes", "may add email and phone"),
        ({"levels": ["P9"]}, "levels", "among P0, P1"),
        ({"claims": ["https://evil.example/claim"]}, "claims", "userinfo claims"),
        ({"id_token_alg": "HS256"}, "id_token_alg", "ES256 or RS256"),
        ({"name": "x" * 256}, "name", "255 characters or fewer"),
        ({"name": "  "}, "name", "255 characters or fewer"),
        ({"redirect_uris": "https://" + "a" * 2000 + ".example/cb"}, "redirect_uris", "full https address"),
        ({"sector": "x" * 300}, "sector", "255 characters or fewer"),
        ({"sector": "https://[broken"}, "sector", "255 characters or fewer"),
        ({"redirect_uris": "https://[::1/cb"}, "redirect_uris", "full https address"),
        ({"public_key_pem": "A" * 10_001}, "public_key_pem", "10,000 characters or fewer"),
        ({"redirect_uris": "https://a.example.gov.uk/cb\nhttps://b.example.gov.uk/cb"}, "sector", "need a sector"),
    ],
)
async def test_bad_input_gets_an_error_summary_linking_to_its_field_and_nothing_is_stored(
    platform: Platform, client: httpx.AsyncClient, fields: dict[str, str | list[str]], field: str, message: str
) -> None:
    service_id = await a_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    base = clients_path(service_id)
    refused = await post(client, f"{base}/new", f"{base}/new", a_form(**fields))
    assert refused.status_code == 400, refused.text
    assert "<title>Error:" in refused.text and "There is a problem" in refused.text
    assert message in refused.text and f'href="#{field}"' in refused.text
    assert await stored(platform, service_id) == []
    if fields.get("public_key_pem") == PRIVATE_PEM:
        assert PRIVATE_PEM.splitlines()[1] not in refused.text, "a pasted private key is never sent back"


async def test_a_jwks_url_the_operator_allows_is_registered(platform: Platform, client: httpx.AsyncClient) -> None:
    identity_of(platform).outbound = OutboundGuard(require_https=False, allowed_hosts="keys.parking.example.gov.uk")
    service_id = await a_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    base = clients_path(service_id)
    form = a_form(key_source="jwks_url", jwks_url="https://keys.parking.example.gov.uk/jwks.json")
    made = await post(client, f"{base}/new", f"{base}/new", form)
    assert made.status_code == 303, made.text
    [row] = await stored(platform, service_id)
    assert row.jwks_url == "https://keys.parking.example.gov.uk/jwks.json" and row.public_key_pem is None


async def test_an_admin_changes_a_client_and_the_audit_names_what_changed_but_not_its_values(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await a_service(platform)
    rp = await a_client(platform, service_id)
    await signed_in_member(platform, client, service_id, "admin")
    page = f"{clients_path(service_id)}/{rp.client_id}"
    form = await client.get(f"{page}/edit")
    assert form.status_code == 200 and "https://parking.example.gov.uk/oidc/callback" in form.text
    assert "BEGIN PUBLIC KEY" in form.text, "the edit form starts from the client as it is"
    wrong = await post(client, f"{page}/edit", f"{page}/edit", a_form(redirect_uris="https://x.example/cb#frag"))
    assert wrong.status_code == 400 and "without a fragment" in wrong.text
    [unchanged] = await stored(platform, service_id)
    assert unchanged.name == "Parking permits" and unchanged.id_token_alg == "ES256"
    changed = await post(
        client, f"{page}/edit", f"{page}/edit", a_form(name="Resident parking", pkce_required="", max_age_enabled="yes")
    )
    assert changed.status_code == 303 and changed.headers["location"] == f"{page}?changed=saved"
    assert "Your changes have been saved" in (await client.get(changed.headers["location"])).text
    [row] = await stored(platform, service_id)
    assert row.name == "Resident parking" and row.id_token_alg == "RS256" and not row.pkce_required
    assert row.max_age_enabled and "Honoured" in (await client.get(page)).text
    assert row.post_logout_redirect_uris == ["https://parking.example.gov.uk/signed-out"]
    [event] = await audited(platform, "identity.client_changed")
    assert event.detail["name"] == "Resident parking"
    assert set(event.detail["changed"]) >= {
        "name", "id_token_alg", "post_logout_redirect_uris", "redirect_uris", "max_age_enabled"
    }  # fmt: skip
    assert "BEGIN" not in str(event.detail) and "https://" not in str(event.detail)


async def test_turning_a_client_off_makes_authorize_and_token_answer_client_deactivated_until_it_is_turned_on(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await a_service(platform)
    rp, person = await a_client(platform, service_id), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    await signed_in_member(platform, client, service_id, "admin")
    page = f"{clients_path(service_id)}/{rp.client_id}"
    off = await post_form(client, page, f"{page}/deactivate", {})
    assert off.status_code == 303
    assert "The sign-in client has been turned off" in (await client.get(off.headers["location"])).text
    query = authorise_query(rp)
    refused = await client.get("/authorize", params=query)
    assert refused.status_code == 302
    assert code_from(refused.headers["location"]) == {
        "error": "unauthorized_client",
        "error_description": "client deactivated",
        "state": query["state"],
    }
    token = await client.post("/token", data=token_form(rp, code, identity_of(platform).token_endpoint))
    assert token.status_code == 400
    assert token.json() == {"error": "unauthorized_client", "error_description": "client deactivated"}
    on = await post_form(client, page, f"{page}/reactivate", {})
    assert on.status_code == 303
    assert (await client.get("/authorize", params=authorise_query(rp))).headers["location"].startswith("/identity/")
    assert [
        len(await audited(platform, action))
        for action in ("identity.client_deactivated", "identity.client_reactivated")
    ] == [1, 1]


async def test_a_viewer_sees_clients_but_cannot_register_change_or_turn_them_off(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await a_service(platform)
    rp = await a_client(platform, service_id)
    await signed_in_member(platform, client, service_id, "viewer")
    base = clients_path(service_id)
    listed = await client.get(base)
    assert (
        listed.status_code == 200
        and "Parking permits" in listed.text
        and "Register a sign-in client" not in listed.text
    )
    shown = await client.get(f"{base}/{rp.client_id}")
    assert shown.status_code == 200 and "Turn off" not in shown.text
    assert (await client.get(f"{base}/new")).status_code == 403
    assert (await client.get(f"{base}/{rp.client_id}/edit")).status_code == 403
    token = csrf_from(listed.text)
    for action in (f"{base}/new", f"{base}/{rp.client_id}/edit", f"{base}/{rp.client_id}/deactivate"):
        refused = await client.post(action, data={"csrf_token": token, **a_form()})
        assert refused.status_code == 403
    [row] = await stored(platform, service_id)
    assert row.active and await audited(platform, "identity.client_deactivated") == []


async def test_another_services_team_gets_403_and_another_services_client_is_not_found(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    mine, theirs = await a_service(platform), await a_service(platform)
    their_client = await a_client(platform, theirs)
    await signed_in_member(platform, client, mine, "admin")
    assert (await client.get(clients_path(theirs))).status_code == 403
    assert (await client.get(f"{clients_path(theirs)}/{their_client.client_id}")).status_code == 403
    assert (await client.get(f"{clients_path(mine)}/{their_client.client_id}")).status_code == 404
    listed = await client.get(clients_path(mine))
    refused = await client.post(
        f"{clients_path(mine)}/{their_client.client_id}/deactivate", data={"csrf_token": csrf_from(listed.text)}
    )
    assert refused.status_code == 404
    assert [row.active for row in await stored(platform, theirs)] == [True]


async def test_someone_not_signed_in_is_sent_to_sign_in_and_a_form_without_csrf_is_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await a_service(platform)
    anonymous = await client.get(clients_path(service_id))
    assert anonymous.status_code in (302, 303) and "/sign-in" in anonymous.headers["location"]
    await signed_in_member(platform, client, service_id, "admin")
    forged = await client.post(f"{clients_path(service_id)}/new", data=a_form())
    assert forged.status_code == 403 and await stored(platform, service_id) == []


async def test_the_pages_and_their_errors_are_in_welsh(platform: Platform, client: httpx.AsyncClient) -> None:
    service_id = await a_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    base = clients_path(service_id)
    form = await client.get(f"{base}/new?lang=cy")
    assert 'lang="cy"' in form.text and "Cofrestru cleient mewngofnodi" in form.text
    refused = await post(client, f"{base}/new", f"{base}/new", a_form(redirect_uris="http://x.example.gov.uk/cb"))
    assert refused.status_code == 400 and "Mae problem wedi codi" in refused.text
    assert "gyfeiriad https llawn" in refused.text


async def test_the_service_dashboard_links_to_its_sign_in_clients(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await a_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    dashboard = await client.get(f"/admin/services/{service_id}")
    assert f'href="{clients_path(service_id)}"' in dashboard.text and "Sign-in clients" in dashboard.text


async def test_every_broken_rule_is_listed_at_once_and_the_form_keeps_what_was_typed(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await a_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    base = clients_path(service_id)
    form = a_form(name="Kept name", redirect_uris="http://x.example.gov.uk/cb", levels=["P7"], id_token_alg="none")
    refused = await post(client, f"{base}/new", f"{base}/new", form)
    assert refused.status_code == 400
    summary = refused.text.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'href="#([a-z_]+)"', summary) == ["redirect_uris", "id_token_alg", "levels"]
    assert 'value="Kept name"' in refused.text and "http://x.example.gov.uk/cb</textarea>" in refused.text


async def test_a_client_changed_to_client_secret_post_gets_a_secret_once_and_loses_it_when_changed_back(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await a_service(platform)
    rp = await a_client(platform, service_id)
    await signed_in_member(platform, client, service_id, "admin")
    page = f"{clients_path(service_id)}/{rp.client_id}"
    to_secret = await post(client, f"{page}/edit", f"{page}/edit", a_form(key_source="client_secret_post"))
    assert to_secret.status_code == 200 and "no-store" in to_secret.headers["cache-control"]
    secret = re.search(r'id="client-secret">([A-Za-z0-9_-]{43,})</code>', to_secret.text)
    assert secret is not None
    [row] = await stored(platform, service_id)
    assert row.client_secret_hash == secret_hash(identity_of(platform).hash_secret, secret.group(1))
    assert row.public_key_pem is None and row.token_auth_method == "client_secret_post"
    back = await post(client, f"{page}/edit", f"{page}/edit", a_form())
    assert back.status_code == 303
    [row] = await stored(platform, service_id)
    assert row.client_secret_hash is None and row.public_key_pem == RSA_PEM.strip() + "\n"
    events = await audited(platform, "identity.client_changed")
    assert len(events) == 2 and all(secret.group(1) not in str(event.detail) for event in events)
