"""Data-sharing agreements: the ICO data sharing code's fields, and who may move one from state to state.

An agreement is drafted for the consumer (the body that will ask), approved by a data owner of the provider
(the body that holds the data), and signed off by the provider's chief data officer, at which point it is
active and queries under it can be answered. A data owner or chief data officer of either party may suspend
it or revoke it; only the provider's chief data officer resumes a suspended one. Revoked is final. Expired is
not a stored state: an agreement whose `expires_on` has passed is expired wherever it is read, so no job has
to run for it to stop answering. The people who act are organisation roles (core, ADR 0012); a person acts
by their email, and must hold the role at the moment they act.

Approval needs what the ICO code says an agreement must settle before data moves: retention, security and a
review date, and for special-category fields the Article 9 condition relied on. Every change is written to
core's audit log (with the person) and, in the same transaction, to the transparency log (with their role
only, since the log is public), so the public register can be checked against the log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid

from sqlalchemy import select

from govplatform.core.interfaces import (
    N_,
    Actor,
    OrgRole,
    UnitOfWork,
    UserFacingError,
    find_organisations,
    gettext_,
    holders_of,
    in_language,
    record_audit,
    utcnow,
)
from govplatform.exchange.models import Agreement
from govplatform.exchange.services import changes
from govplatform.exchange.services.datasets import DatasetView, find
from govplatform.transparency.interfaces import AgreementChange, AgreementParty, TransparencyLog

DRAFT, APPROVED, ACTIVE, SUSPENDED, REVOKED, EXPIRED = "draft", "approved", "active", "suspended", "revoked", "expired"
PUBLIC_STATES = (APPROVED, ACTIVE, SUSPENDED, REVOKED, EXPIRED)  # drafts are not on the public register
ROLES = ("controller", "joint-controller", "processor")
PURPOSE = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
STATUTORY = re.compile(r"^statutory:[A-Za-z0-9][A-Za-z0-9 ,.()'&/-]{2,100}$")
DEA_CHAPTERS = {
    1: N_("public service delivery"),
    2: N_("civil registration"),
    3: N_("debt owed to the public sector"),
    4: N_("fraud against the public sector"),
    5: N_("research"),
    6: N_("statistics"),
}
APPROVERS = (OrgRole.DATA_OWNER, OrgRole.CHIEF_DATA_OFFICER)


class AgreementError(UserFacingError):
    """An agreement that cannot be drafted, or a change that cannot be made, as asked; `field` names the term at
    fault, for a form to say it beside that field."""

    def __init__(self, template: str, field: str | None = None, **params: object) -> None:
        super().__init__(template, **params)
        self.field = field


@dataclasses.dataclass(frozen=True)
class AgreementView:
    id: uuid.UUID
    consumer: AgreementParty
    provider: AgreementParty
    dataset: AgreementParty
    fields: tuple[str, ...]
    data_items: tuple[str, ...]
    purpose: str
    description: str
    basis: str
    consumer_role: str
    provider_role: str
    special_category: bool
    special_category_condition: str | None
    retention: str | None
    security: str | None
    dpia_reference: str | None
    review_on: dt.date | None
    expires_on: dt.date | None
    state: str  # as it stands today: "expired" once expires_on has passed
    created_at: dt.datetime
    approved_at: dt.datetime | None
    signed_off_at: dt.datetime | None
    changed_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Terms:
    """What a consumer drafts: everything but the parties' approvals."""

    consumer_id: uuid.UUID
    dataset_id: uuid.UUID
    fields: list[str]
    purpose: str
    basis: str
    description: str = ""
    consumer_role: str = "controller"
    provider_role: str = "controller"
    special_category_condition: str | None = None
    retention: str | None = None
    security: str | None = None
    dpia_reference: str | None = None
    review_on: dt.date | None = None
    expires_on: dt.date | None = None


STATE_NAMES = {
    DRAFT: N_("Draft"),
    APPROVED: N_("Approved, waiting for sign-off"),
    ACTIVE: N_("Active"),
    SUSPENDED: N_("Suspended"),
    REVOKED: N_("Revoked"),
    EXPIRED: N_("Expired"),
}


def _wrong_state(template: str, row: Agreement) -> AgreementError:
    return AgreementError(template, state=state_words(effective_state(row)))


