"""The composition root: builds the platform and the web app with every component plugged in.

It sits outside the components because it is the one place that knows them
all. Each component registers here: its services, routers, error format,
public routes, key formats, templates, tasks and background loops.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from govplatform.core.outbound import OutboundGuard
from govplatform.core.platform import Platform, build_platform
from govplatform.core.rate_windows import LocalWindows, RedisWindows, Windows
from govplatform.core.services.staff import ServiceDirectory
from govplatform.core.settings import Settings, SettingsError, load_settings
from govplatform.core.web.app import CachedStatic, create_app
from govplatform.core.web.middleware import LargerBody
from govplatform.core.web.routing import install_route_index
from govplatform.examples import parking_shop
from govplatform.exchange import admin_pages as exchange_admin_pages
from govplatform.exchange import api as exchange_api
from govplatform.exchange import draft_pages as exchange_draft_pages
from govplatform.exchange import pages as exchange_pages
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.component import declare_admin as declare_exchange_admin
from govplatform.exchange.records_check import RecordsDocumentCheck
from govplatform.exchange.schedule import ExchangeSchedule
from govplatform.identity import api as identity_api
from govplatform.identity import discovery as identity_discovery
from govplatform.identity import pages as identity_pages
from govplatform.identity.component import IdentityComponent
from govplatform.identity.component import declare_admin as declare_identity_admin
from govplatform.identity.errors import OAuthError
from govplatform.identity.interfaces import PROVING_SERVICE_ID, add_document_check
from govplatform.identity.schedule import IdentitySchedule
from govplatform.identity.tasks import IdentityTasks
from govplatform.notify import api as notify_api
from govplatform.notify import inbound_api as notify_inbound_api
from govplatform.notify import letters_api as notify_letters_api
from govplatform.notify.auth import NotifyAuthError
from govplatform.notify.auth import error_body as notify_error_body
from govplatform.notify.component import NotifyComponent
from govplatform.notify.component import declare_admin as declare_notify_admin
from govplatform.notify.errors import NotifyError
from govplatform.notify.keys import NotifyKeyFormat
from govplatform.notify.pages import PAGES_TEMPLATES as NOTIFY_PAGES_TEMPLATES
from govplatform.notify.pages import bulk as notify_bulk_pages
from govplatform.notify.pages import router as notify_pages_router
from govplatform.notify.providers.base import EmailProvider, TextProvider
from govplatform.notify.providers.email_sandbox import SandboxEmailProvider
from govplatform.notify.providers.email_smtp import SmtpEmailProvider
from govplatform.notify.providers.sms_firetext import FiretextProvider
from govplatform.notify.providers.sms_sandbox import SandboxTextProvider
from govplatform.notify.schedule import Schedule
from govplatform.notify.services.callbacks import CallbackPolicy
from govplatform.notify.services.limits import SendingLimits
from govplatform.notify.services.limits.database import DatabaseDailyCounts, DatabaseTokenBuckets
from govplatform.notify.services.limits.redis_store import RedisLimitStore, redis_client
from govplatform.notify.services.platform_messages import PlatformMessages
from govplatform.notify.services.sending import Sender
from govplatform.notify.services.templates import TemplateCatalogue
from govplatform.notify.services.uploads import UploadStore
from govplatform.notify.tasks import DeliveryTasks
from govplatform.pay import agreements_api as pay_agreements_api
from govplatform.pay import api as pay_api
from govplatform.pay.api import PayAuthRefused
from govplatform.pay.component import PayComponent
from govplatform.pay.component import declare_admin as declare_pay_admin
from govplatform.pay.errors import PayError
from govplatform.pay.errors import error_body as pay_error_body
from govplatform.pay.keys import PayKeyFormat
from govplatform.pay.pages import PUBLIC_ROUTES as PAY_PUBLIC_ROUTES
from govplatform.pay.pages import TEMPLATES as PAY_TEMPLATES
from govplatform.pay.pages import router as pay_pages_router
from govplatform.pay.processors.base import CardProcessor
from govplatform.pay.processors.sandbox import SandboxProcessor
from govplatform.pay.processors.stripe import StripeProcessor
from govplatform.pay.schedule import PaySchedule
from govplatform.pay.services.checkout import Checkout
from govplatform.pay.services.public_limits import DatabaseCounts, PublicLimiter, PublicLimits, RedisCounts
from govplatform.pay.services.rate_limits import Limits, RateLimiter
from govplatform.pay.tasks import PayTasks
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


def email_provider(settings: Settings) -> EmailProvider:
    if settings.notify_email_provider == "smtp":
        return SmtpEmailProvider(
            settings.notify_smtp_host,
            settings.notify_smtp_port,
            username=settings.notify_smtp_username or None,
            password=settings.notify_smtp_password or None,
            tls=settings.notify_smtp_tls,
            timeout=settings.notify_smtp_timeout_seconds,
            pool_size=settings.notify_smtp_pool_size,
        )
    return SandboxEmailProvider(settings.var_dir / "notify" / "email")


def text_provider(settings: Settings) -> TextProvider:
    if settings.notify_sms_provider == "firetext":
        if not settings.notify_firetext_api_key:
            raise SettingsError(
                "Setting GOVPLATFORM_NOTIFY_FIRETEXT_API_KEY is needed when the SMS provider is firetext"
            )
        return FiretextProvider(
            settings.notify_firetext_api_key,
            settings.notify_firetext_url,
            international_api_key=settings.notify_firetext_international_api_key or None,
        )
    return SandboxTextProvider(settings.var_dir / "notify" / "sms.jsonl")


def sending_limits(platform: Platform) -> SendingLimits:
    """Notify's rate and daily limits, in Redis when GOVPLATFORM_REDIS_URL is set, else in the database."""
    if platform.settings.redis_url:
        store = RedisLimitStore(redis_client(platform.settings.redis_url))
        return SendingLimits(store, store)
    return SendingLimits(DatabaseTokenBuckets(platform.uow), DatabaseDailyCounts())


