"""The rules behind pay's admin pages that need no database: London days, amounts typed in pounds, CSV cells,
payment link and webhook forms, and references that are card numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.core.csv_cells import safe_cell
from govplatform.core.outbound import OutboundGuard
from govplatform.pay.services import ledger, money, payment_links, settings_admin, webhook_admin
from tests.outbound_support import public_dns


def test_a_moment_late_on_a_summer_evening_in_utc_is_the_next_day_in_london() -> None:
    assert ledger.london_day(dt.datetime(2024, 7, 1, 23, 30, tzinfo=dt.UTC)) == dt.date(2024, 7, 2)
    assert ledger.london_day(dt.datetime(2024, 7, 1, 22, 59, tzinfo=dt.UTC)) == dt.date(2024, 7, 1)


def test_a_moment_late_on_a_winter_evening_in_utc_is_the_same_day_in_london() -> None:
    assert ledger.london_day(dt.datetime(2024, 1, 15, 23, 30, tzinfo=dt.UTC)) == dt.date(2024, 1, 15)


def test_a_london_day_starts_at_23_00_utc_the_day_before_in_summer_and_at_midnight_in_winter() -> None:
    start, end = ledger.day_range(dt.date(2024, 7, 2), dt.date(2024, 7, 2))
    assert start == dt.datetime(2024, 7, 1, 23, tzinfo=dt.UTC) and end == dt.datetime(2024, 7, 2, 23, tzinfo=dt.UTC)
    start, end = ledger.day_range(dt.date(2024, 1, 15), dt.date(2024, 1, 16))
    assert start == dt.datetime(2024, 1, 15, tzinfo=dt.UTC) and end == dt.datetime(2024, 1, 17, tzinfo=dt.UTC)
    short = ledger.day_range(dt.date(2024, 3, 31), dt.date(2024, 3, 31))
    assert short[1] - short[0] == dt.timedelta(hours=23), "the clocks go forward: a 23-hour day"


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 1, 1), timezones=st.just(dt.UTC)))
def test_every_moment_falls_inside_the_range_of_its_own_london_day(moment: dt.datetime) -> None:
    day = ledger.london_day(moment)
    start, end = ledger.day_range(day, day)
    assert start <= moment < end


@pytest.mark.parametrize(
    ("typed", "pence"),
    [("12", 1200), ("12.5", 1250), ("12.50", 1250), ("£1,250.05", 125005), (" 0.01 ", 1), ("100000", 10_000_000)],
)
def test_amounts_typed_in_pounds_become_pence(typed: str, pence: int) -> None:
    assert money.parse_pounds(typed) == pence


@pytest.mark.parametrize("typed", ["", "ten", "12.505", "-5", "1e3", "£", "12..5", "1 000"])
def test_text_that_is_not_an_amount_of_money_is_not_read_as_one(typed: str) -> None:
    assert money.parse_pounds(typed) is None


def test_amounts_must_be_from_a_penny_to_a_hundred_thousand_pounds() -> None:
    assert money.amount_problem("amount", "0.01") == (1, None)
    assert money.amount_problem("amount", "100000.00") == (10_000_000, None)
    assert money.amount_problem("amount", "0")[1] is not None
    too_much = money.amount_problem("amount", "100000.01")[1]
    assert too_much is not None and too_much.params == {"most": "£100,000.00"}
    assert money.shown(123456) == "£1,234.56" and money.shown(-500) == "-£5.00"


@pytest.mark.parametrize("value", ["=1+1", "+44 20", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_a_csv_cell_a_spreadsheet_would_read_as_a_formula_gets_an_apostrophe(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["PERMIT-1", "ada@example.org", "", "1=1", "a+b"])
def test_other_csv_cells_are_left_as_they_are(value: str) -> None:
    assert safe_cell(value) == value


@pytest.mark.parametrize(
    ("reference", "refused"),
    [
        ("4242424242424242", True),
        ("4242 4242 4242 4242", True),
        ("Invoice 4242-4242-4242-4242 March", True),
        ("4242424242424241", False),
        ("PERMIT-1234", False),
        ("1234567890123456", False),
    ],
)
def test_a_reference_that_is_or_holds_a_card_number_is_refused(reference: str, refused: bool) -> None:
    assert payment_links.card_number_in_reference(reference) is refused


def test_a_payment_link_s_slug_is_its_title_in_lower_case_words() -> None:
    assert payment_links.slug_of("Pay for a Parking Permit!") == "pay-for-a-parking-permit"
    assert payment_links.slug_of("£££") == "payment"
    assert len(payment_links.slug_of("word " * 40)) <= payment_links.SLUG_MAX - 8


def test_a_payment_link_form_needs_a_title_an_amount_choice_a_language_and_an_account() -> None:
    details, problems = payment_links.check_link({"amount_type": "fixed", "amount": "x"})
    assert details is None
    assert {problem.field for problem in problems} == {"title", "language", "account", "amount"}
    details, problems = payment_links.check_link(
        {"title": " Permit ", "amount_type": "chosen", "language": "cy", "account": "live", "reference_label": ""}
    )
    assert problems == [] and details is not None
    assert details.title == "Permit" and details.amount is None and details.live and details.language == "cy"
    assert details.reference_label == payment_links.DEFAULT_REFERENCE_LABEL


async def test_a_webhook_needs_https_where_the_guard_requires_it_and_a_public_host() -> None:
    events = ["card_payment_succeeded"]
    production = OutboundGuard(require_https=True, resolver=public_dns())
    elsewhere = OutboundGuard(require_https=False, resolver=public_dns())
    refused, problems = await webhook_admin.check_subscription("http://example.org/hook", "", events, production)
    assert refused is None and [p.message for p in problems] == ["Enter a callback URL that starts with https://"]
    assert (await webhook_admin.check_subscription("http://example.org/hook", "", events, elsewhere))[0] is not None
    assert (await webhook_admin.check_subscription("https://example.org/hook", "", events, production))[0] is not None
    inside, problems = await webhook_admin.check_subscription("https://10.0.0.1/hook", "", events, elsewhere)
    assert inside is None and [p.message for p in problems] == ["Enter the URL of a server on the public internet"]
    bad = await webhook_admin.check_subscription("ftp://example.org", "x" * 256, ["card_payment_nonsense"], elsewhere)
    assert {problem.field for problem in bad[1]} == {"callback_url", "description", "event_types"}


def test_return_url_rules_must_each_be_https_addresses() -> None:
    chosen, problems = settings_admin.check_settings(" A ", "", "https://a.example/\n\n https://b.example/x \n")
    assert problems == [] and chosen is not None
    assert chosen.name_en == "A" and chosen.return_url_prefixes == "https://a.example/\nhttps://b.example/x"
    assert settings_admin.check_settings("", "", "https://a.example/\nhttp")[0] is None
    assert settings_admin.check_settings("x" * 256, "", "")[0] is None
