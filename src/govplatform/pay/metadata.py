"""A payment's metadata: Pay's rules when it arrives, and a safe reading of what is stored.

Pay's rules (pay.md section 2; publicapi's `ExternalMetadata` validation) are
up to 15 pairs, keys of 1 to 30 characters that are unique whatever their
case, and values that are strings of up to 100 characters, numbers or
booleans. Pay reports every rule that fails, joined with ". ".

One rule is ours: numbers must be finite. Python's JSON reader turns `1e400`
into infinity and reads the literals `NaN` and `Infinity`, which JSON
(RFC 8259 section 6) does not have and no other reader accepts; Pay's own
store (PostgreSQL JSONB) refuses them. Stored once, such a value made every
read of its account fail (issue 13). So the rules are checked where the API
reads a body and again where a payment is made (`check`), whichever way its
metadata came, and what is read back passes through `readable`, which leaves
out anything JSON cannot carry, so one bad row can never break a search.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import cast

from govplatform.pay.errors import invalid

MAX_PAIRS, MAX_KEY, MAX_VALUE = 15, 30, 100
Metadata = dict[str, str | int | float | bool]


def _java_length(value: str) -> int:
    """String.length() in Java: UTF-16 code units, so an emoji counts as two."""
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


def _finite(item: object) -> bool:
    return not isinstance(item, float) or math.isfinite(item)


def problems(pairs: Mapping[str, object]) -> list[str]:
    """Every rule the pairs break, in Pay's order (ours last)."""
    values = list(pairs.values())
    rules = (
        (len(pairs) > MAX_PAIRS, f"Cannot have more than {MAX_PAIRS} key-value pairs"),
        (
            any(not isinstance(key, str) or not 1 <= _java_length(key) <= MAX_KEY for key in pairs),
            f"Keys must be between 1 and {MAX_KEY} characters long",
        ),
        (
            any(item is not None and not isinstance(item, str | int | float) for item in values),
            "Values must be of type String, Boolean or Number",
        ),
        (
            any(isinstance(item, str) and _java_length(item) > MAX_VALUE for item in values),
            f"Values must be no greater than {MAX_VALUE} characters long",
        ),
        (any(item is None for item in values), "Must not have null values"),
        (len({str(key).lower() for key in pairs}) != len(pairs), "Must have case insensitive unique keys"),
        (not all(_finite(item) for item in values), "Numbers must be finite"),
    )
    return [message for failed, message in rules if failed]


def parse(value: object) -> Metadata:
    """The `metadata` of a request body: 422 P0102 naming `metadata` with every rule it breaks."""
    if value is None:
        raise invalid("metadata", "Value must not be null")
    if not isinstance(value, dict):
        raise invalid("metadata", "Must be an object of JSON key-value pairs")
    pairs = cast(dict[str, object], value)
    found = problems(pairs)
    if found:
        raise invalid("metadata", ". ".join(found))
    return cast(Metadata, dict(pairs))


def check(metadata: Mapping[str, object] | None) -> None:
    """The same rules for metadata that reached a service by another way than the API's body."""
    if metadata is not None:
        parse(dict(metadata))


def readable(stored: object) -> Metadata | None:
    """The stored metadata's pairs that JSON can carry (None if none): a bad value is left out, not shown."""
    if not isinstance(stored, dict):
        return None
    kept = {
        key: value
        for key, value in stored.items()
        if isinstance(key, str) and isinstance(value, str | int | float) and _finite(value)
    }
    return kept or None
