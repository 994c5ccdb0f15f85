"""What each response of Pay's public API must carry: fields from pay.md, types from the OpenAPI spec.

pay.md (section 2; in the reference material, tests/reference.py) lists the
fields of every response as pay-publicapi's code sends them; the spec
(alphagov/pay-publicapi's openapi/publicapi_spec.json) gives their JSON types.
pay.md section 1 names the places where the spec is wrong about the wire; a
few more turn up when the spec is read against pay.md and pay-publicapi's
code. Each is an adjustment to the converted spec below (`_wire_definitions`)
with the reason beside it, so everything else still comes from the spec file.
Where pay.md is more precise than the spec (enums and date formats the spec
leaves as "string"), the spec's type is narrowed, also below, so a test checks
the value and not only its JSON type.

Field lists: `ALWAYS` fields must be present in every response of that kind,
`SOMETIMES` fields only when they apply, and then never as null (pay.md:
"Absent fields are omitted, not null"). The one exception is `card_type`,
which pay.md gives as "debit|credit|null". Which optional fields apply to a
given payment is for each test to say; `has` checks the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from tests.integration.pay.pay_openapi import Definitions, PaySpec, validate

# pay.md section 2: created_date is "UTC, ms, …Z"; the same for every other moment Pay shows.
TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"
DATE = r"^\d{4}-\d\d-\d\d$"  # captured_date and settled_date are days (pay-ledger's LocalDate)

# --- Field lists, from pay.md section 2 ---------------------------------------------------------------------
# A payment: "payment_id, request echoes, created_date; state; payment_provider and provider_id; refund_summary;
# settlement_summary; card_details; delayed_capture, moto, authorisation_mode, agreement_id,
# corporate_card_surcharge, total_amount, fee, net_amount (Stripe only); authorisation_summary, exemption;
# card_brand at the top level (deprecated)". The request echoes are amount, description, reference, language
# (always, with its default), return_url, email, metadata and agreement_payment_type (when given or, for email,
# collected); prefilled_cardholder_details comes back inside card_details.
PAYMENT_ALWAYS = frozenset({
    "payment_id", "amount", "description", "reference", "language", "created_date", "state", "payment_provider",
    "refund_summary", "settlement_summary", "delayed_capture", "moto", "authorisation_mode", "_links",
})  # fmt: skip
PAYMENT_SOMETIMES = frozenset({
    "return_url",  # web payments only: forbidden for moto_api and agreement modes
    "email", "metadata", "agreement_payment_type",  # when the service gave them (email: or the user did)
    "provider_id",  # once the processor has an id for the payment
    "card_details",  # once a card is entered, or when the service prefilled the cardholder's details
    "card_brand",  # deprecated copy of card_details.card_brand, so only with a card
    "agreement_id",  # agreement payments, and web payments that set an agreement up
    "corporate_card_surcharge", "total_amount",  # corporate cards with a surcharge
    "fee", "net_amount",  # Stripe only
    "authorisation_summary",  # when 3-D Secure was asked about
    "exemption",  # Worldpay's 3DS exemptions
})  # fmt: skip
STATE_ALWAYS = frozenset({"status", "finished"})
STATE_SOMETIMES = frozenset({"message", "code", "can_retry"})
REFUND_SUMMARY = frozenset({"status", "amount_available", "amount_submitted"})
SETTLEMENT_SUMMARY = frozenset({"capture_submit_time", "captured_date", "settled_date"})  # all optional; {} if none
CARD_DETAILS = frozenset({
    "last_digits_card_number", "first_digits_card_number", "cardholder_name", "expiry_date", "billing_address",
    "card_brand", "card_type", "wallet_type",
})  # fmt: skip
# Once a card has been entered, all of these are there; billing_address when collected, wallet_type for wallets.
CARD_DETAILS_ENTERED = CARD_DETAILS - {"billing_address", "wallet_type"}
PREFILLED_CARD_DETAILS = frozenset({"cardholder_name", "billing_address"})  # before the card page
ADDRESS_ALWAYS = frozenset({"line1", "city", "postcode", "country"})
ADDRESS_SOMETIMES = frozenset({"line2"})
AUTHORISATION_SUMMARY = frozenset({"three_d_secure"})
THREE_D_SECURE = frozenset({"required"})
EXEMPTION_ALWAYS, EXEMPTION_SOMETIMES = frozenset({"requested"}), frozenset({"type", "outcome"})

# `_links` of a payment: "self, events and refunds are always present"; next_url and next_url_post for unfinished,
# uncapturable, non-agreement payments; auth_url_post instead for moto_api; cancel while unfinished (not for
# agreement payments); capture while capturable.
PAYMENT_LINKS_ALWAYS = frozenset({"self", "events", "refunds"})
PAYMENT_LINKS_SOMETIMES = frozenset({"next_url", "next_url_post", "auth_url_post", "cancel", "capture"})
SEARCH_PAYMENT_LINKS_SOMETIMES = frozenset({"cancel", "capture"})  # "Search results carry self, events, refunds,
# cancel and capture"
LINK = frozenset({"href", "method"})  # "Each link is {href, method}"
FORM_LINK = frozenset({"href", "method", "type", "params"})  # next_url_post and auth_url_post
NAVIGATION_LINK = frozenset({"href"})  # search paging links: pay-publicapi's SearchNavigationLinks use Link(href)

SEARCH = frozenset({"total", "count", "page", "results", "_links"})
NAVIGATION_ALWAYS = frozenset({"self", "first_page", "last_page"})
NAVIGATION_SOMETIMES = frozenset({"prev_page", "next_page"})  # only where there is such a page

EVENTS = frozenset({"payment_id", "events", "_links"})
EVENTS_LINKS = frozenset({"self"})
EVENT = frozenset({"payment_id", "state", "updated", "_links"})
EVENT_LINKS = frozenset({"payment_url"})

REFUND = frozenset({"refund_id", "amount", "created_date", "status", "settlement_summary", "payment_id", "_links"})
REFUND_SETTLEMENT_SOMETIMES = frozenset({"settled_date"})
REFUND_LINKS = frozenset({"self", "payment"})
PAYMENT_REFUNDS = frozenset({"payment_id", "_links", "_embedded"})
PAYMENT_REFUNDS_LINKS = frozenset({"self", "payment"})
EMBEDDED_REFUNDS = frozenset({"refunds"})

AGREEMENT_ALWAYS = frozenset({"agreement_id", "reference", "description", "status", "created_date"})
AGREEMENT_SOMETIMES = frozenset({"user_identifier", "cancelled_date", "payment_instrument"})
PAYMENT_INSTRUMENT = frozenset({"type", "created_date", "card_details"})

DISPUTE = frozenset({
    "dispute_id", "payment_id", "amount", "fee", "net_amount", "reason", "status", "created_date",
    "evidence_due_date", "settlement_summary", "_links",
})  # fmt: skip
DISPUTE_SETTLEMENT_SOMETIMES = frozenset({"settled_date"})
DISPUTE_LINKS = frozenset({"payment"})
DISPUTES_SEARCH = frozenset({"total", "count", "page", "results", "links"})  # `links`: see _wire_definitions

ERROR_ALWAYS = frozenset({"code", "description"})  # RequestError, nulls omitted
ERROR_SOMETIMES = frozenset({"field", "header"})

# The one field pay.md allows to be null rather than absent.
NULLABLE = frozenset({"card_type"})


def has(value: Any, always: Iterable[str], sometimes: Iterable[str] = (), where: str = "response") -> None:
    """`value` is an object with every `always` field, nothing beyond `sometimes`, and no nulls."""
    assert isinstance(value, dict), f"{where} is {value!r}, not an object"
    always, sometimes = frozenset(always), frozenset(sometimes)
    missing = sorted(always - set(value))
    unknown = sorted(set(value) - always - sometimes)
    nulls = sorted(name for name, inner in value.items() if inner is None and name not in NULLABLE)
    assert not missing and not unknown and not nulls, (
        f"{where}: missing {missing}, not listed in pay.md {unknown}, null instead of absent {nulls}"
    )


# --- The spec, adjusted to the wire ---------------------------------------------------------------------------


def _wire_definitions(spec: PaySpec) -> Definitions:
    defs = spec.definitions()

    # pay.md section 1: "PaymentInstrument.CardDetails is card_details on the wire" (an agreement's saved card).
    instrument = defs["PaymentInstrument"]["properties"]
    instrument["card_details"] = instrument.pop("CardDetails")

    # pay.md section 1: "ExternalMetadata is modelled as {metadata:{…}}; the wire form is a flat key/value object".
    # Section 2 gives its limits: 1-15 keys of 1-30 characters; values strings (up to 100), numbers or booleans.
    defs["ExternalMetadata"] = {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 15,
        "propertyNames": {"minLength": 1, "maxLength": 30},
        "additionalProperties": {
            "anyOf": [{"type": "string", "maxLength": 100}, {"type": "number"}, {"type": "boolean"}]
        },
    }

    # A form link's `params` ({chargeTokenId} on next_url_post, {one_time_token} on auth_url_post, pay.md section
    # 2) holds strings. pay-publicapi's PostLink declares Map<String, Object>, which the generator wrote as
    # "additionalProperties: {type: object}"; Jackson writes the tokens as JSON strings.
    defs["PostLink"]["properties"]["params"]["additionalProperties"] = {"type": "string"}

    # card_type: the spec's enum ["debit", "credit", "null"] comes from the annotation's allowableValues, where
    # "null" is Java's null, sent as JSON null (CardDetails is @JsonInclude(ALWAYS); pay.md: "card_type
    # debit|credit|null"), never the string "null". The same holds for the agreement's saved card
    # (CardDetailsFromResponse, whose type the spec leaves as plain string).
    for name in ("CardDetails", "CardDetailsFromResponse"):
        defs[name]["properties"]["card_type"] = {"type": ["string", "null"], "enum": ["debit", "credit", None]}

    for name in ("PaymentWithAllLinks", "PaymentDetailForSearch"):
        properties = defs[name]["properties"]
        # authorisation_mode: the spec's enum (web, moto_api, external) is CardPayment's allowableValues, written
        # before agreement payments; pay.md section 2 gives agreement mode, and the code sends "agreement".
        properties["authorisation_mode"]["enum"] = ["web", "moto_api", "agreement", "external"]
        # agreement_id: pay-publicapi's CardPayment.getAgreementId is @Schema(hidden = true), so the generated
        # spec leaves out a field the code sends; pay.md section 2 lists it.
        properties["agreement_id"] = {"type": "string", "minLength": 26, "maxLength": 26}

    # POST /v1/payments: the spec's CreatePaymentResult is a documentation-only class; pay-publicapi answers
    # with the same representation as GET /v1/payments/{id} (pay.md section 2 gives one payment response), so
    # a new payment also carries authorisation_mode, agreement_id, card_brand and the rest. A created payment
    # is checked against PaymentWithAllLinks, and against CreatePaymentResult for the fields it does name.
    defs["CreatePaymentResult"].pop("additionalProperties", None)

    # Disputes: the spec's DisputesSearchResults already names `links`, as the code sends it (pay.md section 1:
    # "Disputes search returns top-level links, not _links"; the docs' _links are wrong). Nothing to adjust;
    # the tests assert `_links` is absent.

    _narrow_to_pay_md(defs)
    return defs


def _narrow_to_pay_md(defs: Definitions) -> None:
    """Where the spec says only "string", pay.md gives the values or the format (sections 2 and 3)."""

    def narrow(name: str, field: str, **constraints: Any) -> None:
        defs[name]["properties"][field].update(constraints)

    statuses = ["created", "started", "submitted", "capturable", "success", "failed", "cancelled", "error"]
    narrow("PaymentState", "status", enum=statuses)
    narrow("PaymentState", "code", enum=["P0010", "P0020", "P0030", "P0040", "P0050"])
    narrow("PaymentState", "message", enum=[
        "Payment method rejected", "Payment expired", "Payment was cancelled by the user",
        "Payment was cancelled by the service", "Payment provider returned an error",
    ])  # fmt: skip
    narrow("RefundSummary", "status", enum=["pending", "unavailable", "available", "full"])
    for name in ("PaymentWithAllLinks", "PaymentDetailForSearch", "CreatePaymentResult"):
        narrow(name, "created_date", pattern=TIMESTAMP)
        narrow(name, "payment_provider", enum=["sandbox", "stripe", "worldpay"])
        narrow(name, "payment_id", minLength=26, maxLength=26)
    narrow("PaymentSettlementSummary", "capture_submit_time", pattern=TIMESTAMP)
    narrow("PaymentSettlementSummary", "captured_date", pattern=DATE)
    narrow("PaymentSettlementSummary", "settled_date", pattern=DATE)
    for name in ("CardDetails", "CardDetailsFromResponse"):
        narrow(name, "expiry_date", pattern=r"^(0[1-9]|1[0-2])/\d\d$")  # "MM/YY"
        narrow(name, "first_digits_card_number", pattern=r"^\d{6}$")
        narrow(name, "last_digits_card_number", pattern=r"^\d{4}$")
    narrow("Address", "country", pattern=r"^[A-Z]{2}$")  # ISO-3166 alpha-2
    narrow("PaymentEvent", "updated", pattern=TIMESTAMP)
    for name in ("Refund", "RefundDetailForSearch"):
        narrow(name, "created_date", pattern=TIMESTAMP)
    narrow("RefundSettlementSummary", "settled_date", pattern=DATE)
    narrow("Agreement", "created_date", pattern=TIMESTAMP)
    narrow("Agreement", "cancelled_date", pattern=TIMESTAMP)
    narrow("PaymentInstrument", "created_date", pattern=TIMESTAMP)
    narrow("DisputeDetailForSearch", "status", enum=["needs_response", "under_review", "lost", "won"])
    narrow("DisputeDetailForSearch", "created_date", pattern=TIMESTAMP)
    narrow("DisputeDetailForSearch", "evidence_due_date", pattern=TIMESTAMP)
    narrow("SettlementSummary", "settled_date", pattern=DATE)
    narrow("Link", "method", enum=["GET", "POST"])
    narrow("PostLink", "method", enum=["POST"])
    narrow("RequestError", "code", pattern=r"^P\d{4}$")


# Responses whose body the spec does not give (it lists the status without content, or not at all), and what
# the wire sends instead. Each says why; any other status the spec does not list fails the test.
UNLISTED: dict[tuple[str, str, int], str] = {
    # An Idempotency-Key replay answers 200 with the original payment (pay.md section 4); the spec lists 201 only.
    ("post", "/v1/payments", 200): "PaymentWithAllLinks",
    # A new payment: see CreatePaymentResult in _wire_definitions.
    ("post", "/v1/payments", 201): "PaymentWithAllLinks",
    # 409 P0191, the same Idempotency-Key with another body (pay.md section 4); the spec omits the status.
    ("post", "/v1/payments", 409): "RequestError",
    # pay.md section 2: a refund is accepted with 202 ("spec also lists 200"); the spec gives the body only under
    # 200, and 202 without one. The body is the refund either way (pay-publicapi's CreateRefundService).
    ("post", "/v1/payments/{paymentId}/refunds", 202): "Refund",
    # Refund refusals (pay.md section 4: P0601 missing amount, P0602 bad amount, P0603 not refundable, P0604
    # amount_available mismatch) come as RequestError like every other error; the spec lists 412 with no body
    # and omits 400 and 422.
    ("post", "/v1/payments/{paymentId}/refunds", 400): "RequestError",
    ("post", "/v1/payments/{paymentId}/refunds", 412): "RequestError",
    ("post", "/v1/payments/{paymentId}/refunds", 422): "RequestError",
    # A page beyond the last is 404 P0402 / P1100 / P2402 (pay.md section 4: "P0402 (page not found)"); the spec
    # omits 404 for these searches.
    ("get", "/v1/payments", 404): "RequestError",
    ("get", "/v1/refunds", 404): "RequestError",
    ("get", "/v1/disputes", 404): "RequestError",
    # An unknown agreements search parameter is 400 P2401 (pay-publicapi's AgreementSearchParams); the spec lists
    # only 422 for a bad one.
    ("get", "/v1/agreements", 400): "RequestError",
}
NO_BODY = object()  # 204s, and the bare 401 (pay.md section 4: "a bare 401 with no JSON")


class Wire:
    """The spec's schemas adjusted to the wire, and which one each response is."""

    def __init__(self, spec: PaySpec) -> None:
        self.spec = spec
        self.definitions = _wire_definitions(self.spec)

    def schema_for(self, method: str, path: str, status: int) -> str | object:
        """The schema a response must match (a component name), or NO_BODY."""
        method = method.lower()
        if (method, path, status) in UNLISTED:
            return UNLISTED[(method, path, status)]
        listed = self.spec.statuses(path, method)
        assert status in listed, f"the spec lists {sorted(listed)} for {method.upper()} {path}, not {status}"
        name = self.spec.response_schema(path, method, status)
        return NO_BODY if name is None else name

    def validate(self, body: object, name: str, where: str = "response") -> None:
        validate(body, name, self.definitions, where)

    def check(self, response: httpx.Response, path: str) -> Any:
        """The response's body (None if it has none), after checking it against the spec and pay.md's fields.

        Every body is validated against its schema; an error also has exactly RequestError's fields as pay.md
        gives them. Success bodies are for the caller to check field by field (`has` and the lists above).
        """
        method, status = response.request.method.lower(), response.status_code
        where = f"{method.upper()} {response.request.url.path} {status}"
        name = self.schema_for(method, path, status)
        if name is NO_BODY:
            assert response.content == b"", f"{where}: expected no body, got {response.text!r}"
            return None
        assert isinstance(name, str)
        assert response.headers["content-type"].split(";")[0] == "application/json", (where, response.headers)
        body = response.json()
        self.validate(body, name, where)
        if name == "PaymentWithAllLinks" and method == "post":
            self.validate(body, "CreatePaymentResult", where)
        if name in ("RequestError", "ErrorResponse"):
            has(body, ERROR_ALWAYS, ERROR_SOMETIMES, where)
        return body


