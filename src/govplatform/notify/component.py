"""Everything the notify component needs at run time, built once per process by the composition root.

Routes, tasks and the CLI reach notify's services through this one object,
so nothing is built at import time and tests can build their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from govplatform.core.interfaces import ApiKeyStore, OutboundGuard, SecretBox, ServiceDirectory, UnitOfWork
from govplatform.notify.providers.base import EmailProvider, TextProvider
from govplatform.notify.services.callbacks import CallbackPolicy
from govplatform.notify.services.limits import SendingLimits
from govplatform.notify.services.sending import Sender


@dataclasses.dataclass
class NotifyComponent:
    uow: Callable[..., UnitOfWork]
    keys: ApiKeyStore
    box: SecretBox
    team: ServiceDirectory
    sender: Sender
    base_url: str
    email_provider: EmailProvider
    text_provider: TextProvider
    limits: SendingLimits  # Notify's rate and daily limits on the send endpoints
    provider_callback_secret: str = ""  # HTTP Basic password for gateways' receipts and inbound texts
    delivery_attempts: int = 5
    delivery_retry_seconds: float = 300.0
    email_batch_size: int = 20  # emails delivered in one worker job batch (see core's TaskRegistry.register_batch)
    sms_rate: float = 0.0227  # pounds per fragment, Notify's published rate from April 2025
    callback_policy: CallbackPolicy = dataclasses.field(default_factory=CallbackPolicy)
    # Checks services' callback URLs when they are set and makes every callback (core's outbound guard; the
    # composition root gives it the operator's settings).
    outbound: OutboundGuard = dataclasses.field(default_factory=lambda: OutboundGuard(require_https=True))
