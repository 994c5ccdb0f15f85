"""What other components may use from core: plain data types and service protocols.

Components import core only through this module (an import-linter contract
keeps it so). Higher components register implementations here at start-up,
for example notify registering an email sender that core uses for set-up links.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from govplatform.core.cache_notices import Notices
from govplatform.core.caching import ReadCache, forget_after_change
from govplatform.core.data_path import DriverRow, Prebuilt
from govplatform.core.models import Base, UTCDateTime, utcnow
from govplatform.core.outbound import OutboundAnswer, OutboundGuard, OutboundRefused, OutboundUnreachable
from govplatform.core.private_files import open_private, private_folder
from govplatform.core.services.throttle import BackOff, Guessing, Throttle, TooManyGuesses
from govplatform.core.unit_of_work import UnitOfWork
from govplatform.core.untrusted import (
    Limit,
    LimitExceeded,
    ParseLimits,
    ParseStopped,
    check_zip_size,
    current_limits,
    parse_untrusted,
    untrusted_parser,
)
from govplatform.core.web.input_rules import text_problem, whole_number
from govplatform.core.web.json_body import JsonBodyError, NotJson, ValueRefused, parse_json_body

__all__ = [
    "LANGUAGES",
    "N_",
    "Actor",
    "ApiKeyStore",
    "AuthenticatedKey",
    "BackOff",
    "Base",
    "DriverRow",
    "Guessing",
    "IssuedKey",
    "JobBatch",
    "JobContext",
    "JsonBodyError",
    "KeyFormat",
    "KeySecret",
    "Limit",
    "LimitExceeded",
    "MessageRefused",
    "Messages",
    "NotJson",
    "Notices",
    "OrgRole",
    "OrgRoleHolder",
    "OutboundAnswer",
    "OutboundGuard",
    "OutboundRefused",
    "OutboundUnreachable",
    "PageRenderer",
    "ParseLimits",
    "ParseStopped",
    "PlatformKeyAuth",
    "PlatformTemplate",
    "Prebuilt",
    "ReadCache",
    "Role",
    "SecretBox",
    "ServiceDirectory",
    "ServiceRef",
    "SignInRequired",
    "StaffAuth",
    "StaffMember",
    "Throttle",
    "TooManyGuesses",
    "UTCDateTime",
    "UnitOfWork",
    "UserFacingError",
    "ValueRefused",
    "check_zip_size",
    "close_queued_job",
    "current_language",
    "current_limits",
    "enqueue_job",
    "enqueue_jobs",
    "forget_after_change",
    "gettext_",
    "has_org_role",
    "holders_of",
    "in_language",
    "localise",
    "open_private",
    "parse_json_body",
    "parse_untrusted",
    "private_folder",
    "record_audit",
    "text_problem",
    "untrusted_parser",
    "utcnow",
    "whole_number",
]


class Role:
    """A staff user's role on a service; platform admins sit above all services."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"
    ALL = ("admin", "editor", "viewer")


class OrgRole:
    """A staff user's role in an organisation, beside their service roles (ADR 0012).

    An org-admin runs the organisation's services and teams; a data owner and the
    chief data officer are the approvers of the organisation's data sharing.
    """

    ORG_ADMIN = "org-admin"
    DATA_OWNER = "data-owner"
    CHIEF_DATA_OFFICER = "chief-data-officer"
    ALL = ("org-admin", "data-owner", "chief-data-officer")


