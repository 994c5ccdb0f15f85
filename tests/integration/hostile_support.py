"""Hostile input for the machine APIs: the values, the bodies built from them, and each API's error format.

Issue 13 fault 6: an outside test found 30 unhandled exceptions from input like
this. The lists are what broke something once, or what breaks a neighbour of
ours: a parser's recursion (deep nesting), UTF-8 (a lone surrogate), PostgreSQL
(NUL in text, a number past BIGINT), Python's int() (past 4300 digits), float
parsing (1e400 is infinity), and headers (CR LF).
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

# JSON text of hostile values, substituted for one leaf of a valid body at a time.
# REFUSED: no API may accept these (each is a 4xx whatever field it is in).
REFUSED_LEAVES = {
    "a lone surrogate": r'"\ud800"',
    "a low surrogate first": r'"\udc00\ud800"',
    "NUL": r'"a\u0000b"',
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "1e400": "1e400",
    "-1e400": "-1e400",
    "an integer of 5000 digits": "9" * 5000,
    "a negative integer of 5000 digits": "-" + "9" * 5000,
}
# OTHER: each API may accept or refuse these, but never with a 5xx.
OTHER_LEAVES = {
    "CR LF and a header": json.dumps("Hello\r\nBcc: someone@example.org"),
    "a 100,000-character string": json.dumps("x" * 100_000),
    "an integer past BIGINT": "99999999999999999999",
    "a negative number": "-1",
    "a fraction": "1.5",
    "1e-400": "1e-400",
    "true": "true",
    "null": "null",
    "an empty list": "[]",
    "an empty object": "{}",
    "an empty string": '""',
    "a non-ASCII string": json.dumps("Ŵ\u202e\ufeff🙂"),
}
DEEP = 100_000
# Whole bodies: each is refused (4xx) by every route that reads a JSON body.
REFUSED_BODIES: dict[str, bytes] = {
    "nested lists 100,000 deep": b"[" * DEEP + b"]" * DEEP,
    "nested objects 100,000 deep": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "a list 200 deep in a field": b'{"reference": ' + b"[" * 200 + b"]" * 200 + b"}",
    "not JSON": b"{not json",
    "non-UTF-8 bytes": b'{"reference": "\xff\xfe"}',
    "a UTF-8 encoded surrogate": b'{"reference": "\xed\xa0\x80"}',
    "a duplicate name": b'{"reference": "a", "reference": "b"}',
    "a bare NaN": b"NaN",
    "a bare integer of 5000 digits": b"9" * 5000,
}


def leaves(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """The path of every scalar in `value`."""
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in leaves(item, (*path, key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in leaves(item, (*path, index))]
    return [path]


MARK = "\x1eHOSTILE\x1e"


def with_leaf(body: Any, path: tuple[str | int, ...], raw: str) -> bytes:
    """`body` as JSON text with the leaf at `path` replaced by the JSON text `raw`."""
    copy = json.loads(json.dumps(body))
    holder = copy
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = MARK
    return json.dumps(copy).replace(json.dumps(MARK), raw).encode()


# Query strings for every GET route, one at a time: the names the APIs read, with values that broke something.
QUERIES = [
    "page=-1", "page=0", "page=99999999999999999999", "page=" + "9" * 5000, "page=1.5", "page=%00", "page=%C2%B2",
    "display_size=-1", "display_size=99999999999999999999", "display_size=%00",
    "from_date=9999-12-31T23:59:59Z", "from_date=0001-01-01T00:00:00Z", "from_date=2020-13-45T99:99:99Z",
    "to_date=%00", "from_settled_date=10000-01-01", "to_settled_date=-1",
    "reference=%00", "reference=%ED%A0%80", "reference=%FF", "reference=" + "x" * 5000,
    "older_than=not-a-uuid", "older_than=%00", "older_than=" + "0" * 5000,
    "status=%00", "status=a&status=%00", "template_type=%00", "type=%00", "state=%00",
    "email=%00", "cardholder_name=%00", "first_digits_card_number=%00", "last_digits_card_number=%00",
    "agreement_id=%00", "user_identifier=%00", "include_jobs=%00",
    "before=99999999999999999999", "index=-1", "size=99999999999999999999", "old=-1", "new=%00",
    "lang=%00", "%00=%00",
]  # fmt: skip
# Values for one path parameter at a time.
PATH_VALUES = ["not-a-uuid", "%00", "9" * 5000, "99999999999999999999", "-1", "%ED%A0%80", "%FF", "a%0D%0Ab"]


def api_of(path: str) -> str | None:
    """Which API's error format a path answers in."""
    for prefix, name in (
        ("/v2/", "notify"), ("/v1/", "pay"), ("/api/exchange/", "exchange"), ("/api/", "platform"),
        ("/transparency/", "platform"),
    ):  # fmt: skip
        if path.startswith(prefix):
            return name
    return None


def format_problem(path: str, response: httpx.Response) -> str | None:
    """What is wrong with an error answer's format for its API, or None."""
    api = api_of(path)
    if response.status_code < 400 or api is None:
        return None
    if api == "pay" and response.status_code == 401:
        return None if not response.content else "Pay's 401 has no body"
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.headers.get('content-type')}"
    if api == "pay":
        ok = isinstance(body, dict) and isinstance(body.get("description"), str)
        return None if ok else f"not Pay's format: {str(body)[:200]}"
    if api == "exchange":
        ok = (
            isinstance(body, dict)
            and set(body) == {"error", "message"}
            and all(isinstance(v, str) for v in body.values())
        )
        return None if ok else f"not the exchange's format: {str(body)[:200]}"
    ok = (
        isinstance(body, dict)
        and body.get("status_code") == response.status_code
        and bool(body.get("errors"))
        and all(isinstance(e.get("error"), str) and isinstance(e.get("message"), str) for e in body["errors"])
    )
    return None if ok else f"not the {api} format: {str(body)[:200]}"


def refusal_problem(path: str, response: httpx.Response) -> str | None:
    """What is wrong with the answer to a body every API must refuse, or None."""
    if not 400 <= response.status_code < 500:
        return f"answered {response.status_code}"
    api, body = api_of(path), response.json()
    if api == "notify" and body["errors"][0]["error"] not in ("ValidationError", "BadRequestError"):
        return f"Notify error {body['errors'][0]['error']}"
    if api == "pay" and not re.fullmatch(r"P0197|P0697|P2197|P0102|P0602|P2102", str(body.get("code"))):
        return f"Pay code {body.get('code')}"
    if api == "exchange" and body.get("error") not in EXCHANGE_BODY_REFUSALS:  # the walk signs each body it sends
        return f"exchange error {body.get('error')}"
    return None


EXCHANGE_BODY_REFUSALS = {
    "body_invalid", "subject_invalid", "subject_scheme_not_accepted", "field_not_agreed", "purpose_mismatch",
    "agreement_unknown", "body_too_large",
}  # fmt: skip
