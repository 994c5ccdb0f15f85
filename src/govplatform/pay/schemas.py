"""How payments, refunds, events and agreements look on the wire (and in webhook bodies).

Field names, nesting and omissions follow pay-publicapi's responses
(https://github.com/alphagov/pay-publicapi), because integrations read
these fields by name: absent values are left out rather than sent as null,
`settlement_summary` is `{}` until there is something to say, dates are UTC
with milliseconds and a Z, and `card_details` is `card_details` (the spec's
`PaymentInstrument.CardDetails` naming is wrong on the wire).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from govplatform.core.interfaces import SecretBox, UnitOfWork
from govplatform.pay import metadata
from govplatform.pay.cards import brand_label
from govplatform.pay.models import Agreement, Dispute, Payment, PaymentEvent, Refund
from govplatform.pay.services import payments, refunds
from govplatform.pay.states import AuthorisationMode, PaymentState, RefundSummary, link_names


def iso_ms(moment: dt.datetime) -> str:
    """Pay's timestamps: `2016-01-21T17:15:00.000Z`."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def card_details(box: SecretBox, payment: Payment | Agreement, *, prefilled: bool = True) -> dict[str, Any] | None:
    """What is kept of the card; before the card page, what the service prefilled."""
    details: dict[str, Any] = {}
    if payment.last_digits is not None:
        details["last_digits_card_number"] = payment.last_digits
        details["first_digits_card_number"] = payment.first_digits
        details["cardholder_name"] = payment.cardholder_name
        details["expiry_date"] = payment.expiry_date
        address = _address(box, payment, payment.billing_address_encrypted)
        if address:
            details["billing_address"] = address
        details["card_brand"] = brand_label(payment.card_brand)
        details["card_type"] = payment.card_type
    elif prefilled and isinstance(payment, Payment):
        if payment.prefilled_cardholder_name:
            details["cardholder_name"] = payment.prefilled_cardholder_name
        address = _address(box, payment, payment.prefilled_address_encrypted)
        if address:
            details["billing_address"] = address
    cleaned = {key: value for key, value in details.items() if value is not None or key == "card_type"}
    return cleaned or None


def _address(box: SecretBox, owner: Payment | Agreement, token: str | None) -> dict[str, str] | None:
    if not token:
        return None
    if isinstance(owner, Payment):
        return payments.decrypt_address(box, owner.id, token)
    return payments.decrypt_address(box, "agreement:" + owner.id, token)


def _link(href: str, method: str = "GET") -> dict[str, Any]:
    return {"href": href, "method": method}


def payment_links(base_url: str, payment: Payment, *, token: str | None = None, search: bool = False) -> dict[str, Any]:
    """`_links` by the rules in `states.link_names`; `token` is a freshly minted next_url token."""
    state = payments.state_of(payment)
    names = link_names(state, AuthorisationMode(payment.authorisation_mode), search=search)
    own = f"{base_url}/v1/payments/{payment.id}"
    links: dict[str, Any] = {
        "self": _link(own),
        "events": _link(f"{own}/events"),
        "refunds": _link(f"{own}/refunds"),
    }
    if "next_url" in names and token is not None:
        links["next_url"] = _link(f"{base_url}/secure/{token}")
        links["next_url_post"] = {
            "type": "application/x-www-form-urlencoded",
            "params": {"chargeTokenId": token},
            "href": f"{base_url}/secure",
            "method": "POST",
        }
    if "cancel" in names:
        links["cancel"] = _link(f"{own}/cancel", "POST")
    if "capture" in names:
        links["capture"] = _link(f"{own}/capture", "POST")
    return links


