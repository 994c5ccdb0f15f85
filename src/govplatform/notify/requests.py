"""What every Notify API route does first: find the component, authenticate the key, read ids."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from fastapi import Request

from govplatform.core.interfaces import AuthenticatedKey, UnitOfWork
from govplatform.notify import schemas
from govplatform.notify.auth import authenticate
from govplatform.notify.component import NotifyComponent
from govplatform.notify.errors import no_result
from govplatform.notify.models import Notification
from govplatform.notify.services import reading


def component_of(request: Request) -> NotifyComponent:
    component: NotifyComponent = request.app.state.notify
    return component


async def authenticated_key(request: Request, uow: UnitOfWork) -> AuthenticatedKey:
    """The key that signed the request's token, or NotifyAuthError with Notify's status and message."""
    return await authenticate(uow, component_of(request).keys, request.headers.get("authorization"))


@functools.cache
def _id_schema(field: str) -> dict[str, Any]:
    return {"type": "object", "properties": {field: schemas.UUID}}


def parse_uuid(value: str, field: str) -> uuid.UUID:
    """The id, or 400 ValidationError "<field> is not a valid UUID"."""
    schemas.validate({field: value}, _id_schema(field))
    return uuid.UUID(value)


async def notification_of(request: Request, uow: UnitOfWork, notification_id: str) -> Notification:
    """The calling service's notification with this id, or 400 (not a UUID) / 404 NoResultFound."""
    key = await authenticated_key(request, uow)
    row = await reading.get_notification(uow, key.service.id, parse_uuid(notification_id, "notification_id"))
    if row is None:
        raise no_result()
    return row
