"""The web app factory: one FastAPI app with the shell, into which components plug routes.

`create_app(platform)` wires middleware, error handling, static assets and the
core routes; the composition root (`govplatform.app`) then adds each
component's routers, error formats and template folders before serving.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from govplatform.core import untrusted
from govplatform.core.jobs.worker import Worker, sqlite_worker_lock
from govplatform.core.platform import Platform
from govplatform.core.settings import SettingsError
from govplatform.core.web import i18n
from govplatform.core.web.access import PublicRoutes
from govplatform.core.web.errors import (
    ErrorFormats,
    install_error_handlers,
    middleware_error_responder,
    platform_error_body,
)
from govplatform.core.web.input_rules import InputRulesMiddleware
from govplatform.core.web.middleware import (
    LargerBody,
    ProtectionMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from govplatform.core.web.templating import Templates

log = structlog.get_logger("govplatform.web")
CORE_STATIC = Path(__file__).resolve().parent.parent / "static"


class CachedStatic(StaticFiles):
    """Static assets may be cached for a day; they change only with an upgrade."""

    def file_response(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response


@contextlib.asynccontextmanager
async def embedded_worker(platform: Platform) -> AsyncIterator[None]:
    """A job worker inside the web process; on SQLite only the process holding the lock runs one."""
    lock = sqlite_worker_lock(platform.settings) if platform.settings.is_sqlite else None
    if platform.settings.is_sqlite and lock is None:
        log.info("worker.not_started", reason="another process runs the SQLite worker")
        yield
        return
    stop = asyncio.Event()
    worker = Worker(platform.sessions, platform.tasks, platform.settings, background_loops=platform.background_loops)
    task = asyncio.create_task(worker.run(stop))
    try:
        yield
    finally:
        stop.set()
        await task
        if lock is not None:
            lock.close()


def create_app(platform: Platform) -> FastAPI:
    settings = platform.settings
    frontend = settings.frontend_dir.resolve()
    if not (frontend / "govuk-frontend.min.css").exists():
        raise SettingsError(f"Setting GOVPLATFORM_FRONTEND_DIR: GOV.UK Frontend is not at {frontend} (run `npm ci`)")
    i18n.load_catalogues()
    reload = settings.environment == "development" if settings.template_reload is None else settings.template_reload
    templates = Templates(settings.platform_name, settings.session_secret, auto_reload=reload)
    # Every page of a service shows its sections, as the components declared them (layout.html, ADR 0016).
    templates.env.globals["service_sections"] = platform.admin.navigation_for
    formats = ErrorFormats()
    formats.register("/api/", platform_error_body)
    larger_bodies: list[LargerBody] = []  # upload forms that components register, each with its own limit

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Started now, with every component's parsers imported, so the first upload does not wait for it.
        await untrusted.start_parser_server()
        # Kept API keys are served only while this process hears other processes' revocations (ADR 0015).
        await platform.notices.start()
        async with contextlib.AsyncExitStack() as stack:
            if settings.embedded_worker:
                await stack.enter_async_context(embedded_worker(platform))
            yield
        await platform.dispose()

    app = FastAPI(
        title=f"{settings.platform_name} platform API",
        version="1",
        lifespan=lifespan,
        # The Swagger and ReDoc pages load their scripts from a CDN, which the CSP forbids
        # and closed networks cannot reach; the OpenAPI document itself is served.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.platform = platform
    app.state.templates = templates
    app.state.error_formats = formats
    app.state.larger_bodies = larger_bodies
    app.state.public_routes = PublicRoutes()
    install_error_handlers(app, templates, formats)

    # Outermost first: context (request id, language) wraps headers wraps protection wraps the input rules,
    # which read the body that protection has already buffered.
    app.add_middleware(InputRulesMiddleware, error_responder=middleware_error_responder(templates, formats))
    app.add_middleware(
        ProtectionMiddleware,
        secret=settings.session_secret,
        max_body_bytes=settings.max_body_bytes,
        error_responder=middleware_error_responder(templates, formats),
        secure_cookies=settings.secure_cookies,
        larger_bodies=larger_bodies,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)

    app.mount("/assets", CachedStatic(directory=frontend / "assets"), name="assets")
    app.mount("/static/govuk", CachedStatic(directory=frontend), name="govuk-static")
    app.mount("/static/core", CachedStatic(directory=CORE_STATIC), name="core-static")

    from govplatform.core import api, pages
    from govplatform.core.interfaces import SignInRequired
    from govplatform.core.pages.auth import signed_in

    async def to_sign_in(request: Request, _error: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)

    app.add_exception_handler(SignInRequired, to_sign_in)
    # Components authenticate platform API keys through this, not by importing core's routes.
    app.state.platform_key_auth = api.check_platform_key
    app.state.staff_auth = signed_in
    app.include_router(api.router)
    app.include_router(pages.router)
    return app
