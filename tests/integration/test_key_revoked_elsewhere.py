"""A key revoked through one web process is refused at once by another (issue 14's done-when line).

Two real `govplatform serve` processes, A and B, on one database, as an
operator runs several behind a load balancer. For each of the three key
formats (the platform's, Pay's, Notify's signed tokens): the key is used
through B, which keeps it; a platform admin signs in to A's pages and revokes
it there; the very next request to B with it is refused, in that API's own
words. Nothing waits between the revocation's answer and B's refusal: what
makes it hold is that A answers only once B has heard (ADR 0015), not timing.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from notifications_python_client.authentication import create_jwt_token

from govplatform.app import register_components
from govplatform.core.platform import build_platform
from govplatform.core.services import api_keys
from tests.browser.server import free_port, server_env, serving
from tests.conftest import make_settings
from tests.helpers import CLI, csrf_from, ready_user, service_with_org, sign_in

pytestmark = pytest.mark.process
ADMIN = "platform.admin@example.gov.uk"


@dataclasses.dataclass
class Made:
    """What the servers' database holds before they start: a platform admin, and one service's keys."""

    admin_totp_secret: str
    service_id: str
    keys: dict[str, tuple[str, str]]  # format: (key id, the key as shown once)


def platform_key_check(key: str) -> tuple[str, dict[str, str]]:
    return "/api/platform/v1/service", {"Authorization": f"Bearer {key}"}


def pay_key_check(key: str) -> tuple[str, dict[str, str]]:
    return "/v1/payments", {"Authorization": f"Bearer {key}"}


def notify_key_check(key: str) -> tuple[str, dict[str, str]]:
    service_id, secret = key[-73:-37], key[-36:]  # Notify's key format: name-service id-secret
    return "/v2/templates", {"Authorization": f"Bearer {create_jwt_token(secret, service_id)}"}


@pytest.fixture
def two_servers(made: Made, fresh_database: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A and B on one database and one set of secrets (tmp_path/secrets.json); neither runs the job worker."""
    urls = []
    with contextlib.ExitStack() as stack:
        for name in ("a", "b"):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            env = server_env(tmp_path, url) | {"GOVPLATFORM_DATABASE_URL": fresh_database}
            stack.enter_context(serving(env, port, tmp_path / f"serve-{name}.log", with_worker=False))
            urls.append(url)
        yield urls[0], urls[1]


@pytest.fixture
async def made(fresh_database: str, tmp_path: Path) -> Made:
    """Made through core's services in this process (five CLI runs took 20 s on a busy machine)."""
    platform = build_platform(make_settings(tmp_path, fresh_database))
    register_components(platform)
    try:
        _user_id, secret = await ready_user(platform, ADMIN, platform_admin=True)
        service_id = await service_with_org(platform, "Borsetshire Council", "Parking permits")
        keys = {}
        async with platform.uow() as uow:
            for component, key_type in [("platform", "standard"), ("pay", "test"), ("notify", "normal")]:
                key, shown = await api_keys.create_key(
                    uow, CLI, platform.key_formats[component], service_id, f"{component} key", key_type
                )
                keys[component] = (str(key.id), shown)
            await uow.commit()
    finally:
        await platform.dispose()
    return Made(secret, str(service_id), keys)


async def revoke_in_the_admin_pages(staff: httpx.AsyncClient, service_id: str, key_id: str) -> None:
    page = await staff.get(f"/admin/services/{service_id}")
    assert page.status_code == 200
    revoked = await staff.post(
        f"/admin/services/{service_id}/api-keys/{key_id}/revoke", data={"csrf_token": csrf_from(page.text)}
    )
    assert revoked.status_code == 303, revoked.text


async def test_a_key_revoked_through_one_web_process_is_refused_at_once_by_another(
    made: Made, two_servers: tuple[str, str]
) -> None:
    url_a, url_b = two_servers
    async with (
        httpx.AsyncClient(base_url=url_a, timeout=30) as staff,
        httpx.AsyncClient(base_url=url_b, timeout=30) as caller,
    ):
        signed_in = await sign_in(staff, ADMIN, made.admin_totp_secret)
        assert signed_in.status_code == 303, signed_in.text
        for component, check, refusal in [
            ("platform", platform_key_check, 401),
            ("pay", pay_key_check, 401),
            ("notify", notify_key_check, 403),
        ]:
            key_id, key = made.keys[component]
            path, headers = check(key)
            for _ in range(2):  # B reads the key once and keeps it
                assert (await caller.get(path, headers=headers)).status_code == 200
            await revoke_in_the_admin_pages(staff, made.service_id, key_id)
            path, headers = check(key)
            refused = await caller.get(path, headers=headers)
            assert refused.status_code == refusal, f"{path} still accepted a key revoked through A: {refused.text}"
            if path.startswith("/v2/"):
                assert refused.json()["errors"][0]["message"] == "Invalid token: API key revoked"
