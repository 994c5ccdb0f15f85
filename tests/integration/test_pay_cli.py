"""`govplatform pay key create`: a Pay key in Pay's format, shown once, found again by its keyed hash."""

from __future__ import annotations

import uuid
from pathlib import Path

from govplatform.app import register_components
from govplatform.core.platform import build_platform
from govplatform.core.services import api_keys
from tests.conftest import make_settings
from tests.integration.test_cli import as_json, govplatform


def service(tmp_path: Path, database_url: str) -> str:
    organisation = as_json(govplatform(tmp_path, database_url, "org", "create", "--name", "Pay Council", "--json"))
    created = govplatform(tmp_path, database_url, "service", "create", "--org", organisation["id"], "--name", "Parking",
                          "--json")  # fmt: skip
    return str(as_json(created)["id"])


async def test_a_pay_key_is_made_in_pays_format_and_authenticates(fresh_database: str, tmp_path: Path) -> None:
    service_id = service(tmp_path, fresh_database)
    made = as_json(
        govplatform(
            tmp_path, fresh_database, "pay", "key", "create", "--service", service_id, "--mode", "test", "--json"
        )
    )
    assert made["key"].startswith("api_test_") and made["mode"] == "test" and made["service_id"] == service_id
    platform = build_platform(make_settings(tmp_path, fresh_database))
    register_components(platform)
    pay = platform.key_formats["pay"]
    last = made["key"][-1]
    tampered_key = made["key"][:-1] + ("0" if last != "0" else "1")
    async with platform.uow(read_only=True) as uow:
        found = await api_keys.authenticate(uow, pay, made["key"])
        tampered = await api_keys.authenticate(uow, pay, tampered_key)
        [stored] = await api_keys.list_keys(uow, uuid.UUID(service_id), "pay")
    await platform.dispose()
    assert found is not None and found.key_type == "test" and str(found.service.id) == service_id
    assert tampered is None, "a key whose checksum fails is refused before any lookup"
    assert stored.secret_hash and made["key"] not in stored.secret_hash and stored.secret_encrypted is None


def test_a_live_key_starts_api_live_and_a_wrong_mode_is_refused(fresh_database: str, tmp_path: Path) -> None:
    service_id = service(tmp_path, fresh_database)
    live = as_json(
        govplatform(
            tmp_path, fresh_database, "pay", "key", "create", "--service", service_id, "--mode", "live", "--json"
        )
    )
    assert live["key"].startswith("api_live_")
    wrong = govplatform(tmp_path, fresh_database, "pay", "key", "create", "--service", service_id, "--mode", "demo")
    assert wrong.returncode == 2 and "--mode must be test or live" in wrong.stderr
