"""Pay's jobs: capture an approved payment, send a refund to the processor, deliver a webhook.

Each handler works through pay's own units of work and leaves the job's
unit of work untouched until the worker marks the job done, so nothing is
held open while a processor or a service's server answers. Each is safe to
run twice: the services check where things stand before acting.
"""

from __future__ import annotations

from typing import Any

import structlog

from govplatform.core.interfaces import JobContext, OutboundRefused, OutboundUnreachable, enqueue_job
from govplatform.pay.component import PayComponent
from govplatform.pay.models import Webhook, WebhookMessage
from govplatform.pay.services import operations, payments, refunds, webhooks
from govplatform.pay.states import PaymentState, RefundStatus

log = structlog.get_logger("govplatform.pay")


class NotYet(Exception):
    """The processor did not answer; the worker retries the job with backoff."""


class PayTasks:
    def __init__(self, pay: PayComponent) -> None:
        self.pay = pay

    def register(self, register: Any) -> None:
        register(operations.CAPTURE_TASK, self.capture)
        register(refunds.REFUND_TASK, self.refund)
        register(webhooks.SEND_TASK, self.send_webhook)

    async def capture(self, context: JobContext, payload: dict[str, Any]) -> None:
        if not await operations.capture_now(self.pay, payload["payment_id"]):
            async with self.pay.uow(read_only=True) as uow:
                payment = await payments.get(uow, payload["payment_id"])
            if payment is not None and payments.state_of(payment) is PaymentState.SUCCESS:
                raise NotYet("capture not confirmed")

    async def refund(self, context: JobContext, payload: dict[str, Any]) -> None:
        status = await refunds.process(self.pay.uow, self.pay.box, self.pay.processors, payload["refund_id"])
        if status == RefundStatus.SUBMITTED.value:
            raise NotYet("refund not confirmed")

    async def _give_up(self, message_id: str, reason: str) -> None:
        async with self.pay.uow() as uow:
            message = await uow.session.get(WebhookMessage, message_id, with_for_update=True)
            if message is not None and message.status not in ("successful", "failed"):
                message.status, message.last_result = "failed", reason
                await uow.commit()

    async def send_webhook(self, context: JobContext, payload: dict[str, Any]) -> None:
        pay = self.pay
        async with pay.uow(read_only=True) as uow:
            message = await uow.session.get(WebhookMessage, payload["message_id"])
            if message is None or message.status in ("successful", "failed"):
                return
            hook = await uow.session.get(Webhook, message.webhook_id)
            if hook is None:
                return
            active, url, body = hook.active, hook.callback_url, webhooks.message_body(pay.box, message).encode()
            if not active:
                await self._give_up(payload["message_id"], "Not sent: the webhook was turned off")
                return
            secret = webhooks.signing_secret(pay.box, hook)
        headers = {"Content-Type": "application/json", "Pay-Signature": webhooks.signature(secret, body)}
        status_code: int | None = None
        try:  # through core's outbound guard: checked again now, connected to the address it checked
            answer = await pay.outbound.post(url, content=body, headers=headers, seconds=webhooks.TIMEOUT_SECONDS)
            status_code, result = answer.status_code, f"HTTP {answer.status_code}"
        except OutboundRefused as refused:  # retried like a failure: a name that does not resolve now may later
            result = f"Not sent: {refused.reason}"
        except OutboundUnreachable as failure:
            result = failure.reason.capitalize()
        async with pay.uow() as uow:
            message = await uow.session.get(WebhookMessage, payload["message_id"], with_for_update=True)
            if message is None or message.status in ("successful", "failed"):
                return
            next_at = await webhooks.record_attempt(uow, message, status_code=status_code, result=result)
            if next_at is not None:
                await enqueue_job(uow, webhooks.SEND_TASK, payload, max_attempts=1, run_at=next_at)
            await uow.commit()
