"""Consent, kept apart from the other lawful bases: a citizen gives it to one agreement, keeps a signed receipt,
and can withdraw it, and a withdrawal holds for the very next query.

Only an active agreement whose basis is consent can be consented to. The consent covers the documents that
identity proofing bound to the citizen's account (their passport and driving licence numbers: identity binds a
document to one account), in the schemes the agreement's dataset answers by; each is kept only as a keyed hash,
salted by agreement, as a query will name it. A query under a consent agreement looks that hash up in its own
transaction, never in a cache; withdrawing deletes the hashes in the withdrawal's transaction, so once it has
committed no process can find them.

The receipt has the Kantara Initiative Consent Receipt v1.1's fields and is a compact JWS (RFC 7515) signed by
the gateway's key (alg Ed25519, RFC 9864; kid the gateway key's id in the directory), so the citizen can show
what they agreed to and anyone can check it against the published directory. The controllers' postal address,
email and phone are not held by the platform and are left out; their register entry is linked instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

from joserfc import jws
from joserfc.jwk import OKPKey
from sqlalchemy import delete, select

from govplatform.core.interfaces import (
    N_,
    Actor,
    UnitOfWork,
    UserFacingError,
    keyed_hash,
    record_audit,
    utcnow,
)
from govplatform.exchange.data_items import BY_ID
from govplatform.exchange.models import Consent, ConsentSubject
from govplatform.exchange.services import agreements, datasets
from govplatform.exchange.services.agreements import ACTIVE, AgreementView
from govplatform.exchange.services.gateway_keys import GatewayRing
from govplatform.exchange.subjects import SubjectError, normalise

SUBJECT_PURPOSE = "exchange.consent_subject"
GIVEN, WITHDRAWN = "given", "withdrawn"
RECEIPT_VERSION = "KI-CR-v1.1.0"
CITIZEN = Actor("citizen", None, "Citizen")  # the audit log's actor: no name, no email, no account id


class ConsentError(UserFacingError):
    """Consent that cannot be given or withdrawn as asked."""


@dataclasses.dataclass(frozen=True)
class Identifier:
    scheme: str
    value: str  # normalised


@dataclasses.dataclass(frozen=True)
class ConsentView:
    id: uuid.UUID
    agreement: AgreementView
    state: str
    given_at: dt.datetime
    withdrawn_at: dt.datetime | None
    receipt: str


def subject_hash(secret: str, agreement_id: uuid.UUID, scheme: str, normalised: str) -> str:
    return keyed_hash(secret, f"{agreement_id}:{scheme}:{normalised}", SUBJECT_PURPOSE)


def identifiers_of(passport: str | None, licence: str | None) -> list[Identifier]:
    """The identifiers of a proved identity that name one person alone: the documents proofing bound to the
    account (identity binds a document to one account). Never a name and date of birth, which two people can
    share: a consent or a data-use page keyed by them could reach another person's data."""
    candidates = [("passport", passport), ("driving-licence", licence)]
    found = []
    for scheme, value in candidates:
        if value:
            try:
                found.append(Identifier(scheme, normalise(scheme, value)))
            except SubjectError:
                continue
    return found


async def consentable(uow: UnitOfWork, agreement_id: uuid.UUID) -> AgreementView:
    """The agreement, if consent can be given to it now: active, and its basis consent."""
    agreement = await agreements.find_agreement(uow, agreement_id)
    if agreement is None or agreement.basis != "consent" or agreement.state != ACTIVE:
        raise ConsentError(N_("This agreement is not one you can consent to now"))
    return agreement


def receipt(
    ring: GatewayRing, base_url: str, agreement: AgreementView, consent_id: uuid.UUID, citizen_id: uuid.UUID,
    language: str, now: dt.datetime,
) -> str:  # fmt: skip
    """The Kantara v1.1 consent receipt, as a compact JWS signed by the gateway's key."""
    items = [BY_ID[item].name["en"] for item in agreement.data_items]
    special = [BY_ID[item].name["en"] for item in agreement.data_items if BY_ID[item].special_category]
    ends = f"the agreement's end on {agreement.expires_on.isoformat()}" if agreement.expires_on else "its end"
    register = f"{base_url}/exchange/register"
    controllers = [
        {"piiController": party.name, "onBehalf": False, "contact": party.name, "piiControllerUrl": register}
        for party in (agreement.consumer, agreement.provider)
    ]
    document: dict[str, Any] = {
        "version": RECEIPT_VERSION,
        "jurisdiction": "GB",
        "consentTimestamp": int(now.timestamp()),
        "collectionMethod": f"Web page {base_url}/exchange/consent/{agreement.id}, after signing in",
        "consentReceiptID": str(consent_id),
        "publicKey": ring.key_id,
        "language": language,
        "piiPrincipalId": str(citizen_id),
        "piiControllers": controllers,
        "policyUrl": f"{register}#{agreement.id}",
        "services": [
            {
                "service": agreement.description,
                "purposes": [
                    {
                        "purpose": agreement.description,
                        "purposeCategory": [agreement.purpose],
                        "consentType": "EXPLICIT",
                        "piiCategory": items,
                        "primaryPurpose": True,
                        "termination": f"When you withdraw it at {base_url}/exchange/consents, or {ends}",
                        "thirdPartyDisclosure": True,
                        "thirdPartyName": agreement.consumer.name,
                    }
                ],
            }
        ],
        "sensitive": bool(special),
        "spiCat": special,
    }
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    header = {"alg": "Ed25519", "typ": "JWT", "kid": ring.key_id}
    return jws.serialize_compact(header, payload, OKPKey.import_key(ring.signer), algorithms=["Ed25519"])


