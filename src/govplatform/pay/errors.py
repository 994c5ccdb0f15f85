"""Pay's error answers: `{"field"?, "header"?, "code", "description"}` with Pay's status codes.

The codes and descriptions follow pay-publicapi's `RequestError.Code`
(https://github.com/alphagov/pay-publicapi; docs/api/pay.md), because integrations branch on the
code and show the description to their developers.
"""

from __future__ import annotations

from typing import Any

from govplatform.core.interfaces import JsonBodyError, ValueRefused


class PayError(Exception):
    """An answer in Pay's error format; the API turns it into JSON with its status code."""

    def __init__(
        self, status_code: int, code: str, description: str, *, field: str | None = None, header: str | None = None
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.description = description
        self.field = field
        self.header = header
        super().__init__(f"{code} {description}")

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.field is not None:
            body["field"] = self.field
        if self.header is not None:
            body["header"] = self.header
        body["code"] = self.code
        body["description"] = self.description
        return body


def missing(field: str, code: str = "P0101") -> PayError:
    return PayError(400, code, f"Missing mandatory attribute: {field}", field=field)


def invalid(field: str, reason: str, code: str = "P0102", status_code: int = 422) -> PayError:
    return PayError(status_code, code, f"Invalid attribute value: {field}. {reason}", field=field)


# An endpoint's code for a body it cannot parse, and its code and status for a value it refuses (pay.md 4).
_INVALID_VALUE = {"P0197": ("P0102", 422), "P0697": ("P0602", 422), "P2197": ("P2102", 400)}


def body_refused(refused: JsonBodyError, parse_error: str = "P0197") -> PayError:
    """Core's safe JSON parser's refusal as the endpoint answers it.

    A body that is not JSON, or too deep, or names a field twice, is the endpoint's "Unable to parse
    JSON"; a value no API may take (NUL, a lone surrogate, NaN, 1e400, an integer of hundreds of
    digits) is its invalid-value answer naming the top-level field.
    """
    if not isinstance(refused, ValueRefused) or refused.field is None:
        return PayError(400, parse_error, "Unable to parse JSON")
    code, status = _INVALID_VALUE.get(parse_error, ("P0102", 422))
    reason = refused.message[0].upper() + refused.message[1:]
    return invalid(refused.field, reason, code, status)


def not_found(code: str) -> PayError:
    return PayError(404, code, "Not found")


def unexpected(field: str, code: str = "P0104") -> PayError:
    return PayError(400, code, f"Unexpected attribute: {field}", field=field)


_STATUS_CODES = {429: ("P0900", "Too many requests"), 500: ("P0999", None), 503: ("P0999", None)}


def error_body(status_code: int, _name: str, message: str) -> dict[str, Any]:
    """Pay's shape for errors the web shell answers (unknown paths, 405s, a body too large, 5xx).

    Pay has a code only for some of these (P0900 for rate limits, P0999 when
    it is down); the others carry the description alone rather than a made-up code.
    """
    code, fixed = _STATUS_CODES.get(status_code, (None, None))
    body: dict[str, Any] = {"description": fixed or message}
    if code is not None:
        body = {"code": code, **body}
    return body
