"""Payment links: a page where a citizen pays a service without the service writing any code.

Staff make a link in the admin pages (a title, what it is for, a fixed amount
or one the citizen chooses, the label of the reference the citizen gives, a
language, and whether it takes test or live money). A citizen opens
`/pay/{slug}`, gives their reference (and the amount, where it is not fixed),
and gets a payment made exactly as an API key makes one: the same
`create_payment`, the same hosted pages, the same ledger, webhooks and
totals, with `key_id` None and `payment_link_id` naming the link.

The slug comes from the title, so it can be read out or printed on a letter;
a second link with the same title gets a number after it. Amounts are £0.01
to £100,000 (Pay's own ceiling of 10,000,000 pence), and a reference that is
a card number is refused, as Pay refuses it on the API.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import uuid

from sqlalchemy import select

from govplatform.core.interfaces import N_, Actor, SecretBox, UnitOfWork, record_audit
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Payment, PaymentLink
from govplatform.pay.requests import CreatePayment, card_number_in_reference
from govplatform.pay.services import payments
from govplatform.pay.services.money import amount_problem
from govplatform.pay.services.problems import Problem

TEXT_MAX = 255
DETAILS_MAX = 5000
SLUG_MAX = 64
LANGUAGES = ("en", "cy")
DEFAULT_REFERENCE_LABEL = N_("Your reference")


@dataclasses.dataclass(frozen=True)
class LinkDetails:
    """What staff type to make a link; `amount` is None when the citizen chooses it."""

    title: str
    title_cy: str | None
    details: str
    amount: int | None
    reference_label: str
    language: str
    live: bool


def _text_problem(field: str, value: str, blank: str | None, longest: int = TEXT_MAX) -> Problem | None:
    if blank is not None and not value.strip():
        return Problem(field, blank)
    if len(value) > longest:
        return Problem(field, N_("This must be %(count)s characters or fewer"), {"count": str(longest)})
    return None


def check_link(form: dict[str, str]) -> tuple[LinkDetails | None, list[Problem]]:
    """Staff's new link from the form's fields, or the problems with them."""
    title, title_cy = form.get("title", "").strip(), form.get("title_cy", "").strip()
    details = form.get("details", "").replace("\r\n", "\n").strip()  # browsers send a textarea's lines with CRLF
    label = form.get("reference_label", "").strip()
    problems = [
        problem
        for problem in (
            _text_problem("title", title, N_("Enter a title")),
            _text_problem("title_cy", title_cy, None),
            _text_problem("details", details, None, DETAILS_MAX),
            _text_problem("reference_label", label, None),
        )
        if problem is not None
    ]
    language = form.get("language", "")
    if language not in LANGUAGES:
        problems.append(Problem("language", N_("Select the language of the payment pages")))
    account = form.get("account", "")
    if account not in ("test", "live"):
        problems.append(Problem("account", N_("Select whether the link takes test or live payments")))
    amount: int | None = None
    choice = form.get("amount_type", "")
    if choice == "fixed":
        amount, problem = amount_problem("amount", form.get("amount", ""))
        if problem is not None:
            problems.append(problem)
    elif choice != "chosen":
        problems.append(Problem("amount_type", N_("Select whether the amount is fixed")))
    if problems:
        return None, problems
    return (
        LinkDetails(
            title, title_cy or None, details, amount, label or DEFAULT_REFERENCE_LABEL, language, account == "live"
        ),
        [],
    )


def slug_of(title: str) -> str:
    """The title in lower case letters and digits joined by dashes; "payment" if nothing is left."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "-".join(words)[: SLUG_MAX - 8].strip("-") or "payment"


async def _free_slug(uow: UnitOfWork, title: str) -> str:
    base = slug_of(title)
    taken = set(
        (await uow.session.execute(select(PaymentLink.slug).where(PaymentLink.slug.like(f"{base}%")))).scalars()
    )
    for candidate in (base, *(f"{base}-{number}" for number in range(2, 100))):
        if candidate not in taken:
            return candidate
    return f"{base}-{secrets.token_hex(3)}"


