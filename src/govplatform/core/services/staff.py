"""Staff users, their roles on services, and the one-time set-up link.

A new user gets a set-up link (printed by the CLI, or shown to the admin who
invited them and emailed to them through core's `Messages`, see
invitations.py) on which they choose a password and enrol a TOTP authenticator.
Passwords are argon2id hashes; TOTP secrets are encrypted at rest because the
server needs them back to check codes. Opening a link and typing its code are
guesses like any other, so both go through core's throttle (services/throttle.py):
an address that keeps trying unknown links, or wrong codes, is made to wait.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable

import pyotp
from sqlalchemy import delete, select

from govplatform.core.crypto import FieldCipher, keyed_hash, random_token
from govplatform.core.interfaces import N_, Actor, Role, ServiceRef
from govplatform.core.models import Organisation, Service, ServiceMembership, SetupToken, StaffUser, utcnow
from govplatform.core.services import audit
from govplatform.core.services.passwords import hash_password
from govplatform.core.services.tenancy import NotFound, TenancyError, get_service
from govplatform.core.services.throttle import STAFF_CODE, STAFF_LINK, Throttle
from govplatform.core.unit_of_work import UnitOfWork

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 12


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise TenancyError(N_("Enter an email address in the correct format, like name@example.gov.uk"))
    return email


def check_password_rules(password: str, email: str) -> None:
    """NCSC guidance: length over complexity, and not the email address itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise TenancyError(N_("Password must be %(length)s characters or more"), length=MIN_PASSWORD_LENGTH)
    if len(password) > 256:
        raise TenancyError(N_("Password must be 256 characters or fewer"))
    if password.lower() == email.lower() or password.lower() in {"password1234", "123456789012"}:
        raise TenancyError(N_("Choose a password that is harder to guess"))


async def find_by_email(uow: UnitOfWork, email: str) -> StaffUser | None:
    return await uow.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))


async def create_user(
    uow: UnitOfWork,
    actor: Actor,
    hash_secret: str,
    email: str,
    setup_link_hours: int,
    platform_admin: bool = False,
    service_id: uuid.UUID | None = None,
    role: str | None = None,
) -> tuple[StaffUser, str]:
    """Create a user (or add a role to an existing one) and issue a set-up token if needed."""
    email = normalise_email(email)
    if service_id is not None and role not in Role.ALL:
        raise TenancyError(N_("Choose a role: admin, editor or viewer"))
    user = await find_by_email(uow, email)
    created = user is None
    if user is None:
        user = StaffUser(id=uuid.uuid4(), email=email, is_platform_admin=platform_admin)
        uow.session.add(user)
        await uow.session.flush()  # the user row must exist before rows that refer to it
        audit.record(uow, actor, "staff_user.created", "staff_user", user.id, platform_admin=platform_admin)
    elif platform_admin and not user.is_platform_admin:
        user.is_platform_admin = True
        audit.record(uow, actor, "staff_user.made_platform_admin", "staff_user", user.id)
    if service_id is not None and role is not None:
        await set_role(uow, actor, service_id, user.id, role)
    token = ""
    if created or user.setup_completed_at is None:
        token = await issue_setup_token(uow, hash_secret, user.id, setup_link_hours)
    return user, token


async def issue_setup_token(uow: UnitOfWork, hash_secret: str, user_id: uuid.UUID, hours: int) -> str:
    token = random_token(32)
    uow.session.add(
        SetupToken(
            user_id=user_id,
            token_hash=keyed_hash(hash_secret, token, "setup-link"),
            expires_at=utcnow() + dt.timedelta(hours=hours),
        )
    )
    await uow.session.flush()
    return token


