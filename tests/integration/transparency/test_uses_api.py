"""Services record uses of personal data through the platform API; the log shows them, pseudonymously."""

import base64
import json

import httpx
import pytest

from govplatform.core.platform import Platform
from govplatform.core.services import api_keys
from govplatform.transparency import merkle
from tests.helpers import CLI, service_with_org

USE = {
    "data_items": ["address", "council tax band"],
    "subject": "resident-8472",
    "purpose": "Work out the discount a resident can get",
    "legal_basis": "Local Government Finance Act 1992",
    "occurred_at": "2026-11-26T09:30:00Z",
}


async def key_for(platform: Platform) -> str:
    service_id = await service_with_org(platform, "Anytown Council", "Council Tax")
    async with platform.uow() as uow:
        _, shown = await api_keys.create_key(uow, CLI, platform.platform_keys, service_id, "Revenues system")
        await uow.commit()
    return shown


async def test_a_recorded_use_names_the_keys_service_and_never_the_person(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await key_for(platform)
    response = await client.post("/api/transparency/v1/data-uses", json=USE, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 202, response.text
    log = platform.components["transparency"]
    await log.integrate_all()
    entry = (await client.get("/transparency/entry/0")).content
    assert base64.b64decode(response.json()["leaf_hash"]) == merkle.leaf_hash(entry)
    record = json.loads(entry)
    assert record["who"]["organisation"]["name"] == "Anytown Council"
    assert record["who"]["service"]["name"] == "Council Tax"
    assert record["what"] == ["address", "council tax band"]
    assert record["when"] == "2026-11-26T09:30:00Z"
    assert record["whose"] == log.pseudonym("resident-8472")
    assert b"resident-8472" not in entry


async def test_recording_a_use_needs_a_platform_key(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/transparency/v1/data-uses", json=USE)
    assert response.status_code == 401
    assert response.json()["errors"][0]["error"] == "AuthError"


@pytest.mark.parametrize(
    "change",
    [
        {"data_items": []},
        {"data_items": [""]},
        {"subject": ""},
        {"purpose": "x" * 501},
        {"occurred_at": "2026-11-26T09:30:00"},
        {"occurred_at": "yesterday"},
        {"legal_basis": None},
    ],
)
async def test_bad_uses_get_a_400_in_the_api_format(platform: Platform, client: httpx.AsyncClient, change) -> None:
    key = await key_for(platform)
    response = await client.post(
        "/api/transparency/v1/data-uses", json={**USE, **change}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["error"] == "BadRequestError"


async def test_a_body_that_is_not_json_gets_a_400(platform: Platform, client: httpx.AsyncClient) -> None:
    key = await key_for(platform)
    response = await client.post(
        "/api/transparency/v1/data-uses",
        content=b"{not json",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400


async def test_without_a_key_a_bad_body_still_gets_a_401_not_a_hint_about_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/transparency/v1/data-uses", json={"nonsense": True})
    assert response.status_code == 401


async def test_the_openapi_document_describes_the_request_body(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    body = spec["paths"]["/api/transparency/v1/data-uses"]["post"]["requestBody"]["content"]["application/json"]
    assert "data_items" in body["schema"]["properties"]
