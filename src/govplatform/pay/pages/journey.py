"""The hosted payment pages: the paying user's journey from a service's next_url back to its return_url.

The routes are pay-frontend's (app/paths.js): `/secure/{token}` (or a POST of
`chargeTokenId` to `/secure`) opens the payment and binds it to this browser,
then `/card_details/{id}`, an optional 3-D Secure step, `/card_details/{id}/confirm`
and `/return/{id}`. Every decision is the journey service's
(`govplatform.pay.services.journey`); these pages check what was typed, call
it, and show where the payment then stands.

Where a payment stands decides the page, whatever address was asked for, as
pay-frontend's state enforcer does: a payment awaiting its Confirm is sent to
the confirm page, one in 3-D Secure to that step, and a finished one gets the
page for its ending (declined, expired, cancelled, technical problem, paid).
A POST that changes the payment answers with a redirect to where it now
stands (post/redirect/get), so reloading a page never repeats an action. The
one exception is Confirm: see `confirm_payment` for why it answers with a page
that carries on to the service by itself.

The pages are in the payment's language (`language` on the payment, chosen by
the service), not the visitor's language cookie, and carry no language
switch (core's `in_language` renders them in it). They are the service's pages, so the
header shows the service's name (from its pay settings, in English or Welsh,
else the service's own name from core's service directory).
Only the browser that opened the payment sees it (`binding`): any other gets
a page that says nothing about the payment.

The return_url carries no outcome, as on GOV.UK Pay: the service asks the API.
As pay-frontend does, going back to the service before the payment has
finished counts as the user cancelling it (P0030).
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import (
    LANGUAGES,
    N_,
    PageRenderer,
    current_language,
    gettext_,
    in_language,
    utcnow,
)
from govplatform.pay.cards import brand_label
from govplatform.pay.component import PayComponent
from govplatform.pay.models import Payment
from govplatform.pay.pages import binding, card_form
from govplatform.pay.services import journey, payments
from govplatform.pay.services.journey import THREE_D_SECURE, JourneyRefused
from govplatform.pay.services.settings import current
from govplatform.pay.states import PaymentState

router = APIRouter()
CARD = "/card_details/{payment_id}"
PUBLIC_ROUTES: list[tuple[str, str]] = [
    ("GET", "/secure/{token}"),  # the single-use token in the path is the credential
    ("POST", "/secure"),  # the same, posted by the service's own form (next_url_post)
    ("GET", CARD),  # this and the rest: only the browser the token was opened in (the binding cookie)
    ("POST", CARD),
    ("GET", CARD + "/3ds"),
    ("POST", CARD + "/3ds"),
    ("GET", CARD + "/confirm"),
    ("POST", CARD + "/confirm"),
    ("POST", CARD + "/cancel"),
    ("GET", "/return/{payment_id}"),
]
TOKEN_MAX = 200
S = PaymentState


@dataclasses.dataclass(frozen=True)
class Message:
    """A page that only tells the user something: a heading, paragraphs, and perhaps a link on."""

    title: str
    paragraphs: tuple[str, ...]
    link_text: str | None = None
    status_code: int = 200


# The ending pages, in pay-frontend's words where they have them (errorViews in its locales).
DECLINED = Message(
    N_("Your payment has been declined"),
    (N_("Contact your bank for more details. No money has been taken from your account."),),
    N_("Go back to try the payment again"),
)
TECHNICAL_PROBLEMS = Message(
    N_("Sorry, we’re experiencing technical problems"),
    (N_("No money has been taken from your account."),),
    N_("Go back to try the payment again"),
)
EXPIRED = Message(
    N_("Your payment session has expired"),
    (N_("No money has been taken from your account."),),
    N_("Go back to try the payment again"),
)
USER_CANCELLED = Message(
    N_("Your payment has been cancelled"),
    (N_("No money has been taken from your account."), N_("You can go back to the service and pay again.")),
    N_("Go back to the service"),
)
SERVICE_CANCELLED = Message(
    N_("Your payment was cancelled"),
    (N_("The service you were paying has cancelled your payment. No money has been taken from your account."),),
    N_("Go back to the service"),
)
PAID = Message(
    N_("Your payment was successful"),
    (N_("To make any changes to your payment you’ll need to contact the service."),),
    N_("View your payment summary"),
)
CONTINUING = Message(
    N_("Your payment was successful"),
    (N_("We’re taking you back to the service."),),
    N_("Continue to the service"),
)
CHECKING = Message(
    N_("Checking card details"),
    (N_("Your payment details are being checked."), N_("This page does not update by itself.")),
    N_("Check again"),
)
LINK_EXPIRED = Message(
    N_("This payment link has expired"),
    (
        N_("The link may have been used already, or it may not be complete."),
        N_("Go back to the service you were paying and start again."),
        N_("If you have already paid, do not pay again. Contact the service to check your payment."),
    ),
    status_code=404,
)
SESSION_ENDED = Message(
    N_("Your session has ended"),
    (
        N_(
            "We cannot show this payment in this browser. This can happen if you started paying in another "
            "browser or on another device, or if your browser blocks cookies."
        ),
        N_("Go back to the service you were paying and start again."),
    ),
    status_code=403,
)
ENDINGS = {
    S.FAILED_REJECTED: DECLINED,
    S.FAILED_EXPIRED: EXPIRED,
    S.FAILED_CANCELLED: USER_CANCELLED,
    S.CANCELLED: SERVICE_CANCELLED,
    S.ERROR: TECHNICAL_PROBLEMS,
    S.SUCCESS: PAID,
    S.CAPTURABLE: PAID,
}


@dataclasses.dataclass(frozen=True)
class Loaded:
    """A payment this browser may see, with the name of the service it pays."""

    payment: Payment
    service_name: str

    @property
    def state(self) -> PaymentState:
        return payments.state_of(self.payment)

    @property
    def entering_card(self) -> bool:
        return self.state is S.STARTED and self.payment.stage is None


def _pay(request: Request) -> PayComponent:
    pay: PayComponent = request.app.state.pay
    return pay


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    language: str | None = None,
    status_code: int = 200,
) -> Response:
    templates: PageRenderer = request.app.state.templates
    page: Response
    with in_language(language or current_language()):
        page = templates.render(request, template, context, status_code=status_code)
    return page


def _message(request: Request, message: Message, loaded: Loaded | None = None) -> Response:
    context: dict[str, Any] = {
        "message": message,
        "link_href": f"/return/{loaded.payment.id}" if loaded and message.link_text else None,
        "service_name": loaded.service_name if loaded else None,
    }
    return _render(
        request,
        "pay/message.html",
        context,
        language=loaded.payment.language if loaded else None,
        status_code=message.status_code,
    )


async def _load(request: Request, payment_id: str) -> Loaded | Response:
    """The payment if this browser opened it; otherwise the page that says the session has ended."""
    pay = _pay(request)
    if not binding.holds(request, pay.box, payment_id):
        return _message(request, SESSION_ENDED)
    async with pay.uow(read_only=True) as uow:
        payment = await payments.get(uow, payment_id)
        if payment is None:
            return _message(request, SESSION_ENDED)
        settings = await current(uow, pay.directory, payment.service_id)
    return Loaded(payment, settings.page_name(payment.language))


async def _reload(request: Request, loaded: Loaded) -> Loaded:
    async with _pay(request).uow(read_only=True) as uow:
        payment = await payments.get(uow, loaded.payment.id)
    assert payment is not None
    return Loaded(payment, loaded.service_name)


def _see_other(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def _where_it_stands(request: Request, loaded: Loaded) -> Response:
    """The page for where the payment is now: a redirect to its step, or the page for its ending."""
    payment, state = loaded.payment, loaded.state
    base = f"/card_details/{payment.id}"
    if state is S.SUBMITTED:
        return _see_other(base + "/confirm")
    if state is S.STARTED and payment.stage == THREE_D_SECURE:
        return _see_other(base + "/3ds")
    if state is S.STARTED and payment.stage is not None:
        return _checking(request, loaded)
    if state is S.STARTED:
        return _see_other(base)
    ending = ENDINGS.get(state)
    if ending is None:  # created: the token was never opened, so no browser can hold it
        return _message(request, SESSION_ENDED)
    return _message(request, ending, loaded)


def _after_action(loaded: Loaded) -> Response:
    """Post/redirect/get: send the browser to the address of the payment's next step or its ending."""
    payment, state = loaded.payment, loaded.state
    if state is S.SUBMITTED:
        return _see_other(f"/card_details/{payment.id}/confirm")
    if state is S.STARTED and payment.stage == THREE_D_SECURE:
        return _see_other(f"/card_details/{payment.id}/3ds")
    return _see_other(f"/card_details/{payment.id}")


