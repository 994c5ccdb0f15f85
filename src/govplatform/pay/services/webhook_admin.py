"""Webhook subscriptions as staff manage them: checked URLs, audited changes, and the delivery log.

Making a subscription and its secret is `services.webhooks`' job; this adds
what the admin pages need around it. Where a callback URL may lead is core's
outbound guard's to say, here when it is set and again at every delivery: a
server on the public internet (or a host the operator allows), https in
production on live and test accounts alike (the signed body carries payment
details, and a test account's URL could as well be aimed inside). Every
change (made, secret regenerated, turned off or on) is in the audit log. The
signing secret itself is never logged or stored in clear.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select

from govplatform.core.interfaces import N_, Actor, OutboundGuard, OutboundRefused, SecretBox, UnitOfWork, record_audit
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Webhook, WebhookAttempt, WebhookMessage
from govplatform.pay.services import webhooks
from govplatform.pay.services.problems import Problem

URL_MAX = 2048
DESCRIPTION_MAX = 255
MESSAGES_PAGE = 50


@dataclasses.dataclass(frozen=True)
class Subscription:
    callback_url: str
    description: str
    event_types: list[str]


async def check_subscription(
    url: str, description: str, event_types: list[str], outbound: OutboundGuard
) -> tuple[Subscription | None, list[Problem]]:
    """The subscription the form asks for, or what is wrong with it (the guard may resolve the URL's host)."""
    url, description = url.strip(), description.strip()
    problems: list[Problem] = []
    if not url:
        problems.append(Problem("callback_url", N_("Enter the callback URL")))
    elif len(url) > URL_MAX:
        problems.append(Problem("callback_url", N_("The callback URL must be 2,048 characters or fewer")))
    else:
        try:
            url = await outbound.check(url)
        except OutboundRefused as refused:
            wrong_address = refused.kind == "address"
            message = refused.template if wrong_address else N_("Enter a callback URL that starts with https://")
            problems.append(Problem("callback_url", message))
    if len(description) > DESCRIPTION_MAX:
        problems.append(Problem("description", N_("The description must be 255 characters or fewer")))
    chosen = [event for event in webhooks.EVENT_TYPES if event in event_types]
    if not chosen or len(chosen) != len(set(event_types)):
        problems.append(Problem("event_types", N_("Select the events to send")))
    if problems:
        return None, problems
    return Subscription(url, description, chosen), []


async def subscribe(
    uow: UnitOfWork, box: SecretBox, actor: Actor, account: Account, wanted: Subscription
) -> tuple[Webhook, str]:
    """The new subscription and its signing secret, which the page shows once."""
    hook, secret = await webhooks.create_webhook(
        uow, box, account.service_id, account.live, wanted.callback_url, wanted.event_types, wanted.description
    )
    record_audit(uow, actor, "pay.webhook_created", "webhook", hook.id, account.service_id, live=account.live)
    return hook, secret


async def new_secret(uow: UnitOfWork, box: SecretBox, actor: Actor, hook: Webhook) -> str:
    secret = await webhooks.regenerate_secret(uow, box, hook)
    record_audit(uow, actor, "pay.webhook_secret_regenerated", "webhook", hook.id, hook.service_id)
    return secret


async def set_active(uow: UnitOfWork, actor: Actor, hook: Webhook, active: bool) -> None:
    hook.active = active
    await uow.session.flush()
    webhooks.subscriptions_changed(uow, hook.service_id, hook.live)
    action = "pay.webhook_activated" if active else "pay.webhook_deactivated"
    record_audit(uow, actor, action, "webhook", hook.id, hook.service_id)


async def subscriptions(uow: UnitOfWork, account: Account) -> list[Webhook]:
    query = (
        select(Webhook)
        .where(Webhook.service_id == account.service_id, Webhook.live == account.live)
        .order_by(Webhook.active.desc(), Webhook.created_at.desc(), Webhook.id)
    )
    return list((await uow.session.execute(query)).scalars())


async def subscription(uow: UnitOfWork, account: Account, hook_id: str) -> Webhook | None:
    """The account's subscription with this id; None for another account's or an unknown one."""
    hook = await uow.session.get(Webhook, hook_id) if len(hook_id) <= 26 else None
    if hook is None or hook.service_id != account.service_id or hook.live != account.live:
        return None
    return hook


async def messages(uow: UnitOfWork, hook: Webhook, page: int = 1) -> tuple[list[WebhookMessage], bool]:
    """One page of the subscription's messages, newest first, and whether there are more."""
    query = (
        select(WebhookMessage)
        .where(WebhookMessage.webhook_id == hook.id)
        .order_by(WebhookMessage.created_at.desc(), WebhookMessage.id.desc())
        .offset((page - 1) * MESSAGES_PAGE)
        .limit(MESSAGES_PAGE + 1)
    )
    found = list((await uow.session.execute(query)).scalars())
    return found[:MESSAGES_PAGE], len(found) > MESSAGES_PAGE


async def message_counts(uow: UnitOfWork, hook: Webhook) -> dict[str, int]:
    """How many of the subscription's messages are in each status."""
    query = (
        select(WebhookMessage.status, func.count())
        .where(WebhookMessage.webhook_id == hook.id)
        .group_by(WebhookMessage.status)
    )
    return {status: int(count) for status, count in (await uow.session.execute(query)).all()}


async def message(uow: UnitOfWork, hook: Webhook, message_id: str) -> WebhookMessage | None:
    found = await uow.session.get(WebhookMessage, message_id) if len(message_id) <= 26 else None
    return found if found is not None and found.webhook_id == hook.id else None


async def attempts(uow: UnitOfWork, found: WebhookMessage) -> list[WebhookAttempt]:
    query = select(WebhookAttempt).where(WebhookAttempt.message_id == found.id).order_by(WebhookAttempt.id)
    return list((await uow.session.execute(query)).scalars())
