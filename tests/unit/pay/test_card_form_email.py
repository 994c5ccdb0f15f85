"""The card page's email field refuses a card number typed into it (issue 13, fault 8).

The name and address fields already refuse more than 11 digits (pay-frontend's
rule); an email address such as `4242424242424242@example.org` passed, and
was stored with the payment.
"""

from __future__ import annotations

import pytest

from govplatform.pay.pages.card_form import email_problem

FORMAT = "Enter an email address in the correct format, like name@example.com"


@pytest.mark.parametrize("email", ["4242424242424242@example.org", "ada.4242-4242-4242-4242@example.org"])
def test_an_email_address_holding_a_card_number_is_refused(email: str) -> None:
    assert email_problem(email) == FORMAT


@pytest.mark.parametrize("email", ["ada@example.org", "ada.1815@example.org", "07700900123@sms.example.org"])
def test_an_email_address_with_a_few_digits_is_accepted(email: str) -> None:
    assert email_problem(email) is None
