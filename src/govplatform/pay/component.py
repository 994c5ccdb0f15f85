"""Everything the pay component needs at run time, built once per process by the composition root.

Routes, pages, tasks and the CLI reach pay's services through this one
object, so nothing is built at import time and tests can build their own
(with their own processors).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import httpx

from govplatform.core.interfaces import ApiKeyStore, KeyFormat, SecretBox, ServiceDirectory, UnitOfWork
from govplatform.pay.processors.base import CardProcessor
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
    webhook_allow_http: bool = True  # live webhooks need https in production
    directory: ServiceDirectory | None = None  # services' names, for the payment pages' header
    rate_limiter: RateLimiter = dataclasses.field(default_factory=lambda: RateLimiter(LocalWindows(), Limits()))
    _http: httpx.AsyncClient | None = None

    def processor_for(self, live: bool) -> str:
        return self.live_processor if live else "sandbox"

    def http(self) -> httpx.AsyncClient:
        """One HTTP client per process for webhooks (made on first use, in the running loop)."""
        if self._http is None:
            self._http = httpx.AsyncClient(follow_redirects=False)
        return self._http
