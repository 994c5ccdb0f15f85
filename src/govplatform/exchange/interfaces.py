"""What components above the exchange (forms' prefill) and the composition root (identity's records check) may
use of it, in-process: which active agreements can supply a data item, and a query for a service of the
platform, which has no private key of its own.

Such a query goes through the same checks as a member's after its signature (services/queries.py: the
agreement active, naming the service's organisation as consumer, for this purpose; the fields within it; the
subject's scheme and form; consent, read fresh), is recorded the same way, and its log entry says the platform
asked on that service's behalf (`via.asked_by` "platform", with the service named); the gateway's key is the
only key involved, as it signs every answer. A refusal raises `ExchangeRefused` with the API's own code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from govplatform.core.interfaces import ServiceDirectory
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.data_items import BY_ID, DataItem
from govplatform.exchange.models import Agreement
from govplatform.exchange.query_input import QueryInput
from govplatform.exchange.services import queries
from govplatform.exchange.services.agreements import ACTIVE, effective_state
from govplatform.transparency.interfaces import AgreementParty

__all__ = ["BY_ID", "DataItem", "ExchangeComponent", "ExchangeRefused", "HeldAnswer", "Supplier", "ask_for_service",
           "suppliers"]  # fmt: skip


class ExchangeRefused(Exception):
    """The exchange would not answer: `code` is the API's error code (docs/api/exchange.md)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclasses.dataclass(frozen=True)
class Supplier:
    """An active agreement that lets an organisation ask for a data item, and the field that holds it."""

    agreement_id: uuid.UUID
    purpose: str
    provider: AgreementParty
    dataset: AgreementParty
    field: str
    data_item: str
    basis: str
    schemes: tuple[str, ...] = ()  # the subject identifiers the dataset answers by


@dataclasses.dataclass(frozen=True)
class HeldAnswer:
    values: dict[str, Any] | None  # None when the dataset does not hold the person
    leaf_hash: str
    receipt_url: str
    provider: AgreementParty
    dataset: AgreementParty


async def suppliers(
    exchange: ExchangeComponent,
    organisation_id: uuid.UUID,
    data_item: str | tuple[str, ...],
    purpose: str | None = None,
) -> list[Supplier]:
    """The active agreements naming the organisation as consumer (for `purpose`, when given) whose fields hold the
    data item (or any of several, read at once), and the field of each."""
    wanted = (data_item,) if isinstance(data_item, str) else data_item
    async with exchange.uow(read_only=True) as uow:
        rows = list(await uow.session.scalars(select(Agreement).where(Agreement.consumer_id == organisation_id)))
    found = []
    for row in rows:
        if effective_state(row) != ACTIVE or (purpose is not None and row.purpose != purpose):
            continue
        terms = await exchange.cache.terms(row.id)
        if terms is None:
            continue
        agreement, dataset = terms
        for field in dataset.fields:
            if field.name in agreement.fields and field.data_item in wanted:
                found.append(Supplier(agreement.id, agreement.purpose, agreement.provider, agreement.dataset,
                                      field.name, field.data_item, agreement.basis,
                                      dataset.subject_schemes))  # fmt: skip
    return found


async def ask_for_service(
    exchange: ExchangeComponent,
    directory: ServiceDirectory,
    *,
    service_id: uuid.UUID,
    agreement_id: uuid.UUID,
    purpose: str,
    scheme: str,
    value: str,
    fields: list[str],
) -> HeldAnswer:
    """Ask under an agreement for one of the platform's services; ExchangeRefused when the exchange would not."""
    if not fields or len(set(fields)) != len(fields):
        raise ExchangeRefused("body_invalid", "Ask for one or more fields, each once")
    async with exchange.uow(read_only=True) as uow:
        service = await directory.describe(uow, service_id)
    if service is None:
        raise ExchangeRefused("not_a_party", "There is no such service")
    attempt = queries.Attempt(key_id="gateway", consumer_id=service.organisation_id, service_id=service_id)
    asked = QueryInput(agreement_id, purpose, scheme, value, tuple(fields))
    on_behalf = queries.OnBehalf(service_id, service.name)
    try:
        body, held = await queries.answer_asked(
            exchange, asked, service.organisation_id, attempt, dt.datetime.now(dt.UTC), on_behalf=on_behalf
        )
    except queries.QueryRefused as refused:
        await queries.record_refusal(exchange, attempt, refused)
        raise ExchangeRefused(refused.code, refused.message) from None
    source = body["source"]
    return HeldAnswer(
        body["data"] if held else None,
        body["leaf_hash"],
        body["receipt_url"],
        AgreementParty(uuid.UUID(source["provider"]["id"]), source["provider"]["name"]),
        AgreementParty(uuid.UUID(source["dataset"]["id"]), source["dataset"]["name"]),
    )
