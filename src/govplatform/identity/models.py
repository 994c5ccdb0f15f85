"""Identity's tables: citizens, relying parties, the provider's signing keys, sign-ins in progress,
accounts being created, citizens' sessions at the provider, the services each citizen has used, changes of
email address, authorisation codes, access tokens, used client-assertion ids, password reset links and requests
to replace a lost second factor (ADR 0022).

What is secret is never stored in a form that can be replayed: an authorisation code, an access token,
a sign-in cookie and a client secret are kept as keyed hashes (HMAC-SHA256 with the platform's hash
secret); passwords as argon2id hashes; the TOTP secret and the provider's private keys, which the server
needs back, AES-GCM encrypted with core's field cipher (associated data: the row's id, so a value copied
to another row does not decrypt). docs/adr/0017-identity-provider.md says why each is kept as it is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from govplatform.core.interfaces import Base, utcnow


class Citizen(Base):
    """A citizen's account: what they sign in with and what they told us about themselves."""

    __tablename__ = "identity_citizens"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # normalised: trimmed, lower case
    email_verified: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a code is accepted once (RFC 6238 section 5.2)
    phone_number: Mapped[str | None] = mapped_column(String(20))  # E.164; held only when SMS is the second factor
    phone_number_as_typed: Mapped[str | None] = mapped_column(String(40))  # shown back to the citizen as they know it
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    birth_date: Mapped[dt.date | None]
    # Mixed into the pairwise subject (services/subjects.py), as One Login's per-user salt.
    subject_salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RelyingParty(Base):
    """A service's OpenID Connect client, with One Login's client registry fields."""

    __tablename__ = "identity_relying_parties"
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    back_channel_logout_uri: Mapped[str | None] = mapped_column(String(2000))
    public_key_pem: Mapped[str | None] = mapped_column(Text)  # PublicKeySource STATIC
    jwks_url: Mapped[str | None] = mapped_column(String(2000))  # PublicKeySource JWKS
    sector: Mapped[str] = mapped_column(String(255))  # the host pairwise subjects are computed for
    scopes: Mapped[list[str]] = mapped_column(JSON)
    claims: Mapped[list[str]] = mapped_column(JSON, default=list)
    levels: Mapped[list[str]] = mapped_column(JSON)  # ClientLoCs: P0, P1, P2, ...
    id_token_alg: Mapped[str] = mapped_column(String(8), default="ES256")
    token_auth_method: Mapped[str] = mapped_column(String(32), default="private_key_jwt")
    client_secret_hash: Mapped[str | None] = mapped_column(String(128))  # keyed hash; client_secret_post only
    pkce_required: Mapped[bool] = mapped_column(Boolean, default=False)
    max_age_enabled: Mapped[bool] = mapped_column(Boolean, default=False)  # One Login's MaxAgeEnabled (opt-in)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SigningKey(Base):
    """One of the provider's ID token keys: published before it signs, published a while after it stops.

    state: "next" (published, not yet signing), "signing", or "retired" (published, no longer signing).
    """

    __tablename__ = "identity_signing_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8))  # ES256 or RS256
    purpose: Mapped[str] = mapped_column(String(16), default="id_token", server_default="id_token")  # or core_identity
    state: Mapped[str] = mapped_column(String(8))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_key_encrypted: Mapped[str] = mapped_column(Text)  # PEM, AES-GCM under core's cipher, kid as AD
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    signing_since: Mapped[dt.datetime | None]
    retired_at: Mapped[dt.datetime | None]
    __table_args__ = (Index("ix_identity_signing_keys_alg_state", "alg", "state"),)  # purpose: two sets, ADR 0017


