"""Notify's public API v2, at the host root, as the official clients call it.

Routes parse and format; the rules live in services. Bodies are parsed as JSON
whatever the Content-Type says (the Python client sends JSON on GETs too), and
every path answers with and without a trailing slash and never redirects:
a client following a redirect would turn a POST into a GET.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from govplatform.core.interfaces import JsonBodyError, UnitOfWork, ValueRefused, parse_json_body
from govplatform.notify import openapi, schemas
from govplatform.notify.component import NotifyComponent
from govplatform.notify.errors import NotifyError, bad_request, no_result, validation_error
from govplatform.notify.models import Notification
from govplatform.notify.requests import authenticated_key, component_of, notification_of, parse_uuid
from govplatform.notify.services import content, reading, settings, templates
from govplatform.notify.services.sending import Accepted, SendRequest, address_lines
from govplatform.notify.services.settings import ServicePolicy
from govplatform.notify.services.templates import TemplateSnapshot
from govplatform.notify.templates.sanitise import sanitise_personalisation

router = APIRouter(tags=["notify"], include_in_schema=True)


def _route(method: str, path: str, **documented: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve `path` and `path/` alike, without a redirect between them; `documented` is its OpenAPI (openapi.py)."""

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(path, handler, methods=[method], **documented)
        router.add_api_route(path + "/", handler, methods=[method], include_in_schema=False)
        return handler

    return register


async def _json_body(request: Request) -> object:
    """The body, read by core's safe parser: a body that is not JSON is Notify's BadRequestError, and a value
    no API may take (NUL, a lone surrogate, NaN, 1e400) a ValidationError naming where it is."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return parse_json_body(raw)
    except ValueRefused as refused:
        raise validation_error(refused.sentence) from None
    except JsonBodyError as refused:
        detail = "" if refused.message == "The body is not valid JSON" else f": {refused.message}"
        raise bad_request(f"Invalid JSON supplied in POST data{detail}") from None


def _query(request: Request, repeated: tuple[str, ...] = ()) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in request.query_params:
        items = request.query_params.getlist(name)
        values[name] = items if name in repeated else items[-1]
    return values


# Sending --------------------------------------------------------------------


def _send_request(kind: str, body: dict[str, Any]) -> tuple[SendRequest, dict[str, Any]]:
    """The request in the sending rules' terms, and the `sanitised_content` an email response carries."""
    personalisation = body.get("personalisation") or {}
    if kind == "email":
        address = schemas.checked_email_address(body["email_address"])
        personalisation, sanitised = sanitise_personalisation(personalisation, body.get("sanitise_content_for") or [])
        return SendRequest(
            type="email",
            template_id=uuid.UUID(body["template_id"]),
            recipient=address,
            normalised_recipient=address.lower(),
            personalisation=personalisation,
            reference=body.get("reference"),
            one_click_unsubscribe_url=body.get("one_click_unsubscribe_url"),
            reply_to_id=uuid.UUID(body["email_reply_to_id"]) if body.get("email_reply_to_id") else None,
        ), sanitised
    if kind == "sms":
        number = schemas.checked_phone_number(body["phone_number"])
        return SendRequest(
            type="sms",
            template_id=uuid.UUID(body["template_id"]),
            recipient=body["phone_number"].strip(),
            normalised_recipient=number.normalised,
            personalisation=personalisation,
            reference=body.get("reference"),
            international=number.international and not number.crown_dependency,
            rate_multiplier=float(number.rate_multiplier),
            reply_to_id=uuid.UUID(body["sms_sender_id"]) if body.get("sms_sender_id") else None,
        ), {}
    return SendRequest(
        type="letter",
        template_id=uuid.UUID(body["template_id"]),
        recipient="",
        normalised_recipient="",
        personalisation=personalisation,
        reference=body.get("reference"),
    ), {}


def _sent_json(
    component: NotifyComponent,
    kind: str,
    body: dict[str, Any],
    accepted: Accepted,
    policy: ServicePolicy,
    sanitised: dict[str, Any],
) -> dict[str, Any]:
    filled, template = accepted.filled, accepted.template
    assert filled is not None and template is not None  # templated notifications have both
    if kind == "email":
        sent_content: dict[str, Any] = {
            "subject": filled.subject,
            "body": filled.body,
            "from_email": component.sender.from_email(policy),
            "one_click_unsubscribe_url": body.get("one_click_unsubscribe_url"),
        }
    elif kind == "sms":
        sent_content = {"body": filled.body, "from_number": accepted.reply_to or policy.sms_sender}
    else:
        sent_content = {"body": filled.body, "subject": filled.subject}
    response = {
        "id": str(accepted.id),
        "reference": body.get("reference"),
        "uri": f"{component.base_url}/v2/notifications/{accepted.id}",
        "template": schemas.template_ref(template, component.base_url),
        "scheduled_for": None,
        "content": sent_content,
    }
    if kind == "email":
        response["sanitised_content"] = sanitised
    return response


