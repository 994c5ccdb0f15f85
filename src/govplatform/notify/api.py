"""Notify's public API v2, at the host root, as the official clients call it.

Routes parse and format; the rules live in services. Bodies are parsed as JSON
whatever the Content-Type says (the Python client sends JSON on GETs too), and
every path answers with and without a trailing slash and never redirects:
a client following a redirect would turn a POST into a GET.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from govplatform.core.interfaces import AuthenticatedKey, UnitOfWork
from govplatform.notify import recipients, schemas
from govplatform.notify.auth import authenticate
from govplatform.notify.component import NotifyComponent
from govplatform.notify.errors import NotifyError, bad_request, no_result
from govplatform.notify.models import Notification
from govplatform.notify.services import content, reading, settings, templates
from govplatform.notify.services.sending import SendRequest, address_lines
from govplatform.notify.services.templates import TemplateSnapshot

router = APIRouter(tags=["notify"], include_in_schema=True)


def _route(method: str, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve `path` and `path/` alike, without a redirect between them."""

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(path, handler, methods=[method])
        router.add_api_route(path + "/", handler, methods=[method], include_in_schema=False)
        return handler

    return register


def _component(request: Request) -> NotifyComponent:
    component: NotifyComponent = request.app.state.notify
    return component


async def _key(request: Request, uow: UnitOfWork) -> AuthenticatedKey:
    component = _component(request)
    return await authenticate(uow, component.keys, request.headers.get("authorization"))


async def _json_body(request: Request) -> object:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Invalid JSON supplied in POST data") from None


def _query(request: Request, repeated: tuple[str, ...] = ()) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in request.query_params:
        items = request.query_params.getlist(name)
        values[name] = items if name in repeated else items[-1]
    return values


def _uuid(value: str, field: str) -> uuid.UUID:
    schemas.validate({field: value}, {"type": "object", "properties": {field: schemas.UUID}})
    return uuid.UUID(value)


# Sending --------------------------------------------------------------------


def _send_request(kind: str, body: dict[str, Any]) -> SendRequest:
    personalisation = body.get("personalisation") or {}
    if kind == "email":
        address = recipients.validate_email_address(body["email_address"])
        return SendRequest(
            type="email",
            template_id=uuid.UUID(body["template_id"]),
            recipient=address,
            normalised_recipient=address.lower(),
            personalisation=personalisation,
            reference=body.get("reference"),
            one_click_unsubscribe_url=body.get("one_click_unsubscribe_url"),
        )
    if kind == "sms":
        number = recipients.validate_phone_number(body["phone_number"], international=True)
        return SendRequest(
            type="sms",
            template_id=uuid.UUID(body["template_id"]),
            recipient=body["phone_number"].strip(),
            normalised_recipient=number.normalised,
            personalisation=personalisation,
            reference=body.get("reference"),
            international=number.international and not number.crown_dependency,
            rate_multiplier=float(number.rate_multiplier),
        )
    return SendRequest(
        type="letter",
        template_id=uuid.UUID(body["template_id"]),
        recipient="",
        normalised_recipient="",
        personalisation=personalisation,
        reference=body.get("reference"),
    )


def _sent_json(
    component: NotifyComponent, kind: str, body: dict[str, Any], accepted: Any, policy: Any
) -> dict[str, Any]:
    filled = accepted.filled
    if kind == "email":
        sent_content: dict[str, Any] = {
            "subject": filled.subject,
            "body": filled.body,
            "from_email": component.sender.from_email(policy),
            "one_click_unsubscribe_url": body.get("one_click_unsubscribe_url"),
        }
    elif kind == "sms":
        sent_content = {"body": filled.body, "from_number": policy.sms_sender}
    else:
        sent_content = {"body": filled.body, "subject": filled.subject}
    response = {
        "id": str(accepted.id),
        "reference": body.get("reference"),
        "uri": f"{component.base_url}/v2/notifications/{accepted.id}",
        "template": schemas.template_ref(accepted.template, component.base_url),
        "scheduled_for": None,
        "content": sent_content,
    }
    if kind == "email":
        response["sanitised_content"] = {}
    return response


async def _send(request: Request, kind: str) -> JSONResponse:
    component = _component(request)
    async with component.uow() as uow:
        key = await _key(request, uow)
        body = await _json_body(request)
        schema = {"email": schemas.POST_EMAIL, "sms": schemas.POST_SMS, "letter": schemas.POST_LETTER}[kind]
        if kind == "letter" and isinstance(body, dict) and "content" in body:
            schema = schemas.POST_PRECOMPILED_LETTER
            schemas.validate(body, schema)
            raise bad_request("Precompiled letters are not accepted yet")
        schemas.validate(body, schema)
        assert isinstance(body, dict)  # the schema says it is an object
        policy = await settings.policy_for(uow, key.service.id, key.service.name)
        accepted = await component.sender.accept(uow, key, policy, _send_request(kind, body))
        if accepted.stored:
            await uow.commit()
    return JSONResponse(_sent_json(component, kind, body, accepted, policy), status_code=201)


@_route("POST", "/v2/notifications/email")
async def send_email(request: Request) -> JSONResponse:
    return await _send(request, "email")


@_route("POST", "/v2/notifications/sms")
async def send_sms(request: Request) -> JSONResponse:
    return await _send(request, "sms")


@_route("POST", "/v2/notifications/letter")
async def send_letter(request: Request) -> JSONResponse:
    return await _send(request, "letter")