class SignIn(Base):
    """A sign-in in progress: the checked authorisation request, and how far the citizen has got.

    The browser holds a random token in a cookie; this row holds its keyed hash.
    """

    __tablename__ = "identity_sign_ins"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    email: Mapped[str | None] = mapped_column(String(320))  # as typed, for the password page
    citizen_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # set when the password was right
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class SignUp(Base):
    """An account being created during a sign-in: the email, its code, then the password and authenticator.

    Keyed by its sign-in's token hash (one sign-up per sign-in, gone when the sign-in ends). The code is kept
    as a keyed hash; a known email gets no code at all (`code_hash` stays empty, so every guess is wrong), so
    the row looks the same whether the email has an account or not. The password is kept as its argon2id hash
    and the authenticator secret encrypted (associated data: the sign-in token hash) until the account exists.
    """

    __tablename__ = "identity_sign_ups"
    sign_in_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))  # normalised
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[dt.datetime]
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0)
    email_confirmed_at: Mapped[dt.datetime | None]
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    phone_number: Mapped[str | None] = mapped_column(String(20))  # E.164, when text messages were chosen
    phone_number_as_typed: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class TextCode(Base):
    """A security code texted to a phone during a sign-in or a sign-up: one per sign-in, replaced when sent again.

    Bound to its sign-in (the primary key), its account (`citizen_id`; none while the account is being made) and
    the number it went to; the code is kept only as a keyed hash of all three and itself, so it counts nowhere
    else. Void after use or after MAX_WRONG_GUESSES (services/text_codes.py); deleted when it expires.
    """

    __tablename__ = "identity_text_codes"
    sign_in_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    citizen_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    phone_number: Mapped[str] = mapped_column(String(20))  # E.164
    code_hash: Mapped[str | None] = mapped_column(String(64))
    wrong_guesses: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class CitizenSession(Base):
    """A citizen's session at the provider (single sign-on): a later /authorize from any service is answered
    without the sign-in pages while it lasts (docs/adr/0018-citizen-sessions.md).

    The browser holds a random token in a cookie; this row holds its keyed hash. `expires_at` is the idle
    limit, moved on with each use but never past `ends_at`, the absolute limit.
    """

    __tablename__ = "identity_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    credential: Mapped[str] = mapped_column(String(8))  # Cl or Cl.Cm: how the citizen signed in
    sid: Mapped[str] = mapped_column(String(64))  # every ID token of the session carries it
    auth_time: Mapped[dt.datetime]  # when the citizen last proved who they are (a password, a code)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    ends_at: Mapped[dt.datetime]
    # For the citizen's list of signed-in devices (services/devices.py): the browser and operating system in
    # plain words, never the User-Agent header itself nor any part of the address; last use, at most a minute old.
    browser: Mapped[str | None] = mapped_column(String(60))
    operating_system: Mapped[str | None] = mapped_column(String(60))
    last_used_at: Mapped[dt.datetime | None]


class ServiceUse(Base):
    """A service a citizen has signed in to, with the first and the last time: their "Your services" page,
    and the services told when the account is deleted."""

    __tablename__ = "identity_service_uses"
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_used_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime]


class EmailChange(Base):
    """A change of email address waiting for the code sent to the new address: one a citizen, single use.

    When the new address already has an account, the code's hash is of a code never sent (the address is
    sent a notice instead), so the page that follows reads the same and no code can ever match.
    """

    __tablename__ = "identity_email_changes"
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    new_email: Mapped[str] = mapped_column(String(320))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class AuthorisationCode(Base):
    """A code issued to a relying party: single use, 300 seconds (One Login's default)."""

    __tablename__ = "identity_authorisation_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    claims: Mapped[list[str]] = mapped_column(JSON, default=list)  # the userinfo claims requested and allowed
    nonce: Mapped[str] = mapped_column(String(512))
    credential: Mapped[str] = mapped_column(String(8))  # Cl or Cl.Cm: the ID token's vot
    level: Mapped[str | None] = mapped_column(String(4))  # P1, P2...: the identity asked for; None or P0: none
    return_code: Mapped[str | None] = mapped_column(String(1))  # identity not proved: the code userinfo returns
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    sid: Mapped[str] = mapped_column(String(64))
    auth_time: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    used_at: Mapped[dt.datetime | None]


class AccessToken(Base):
    """An opaque bearer token for /userinfo: 180 seconds, revoked when its code is replayed."""

    __tablename__ = "identity_access_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    subject: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    claims: Mapped[list[str]] = mapped_column(JSON, default=list)
    level: Mapped[str | None] = mapped_column(String(4))  # the identity level asked for, from the code
    return_code: Mapped[str | None] = mapped_column(String(1))  # from the code: identity not proved
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class UsedAssertion(Base):
    """A client assertion's jti, kept until the assertion expires, so none is accepted twice (RFC 7523 3)."""

    __tablename__ = "identity_used_assertions"
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class AccountEvent(Base):
    """A line of the citizen's own account history: signed in, a factor added or removed, a recovery step.

    Kept for the citizen, not for staff (the audit log names no citizen); `detail` holds what the page shows
    beside the event's name (a passkey's name, the last digits of a phone number) and never a secret, a code
    or a full address. Deleted with the account.
    """

    __tablename__ = "identity_account_events"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProvenIdentity(Base):
    """The identity a citizen proved (identity part 3, GPG 45): the One Login level reached and, sealed, what
    was proved (verified name, date of birth, the documents' details, the evidence and scores behind the level).

    The proved details are personal data and kept AES-GCM encrypted under core's cipher (associated data: the
    citizen's id); the level, route and time stay readable for the success rates and the authorisation check.
    """

    __tablename__ = "identity_proven_identities"
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    level: Mapped[str] = mapped_column(String(4))  # P1, P2, P3
    route: Mapped[str] = mapped_column(String(32))  # passport, driving_licence, command (the CLI's)
    proved_encrypted: Mapped[str] = mapped_column(Text)
    proven_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProvingAttempt(Base):
    """A citizen's go at proving their identity (proofing/journey.py): the route chosen, how far it got, and
    sealed, what they typed and what the checks found so far. Lives an hour; one live attempt per citizen.

    `request_json` is the authorisation request that sent them here (its state and nonce, no personal data),
    so the service gets its code, `access_denied` or a return code when the attempt ends.
    """

    __tablename__ = "identity_proving_attempts"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    citizen_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_citizens.id", ondelete="CASCADE"), index=True)
    wanted: Mapped[str] = mapped_column(String(4))  # P1 or P2
    request_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    route: Mapped[str | None] = mapped_column(String(32))  # uk_passport, uk_photocard_driving_licence
    stage: Mapped[str] = mapped_column(String(16), default="route")  # route, details, questions, finished
    found_encrypted: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(32))  # the level reached, or where it failed
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    # The submission whose document check is running, outside any transaction (journey.check_document), and
    # since when: a second submission waits for it, and a result is applied only to the attempt it was for.
    check_token: Mapped[str | None] = mapped_column(String(32))
    check_started_at: Mapped[dt.datetime | None]


