"""Metadata that JSON cannot carry (issue 13, fault 5): refused when it arrives, and left out when read.

Python's json module turns `1e400` into infinity and reads `NaN` and
`Infinity`, which no JSON reader elsewhere accepts; one such value stored once
made every later read of its account answer 500.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.pay.errors import PayError
from govplatform.pay.metadata import check as check_metadata
from govplatform.pay.metadata import readable as readable_metadata
from govplatform.pay.requests import parse_create_payment

BASE = {"amount": 1000, "reference": "ref-1", "description": "A licence", "return_url": "https://x.gov.uk/r"}


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_a_metadata_number_that_is_not_finite_is_refused_with_422_naming_metadata(number: float) -> None:
    with pytest.raises(PayError) as caught:
        parse_create_payment({**BASE, "metadata": {"ledger": "AB12", "a": number}}, live=False)
    assert (caught.value.status_code, caught.value.code, caught.value.field) == (422, "P0102", "metadata")
    assert caught.value.description == "Invalid attribute value: metadata. Numbers must be finite"


def test_the_service_level_check_refuses_what_the_parser_would_have_refused() -> None:
    with pytest.raises(PayError) as caught:
        check_metadata({"a": math.inf})
    assert (caught.value.status_code, caught.value.code, caught.value.field) == (422, "P0102", "metadata")
    with pytest.raises(PayError):
        check_metadata({"k": {"nested": 1}})
    check_metadata({"ledger": "AB12", "count": 3, "ratio": 1.5, "reconciled": False})
    check_metadata(None)


def test_a_stored_value_json_cannot_carry_is_left_out_when_read() -> None:
    stored = {"ledger": "AB12", "a": math.inf, "b": -math.inf, "c": math.nan, "d": {"x": 1}, "e": None, "n": 3}
    assert readable_metadata(stored) == {"ledger": "AB12", "n": 3}
    assert readable_metadata([1, 2]) is None
    assert readable_metadata("Infinity") is None
    assert readable_metadata({}) is None
    assert readable_metadata(None) is None


json_values = st.one_of(
    st.text(max_size=5), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none()
)


@given(st.one_of(st.dictionaries(st.text(max_size=5), json_values, max_size=5), json_values))
def test_what_is_read_back_is_always_strict_json(stored: object) -> None:
    readable = readable_metadata(stored)
    json.dumps(readable, allow_nan=False)  # raises on a value no other JSON reader accepts
