"""The exchange's public pages: the register of data-sharing agreements (HTML, and its JSON and CSV)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from govplatform.core.interfaces import PageRenderer
from govplatform.exchange import register
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.services import agreements

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent / "templates"
REGISTER = "/exchange/register"
PUBLIC_ROUTES = [("GET", REGISTER), ("GET", REGISTER + ".json"), ("GET", REGISTER + ".csv")]


async def _entries(request: Request) -> list[dict[str, object]]:
    exchange: ExchangeComponent = request.app.state.exchange
    async with exchange.uow(read_only=True) as uow:
        found = await agreements.list_agreements(uow, public_only=True)
    return [register.entry(view) for view in found]


@router.get(REGISTER)
async def register_page(request: Request) -> Response:
    templates: PageRenderer = request.app.state.templates
    page: Response = templates.render(request, "exchange/register.html", {"agreements": await _entries(request)})
    return page


@router.get(REGISTER + ".json")
async def register_json(request: Request) -> Response:
    return JSONResponse({"agreements": await _entries(request)})


@router.get(REGISTER + ".csv")
async def register_csv(request: Request) -> Response:
    body = register.as_csv(await _entries(request))
    headers = {"Content-Disposition": 'attachment; filename="data-sharing-agreements.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