def state_words(state: str) -> str:
    """A state as people read it, in the current language."""
    return gettext_(STATE_NAMES[state]).lower() if state in STATE_NAMES else state


def parse_basis(text: str) -> str:
    """consent, public-task, dea-part5-ch1 to ch6, or statutory:NAME (the gateway's name)."""
    basis = text.strip()
    if basis in ("consent", "public-task") or STATUTORY.match(basis):
        return basis
    chapter = re.fullmatch(r"dea-part5-ch([1-6])", basis)
    if chapter:
        return basis
    raise AgreementError(
        N_(
            "The lawful basis is consent, public-task, dea-part5-ch1 to dea-part5-ch6, or statutory: and the law's name"
        ),
        "basis",
    )


def basis_text(basis: str) -> str:
    """The lawful basis in words, in the current language (the register's pages)."""
    if basis == "consent":
        return gettext_(N_("Consent"))
    if basis == "public-task":
        return gettext_(N_("Public task (UK GDPR Article 6(1)(e))"))
    if basis.startswith("dea-part5-ch"):
        chapter = int(basis[-1])
        words = gettext_(N_("Digital Economy Act 2017, Part 5, Chapter %(chapter)s (%(topic)s)"))
        return words % {"chapter": chapter, "topic": gettext_(DEA_CHAPTERS[chapter])}
    return gettext_(N_("Statutory gateway: %(law)s")) % {"law": basis.removeprefix("statutory:")}


def basis_words(basis: str) -> str:
    """The lawful basis in English, whatever the page's language: what the public log and receipts record."""
    with in_language("en"):
        return basis_text(basis)


def effective_state(row: Agreement, today: dt.date | None = None) -> str:
    today = today or utcnow().date()
    if row.state in (DRAFT, APPROVED, ACTIVE, SUSPENDED) and row.expires_on is not None and row.expires_on < today:
        return EXPIRED
    return row.state


def _optional(text: str | None, limit: int = 2000) -> str | None:
    cleaned = " ".join((text or "").split())
    if len(cleaned) > limit:
        raise AgreementError(N_("Each part of an agreement is %(limit)s characters or fewer"), limit=limit)
    return cleaned or None


async def draft(uow: UnitOfWork, actor: Actor, log: TransparencyLog, terms: Terms) -> AgreementView:
    """Draft an agreement for the consumer. The caller commits."""
    dataset = await find(uow, terms.dataset_id)
    if dataset is None:
        raise AgreementError(N_("There is no dataset with that ID"))
    if terms.consumer_id == dataset.organisation_id:
        raise AgreementError(N_("A body needs no agreement to use its own dataset"))
    if not await find_organisations(uow, [terms.consumer_id]):
        raise AgreementError(N_("There is no organisation with that ID"))
    fields = _fields(dataset, terms.fields)
    if not PURPOSE.match(terms.purpose):
        raise AgreementError(N_("A purpose is a short code of lower-case letters, digits and hyphens"), "purpose")
    if terms.consumer_role not in ROLES or terms.provider_role not in ROLES:
        raise AgreementError(N_("Each party's role is controller, joint-controller or processor"))
    special = any(field.special_category for field in dataset.fields if field.name in fields)
    condition = _optional(terms.special_category_condition)
    if special and condition is None:
        raise AgreementError(
            N_("Name the Article 9 condition the special-category fields are shared under"),
            "special_category_condition",
        )
    today = utcnow().date()
    if terms.expires_on is not None and terms.expires_on <= today:
        raise AgreementError(N_("An agreement's expiry date is in the future"), "expires-day")
    if terms.review_on is not None and terms.review_on <= today:
        raise AgreementError(N_("An agreement's review date is in the future"), "review-day")
    now = utcnow()
    row = Agreement(
        id=uuid.uuid4(), consumer_id=terms.consumer_id, provider_id=dataset.organisation_id, dataset_id=dataset.id,
        fields=fields, purpose=terms.purpose, description=_optional(terms.description, 500) or terms.purpose,
        basis=parse_basis(terms.basis), consumer_role=terms.consumer_role, provider_role=terms.provider_role,
        special_category_condition=condition if special else None, retention=_optional(terms.retention),
        security=_optional(terms.security), dpia_reference=_optional(terms.dpia_reference, 200),
        review_on=terms.review_on, expires_on=terms.expires_on, state=DRAFT, created_at=now,
        created_by=actor.label, changed_at=now,
    )  # fmt: skip
    uow.session.add(row)
    view = await _view(uow, row)
    record_audit(uow, actor, "exchange.agreement_drafted", "exchange_agreement", row.id, purpose=row.purpose)
    await log.record_agreement(uow, _change(view, "drafted", "consumer" if actor.type == "staff" else "operator"))
    return view


