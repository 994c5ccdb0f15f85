"""Core's machine routes: the platform API for key holders, health and metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from govplatform.core.interfaces import AuthenticatedKey
from govplatform.core.platform import Platform
from govplatform.core.schemas import CallingKeyOut, ErrorOut, OrganisationOut, ServiceOut, WhoAmIOut
from govplatform.core.unit_of_work import UnitOfWork

router = APIRouter()


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def platform_key(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> AuthenticatedKey:
    """Authenticates `Authorization: Bearer gpk_...`; 401 in the platform API's error format."""
    return await check_platform_key(request, authorization)


async def check_platform_key(
    request: Request, authorization: str | None, uow: UnitOfWork | None = None
) -> AuthenticatedKey:
    """The same check, optionally inside the caller's unit of work (one transaction, not two)."""
    platform = get_platform(request)
    if not authorization:
        raise HTTPException(
            401, "Provide an API key in the Authorization header: Bearer <key>", headers={"WWW-Authenticate": "Bearer"}
        )
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise HTTPException(
            401, "The Authorization header must be: Bearer <key>", headers={"WWW-Authenticate": "Bearer"}
        )
    if uow is not None:
        key = await platform.keys.find(uow, platform.platform_keys, presented.strip())
    else:
        async with platform.uow(read_only=True) as own:
            key = await platform.keys.find(own, platform.platform_keys, presented.strip())
    if key is None:
        raise HTTPException(
            401, "The API key is not valid, or it has been revoked", headers={"WWW-Authenticate": "Bearer"}
        )
    return key


@router.get(
    "/api/platform/v1/service",
    response_model=WhoAmIOut,
    # 4XX: a bad header is the web shell's 400 in this format, never FastAPI's own 422.
    responses={401: {"model": ErrorOut}, "4XX": {"model": ErrorOut}},
    tags=["platform"],
    summary="The calling key's service and organisation",
)
async def calling_service(key: Annotated[AuthenticatedKey, Depends(platform_key)]) -> WhoAmIOut:
    return WhoAmIOut(
        service=ServiceOut(
            id=key.service.id,
            name=key.service.name,
            organisation=OrganisationOut(id=key.service.organisation_id, name=key.service.organisation_name),
        ),
        key=CallingKeyOut(id=key.key_id, name=key.key_name, type=key.key_type),
    )


@router.get("/healthz", include_in_schema=False)
async def healthz(request: Request) -> JSONResponse:
    """Liveness and the database: 200 when a query answers, 503 when it does not."""
    platform = get_platform(request)
    try:
        async with platform.uow(read_only=True) as uow:
            await uow.session.execute(text("SELECT 1"))
    except Exception as error:  # any failure to reach the database is a 503, never a 500
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "error": type(error).__name__}, status_code=503
        )
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
