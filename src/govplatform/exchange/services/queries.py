"""Answering a query: a member asks about one person under an agreement, signed; the gateway answers or refuses.

The checks run in this order, and the order is part of the contract (docs/api/exchange.md):

1. size (`body_too_large`), then the signature's form, age, coverage and nonce format (signatures.py), all
   before any database read;
2. the key it names: known (`key_unknown`) and current (`key_retired`), then the signature itself and the
   body's digest. From here on the consumer is proved;
3. the consumer's rate (`rate_limited`), the body's form (`unsupported_media_type`, `body_invalid`);
4. in the answer's transaction: the nonce, never seen before from anyone (`nonce_replayed`); the agreement:
   known, naming the consumer as its consumer (`not_a_party`), active today (`agreement_not_active`), for this
   purpose (`purpose_mismatch`), covering every field asked (`field_not_agreed`); the subject's scheme is one the
   dataset answers by and the identifier is in its form (`subject_scheme_not_accepted`, `subject_invalid`);
   consent, where the basis is consent (`consent_not_given`), read in this transaction, never from a cache;
5. the answer: the agreed fields asked for, each null when the dataset does not hold the person (the same
   shape either way, so the exchange tells a consumer no more about who is on file than the agreement allows),
   recorded in the transparency log in the same transaction as the query's own record.

Every refusal is recorded too (who it claimed to be or proved to be, what it asked, the code), in a unit of
work of its own, so a refused query leaves a trace even though its own transaction was rolled back; a verified
request's nonce is spent by its refusal's record, so it cannot be sent again either. Refusals of requests not
yet proved to come from a member (steps 1 and 2) are recorded up to `UNVERIFIED_RECORDED_PER_SECOND` a second
from one client address, and refused beyond that without a record, so unsigned junk cannot fill the table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from starlette.datastructures import MutableHeaders

from govplatform.core.interfaces import Prebuilt, UnitOfWork
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.keys import KeyId, KeyIdError, unb64url
from govplatform.exchange.models import Query, QueryNonce
from govplatform.exchange.query_input import BodyInvalid, QueryInput, read_query
from govplatform.exchange.services import agreements, consents, members, provider_calls, record_store
from govplatform.exchange.services.agreements import ACTIVE, AgreementView
from govplatform.exchange.services.datasets import PROVIDER, DatasetView
from govplatform.exchange.signatures import (
    HttpRequest,
    SignatureInput,
    SignatureRefused,
    read_signature_input,
    verify_request,
)
from govplatform.exchange.subjects import SubjectError, normalise
from govplatform.transparency.interfaces import AgreementParty, DataUse, ExchangeVia

MAX_BODY = 16 * 1024
UNVERIFIED_RECORDED_PER_SECOND = 5
RECEIPTS = "/api/exchange/v1/receipts/"
# The answer's statements are prebuilt and run by the driver on the unit of work's connection (DESIGN.md, "Hot
# paths"; core/data_path.py): the ORM session around each was most of a query's cost (docs/benchmarks.md).
_NONCE_VALUES: dict[str, Any] = {"nonce": bindparam("nonce"), "seen_at": bindparam("seen_at")}
_USE_NONCE = {
    "postgresql": Prebuilt(
        postgresql.insert(QueryNonce).values(_NONCE_VALUES).on_conflict_do_nothing().returning(QueryNonce.nonce)
    ),
    "sqlite": Prebuilt(
        sqlite.insert(QueryNonce).values(_NONCE_VALUES).on_conflict_do_nothing().returning(QueryNonce.nonce)
    ),
}
_QUERY_COLUMNS = (
    "id", "received_at", "key_id", "consumer_id", "service_id", "agreement_id", "purpose", "fields", "outcome",
    "status", "leaf_hash",
)  # fmt: skip
_RECORD_QUERY = Prebuilt(insert(Query).values({name: bindparam(name) for name in _QUERY_COLUMNS}).returning(Query.id))


class QueryRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclasses.dataclass(frozen=True)
class IncomingQuery:
    method: str
    target_uri: str  # as the platform is reached (its base URL), never as the Host header says
    headers: MutableHeaders
    body: bytes
    client: str | None = None  # the client's address, to cap the records of unverified refusals


@dataclasses.dataclass
class Attempt:
    """What is known of a query so far, for its record if it is refused."""

    key_id: str | None = None
    consumer_id: uuid.UUID | None = None
    nonce: str | None = None  # set once the signature verified: used up even by a refusal
    label: str | None = None  # the request signature's label, for the answer's `req` component
    service_id: uuid.UUID | None = None  # a platform service the gateway asked for
    agreement_id: uuid.UUID | None = None
    purpose: str | None = None
    fields: list[str] | None = None


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    request_label: str | None  # sign the answer over the request's signature too, when it had a valid one


async def answer(exchange: ExchangeComponent, query: IncomingQuery, now: dt.datetime | None = None) -> Answer:
    attempt = Attempt()
    try:
        return await _answer(exchange, query, attempt, now or dt.datetime.now(dt.UTC))
    except QueryRefused as refused:
        if attempt.consumer_id is not None or await _may_record_unverified(exchange, query.client):
            await record_refusal(exchange, attempt, refused)
        return Answer(refused.status, {"error": refused.code, "message": refused.message}, attempt.label)


async def _may_record_unverified(exchange: ExchangeComponent, client: str | None) -> bool:
    second = int(time.time())
    return await exchange.windows.count(f"unverified:{client}", second) <= UNVERIFIED_RECORDED_PER_SECOND


async def _answer(exchange: ExchangeComponent, query: IncomingQuery, attempt: Attempt, now: dt.datetime) -> Answer:
    if len(query.body) > MAX_BODY:
        raise QueryRefused(413, "body_too_large", f"A query's body is at most {MAX_BODY} bytes")
    signed = _signature(query, attempt, now)
    public_key, consumer_id = await _current_key(exchange, signed.key_id)
    try:
        verify_request(HttpRequest(query.method, query.target_uri, query.headers), query.body, signed, public_key)
    except SignatureRefused as refused:
        raise QueryRefused(401, refused.code, refused.message) from None
    attempt.consumer_id, attempt.nonce, attempt.label = consumer_id, signed.nonce, signed.label
    if await exchange.windows.count(f"{consumer_id}", int(time.time())) > exchange.queries_per_second:
        raise QueryRefused(429, "rate_limited", "Too many queries from your organisation this second")
    if query.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise QueryRefused(415, "unsupported_media_type", "A query's Content-Type is application/json")
    try:
        asked = read_query(query.body)
    except BodyInvalid as invalid:
        raise QueryRefused(400, "body_invalid", str(invalid)) from None
    body, _held = await answer_asked(exchange, asked, consumer_id, attempt, now, nonce=signed.nonce)
    return Answer(200, body, signed.label)


@dataclasses.dataclass(frozen=True)
class OnBehalf:
    """A platform service the gateway asks for (exchange/interfaces.py): no key of its own, the gateway's word."""

    service_id: uuid.UUID
    service_name: str


