"""Who counts as one client for the public pages' limits, and how a window's limit is applied."""

from __future__ import annotations

import pytest

from govplatform.pay.services.public_limits import PublicLimiter, PublicLimits, client_key


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # one household's /64 is one client
        ("::ffff:192.0.2.1", "192.0.2.1"),  # an IPv4 client seen through an IPv6 socket
        (None, "unknown"),
        ("", "unknown"),
        ("testclient", "testclient"),  # not an address (a test transport's name): itself
    ],
)
def test_a_client_is_its_ipv4_address_or_its_ipv6_64(address: str | None, key: str) -> None:
    assert client_key(address) == key


class MemoryCounts:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}

    async def count(self, key: str, window: int, seconds: int) -> int:
        self.counts[key, window] = self.counts.get((key, window), 0) + 1
        return self.counts[key, window]


async def test_the_wait_is_what_is_left_of_the_minute_and_no_address_is_stored() -> None:
    counts = MemoryCounts()
    now = [1_800_000_015.5]
    limiter = PublicLimiter(counts, PublicLimits(per_address=1, per_link=10), "secret", lambda: now[0])
    assert await limiter.start_payment("203.0.113.7", "link-1") is None
    assert await limiter.start_payment("203.0.113.7", "link-2") == 44
    assert not any("203.0.113.7" in key for key, _window in counts.counts)
    now[0] += 45
    assert await limiter.start_payment("203.0.113.7", "link-1") is None