async def create_link(uow: UnitOfWork, actor: Actor, service_id: uuid.UUID, details: LinkDetails) -> PaymentLink:
    link = PaymentLink(
        id=uuid.uuid4(),
        service_id=service_id,
        live=details.live,
        slug=await _free_slug(uow, details.title),
        title=details.title,
        title_cy=details.title_cy,
        details=details.details,
        amount=details.amount,
        reference_label=details.reference_label,
        language=details.language,
        active=True,
    )
    uow.session.add(link)
    await uow.session.flush()
    record_audit(uow, actor, "pay.payment_link_created", "payment_link", link.id, service_id, live=link.live)
    return link


async def links_of(uow: UnitOfWork, service_id: uuid.UUID, live: bool) -> list[PaymentLink]:
    query = (
        select(PaymentLink)
        .where(PaymentLink.service_id == service_id, PaymentLink.live == live)
        .order_by(PaymentLink.active.desc(), PaymentLink.created_at.desc())
    )
    return list((await uow.session.execute(query)).scalars())


async def find_link(uow: UnitOfWork, service_id: uuid.UUID, live: bool, link_id: uuid.UUID) -> PaymentLink | None:
    link = await uow.session.get(PaymentLink, link_id)
    return link if link is not None and link.service_id == service_id and link.live == live else None


async def set_active(uow: UnitOfWork, actor: Actor, link: PaymentLink, active: bool) -> None:
    link.active = active
    await uow.session.flush()
    action = "pay.payment_link_activated" if active else "pay.payment_link_deactivated"
    record_audit(uow, actor, action, "payment_link", link.id, link.service_id)


async def by_slug(uow: UnitOfWork, slug: str) -> PaymentLink | None:
    """The link at this address, active or not (an inactive one says it no longer takes payments)."""
    if len(slug) > SLUG_MAX:
        return None
    return (await uow.session.execute(select(PaymentLink).where(PaymentLink.slug == slug))).scalar_one_or_none()


def title_in(link: PaymentLink, language: str) -> str:
    return link.title_cy if language == "cy" and link.title_cy else link.title


def check_payment(link: PaymentLink, reference: str, amount_text: str) -> tuple[int | None, list[Problem]]:
    """The amount the citizen pays, or what is wrong with what they typed."""
    problems: list[Problem] = []
    reference = reference.strip()
    if not reference:
        problems.append(Problem("reference", N_("Enter your reference")))
    elif len(reference) > TEXT_MAX:
        problems.append(Problem("reference", N_("Your reference must be 255 characters or fewer")))
    elif card_number_in_reference(reference):
        problems.append(Problem("reference", N_("Your reference must not be a card number")))
    amount = link.amount
    if amount is None:
        amount, problem = amount_problem("amount", amount_text)
        if problem is not None:
            problems.append(problem)
    return (amount if not problems else None), problems


async def start_payment(
    uow: UnitOfWork,
    box: SecretBox,
    link: PaymentLink,
    *,
    reference: str,
    amount: int,
    processor: str,
    base_url: str,
) -> tuple[Payment, str]:
    """A new payment for the link and the single-use token of its hosted pages.

    Its return URL is the link's own page that shows how it went, which needs
    the payment's id, so it is set once the payment has one (in the same unit of work).
    """
    request = CreatePayment(
        amount=amount,
        reference=reference.strip(),
        description=link.title,
        return_url=None,
        language=link.language,
    )
    payment = await payments.create_payment(
        uow,
        box,
        Account(link.service_id, link.live),
        request,
        processor=processor,
        key_id=None,
        payment_link_id=link.id,
    )
    payment.return_url = f"{base_url}/pay/{link.slug}/complete/{payment.id}"
    await uow.session.flush()
    return payment, await payments.mint_token(uow, payment)


async def payment_of_link(uow: UnitOfWork, link: PaymentLink, payment_id: str) -> Payment | None:
    """The payment made through this link with this id, or None (a payment of any other link is not found)."""
    if len(payment_id) > 26:
        return None
    payment = await payments.get(uow, payment_id)
    return payment if payment is not None and payment.payment_link_id == link.id else None
