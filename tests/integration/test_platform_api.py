"""The platform API tells a key holder which service and organisation their key belongs to."""

import httpx
import pytest

from govplatform.core.platform import Platform
from govplatform.core.services import api_keys
from tests.helpers import CLI, service_with_org


async def make_key(platform: Platform, service_id) -> tuple[str, object]:
    async with platform.uow() as uow:
        key, shown = await api_keys.create_key(uow, CLI, platform.platform_keys, service_id, "Case system")
        await uow.commit()
    return shown, key.id


async def test_a_valid_key_gets_its_service_and_organisation(platform: Platform, client: httpx.AsyncClient) -> None:
    service_id = await service_with_org(platform, "Anytown Council", "Bins")
    shown, key_id = await make_key(platform, service_id)
    response = await client.get("/api/platform/v1/service", headers={"Authorization": f"Bearer {shown}"})
    assert response.status_code == 200
    body = response.json()
    assert body["service"]["id"] == str(service_id)
    assert body["service"]["name"] == "Bins"
    assert body["service"]["organisation"]["name"] == "Anytown Council"
    assert body["key"] == {"id": str(key_id), "name": "Case system", "type": "standard"}


async def test_keys_are_never_stored_as_text(platform: Platform) -> None:
    service_id = await service_with_org(platform)
    shown, _ = await make_key(platform, service_id)
    async with platform.uow() as uow:
        stored = await api_keys.list_keys(uow, service_id)
    assert stored[0].secret_hash and shown not in stored[0].secret_hash
    assert stored[0].secret_encrypted is None
    assert len(shown) >= len("gpk_") + 22  # at least 128 bits of randomness


async def test_a_revoked_key_is_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    service_id = await service_with_org(platform)
    shown, key_id = await make_key(platform, service_id)
    async with platform.uow() as uow:
        await api_keys.revoke_key(uow, CLI, service_id, key_id)
        await uow.commit()
    response = await client.get("/api/platform/v1/service", headers={"Authorization": f"Bearer {shown}"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["error"] == "AuthError"


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Basic abc", "Bearer gpk_short", "Bearer " + "gpk_" + "A" * 43, "Bearer \x00"],
)
async def test_missing_or_wrong_keys_get_a_401_in_the_api_format(client: httpx.AsyncClient, header) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = await client.get("/api/platform/v1/service", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["status_code"] == 401
    assert body["errors"][0]["message"]


async def test_unknown_api_paths_get_a_404_in_the_api_format(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/platform/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"status_code": 404, "errors": [{"error": "NotFoundError", "message": "Not found"}]}


async def test_the_wrong_method_gets_a_405_in_the_api_format(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/platform/v1/service", json={})
    assert response.status_code == 405
    assert response.json()["errors"][0]["error"] == "MethodNotAllowedError"