def payment_resource(box: SecretBox, payment: Payment, summary: RefundSummary) -> dict[str, Any]:
    """A payment as GET /v1/payments/{id} shows it, without `_links`."""
    state = payments.state_of(payment)
    mode = AuthorisationMode(payment.authorisation_mode)
    can_retry = payment.can_retry if mode is AuthorisationMode.AGREEMENT else None
    body: dict[str, Any] = {
        "amount": payment.amount,
        "description": payment.description,
        "reference": payment.reference,
        "language": payment.language,
        "payment_id": payment.id,
        "payment_provider": payment.processor,
        "created_date": iso_ms(payment.created_at),
        "state": state.to_api(can_retry=can_retry),
        "refund_summary": summary.to_api(),
        "settlement_summary": settlement_summary(payment),
        "delayed_capture": payment.delayed_capture,
        "moto": payment.moto,
        "authorisation_mode": payment.authorisation_mode,
    }
    if payment.email is not None:
        body["email"] = payment.email
    if payment.return_url is not None:
        body["return_url"] = payment.return_url
    shown = metadata.readable(payment.payment_metadata)
    if shown:
        body["metadata"] = shown
    if payment.processor_id is not None:
        body["provider_id"] = payment.processor_id
    details = card_details(box, payment)
    if details is not None:
        body["card_details"] = details
    if payment.card_brand is not None:
        body["card_brand"] = brand_label(payment.card_brand)
    if payment.agreement_id is not None:
        body["agreement_id"] = payment.agreement_id
    if payment.agreement_payment_type is not None:
        body["agreement_payment_type"] = payment.agreement_payment_type
    if payment.corporate_surcharge:
        body["corporate_card_surcharge"] = payment.corporate_surcharge
        body["total_amount"] = payment.amount + payment.corporate_surcharge
    if payment.fee is not None:
        body["fee"] = payment.fee
        body["net_amount"] = payment.amount + (payment.corporate_surcharge or 0) - payment.fee
    if payment.three_d_secure_required is not None:
        body["authorisation_summary"] = {"three_d_secure": {"required": payment.three_d_secure_required}}
    return body


def settlement_summary(payment: Payment) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    if payment.capture_submitted_at is not None:
        summary["capture_submit_time"] = iso_ms(payment.capture_submitted_at)
    if payment.captured_at is not None:
        summary["captured_date"] = payment.captured_at.astimezone(dt.UTC).date().isoformat()
    return summary


async def webhook_payment_resource(uow: UnitOfWork, box: SecretBox, payment: Payment) -> dict[str, Any]:
    await uow.session.flush()
    return payment_resource(box, payment, refunds.summary(payment, await refunds.of_payment(uow, payment.id)))


def refund_resource(refund: Refund, *, base_url: str = "", links: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "refund_id": refund.id,
        "created_date": iso_ms(refund.created_at),
        "amount": refund.amount,
        "status": refund.status,
        "settlement_summary": {},
        "payment_id": refund.payment_id,
    }
    if links:
        payment_url = f"{base_url}/v1/payments/{refund.payment_id}"
        body["_links"] = {
            "self": _link(f"{payment_url}/refunds/{refund.id}"),
            "payment": _link(payment_url),
        }
    return body


def event_resource(base_url: str, event: PaymentEvent) -> dict[str, Any]:
    state = PaymentState[event.state]
    return {
        "payment_id": event.payment_id,
        "state": state.to_api(),
        "updated": iso_ms(event.at),
        "_links": {"payment_url": _link(f"{base_url}/v1/payments/{event.payment_id}")},
    }


def agreement_resource(box: SecretBox, agreement: Agreement) -> dict[str, Any]:
    body: dict[str, Any] = {
        "agreement_id": agreement.id,
        "reference": agreement.reference,
        "description": agreement.description,
        "status": agreement.status,
        "created_date": iso_ms(agreement.created_at),
    }
    if agreement.user_identifier is not None:
        body["user_identifier"] = agreement.user_identifier
    if agreement.cancelled_at is not None:
        body["cancelled_date"] = iso_ms(agreement.cancelled_at)
    if agreement.last_digits is not None and agreement.instrument_created_at is not None:
        body["payment_instrument"] = {
            "type": "card",
            "created_date": iso_ms(agreement.instrument_created_at),
            "card_details": card_details(box, agreement, prefilled=False),
        }
    return body


def dispute_resource(base_url: str, dispute: Dispute) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dispute_id": dispute.id,
        "payment_id": dispute.payment_id,
        "amount": dispute.amount,
        "status": dispute.status,
        "reason": dispute.reason,
        "created_date": iso_ms(dispute.created_at),
        "settlement_summary": {},
        "_links": {"payment": _link(f"{base_url}/v1/payments/{dispute.payment_id}")},
    }
    if dispute.fee is not None:
        body["fee"] = dispute.fee
    if dispute.net_amount is not None:
        body["net_amount"] = dispute.net_amount
    if dispute.evidence_due_at is not None:
        body["evidence_due_date"] = iso_ms(dispute.evidence_due_at)
    if dispute.settled_date is not None:
        body["settlement_summary"] = {"settled_date": dispute.settled_date.isoformat()}
    return body
