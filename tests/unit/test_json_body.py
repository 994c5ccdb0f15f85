"""core.web.json_body and input_rules: what a JSON body and a typed number may hold, and what each refusal says."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.core.web.input_rules import text_problem, whole_number
from govplatform.core.web.json_body import NotJson, ValueRefused, parse_json_body

# Anything JSON can carry that I-JSON allows: finite floats, bounded integers, text without NUL or surrogates.
TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=20)
NUMBERS = st.integers(-(10**30), 10**30) | st.floats(allow_nan=False, allow_infinity=False)
VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


@given(VALUES)
def test_any_value_i_json_allows_reads_back_as_json_loads_reads_it(value: Any) -> None:
    raw = json.dumps(value).encode()
    assert parse_json_body(raw) == json.loads(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "The body is nested more than 32 levels deep"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "The body is nested more than 32 levels deep"),
        (b"{not json", "The body is not valid JSON"),
        (b"", "The body is not valid JSON"),
        (b'{"a": "\xff"}', "The body is not UTF-8 text"),
        (b'{"a": "\xed\xa0\x80"}', "The body is not UTF-8 text"),
        ('{"a": 1}'.encode("utf-16"), "The body is not UTF-8 text"),
        (b'{"a": 1, "a": 2}', "An object in the body has the same name twice"),
        (b'{"b": [{"a": 1, "a": 1}]}', "An object in the body has the same name twice"),
    ],
)
def test_a_body_that_cannot_be_read_is_refused_as_a_whole(raw: bytes, message: str) -> None:
    with pytest.raises(NotJson) as refused:
        parse_json_body(raw)
    assert refused.value.message == message
    assert refused.value.field is None


def test_nesting_up_to_the_limit_is_read() -> None:
    assert parse_json_body(b"[" * 32 + b"]" * 32) is not None


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        (rb'{"reference": "\ud800"}', "reference", "must not contain an unpaired surrogate (U+D800 to U+DFFF)"),
        (rb'{"a": ["x", "\udc00\ud800"]}', "a.1", "must not contain an unpaired surrogate (U+D800 to U+DFFF)"),
        (rb'{"personalisation": {"name": "a\u0000b"}}', "personalisation.name", "must not contain the NUL character"),
        (rb'{"p": {"\u0000": 1}}', "p", "has a name that must not contain the NUL character (U+0000)"),
        (b'{"metadata": {"a": NaN}}', "metadata.a", "must be a number JSON allows, not NaN"),
        (b'{"a": Infinity}', "a", "must be a number JSON allows, not Infinity"),
        (b'{"a": -Infinity}', "a", "must be a number JSON allows, not -Infinity"),
        (b'{"a": 1e400}', "a", "must be a number a 64-bit float can hold"),
        (b'{"a": -1e400}', "a", "must be a number a 64-bit float can hold"),
        (b'{"amount": ' + b"9" * 5000 + b"}", "amount", "must have 100 digits or fewer"),
        (b'{"amount": -' + b"9" * 101 + b"}", "amount", "must have 100 digits or fewer"),
    ],
)
def test_a_value_that_cannot_be_accepted_is_refused_with_where_it_is(raw: bytes, path: str, message: str) -> None:
    with pytest.raises(ValueRefused) as refused:
        parse_json_body(raw)
    assert refused.value.path == path
    assert refused.value.field == path.split(".")[0]
    assert refused.value.message.startswith(message)


def test_a_refused_value_at_the_top_has_no_field() -> None:
    with pytest.raises(ValueRefused) as refused:
        parse_json_body(b"NaN")
    assert refused.value.field is None


def test_a_byte_order_mark_and_small_numbers_are_accepted() -> None:
    assert parse_json_body(b"\xef\xbb\xbf" + b'{"a": 1e-400, "b": -0, "c": ' + b"9" * 100 + b"}") == {
        "a": 0.0,
        "b": 0,
        "c": int("9" * 100),
    }


@pytest.mark.parametrize(("text", "refused"), [("plain", False), ("a\x00", True), ("\ud800", True), ("🙂", False)])
def test_text_problem_names_nul_and_lone_surrogates_only(text: str, refused: bool) -> None:
    assert (text_problem(text) is not None) is refused


@pytest.mark.parametrize(
    ("text", "number"),
    [("7", 7), (" 12 ", 12), ("0", 0), ("²", None), ("٣", None), ("-1", None), ("1.5", None), ("", None),
     ("9" * 5000, None), ("99999999999999999999", None), ("1e3", None)],
)  # fmt: skip
def test_a_whole_number_is_ascii_digits_and_fits_64_bits(text: str, number: int | None) -> None:
    assert whole_number(text) == number


def test_a_whole_number_outside_its_range_is_none() -> None:
    assert whole_number("5", minimum=1, maximum=4) is None
    assert whole_number("0", minimum=1) is None
    assert whole_number("4", minimum=1, maximum=4) == 4