def _fields(dataset: DatasetView, asked: list[str]) -> list[str]:
    fields = list(dict.fromkeys(name.strip() for name in asked if name.strip()))
    if not fields:
        raise AgreementError(N_("An agreement names at least one of the dataset's fields"), "fields")
    outside = [name for name in fields if dataset.field(name) is None]
    if outside:
        raise AgreementError(N_("The dataset has no field %(names)s"), "fields", names=", ".join(outside)[:200])
    return fields


async def _acting(
    uow: UnitOfWork, email: str, organisations: tuple[uuid.UUID, ...], roles: tuple[str, ...]
) -> tuple[Actor, str]:
    """The person with this email, acting in the first of `roles` they hold in one of `organisations`."""
    wanted = email.strip().lower()
    for organisation_id in organisations:
        for role in roles:
            for holder in await holders_of(uow, organisation_id, role):
                if holder.email == wanted:
                    return Actor("staff", str(holder.user_id), holder.email), role
    raise AgreementError(N_("%(email)s does not hold a role that may make this change"), email=wanted[:320])


async def _row(uow: UnitOfWork, agreement_id: uuid.UUID) -> Agreement:
    row = await uow.session.get(Agreement, agreement_id, with_for_update=True)
    if row is None:
        raise AgreementError(N_("There is no agreement with that ID"))
    return row


async def _move(
    uow: UnitOfWork, log: TransparencyLog, row: Agreement, actor: Actor, role: str, action: str, state: str
) -> AgreementView:
    now = utcnow()
    row.state, row.changed_at = state, now
    await changes.changed(uow)  # queries in every process see the new state at once
    if action == "approved":
        row.approved_at, row.approved_by = now, actor.label
    if action == "signed-off":
        row.signed_off_at, row.signed_off_by = now, actor.label
    view = await _view(uow, row)
    await log.record_agreement(uow, _change(view, action, role))
    return view


async def approve(uow: UnitOfWork, log: TransparencyLog, agreement_id: uuid.UUID, email: str) -> AgreementView:
    """The provider's data owner approves a draft. The caller commits."""
    row = await _row(uow, agreement_id)
    actor, role = await _acting(uow, email, (row.provider_id,), (OrgRole.DATA_OWNER,))
    if effective_state(row) != DRAFT:
        raise _wrong_state(N_("Only a draft agreement can be approved; this one is %(state)s"), row)
    if not (row.retention and row.security and row.review_on):
        raise AgreementError(N_("Before approval an agreement needs its retention, its security and a review date"))
    record_audit(uow, actor, "exchange.agreement_approved", "exchange_agreement", row.id, role=role)
    return await _move(uow, log, row, actor, role, "approved", APPROVED)


async def sign_off(uow: UnitOfWork, log: TransparencyLog, agreement_id: uuid.UUID, email: str) -> AgreementView:
    """The provider's chief data officer signs off an approved agreement, which makes it active."""
    row = await _row(uow, agreement_id)
    actor, role = await _acting(uow, email, (row.provider_id,), (OrgRole.CHIEF_DATA_OFFICER,))
    if effective_state(row) != APPROVED:
        raise AgreementError(
            N_("Only an approved agreement can be signed off; this one is %(state)s"),
            state=state_words(effective_state(row)),
        )
    record_audit(uow, actor, "exchange.agreement_signed_off", "exchange_agreement", row.id, role=role)
    return await _move(uow, log, row, actor, role, "signed-off", ACTIVE)


