"""A lost password: an emailed single-use link, then the second factor, then a new password.

Which factors are proven: the link proves only that the person can read the account's mailbox, which is not a
factor of the account's sign-in; the **second factor** (services/second_factor.py: the authenticator app's code,
a code texted to the account's phone on this link, or a passkey; the account's default first, the others
offered) and the **new password**, chosen by the same person in the same browser after it, are the two factors.
So a citizen who finishes is signed in at Cl.Cm (password and second factor), as after a sign-in; a sign-in they
were in for this account's email goes on to its service. No step gives anything before the second factor is proven:
the new-password page is refused until it is.

The link, in the order it is checked (the order decides which refusal is shown, so it may not be reordered):
- it exists: the token is 32 random bytes; the table keeps only its keyed hash (HMAC-SHA256, its own purpose
  label), so a copy of the table is worth no links, and a forged or mistyped token finds nothing;
- it has not been used (single use: `used_at` is set when the password is changed);
- it is the newest link for the account (asking again makes earlier links worthless);
- the password has not changed since it was sent (a keyed hash of the password hash at sending time is kept,
  so a link outlives no change of password by any route);
- it has not expired (RESET_MINUTES, 60: long enough to find the email, short enough that an old mailbox is
  worth little).
Every refusal is a clear page, changes nothing, and is recorded: in core's audit log (no personal data), and in
the citizen's own history when the link names an account.

Asking for a link answers the same for every email: an unknown one is sent nothing and the page reads the same.
Sends are throttled per client address and per email typed, so the form cannot flood a mailbox. When the
password is set, every session of the account ends (anyone who had the old password is signed out), the
account's email is told, and the history records password_reset_requested and password_reset.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from sqlalchemy import delete, exists, select

from govplatform.core.interfaces import (
    N_,
    BackOff,
    Guessing,
    MessageRefused,
    PlatformTemplate,
    UnitOfWork,
    UserFacingError,
    gettext_,
    hash_password,
    keyed_hash,
    random_token,
    record_audit,
    utcnow,
)
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen, PasswordReset, SignIn
from govplatform.identity.services import history, notices, second_factor, sessions, sign_in
from govplatform.identity.services.accounts import CITIZEN
from govplatform.identity.services.authorisation import AuthorisationRequest
from govplatform.identity.services.citizens import find_by_email, normalise_email
from govplatform.identity.services.factors import APP, PASSKEY, TEXT
from govplatform.identity.services.passwords import check_new_password

RESET_MINUTES = 60
LINK_PATH = "/identity/recovery/reset"  # the emailed link: LINK_PATH?token=...
DONE_PATH = "/identity/recovery/reset/done"  # where a reset with no sign-in in progress ends
_ADDRESS = BackOff(free=10, first_wait=60.0, longest_wait=60 * 60.0, forgive_every=10 * 60.0)
# Five links to one email before a wait, then longer ones: a person needs one or two.
SENDING = Guessing(
    "identity.password_reset_send", _ADDRESS, BackOff(free=5, first_wait=60.0, longest_wait=3600.0, forgive_every=600.0)
)
REFUSALS = {
    "unknown": N_(
        "This link does not work. Check that you opened the whole link from the email, or ask for a new one."
    ),
    "used": N_("This link has already been used. If you need to reset your password again, ask for a new link."),
    "superseded": N_("A newer link has been sent since this one. Use the link in the most recent email."),
    "password_changed": N_("Your password has changed since this link was sent, so the link no longer works."),
    "expired": N_("This link has expired. Links work for 60 minutes. Ask for a new link."),
    "no_second_factor": N_("Enter the security code from your authenticator app before you choose a new password."),
}
PASSWORDS_DIFFER = N_("Enter the same password in both fields")
RESET_NOTICE = N_("The password for your account was reset using a link sent to this email address.")


class ResetRefused(UserFacingError):
    """A reset link or step was refused; `reason` names which check, the message says it to the citizen."""

    def __init__(self, reason: str) -> None:
        super().__init__(REFUSALS[reason])
        self.reason = reason


def _hash(identity: IdentityComponent, token: str) -> str:
    return keyed_hash(identity.hash_secret, token, "identity-password-reset")


def _fingerprint(identity: IdentityComponent, citizen: Citizen) -> str:
    return keyed_hash(identity.hash_secret, citizen.password_hash, "identity-password-reset-fingerprint")


async def request_link(uow: UnitOfWork, identity: IdentityComponent, typed: str, ip: str | None, language: str) -> None:
    """Email a reset link to `typed` if it has an account; nothing otherwise, and nothing says which. Raises
    IdentityError (not an email address) or TooManyGuesses. The caller commits in every case (a send counts)."""
    email = normalise_email(typed)
    await identity.throttle.attempt(uow, SENDING, ip, email)  # never given back: every send counts
    citizen = await find_by_email(uow, email)
    if citizen is None or identity.messages is None:
        return  # nothing to send, and the page reads the same
    token, now = random_token(32), utcnow()
    uow.session.add(
        PasswordReset(
            token_hash=_hash(identity, token),
            citizen_id=citizen.id,
            password_fingerprint=_fingerprint(identity, citizen),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=RESET_MINUTES),
        )
    )
    values = {"reset_link": f"{identity.base_url}{LINK_PATH}?token={token}", "minutes": RESET_MINUTES}
    try:
        await identity.messages.send_email(
            uow, PlatformTemplate.CITIZEN_PASSWORD_RESET, email, values, language=language
        )
    except MessageRefused:
        return  # the page reads the same; the link is worthless without its email
    history.record(uow, citizen.id, "password_reset_requested")


def _refuse(uow: UnitOfWork, citizen_id: uuid.UUID | None, step: str, reason: str) -> ResetRefused:
    """The refusal, recorded: the audit log (no personal data) and, for a known account, its own history."""
    record_audit(uow, CITIZEN, "identity.recovery_refused", "citizen", citizen_id, step=step, reason=reason)
    if citizen_id is not None:
        history.record(uow, citizen_id, "recovery_refused")
    return ResetRefused(reason)


async def open_link(uow: UnitOfWork, identity: IdentityComponent, token: str | None) -> tuple[PasswordReset, Citizen]:
    """The link's row and its citizen, checked in the module docstring's order; raises ResetRefused (recorded:
    the caller commits in every case)."""
    now = utcnow()
    reset = await uow.session.get(PasswordReset, _hash(identity, token)) if token and len(token) <= 100 else None
    citizen = await uow.session.get(Citizen, reset.citizen_id) if reset is not None else None
    if reset is None or citizen is None:
        raise _refuse(uow, None, "password_reset_link", "unknown")
    newer = exists().where(PasswordReset.citizen_id == reset.citizen_id, PasswordReset.created_at > reset.created_at)
    if reset.used_at is not None:
        raise _refuse(uow, citizen.id, "password_reset_link", "used")
    if await uow.session.scalar(select(newer)):
        raise _refuse(uow, citizen.id, "password_reset_link", "superseded")
    if reset.password_fingerprint != _fingerprint(identity, citizen):
        raise _refuse(uow, citizen.id, "password_reset_link", "password_changed")
    if reset.expires_at <= now:
        raise _refuse(uow, citizen.id, "password_reset_link", "expired")
    return reset, citizen


async def prove_factor(
    uow: UnitOfWork,
    identity: IdentityComponent,
    reset: PasswordReset,
    citizen: Citizen,
    answer: str,
    ip: str | None,
    kind: str = APP,
) -> None:
    """The second factor of `kind`, proven on this link: an app's code, a code texted on this link, or a passkey's
    answer (JSON) to a challenge of this link. Raises TooManyGuesses, SignInFailed, TextCodeRefused or
    PasskeyRefused; the caller commits."""
    if kind == TEXT:
        await second_factor.prove_text_code(uow, identity, citizen, reset.token_hash, answer, ip)
    elif kind == PASSKEY:
        await second_factor.prove_passkey(uow, identity, citizen, reset.token_hash, answer, ip)
    else:
        await second_factor.prove_second_factor(uow, identity, citizen, answer, ip)
    reset.second_factor_at = utcnow()


async def set_password(
    uow: UnitOfWork, identity: IdentityComponent, token: str | None, password: str, again: str
) -> Citizen:
    """The new password, on a link whose second factor was proven: every session of the account ends, the
    email is told, the history records it. Raises ResetRefused or WeakPassword; the caller commits in every
    case (a refusal is recorded)."""
    reset, citizen = await open_link(uow, identity, token)
    if reset.second_factor_at is None:
        raise _refuse(uow, citizen.id, "password_reset_password", "no_second_factor")
    check_new_password(password, email=citizen.email)
    if password != again:
        raise UserFacingError(PASSWORDS_DIFFER)
    citizen.password_hash = await asyncio.to_thread(hash_password, password)
    reset.used_at = utcnow()
    await sessions.end_all(uow, citizen.id)
    history.record(uow, citizen.id, "password_reset")
    record_audit(uow, CITIZEN, "identity.citizen_password_reset", "citizen", citizen.id)
    await notices.tell(uow, identity, citizen.email, gettext_(RESET_NOTICE))
    return citizen


async def sign_in_after_reset(
    uow: UnitOfWork, identity: IdentityComponent, citizen: Citizen, row: SignIn | None, previous_session: str | None
) -> sign_in.Finished:
    """The citizen proved two factors (the second factor, then a password they chose): the sign-in this browser
    was in goes on to its service, or, with none, a session at Cl.Cm opens and the browser goes to DONE_PATH.

    Only a sign-in for this account's email goes on: a sign-in this browser holds for another email (started by
    a link someone else sent, say) is not finished as this account, so no service learns of the account without
    the citizen having asked to sign in to it. The caller commits."""
    if row is not None and row.email != citizen.email:
        row = None
    if row is None:
        platform_page = AuthorisationRequest(
            client_id="", client_name="", redirect_uri="", state="", nonce="", scopes=[], claims=[],
            credential="Cl.Cm", code_challenge=None, response_mode="query", language=None, return_to=DONE_PATH,
        )  # fmt: skip
        row = SignIn(token_hash=random_token(32), request=platform_page.as_json(), expires_at=utcnow())
    row.email, row.citizen_id = citizen.email, citizen.id
    return await sign_in.finish(uow, identity, row, "Cl.Cm", previous_session)


async def forget(uow: UnitOfWork, citizen_id: uuid.UUID) -> None:
    """The account is being deleted: its reset links go with it. The caller commits."""
    await uow.session.execute(delete(PasswordReset).where(PasswordReset.citizen_id == citizen_id))
