"""The yardstick's own work, served by the platform's web stack: the floor under every platform endpoint.

Why this exists: every throughput target in the issues is a ratio to the
yardstick's `POST /accept` (read JSON, one INSERT, commit, 201), which runs on
a bare Starlette app with the database driver called directly. A platform
endpoint does that work and more, inside the platform's web stack (security
headers, CSRF and body-size middleware, request ids, metrics, FastAPI routing)
and its unit of work (SQLAlchemy's async session). This app adds two routes
to the real platform app that do exactly the yardstick's work and nothing
else, so that `bench/run.py --only floor-driver floor-unit-of-work` shows how
much of /accept's throughput the stack leaves before any endpoint's own work:

- `POST /bench/floor/driver`: the INSERT through the driver, as the yardstick
  does it (an asyncpg pool; on SQLite one aiosqlite connection per process).
- `POST /bench/floor/unit-of-work`: the INSERT through the platform's unit of
  work (BEGIN, INSERT, COMMIT on a pooled SQLAlchemy connection), as every
  platform endpoint that writes does it.

And three routes that each look up the presented platform key, never kept,
by one of the unit of work's three ways to the database, so that
`--only floor-key-session --only floor-key-core --only floor-key-driver`
shows what the data path (core/data_path.py) buys a read that misses the
cache: `GET /bench/floor/key-session` through the ORM session's `execute` (as
the key check did before it), `/key-core` through Core on the unit's
connection (`UnitOfWork.execute`), `/key-driver` through the driver
(`UnitOfWork.fetch_first`).

Served by uvicorn exactly as `govplatform serve` serves the platform; never
part of the platform itself (it lives in bench/ and is started only by
bench/run.py).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import bindparam, select, text

from govplatform.app import app_factory as platform_app_factory
from govplatform.core.models import ApiKey, Organisation, Service
from govplatform.core.services.api_keys import _AUTHENTICATE
from govplatform.core.unit_of_work import UnitOfWork
from govplatform.core.web import middleware
from govplatform.core.web.routing import install_route_index

INSERT = "insert into yardstick (id, body) values ({}, {})"
# The key check's statement as it was before the data path: ORM attributes, run by the session.
BY_SESSION = (
    select(
        ApiKey.id,
        ApiKey.name,
        ApiKey.key_type,
        ApiKey.component,
        ApiKey.revoked_at,
        Service.id.label("service_id"),
        Service.name.label("service_name"),
        Organisation.id.label("organisation_id"),
        Organisation.name.label("organisation_name"),
    )
    .join(Service, ApiKey.service_id == Service.id)
    .join(Organisation, Service.organisation_id == Organisation.id)
    .where(ApiKey.secret_hash == bindparam("digest"), ApiKey.component == bindparam("component"))
)


async def by_session(uow: UnitOfWork, digest: str) -> bool:
    return (await uow.session.execute(BY_SESSION, {"digest": digest, "component": "platform"})).first() is not None


async def by_core(uow: UnitOfWork, digest: str) -> bool:
    return (await uow.execute(_AUTHENTICATE.statement, {"digest": digest, "component": "platform"})).first() is not None


async def by_driver(uow: UnitOfWork, digest: str) -> bool:
    return await uow.fetch_first(_AUTHENTICATE, digest=digest, component="platform") is not None


def app_factory() -> FastAPI:
    app = platform_app_factory()
    platform = app.state.platform
    url: str = platform.settings.resolved_database_url
    state: dict[str, Any] = {}
    opening = asyncio.Lock()  # the first burst of requests must open one pool, not one each

    async def driver_insert(row_id: str, body: str) -> None:
        if "pool" not in state and "db" not in state:
            async with opening:
                await open_driver()
        if "pool" in state:
            async with state["pool"].acquire() as connection:
                await connection.execute(INSERT.format("$1", "$2"), row_id, body)
        else:
            await state["db"].execute(INSERT.format("?", "?"), (row_id, body))
            await state["db"].commit()

    async def open_driver() -> None:
        if "pool" in state or "db" in state:
            return
        if url.startswith("postgresql"):
            import asyncpg

            plain = url.replace("postgresql+asyncpg://", "postgresql://", 1)
            # The yardstick's pool, except that idle connections close after a second: the
            # unit-of-work route's own pool needs them back within PostgreSQL's 100.
            state["pool"] = await asyncpg.create_pool(
                plain, min_size=2, max_size=16, max_inactive_connection_lifetime=1.0
            )
        else:
            import aiosqlite

            db = await aiosqlite.connect(url.split(":///", 1)[1])
            await db.execute("pragma journal_mode=wal")
            await db.execute("pragma synchronous=normal")
            state["db"] = db

    async def driver(request: Request) -> Response:
        body = await request.json()
        row_id = str(uuid.uuid4())
        await driver_insert(row_id, json.dumps(body))
        return Response(json.dumps({"id": row_id}).encode(), status_code=201, media_type="application/json")

    async def unit_of_work(request: Request) -> Response:
        body = await request.json()
        row_id = str(uuid.uuid4())
        async with platform.uow() as uow:
            await uow.session.execute(text(INSERT.format(":id", ":body")), {"id": row_id, "body": json.dumps(body)})
            await uow.commit()
        return Response(json.dumps({"id": row_id}).encode(), status_code=201, media_type="application/json")

    def key_lookup(way: Any) -> Any:
        async def route(request: Request) -> Response:
            presented = request.headers.get("authorization", "").partition(" ")[2]
            digest = platform.platform_keys.lookup_hash(presented) or ""
            async with platform.uow(read_only=True) as uow:
                found = await way(uow, digest)
            return Response(b'{"found": true}' if found else b"{}", status_code=200 if found else 401)

        return route

    for name, way in [("session", by_session), ("core", by_core), ("driver", by_driver)]:
        app.add_api_route(f"/bench/floor/key-{name}", key_lookup(way), methods=["GET"], include_in_schema=False)
    app.add_api_route("/bench/floor/driver", driver, methods=["POST"], include_in_schema=False)
    app.add_api_route("/bench/floor/unit-of-work", unit_of_work, methods=["POST"], include_in_schema=False)
    # Bearer-less machine calls, like the yardstick's: exempt from CSRF in this benchmark app only (the
    # platform's own list, core/web/access.py, is fixed at import, and the floor is not the platform's).
    everywhere_else = middleware.csrf_exempt
    middleware.csrf_exempt = lambda path: path.startswith("/bench/") or everywhere_else(path)
    install_route_index(app)
    return app