async def give(
    uow: UnitOfWork, hash_secret: str, ring: GatewayRing, base_url: str, agreement_id: uuid.UUID,
    citizen_id: uuid.UUID, identifiers: list[Identifier], language: str,
) -> ConsentView:  # fmt: skip
    """Record the citizen's consent to the agreement for their identifiers, with its receipt. The caller commits."""
    agreement = await consentable(uow, agreement_id)
    existing = await _given(uow, agreement_id, citizen_id)
    if existing is not None:
        return _view(existing, agreement)
    dataset = await datasets.find(uow, agreement.dataset.id)
    covered = [identifier for identifier in identifiers if dataset and identifier.scheme in dataset.subject_schemes]
    if not covered:
        raise ConsentError(N_("The records this agreement reads cannot be matched to your proved identity"))
    now = utcnow()
    consent_id = uuid.uuid4()
    row = Consent(
        id=consent_id, agreement_id=agreement_id, citizen_id=citizen_id, state=GIVEN, given_at=now,
        receipt=receipt(ring, base_url, agreement, consent_id, citizen_id, language, now),
    )  # fmt: skip
    uow.session.add(row)
    await uow.session.flush()
    for identifier in covered:  # rows of this consent alone: another consent's are never touched
        digest = subject_hash(hash_secret, agreement_id, identifier.scheme, identifier.value)
        uow.session.add(ConsentSubject(agreement_id=agreement_id, subject_hash=digest, consent_id=consent_id))
    record_audit(uow, CITIZEN, "exchange.consent_given", "exchange_agreement", agreement_id)
    return _view(row, agreement)


async def withdraw(uow: UnitOfWork, consent_id: uuid.UUID, citizen_id: uuid.UUID) -> ConsentView:
    """Withdraw one of the citizen's own consents: no query finds it once this commits. The caller commits."""
    row = await uow.session.get(Consent, consent_id, with_for_update=True)
    if row is None or row.citizen_id != citizen_id:  # another's consent looks the same as none
        raise ConsentError(N_("There is no consent of yours with that ID"))
    if row.state == WITHDRAWN:
        raise ConsentError(N_("You have already withdrawn this consent"))
    row.state, row.withdrawn_at = WITHDRAWN, utcnow()
    await uow.session.execute(delete(ConsentSubject).where(ConsentSubject.consent_id == consent_id))
    record_audit(uow, CITIZEN, "exchange.consent_withdrawn", "exchange_agreement", row.agreement_id)
    agreement = await agreements.find_agreement(uow, row.agreement_id)
    assert agreement is not None
    return _view(row, agreement)


async def of_citizen(uow: UnitOfWork, citizen_id: uuid.UUID) -> list[ConsentView]:
    rows = list(
        await uow.session.scalars(
            select(Consent).where(Consent.citizen_id == citizen_id).order_by(Consent.given_at.desc(), Consent.id)
        )
    )
    views = []
    for row in rows:
        agreement = await agreements.find_agreement(uow, row.agreement_id)
        if agreement is not None:
            views.append(_view(row, agreement))
    return views


async def has_consent(uow: UnitOfWork, hash_secret: str, agreement_id: uuid.UUID, scheme: str, normalised: str) -> bool:
    """Whether the person this identifier names has consent standing under the agreement: read now, in the
    caller's transaction."""
    digest = subject_hash(hash_secret, agreement_id, scheme, normalised)
    found = await uow.session.execute(
        select(ConsentSubject.consent_id)
        .join(Consent, Consent.id == ConsentSubject.consent_id)
        .where(
            ConsentSubject.agreement_id == agreement_id,
            ConsentSubject.subject_hash == digest,
            Consent.state == GIVEN,
        )
    )
    return found.first() is not None


async def _given(uow: UnitOfWork, agreement_id: uuid.UUID, citizen_id: uuid.UUID) -> Consent | None:
    query = select(Consent).where(
        Consent.agreement_id == agreement_id, Consent.citizen_id == citizen_id, Consent.state == GIVEN
    )
    return await uow.session.scalar(query)


def _view(row: Consent, agreement: AgreementView) -> ConsentView:
    return ConsentView(row.id, agreement, row.state, row.given_at, row.withdrawn_at, row.receipt)
