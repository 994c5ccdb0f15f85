"""A new citizen password's strength check (identity/services/passwords.py)."""

from __future__ import annotations

import pytest

from govplatform.identity.services.passwords import (
    LIKE_EMAIL,
    TOO_COMMON,
    TOO_LONG,
    TOO_SHORT,
    WeakPassword,
    check_new_password,
    common_passwords,
)


def _refusal(password: str, email: str | None = None) -> str:
    with pytest.raises(WeakPassword) as caught:
        check_new_password(password, email=email)
    return caught.value.template


def test_a_long_uncommon_password_is_accepted() -> None:
    check_new_password("correct horse battery staple", email="citizen@example.com")


def test_a_password_of_seven_characters_is_too_short_and_eight_is_enough() -> None:
    assert _refusal("k9#Tq2z") == TOO_SHORT
    check_new_password("k9#Tq2zW")


def test_the_empty_password_is_too_short() -> None:
    assert _refusal("") == TOO_SHORT


def test_a_password_over_256_characters_is_refused_and_256_is_accepted() -> None:
    assert _refusal("x7" * 128 + "y") == TOO_LONG
    check_new_password("x7" * 128)


@pytest.mark.parametrize("password", ["password", "Password1", "PASSWORD1", "12345678", "iloveyou", "qwertyuiop"])
def test_common_passwords_from_the_shipped_breach_list_are_refused_in_any_case(password: str) -> None:
    assert _refusal(password) == TOO_COMMON


def test_the_shipped_list_is_read_and_holds_only_lower_case_passwords_of_eight_characters_or_more() -> None:
    words = common_passwords()
    assert len(words) > 10_000
    assert "password" in words and "baseball" in words
    assert all(len(word) >= 8 and word == word.lower() for word in words)


def test_a_password_containing_the_emails_local_part_is_refused() -> None:
    assert _refusal("Jane.Citizen-2026", email="jane.citizen@example.com") == LIKE_EMAIL


def test_a_password_equal_to_the_email_is_refused() -> None:
    assert _refusal("  Jo@Example.org ", email="jo@example.org") == LIKE_EMAIL


def test_a_very_short_local_part_inside_the_password_is_not_a_reason_to_refuse_it() -> None:
    check_new_password("jolly-river-kettle", email="jo@example.org")


def test_the_refusal_is_a_user_facing_message() -> None:
    with pytest.raises(WeakPassword) as caught:
        check_new_password("short")
    assert str(caught.value) == TOO_SHORT