def notify_component(platform: Platform, outbound: OutboundGuard | None = None) -> NotifyComponent:
    settings = platform.settings
    directory = ServiceDirectory()
    return NotifyComponent(
        uow=platform.uow,
        keys=platform.keys,
        box=platform.cipher,
        team=directory,
        sender=Sender(platform.cipher, directory, settings.resolved_notify_email_domain),
        base_url=settings.base_url.rstrip("/"),
        email_provider=email_provider(settings),
        text_provider=text_provider(settings),
        limits=sending_limits(platform),
        provider_callback_secret=settings.notify_provider_callback_secret,
        callback_policy=CallbackPolicy(
            retries=settings.notify_callback_retries,
            retry_seconds=settings.notify_callback_retry_seconds,
        ),
        outbound=outbound or OutboundGuard.from_settings(settings),
        delivery_attempts=settings.notify_delivery_attempts,
        delivery_retry_seconds=settings.notify_delivery_retry_seconds,
        email_batch_size=settings.notify_email_batch_size,
    )


def _windows(settings: Settings, prefix: str) -> Windows:
    """Core's one-second windows for a machine API's rate limits: shared in Redis when set, else per process."""
    return RedisWindows(redis_client(settings.redis_url), prefix) if settings.redis_url else LocalWindows()


def pay_component(platform: Platform, outbound: OutboundGuard | None = None) -> PayComponent:
    settings = platform.settings
    processors: dict[str, CardProcessor] = {"sandbox": SandboxProcessor()}
    if settings.pay_stripe_api_key:  # live keys reach Stripe when GOVPLATFORM_PAY_LIVE_PROCESSOR=stripe
        processors["stripe"] = StripeProcessor(settings.pay_stripe_api_key, settings.pay_stripe_api_base or None)
    windows = _windows(settings, "govplatform:pay:rate")
    limits = Limits(
        create_payment=settings.pay_rate_limit_create_per_second,
        capture=settings.pay_rate_limit_capture_per_second,
        other_post=settings.pay_rate_limit_post_per_second,
        get=settings.pay_rate_limit_get_per_second,
    )
    return PayComponent(
        uow=platform.uow,
        box=platform.cipher,
        keys=platform.keys,
        key_format=platform.key_formats["pay"],
        processors=processors,
        base_url=settings.base_url.rstrip("/"),
        live_processor=settings.pay_live_processor,
        outbound=outbound or OutboundGuard.from_settings(settings),
        rate_limiter=RateLimiter(windows, limits),
        public_limiter=PublicLimiter(
            RedisCounts(redis_client(settings.redis_url)) if settings.redis_url else DatabaseCounts(platform.uow),
            PublicLimits(
                per_address=settings.pay_link_payments_per_address_per_minute,
                per_link=settings.pay_link_payments_per_link_per_minute,
            ),
            settings.api_key_hash_secret,
        ),
        directory=ServiceDirectory(),
    )