async def answer_asked(
    exchange: ExchangeComponent, asked: QueryInput, consumer_id: uuid.UUID, attempt: Attempt, now: dt.datetime,
    *, nonce: str | None = None, on_behalf: OnBehalf | None = None,
) -> tuple[dict[str, Any], bool]:  # fmt: skip
    """Checks 4 and 5 of the module docstring for an authenticated consumer: the answer's body, and whether the
    dataset holds the person. Raises QueryRefused."""
    attempt.agreement_id, attempt.purpose, attempt.fields = asked.agreement_id, asked.purpose, list(asked.fields)
    terms = await exchange.cache.terms(asked.agreement_id)
    async with exchange.uow() as uow:
        if nonce is not None and not await _use_nonce(uow, nonce, now):
            raise QueryRefused(401, "nonce_replayed", "That nonce has been used before: sign each request afresh")
        agreement, dataset = _agreement(terms, asked, consumer_id)
        subject = _subject(dataset, asked)
        await _check_consent(uow, exchange, agreement, asked.scheme, subject)
        if dataset.source != PROVIDER:
            found = await record_store.lookup(
                uow, exchange.box, exchange.hash_secret, dataset.id, asked.scheme, subject
            )
            data = {name: (found.fields.get(name) if found else None) for name in asked.fields}
            leaf = await _record_answer(uow, exchange, attempt, agreement, dataset, asked, subject, now, on_behalf)
            await uow.commit()
            source = _source(agreement, dataset, found.version if found else dataset.current_version)
            return _answered(exchange, data, leaf, source), found is not None
        await uow.commit()  # the nonce is spent before the provider is asked, so the request cannot be replayed
    return await _answer_from_provider(exchange, attempt, agreement, dataset, asked, subject, now, on_behalf)