@dataclasses.dataclass(frozen=True)
class OrgRoleHolder:
    user_id: uuid.UUID
    email: str


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who is acting, for the audit log: a staff user, an API key, or the CLI."""

    type: str  # "staff", "api_key", "cli", "system"
    id: str | None
    label: str
    ip_address: str | None = None


@dataclasses.dataclass(frozen=True)
class ServiceRef:
    id: uuid.UUID
    name: str
    organisation_id: uuid.UUID
    organisation_name: str


@dataclasses.dataclass(frozen=True)
class AuthenticatedKey:
    """The result of checking an API key: which key, which service, what type."""

    key_id: uuid.UUID
    key_name: str
    key_type: str
    component: str
    service: ServiceRef


@dataclasses.dataclass(frozen=True)
class IssuedKey:
    """What a key format makes for a new key: the text shown once, and what is stored."""

    shown_once: str
    secret_hash: str | None
    secret_encrypted: str | None


class KeyFormat(Protocol):
    """A component's API key format (platform, Notify, Pay each have their own).

    A format either stores a keyed hash of the presented key (`lookup_hash`
    finds it) or, where the protocol needs the secret, stores it encrypted and
    authenticates in its own way.

    A format may also have `label` (what the admin pages call its API) and
    `key_type_labels` (what they call each key type), both marked with `N_`
    and translated where shown; the pages read them with getattr and fall
    back to the component's and the type's own names.
    """

    component: str
    key_types: tuple[str, ...]

    def issue(self, service_id: uuid.UUID, key_id: uuid.UUID, name: str, key_type: str) -> IssuedKey: ...

    def lookup_hash(self, presented: str) -> str | None:
        """The keyed hash to look the presented key up by, or None if it is malformed."""
        ...


def N_(message: str) -> str:
    """Marks a message for the translation catalogue; it is translated where it is shown."""
    return message


class UserFacingError(Exception):
    """A rule was broken; the message is safe to show, in English or translated.

    The message is a template with %(name)s placeholders and the values beside
    it, so a page can translate the template and then fill it in.
    """

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


class PlatformKeyAuth(Protocol):
    """Checks `Authorization: Bearer gpk_...` on a request; raises a 401 HTTPException if it fails.

    The web app keeps one at `app.state.platform_key_auth` for components' routes.
    """

    async def __call__(
        self, request: Any, authorization: str | None, uow: UnitOfWork | None = None
    ) -> AuthenticatedKey: ...


class SecretBox(Protocol):
    """Encrypts a secret that a protocol needs back (Notify's signing secrets); AES-GCM in core."""

    def encrypt_text(self, text: str, associated_data: str = "") -> str: ...

    def decrypt_text(self, token: str, associated_data: str = "") -> str: ...


@dataclasses.dataclass(frozen=True)
class KeySecret:
    """A stored key's decrypted secret, for formats that verify signatures made with it."""

    key: AuthenticatedKey
    secret: str
    revoked: bool


class ApiKeyStore(Protocol):
    """Core's stored keys, as a component that signs with its secrets sees them."""

    async def secrets_for(
        self, uow: UnitOfWork, component: str, service_id: uuid.UUID, fresh: bool = False
    ) -> list[KeySecret]:
        """Every key of the service for the component, revoked ones included (so errors can say so).

        May be a copy kept for a moment (see core's StoredKeys); `fresh` reads the database.
        """
        ...

    async def find(self, uow: UnitOfWork, key_format: KeyFormat, presented: str) -> AuthenticatedKey | None:
        """The live key matching the presented text (by the format's keyed hash), or None."""
        ...


class PageRenderer(Protocol):
    """The web shell's templates (at `app.state.templates`), as components' page routes use them."""

    def render(self, request: Any, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Any: ...


@dataclasses.dataclass(frozen=True)
class JobContext:
    """What a task handler gets: its own unit of work (committed by the worker) and the job."""

    uow: UnitOfWork
    job_id: uuid.UUID
    attempt: int
    max_attempts: int = 1


@dataclasses.dataclass(frozen=True)
class JobBatch:
    """What a batch handler gets: one unit of work for all its jobs (committed by the worker), and their payloads.

    The handler must deal with each payload's own failures itself (record them,
    or queue a retry): an exception fails every job of the batch.
    """

    uow: UnitOfWork
    payloads: list[dict[str, Any]]


class ServiceDirectory(Protocol):
    """Core's services and their teams, as other components see them."""

    async def describe(self, uow: UnitOfWork, service_id: uuid.UUID) -> ServiceRef | None:
        """The service and its organisation, or None if there is no such service."""
        ...

    async def member_emails(self, uow: UnitOfWork, service_id: uuid.UUID) -> list[str]:
        """The team's email addresses, lower case (Notify's team keys send only to these and the guest list)."""
        ...


def record_audit(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object = None,
    service_id: uuid.UUID | None = None,
    **detail: Any,
) -> None:
    """Add an audit event to the caller's unit of work (core's audit log)."""
    from govplatform.core.services import audit

    audit.record(uow, actor, action, target_type, target_id, service_id, **detail)


async def enqueue_job(
    uow: UnitOfWork,
    kind: str,
    payload: dict[str, Any],
    max_attempts: int = 8,
    run_at: dt.datetime | None = None,
) -> uuid.UUID:
    """Put a job on core's queue in the caller's unit of work, so it exists only if the change commits."""
    from govplatform.core.jobs import queue

    job = await queue.enqueue(uow, kind, payload, max_attempts=max_attempts, run_at=run_at)
    return job.id


class SignInRequired(Exception):
    """Raised for an anonymous request to a staff page; the web shell answers with a redirect to /sign-in."""


class StaffMember(Protocol):
    """The signed-in civil servant, as components' admin pages see them."""

    @property
    def actor(self) -> Actor: ...

    @property
    def is_platform_admin(self) -> bool: ...

    def has_role(self, service_id: uuid.UUID, at_least: str) -> bool: ...

    def require(self, service_id: uuid.UUID, at_least: str) -> None:
        """A 403 unless the member has at least this role on the service (platform admins always do)."""
        ...

    def require_platform_admin(self) -> None: ...

    def has_org_role(self, organisation_id: uuid.UUID, role: str) -> bool:
        """Whether the member holds this organisation role (platform admins hold none unless granted)."""
        ...


class StaffAuth(Protocol):
    """The signed-in staff member of a request (at `app.state.staff_auth`); raises SignInRequired."""

    async def __call__(self, request: Any) -> StaffMember: ...


def gettext_(message: str) -> str:
    """The message in the request's language (English or Welsh)."""
    from govplatform.core.web import i18n

    return i18n.gettext_(message)


LANGUAGES = ("en", "cy")


@contextlib.contextmanager
def in_language(language: str) -> Iterator[None]:
    """Translate in this language (English if it is not one of ours) inside the block, then as before.

    For pages whose language is not the visitor's choice: a payment page speaks the language the
    service chose for the payment.
    """
    from govplatform.core.web import i18n

    token = i18n.set_language(language if language in LANGUAGES else "en")
    try:
        yield
    finally:
        i18n.reset_language(token)


def current_language() -> str:
    """The request's language: "en" or "cy"."""
    from govplatform.core.web import i18n

    return i18n.current_language()


def localise(error: Exception) -> str:
    """A UserFacingError's message in the request's language, with its values filled in."""
    from govplatform.core.web import i18n

    return i18n.localise(error)


async def close_queued_job(uow: UnitOfWork, job_id: uuid.UUID) -> bool:
    """Mark a job that no worker has started done (its work was done another way); False if one has."""
    from govplatform.core.jobs import queue

    return await queue.close_if_queued(uow, job_id)


async def enqueue_jobs(uow: UnitOfWork, kind: str, payloads: list[dict[str, Any]], max_attempts: int = 8) -> int:
    """Many jobs of one kind in the caller's unit of work (a bulk send's deliveries), with one wake-up."""
    from govplatform.core.jobs import queue

    return await queue.enqueue_many(uow, kind, payloads, max_attempts=max_attempts)


async def holders_of(uow: UnitOfWork, organisation_id: uuid.UUID, role: str) -> list[OrgRoleHolder]:
    """The people holding an organisation role (the exchange's approvers), by email."""
    from govplatform.core.services import org_roles

    return await org_roles.holders_of(uow, organisation_id, role)


async def has_org_role(uow: UnitOfWork, user_id: uuid.UUID, organisation_id: uuid.UUID, role: str) -> bool:
    """Whether the user holds the organisation role now (read it in the unit of work that acts on it)."""
    from govplatform.core.services import org_roles

    return await org_roles.has_org_role(uow, user_id, organisation_id, role)


class PlatformTemplate:
    """The platform's own message templates, by the stable names callers send them by.

    They belong to the platform-owned notify service (created with the platform, migration 0011), where staff
    edit their words in English and Welsh; what each expects in its personalisation is listed beside it.
    """

    STAFF_INVITATION = "staff-invitation"  # service_name, invited_by, setup_link, hours (a new person's set-up)
    SERVICE_INVITATION = "service-invitation"  # service_name, invited_by, sign_in_link (someone with an account)
    STAFF_PASSWORD_RESET = "staff-password-reset"  # noqa: S105 - a template name; reset_link, hours
    CITIZEN_SIGN_IN_CODE = "citizen-sign-in-code"  # code (an email template and a text message template)


class MessageRefused(UserFacingError):
    """A message could not be accepted (no such template, a recipient the service may not send to); nothing was
    added to the caller's unit of work."""


class Messages(Protocol):
    """Sending an email or a text message from a template, for any component (notify implements it).

    With no `service_id` the message is sent from the platform-owned notify service, whose templates are named
    by `PlatformTemplate` and exist in English and Welsh (`language`). A caller that names a service sends from
    that service's own templates instead, by the template's id or its name, under that service's rules (trial
    mode included). The message is added to the caller's unit of work, so it is sent only if the caller's change
    commits; the return value is the notification's id.
    """

    async def send_email(
        self,
        uow: UnitOfWork,
        template: str,
        to: str,
        personalisation: Mapping[str, object],
        *,
        service_id: uuid.UUID | None = None,
        language: str = "en",
        reference: str | None = None,
    ) -> uuid.UUID: ...

    async def send_text(
        self,
        uow: UnitOfWork,
        template: str,
        to: str,
        personalisation: Mapping[str, object],
        *,
        service_id: uuid.UUID | None = None,
        language: str = "en",
        reference: str | None = None,
    ) -> uuid.UUID: ...

    async def status(self, uow: UnitOfWork, notification_id: uuid.UUID) -> str | None:
        """Notify's status of the message (created, sending, delivered, permanent-failure, ...), or None."""
        ...


# What a component's cli.py uses (core/commands.py): this run's platform with every component, the database
# named on stderr, and one way to fail. Read on first use, not imported here: core/commands.py builds on this
# module, and no web process needs typer.
__all__ += [
    "CLI_ACTOR",
    "CommandContext",
    "command_context",
    "console",
    "create_api_key",
    "emit",
    "err",
    "fail",
    "parse_id",
    "run_with_platform",
    "user_facing",
]
if TYPE_CHECKING:
    from govplatform.core.commands import (  # for the type checker; at run time through __getattr__
        CLI_ACTOR,
        CommandContext,
        command_context,
        console,
        create_api_key,
        emit,
        err,
        fail,
        parse_id,
        run_with_platform,
        user_facing,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:  # only the command kit gets here: every other exported name is defined above
        from govplatform.core import commands

        return getattr(commands, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
