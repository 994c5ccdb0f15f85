"""What SMS gateways post back (receipts, inbound texts), and GET /v2/received-text-messages.

Gateways post in their own format (Firetext: a urlencoded form) to
/notifications/sms/{receipts,inbound}/{provider}. They authenticate with HTTP
Basic, the password being the platform's provider callback secret, since a
gateway cannot sign requests; the URL given to the gateway carries it
(https://gateway:SECRET@host/notifications/sms/receipts/firetext). Only the
configured provider's name is served, so a sandbox route does not exist in a
deployment that uses Firetext.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from typing import Any

import structlog
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from govplatform.core.interfaces import JsonBodyError, parse_json_body
from govplatform.notify import openapi, schemas
from govplatform.notify.component import NotifyComponent
from govplatform.notify.requests import authenticated_key, component_of
from govplatform.notify.services import inbound, receipts

router = APIRouter(tags=["notify"])
log = structlog.get_logger("govplatform.notify.gateway")
GATEWAY_PREFIX = "/notifications/sms/"
PUBLIC_ROUTES = [
    # Gateways cannot hold a platform key; these check HTTP Basic against the callback secret.
    ("POST", "/notifications/sms/receipts/{provider}"),
    ("POST", "/notifications/sms/inbound/{provider}"),
]


def _check_gateway(request: Request, provider: str) -> NotifyComponent:
    component = component_of(request)
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    password = ""
    if scheme.lower() == "basic":
        try:
            password = base64.b64decode(encoded, validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            password = ""
    secret = component.provider_callback_secret
    if not secret or not hmac.compare_digest(password.encode(), secret.encode()):
        raise HTTPException(401, "Unauthorized", headers={"WWW-Authenticate": 'Basic realm="sms-gateway"'})
    if provider != component.text_provider.name:
        raise HTTPException(404, "Not found")
    return component


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = parse_json_body(await request.body())
        except JsonBodyError as refused:
            raise HTTPException(400, refused.sentence) from None
        if not isinstance(body, dict):
            raise HTTPException(400, "The body must be a JSON object")
        return {str(key): str(value) for key, value in body.items()}
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


@router.post("/notifications/sms/receipts/{provider}", **openapi.gateway(openapi.RECEIPT_TAKEN))
async def sms_receipt(request: Request, provider: str) -> JSONResponse:
    component = _check_gateway(request, provider)
    try:
        receipt = component.text_provider.parse_receipt(await _form(request))
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    async with component.uow() as uow:
        applied = await receipts.apply_receipt(uow, component.box, provider, receipt)
        await uow.commit()
    if applied.notification_id is None:
        log.warning("notify.receipt_unknown", provider=provider)
    return JSONResponse({"result": "success", "message": f"{provider} callback succeeded"})


@router.post("/notifications/sms/inbound/{provider}", **openapi.gateway(openapi.INBOUND_TAKEN))
async def sms_inbound(request: Request, provider: str) -> JSONResponse:
    component = _check_gateway(request, provider)
    try:
        text = component.text_provider.parse_inbound(await _form(request))
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    async with component.uow() as uow:
        stored = await inbound.store_inbound(uow, component.box, provider, text)
        await uow.commit()
    if stored is None:
        log.info("notify.inbound_not_stored", provider=provider)  # no service owns the number, or a repeat
    return JSONResponse({"status": "ok"})


@router.get(
    "/v2/received-text-messages",
    **openapi.listing(openapi.RECEIVED_TEXTS, schemas.GET_RECEIVED_TEXTS, "Newest first"),
)
@router.get("/v2/received-text-messages/", include_in_schema=False)
async def received_texts(request: Request) -> JSONResponse:
    component = component_of(request)
    async with component.uow(read_only=True) as uow:
        key = await authenticated_key(request, uow)
        query = {name: request.query_params.getlist(name)[-1] for name in request.query_params}
        schemas.validate(query, schemas.GET_RECEIVED_TEXTS)
        older_than = uuid.UUID(query["older_than"]) if "older_than" in query else None
        rows = await inbound.list_inbound(uow, key.service.id, older_than)
        items: list[dict[str, Any]] = [
            {
                "id": str(row.id),
                "user_number": row.user_number,
                "notify_number": row.notify_number,
                "created_at": schemas.timestamp(row.created_at),
                "service_id": str(row.service_id),
                "content": inbound.content_of(component.box, row),
            }
            for row in rows
        ]
    path = f"{component.base_url}/v2/received-text-messages"
    links = {"current": path + (f"?older_than={query['older_than']}" if older_than else "")}
    if rows:
        links["next"] = f"{path}?older_than={rows[-1].id}"
    return JSONResponse({"received_text_messages": items, "links": links})
