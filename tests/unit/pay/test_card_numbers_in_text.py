"""Finding a card number typed into free text (issue 13, fault 8).

A card number is a run of 12 to 19 digits, perhaps typed in groups with
spaces or hyphens, that passes the Luhn check and starts with a card brand's
prefix. Text holding one must not be stored, wherever it was typed.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from govplatform.pay.cards import BRAND_RULES, contains_card_number, luhn_check_digit, luhn_valid


@pytest.mark.parametrize(
    "text",
    [
        "4242424242424242",
        "Paid with 4242 4242 4242 4242 thanks",
        "card:4444-3333-2222-1111.",
        "4000 0566 5566 5556",
        "Amex 3714 496353 98431",
        "Ada Lovelace 5105105105105100",
        "ref 12 4242 4242 4242 4242",  # other digits before it, in their own group
        "4242424242424242@example.org",
        "６０１１０００９９０１３９４２４",  # full-width digits, as some keyboards type them
        "Order12345678 4242424242424242",
    ],
)
def test_a_card_number_in_text_is_found(text: str) -> None:
    assert contains_card_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Resident parking permit",
        "PERMIT-1234",
        "4242424242424241",  # fails Luhn
        "1234567812345670",  # passes Luhn, but no brand starts with 1
        "42424242424",  # 11 digits: too short to be a card
        "4242 4242",
        "Flat 4, 42 High Street",
        "020 7946 0000",  # a phone number
        "2024-01-31",
    ],
)
def test_text_without_a_card_number_is_left_alone(text: str) -> None:
    assert not contains_card_number(text)


def _card_numbers() -> st.SearchStrategy[str]:
    """Numbers of the brands' own prefixes and lengths, with a good check digit."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        rule = draw(st.sampled_from(BRAND_RULES))
        low, high = draw(st.sampled_from(rule.prefixes))
        prefix = str(draw(st.integers(low, high)))
        length = draw(st.sampled_from(sorted(n for n in rule.lengths if n > len(prefix))))
        body = prefix + "".join(
            draw(
                st.lists(
                    st.sampled_from("0123456789"), min_size=length - len(prefix) - 1, max_size=length - len(prefix) - 1
                )
            )
        )
        return body + luhn_check_digit(body)

    return build()


def _typed(number: str, separators: list[str]) -> str:
    """The number in groups of four, as people type it, with the separator drawn for each gap."""
    groups = [number[i : i + 4] for i in range(0, len(number), 4)]
    out = groups[0]
    for group, separator in zip(groups[1:], separators, strict=False):
        out += separator + group
    return out + "".join(groups[len(separators) + 1 :])


@given(
    _card_numbers(),
    st.lists(st.sampled_from(["", " ", "-", " - "]), min_size=4, max_size=4),
    st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=20),
    st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=20),
)
def test_any_card_number_typed_in_any_text_is_found(
    number: str, separators: list[str], before: str, after: str
) -> None:
    assume(luhn_valid(number))
    assert contains_card_number(before + " " + _typed(number, separators) + " " + after)


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd", "No")), max_size=200))
def test_text_with_no_digits_never_holds_a_card_number(text: str) -> None:
    assert not contains_card_number(text)


@given(st.lists(st.from_regex(r"[0-9]{1,11}", fullmatch=True), max_size=10))
def test_digit_groups_too_short_to_be_a_card_apart_are_never_one(groups: list[str]) -> None:
    assert not contains_card_number(", ".join(groups))


@given(_card_numbers())
def test_a_card_number_with_a_wrong_check_digit_is_not_one(number: str) -> None:
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not contains_card_number(f"ref {wrong} end")
