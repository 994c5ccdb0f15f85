"""Passkeys (WebAuthn level 2) for citizens, through py_webauthn (`webauthn`): making one, and using one as the
second factor after the password or, alone, to sign in without a password (docs/adr/0023-passkeys.md).

The relying party id is the host of the platform's base URL (`localhost` in the demo and tests: browsers refuse
an IP address) and the only origin accepted is the base URL's own. Every ceremony requires user verification
(a PIN, a fingerprint, a face): with it a passkey is something the citizen has and something they know or are,
which is why a passkey alone counts as Cl.Cm. Attestation is `none`: the platform trusts no maker's list of
authenticators, and asking for attestation would only identify the citizen's device to us.

A challenge is issued with the page that uses it and kept as a keyed hash (PasskeyChallenge): single use, five
minutes, for one purpose, bound to the sign-in (or the session) whose page showed it and, for a second factor, to
the citizen whose password was right. The browser's answer names its challenge (in clientDataJSON); the row is
found by its hash and claimed by one DELETE before the library checks anything, so of two answers to one
challenge only one is checked, and a challenge from another sign-in, purpose or citizen finds no row.

The order of the checks in `authenticate` is fixed: the throttle counts the attempt before anything is looked
up; the passkey is found by its credential id; the challenge is claimed; the passkey must be the citizen's; the library
checks the type, challenge, origin, rpIdHash, user presence and verification, and the signature; then the
signature counter (here, after the signature, so the message can say what happened). A refusal where the
citizen is known is recorded in their account history; nothing else changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import uuid
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from govplatform.core.interfaces import N_, BackOff, Guessing, UnitOfWork, UserFacingError, keyed_hash, utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen, Passkey, PasskeyChallenge
from govplatform.identity.services import history
from govplatform.identity.services.sign_in import CITIZEN_CODE

CHALLENGE_SECONDS = 5 * 60
SIGN_UP, ADD, SECOND_FACTOR, PASSWORDLESS = "sign_up", "add", "second_factor", "passwordless"
# Without a password the credential id is the only account there is to count against; the address counts too.
PASSKEY_SIGN_IN = Guessing(
    "identity.passkey",
    BackOff(free=10, first_wait=1.0, longest_wait=15 * 60.0, forgive_every=10 * 60.0),
    BackOff(free=5, first_wait=1.0, longest_wait=15 * 60.0, forgive_every=10 * 60.0),
)
# What a library's parser may raise on hostile bytes (cbor2's errors are ValueErrors): each is a refusal.
_MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, RecursionError)

NOT_USED = N_("Your passkey was not used. Try again, or choose another way")
ALREADY_SET_UP = N_("This passkey is already set up. Use a different passkey or device")
EXPIRED = N_("The request to use your passkey has expired or has already been used. Try again")
REFUSED = N_("Your passkey could not be checked. Try again, or choose another way")
NOT_YOURS = N_("This passkey is not set up for this account. Use a passkey you set up for it, or choose another way")
UNKNOWN = N_("This passkey is not set up for an account. Sign in with your email address and password instead")
COPIED = N_(
    "This passkey may have been copied, so it cannot be used. Sign in another way, then remove it from your account"
)


class PasskeyRefused(UserFacingError):
    """A passkey was not accepted; the message says why in words a citizen can act on. Nothing was changed."""


@dataclasses.dataclass(frozen=True)
class NewPasskey:
    """A passkey the browser has just made and the library has checked, not yet anyone's."""

    credential_id: str
    public_key: bytes
    sign_count: int
    transports: list[str]
    user_handle: str
    kind: str  # what the default name says: "device", "phone", "key" or "passkey"


def relying_party(identity: IdentityComponent) -> tuple[str, str]:
    """The relying party id (the base URL's host) and the one origin accepted (the base URL's own)."""
    parts = urlsplit(identity.base_url)
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def _hash(identity: IdentityComponent, challenge: bytes) -> str:
    return keyed_hash(identity.hash_secret, bytes_to_base64url(challenge), "identity-passkey-challenge")


async def _issue(
    uow: UnitOfWork,
    identity: IdentityComponent,
    purpose: str,
    bound_to: str,
    citizen_id: uuid.UUID | None = None,
    user_handle: str | None = None,
) -> bytes:
    now = utcnow()
    await uow.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at <= now))
    challenge = secrets.token_bytes(32)
    uow.session.add(
        PasskeyChallenge(
            challenge_hash=_hash(identity, challenge),
            purpose=purpose,
            bound_to=bound_to,
            citizen_id=citizen_id,
            user_handle=user_handle,
            expires_at=now + dt.timedelta(seconds=CHALLENGE_SECONDS),
        )
    )
    return challenge


