"""POST /api/transparency/v1/data-uses: a service's own systems record a use of personal data.

Services whose case systems live outside the platform still use citizens'
data; this lets them put each use in the same public log, with a platform API
key. The organisation and service come from the key, never from the body.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError, field_validator

from govplatform.core.interfaces import (
    AuthenticatedKey,
    JsonBodyError,
    PlatformKeyAuth,
    UnitOfWork,
    ValueRefused,
    parse_json_body,
    utcnow,
)
from govplatform.transparency import openapi
from govplatform.transparency.interfaces import DataUse
from govplatform.transparency.merkle import leaf_hash
from govplatform.transparency.services import entries
from govplatform.transparency.services.log import TransparencyService

router = APIRouter(prefix="/api/transparency/v1", tags=["transparency"])


class DataUseIn(BaseModel):
    data_items: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(min_length=1, max_length=50)
    subject: str = Field(min_length=1, max_length=200, description="Your identifier for the person; never logged")
    purpose: str = Field(min_length=1, max_length=500)
    legal_basis: str = Field(min_length=1, max_length=500)
    occurred_at: dt.datetime | None = Field(default=None, description="When the data was used (default: now)")

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a time zone, for example 2026-11-26T10:00:00Z")
        return value


class DataUseAccepted(BaseModel):
    status: str = "accepted"
    leaf_hash: str = Field(description="base64 SHA-256 leaf hash of the entry, to find it in the log")


@router.post(
    "/data-uses",
    status_code=202,
    response_model=DataUseAccepted,
    summary="Record a use of personal data",
    responses={
        400: {"description": "A body that is not a data use", **openapi.ERROR_CONTENT},
        401: {"description": "No platform API key, or not a valid one", **openapi.ERROR_CONTENT},
        "4XX": {"description": "Another client error", **openapi.ERROR_CONTENT},
    },
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": DataUseIn.model_json_schema()}}}
    },
)
async def record_data_use(request: Request) -> JSONResponse:
    log: TransparencyService = request.app.state.transparency
    auth: PlatformKeyAuth = request.app.state.platform_key_auth
    async with log.new_uow() as uow:
        # The key is checked first (a caller without one learns nothing about the body's rules),
        # and the check and the append share one transaction: one BEGIN and one COMMIT.
        key = await auth(request, request.headers.get("authorization"), uow)
        body = await _body(request)
        accepted = await _append(log, uow, key, body)
        if isinstance(accepted, DataUseAccepted):
            await uow.commit()
    if isinstance(accepted, JSONResponse):
        return accepted
    return JSONResponse(accepted.model_dump(), status_code=202)


async def _body(request: Request) -> DataUseIn:
    try:
        payload = parse_json_body(await request.body())
    except JsonBodyError as refused:
        where = ("body", *refused.where) if isinstance(refused, ValueRefused) else ("body",)
        raise RequestValidationError([{"loc": where, "msg": refused.message, "type": "json"}]) from None
    try:
        return DataUseIn.model_validate(payload)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None


async def _append(
    log: TransparencyService, uow: UnitOfWork, key: AuthenticatedKey, body: DataUseIn
) -> DataUseAccepted | JSONResponse:
    use = DataUse(
        organisation_id=key.service.organisation_id,
        organisation_name=key.service.organisation_name,
        service_id=key.service.id,
        service_name=key.service.name,
        data_items=tuple(body.data_items),
        subject=body.subject,
        purpose=body.purpose,
        legal_basis=body.legal_basis,
        occurred_at=body.occurred_at or utcnow(),
    )
    try:
        data, _ = entries.entry_bytes(use, log.subject_secret)
    except entries.EntryError as error:
        return JSONResponse(
            {"status_code": 400, "errors": [{"error": "BadRequestError", "message": str(error)}]}, status_code=400
        )
    await log.append(uow, data, log.pseudonym(body.subject))
    return DataUseAccepted(leaf_hash=base64.b64encode(leaf_hash(data)).decode())
