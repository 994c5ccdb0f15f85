"""Pay's rate limits: requests per second per account, as pay-publicapi counts them.

pay-publicapi (`RateLimiterFilter`, `RateLimiterKey`; pay.md section 4) counts
requests in one-second windows per account and kind of request: creating
payments, capturing, other POSTs, and GETs, each with its own limit (15, 15,
15 and 75 a second by default), and answers 429 P0900 "Too many requests"
over it. The counting is core's one-second windows (core/rate_windows.py): in
Redis when GOVPLATFORM_REDIS_URL is set, else per process, as pay-publicapi
falls back to "per node"; a Redis that cannot be reached lets the request
through, as Pay's does.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from govplatform.core.interfaces import Windows
from govplatform.pay.errors import PayError


@dataclasses.dataclass(frozen=True)
class Limits:
    create_payment: int = 15
    capture: int = 15
    other_post: int = 15
    get: int = 75

    def for_request(self, method: str, path: str) -> tuple[str, int]:
        if method == "GET":
            return "get", self.get
        if path.rstrip("/") == "/v1/payments":
            return "create_payment", self.create_payment
        if path.rstrip("/").endswith("/capture"):
            return "capture", self.capture
        return "other_post", self.other_post


class RateLimiter:
    def __init__(self, windows: Windows, limits: Limits, clock: Callable[[], float] = time.time) -> None:
        self.windows = windows
        self.limits = limits
        self.clock = clock

    async def check(self, account: str, method: str, path: str) -> None:
        """Count the request; PayError 429 P0900 when the account is over its limit this second."""
        kind, limit = self.limits.for_request(method, path)
        second = int(self.clock())
        if await self.windows.count(f"{account}:{kind}", second) > limit:
            raise PayError(429, "P0900", "Too many requests")