async def _send(request: Request, kind: str) -> JSONResponse:
    # Notify's order (post_notification): authenticate, validate, rate limit, daily limit, template,
    # recipient, then the international daily limit. The first part only reads, so no write lock is held
    # while the rate limit takes its token in a short transaction of its own.
    component = component_of(request)
    async with component.uow(read_only=True) as uow:
        key = await authenticated_key(request, uow)
        body = await _json_body(request)
        precompiled = kind == "letter" and isinstance(body, dict) and "content" in body
        schema = {"email": schemas.POST_EMAIL, "sms": schemas.POST_SMS, "letter": schemas.POST_LETTER}[kind]
        schemas.validate(body, schemas.POST_PRECOMPILED_LETTER if precompiled else schema)
        assert isinstance(body, dict)  # the schema says it is an object
        send_request, sanitised = _send_request(kind, body) if not precompiled else (None, {})
        policy = await settings.policy_for(uow, key.service.id, key.service.name)
    service_id, limits = key.service.id, component.limits
    await limits.check_rate(service_id, key.key_type, policy)
    # A precompiled letter's PDF is read in a separate process before the write transaction, so no
    # lock waits on it (issue 13); its outcome is reported in Notify's order, inside.
    checked = await component.sender.check_precompiled(body["content"]) if send_request is None else None
    async with component.uow() as uow:
        await limits.check_daily(uow, service_id, key.key_type, policy, kind)
        if send_request is None:
            letter = await component.sender.accept_precompiled(
                uow, key, policy, body["reference"], body["content"], body.get("postage"), checked
            )
            await limits.record(uow, service_id, key.key_type, kind, international=False)
            await uow.commit()
            return JSONResponse(
                {"id": str(letter.id), "reference": body["reference"], "postage": letter.postage}, status_code=201
            )
        accepted = await component.sender.accept(uow, key, policy, send_request)
        if send_request.international:
            await limits.check_daily(uow, service_id, key.key_type, policy, "international_sms")
        if accepted.stored:
            await limits.record(uow, service_id, key.key_type, kind, international=send_request.international)
            await uow.commit()
    return JSONResponse(_sent_json(component, kind, body, accepted, policy, sanitised), status_code=201)


@_route("POST", "/v2/notifications/email", **openapi.send("email"))
async def send_email(request: Request) -> JSONResponse:
    return await _send(request, "email")


@_route("POST", "/v2/notifications/sms", **openapi.send("sms"))
async def send_sms(request: Request) -> JSONResponse:
    return await _send(request, "sms")


@_route("POST", "/v2/notifications/letter", **openapi.send("letter"))
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


@_route("GET", "/v2/notifications/{notification_id}", **openapi.get(openapi.NOTIFICATION, "The notification"))
async def get_notification(request: Request, notification_id: str) -> JSONResponse:
    component = component_of(request)
    async with component.uow(read_only=True) as uow:
        row = await notification_of(request, uow, notification_id)
        return JSONResponse(await _notification_json(component, row, _Templates(uow, row.service_id)))


@_route(
    "GET",
    "/v2/notifications",
    **openapi.listing(openapi.NOTIFICATIONS, schemas.GET_NOTIFICATIONS, "Newest first", ("status", "template_type")),
)
async def list_notifications(request: Request) -> JSONResponse:
    component = component_of(request)
    async with component.uow(read_only=True) as uow:
        key = await authenticated_key(request, uow)
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


@_route("GET", "/v2/template/{template_id}", **openapi.get(openapi.TEMPLATE, "The latest version"))
async def get_template(request: Request, template_id: str) -> JSONResponse:
    return await _template(request, template_id, None)


@_route("GET", "/v2/template/{template_id}/version/{version}", **openapi.get(openapi.TEMPLATE, "That version"))
async def get_template_version(request: Request, template_id: str, version: str) -> JSONResponse:
    return await _template(request, template_id, version)


async def _template(request: Request, template_id: str, version: str | None) -> JSONResponse:
    component = component_of(request)
    async with component.uow(read_only=True) as uow:
        key = await authenticated_key(request, uow)
        wanted = parse_uuid(template_id, "id")
        if version is not None and not (version.isdigit() and len(version) < 10):
            raise no_result()  # Notify's route takes only an integer version: anything else is not found
        template = await templates.get_template(uow, key.service.id, wanted, int(version) if version else None)
        if template is None:
            raise no_result()
    return JSONResponse(schemas.template_json(template))


@_route("GET", "/v2/templates", **openapi.listing(openapi.TEMPLATES, schemas.GET_TEMPLATES, "Every template"))
async def list_templates(request: Request) -> JSONResponse:
    component = component_of(request)
    async with component.uow(read_only=True) as uow:
        key = await authenticated_key(request, uow)
        query = _query(request)
        schemas.validate(query, schemas.GET_TEMPLATES)
        found = await templates.list_templates(uow, key.service.id, query.get("type"))
    return JSONResponse({"templates": [schemas.template_json(template) for template in found]})


@_route("POST", "/v2/template/{template_id}/preview", **openapi.preview())
async def preview_template(request: Request, template_id: str) -> JSONResponse:
    component = component_of(request)
    async with component.uow(read_only=True) as uow:
        key = await authenticated_key(request, uow)
        wanted = parse_uuid(template_id, "id")
        body = await _json_body(request)
        schemas.validate(body, schemas.POST_TEMPLATE_PREVIEW)
        assert isinstance(body, dict)
        template = await templates.get_template(uow, key.service.id, wanted)
        if template is None:
            raise no_result()
        policy = await settings.policy_for(uow, key.service.id, key.service.name)
    filled = content.fill(template, body.get("personalisation") or {}, sms_prefix=policy.sms_prefix, with_parts=True)
    return JSONResponse(schemas.preview_json(template, filled))
