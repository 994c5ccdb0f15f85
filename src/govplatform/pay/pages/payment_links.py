"""A payment link's pages, where a citizen pays a service that wrote no code: GET and POST /pay/{slug},
and GET /pay/{slug}/complete/{payment_id}, where the hosted payment pages send them back.

The first page says what the payment is for and asks for the citizen's
reference (and the amount, unless the link fixes it). Its answer makes a
payment exactly as the API does and sends the browser to the hosted payment
pages (`/secure/{token}`, with a single-use token), whose return URL is this
link's completion page. That page shows how it went: a confirmation panel
with the reference when paid, and otherwise what happened and a way to try
again.

These pages are public by design: anyone with the link may pay. They are in
the language the link was made in, like the hosted pages, with no language
switch. The completion page's address holds the payment's 130-bit id, which
only the paying browser is sent; it shows the reference and amount and
nothing of the card or the payer.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import N_, PageRenderer, ServiceDirectory, gettext_, in_language
from govplatform.pay.component import PayComponent
from govplatform.pay.models import PaymentLink
from govplatform.pay.pages.admin.access import errors_of
from govplatform.pay.services import payment_links, payments
from govplatform.pay.services.money import shown
from govplatform.pay.services.problems import Problem
from govplatform.pay.services.settings import current
from govplatform.pay.states import PaymentState

router = APIRouter()
PAGE = "/pay/{slug}"
COMPLETE = PAGE + "/complete/{payment_id}"
PUBLIC_ROUTES: list[tuple[str, str]] = [("GET", PAGE), ("POST", PAGE), ("GET", COMPLETE)]
S = PaymentState
PAID = (S.SUCCESS, S.CAPTURABLE)
# What the completion page says when the payment did not go through: a heading and a sentence.
OUTCOMES = {
    S.FAILED_REJECTED: (N_("Your payment was declined"), N_("No money has been taken from your account.")),
    S.FAILED_EXPIRED: (N_("Your payment timed out"), N_("No money has been taken from your account.")),
    S.FAILED_CANCELLED: (N_("You cancelled your payment"), N_("No money has been taken from your account.")),
    S.CANCELLED: (N_("Your payment was cancelled"), N_("No money has been taken from your account.")),
    S.ERROR: (
        N_("Sorry, there was a problem with your payment"),
        N_("No money has been taken from your account."),
    ),
}
NOT_FINISHED = (N_("Your payment has not finished"), N_("No money has been taken from your account."))


def _pay(request: Request) -> PayComponent:
    pay: PayComponent = request.app.state.pay
    return pay


async def _service_name(request: Request, link: PaymentLink) -> str:
    pay = _pay(request)
    directory: ServiceDirectory = request.app.state.service_directory
    async with pay.uow(read_only=True) as uow:
        chosen = await current(uow, directory, link.service_id)
    return chosen.page_name(link.language)


async def _render(
    request: Request, link: PaymentLink, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    templates: PageRenderer = request.app.state.templates
    values = {
        "link": link,
        "service_name": await _service_name(request, link),
        "title": payment_links.title_in(link, link.language),
        "test_payment": not link.live,
        "pounds": shown,
        **context,
    }
    page: Response
    with in_language(link.language):
        values["reference_label"] = (
            gettext_(link.reference_label)
            if link.reference_label == payment_links.DEFAULT_REFERENCE_LABEL
            else link.reference_label
        )
        if "problems" in context:
            values["errors"] = errors_of(context["problems"]) or None
        page = templates.render(request, template, values, status_code=status_code)
    return page


async def _link(request: Request, slug: str) -> PaymentLink:
    async with _pay(request).uow(read_only=True) as uow:
        link = await payment_links.by_slug(uow, slug)
    if link is None:
        raise HTTPException(404, "There is no payment link at this address")
    return link


async def _start_page(
    request: Request, link: PaymentLink, form: dict[str, str], problems: list[Problem] | None = None
) -> Response:
    if not link.active:
        return await _render(request, link, "pay/links/unavailable.html", {}, status_code=410)
    context = {"form": form, "problems": problems or []}
    return await _render(request, link, "pay/links/start.html", context, status_code=400 if problems else 200)


@router.get(PAGE)
async def start(request: Request, slug: str) -> Response:
    return await _start_page(request, await _link(request, slug), {})


@router.post(PAGE)
async def pay_now(request: Request, slug: str) -> Response:
    link = await _link(request, slug)
    if not link.active:
        return await _start_page(request, link, {})
    posted = await request.form()
    form = {name: value for name in ("reference", "amount") if isinstance(value := posted.get(name, ""), str)}
    amount, problems = payment_links.check_payment(link, form.get("reference", ""), form.get("amount", ""))
    if amount is None:
        return await _start_page(request, link, form, problems)
    pay = _pay(request)
    wait = await _over_a_limit(request, pay, link)
    if wait is not None:
        response = await _render(request, link, "pay/links/too_many.html", {}, status_code=429)
        response.headers["Retry-After"] = str(wait)
        return response
    async with pay.uow() as uow:
        _payment, token = await payment_links.start_payment(
            uow,
            pay.box,
            link,
            reference=form["reference"],
            amount=amount,
            processor=pay.processor_for(link.live),
            base_url=pay.base_url,
        )
        await uow.commit()
    return RedirectResponse(f"{pay.base_url}/secure/{token}", status_code=303)


async def _over_a_limit(request: Request, pay: PayComponent, link: PaymentLink) -> int | None:
    """The seconds to wait when this address or this link has started too many payments this minute.

    Counted only once the form is right, so a citizen who mistypes is not held back; the address is
    the connection's, or what a trusted proxy said (`govplatform.processes.proxy_options`).
    """
    limiter = pay.public_limiter  # always set (PayComponent.__post_init__)
    if limiter is None:
        return None
    return await limiter.start_payment(request.client.host if request.client else None, link.id)


@router.get(COMPLETE)
async def complete(request: Request, slug: str, payment_id: str) -> Response:
    link = await _link(request, slug)
    async with _pay(request).uow(read_only=True) as uow:
        payment = await payment_links.payment_of_link(uow, link, payment_id)
    if payment is None:
        raise HTTPException(404, "There is no payment with that ID for this payment link")
    state = payments.state_of(payment)
    heading, sentence = OUTCOMES.get(state, NOT_FINISHED)
    context = {"payment": payment, "paid": state in PAID, "heading": heading, "sentence": sentence}
    return await _render(request, link, "pay/links/complete.html", context)