async def set_role(uow: UnitOfWork, actor: Actor, service_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
    if role not in Role.ALL:
        raise TenancyError(N_("Choose a role: admin, editor or viewer"))
    await get_service(uow, service_id)
    membership = await uow.session.get(ServiceMembership, (user_id, service_id))
    if membership is None:
        uow.session.add(ServiceMembership(user_id=user_id, service_id=service_id, role=role))
    elif membership.role != role:
        membership.role = role
    else:
        return
    audit.record(uow, actor, "team_member.role_set", "staff_user", user_id, service_id, role=role)


async def remove_member(uow: UnitOfWork, actor: Actor, service_id: uuid.UUID, user_id: uuid.UUID) -> None:
    result = await uow.session.execute(
        delete(ServiceMembership).where(
            ServiceMembership.service_id == service_id, ServiceMembership.user_id == user_id
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(N_("That person is not on this service's team"))
    audit.record(uow, actor, "team_member.removed", "staff_user", user_id, service_id)


async def team(uow: UnitOfWork, service_id: uuid.UUID) -> list[tuple[StaffUser, str]]:
    rows = await uow.session.execute(
        select(StaffUser, ServiceMembership.role)
        .join(ServiceMembership, ServiceMembership.user_id == StaffUser.id)
        .where(ServiceMembership.service_id == service_id)
        .order_by(StaffUser.email)
    )
    return [(user, role) for user, role in rows.all()]


async def roles_of(uow: UnitOfWork, user_id: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = await uow.session.execute(
        select(ServiceMembership.service_id, ServiceMembership.role).where(ServiceMembership.user_id == user_id)
    )
    return {service_id: role for service_id, role in rows.all()}


async def setup_user_for_token(uow: UnitOfWork, hash_secret: str, token: str) -> tuple[SetupToken, StaffUser]:
    """The live set-up token and its user; raises NotFound for unknown, used or expired links."""
    row = await uow.session.scalar(
        select(SetupToken).where(SetupToken.token_hash == keyed_hash(hash_secret, token, "setup-link"))
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise NotFound(N_("This set-up link has expired or has already been used"))
    user = await uow.session.get(StaffUser, row.user_id)
    if user is None:
        raise NotFound(N_("This set-up link has expired or has already been used"))
    return row, user


async def open_setup_link(
    uow: UnitOfWork, throttle: Throttle, hash_secret: str, token: str, ip: str | None
) -> tuple[SetupToken, StaffUser]:
    """`setup_user_for_token`, counted as a guess at a link from this address; the caller commits either way.

    Raises TooManyGuesses, before the link is looked up, while the address must wait; NotFound as that does.
    """
    attempt = await throttle.attempt(uow, STAFF_LINK, ip, None)
    found = await setup_user_for_token(uow, hash_secret, token)
    await throttle.succeeded(uow, attempt)
    return found


async def choose_password(uow: UnitOfWork, cipher: FieldCipher, hash_secret: str, token: str, password: str) -> str:
    """Step one of set-up: set the password and make a new TOTP secret; returns the secret."""
    _, user = await setup_user_for_token(uow, hash_secret, token)
    check_password_rules(password, user.email)
    user.password_hash = hash_password(password)
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = cipher.encrypt_text(secret, str(user.id))
    return secret


def totp_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


async def confirm_totp(
    uow: UnitOfWork,
    throttle: Throttle,
    cipher: FieldCipher,
    hash_secret: str,
    token: str,
    code: str,
    actor_ip: str | None,
) -> StaffUser:
    """Step two of set-up: a correct code from the new authenticator completes set-up.

    The code is a guess like one at sign-in (STAFF_CODE, for this user): the caller commits either way.
    """
    setup, user = await setup_user_for_token(uow, hash_secret, token)
    if user.password_hash is None or user.totp_secret_encrypted is None:
        raise TenancyError(N_("Choose a password first"))
    attempt = await throttle.attempt(uow, STAFF_CODE, actor_ip, str(user.id))
    step = accept_totp(cipher, user, code)
    if step is None:
        raise TenancyError(N_("Enter the 6-digit code your authenticator app shows now"))
    await throttle.succeeded(uow, attempt)
    user.totp_last_step = step
    user.setup_completed_at = utcnow()
    setup.used_at = utcnow()
    actor = Actor("staff", str(user.id), user.email, actor_ip)
    audit.record(uow, actor, "staff_user.setup_completed", "staff_user", user.id)
    return user


def accept_totp(cipher: FieldCipher, user: StaffUser, code: str) -> int | None:
    """The time step a correct, unused code belongs to, allowing one step of clock drift."""
    if user.totp_secret_encrypted is None:
        return None
    encrypted = user.totp_secret_encrypted
    return totp_step(lambda: cipher.decrypt_text(encrypted, str(user.id)), code, user.totp_last_step)


def totp_step(secret: Callable[[], str], code: str, last_step: int | None) -> int | None:
    """The time step (RFC 6238) a correct code belongs to, one step of drift allowed, if later than `last_step`.

    A code is accepted once (RFC 6238 section 5.2): the caller keeps the step and passes it back next time.
    `secret` is called only for a code that looks like one, so a malformed code decrypts nothing.
    """
    code = "".join(code.split())
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret())
    now = int(utcnow().timestamp())
    for drift in (0, -1, 1):
        step = now // totp.interval + drift
        if (last_step is None or step > last_step) and totp.at(step * totp.interval) == code:
            return step
    return None


async def create_ready_user(
    uow: UnitOfWork, actor: Actor, cipher: FieldCipher, email: str, password: str, platform_admin: bool
) -> tuple[StaffUser, str]:
    """A user whose set-up is already done (for the demo): returns the user and their TOTP secret."""
    email = normalise_email(email)
    check_password_rules(password, email)
    user = StaffUser(
        id=uuid.uuid4(),
        email=email,
        is_platform_admin=platform_admin,
        password_hash=hash_password(password),
        setup_completed_at=utcnow(),
    )
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = cipher.encrypt_text(secret, str(user.id))
    uow.session.add(user)
    audit.record(uow, actor, "staff_user.created", "staff_user", user.id, platform_admin=platform_admin)
    return user, secret


class ServiceDirectory:
    """Core's `ServiceDirectory` interface, for components."""

    async def describe(self, uow: UnitOfWork, service_id: uuid.UUID) -> ServiceRef | None:
        row = (
            await uow.session.execute(
                select(Service.id, Service.name, Organisation.id, Organisation.name)
                .join(Organisation, Service.organisation_id == Organisation.id)
                .where(Service.id == service_id)
            )
        ).first()
        return None if row is None else ServiceRef(row[0], row[1], row[2], row[3])

    async def member_emails(self, uow: UnitOfWork, service_id: uuid.UUID) -> list[str]:
        query = (
            select(StaffUser.email)
            .join(ServiceMembership, ServiceMembership.user_id == StaffUser.id)
            .where(ServiceMembership.service_id == service_id)
        )
        return [email.lower() for email in (await uow.session.scalars(query)).all()]
