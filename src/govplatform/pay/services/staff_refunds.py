"""A refund made by a civil servant on a payment's admin page: the same rules as the API's, in words.

The refund goes through `services.refunds` exactly as POST
/v1/payments/{id}/refunds does (made and queued in one unit of work under a
lock on the payment, then sent to the processor at once), so the page can
never refund more than the API would. The page sends the amount available it
showed, so a refund made meanwhile by someone else (or by the service's own
system) is caught, as Pay's `refund_amount_available` catches it. Pay's
refusals become messages a person can act on; each refund is audited.
"""

from __future__ import annotations

from govplatform.core.interfaces import N_, Actor, record_audit
from govplatform.pay.component import PayComponent
from govplatform.pay.errors import PayError
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Refund
from govplatform.pay.requests import CreateRefund
from govplatform.pay.services import refunds
from govplatform.pay.services.money import MAX_AMOUNT, amount_problem, shown
from govplatform.pay.services.problems import Problem

_BY_STATUS = {
    "pending": N_("This payment cannot be refunded until it has been taken"),
    "full": N_("This payment has already been refunded in full"),
    "unavailable": N_("This payment cannot be refunded"),
}
_CHANGED = N_("The amount available to refund has changed since the page was shown. Check it and try again")


def refund_problem(error: PayError, available: int) -> Problem:
    """What Pay's refusal of a refund means for the person who asked for it."""
    if error.code == "P0604":
        return Problem("amount", _CHANGED)
    if "disputed" in error.description:
        return Problem("amount", N_("This payment is disputed and cannot be refunded"))
    reason = error.description.rsplit(": ", 1)[-1]
    if reason == "amount_not_available":
        return Problem("amount", N_("Enter an amount of no more than %(most)s"), {"most": shown(available)})
    return Problem("amount", _BY_STATUS.get(reason, _BY_STATUS["unavailable"]))


async def refund_from_page(
    pay: PayComponent, actor: Actor, account: Account, payment_id: str, form: dict[str, str]
) -> Refund | Problem:
    """Refund the payment in full or in part as the form asks; the refund, or what stopped it.

    The form has `refund_type` (full or partial), `amount` in pounds for a
    partial refund, and `available`, the amount in pence the page showed.
    """
    shown_available = int(form["available"]) if form.get("available", "").isdigit() else None
    if shown_available is None:
        return Problem("amount", _CHANGED)
    choice = form.get("refund_type", "")
    if choice == "full":
        amount: int | None = shown_available
    elif choice == "partial":
        # Nothing left to refund: the refund rules below say why, in their own words.
        amount, problem = amount_problem("amount", form.get("amount", ""), most=shown_available or MAX_AMOUNT)
        if problem is not None:
            return problem
    else:
        return Problem("refund_type", N_("Select a full or a partial refund"))
    assert amount is not None
    async with pay.uow() as uow:
        try:
            refund = await refunds.create_refund(
                uow, account, payment_id, CreateRefund(amount, shown_available), created_by=actor.label
            )
        except PayError as error:
            return refund_problem(error, shown_available)
        record_audit(
            uow,
            actor,
            "pay.refund_created",
            "refund",
            refund.id,
            account.service_id,
            payment_id=payment_id,
            amount=amount,
        )
        await uow.commit()
    status = await refunds.process(pay.uow, pay.box, pay.processors, refund.id)
    if status is not None:
        refund.status = status
    return refund
