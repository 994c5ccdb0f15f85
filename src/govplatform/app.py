"""The composition root: builds the platform and the web app with every component plugged in.

It sits outside the components because it is the one place that knows them
all. Each component registers here: its services, routers, error format,
public routes, key formats, templates, tasks and background loops.
"""

from __future__ import annotations

from fastapi import FastAPI

from govplatform.core.platform import Platform, build_platform
from govplatform.core.settings import Settings, SettingsError, load_settings
from govplatform.core.web.app import create_app
from govplatform.transparency import api as transparency_api
from govplatform.transparency import pages as transparency_pages
from govplatform.transparency import uses_api as transparency_uses_api
from govplatform.transparency.note import KeyFormatError
from govplatform.transparency.services.log import TransparencyService, signer_keys


def transparency_service(platform: Platform) -> TransparencyService:
    settings = platform.settings
    origin = settings.resolved_transparency_origin
    try:
        signers = signer_keys(origin, settings.transparency_signing_keys, settings.transparency_signing_seed)
    except (KeyFormatError, ValueError) as error:
        raise SettingsError(f"Setting GOVPLATFORM_TRANSPARENCY_SIGNING_KEYS is not valid: {error}") from None
    return TransparencyService(
        origin, signers, settings.transparency_subject_secret, settings.transparency_batch_size, platform.uow
    )


def register_components(platform: Platform) -> None:
    """Build each component's services and register its tasks and background loops on the platform."""
    if "transparency" in platform.components:
        return
    log = transparency_service(platform)
    platform.components["transparency"] = log
    delay = platform.settings.transparency_integration_delay_seconds
    platform.background_loops.append(lambda stop: log.run_sequencer(stop, delay))


def build_app(settings: Settings, platform: Platform | None = None) -> FastAPI:
    platform = platform or build_platform(settings)
    register_components(platform)
    app = create_app(platform)
    app.state.transparency = platform.components["transparency"]
    app.state.error_formats.register("/transparency/", transparency_api.error_body)
    for method, path in transparency_api.PUBLIC_ROUTES + transparency_pages.PUBLIC_ROUTES:
        app.state.public_routes.add(method, path)
    app.state.templates.add_folder(transparency_pages.TEMPLATES)
    app.include_router(transparency_api.router)
    app.include_router(transparency_uses_api.router)
    app.include_router(transparency_pages.router)
    return app


def app_factory() -> FastAPI:
    """Entry point for uvicorn (`govplatform.app:app_factory`), one per web process."""
    from govplatform.core.observability import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    return build_app(settings)