async def _claim(
    uow: UnitOfWork,
    identity: IdentityComponent,
    client_data_json: bytes,
    purpose: str,
    bound_to: str,
    citizen_id: uuid.UUID | None,
) -> tuple[bytes, PasskeyChallenge]:
    """The challenge the browser answered, used up; raises PasskeyRefused(EXPIRED) if it was not issued for
    this purpose, sign-in and citizen, has expired, or was used already (a second claim deletes nothing)."""
    try:
        challenge = parse_client_data_json(client_data_json).challenge
    except _MALFORMED:
        raise PasskeyRefused(REFUSED) from None
    challenge_hash = _hash(identity, challenge)
    row = await uow.session.get(PasskeyChallenge, challenge_hash)
    if (
        row is None
        or row.purpose != purpose
        or row.bound_to != bound_to
        or row.citizen_id != citizen_id
        or row.expires_at <= utcnow()
    ):
        raise PasskeyRefused(EXPIRED)
    claimed = await uow.session.execute(
        delete(PasskeyChallenge).where(PasskeyChallenge.challenge_hash == challenge_hash)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise PasskeyRefused(EXPIRED)
    return challenge, row


async def of_citizen(uow: UnitOfWork, citizen_id: uuid.UUID) -> list[Passkey]:
    """The citizen's passkeys, oldest first."""
    rows = await uow.session.scalars(
        select(Passkey).where(Passkey.citizen_id == citizen_id).order_by(Passkey.created_at, Passkey.id)
    )
    return list(rows)


async def second_factors(uow: UnitOfWork, citizen_id: uuid.UUID) -> tuple[bool, bool]:
    """Whether the citizen has an authenticator app, and whether they have a passkey: which second-factor page
    follows the password."""
    has_app = await uow.session.scalar(
        select(Citizen.totp_secret_encrypted.is_not(None)).where(Citizen.id == citizen_id)
    )
    has_passkey = await uow.session.scalar(select(Passkey.id).where(Passkey.citizen_id == citizen_id).limit(1))
    return bool(has_app), has_passkey is not None


def _descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    known = {transport.value for transport in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(passkey.credential_id),
            transports=[AuthenticatorTransport(name) for name in passkey.transports if name in known],
        )
        for passkey in passkeys
    ]


async def registration_options(
    uow: UnitOfWork,
    identity: IdentityComponent,
    *,
    purpose: str,
    bound_to: str,
    rp_name: str,
    user_name: str,
    citizen_id: uuid.UUID | None = None,
) -> str:
    """The options for navigator.credentials.create(), as JSON for the page, and their challenge issued.

    A discoverable credential (so it can sign in without a password) with user verification; the user handle is
    the citizen's own if they have passkeys already, so an authenticator replaces rather than adds, else new.
    """
    existing = await of_citizen(uow, citizen_id) if citizen_id is not None else []
    user_handle = existing[0].user_handle if existing else bytes_to_base64url(secrets.token_bytes(32))
    challenge = await _issue(uow, identity, purpose, bound_to, citizen_id, user_handle)
    rp_id, _ = relying_party(identity)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_name,
        user_name=user_name,
        user_id=base64url_to_bytes(user_handle),
        challenge=challenge,
        timeout=CHALLENGE_SECONDS * 1000,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(existing),
    )
    return options_to_json(options)


def _kind(transports: list[str], attachment: str | None) -> str:
    if "internal" in transports or attachment == "platform":
        return "device"
    if transports and set(transports) <= {"usb", "nfc", "ble"}:
        return "key"
    return "phone" if "hybrid" in transports else "passkey"


async def verify_new(
    uow: UnitOfWork,
    identity: IdentityComponent,
    credential_json: str,
    *,
    purpose: str,
    bound_to: str,
    citizen_id: uuid.UUID | None = None,
) -> NewPasskey:
    """A passkey the browser made for a challenge of ours, checked; raises PasskeyRefused. The caller commits
    (the challenge is used up either way)."""
    credential = _parsed(credential_json, parse_registration_credential_json)
    if not isinstance(credential, RegistrationCredential):
        raise PasskeyRefused(REFUSED)
    challenge, row = await _claim(uow, identity, credential.response.client_data_json, purpose, bound_to, citizen_id)
    rp_id, origin = relying_party(identity)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except _MALFORMED:
        raise PasskeyRefused(REFUSED) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if len(credential_id) > 1400 or row.user_handle is None:
        raise PasskeyRefused(REFUSED)
    if await uow.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)) is not None:
        raise PasskeyRefused(ALREADY_SET_UP)
    transports = [transport.value for transport in credential.response.transports or []]
    attachment = credential.authenticator_attachment.value if credential.authenticator_attachment else None
    return NewPasskey(
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
        user_handle=row.user_handle,
        kind=_kind(transports, attachment),
    )


