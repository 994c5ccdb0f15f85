"""The composition root: builds the platform and the web app with every component plugged in.

It sits outside the components because it is the one place that knows them
all. Components arrive here as they are built: each registers its routers,
error format, key format, templates and tasks.
"""

from __future__ import annotations

from fastapi import FastAPI

from govplatform.core.platform import Platform, build_platform
from govplatform.core.settings import Settings, load_settings
from govplatform.core.web.app import create_app


def register_components(platform: Platform) -> None:
    """Register each component's key formats and task handlers on the platform."""


def build_app(settings: Settings, platform: Platform | None = None) -> FastAPI:
    platform = platform or build_platform(settings)
    register_components(platform)
    return create_app(platform)


def app_factory() -> FastAPI:
    """Entry point for uvicorn (`govplatform.app:app_factory`), one per web process."""
    from govplatform.core.observability import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    return build_app(settings)
