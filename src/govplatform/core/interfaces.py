"""What other components may use from core: plain data types and service protocols.

Components import core only through this module (an import-linter contract
keeps it so). Higher components register implementations here at start-up,
for example notify registering an email sender that core uses for set-up links.
Related names live in small sibling modules by concept (`people`, `language`,
`keys`, `messages`, `admin_registry`) and are exported from here; components
import them from here, never from those modules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from govplatform.core.admin_registry import (
    ANYONE,
    PLATFORM_ADMINS,
    AdminRegistry,
    AuditRecord,
    AuditTarget,
    DashboardPanel,
    FoundTarget,
    NavEntry,
    PlatformPage,
    ServiceLink,
    service_page,
    uuids_in,
)
from govplatform.core.cache_notices import Notices
from govplatform.core.caching import ReadCache, forget_after_change
from govplatform.core.crypto import DecryptionError, constant_time_equal, keyed_hash, random_token
from govplatform.core.csv_cells import safe_cell
from govplatform.core.data_path import DriverRow, Prebuilt
from govplatform.core.keys import (
    ApiKeyStore,
    AuthenticatedKey,
    IssuedKey,
    KeyFormat,
    KeySecret,
    PlatformKeyAuth,
    SecretBox,
    ServiceRef,
)
from govplatform.core.language import (
    LANGUAGES,
    N_,
    UserFacingError,
    current_language,
    gettext_,
    in_language,
    localise,
    long_date,
)
from govplatform.core.messages import MessageRefused, Messages, PlatformTemplate
from govplatform.core.models import Base, UTCDateTime, utcnow
from govplatform.core.outbound import OutboundAnswer, OutboundGuard, OutboundRefused, OutboundUnreachable
from govplatform.core.people import Actor, OrgRole, OrgRoleHolder, Role, SignInRequired, StaffAuth, StaffMember
from govplatform.core.private_files import open_private, private_folder
from govplatform.core.rate_windows import LocalWindows, RedisWindows, Windows
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
from govplatform.core.web.middleware import allow_form_action
from govplatform.core.web.staff_pages import staff_member

__all__ = [
    "ANYONE",
    "LANGUAGES",
    "N_",
    "PLATFORM_ADMINS",
    "Actor",
    "AdminRegistry",
    "ApiKeyStore",
    "AuditRecord",
    "AuditTarget",
    "AuthenticatedKey",
    "BackOff",
    "Base",
    "DashboardPanel",
    "DecryptionError",
    "DriverRow",
    "FoundTarget",
    "Guessing",
    "IssuedKey",
    "JobBatch",
    "JobContext",
    "JsonBodyError",
    "KeyFormat",
    "KeySecret",
    "Limit",
    "LimitExceeded",
    "LocalWindows",
    "MessageRefused",
    "Messages",
    "NavEntry",
    "NotJson",
    "Notices",
    "OrgRole",
    "OrgRoleHolder",
    "OrganisationRef",
    "OutboundAnswer",
    "OutboundGuard",
    "OutboundRefused",
    "OutboundUnreachable",
    "PageRenderer",
    "ParseLimits",
    "ParseStopped",
    "PlatformKeyAuth",
    "PlatformPage",
    "PlatformTemplate",
    "Prebuilt",
    "ReadCache",
    "RedisWindows",
    "Role",
    "SecretBox",
    "ServiceDirectory",
    "ServiceLink",
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
    "Windows",
    "check_zip_size",
    "close_queued_job",
    "constant_time_equal",
    "current_language",
    "current_limits",
    "enqueue_job",
    "enqueue_jobs",
    "find_organisations",
    "forget_after_change",
    "gettext_",
    "has_org_role",
    "hash_password",
    "holders_of",
    "in_language",
    "keyed_hash",
    "localise",
    "long_date",
    "new_totp_secret",
    "open_private",
    "parse_json_body",
    "parse_untrusted",
    "private_folder",
    "random_token",
    "record_audit",
    "rehashed_password",
    "safe_cell",
    "service_page",
    "text_problem",
    "totp_step",
    "untrusted_parser",
    "utcnow",
    "uuids_in",
    "verify_password",
    "whole_number",
]


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


@dataclasses.dataclass(frozen=True)
class OrganisationRef:
    """A public body as other components see it: the exchange's members and agreements' parties."""

    id: uuid.UUID
    name: str


async def find_organisations(uow: UnitOfWork, only: list[uuid.UUID] | None = None) -> list[OrganisationRef]:
    """Organisations by name (all of them, or those whose ids are in `only`)."""
    from govplatform.core.services import tenancy

    return [OrganisationRef(o.id, o.name) for o in await tenancy.list_organisations(uow, only)]


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


def hash_password(password: str) -> str:
    """An argon2id hash of a password, at the platform's cost (core/services/passwords.py), as staff's are."""
    from govplatform.core.services import passwords

    return passwords.hash_password(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; with no hash, a dummy one is verified so the time taken is the same.

    Slow on purpose (argon2id): call it in a thread (asyncio.to_thread) from a request.
    """
    from govplatform.core.services import passwords

    return passwords.verify_password(password_hash, password)


def rehashed_password(password_hash: str, password: str) -> str | None:
    """After a right password: its hash at the platform's cost today, if the stored one was made at another.

    Store it in place of the old one (the same password; nothing for the audit log). Slow: call it in a thread.
    """
    from govplatform.core.services import passwords

    return passwords.rehashed(password_hash, password)


def totp_step(secret: Callable[[], str], code: str, last_step: int | None) -> int | None:
    """The RFC 6238 time step a correct authenticator code belongs to (one step of drift), if after `last_step`."""
    from govplatform.core.services.staff import totp_step as step

    return step(secret, code, last_step)


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret, as core makes for staff."""
    import pyotp

    return pyotp.random_base32()


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


# A page whose form may end in a redirect to another site (identity's sign-in pages back to the service).
__all__ += ["allow_form_action", "staff_member"]