def _checking(request: Request, loaded: Loaded) -> Response:
    """The card is with the processor (another tab, or a slow answer): a page the user can reload."""
    context = {
        "message": CHECKING,
        "link_href": f"/card_details/{loaded.payment.id}",
        "service_name": loaded.service_name,
    }
    return _render(request, "pay/message.html", context, language=loaded.payment.language)


def pounds(pence: int) -> str:
    """An amount as the pages show it: £1,234.50."""
    return f"£{pence // 100:,}.{pence % 100:02d}"


def _summary(loaded: Loaded) -> dict[str, Any]:
    payment = loaded.payment
    return {
        "payment_id": payment.id,
        "service_name": loaded.service_name,
        "description": payment.description,
        "amount": pounds(payment.amount),
        "test_payment": not payment.live,
    }


def _prefilled(request: Request, payment: Payment) -> dict[str, str]:
    """The form's starting values: what the service prefilled when it created the payment."""
    address = payments.decrypt_address(_pay(request).box, payment.id, payment.prefilled_address_encrypted) or {}
    return {
        "cardholderName": payment.prefilled_cardholder_name or "",
        "addressLine1": address.get("line1", ""),
        "addressLine2": address.get("line2", ""),
        "addressCity": address.get("city", ""),
        "addressPostcode": address.get("postcode", ""),
        "addressCountry": address.get("country", ""),
        "email": payment.email or "",
    }


