"""RFC 8785 JSON Canonicalization Scheme (JCS): one byte string per JSON value.

Log entries are hashed, so equal values must give equal bytes whoever writes
them. JCS fixes key order (by UTF-16 code units, §3.2.3), number form (ECMAScript
shortest round trip, §3.2.2.3) and string escaping (§3.2.2.2). The work is done
by the `rfc8785` package (Trail of Bits); this module only fixes the project's
entry points and reads JSON text as I-JSON (RFC 7493), which JCS assumes:
duplicate member names, NaN and Infinity are refused rather than guessed at.
JSON numbers are IEEE 754 doubles (§3.2.2.3), so an integer in JSON text
beyond ±(2**53 - 1) is read as a double, but refused when the double's
canonical form would denote another number (9007199254740993 would silently
become ...992); write such numbers as strings. The package itself refuses
Python ints beyond ±(2**53 - 1): pass floats or strings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeAlias

import rfc8785

JSONValue: TypeAlias = bool | int | float | str | Sequence["JSONValue"] | Mapping[str, "JSONValue"] | None

_MAX_SAFE_INTEGER = 2**53 - 1

CanonicalisationError = rfc8785.CanonicalizationError
"""Raised for a value JCS cannot represent; a ValueError."""


def canonicalise(value: JSONValue) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a Python JSON value (dicts, lists, str, int, float, bool, None)."""
    return rfc8785.dumps(value)


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise CanonicalisationError(f"duplicate member name {key!r} (RFC 7493 §2.3)")
        result[key] = value
    return result


def _read_integer(text: str) -> int | float:
    value = int(text)
    if abs(value) <= _MAX_SAFE_INTEGER:
        return value
    double = float(text)
    if math.isinf(double):
        raise CanonicalisationError(f"{text[:20]}... is too large for an IEEE 754 double")
    if Decimal(rfc8785.dumps(double).decode("ascii")) != value:
        raise CanonicalisationError(f"{text} would be read as another number; write it as a string")
    return double


def _refuse_constant(name: str) -> Any:
    raise CanonicalisationError(f"{name} is not a JSON number (RFC 8785 §3.2.2.3)")


def canonicalise_text(text: str | bytes) -> bytes:
    """The canonical bytes of a JSON text, read as I-JSON."""
    try:
        value = json.loads(
            text, object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant, parse_int=_read_integer
        )
    except json.JSONDecodeError as exc:
        raise CanonicalisationError(f"not JSON: {exc}") from exc
    return canonicalise(value)
