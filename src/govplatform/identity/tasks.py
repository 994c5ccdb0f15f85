"""Identity's jobs: send a back-channel logout token to a relying party (services/back_channel.py).

The handler reads what it needs in a read-only unit of work of its own and holds none open while the
client's server answers. Anything but a 2xx answer raises, so core's worker retries the job with backoff
until its attempts run out. A failure is logged with the client's id and what went wrong, never the
citizen's subject or id.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from govplatform.core.interfaces import JobContext, OutboundRefused, OutboundUnreachable
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen, RelyingParty
from govplatform.identity.services import back_channel
from govplatform.identity.services.subjects import pairwise_subject

log = structlog.get_logger("govplatform.identity")


class LogoutNotDelivered(Exception):
    """The client did not accept the logout token; the worker retries the job."""


class IdentityTasks:
    def __init__(self, identity: IdentityComponent) -> None:
        self.identity = identity

    def register(self, register: Any) -> None:
        register(back_channel.LOGOUT_TASK, self.send_logout)

    async def send_logout(self, context: JobContext, payload: dict[str, Any]) -> None:
        identity = self.identity
        async with identity.uow(read_only=True) as uow:
            client = await uow.session.get(RelyingParty, payload["client_id"])
            if client is None or not client.active or not client.back_channel_logout_uri:
                return  # the client went, or no longer takes logout tokens: nothing to tell
            subject = payload.get("subject")  # a deleted account's jobs carry its subject: the account is gone
            if subject is None:
                citizen = await uow.session.get(Citizen, uuid.UUID(payload["citizen_id"]))
                if citizen is None:
                    return  # the account went; its deletion queued jobs of its own
                subject = pairwise_subject(client.sector, citizen.id, citizen.subject_salt)
            url = client.back_channel_logout_uri
        token = await back_channel.logout_token(identity, client, subject)
        body, headers = back_channel.form_body(token)
        try:
            answer = await identity.outbound.post(
                url, content=body, headers=headers, seconds=back_channel.TIMEOUT_SECONDS
            )
            result = f"HTTP {answer.status_code}"
            if 200 <= answer.status_code < 300:
                return
        except OutboundRefused as refused:
            result = f"Not sent: {refused.reason}"
        except OutboundUnreachable as failure:
            result = failure.reason
        log.warning(
            "identity.back_channel_logout_failed",
            client_id=client.client_id,
            result=result,
            attempt=context.attempt,
            max_attempts=context.max_attempts,
        )
        raise LogoutNotDelivered(result)
