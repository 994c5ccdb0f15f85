"""Identity proofing through records government already holds (issue 18 item 8): a document check for identity's
interface (identity/proofing/checks.py) that looks a driving licence or passport up in another public body's
dataset through the exchange, so proving who you are leans on the issuer's own records.

It asks as the platform's identity service, under an active agreement naming the platform's organisation as
consumer for the purpose `identity-proofing`, whose fields hold the document holder's given names, family name,
date of birth and the document's expiry date (and, for a licence, its issue number, when the agreement holds
it), from a dataset that answers by the document's number. With no such agreement active it does not handle
that kind of document, and the next check (the sandbox) does: `handles` is asked at each try, so an agreement
suspended at noon stops the lookups at noon.

The lookup is a query like any other (exchange/interfaces.py `ask_for_service`): checked against the agreement,
answered by the gateway, and recorded in the transparency log about the document's number, which is the
record's subject; once proofing binds that document to the account, its holder finds the lookup on their
data-use page. The result says it is `logged`, so the journey does not record the one read twice.

The check compares what the record holds with what the person typed and reports facts; identity scores them:
no record is `not_found`; a name, date of birth or expiry date that differs is `details_differ`; a card whose
issue number is older than the record's was replaced, so `cancelled`; a record past its expiry is `expired`.
Names are compared folded (case, accents, spaces, hyphens and apostrophes), as licences print them in capitals
without accents.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from govplatform.core.interfaces import ServiceDirectory
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.interfaces import ExchangeRefused, Supplier, ask_for_service, suppliers
from govplatform.exchange.subjects import fold_name
from govplatform.identity.interfaces import Claimant, DocumentClaim, DocumentKind, DocumentResult, DocumentStatus

PURPOSE = "identity-proofing"
_NOT_A_NUMBER_IT_HOLDS = ("subject_invalid", "subject_scheme_not_accepted")
_PERSON = ("given-names", "family-name", "date-of-birth")


@dataclasses.dataclass(frozen=True)
class _Document:
    scheme: str  # the exchange's subject scheme for the document's number
    expiry: str  # the data item of its expiry date
    issue: str | None  # the data item of its issue number, for a licence


_DOCUMENTS = {
    DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE: _Document(
        "driving-licence", "driving-licence-expiry-date", "driving-licence-issue-number"
    ),
    DocumentKind.UK_PASSPORT: _Document("passport", "passport-expiry-date", None),
}


@dataclasses.dataclass(frozen=True)
class _Route:
    """An agreement that can answer the check, and the dataset's field for each data item it needs."""

    agreement_id: uuid.UUID
    fields: dict[str, str]  # data item -> field


class RecordsDocumentCheck:
    """Identity's DocumentCheck, answered from a dataset through the exchange."""

    name = "exchange-records"

    def __init__(self, exchange: ExchangeComponent, directory: ServiceDirectory, service_id: uuid.UUID) -> None:
        self._exchange, self._directory, self._service_id = exchange, directory, service_id
        self._organisation_id: uuid.UUID | None = None  # the service's, read once: a service never changes body
        self.source = "Records held by another public body, through the exchange"  # each query names which

    async def handles(self, kind: DocumentKind) -> bool:
        return await self._route(kind) is not None

    async def check(self, claimant: Claimant, claim: DocumentClaim) -> DocumentResult:
        route = await self._route(claim.kind)
        if route is None:  # the agreement ended between `handles` and now: the journey says "try later"
            raise LookupError("no active agreement answers this document")
        try:
            answer = await ask_for_service(
                self._exchange, self._directory, service_id=self._service_id, agreement_id=route.agreement_id,
                purpose=PURPOSE, scheme=_DOCUMENTS[claim.kind].scheme, value=claim.number,
                fields=list(route.fields.values()),
            )  # fmt: skip
        except ExchangeRefused as refused:
            if refused.code in _NOT_A_NUMBER_IT_HOLDS:  # a number the exchange's scheme cannot hold: no record
                return DocumentResult(claim.kind, DocumentStatus.NOT_FOUND, reads_record=False, logged=True)
            raise  # anything else (the agreement suspended meanwhile, the rate): the journey says "try later"
        if answer.values is None:
            return DocumentResult(claim.kind, DocumentStatus.NOT_FOUND, reads_record=False, logged=True)
        held = {item: answer.values.get(field) for item, field in route.fields.items()}
        return DocumentResult(claim.kind, _status(claimant, claim, held), reads_record=True, logged=True)

    async def _route(self, kind: DocumentKind) -> _Route | None:
        """The first active agreement whose fields hold every item the check needs for this kind of document."""
        document = _DOCUMENTS.get(kind)
        if document is None:
            return None
        if self._organisation_id is None:
            async with self._exchange.uow(read_only=True) as uow:
                service = await self._directory.describe(uow, self._service_id)
            if service is None:
                return None
            self._organisation_id = service.organisation_id
        wanted = (*_PERSON, document.expiry)
        found: dict[uuid.UUID, list[Supplier]] = {}
        items = (*wanted, *([document.issue] if document.issue else []))
        for supplier in await suppliers(self._exchange, self._organisation_id, items, PURPOSE):
            # Consent is given to a body for a service on a page; proofing is asked for by the person
            # themselves, so an agreement on consent would refuse every lookup: it is not a route.
            if document.scheme in supplier.schemes and supplier.basis != "consent":
                found.setdefault(supplier.agreement_id, []).append(supplier)
        for agreement_id, supplied in sorted(found.items(), key=lambda pair: str(pair[0])):
            fields = {supplier.data_item: supplier.field for supplier in supplied}
            if all(item in fields for item in wanted):
                return _Route(agreement_id, fields)
        return None


def _status(claimant: Claimant, claim: DocumentClaim, held: dict[str, Any]) -> DocumentStatus:
    expiry = _date(held.get(_DOCUMENTS[claim.kind].expiry))
    same_person = (
        fold_name(str(held.get("given-names") or "")) == fold_name(claimant.given_names)
        and fold_name(str(held.get("family-name") or "")) == fold_name(claimant.surname)
        and _date(held.get("date-of-birth")) == claimant.birth_date
    )
    if not same_person or expiry is None or expiry != claim.expiry_date:
        return DocumentStatus.DETAILS_DIFFER
    issue = _issue(held.get("driving-licence-issue-number"))
    if claim.issue_number is not None and issue is not None and issue != _issue(claim.issue_number):
        older = (_issue(claim.issue_number) or 0) < issue
        return DocumentStatus.CANCELLED if older else DocumentStatus.DETAILS_DIFFER
    if expiry < dt.date.today():
        return DocumentStatus.EXPIRED
    return DocumentStatus.VALID


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value is not None else None
    except ValueError:  # a record in another form cannot confirm the date typed
        return None


def _issue(value: object) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and len(text) <= 3 else None
