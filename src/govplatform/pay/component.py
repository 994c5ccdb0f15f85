"""Everything the pay component needs at run time, built once per process by the composition root.

Routes, pages, tasks and the CLI reach pay's services through this one
object, so nothing is built at import time and tests can build their own
(with their own processors).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable

from govplatform.core.interfaces import ApiKeyStore, KeyFormat, OutboundGuard, SecretBox, ServiceDirectory, UnitOfWork
from govplatform.pay.processors.base import CardProcessor
from govplatform.pay.services.public_limits import DatabaseCounts, PublicLimiter, PublicLimits
from govplatform.pay.services.rate_limits import Limits, LocalWindows, RateLimiter


@dataclasses.dataclass
class PayComponent:
    uow: Callable[..., UnitOfWork]
    box: SecretBox
    keys: ApiKeyStore
    key_format: KeyFormat
    processors: dict[str, CardProcessor]  # by name: "sandbox" always, "stripe" when configured
    base_url: str
    live_processor: str = "sandbox"  # what live keys reach (test keys reach only the sandbox)
    directory: ServiceDirectory | None = None  # services' names, for the payment pages' header
    rate_limiter: RateLimiter = dataclasses.field(default_factory=lambda: RateLimiter(LocalWindows(), Limits()))
    # Counts the payments public pages start, per client address and per link, in a store every web process
    # shares. The composition root gives it Redis or the database and the key of its address hashes; left
    # out, it counts in the database under a key of this process's own.
    public_limiter: PublicLimiter | None = None
    # Checks webhook URLs when they are set and sends every webhook (core's outbound guard: https in production
    # on live and test accounts alike; the composition root gives it the operator's settings).
    outbound: OutboundGuard = dataclasses.field(default_factory=lambda: OutboundGuard(require_https=True))

    def __post_init__(self) -> None:
        if self.public_limiter is None:
            self.public_limiter = PublicLimiter(DatabaseCounts(self.uow), PublicLimits(), secrets.token_hex(32))

    def processor_for(self, live: bool) -> str:
        return self.live_processor if live else "sandbox"