async def suspend(uow: UnitOfWork, log: TransparencyLog, agreement_id: uuid.UUID, email: str) -> AgreementView:
    """A data owner or chief data officer of either party stops an active agreement answering, for now."""
    row = await _row(uow, agreement_id)
    actor, role = await _acting(uow, email, (row.provider_id, row.consumer_id), APPROVERS)
    if effective_state(row) != ACTIVE:
        raise AgreementError(
            N_("Only an active agreement can be suspended; this one is %(state)s"),
            state=state_words(effective_state(row)),
        )
    record_audit(uow, actor, "exchange.agreement_suspended", "exchange_agreement", row.id, role=role)
    return await _move(uow, log, row, actor, role, "suspended", SUSPENDED)


async def resume(uow: UnitOfWork, log: TransparencyLog, agreement_id: uuid.UUID, email: str) -> AgreementView:
    """The provider's chief data officer makes a suspended agreement active again."""
    row = await _row(uow, agreement_id)
    actor, role = await _acting(uow, email, (row.provider_id,), (OrgRole.CHIEF_DATA_OFFICER,))
    if effective_state(row) != SUSPENDED:
        raise AgreementError(
            N_("Only a suspended agreement can be resumed; this one is %(state)s"),
            state=state_words(effective_state(row)),
        )
    record_audit(uow, actor, "exchange.agreement_resumed", "exchange_agreement", row.id, role=role)
    return await _move(uow, log, row, actor, role, "resumed", ACTIVE)


async def revoke(uow: UnitOfWork, log: TransparencyLog, agreement_id: uuid.UUID, email: str) -> AgreementView:
    """A data owner or chief data officer of either party ends an agreement for good."""
    row = await _row(uow, agreement_id)
    actor, role = await _acting(uow, email, (row.provider_id, row.consumer_id), APPROVERS)
    if effective_state(row) in (REVOKED, EXPIRED):
        raise _wrong_state(N_("This agreement is already %(state)s"), row)
    record_audit(uow, actor, "exchange.agreement_revoked", "exchange_agreement", row.id, role=role)
    return await _move(uow, log, row, actor, role, "revoked", REVOKED)


async def find_agreement(uow: UnitOfWork, agreement_id: uuid.UUID) -> AgreementView | None:
    row = await uow.session.get(Agreement, agreement_id)
    return await _view(uow, row) if row is not None else None


async def list_agreements(uow: UnitOfWork, public_only: bool = False) -> list[AgreementView]:
    """Every agreement, newest change first; `public_only` leaves out drafts (the public register)."""
    rows = list(await uow.session.scalars(select(Agreement).order_by(Agreement.changed_at.desc(), Agreement.id)))
    names = await _names(uow, rows)
    views = [await _view(uow, row, names) for row in rows]
    return [view for view in views if not public_only or view.state in PUBLIC_STATES]


async def _names(uow: UnitOfWork, rows: list[Agreement]) -> dict[uuid.UUID, str]:
    ids = list({row.consumer_id for row in rows} | {row.provider_id for row in rows})
    return {org.id: org.name for org in await find_organisations(uow, ids)} if ids else {}


async def _view(uow: UnitOfWork, row: Agreement, names: dict[uuid.UUID, str] | None = None) -> AgreementView:
    names = names if names is not None else await _names(uow, [row])
    dataset = await find(uow, row.dataset_id)
    assert dataset is not None  # a dataset is never deleted while an agreement names it (foreign key)
    items = tuple(field.data_item for field in dataset.fields if field.name in row.fields)
    special = any(field.special_category for field in dataset.fields if field.name in row.fields)
    return AgreementView(
        row.id, AgreementParty(row.consumer_id, names[row.consumer_id]),
        AgreementParty(row.provider_id, names[row.provider_id]), AgreementParty(dataset.id, dataset.name),
        tuple(row.fields), items, row.purpose, row.description, row.basis, row.consumer_role, row.provider_role,
        special, row.special_category_condition, row.retention, row.security, row.dpia_reference, row.review_on,
        row.expires_on, effective_state(row), row.created_at, row.approved_at, row.signed_off_at, row.changed_at,
    )  # fmt: skip


def _change(view: AgreementView, action: str, by_role: str) -> AgreementChange:
    return AgreementChange(
        view.id, action, view.state, view.consumer, view.provider, view.dataset, view.data_items, view.purpose,
        basis_words(view.basis), view.expires_on, by_role, view.changed_at,
    )  # fmt: skip
