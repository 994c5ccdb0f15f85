"""A query's body is read strictly: each problem is named, nothing unexpected is let through."""

from __future__ import annotations

import json

import pytest

from govplatform.exchange.query_input import BodyInvalid, read_query

GOOD = {
    "agreement_id": "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
    "purpose": "resident-parking-permits",
    "subject": {"scheme": "driving-licence", "value": "MORGA657054SM9IJ"},
    "fields": ["make", "colour"],
}


def test_a_well_formed_query_is_read() -> None:
    asked = read_query(json.dumps(GOOD).encode())
    assert (asked.purpose, asked.scheme, asked.fields) == (
        "resident-parking-permits",
        "driving-licence",
        ("make", "colour"),
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"[]", "JSON object"),
        (b"{", "not JSON"),
        (b"[" * 100_000, "not JSON"),
        (json.dumps({**GOOD, "extra": 1}).encode(), "may not have: extra"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "purpose"}).encode(), "no purpose"),
        (json.dumps({**GOOD, "agreement_id": "x"}).encode(), "agreement_id"),
        (json.dumps({**GOOD, "purpose": ""}).encode(), "purpose"),
        (json.dumps({**GOOD, "subject": "MORGA657054SM9IJ"}).encode(), "subject"),
        (json.dumps({**GOOD, "subject": {"scheme": "nino", "value": 5}}).encode(), "text"),
        (json.dumps({**GOOD, "fields": "make"}).encode(), "list"),
        (json.dumps({**GOOD, "fields": ["make"] * 2}).encode(), "once"),
        (json.dumps({**GOOD, "fields": [f"f{n}" for n in range(101)]}).encode(), "1 to 100"),
        (json.dumps({**GOOD, "purpose": "a\ud800"}).encode(), "valid Unicode"),
        (json.dumps({**GOOD, "fields": ["make\u0000"]}).encode(), "without NUL"),
    ],
)
def test_a_body_that_is_not_a_query_is_refused_saying_what_is_wrong(body: bytes, problem: str) -> None:
    with pytest.raises(BodyInvalid, match=problem):
        read_query(body)