def identity_component(platform: Platform, outbound: OutboundGuard) -> IdentityComponent:
    settings = platform.settings
    return IdentityComponent(
        uow=platform.uow,
        box=platform.cipher,
        throttle=platform.throttle,
        hash_secret=settings.api_key_hash_secret,
        base_url=settings.base_url.rstrip("/"),
        directory=ServiceDirectory(),
        outbound=outbound,
        secure_cookies=settings.secure_cookies,
        messages=platform.messages,
        factor_recovery_wait_seconds=settings.identity_factor_recovery_wait_seconds,
        log=platform.components["transparency"],
    )


def register_components(platform: Platform) -> None:
    """Build each component's services and register its tasks and background loops on the platform."""
    if "transparency" in platform.components:
        return
    log = transparency_service(platform)
    platform.components["transparency"] = log
    delay = platform.settings.transparency_integration_delay_seconds
    platform.background_loops.append(lambda stop: log.run_sequencer(stop, delay))
    platform.add_key_format(NotifyKeyFormat(platform.cipher))
    platform.add_key_format(PayKeyFormat(platform.settings.api_key_hash_secret))
    # One guard for every URL a tenant or partner supplies (docs/adr/0010-outbound-guard.md).
    outbound = OutboundGuard.from_settings(platform.settings)
    notify = notify_component(platform, outbound)
    platform.components["notify"] = notify
    platform.messages = PlatformMessages(notify.sender, notify.team)  # core's Messages, for every component
    platform.components["notify.templates"] = TemplateCatalogue()  # notify/interfaces.py's, for higher components
    DeliveryTasks(notify).register(platform.tasks.register, platform.tasks.register_batch)
    schedule = Schedule(
        notify,
        platform.settings.notify_letters_dir or platform.settings.var_dir / "notify" / "letters",
        platform.settings.notify_housekeeping_interval_seconds,
    )
    platform.background_loops.append(schedule.run)
    declare_notify_admin(platform.admin)  # its panel, section and audit names in core's admin pages (ADR 0016)
    pay = pay_component(platform, outbound)
    platform.components["pay"] = pay
    platform.components["pay.journeys"] = Checkout(pay)  # pay/interfaces.py's, for higher components
    PayTasks(pay).register(platform.tasks.register)
    identity = identity_component(platform, outbound)
    platform.components["identity"] = identity
    platform.background_loops.append(IdentitySchedule(identity).run)
    IdentityTasks(identity).register(platform.tasks.register)
    platform.background_loops.append(PaySchedule(pay, platform.settings.pay_housekeeping_interval_seconds).run)
    declare_pay_admin(platform.admin)
    declare_identity_admin(platform.admin)
    exchange = ExchangeComponent(
        uow=platform.uow,
        box=platform.cipher,
        base_url=platform.settings.base_url.rstrip("/"),
        hash_secret=platform.settings.api_key_hash_secret,
        log=platform.components["transparency"],
        windows=_windows(platform.settings, "govplatform:exchange:rate"),
        queries_per_second=platform.settings.exchange_queries_per_second,
        notices=platform.notices,
        outbound=identity.outbound,
        provider_seconds=platform.settings.exchange_provider_seconds,
    )
    platform.components["exchange"] = exchange
    # Proofing looks documents up in other bodies' records while an agreement lets it (exchange/records_check.py).
    add_document_check(identity, RecordsDocumentCheck(exchange, identity.directory, PROVING_SERVICE_ID))
    platform.background_loops.append(ExchangeSchedule(platform.uow).run)
    declare_exchange_admin(platform.admin)