def add(uow: UnitOfWork, citizen_id: uuid.UUID, new: NewPasskey, name: str) -> Passkey:
    """The checked passkey becomes the citizen's; the caller records it in the history and commits."""
    passkey = Passkey(
        citizen_id=citizen_id,
        name=name,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        transports=new.transports,
        user_handle=new.user_handle,
        created_at=utcnow(),
    )
    uow.session.add(passkey)
    return passkey


async def authentication_options(
    uow: UnitOfWork, identity: IdentityComponent, *, purpose: str, bound_to: str, citizen_id: uuid.UUID | None = None
) -> str:
    """The options for navigator.credentials.get(), as JSON, and their challenge issued: the citizen's own
    passkeys as a second factor, or any discoverable passkey (an empty list) to sign in without a password."""
    allowed = _descriptors(await of_citizen(uow, citizen_id)) if citizen_id is not None else []
    challenge = await _issue(uow, identity, purpose, bound_to, citizen_id)
    rp_id, _ = relying_party(identity)
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=CHALLENGE_SECONDS * 1000,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def _parsed(credential_json: str, parse: object) -> object:
    """The browser's credential as the library's type, or None when it is not one (never an exception)."""
    try:
        value = json.loads(credential_json)
        return parse(value) if callable(parse) and isinstance(value, dict) else None
    except _MALFORMED:
        return None


def _refuse(uow: UnitOfWork, message: str, citizen_id: uuid.UUID | None) -> PasskeyRefused:
    if citizen_id is not None:
        history.record(uow, citizen_id, "refused_second_factor", factor="passkey")
    return PasskeyRefused(message)


async def authenticate(
    uow: UnitOfWork,
    identity: IdentityComponent,
    credential_json: str,
    *,
    purpose: str,
    bound_to: str,
    citizen_id: uuid.UUID | None,
    ip: str | None,
) -> Passkey:
    """A passkey used for a challenge of ours: as the second factor of `citizen_id`, or (citizen_id None) to sign
    in without a password. Returns the passkey, its counter and last use updated. Raises TooManyGuesses or
    PasskeyRefused; the caller commits either way (the attempt is counted, the refusal recorded)."""
    credential = _parsed(credential_json, parse_authentication_credential_json)
    if not isinstance(credential, AuthenticationCredential):
        credential = None
    if citizen_id is not None:
        attempt = await identity.throttle.attempt(uow, CITIZEN_CODE, ip, str(citizen_id))
    else:
        named = bytes_to_base64url(credential.raw_id)[:200] if credential is not None else ""
        attempt = await identity.throttle.attempt(uow, PASSKEY_SIGN_IN, ip, named)
    if credential is None:
        raise _refuse(uow, REFUSED, citizen_id)
    credential_id = bytes_to_base64url(credential.raw_id)
    passkey = await uow.session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))
    # Whose history a refusal goes in: the citizen signing in, or without a password the passkey's owner.
    known = citizen_id if citizen_id is not None else (passkey.citizen_id if passkey is not None else None)
    try:
        challenge, _ = await _claim(uow, identity, credential.response.client_data_json, purpose, bound_to, citizen_id)
    except PasskeyRefused as refused:
        raise _refuse(uow, refused.template, known) from None
    if passkey is None:
        raise _refuse(uow, UNKNOWN if citizen_id is None else NOT_YOURS, citizen_id)
    if citizen_id is not None and passkey.citizen_id != citizen_id:
        raise _refuse(uow, NOT_YOURS, citizen_id)  # another citizen's passkey is not this one's second factor
    owner = passkey.citizen_id
    handle = credential.response.user_handle
    if citizen_id is None and (handle is None or bytes_to_base64url(handle) != passkey.user_handle):
        raise _refuse(uow, REFUSED, owner)  # WebAuthn 7.2 step 6: the user handle must be the passkey's owner's
    rp_id, origin = relying_party(identity)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=0,  # the counter is checked below, once the signature is known good
            require_user_verification=True,
        )
    except _MALFORMED:
        raise _refuse(uow, REFUSED, owner) from None
    # WebAuthn 7.2 step 21: a counter that did not go up (where either is non-zero) may be a cloned key.
    new_count = verified.new_sign_count
    if (new_count > 0 or passkey.sign_count > 0) and new_count <= passkey.sign_count:
        raise _refuse(uow, COPIED, owner)
    await identity.throttle.succeeded(uow, attempt)
    passkey.sign_count, passkey.last_used_at = new_count, utcnow()
    return passkey


async def forget(uow: UnitOfWork, citizen_id: uuid.UUID) -> None:
    """The account is being deleted: its passkeys and their challenges go with it. The caller commits."""
    await uow.session.execute(delete(Passkey).where(Passkey.citizen_id == citizen_id))
    await uow.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.citizen_id == citizen_id))