def payment(
    body: Mapping[str, Any], *, search: bool = False, where: str = "payment", optional: Iterable[str] | None = None
) -> None:
    """A payment (GET /v1/payments/{id}, a new payment, a search result) has pay.md's fields all the way down.

    `optional`, if given, is exactly which of PAYMENT_SOMETIMES this payment must carry (the rest absent).
    """
    has(body, PAYMENT_ALWAYS, PAYMENT_SOMETIMES, where)
    if optional is not None:
        present = set(body) & PAYMENT_SOMETIMES
        assert present == set(optional), f"{where}: optional fields {sorted(present)}, expected {sorted(optional)}"
    state = body["state"]
    has(state, STATE_ALWAYS, STATE_SOMETIMES, f"{where}.state")
    unhappy = state["status"] in ("failed", "cancelled", "error")
    assert ("code" in state) == unhappy and ("message" in state) == unhappy, f"{where}.state: {state}"
    has(body["refund_summary"], REFUND_SUMMARY, (), f"{where}.refund_summary")
    has(body["settlement_summary"], (), SETTLEMENT_SUMMARY, f"{where}.settlement_summary")
    if "card_details" in body:
        card = body["card_details"]
        if "last_digits_card_number" in card:
            has(card, CARD_DETAILS_ENTERED, CARD_DETAILS, f"{where}.card_details")
            assert body.get("card_brand") == card["card_brand"], f"{where}: card_brand is card_details.card_brand"
        else:
            has(card, (), PREFILLED_CARD_DETAILS, f"{where}.card_details (prefilled)")
            assert card, f"{where}: card_details is sent only with something in it"
        if "billing_address" in card:
            has(card["billing_address"], ADDRESS_ALWAYS, ADDRESS_SOMETIMES, f"{where}.card_details.billing_address")
    if "authorisation_summary" in body:
        summary = body["authorisation_summary"]
        has(summary, AUTHORISATION_SUMMARY, (), f"{where}.authorisation_summary")
        has(summary["three_d_secure"], THREE_D_SECURE, (), f"{where}.authorisation_summary.three_d_secure")
    if "exemption" in body:
        has(body["exemption"], EXEMPTION_ALWAYS, EXEMPTION_SOMETIMES, f"{where}.exemption")
    if "corporate_card_surcharge" in body or "total_amount" in body:
        assert body["total_amount"] == body["amount"] + body["corporate_card_surcharge"], where
    if "fee" in body or "net_amount" in body:
        assert {"fee", "net_amount"} <= set(body), where
    links = body["_links"]
    has(links, PAYMENT_LINKS_ALWAYS, SEARCH_PAYMENT_LINKS_SOMETIMES if search else PAYMENT_LINKS_SOMETIMES,
        f"{where}._links")  # fmt: skip
    for name, link in links.items():
        form = name in ("next_url_post", "auth_url_post")
        has(link, FORM_LINK if form else LINK, (), f"{where}._links.{name}")
        expected_method = "POST" if name in ("next_url_post", "auth_url_post", "cancel", "capture") else "GET"
        assert link["method"] == expected_method, f"{where}._links.{name}: {link}"
    if "next_url" in links:
        assert "next_url_post" in links, f"{where}: next_url comes with next_url_post"


