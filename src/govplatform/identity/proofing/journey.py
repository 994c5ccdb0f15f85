"""A citizen's go at proving their identity: the route they choose by the evidence they have, the checks run on
what they type, the knowledge questions, and the result (issue 17 item 3). The pages (pages/proving.py) parse
and show; this module decides.

The order protects people's records: a document's numbers are checked for form first (documents.py), and a
document already bound to another account is refused before any source is asked, so neither a typing mistake
nor a stolen number reads a record. Then the document check, then the fraud check, then the questions. Every
check that reads a record about the person is written to the transparency log in the same transaction as the
outcome it produced (`_log_read`), and every outcome is counted for the success rates (outcomes.py).

A level is recorded only from the scorer's answer (scoring.py, services/proven.py): what the citizen asked for,
or what a service asked for, never decides it. A result below the level the service wanted still records the
level reached (a P1 proof is a proof), and the service gets `access_denied` or its return code.

Tries are throttled per account and per address (core's throttle): each set of details sent to the checks is a
try, whatever its outcome, so nobody can use the journey to test numbers against the sources.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import secrets
import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

import structlog
from sqlalchemy import delete, select

from govplatform.core.interfaces import N_, BackOff, Guessing, UnitOfWork, UserFacingError, utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import DocumentBinding, ProvingAttempt, RelyingParty
from govplatform.identity.proofing import outcomes
from govplatform.identity.proofing.checks import (
    Address,
    Claimant,
    DocumentClaim,
    DocumentKind,
    DocumentResult,
    DocumentStatus,
    FraudIndicator,
    FraudResult,
    KnowledgeResult,
    Question,
    QuestionQuality,
)
from govplatform.identity.proofing.gpg45 import covers
from govplatform.identity.proofing.scoring import Scored, score, verification_score
from govplatform.identity.services import proven
from govplatform.transparency.interfaces import DataUse

log = structlog.get_logger("govplatform.identity.proving")
ATTEMPT_SECONDS = 3600
ROUTES = (DocumentKind.UK_PASSPORT.value, DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE.value)
PLATFORM_SERVICE_ID = uuid.UUID("f6715e34-7f62-4088-acdf-5d9daaa1bff2")  # migration 0011's platform service
LEGAL_BASIS = "UK GDPR Article 6(1)(e): public task, at the person's request to prove their identity"
# Five tries an hour for an account, twenty for an address, then a wait that doubles to a day: a person
# mistypes once or twice and may try their other document; more is testing numbers against the sources.
PROVING = Guessing(
    "identity.proving",
    BackOff(free=20, first_wait=15 * 60.0, longest_wait=24 * 3600.0, forgive_every=60 * 60.0),
    BackOff(free=5, first_wait=15 * 60.0, longest_wait=24 * 3600.0, forgive_every=60 * 60.0),
)
# Return codes a service that asked for them gets instead of access_denied (docs/identity-proofing.md).
RETURN_CODES = {"document": "D", "in_use": "D", "fraud": "F", "knowledge": "K", "level": "L", "none": "N"}


class ChecksUnavailable(UserFacingError):
    """A provider did not answer. What was recorded before it (the try, records already read) is kept: the
    caller commits, and the citizen may try again later."""


UNAVAILABLE = N_("Sorry, we cannot check your details at the moment. Try again later")
T = TypeVar("T")


async def _asking(call: Awaitable[T]) -> T:
    """A provider's answer; any failure of theirs (a timeout, an error) is ChecksUnavailable, never a 500 that
    would roll back the log entries of records already read."""
    try:
        return await call
    except Exception as error:
        log.warning("identity.proving_check_failed", error=type(error).__name__)
        raise ChecksUnavailable(UNAVAILABLE) from None


class ProvingRefused(UserFacingError):
    """The details were not sent to any check: the message says what to change."""

    def __init__(self, message: str, field: str, **values: object) -> None:
        super().__init__(message, **values)
        self.field = field


IN_USE = N_(
    "This document has already been used to prove the identity of another account. Sign in to that "
    "account, or choose another document"
)


@dataclasses.dataclass(frozen=True)
class Found:
    """What the citizen typed and the checks found so far, sealed in the attempt's row (personal data)."""

    claimant: Claimant
    claim: DocumentClaim
    document: DocumentResult
    fraud: FraudResult | None = None
    questions: tuple[Question, ...] = ()  # as the provider asked them: never asked for again

    def as_json(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["claimant"]["birth_date"] = self.claimant.birth_date.isoformat()
        values["claim"]["expiry_date"] = self.claim.expiry_date.isoformat()
        if self.fraud is not None and self.fraud.active_since is not None:
            values["fraud"]["active_since"] = self.fraud.active_since.isoformat()
        values["questions"] = [
            {**dataclasses.asdict(q), "options": list(q.options), "options_cy": list(q.options_cy)}
            for q in self.questions
        ]
        return values

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> Found:
        person, claim, fraud = dict(values["claimant"]), dict(values["claim"]), values.get("fraud")
        person["birth_date"] = dt.date.fromisoformat(person["birth_date"])
        person["address"] = Address(**person["address"]) if person.get("address") else None
        claim["expiry_date"] = dt.date.fromisoformat(claim["expiry_date"])
        claim["kind"] = DocumentKind(claim["kind"])
        document = dict(values["document"])
        document["kind"], document["status"] = DocumentKind(document["kind"]), DocumentStatus(document["status"])
        checked_fraud = None
        if fraud is not None:
            since = fraud["active_since"]
            checked_fraud = FraudResult(
                fraud["found"],
                tuple(FraudIndicator(found) for found in fraud["indicators"]),
                dt.date.fromisoformat(since) if since else None,
                fraud["reads_record"],
                fraud.get("address_confirmed", False),
            )
        return cls(
            Claimant(**person),
            DocumentClaim(**claim),
            DocumentResult(**document),
            checked_fraud,
            tuple(
                Question(
                    q["id"],
                    q["text"],
                    q["text_cy"],
                    tuple(q["options"]),
                    QuestionQuality(q["quality"]),
                    tuple(q.get("options_cy", ())),
                )
                for q in values.get("questions", ())
            ),
        )


@dataclasses.dataclass(frozen=True)
class Result:
    """How an attempt ended: the level reached (P0 when none), and where it failed when it did not reach the
    level wanted ("document", "fraud", "knowledge", "level", "in_use" or "none")."""

    level: str
    failed_at: str | None

    @property
    def succeeded(self) -> bool:
        return self.failed_at is None


async def begin(
    uow: UnitOfWork, citizen_id: uuid.UUID, wanted: str, request_json: dict[str, Any] | None
) -> ProvingAttempt:
    """A new attempt for the citizen, replacing any other (one journey at a time). The caller commits."""
    await uow.session.execute(delete(ProvingAttempt).where(ProvingAttempt.citizen_id == citizen_id))
    attempt = ProvingAttempt(
        id=uuid.uuid4(),
        citizen_id=citizen_id,
        wanted=wanted,
        request_json=request_json,
        stage="route",
        created_at=utcnow(),
        expires_at=utcnow() + dt.timedelta(seconds=ATTEMPT_SECONDS),
    )
    uow.session.add(attempt)
    return attempt


async def live(uow: UnitOfWork, citizen_id: uuid.UUID, lock: bool = False) -> ProvingAttempt | None:
    """The citizen's attempt, if one is live. `lock` (every step that changes it): the row is held until the
    caller commits, so two submissions of one page (a double click) run one after the other, and the second
    finds the step already moved on."""
    query = select(ProvingAttempt).where(ProvingAttempt.citizen_id == citizen_id, ProvingAttempt.expires_at > utcnow())
    return await uow.session.scalar(query.with_for_update() if lock else query)


def choose(attempt: ProvingAttempt, route: str) -> None:
    """The route chosen by the evidence the citizen has; choosing again starts the details afresh."""
    if route not in ROUTES:
        raise ValueError(route)
    attempt.route, attempt.stage, attempt.found_encrypted, attempt.outcome = route, "details", None, None


def found_in(identity: IdentityComponent, attempt: ProvingAttempt) -> Found | None:
    if attempt.found_encrypted is None:
        return None
    return Found.from_json(json.loads(identity.box.decrypt_text(attempt.found_encrypted, str(attempt.id))))


def _seal(identity: IdentityComponent, attempt: ProvingAttempt, found: Found) -> None:
    attempt.found_encrypted = identity.box.encrypt_text(json.dumps(found.as_json()), str(attempt.id))


CHECK_LEASE_SECONDS = 60  # longer than any source is given to answer (the exchange's providers: 30 at most)


class CheckInProgress(Exception):
    """The same page was submitted again while its first submission's document check runs."""


@dataclasses.dataclass(frozen=True)
class CheckStarted:
    """Which attempt, route and submission a document check running outside any transaction is for."""

    attempt_id: uuid.UUID
    route: str
    token: str


def check_running(attempt: ProvingAttempt, now: dt.datetime | None = None) -> bool:
    started = attempt.check_started_at
    return attempt.check_token is not None and started is not None and \
        (now or utcnow()) - started < dt.timedelta(seconds=CHECK_LEASE_SECONDS)  # fmt: skip


async def count_try(
    uow: UnitOfWork, identity: IdentityComponent, attempt: ProvingAttempt, claim: DocumentClaim, ip: str | None
) -> CheckStarted:
    """Before any source is asked about well-formed details (the pages checked their form): the try counted, a
    document bound to another account refused, and the attempt marked as checking for this submission. Raises
    CheckInProgress (a second submission: nothing counted), ProvingRefused and TooManyGuesses; the caller commits
    either way, so a try is counted, and then asks `check_document` outside any transaction."""
    assert attempt.route is not None
    if check_running(attempt):
        raise CheckInProgress()
    await identity.throttle.attempt(uow, PROVING, ip, str(attempt.citizen_id))
    if await _bound_elsewhere(uow, identity, attempt.citizen_id, claim):  # refused before any record is read
        raise ProvingRefused(IN_USE, "document")
    attempt.check_token, attempt.check_started_at = secrets.token_hex(16), utcnow()
    return CheckStarted(attempt.id, attempt.route, attempt.check_token)


async def check_ended(uow: UnitOfWork, started: CheckStarted) -> None:
    """The check gave no answer: the attempt is free for another try (if it is still this submission's)."""
    attempt = await uow.session.get(ProvingAttempt, started.attempt_id, with_for_update=True)
    if attempt is not None and attempt.check_token == started.token:
        attempt.check_token = attempt.check_started_at = None


@dataclasses.dataclass(frozen=True)
class DocumentChecked:
    """What the document check found, and which check it was (for the outcome and the log)."""

    provider: str
    source: str
    result: DocumentResult


async def check_document(identity: IdentityComponent, claimant: Claimant, claim: DocumentClaim) -> DocumentChecked:
    """Ask the document check, outside any transaction: a source may take seconds to answer, and a check that
    writes (the exchange's records check records its query in a transaction of its own) would otherwise wait on
    this request's own transaction, for ever on SQLite's single writer. Raises ChecksUnavailable."""
    check = await identity.checks.document_check(claim.kind)
    if check is None:
        raise ValueError(f"no document check is registered for {claim.kind}")
    return DocumentChecked(check.name, check.source, await _asking(check.check(claimant, claim)))


async def send_details(
    uow: UnitOfWork,
    identity: IdentityComponent,
    started: CheckStarted,
    claimant: Claimant,
    claim: DocumentClaim,
    checked: DocumentChecked,
    today: dt.date,
) -> Result | tuple[Question, ...] | None:
    """Records the document check's outcome on the attempt it was for, then runs the fraud check and asks for
    the questions: the questions to ask next, or the attempt's result when a check ended it. None when that
    attempt moved on while the check ran (another tab chose another route, or started again): the outcome is
    not applied to it, but a record read is still written to the log. The caller commits."""
    attempt = await uow.session.get(ProvingAttempt, started.attempt_id, with_for_update=True)
    document = checked.result
    if attempt is None or attempt.check_token != started.token or attempt.route != started.route \
            or attempt.stage != "details":  # fmt: skip
        if attempt is not None and document.reads_record and not document.logged:
            await _log_read(uow, identity, attempt, checked.source, _DOCUMENT_ITEMS[claim.kind])
        return None
    attempt.check_token = attempt.check_started_at = None
    await _outcome(uow, identity, attempt, "document", checked.provider, document.status is DocumentStatus.VALID,
                   document.status.value)  # fmt: skip
    if document.reads_record and not document.logged:
        await _log_read(uow, identity, attempt, checked.source, _DOCUMENT_ITEMS[claim.kind])
    if document.status is not DocumentStatus.VALID:
        return await _finish(uow, identity, attempt, Result("P0", "document"))
    fraud = await _asking(identity.checks.fraud.check(claimant))
    await _outcome(uow, identity, attempt, "fraud", identity.checks.fraud.name, not fraud.indicators,
                   ",".join(fraud.indicators) or ("found" if fraud.found else "not_found"))  # fmt: skip
    if fraud.reads_record:
        await _log_read(uow, identity, attempt, identity.checks.fraud.source, _FRAUD_ITEMS)
    if fraud.indicators:
        return await _finish(uow, identity, attempt, Result("P0", "fraud"))
    knowledge = identity.checks.knowledge
    questions = await _asking(knowledge.questions(claimant))
    if questions:  # questions are made from the person's records: reading them is the read
        await _log_read(uow, identity, attempt, knowledge.source, _KNOWLEDGE_ITEMS)
    _seal(identity, attempt, Found(claimant, claim, document, fraud, questions))
    if not questions:  # the sources hold too little to ask: the evidence so far is all there is
        return await _conclude(uow, identity, attempt, None, today)
    attempt.stage = "questions"
    return questions


def questions_of(identity: IdentityComponent, attempt: ProvingAttempt) -> tuple[Question, ...]:
    """The questions asked at this attempt, as the provider asked them (kept with the attempt, never asked for
    again: a knowledge provider gives one set of questions a session)."""
    found = found_in(identity, attempt)
    return found.questions if found is not None else ()


async def answer(
    uow: UnitOfWork, identity: IdentityComponent, attempt: ProvingAttempt, answers: dict[str, str], today: dt.date
) -> Result:
    """Marks the answers and ends the attempt with its result. The caller commits."""
    found = found_in(identity, attempt)
    assert found is not None
    knowledge = identity.checks.knowledge
    asked = [question.id for question in found.questions]
    marked = await _asking(knowledge.mark(found.claimant, {key: answers[key] for key in asked if key in answers}))
    await _outcome(uow, identity, attempt, "knowledge", knowledge.name, verification_score(marked) > 0,
                   f"{marked.right}_of_{marked.asked}")  # fmt: skip
    return await _conclude(uow, identity, attempt, marked, today)


async def give_up(uow: UnitOfWork, identity: IdentityComponent, attempt: ProvingAttempt) -> Result:
    """The citizen has none of the documents, or stops: the attempt ends unproved (a route outcome only when
    a route was chosen)."""
    if (ended := result_of(attempt)) is not None:
        return ended
    return await _finish(uow, identity, attempt, Result("P0", "none"))


def result_of(attempt: ProvingAttempt) -> Result | None:
    if attempt.stage not in ("finished", "continued"):
        return None
    return Result(attempt.outcome or "P0", None) if _proved(attempt) else Result("P0", attempt.outcome or "none")


def return_code(result: Result) -> str:
    return RETURN_CODES.get(result.failed_at or "none", RETURN_CODES["none"])


def _proved(attempt: ProvingAttempt) -> bool:
    return (attempt.outcome or "").startswith("P")


async def _conclude(
    uow: UnitOfWork, identity: IdentityComponent, attempt: ProvingAttempt, marked: KnowledgeResult | None,
    today: dt.date,
) -> Result:  # fmt: skip
    found = found_in(identity, attempt)
    assert found is not None
    scored = score([found.document], marked, found.fraud, today)
    held = await proven.level_of(uow, attempt.citizen_id)
    if covers(held, scored.level) and held != "P0":  # proved as much or more before: that proof stands
        reached = held
    elif scored.level != "P0":
        try:
            await proven.record(uow, identity, attempt.citizen_id, _proved_from(found, scored))
        except proven.DocumentInUse:
            return await _finish(uow, identity, attempt, Result("P0", "in_use"))
        reached = scored.level
    else:
        reached = "P0"
    if covers(reached, attempt.wanted):
        return await _finish(uow, identity, attempt, Result(reached, None))
    failed_at = "knowledge" if reached == "P0" else "level"
    return await _finish(uow, identity, attempt, Result(reached, failed_at))


def _proved_from(found: Found, scored: Scored) -> proven.Proved:
    claim, person = found.claim, found.claimant
    passport = driving_permit = None
    if claim.kind is DocumentKind.UK_PASSPORT:
        passport = {
            "documentNumber": claim.number,
            "icaoIssuerCode": "GBR",
            "expiryDate": claim.expiry_date.isoformat(),
        }
    else:
        driving_permit = {"personalNumber": claim.number, "expiryDate": claim.expiry_date.isoformat(),
                          "issueNumber": claim.issue_number or "", "issuedBy": "DVLA"}  # fmt: skip
    confirmed = found.fraud is not None and found.fraud.address_confirmed and person.address is not None
    return proven.Proved(
        address=_address_claim(person.address) if confirmed and person.address else None,
        level=scored.level,
        route=claim.kind.value,
        given_names=person.given_names,
        family_name=person.surname,
        birth_date=person.birth_date,
        evidence=scored.evidence,
        scores=scored.scores,
        passport=passport,
        driving_permit=driving_permit,
    )


def _address_claim(address: Address) -> dict[str, str]:
    """One Login's address shape (identity.md section 1): a leading number is the building number, the rest the
    street; otherwise the first line is the building's name."""
    claim = {"addressLocality": address.town, "postalCode": address.postcode, "addressCountry": "GB"}
    numbered = re.match(r"^(\d+[A-Za-z]?)[,]?\s+(.+)$", address.line_1)
    if numbered:
        return {"buildingNumber": numbered.group(1), "streetName": numbered.group(2), **claim}
    return {"buildingName": address.line_1, **claim}


async def _finish(uow: UnitOfWork, identity: IdentityComponent, attempt: ProvingAttempt, result: Result) -> Result:
    attempt.stage = "finished"
    attempt.outcome = result.level if result.succeeded else result.failed_at
    if attempt.route is not None:
        detail = result.level if result.succeeded else f"{result.failed_at}"
        await _outcome(uow, identity, attempt, "route", "journey", result.succeeded, detail)
    return result


async def _outcome(
    uow: UnitOfWork, identity: IdentityComponent, attempt: ProvingAttempt, step: str, provider: str, passed: bool,
    detail: str,
) -> None:  # fmt: skip
    assert attempt.route is not None
    await outcomes.record(uow, identity, attempt.citizen_id, attempt.id, attempt.route, step, provider, passed, detail)


async def _bound_elsewhere(
    uow: UnitOfWork, identity: IdentityComponent, citizen_id: uuid.UUID, claim: DocumentClaim
) -> bool:
    owner = await uow.session.scalar(
        select(DocumentBinding.citizen_id).where(
            DocumentBinding.document_hash == proven.binding(identity, claim.kind.value, claim.number)
        )
    )
    return owner is not None and owner != citizen_id


_DOCUMENT_ITEMS = {
    DocumentKind.UK_PASSPORT: ("passport number", "passport expiry date", "name", "date of birth"),
    DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE: (
        "driving licence number", "driving licence expiry date", "driving licence issue number", "name",
        "date of birth",
    ),
}  # fmt: skip
_FRAUD_ITEMS = ("name", "date of birth", "address", "identity fraud markers", "activity history")
_KNOWLEDGE_ITEMS = ("name", "date of birth", "financial accounts and agreements", "previous addresses")


async def _log_read(
    uow: UnitOfWork, identity: IdentityComponent, attempt: ProvingAttempt, source: str, items: tuple[str, ...]
) -> None:
    """One entry in the transparency log for a check that read a record about the citizen: which items, from
    whose records, for which service. The subject is the citizen's account id, which the log keeps only as a
    keyed pseudonym; no value read is written."""
    if identity.log is None:
        return
    service_id = await _service_of(uow, attempt)
    service = await identity.directory.describe(uow, service_id)
    if service is None:
        service = await identity.directory.describe(uow, PLATFORM_SERVICE_ID)
    if service is None:  # no platform service (a database made before migration 0011): nothing to name
        raise RuntimeError("the platform's own service is missing; run `govplatform db upgrade`")
    await identity.log.record_use(
        uow,
        DataUse(
            organisation_id=service.organisation_id,
            organisation_name=service.organisation_name,
            service_id=service.id,
            service_name=service.name,
            data_items=items,
            subject=str(attempt.citizen_id),
            purpose=f"Proving the identity of a person signing in to {service.name}: checked against {source}",
            legal_basis=LEGAL_BASIS,
            occurred_at=utcnow(),
        ),
    )


async def _service_of(uow: UnitOfWork, attempt: ProvingAttempt) -> uuid.UUID:
    client_id = (attempt.request_json or {}).get("client_id")
    client = await uow.session.get(RelyingParty, client_id) if client_id else None
    return client.service_id if client is not None else PLATFORM_SERVICE_ID