def _card_page(
    request: Request, loaded: Loaded, values: dict[str, str], checked: card_form.CardForm | None = None
) -> Response:
    language = loaded.payment.language
    country = values.get("addressCountry") or card_form.DEFAULT_COUNTRY
    errors = checked.errors if checked else []
    field_errors = {error.field: error.message for error in errors}
    context = {
        **_summary(loaded),
        "values": values,
        "expiry_fields": checked.expiry_fields if checked else frozenset(),
        "country": country,
        "countries": card_form.countries(language if language in LANGUAGES else "en"),
        "field_errors": field_errors,
        "errors": [error.summary_item() for error in errors] if errors else None,
        "example_year": f"{(utcnow().year + 1) % 100:02d}",
        # Nothing typed, prefilled or wrong: the fields are the same for everyone (the page caches them).
        "blank": not errors and not any(values.values()),
    }
    return _render(request, "pay/card_details.html", context, language=language, status_code=400 if errors else 200)


# --- opening a payment -------------------------------------------------------------------------------------


async def _open(request: Request, token: str) -> Response:
    pay = _pay(request)
    payment = await journey.open_token(pay, token) if 0 < len(token) <= TOKEN_MAX else None
    if payment is None:
        return _message(request, LINK_EXPIRED)
    response = _see_other(f"/card_details/{payment.id}")
    binding.bind(request, response, pay.box, payment.id)
    return response


@router.get("/secure/{token}")
async def open_by_link(request: Request, token: str) -> Response:
    return await _open(request, token)


@router.post("/secure")
async def open_by_form(request: Request) -> Response:
    form = await request.form()
    token = form.get("chargeTokenId")
    return await _open(request, token.strip() if isinstance(token, str) else "")


# --- card details ------------------------------------------------------------------------------------------


@router.get(CARD)
async def card_details(request: Request, payment_id: str) -> Response:
    loaded = await _load(request, payment_id)
    if isinstance(loaded, Response):
        return loaded
    if not loaded.entering_card:
        return _where_it_stands(request, loaded)
    return _card_page(request, loaded, _prefilled(request, loaded.payment))


@router.post(CARD)
async def submit_card_details(request: Request, payment_id: str) -> Response:
    loaded = await _load(request, payment_id)
    if isinstance(loaded, Response):
        return loaded
    if not loaded.entering_card:
        return _after_action(loaded)
    form = await request.form()
    with in_language(loaded.payment.language):
        checked = card_form.read(form, utcnow())
    if checked.entry is None:
        return _card_page(request, loaded, checked.kept, checked)
    try:
        payment = await journey.submit_card(_pay(request), payment_id, checked.entry)
    except JourneyRefused:  # another tab got there first: show where the payment stands
        return _after_action(await _reload(request, loaded))
    return _after_action(Loaded(payment, loaded.service_name))


# --- 3-D Secure: the sandbox's own challenge page, or a link to the card issuer's ----------------------------


def _in_three_d_secure(loaded: Loaded) -> bool:
    return loaded.state is S.STARTED and loaded.payment.stage == THREE_D_SECURE


@router.get(CARD + "/3ds")
async def three_d_secure(request: Request, payment_id: str) -> Response:
    loaded = await _load(request, payment_id)
    if isinstance(loaded, Response):
        return loaded
    if not _in_three_d_secure(loaded):
        return _where_it_stands(request, loaded)
    if loaded.payment.three_d_secure_url:
        # The issuer's own page (Stripe), which sends the user back here. Whether they are arriving or
        # coming back, the processor says where the step stands: still to do, or authorised or not.
        with contextlib.suppress(JourneyRefused):
            await journey.complete_three_d_secure(_pay(request), payment_id, authenticated=True)
        loaded = await _reload(request, loaded)
        if not _in_three_d_secure(loaded):
            return _after_action(loaded)
    context = {**_summary(loaded), "bank_url": loaded.payment.three_d_secure_url}
    return _render(request, "pay/three_d_secure.html", context, language=loaded.payment.language)