async def _answer_from_provider(
    exchange: ExchangeComponent, attempt: Attempt, agreement: AgreementView, dataset: DatasetView, asked: QueryInput,
    subject: str, now: dt.datetime, on_behalf: OnBehalf | None,
) -> tuple[dict[str, Any], bool]:  # fmt: skip
    """Ask the provider's own system (services/provider_calls.py), outside any transaction (no connection is held
    while it answers), then record the use as for an answer from the record store."""
    try:
        answered = await provider_calls.ask(exchange, agreement, dataset, asked.scheme, subject, asked.fields)
    except provider_calls.ProviderFailed as failed:
        raise QueryRefused(failed.status, failed.code, failed.message) from None
    data = answered.data or {name: None for name in asked.fields}
    async with exchange.uow() as uow:
        leaf = await _record_answer(uow, exchange, attempt, agreement, dataset, asked, subject, now, on_behalf)
        await uow.commit()
    source = {**_source(agreement, dataset, None), "answered_by": "provider", "provider_key_id": answered.key_id}
    return _answered(exchange, data, leaf, source), answered.data is not None


async def _record_answer(
    uow: UnitOfWork, exchange: ExchangeComponent, attempt: Attempt, agreement: AgreementView, dataset: DatasetView,
    asked: QueryInput, subject: str, now: dt.datetime, on_behalf: OnBehalf | None,
) -> bytes:  # fmt: skip
    """The use in the transparency log and the query's own record, in the caller's transaction: the entry's leaf."""
    use = _use(agreement.consumer, agreement, dataset, asked, subject, now, on_behalf)
    leaf = await exchange.log.record_use_for_receipt(uow, use)
    await _record(uow, attempt, attempt.key_id, "answered", 200, leaf.hex(), now, on_behalf)
    return leaf


def _signature(query: IncomingQuery, attempt: Attempt, now: dt.datetime) -> SignatureInput:
    try:
        signed = read_signature_input(query.headers, now)
    except SignatureRefused as refused:
        raise QueryRefused(401, refused.code, refused.message) from None
    attempt.key_id = signed.key_id[:120]
    return signed


async def _current_key(exchange: ExchangeComponent, key_id: str) -> tuple[Ed25519PublicKey, uuid.UUID]:
    try:
        parsed = KeyId.parse(key_id)
    except KeyIdError:
        parsed = None
    if parsed is None or parsed.organisation_id is None:
        raise QueryRefused(401, "key_unknown", "The signature's keyid is not a member's registered key")
    key = await exchange.cache.key(key_id)
    if key is None:
        raise QueryRefused(401, "key_unknown", "The signature's keyid is not a member's registered key")
    if key.state != members.CURRENT:
        raise QueryRefused(401, "key_retired", "The key that signed this request has been retired")
    return Ed25519PublicKey.from_public_bytes(unb64url(key.public_key)), parsed.organisation_id


async def _use_nonce(uow: UnitOfWork, nonce: str, now: dt.datetime) -> bool:
    statement = _USE_NONCE[uow.session.get_bind().dialect.name]
    return await uow.fetch_first(statement, nonce=nonce, seen_at=now) is not None


async def _record(uow: UnitOfWork, attempt: Attempt, key_id: str | None, outcome: str, status: int,
                  leaf: str | None, now: dt.datetime, on_behalf: OnBehalf | None = None) -> None:  # fmt: skip
    await uow.fetch(
        _RECORD_QUERY, id=uuid.uuid4(), received_at=now, key_id=(key_id or "")[:120] or None,
        consumer_id=attempt.consumer_id, service_id=on_behalf.service_id if on_behalf else attempt.service_id,
        agreement_id=attempt.agreement_id,
        purpose=(attempt.purpose or "")[:64] or None, fields=attempt.fields, outcome=outcome, status=status,
        leaf_hash=leaf,
    )  # fmt: skip


