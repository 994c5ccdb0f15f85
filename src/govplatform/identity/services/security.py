"""Changes to how a citizen proves it is them: setting up or replacing the authenticator app, removing it.

Each change needs the factors proven just now, not merely a live session: a session left open on a shared
computer must not let someone else swap the second factor for their own, which would hand them the account
for good. So the security pages accept a change only within PROVEN_WITHIN_SECONDS of the citizen's last
sign-in with both factors (the session's `auth_time` at Cl.Cm); otherwise they send the citizen through the
password and second-factor pages again (interfaces.sign_in_url(fresh=True)), as GitHub's "sudo mode" and
One Login's own "enter your password again" do.

A new app's secret is made on the page that shows it and carried to the confirming POST sealed (AES-GCM under
core's cipher, associated data: the session's token hash), so it needs no table and is worth nothing in
another session. It replaces the old one only when a code from the new app is right, and every change is
announced to the account's email and recorded in the citizen's history.
"""

from __future__ import annotations

import dataclasses

import pyotp

from govplatform.core.interfaces import (
    N_,
    DecryptionError,
    UnitOfWork,
    UserFacingError,
    gettext_,
    new_totp_secret,
    totp_step,
    utcnow,
)
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen, CitizenSession
from govplatform.identity.services import factors, history, notices
from govplatform.identity.services.sign_in import CITIZEN_CODE

PROVEN_WITHIN_SECONDS = 10 * 60
WRONG_APP_CODE = N_("The code you entered is not correct, try again with the code your authenticator app shows now")
ENTER_CODE = N_("Enter the 6-digit security code shown in your authenticator app")
EXPIRED = N_("This page has expired. Start setting up the authenticator app again")


class SecurityRefused(UserFacingError):
    """A change was refused; nothing changed."""


def proven_recently(session: CitizenSession) -> bool:
    """Whether the session's citizen proved both factors within the last few minutes."""
    age = (utcnow() - session.auth_time).total_seconds()
    return session.credential == "Cl.Cm" and 0 <= age <= PROVEN_WITHIN_SECONDS


def _purpose(session: CitizenSession) -> str:
    return f"security-app:{session.token_hash}"


@dataclasses.dataclass(frozen=True)
class NewApp:
    secret: str
    sealed: str  # goes back with the form
    uri: str  # the otpauth:// URI the QR code holds


def new_app(identity: IdentityComponent, session: CitizenSession, citizen: Citizen, issuer: str) -> NewApp:
    secret = new_totp_secret()
    uri = str(pyotp.TOTP(secret).provisioning_uri(name=citizen.email, issuer_name=issuer))
    return NewApp(secret, identity.box.encrypt_text(secret, _purpose(session)), uri)


def reopen_app(
    identity: IdentityComponent, session: CitizenSession, citizen: Citizen, sealed: str, issuer: str
) -> NewApp:
    """The same new secret again (a wrong code shows the same QR code); raises SecurityRefused if the sealed
    value is not this session's."""
    try:
        secret = identity.box.decrypt_text(sealed, _purpose(session))
    except (DecryptionError, UnicodeDecodeError):
        raise SecurityRefused(EXPIRED) from None
    uri = str(pyotp.TOTP(secret).provisioning_uri(name=citizen.email, issuer_name=issuer))
    return NewApp(secret, sealed, uri)


async def set_app(
    uow: UnitOfWork, identity: IdentityComponent, citizen: Citizen, app: NewApp, code: str, ip: str | None
) -> None:
    """The new app's first code: it becomes the account's app (replacing any other). Raises SecurityRefused or
    TooManyGuesses; the caller commits either way (a wrong guess is counted)."""
    if not code.strip():
        raise SecurityRefused(ENTER_CODE)
    attempt = await identity.throttle.attempt(uow, CITIZEN_CODE, ip, str(citizen.id))
    step = totp_step(lambda: app.secret, code, None)
    if step is None:
        raise SecurityRefused(WRONG_APP_CODE)
    await identity.throttle.succeeded(uow, attempt)
    replacing = citizen.totp_secret_encrypted is not None
    citizen.totp_secret_encrypted = identity.box.encrypt_text(app.secret, str(citizen.id))
    citizen.totp_last_step = step  # the code that confirmed the app cannot sign in too
    if replacing:
        history.record(uow, citizen.id, "factor_changed", factor=factors.APP)
        change = gettext_("The authenticator app for your account was changed.")
    else:
        history.record(uow, citizen.id, "factor_added", factor=factors.APP)
        change = gettext_("An authenticator app was added to your account.")
    await notices.tell(uow, identity, citizen.email, change)


async def remove_app(uow: UnitOfWork, identity: IdentityComponent, citizen: Citizen) -> None:
    """Raises LastFactor when the app is the account's only second factor. The caller commits."""
    if citizen.totp_secret_encrypted is None:
        return
    await factors.check_removable(uow, citizen, factors.APP)
    citizen.totp_secret_encrypted = None
    citizen.totp_last_step = None
    history.record(uow, citizen.id, "factor_removed", factor=factors.APP)
    await notices.tell(uow, identity, citizen.email, gettext_("The authenticator app was removed from your account."))