def navigation(links: Mapping[str, Any], where: str = "search._links") -> None:
    has(links, NAVIGATION_ALWAYS, NAVIGATION_SOMETIMES, where)
    for name, link in links.items():
        has(link, NAVIGATION_LINK, (), f"{where}.{name}")


def refund(body: Mapping[str, Any], where: str = "refund") -> None:
    has(body, REFUND, (), where)
    has(body["settlement_summary"], (), REFUND_SETTLEMENT_SOMETIMES, f"{where}.settlement_summary")
    has(body["_links"], REFUND_LINKS, (), f"{where}._links")
    for name, link in body["_links"].items():
        has(link, LINK, (), f"{where}._links.{name}")


def agreement(body: Mapping[str, Any], where: str = "agreement", optional: Iterable[str] | None = None) -> None:
    has(body, AGREEMENT_ALWAYS, AGREEMENT_SOMETIMES, where)
    if optional is not None:
        present = set(body) & AGREEMENT_SOMETIMES
        assert present == set(optional), f"{where}: optional fields {sorted(present)}, expected {sorted(optional)}"
    if "payment_instrument" in body:
        instrument = body["payment_instrument"]
        has(instrument, PAYMENT_INSTRUMENT, (), f"{where}.payment_instrument")
        # The saved card: pay.md's card_details less wallet_type (the spec's CardDetailsFromResponse has none).
        has(instrument["card_details"], CARD_DETAILS_ENTERED, CARD_DETAILS - {"wallet_type"},
            f"{where}.payment_instrument.card_details")  # fmt: skip


def dispute(body: Mapping[str, Any], where: str = "dispute") -> None:
    has(body, DISPUTE, (), where)
    has(body["settlement_summary"], (), DISPUTE_SETTLEMENT_SOMETIMES, f"{where}.settlement_summary")
    has(body["_links"], DISPUTE_LINKS, (), f"{where}._links")
    has(body["_links"]["payment"], LINK, (), f"{where}._links.payment")
