"""A clock that stands still until a test moves it, for the guessing throttle's waits."""

from __future__ import annotations

START = 1_800_000_000.0  # 2027-01-15: a fixed moment, so that no wait runs out while a test runs


class HeldClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
