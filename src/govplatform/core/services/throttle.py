"""One throttle for every place a person can guess a secret: passwords, one-time codes, set-up and reset links.

Why back-off and not a lockout: "five failures lock the account for 15
minutes" let anyone lock any staff member out, and its message (shown only for
real accounts) told which emails were staff accounts. OWASP ASVS 4.0.3 V2.2.1
asks for anti-automation that does not lock legitimate users out; NIST SP
800-63B section 5.2.2 asks that guessing be limited per account. So:

- Every attempt is counted against the client's address and, where there is
  one, the account it names (the email typed, known or not; a user id for a
  code). An attempt is counted when it is made, atomically with the check that
  it may be made, so a burst of parallel requests cannot slip past the count,
  and given back when it succeeds.
- Each count (a "tally") is a level that falls by one every `forgive_every`
  seconds. Once the level passes `free`, each failure makes the next attempt
  wait: `first_wait`, doubling each time up to `longest_wait`. An attempt made
  during a wait is refused before anything is checked, and is not counted.
- Addresses get a long back-off (a quarter of an hour at most), accounts a
  gentle one for passwords (a minute at most, after more failures than one
  address can make before its own back-off slows it, and forgiven faster than
  one address can fail): one attacker's address cannot make a staff member
  wait, and many addresses together can make them wait a minute, never lock
  them out. A TOTP code is guessed only by someone who has the password, so
  its account back-off is as long as an address's.
- The answer is the same whoever the account is: the tally is kept for the
  email typed whether or not it is a staff member's, and the sign-in service
  verifies a dummy argon2 hash for unknown emails so the time taken matches.

Tallies live in the database (every web process sees them) or in Redis when
GOVPLATFORM_REDIS_URL is set, as Notify's limits do (`throttle_stores.py`).
Their keys are keyed hashes, so neither store holds an email or an address.

The address is `request.client.host`; behind a proxy it is the proxy's unless
GOVPLATFORM_TRUSTED_PROXIES names the proxy, whose X-Forwarded-For `serve` then
lets uvicorn believe (docs/architecture.md, "Staff sign-in").
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from govplatform.core.crypto import keyed_hash
from govplatform.core.unit_of_work import UnitOfWork


def N_(message: str) -> str:
    """Marks a message for the catalogue (as core.interfaces.N_, which this module sits below)."""
    return message


@dataclasses.dataclass(frozen=True)
class BackOff:
    """How long to wait after failures: none for the first `free`, then doubling from `first_wait`."""

    free: int
    first_wait: float
    longest_wait: float
    forgive_every: float  # seconds for the level to fall by one

    def wait(self, level: float) -> float:
        """Seconds before the next attempt, after the attempt that brought the tally to `level`."""
        # A failure only partly forgiven still counts whole (the 1e-9 absorbs float error in the sum).
        beyond = math.ceil(level - 1e-9) - self.free
        if beyond <= 0:
            return 0.0
        return min(self.first_wait * 2.0 ** min(beyond - 1, 60), self.longest_wait)

    def fallen(self, level: float, changed_at: float, now: float) -> float:
        """The level now, having fallen by one every `forgive_every` seconds since `changed_at`."""
        return max(level - max(now - changed_at, 0.0) / self.forgive_every, 0.0)


@dataclasses.dataclass(frozen=True)
class Guessing:
    """A place where a secret can be guessed: its name and its back-off per address and per account."""

    action: str
    per_address: BackOff
    per_account: BackOff | None


@dataclasses.dataclass(frozen=True)
class Tally:
    """Which tally, and its back-off."""

    key: str
    back_off: BackOff


class TooManyGuesses(Exception):
    """Refused before anything was checked: this address or account must wait `wait_seconds`.

    Shaped like core.interfaces.UserFacingError (a message template and its
    values, for `localise`), which this module cannot import: interfaces
    exports this module to the components.
    """

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = max(1, math.ceil(wait_seconds))
        self.params: dict[str, object] = {}
        if self.wait_seconds <= 60:
            self.template = N_("You have tried to sign in too many times. Wait a minute, then try again.")
        else:
            self.template = N_("You have tried to sign in too many times. Wait %(minutes)s minutes, then try again.")
            self.params = {"minutes": math.ceil(self.wait_seconds / 60)}
        super().__init__(self.template % self.params if self.params else self.template)


class TallyStore(Protocol):
    """Where tallies are kept: the database (`DatabaseTallies`) or Redis (`RedisTallies`)."""

    async def attempt(self, uow: UnitOfWork, tallies: Sequence[Tally], now: float) -> float:
        """Count an attempt on every tally unless one must still wait; returns that wait (0.0: counted).

        The check and the count are one atomic step for the tallies given.
        """
        ...

    async def give_back(self, uow: UnitOfWork, tallies: Sequence[Tally], now: float) -> None:
        """Take back an attempt that succeeded: one less on each tally, and no wait because of it."""
        ...


@dataclasses.dataclass(frozen=True)
class Attempt:
    """An attempt that was allowed and counted; give it back with `Throttle.succeeded` if it succeeds."""

    tallies: tuple[Tally, ...]


class Throttle:
    """The platform's one throttle; built once per process by core's composition root."""

    def __init__(self, store: TallyStore, secret: str, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._secret = secret
        self.clock = clock

    def _key(self, guessing: Guessing, kind: str, value: str) -> str:
        # Any text, even a lone surrogate from a hostile form, hashes: never an error here.
        text = f"{guessing.action}\x00{kind}\x00{value}".encode("utf-8", "backslashreplace").decode("ascii")
        return keyed_hash(self._secret, text, "guess-tally")

    def tallies(self, guessing: Guessing, address: str | None, account: str | None) -> tuple[Tally, ...]:
        found = []
        if address:
            found.append(Tally(self._key(guessing, "address", address), guessing.per_address))
        if account is not None and guessing.per_account is not None:
            found.append(Tally(self._key(guessing, "account", account), guessing.per_account))
        return tuple(found)

    async def attempt(self, uow: UnitOfWork, guessing: Guessing, address: str | None, account: str | None) -> Attempt:
        """Count an attempt, or refuse it with TooManyGuesses before anything is checked.

        The caller commits its unit of work whatever the outcome, so the count is kept.
        """
        tallies = self.tallies(guessing, address, account)
        if tallies:
            wait = await self.store.attempt(uow, tallies, self.clock())
            if wait > 0:
                raise TooManyGuesses(wait)
        return Attempt(tallies)

    async def succeeded(self, uow: UnitOfWork, attempt: Attempt) -> None:
        """The guess was right: the attempt no longer counts against its address or account."""
        if attempt.tallies:
            await self.store.give_back(uow, attempt.tallies, self.clock())


# The back-offs, and the places staff can guess. Identity's citizen sign-in will add its own Guessing.
ADDRESS = BackOff(free=10, first_wait=1.0, longest_wait=15 * 60.0, forgive_every=10 * 60.0)
PASSWORD_ACCOUNT = BackOff(free=20, first_wait=1.0, longest_wait=60.0, forgive_every=5 * 60.0)
CODE_ACCOUNT = BackOff(free=5, first_wait=1.0, longest_wait=15 * 60.0, forgive_every=10 * 60.0)
STAFF_PASSWORD = Guessing("staff.password", ADDRESS, PASSWORD_ACCOUNT)
STAFF_CODE = Guessing("staff.code", ADDRESS, CODE_ACCOUNT)  # at sign-in and at set-up
STAFF_LINK = Guessing("staff.link", ADDRESS, None)  # set-up (and, later, reset) links: the link is the secret
