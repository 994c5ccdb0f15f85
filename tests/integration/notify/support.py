"""Set-up shared by notify's integration tests: a live service, keys, templates, tokens."""

from __future__ import annotations

import uuid

from notifications_python_client.authentication import create_jwt_token

from govplatform.app import register_components
from govplatform.core.interfaces import AuthenticatedKey, ServiceRef
from govplatform.core.platform import Platform
from govplatform.core.services import api_keys
from govplatform.notify.services import settings as notify_settings
from govplatform.notify.services import templates
from tests.helpers import CLI, service_with_org


async def live_service(platform: Platform, name: str = "Bin collections") -> uuid.UUID:
    """A service out of trial mode, with a fresh organisation."""
    register_components(platform)
    service_id = await service_with_org(platform, f"Council {uuid.uuid4().hex[:8]}", name)
    async with platform.uow() as uow:
        await notify_settings.change_limits(uow, CLI, service_id, name, live=True)
        await uow.commit()
    return service_id


async def notify_key(platform: Platform, service_id: uuid.UUID, key_type: str = "normal") -> str:
    register_components(platform)
    async with platform.uow() as uow:
        _, shown = await api_keys.create_key(
            uow, CLI, platform.key_formats["notify"], service_id, f"{key_type} key", key_type
        )
        await uow.commit()
    return shown


def bearer(key: str) -> dict[str, str]:
    """The Authorization header the official client sends for this key."""
    return {"Authorization": f"Bearer {create_jwt_token(key[-36:], key[-73:-37])}"}


async def template(
    platform: Platform, service_id: uuid.UUID, kind: str, body: str, subject: str | None = None
) -> uuid.UUID:
    async with platform.uow() as uow:
        created = await templates.create_template(uow, CLI, service_id, kind, f"{kind} template", body, subject)
        await uow.commit()
    return created.id


def key_for(service_id: uuid.UUID, key_type: str = "normal", name: str = "Bin collections") -> AuthenticatedKey:
    org = uuid.uuid4()
    return AuthenticatedKey(uuid.uuid4(), "key", key_type, "notify", ServiceRef(service_id, name, org, "Council"))
