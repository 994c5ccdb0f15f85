"""Pay's external ids: 26 characters, 130 random bits in base 32 (connector's RandomIdGenerator).

Integrations store these ids in columns sized for Pay's, so ours have the
same length and alphabet.
"""

from __future__ import annotations

import secrets

_BASE32 = "0123456789abcdefghijklmnopqrstuv"
LENGTH = 26


def new_external_id() -> str:
    number = secrets.randbits(130)
    digits = []
    for _ in range(LENGTH):
        number, digit = divmod(number, 32)
        digits.append(_BASE32[digit])
    return "".join(digits)


def is_external_id(value: str) -> bool:
    """Whether `value` could be one of these ids (so a stray value is turned away before any query)."""
    return len(value) == LENGTH and all(ch in _BASE32 for ch in value)