@router.post(CARD + "/3ds")
async def answer_three_d_secure(request: Request, payment_id: str) -> Response:
    loaded = await _load(request, payment_id)
    if isinstance(loaded, Response):
        return loaded
    if not _in_three_d_secure(loaded):
        return _after_action(loaded)
    form = await request.form()
    answer = form.get("result")
    if answer not in ("authenticate", "fail"):
        return _see_other(f"/card_details/{payment_id}/3ds")
    try:
        payment = await journey.complete_three_d_secure(
            _pay(request), payment_id, authenticated=answer == "authenticate"
        )
    except JourneyRefused:
        return _after_action(await _reload(request, loaded))
    return _after_action(Loaded(payment, loaded.service_name))


# --- confirm, cancel, return -------------------------------------------------------------------------------


def _card_label(payment: Payment) -> str:
    return gettext_(N_("%(brand)s ending in %(last_four)s")) % {
        "brand": brand_label(payment.card_brand) or "",
        "last_four": payment.last_digits or "",
    }


@router.get(CARD + "/confirm")
async def confirm_page(request: Request, payment_id: str) -> Response:
    loaded = await _load(request, payment_id)
    if isinstance(loaded, Response):
        return loaded
    if loaded.state is not S.SUBMITTED:
        return _where_it_stands(request, loaded)
    payment = loaded.payment
    address = payments.decrypt_address(_pay(request).box, payment.id, payment.billing_address_encrypted) or {}
    country_names = dict(card_form.countries(payment.language if payment.language in LANGUAGES else "en"))
    lines = [address.get(part, "") for part in ("line1", "line2", "city", "postcode")]
    if address.get("country"):
        lines.append(country_names.get(address["country"], address["country"]))
    with in_language(payment.language):
        card = _card_label(payment)
    context = {
        **_summary(loaded),
        "card": card,
        "expiry_date": payment.expiry_date or "",
        "cardholder_name": payment.cardholder_name or "",
        "address_lines": [line for line in lines if line],
        "email": payment.email or "",
    }
    return _render(request, "pay/confirm.html", context, language=payment.language)


@router.post(CARD + "/confirm")
async def confirm_payment(request: Request, payment_id: str) -> Response:
    loaded = await _load(request, payment_id)
    if isinstance(loaded, Response):
        return loaded
    if loaded.state is not S.SUBMITTED:
        return _after_action(loaded)
    try:
        await journey.confirm(_pay(request), payment_id)
    except JourneyRefused:
        return _after_action(await _reload(request, loaded))
    # Pay answers with a redirect to /return/{id}, which redirects to the service. Browsers check every
    # redirect that follows a form against the page's CSP form-action, which the web shell sets to 'self'
    # on every page, so the hop to the service's site would be blocked. This page continues there
    # with a meta refresh instead (no JavaScript needed), and offers the link too.
    context = {"message": CONTINUING, "link_href": f"/return/{payment_id}", "service_name": loaded.service_name}
    return _render(
        request,
        "pay/message.html",
        {**context, "continue_to": f"/return/{payment_id}"},
        language=loaded.payment.language,
    )


@router.post(CARD + "/cancel")
async def cancel_payment(request: Request, payment_id: str) -> Response:
    loaded = await _load(request, payment_id)
    if isinstance(loaded, Response):
        return loaded
    try:
        payment = await journey.cancel_by_user(_pay(request), payment_id)
    except JourneyRefused:  # already finished: its own ending page says so
        return _after_action(await _reload(request, loaded))
    return _after_action(Loaded(payment, loaded.service_name))


@router.get("/return/{payment_id}")
async def return_to_service(request: Request, payment_id: str) -> Response:
    loaded = await _load(request, payment_id)
    if isinstance(loaded, Response):
        return loaded
    if loaded.state in (S.CREATED, S.STARTED, S.SUBMITTED):
        # Leaving before the end is cancelling, as on GOV.UK Pay (its return controller cancels too).
        with contextlib.suppress(JourneyRefused):
            await journey.cancel_by_user(_pay(request), payment_id)
        loaded = await _reload(request, loaded)
    if not loaded.payment.return_url:
        return _where_it_stands(request, loaded)
    return _see_other(loaded.payment.return_url)
