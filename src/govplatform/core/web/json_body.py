"""One safe reading of a JSON request body, for every machine API.

`json.loads` alone lets through what later breaks the platform far from the
request (issue 13 found 30 unhandled exceptions from it). This parser keeps
to I-JSON (RFC 7493), the profile of JSON meant for exactly this, and refuses:

- text that is not UTF-8 (RFC 8259 section 8.1; I-JSON 2.1), a UTF-8 encoded
  surrogate included; a leading byte order mark is ignored, as 8.1 allows;
- nesting deeper than `max_depth` (32): the C parser recurses once a level,
  and a body of 100,000 `[` raised RecursionError; no API here nests more
  than three levels;
- a name twice in one object (I-JSON 2.3): RFC 8259 section 4 leaves which one
  wins to the parser, so two systems could read one body two ways;
- NaN, Infinity and -Infinity, which Python accepts but JSON does not have
  (RFC 8259 section 6), and numbers that overflow to infinity (1e400): a
  stored infinity broke every later read of a Pay account's payments;
- integers of more than `max_integer_digits` (100) digits: int() is
  quadratic in the digits and refuses past 4300 (CVE-2020-10735);
- NUL and lone surrogates in any string, name or value (`input_rules`).

Refusals are `JsonBodyError`s: `NotJson` for the document as a whole and
`ValueRefused` for one value, with the path to it, so each API can answer in
its own terms (Notify's BadRequestError or ValidationError, Pay's P0197 or
P0102 naming the field). The messages never quote the refused value.

Checks that need the parsed value run afterwards, without recursion, and only
where they can find something: strings only when the text holds a \\u0000 or
\\uD800-\\uDFFF escape (the only ways to write NUL or a surrogate in JSON),
depth only when the text has more brackets than the limit.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from govplatform.core.web.input_rules import text_problem

MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 100
_BOM = "\ufeff"
# The only ways a parsed string can hold NUL or a lone surrogate are these escapes: strict UTF-8 refuses
# an encoded surrogate, and JSON a raw control character in a string. Without one, strings need no look.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class JsonBodyError(ValueError):
    """A body that an API must refuse; `message` says why without quoting what was sent."""

    def __init__(self, message: str, where: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    @property
    def field(self) -> str | None:
        """The top-level member the problem is in, the way Pay names fields, or None for the whole body."""
        return str(self.where[0]) if self.where else None

    @property
    def path(self) -> str:
        """Where the problem is, as `personalisation.name` or `items.2`; empty for the whole body."""
        return ".".join(str(step)[:100] for step in self.where)

    @property
    def sentence(self) -> str:
        """The problem as one sentence: "personalisation.name must not contain ..." or "The body is not ..."."""
        return self.message


class NotJson(JsonBodyError):
    """The body as a whole cannot be read: not UTF-8, not JSON, too deep, or a name given twice."""


class ValueRefused(JsonBodyError):
    """The body is JSON, but one value in it (at `where`) cannot be accepted; `message` starts "must ..."."""

    @property
    def sentence(self) -> str:
        return f"{self.path or 'The body'} {self.message}"


class _Refused:
    """Stands in for a number that must be refused, so the pass afterwards can say where it was."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Numbers:
    """The parser's number hooks, noting whether any number was refused (so the pass afterwards can be skipped)."""

    def __init__(self, max_digits: int) -> None:
        self.max_digits = max_digits
        self.refused = False

    def constant(self, name: str) -> _Refused:
        self.refused = True
        return _Refused(f"must be a number JSON allows, not {name}")

    def float(self, text: str) -> float | _Refused:
        value = float(text)
        if math.isfinite(value):
            return value
        self.refused = True
        return _Refused("must be a number a 64-bit float can hold")

    def integer(self, text: str) -> int | _Refused:
        if len(text) - text.startswith("-") > self.max_digits:
            self.refused = True
            return _Refused(f"must have {self.max_digits} digits or fewer")
        return int(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise NotJson("An object in the body has the same name twice")
    return value


def parse_json_body(raw: bytes, *, max_depth: int = MAX_DEPTH, max_integer_digits: int = MAX_INTEGER_DIGITS) -> Any:
    """The value of a JSON body, or a `JsonBodyError` saying why it cannot be accepted."""
    try:
        text = raw.decode("utf-8")  # the strict codec refuses encoded surrogates too
    except UnicodeDecodeError:
        raise NotJson("The body is not UTF-8 text") from None
    numbers = _Numbers(max_integer_digits)
    try:
        value = json.loads(
            text.removeprefix(_BOM),
            parse_constant=numbers.constant,
            parse_float=numbers.float,
            parse_int=numbers.integer,
            object_pairs_hook=_object,
        )
    except RecursionError:
        raise NotJson(f"The body is nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError:
        raise NotJson("The body is not valid JSON") from None
    if numbers.refused or _SUSPECT_ESCAPE.search(text):
        _check(value, max_depth)  # finds the refused value and says where it is
    elif text.count("[") + text.count("{") > max_depth and not _depth_within(value, max_depth):
        raise NotJson(f"The body is nested more than {max_depth} levels deep")
    return value


def _depth_within(value: Any, max_depth: int) -> bool:
    """True when no container in `value` is more than `max_depth` levels deep, one level at a time."""
    level = [value] if isinstance(value, dict | list) else []
    for _depth in range(max_depth):
        below: list[Any] = []
        for item in level:
            below.extend(
                member
                for member in (item.values() if isinstance(item, dict) else item)
                if isinstance(member, dict | list)
            )
        if not below:
            return True
        level = below
    return False


def _check(value: Any, max_depth: int) -> None:
    """Refuses refused numbers, refused text and nesting past `max_depth`, in one pass without recursion."""
    for item, where in _walk(value, max_depth):
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is not None:
                raise ValueRefused(problem, where)
        elif isinstance(item, _Refused):
            raise ValueRefused(item.reason, where)


def _walk(value: Any, max_depth: int) -> Iterator[tuple[Any, tuple[str | int, ...]]]:
    """Every scalar and name in `value` with its path; a name is given with the path of its object."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict | list) and len(where) >= max_depth:
            raise NotJson(f"The body is nested more than {max_depth} levels deep")
        if isinstance(item, dict):
            for name, member in item.items():
                if text_problem(name) is not None:
                    raise ValueRefused(f"has a name that {text_problem(name)}", where)
                stack.append((member, (*where, name)))
        elif isinstance(item, list):
            stack.extend((member, (*where, index)) for index, member in enumerate(item))
        else:
            yield item, where
