"""RFC 8785 canonical JSON: the RFC's own examples, and I-JSON refusals for JSON text."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.transparency.jcs import CanonicalisationError, canonicalise, canonicalise_text

# RFC 8785 §3.2.2: the sample input, written with the RFC's own escapes.
RFC_SAMPLE = r"""{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
RFC_SAMPLE_CANONICAL = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
)

# RFC 8785 §3.2.3: property names sort by their UTF-16 code units.
RFC_SORTING = r"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""


def test_the_rfcs_sample_canonicalises_to_the_published_output() -> None:
    assert canonicalise_text(RFC_SAMPLE) == RFC_SAMPLE_CANONICAL.encode("utf-8")


def test_property_names_are_ordered_by_utf16_code_units_as_in_the_rfcs_example() -> None:
    canonical = canonicalise_text(RFC_SORTING).decode("utf-8")
    order = ["\\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    positions = [canonical.index(f'"{name}":') for name in order]
    assert positions == sorted(positions)
    # Code points would put U+FB33 before U+1F600; UTF-16 puts the surrogate pair D83D first.
    assert canonical.index("\U0001f600") < canonical.index("\ufb33")


@pytest.mark.parametrize(
    ("ieee754", "expected"),
    [
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"),
        ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"),
        ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"),
        ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"),
        ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ],
)
def test_numbers_are_written_as_the_rfcs_appendix_b_lists(ieee754: str, expected: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(ieee754))
    assert canonicalise([value]) == f"[{expected}]".encode()


@pytest.mark.parametrize("ieee754", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_nan_and_infinities_cannot_be_canonicalised(ieee754: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(ieee754))
    with pytest.raises(CanonicalisationError):
        canonicalise(value)


def test_strings_escape_only_what_json_requires() -> None:
    assert canonicalise("\u2028é\x7f\x1f\t/") == '"\u2028é\x7f\\u001f\\t/"'.encode()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"a": 1, "a": 2}', "duplicate member name"),
        ('{"a": NaN}', "not a JSON number"),
        ("[Infinity]", "not a JSON number"),
        ("[-Infinity]", "not a JSON number"),
        ("[9007199254740993]", "would be read as another number"),
        ("[-9007199254740993]", "would be read as another number"),
        ("[1" + "0" * 400 + "]", "too large"),
        ("[1e400]", "not representable"),
        ('"\\ud800"', "UTF-8"),
        ("{'a': 1}", "not JSON"),
        ("", "not JSON"),
    ],
)
def test_json_text_outside_i_json_is_refused(text: str, reason: str) -> None:
    with pytest.raises(CanonicalisationError, match=reason):
        canonicalise_text(text)


def test_integers_in_json_text_beyond_2_to_the_53_are_read_as_doubles_when_that_keeps_their_value() -> None:
    text = "[9007199254740992, -9007199254740991, 20448618130096490, 1" + "0" * 30 + "]"
    assert canonicalise_text(text) == b"[9007199254740992,-9007199254740991,20448618130096490,1e+30]"


def test_a_canonicalisation_error_is_a_value_error() -> None:
    assert issubclass(CanonicalisationError, ValueError)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_canonical_bytes_are_a_fixed_point_of_reading_and_canonicalising_again(value: object) -> None:
    once = canonicalise(value)  # type: ignore[arg-type]
    assert canonicalise_text(once) == once