class ProvingOutcome(Base):
    """One check's outcome, or one route's, for the success rates (proofing/outcomes.py, pages/proving_rates.py).

    No personal data: the person is a keyed hash of their account id, so first tries and eventual successes can
    be counted per person, and the rows outlive a deleted account without naming anyone."""

    __tablename__ = "identity_proving_outcomes"
    __table_args__ = (Index("ix_identity_proving_outcomes_route_step", "route", "step"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    person: Mapped[str] = mapped_column(String(64))
    attempt_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    route: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(16))  # document, fraud, knowledge; "route" for the whole attempt
    provider: Mapped[str] = mapped_column(String(64))
    passed: Mapped[bool] = mapped_column(Boolean)
    first_try: Mapped[bool] = mapped_column(Boolean)  # the person's first outcome at this route and step
    detail: Mapped[str] = mapped_column(String(32))  # the check's status, or the level reached / where it failed
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class DocumentBinding(Base):
    """A document that proved an identity, bound to that one account: the same passport or licence cannot prove
    a second account. Kept as a keyed hash of its kind and number, so the table lists no document numbers."""

    __tablename__ = "identity_document_bindings"
    document_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)


class PasswordReset(Base):
    """An emailed link to set a new password (services/recovery.py): single use, short-lived, kept as a keyed hash.

    `password_fingerprint` is a keyed hash of the password hash when the link was sent, so a link is worth
    nothing once the password has changed by any route; a newer link for the citizen makes this one worthless too
    (the newest `created_at` wins). `second_factor_at` is set when the second factor was proven on this link.
    """

    __tablename__ = "identity_password_resets"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    password_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    second_factor_at: Mapped[dt.datetime | None]
    used_at: Mapped[dt.datetime | None]


class FactorRecovery(Base):
    """A request to replace a lost second factor (services/factor_recovery.py): the emailed code, then a wait.

    The email code is kept as a keyed hash until it is confirmed (`email_confirmed_at`); the wait ends at
    `ready_at`; the cancel link's token is kept as a keyed hash. The new authenticator's secret is kept
    encrypted (associated data: the row's id) only while it is being set up. A request ends cancelled or
    completed and is kept until `expires_at` so that a cancel link used again is recognised and said so.
    """

    __tablename__ = "identity_factor_recoveries"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[dt.datetime]
    wrong_codes: Mapped[int] = mapped_column(Integer, default=0)
    email_confirmed_at: Mapped[dt.datetime | None]
    ready_at: Mapped[dt.datetime | None]
    cancel_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    new_totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class Passkey(Base):
    """A citizen's passkey (a WebAuthn credential, docs/adr/0023-passkeys.md): several a citizen, each named.

    Nothing here is secret: the public key is the COSE key the authenticator gave when the passkey was made.
    `sign_count` is the authenticator's signature counter as last seen; `user_handle` is the WebAuthn user id
    it was made with (random, one a citizen, the same for all their passkeys), which a passkey used without a
    password gives back and which must match.
    """

    __tablename__ = "identity_passkeys"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    name: Mapped[str] = mapped_column(String(100))
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url, at most 1023 bytes
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)  # unsigned 32 bits
    transports: Mapped[list[str]] = mapped_column(JSON, default=list)
    user_handle: Mapped[str] = mapped_column(String(128))  # base64url
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]


class PasskeyChallenge(Base):
    """A WebAuthn challenge issued to one page: single use, five minutes, for one purpose, bound to the sign-in
    (or session) it was issued in, and for a second factor to the citizen whose password was right.

    Kept as a keyed hash of the challenge, found again from the challenge the browser signed: a copy of the
    table cannot be used to answer one.
    """

    __tablename__ = "identity_passkey_challenges"
    challenge_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))  # sign_up, add, second_factor, passwordless
    bound_to: Mapped[str] = mapped_column(String(64))  # the sign-in's or the session's token hash
    citizen_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    user_handle: Mapped[str | None] = mapped_column(String(128))  # a registration's WebAuthn user id
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
