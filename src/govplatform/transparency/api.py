"""The log's HTTP face: checkpoint, verifier keys, tiles and bundles, proofs, entries, receipts.

Paths follow c2sp.org/tlog-tiles under /transparency, so standard tools
(Go's tlog clients, witnesses) can read the log; proofs and receipts are
conveniences on top for people and services without a tile client.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from govplatform.core.interfaces import UnitOfWork
from govplatform.transparency import openapi
from govplatform.transparency.services.log import LogRequestError, NotFoundInLog, TransparencyService
from govplatform.transparency.services.store import LogCorrupted
from govplatform.transparency.tiles import EntryBundle, TilePathError, parse_tile_path

router = APIRouter(prefix="/transparency", tags=["transparency"])
T = TypeVar("T")
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=5"
MAX_INDEX = 2**63 - 1


def error_body(status: int, error: str, message: str) -> dict[str, Any]:
    return {"status_code": status, "errors": [{"error": error, "message": message}]}


def service_of(request: Request) -> TransparencyService:
    service: TransparencyService = request.app.state.transparency
    return service


def _refuse(error: Exception) -> HTTPException:
    if isinstance(error, LogCorrupted):
        return HTTPException(500, "The log's storage is damaged; its operator has been told")
    status = 404 if isinstance(error, NotFoundInLog) else 400
    return HTTPException(status, str(error))


async def _read(request: Request, action: Callable[[TransparencyService, UnitOfWork], Awaitable[T]]) -> T:
    """Run one read against the log in a read-only unit of work; log errors become 4xx (or 500)."""
    service = service_of(request)
    async with service.new_uow(read_only=True) as uow:
        try:
            return await action(service, uow)
        except (LogRequestError, LogCorrupted) as error:
            raise _refuse(error) from None


@router.get(
    "/checkpoint",
    summary="The latest signed checkpoint (c2sp.org/tlog-checkpoint)",
    **openapi.answer(openapi.TEXT, {"type": "string"}, "A signed note"),
)
async def checkpoint(request: Request) -> Response:
    latest = await _read(request, lambda log, uow: log.latest_checkpoint(uow))
    if latest is None:
        raise HTTPException(404, "The log has not published a checkpoint yet")
    return Response(latest.signed_note, media_type="text/plain; charset=utf-8", headers={"Cache-Control": SHORT})


@router.get(
    "/key",
    summary="The log's verifier keys, one per line, in Go's note verifier format",
    **openapi.answer(openapi.TEXT, {"type": "string"}, "Verifier keys"),
)
async def verifier_keys(request: Request) -> Response:
    keys = "".join(f"{key}\n" for key in service_of(request).verifier_keys)
    return Response(keys, media_type="text/plain; charset=utf-8", headers={"Cache-Control": SHORT})


@router.get(
    "/tile/{path:path}",
    summary="A tile or entry bundle (c2sp.org/tlog-tiles)",
    **openapi.answer("application/octet-stream", openapi.BYTES, "The tile's hashes, or the bundle's entries"),
)
async def tile(request: Request, path: str) -> Response:
    try:
        wanted = parse_tile_path(f"tile/{path}")
    except TilePathError as error:
        raise HTTPException(400, str(error)) from None
    data = await _read(request, lambda log, uow: log.tile_bytes(uow, wanted))
    headers = {"Cache-Control": IMMUTABLE if not wanted.is_partial else SHORT}
    if isinstance(wanted, EntryBundle) and "gzip" in request.headers.get("accept-encoding", ""):
        data = gzip.compress(data, compresslevel=5, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type="application/octet-stream", headers=headers)


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


@router.get(
    "/proof/inclusion",
    summary="An inclusion proof for entry `index` in the tree of `size`",
    **openapi.answer("application/json", openapi.INCLUSION, "The proof's hashes, base64"),
)
async def inclusion(
    request: Request,
    index: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    size: Annotated[int, Query(ge=1, le=MAX_INDEX)],
) -> JSONResponse:
    proof = await _read(request, lambda log, uow: log.inclusion(uow, index, size))
    return JSONResponse({"index": index, "size": size, "proof": _b64(proof)})


@router.get(
    "/proof/consistency",
    summary="A consistency proof from the tree of size `old` to size `new`",
    **openapi.answer("application/json", openapi.CONSISTENCY, "The proof's hashes, base64"),
)
async def consistency(
    request: Request,
    old: Annotated[int, Query(le=MAX_INDEX)],
    new: Annotated[int, Query(le=MAX_INDEX)],
) -> JSONResponse:
    proof = await _read(request, lambda log, uow: log.consistency(uow, old, new))
    return JSONResponse({"old": old, "new": new, "proof": _b64(proof)})


@router.get(
    "/entry/{index}",
    summary="The bytes of entry `index` (canonical JSON)",
    **openapi.answer("application/json", {"type": "object"}, "The entry as logged (RFC 8785)"),
)
async def entry(request: Request, index: int) -> Response:
    if not 0 <= index <= MAX_INDEX:
        raise HTTPException(400, "The index must be a whole number from 0")
    data = await _read(request, lambda log, uow: log.entry(uow, index))
    return Response(data, media_type="application/json", headers={"Cache-Control": IMMUTABLE})


@router.get(
    "/receipt/{index}",
    summary="A receipt for entry `index` (c2sp.org/tlog-proof@v1)",
    **openapi.answer(openapi.TEXT, {"type": "string"}, "The receipt"),
)
async def receipt(request: Request, index: int) -> Response:
    if not 0 <= index <= MAX_INDEX:
        raise HTTPException(400, "The index must be a whole number from 0")
    text = await _read(request, lambda log, uow: log.receipt(uow, index))
    return Response(
        text,
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="entry-{index}.tlog-proof"'},
    )


PUBLIC_ROUTES = [
    ("GET", "/transparency/checkpoint"),
    ("GET", "/transparency/key"),
    ("GET", "/transparency/tile/{path:path}"),
    ("GET", "/transparency/proof/inclusion"),
    ("GET", "/transparency/proof/consistency"),
    ("GET", "/transparency/entry/{index}"),
    ("GET", "/transparency/receipt/{index}"),
]