def _agreement(
    terms: tuple[AgreementView, DatasetView] | None, asked: QueryInput, consumer_id: uuid.UUID
) -> tuple[AgreementView, DatasetView]:
    if terms is None:
        raise QueryRefused(403, "agreement_unknown", "There is no agreement with that ID")
    agreement, dataset = terms
    if agreement.consumer.id != consumer_id:
        raise QueryRefused(403, "not_a_party", "Your organisation is not this agreement's consumer")
    if agreement.state != ACTIVE:
        raise QueryRefused(403, "agreement_not_active", f"The agreement is {agreement.state}, not active")
    if asked.purpose != agreement.purpose:
        raise QueryRefused(403, "purpose_mismatch", "The agreement is for another purpose")
    outside = [name for name in asked.fields if name not in agreement.fields]
    if outside:
        raise QueryRefused(403, "field_not_agreed", "The agreement does not cover " + ", ".join(outside))
    return agreement, dataset


def _subject(dataset: DatasetView, asked: QueryInput) -> str:
    if asked.scheme not in dataset.subject_schemes:
        accepted = ", ".join(dataset.subject_schemes)
        raise QueryRefused(400, "subject_scheme_not_accepted", f"The dataset answers by {accepted} only")
    try:
        return normalise(asked.scheme, asked.value)
    except SubjectError as error:
        raise QueryRefused(400, "subject_invalid", str(error).capitalize()) from None


async def _check_consent(
    uow: UnitOfWork, exchange: ExchangeComponent, agreement: AgreementView, scheme: str, subject: str
) -> None:
    """Where the basis is consent, no answer without it, read in this query's own transaction (never cached), so
    a withdrawal that has committed holds for the very next query in any process."""
    if agreement.basis == "consent" and not await consents.has_consent(
        uow, exchange.hash_secret, agreement.id, scheme, subject
    ):
        raise QueryRefused(403, "consent_not_given", "The person has not given consent under this agreement")


def _use(
    consumer: AgreementParty, agreement: AgreementView, dataset: DatasetView, asked: QueryInput, subject: str,
    now: dt.datetime, on_behalf: OnBehalf | None,
) -> DataUse:  # fmt: skip
    items = tuple(field.data_item for field in dataset.fields if field.name in asked.fields)
    return DataUse(
        organisation_id=consumer.id, organisation_name=consumer.name,
        service_id=on_behalf.service_id if on_behalf else None,
        service_name=on_behalf.service_name if on_behalf else None,
        data_items=items, subject=f"{asked.scheme}:{subject}", purpose=agreement.description,
        legal_basis=agreements.basis_words(agreement.basis), occurred_at=now,
        via=ExchangeVia(agreement.id, agreement.provider, agreement.dataset, "platform" if on_behalf else "member"),
    )  # fmt: skip


def _source(agreement: AgreementView, dataset: DatasetView, version: int | None) -> dict[str, Any]:
    return {
        "provider": {"id": str(agreement.provider.id), "name": agreement.provider.name},
        "dataset": {"id": str(dataset.id), "name": dataset.name, "version": version},
        "answered_by": "record-store",
        "signed_by": "gateway",  # the gateway signs every answer; a provider's system signed its own to the gateway
    }


def _answered(exchange: ExchangeComponent, data: dict[str, Any], leaf: bytes, source: dict[str, Any]) -> dict[str, Any]:
    return {
        "data": data,
        "leaf_hash": leaf.hex(),
        "receipt_url": exchange.base_url + RECEIPTS + leaf.hex(),
        "source": source,
    }


async def record_refusal(exchange: ExchangeComponent, attempt: Attempt, refused: QueryRefused) -> None:
    async with exchange.uow() as uow:
        if attempt.nonce is not None and refused.code != "nonce_replayed":
            await _use_nonce(uow, attempt.nonce, dt.datetime.now(dt.UTC))  # a verified request's nonce is spent
        await _record(uow, attempt, attempt.key_id, refused.code, refused.status, None, dt.datetime.now(dt.UTC))
        await uow.commit()


async def was_answered(uow: UnitOfWork, leaf: bytes) -> bool:
    """Whether an answered query's log entry has this leaf hash (receipts are served for those alone)."""
    found = await uow.session.execute(select(Query.id).where(Query.leaf_hash == leaf.hex()).limit(1))
    return found.first() is not None