# Reading notifications ---------------------------------------------------------


class _Templates:
    """Template versions met while serialising a page of notifications, read once each."""

    def __init__(self, uow: UnitOfWork, service_id: uuid.UUID) -> None:
        self._uow = uow
        self._service_id = service_id
        self._seen: dict[tuple[uuid.UUID, int], TemplateSnapshot | None] = {}

    async def get(self, template_id: uuid.UUID | None, version: int) -> TemplateSnapshot | None:
        if template_id is None:
            return None
        key = (template_id, version)
        if key not in self._seen:
            self._seen[key] = await templates.get_template(self._uow, self._service_id, template_id, version)
        return self._seen[key]


async def _notification_json(component: NotifyComponent, row: Notification, found: _Templates) -> dict[str, Any]:
    template = await found.get(row.template_id, row.template_version)
    personalisation = component.sender.unseal(row.id, row.personalisation)
    filled = None
    if template is not None:
        try:
            filled = content.fill(template, personalisation)
        except NotifyError:
            filled = None  # a purged or partial row still reads back, with an empty body
    address = address_lines(personalisation) if row.type == "letter" else {}
    return schemas.notification_json(
        row, template, personalisation, filled, component.base_url, component.sms_rate, address
    )


@_route("GET", "/v2/notifications/{notification_id}")
async def get_notification(request: Request, notification_id: str) -> JSONResponse:
    component = _component(request)
    async with component.uow(read_only=True) as uow:
        key = await _key(request, uow)
        wanted = _uuid(notification_id, "notification_id")
        row = await reading.get_notification(uow, key.service.id, wanted)
        if row is None:
            raise no_result()
        return JSONResponse(await _notification_json(component, row, _Templates(uow, key.service.id)))


@_route("GET", "/v2/notifications")
async def list_notifications(request: Request) -> JSONResponse:
    component = _component(request)
    async with component.uow(read_only=True) as uow:
        key = await _key(request, uow)
        query = _query(request, repeated=("status", "template_type"))
        schemas.validate(query, schemas.GET_NOTIFICATIONS)
        rows = await reading.list_notifications(
            uow,
            key.service.id,
            key.key_type,
            statuses=query.get("status", []),
            template_types=query.get("template_type", []),
            reference=query.get("reference"),
            older_than=uuid.UUID(query["older_than"]) if "older_than" in query else None,
            include_jobs="include_jobs" in query,
        )
        found = _Templates(uow, key.service.id)
        items = [await _notification_json(component, row, found) for row in rows]
    return JSONResponse({"notifications": items, "links": _links(component, "/v2/notifications", query, rows)})


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _links(component: NotifyComponent, path: str, query: dict[str, Any], rows: list[Notification]) -> dict[str, str]:
    """current, and next whenever the page is not empty, older_than first (clients take the first UUID)."""
    items = [
        (name, value) for name, values in query.items() for value in (values if isinstance(values, list) else [values])
    ]
    current = f"{component.base_url}{path}" + (f"?{urlencode(items)}" if items else "")
    links = {"current": current}
    if rows:
        rest = [(name, value) for name, value in items if name != "older_than"]
        links["next"] = f"{component.base_url}{path}?" + urlencode([("older_than", str(rows[-1].id)), *rest])
    return links


# Templates ------------------------------------------------------------------


@_route("GET", "/v2/template/{template_id}")
async def get_template(request: Request, template_id: str) -> JSONResponse:
    return await _template(request, template_id, None)


@_route("GET", "/v2/template/{template_id}/version/{version}")
async def get_template_version(request: Request, template_id: str, version: str) -> JSONResponse:
    return await _template(request, template_id, version)


async def _template(request: Request, template_id: str, version: str | None) -> JSONResponse:
    component = _component(request)
    async with component.uow(read_only=True) as uow:
        key = await _key(request, uow)
        wanted = _uuid(template_id, "id")
        if version is not None and not (version.isdigit() and len(version) < 10):
            raise no_result()  # Notify's route takes only an integer version: anything else is not found
        template = await templates.get_template(uow, key.service.id, wanted, int(version) if version else None)
        if template is None:
            raise no_result()
    return JSONResponse(schemas.template_json(template))


@_route("GET", "/v2/templates")
async def list_templates(request: Request) -> JSONResponse:
    component = _component(request)
    async with component.uow(read_only=True) as uow:
        key = await _key(request, uow)
        query = _query(request)
        schemas.validate(query, schemas.GET_TEMPLATES)
        found = await templates.list_templates(uow, key.service.id, query.get("type"))
    return JSONResponse({"templates": [schemas.template_json(template) for template in found]})


@_route("POST", "/v2/template/{template_id}/preview")
async def preview_template(request: Request, template_id: str) -> JSONResponse:
    component = _component(request)
    async with component.uow(read_only=True) as uow:
        key = await _key(request, uow)
        wanted = _uuid(template_id, "id")
        body = await _json_body(request)
        schemas.validate(body, schemas.POST_TEMPLATE_PREVIEW)
        assert isinstance(body, dict)
        template = await templates.get_template(uow, key.service.id, wanted)
        if template is None:
            raise no_result()
        policy = await settings.policy_for(uow, key.service.id, key.service.name)
    filled = content.fill(template, body.get("personalisation") or {}, sms_prefix=policy.sms_prefix, with_parts=True)
    return JSONResponse(schemas.preview_json(template, filled))