def build_app(settings: Settings, platform: Platform | None = None) -> FastAPI:
    platform = platform or build_platform(settings)
    register_components(platform)
    app = create_app(platform)
    app.state.transparency = platform.components["transparency"]
    app.state.error_formats.register("/transparency/", transparency_api.error_body)
    for method, path in transparency_api.PUBLIC_ROUTES + transparency_pages.PUBLIC_ROUTES:
        app.state.public_routes.add(method, path)
    app.state.templates.add_folder(transparency_pages.TEMPLATES)
    app.state.templates.add_folder(NOTIFY_PAGES_TEMPLATES)
    app.state.notify = platform.components["notify"]
    app.state.notify_uploads = UploadStore(settings.var_dir / "notify" / "uploads", app.state.notify.box)
    app.state.larger_bodies.append(
        LargerBody(notify_bulk_pages.UPLOAD_PATH, notify_bulk_pages.UPLOAD_BODY_BYTES, notify_bulk_pages.TOO_LARGE)
    )
    app.state.error_formats.register("/v2/", notify_error_body)
    app.add_exception_handler(NotifyError, _notify_error)
    app.add_exception_handler(NotifyAuthError, _notify_auth_error)
    app.include_router(notify_api.router)
    app.include_router(notify_inbound_api.router)
    app.include_router(notify_letters_api.router)
    # Gateways are machines: their routes' errors are JSON in Notify's envelope, never pages.
    app.state.error_formats.register(notify_inbound_api.GATEWAY_PREFIX, notify_error_body)
    for method, path in notify_inbound_api.PUBLIC_ROUTES:
        app.state.public_routes.add(method, path)
    app.state.pay = platform.components["pay"]
    app.state.service_directory = ServiceDirectory()  # the pay admin pages' names of services
    app.state.error_formats.register("/v1/", pay_error_body)
    app.add_exception_handler(PayError, _pay_error)
    app.add_exception_handler(PayAuthRefused, _pay_auth_refused)
    app.include_router(pay_api.router)
    app.include_router(pay_agreements_api.router)
    app.state.templates.add_folder(PAY_TEMPLATES)
    for method, path in PAY_PUBLIC_ROUTES:
        app.state.public_routes.add(method, path)
    app.include_router(pay_pages_router)
    register_identity(app, platform)
    register_exchange(app, platform)
    app.state.templates.add_folder(parking_shop.TEMPLATES)
    for method, path in parking_shop.PUBLIC_ROUTES:
        app.state.public_routes.add(method, path)
    app.include_router(parking_shop.router)
    app.include_router(transparency_api.router)
    app.include_router(transparency_uses_api.router)
    app.include_router(transparency_pages.router)
    app.include_router(notify_pages_router)
    install_route_index(app)  # last: it indexes the routes added above
    return app


def register_identity(app: FastAPI, platform: Platform) -> None:
    """The OpenID Connect provider's routes, pages and error format (One Login's: `error`, `error_description`)."""
    app.state.identity = platform.components["identity"]
    for prefix in identity_api.OAUTH_PREFIXES:
        app.state.error_formats.register(prefix, identity_api.error_body)
    app.add_exception_handler(OAuthError, _oauth_error)
    app.state.templates.add_folder(identity_pages.TEMPLATES)
    app.mount("/static/identity", CachedStatic(directory=identity_pages.STATIC), name="identity-static")
    for module in (identity_discovery, identity_api, identity_pages):
        for method, path in module.PUBLIC_ROUTES:
            app.state.public_routes.add(method, path)
        app.include_router(module.router)


def register_exchange(app: FastAPI, platform: Platform) -> None:
    """The exchange's directory and data items (errors as `{"error", "message"}`), and its public register."""
    app.state.exchange = platform.components["exchange"]
    for path in (exchange_api.DIRECTORY, exchange_api.DATA_ITEMS, exchange_api.API):
        app.state.error_formats.register(path, exchange_api.error_body)
    for method, path in exchange_api.PUBLIC_ROUTES + exchange_pages.PUBLIC_ROUTES:
        app.state.public_routes.add(method, path)
    app.state.templates.add_folder(exchange_pages.TEMPLATES)
    app.include_router(exchange_api.router)
    app.include_router(exchange_pages.router)
    app.include_router(exchange_draft_pages.router)  # before admin_pages: /new is not an agreement's ID
    app.include_router(exchange_admin_pages.router)


async def _oauth_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, OAuthError)
    return JSONResponse(error.body(), status_code=error.status_code, headers=error.headers)


async def _notify_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, NotifyError)
    return JSONResponse(error.body(), status_code=error.status_code)


async def _notify_auth_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, NotifyAuthError)
    return JSONResponse(notify_error_body(error.status_code, "AuthError", error.message), status_code=error.status_code)


async def _pay_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, PayError)
    return JSONResponse(error.body(), status_code=error.status_code)


async def _pay_auth_refused(_request: Request, _error: Exception) -> Response:
    return Response(status_code=401)


def app_factory() -> FastAPI:
    """Entry point for uvicorn (`govplatform.app:app_factory`), one per web process."""
    from govplatform.core.observability import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    return build_app(settings)
