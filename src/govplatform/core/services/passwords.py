"""Passwords, staff and citizens' alike: argon2id hashes at the cost the settings choose.

The cost is the process's: `build_platform` sets it from the settings (`use_cost`) before anything is hashed.
The default is RFC 9106's second recommended option (3 passes over 64 MiB, 4 lanes), a fifth of a second on a
small server; outside tests the settings refuse less than OWASP's minimum (core/settings.py). A hash records
its own cost, so a hash made at another cost still verifies after a change, and is made again at the new cost
the next time its owner signs in (`rehashed`): until then that account's sign-in takes the old cost's time.
An unknown account is verified against a dummy hash made at the current cost, when the cost is set, so a
wrong email takes as long as a wrong password from the first sign-in on.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PARALLELISM = 4  # argon2-cffi's default lanes; RFC 9106's options both use 4

_hasher = PasswordHasher()


def use_cost(time_cost: int, memory_kib: int) -> None:
    """Hash at this cost from now on (passes over the memory, and the memory in KiB); makes its dummy hash now."""
    global _hasher
    if (_hasher.time_cost, _hasher.memory_cost) != (time_cost, memory_kib):
        _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=PARALLELISM)
    _dummy_hash(time_cost, memory_kib)


def hash_password(password: str) -> str:
    """An argon2id hash of the password. Slow on purpose: call it in a thread from a request."""
    return _hasher.hash(password)


@functools.cache
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=PARALLELISM).hash(
        "not a real password, used for timing"
    )


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash; with none, a dummy hash is verified so the time is the same."""
    hasher = _hasher
    stored = password_hash or _dummy_hash(hasher.time_cost, hasher.memory_cost)
    try:
        matches = hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and bool(password_hash)


def rehashed(password_hash: str, password: str) -> str | None:
    """The password (just verified against `password_hash`) hashed at today's cost, if its hash has another."""
    hasher = _hasher
    return hasher.hash(password) if hasher.check_needs_rehash(password_hash) else None
