"""Settings for the whole platform, read once at start-up from GOVPLATFORM_* variables.

Why one object: every process (web, worker, CLI) must agree on the database, the
secrets and the limits, and a wrong value must stop the process at start-up with
one line that names the setting, not fail later in a request.

Secrets: an operator sets GOVPLATFORM_API_KEY_HASH_SECRET, GOVPLATFORM_ENCRYPTION_KEYS
and GOVPLATFORM_SESSION_SECRET in production. The embedded default (one machine,
SQLite) generates them once and keeps them in var/secrets.json, readable by the
owner only, so a restart keeps every session, key and encrypted field readable.
"""

from __future__ import annotations

import base64
import fcntl
import ipaddress
import json
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from govplatform.core.outbound import parse_allowed_hosts
from govplatform.core.private_files import make_private, open_private, private_folder

SECRET_NAMES = (
    "api_key_hash_secret",
    "encryption_keys",
    "session_secret",
    "transparency_subject_secret",
    "transparency_signing_seed",
    "notify_provider_callback_secret",
)


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVPLATFORM_", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = ""
    # Echo SQL (never in production: statements carry personal data as parameters).
    database_echo: bool = False
    platform_name: str = "GovPlatform"
    # Look for changed templates on every page (the default in development only): a stat of every
    # template file a page uses, 200 of them for the payment card page.
    template_reload: bool | None = None
    base_url: str = "http://127.0.0.1:8000"

    api_key_hash_secret: str = ""
    # Comma-separated base64 AES-256 keys; the first encrypts, all decrypt (rotation).
    encryption_keys: str = ""
    session_secret: str = ""

    # The transparency log: its origin line (default: the host of BASE_URL + "/transparency"),
    # its signer keys in Go's PRIVATE+KEY+... format (comma-separated; all sign during a
    # rotation), the HMAC key that turns a person's identifier into a pseudonym (never rotate
    # it: pseudonyms must stay stable), and the embedded default's generated signing seed.
    transparency_origin: str = ""
    transparency_signing_keys: str = ""
    transparency_subject_secret: str = ""
    transparency_signing_seed: str = ""
    transparency_integration_delay_seconds: float = Field(default=1.0, gt=0, le=60)
    transparency_batch_size: int = Field(default=50_000, ge=1, le=1_000_000)

    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=7 * 24)
    setup_link_hours: int = Field(default=72, ge=1, le=24 * 14)
    # A citizen who lost their second factor waits this long before setting up a new one (ADR 0022); a notice
    # with a cancel link goes to their email when the wait starts. Tests set a few seconds.
    identity_factor_recovery_wait_seconds: int = Field(default=72 * 3600, ge=1, le=30 * 24 * 3600)

    # argon2id's cost for every password, staff and citizens' (core/services/passwords.py): passes over memory
    # in KiB. The default is RFC 9106's second recommended option; every environment but "test" refuses less than
    # OWASP's minimum (2 passes over 19 MiB). Tests use the least argon2 allows: a full-cost hash takes a fifth of a
    # second, and the suite signs in thousands of times.
    password_hash_time_cost: int = Field(default=3, ge=1, le=32)
    password_hash_memory_kib: int = Field(default=64 * 1024, ge=32, le=4 * 1024 * 1024)

    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    # Cookies sent over HTTPS only: on by default in production, where the platform is served over
    # HTTPS (OWASP ASVS V3.4.1); GOVPLATFORM_SECURE_COOKIES=false turns it off, true turns it on elsewhere.
    secure_cookies: bool = Field(default=None, validate_default=True)

    # Run a job worker inside the web process (the embedded default; `serve` sets it on SQLite).
    embedded_worker: bool = False
    worker_concurrency: int = Field(default=4, ge=1, le=256)
    job_lease_seconds: float = Field(default=60.0, gt=0)
    job_poll_seconds: float = Field(default=2.0, gt=0)
    job_max_attempts: int = Field(default=8, ge=1, le=100)
    job_backoff_base_seconds: float = Field(default=2.0, gt=0)
    job_backoff_max_seconds: float = Field(default=3600.0, gt=0)

    # Notify: the domain emails come from (default: the host of BASE_URL), and where messages go.
    # "sandbox" providers write to files under var/notify; the real ones speak SMTP and Firetext's API.
    notify_email_domain: str = ""
    notify_email_provider: Literal["sandbox", "smtp"] = "sandbox"
    notify_smtp_host: str = "127.0.0.1"
    notify_smtp_port: int = Field(default=25, ge=1, le=65535)
    notify_smtp_username: str = ""
    notify_smtp_password: str = ""
    notify_smtp_tls: Literal["none", "starttls", "tls"] = "none"
    notify_smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    notify_sms_provider: Literal["sandbox", "firetext"] = "sandbox"
    notify_firetext_url: str = "https://www.firetext.co.uk/api/sendsms/json"
    notify_firetext_api_key: str = ""
    notify_firetext_international_api_key: str = ""
    # Attempts at a temporary failure before a message becomes temporary-failure.
    # The password SMS gateways use (HTTP Basic) when they post receipts and inbound texts back.
    notify_provider_callback_secret: str = ""
    notify_delivery_attempts: int = Field(default=5, ge=1, le=100)
    notify_delivery_retry_seconds: float = Field(default=300.0, gt=0)
    # Emails a worker job batch delivers, one after another on one SMTP session, before one commit records
    # them all; a crash mid-batch may send that many again (same Message-IDs). 1 records each alone.
    notify_email_batch_size: int = Field(default=20, ge=1, le=500)
    # Idle SMTP sessions a worker keeps open for the next messages (0: a new session every message).
    notify_smtp_pool_size: int = Field(default=8, ge=0, le=256)
    # Callbacks to services: retried this many times, this far apart (Notify: 5, every 5 minutes).
    notify_callback_retries: int = Field(default=5, ge=0, le=100)
    notify_callback_retry_seconds: float = Field(default=300.0, gt=0)
    # How often each worker times out stuck messages, purges expired ones and checks the print schedule.
    notify_housekeeping_interval_seconds: float = Field(default=600.0, gt=0)
    # Letters for the print contractor: <dir>/outbox/<run>/ (PDFs and manifest.csv) and <dir>/inbox/ (their
    # response files). Default: var/notify/letters. See docs/notify-letters.md.
    notify_letters_dir: Path | None = None

    # Pay: how often each worker expires unfinished payments, forgets old Idempotency-Keys and asks
    # processors for disputes. Live keys reach this processor (test keys only ever reach the sandbox).
    pay_housekeeping_interval_seconds: float = Field(default=60.0, gt=0)
    pay_live_processor: Literal["sandbox", "stripe"] = "sandbox"
    # Requests a second per account (a service's test or live keys), as GOV.UK Pay documents them:
    # creating payments, capturing, other POSTs (each 15), GETs (75). Shared through Redis when set.
    # Exchange queries a second per consumer organisation and agreement (in Redis when set, else per process).
    exchange_queries_per_second: int = Field(default=50, ge=1)
    # How long a provider's own system has to answer a query the gateway forwards to it.
    exchange_provider_seconds: float = Field(default=5.0, gt=0, le=30)
    pay_rate_limit_create_per_second: int = Field(default=15, ge=1)
    pay_rate_limit_capture_per_second: int = Field(default=15, ge=1)
    pay_rate_limit_post_per_second: int = Field(default=15, ge=1)
    pay_rate_limit_get_per_second: int = Field(default=75, ge=1)
    # Payments a payment link's public page starts a minute, per client address (across every link) and per
    # link (from everyone); over either, the citizen is asked to wait (429). Shared through Redis or the database.
    pay_link_payments_per_address_per_minute: int = Field(default=10, ge=1)
    pay_link_payments_per_link_per_minute: int = Field(default=100, ge=1)
    # Stripe (docs/pay-stripe.md): the account's secret key, never shown (repr=False); the API's address,
    # empty for Stripe's own (a fake Stripe's address in tests).
    pay_stripe_api_key: str = Field(default="", repr=False)
    pay_stripe_api_base: str = ""

    # Redis for Notify's rate and daily limits, shared by every web process (redis://host:6379/0).
    # Empty: the limits are kept in the database. Options in the URL's query string reach the client.
    redis_url: str = ""
    # Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (comma-separated addresses or networks,
    # "10.0.0.0/8"; "*" for any, only where nothing else can reach the server). Empty: none, and the client's
    # address is the connection's (what rate limits, throttles and the audit log count by). docs/security.md.
    trusted_proxies: str = ""

    # Hosts that tenants' and partners' URLs (webhooks, callbacks) may reach even though they are on loopback or
    # a private network: comma-separated `host` or `host:port`, matched as the URL writes the host, never by what
    # a name resolves to (docs/adr/0010-outbound-guard.md). Empty refuses every inside address; `make run`'s demo
    # and tests with a receiver on this machine list 127.0.0.1.
    outbound_allowed_hosts: str = ""

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    frontend_dir: Path = Path("node_modules/govuk-frontend/dist/govuk")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite+aiosqlite:/// or postgresql+asyncpg://")
        return value

    @field_validator("secure_cookies", mode="before")
    @classmethod
    def _secure_in_production(cls, value: object, info: ValidationInfo) -> object:
        return info.data.get("environment") == "production" if value is None else value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: str) -> str:
        for entry in (item.strip() for item in value.split(",")):
            if entry and entry != "*":
                ipaddress.ip_network(entry, strict=False)  # a ValueError names the entry
        return value

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("outbound_allowed_hosts")
    @classmethod
    def _known_hosts(cls, value: str) -> str:
        parse_allowed_hosts(value)  # a ValueError names the entry
        return value

    @field_validator("pay_stripe_api_base")
    @classmethod
    def _known_stripe_base(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http:// for a fake Stripe on this machine)")
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _valid_keys(cls, value: str) -> str:
        for key in filter(None, (k.strip() for k in value.split(","))):
            try:
                raw = base64.b64decode(key, validate=True)
            except ValueError as error:
                raise ValueError("each key must be base64") from error
            if len(raw) != 32:
                raise ValueError("each key must be 32 bytes (AES-256), base64-encoded")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{self.var_dir / 'govplatform.db'}"

    @property
    def resolved_transparency_origin(self) -> str:
        if self.transparency_origin:
            return self.transparency_origin
        host = self.base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        return f"{host}/transparency"

    @property
    def resolved_notify_email_domain(self) -> str:
        if self.notify_email_domain:
            return self.notify_email_domain
        return self.base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def encryption_key_list(self) -> list[bytes]:
        return [base64.b64decode(k.strip()) for k in self.encryption_keys.split(",") if k.strip()]


def normalise_database_url(url: str) -> str:
    """Accept the plain scheme operators type and pick the async driver we ship."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.split(":///", 1)[1]
    return url


def _generated_secrets(var_dir: Path) -> dict[str, str]:
    """Read var/secrets.json, creating it (mode 0600) with fresh secrets the first time.

    A file lock makes processes that start together (web and worker) agree on one set.
    """
    private_folder(var_dir)
    with open_private(var_dir / "secrets.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _read_or_add_secrets(var_dir / "secrets.json")


def _read_or_add_secrets(path: Path) -> dict[str, str]:
    make_private(path)  # one written readable by others (by hand, or by an older release)
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    makers = {
        "api_key_hash_secret": lambda: secrets.token_urlsafe(32),
        "encryption_keys": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
        "session_secret": lambda: secrets.token_urlsafe(32),
        "transparency_subject_secret": lambda: secrets.token_urlsafe(32),
        "transparency_signing_seed": lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
        "notify_provider_callback_secret": lambda: secrets.token_urlsafe(32),
    }
    absent = [name for name in makers if name not in stored]
    if not absent:
        return stored
    # Secrets added by a later release are generated once and added; existing ones never change.
    stored.update({name: makers[name]() for name in absent})
    temporary = path.with_suffix(".tmp")
    with open_private(temporary, "w") as handle:
        json.dump(stored, handle)
    os.replace(temporary, path)
    return stored


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; raise SettingsError naming the bad setting."""
    return with_generated_secrets(read_settings(**overrides))


def read_settings(**overrides: object) -> Settings:
    """Settings from the environment, checked, without the embedded default's generated secrets.

    It reads and writes no file, so the CLI can name the database and refuse to go on where there is
    none before anything is created (core/commands.py).
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = "GOVPLATFORM_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"Setting {name} is not valid: {first['msg']}") from None
    if settings.environment != "test":  # a deployment that left the environment unset is still held to it
        _strong_enough_passwords(settings)
    if settings.pay_live_processor == "stripe" and not settings.pay_stripe_api_key:
        raise SettingsError(
            "Setting GOVPLATFORM_PAY_STRIPE_API_KEY is required when GOVPLATFORM_PAY_LIVE_PROCESSOR=stripe"
        )
    return settings


OWASP_MINIMUM_TIME_COST = 2  # OWASP's Password Storage Cheat Sheet: argon2id, 2 passes over 19 MiB at least
OWASP_MINIMUM_MEMORY_KIB = 19 * 1024


def _strong_enough_passwords(settings: Settings) -> None:
    if settings.password_hash_time_cost < OWASP_MINIMUM_TIME_COST:
        raise SettingsError(
            f"Setting GOVPLATFORM_PASSWORD_HASH_TIME_COST must be at least {OWASP_MINIMUM_TIME_COST} (OWASP's minimum)"
        )
    if settings.password_hash_memory_kib < OWASP_MINIMUM_MEMORY_KIB:
        raise SettingsError(
            f"Setting GOVPLATFORM_PASSWORD_HASH_MEMORY_KIB must be at least {OWASP_MINIMUM_MEMORY_KIB}"
            " (OWASP's minimum)"
        )


def with_generated_secrets(settings: Settings) -> Settings:
    """The settings with every secret the environment did not set taken from var/secrets.json (made if absent)."""
    missing = [name for name in SECRET_NAMES if not getattr(settings, name)]
    if settings.transparency_signing_keys and "transparency_signing_seed" in missing:
        missing.remove("transparency_signing_seed")  # explicit keys replace the generated one
    if missing:
        if settings.environment == "production":
            raise SettingsError(f"Setting GOVPLATFORM_{missing[0].upper()} is required in production")
        generated = _generated_secrets(settings.var_dir)
        settings = settings.model_copy(update={name: generated[name] for name in missing})
    return settings
