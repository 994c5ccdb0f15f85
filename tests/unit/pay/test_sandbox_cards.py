import pytest

from govplatform.pay.cards import CardError, validate_card_number
from govplatform.pay.sandbox_cards import (
    PROCESSING_ERROR_MESSAGE,
    SANDBOX_CARDS,
    UNSUPPORTED_CARD_MESSAGE,
    Corporate,
    SandboxOutcome,
    outcome_for,
    sandbox_card,
)
from govplatform.pay.states import PaymentState

Out = SandboxOutcome

# pay.md section 5, row by row.
PAY_MD_CARDS: list[tuple[str, SandboxOutcome, Corporate | None]] = [
    ("4242424242424242", Out.SUCCESS, None),
    ("4444333322221111", Out.SUCCESS, None),
    ("4000056655665556", Out.SUCCESS, None),
    ("5105105105105100", Out.SUCCESS, None),
    ("371449635398431", Out.SUCCESS, None),
    ("3566002020360505", Out.SUCCESS, None),
    ("6011000990139424", Out.SUCCESS, None),
    ("36148900647913", Out.SUCCESS, None),
    ("4917610000000000003", Out.SUCCESS, None),
    ("222100000000000", Out.SUCCESS, None),
    ("4000000000000010", Out.SUCCESS, None),
    ("4000160000000004", Out.SUCCESS, None),
    ("4000020000000000", Out.SUCCESS, None),
    ("4988080000000000", Out.SUCCESS, Corporate.CREDIT),
    ("4111111111111111", Out.SUCCESS, Corporate.CREDIT),
    ("4293189100000008", Out.SUCCESS, Corporate.CREDIT),
    ("5101180000000007", Out.SUCCESS, Corporate.CREDIT),
    ("4131840000000003", Out.SUCCESS, Corporate.PREPAID_DEBIT),
    ("4000180000000002", Out.SUCCESS, Corporate.PREPAID_DEBIT),
    ("5200828282828210", Out.SUCCESS, Corporate.PREPAID_DEBIT),
    ("4000000000000002", Out.DECLINED, None),
    ("4000000000000069", Out.EXPIRED_CARD, None),
    ("4000000000000127", Out.CVC_ERROR, None),
    ("4000000000000119", Out.PROCESSING_ERROR, None),
]
OUR_CARDS = [
    ("4000000000000259", Out.DISPUTE),
    ("4000002500003155", Out.THREE_D_SECURE),
    ("2221000000000009", Out.SUCCESS),
]


@pytest.mark.parametrize(("number", "outcome", "corporate"), PAY_MD_CARDS)
def test_every_card_pay_documents_gets_the_outcome_pay_gives_it(
    number: str, outcome: SandboxOutcome, corporate: Corporate | None
) -> None:
    assert outcome_for(number) is outcome
    card = sandbox_card(number)
    assert card is not None and card.corporate is corporate and not card.ours


@pytest.mark.parametrize(("number", "outcome"), OUR_CARDS)
def test_the_cards_we_document_ourselves_are_marked_as_ours(number: str, outcome: SandboxOutcome) -> None:
    card = sandbox_card(number)
    assert card is not None and card.ours and card.outcome is outcome


def test_the_table_holds_exactly_pays_cards_and_ours() -> None:
    assert [card.number for card in SANDBOX_CARDS] == [row[0] for row in PAY_MD_CARDS] + [row[0] for row in OUR_CARDS]


def test_only_the_recurring_test_card_declines_later_agreement_payments() -> None:
    assert {card.number for card in SANDBOX_CARDS if card.recurring_declines} == {"5105105105105100"}


@pytest.mark.parametrize(
    ("outcome", "state", "message"),
    [
        (Out.SUCCESS, PaymentState.SUBMITTED, None),
        (Out.THREE_D_SECURE, PaymentState.SUBMITTED, None),
        (Out.DISPUTE, PaymentState.SUBMITTED, None),
        (Out.DECLINED, PaymentState.FAILED_REJECTED, None),
        (Out.EXPIRED_CARD, PaymentState.FAILED_REJECTED, None),
        (Out.CVC_ERROR, PaymentState.FAILED_REJECTED, None),
        (Out.PROCESSING_ERROR, PaymentState.ERROR, PROCESSING_ERROR_MESSAGE),
        (Out.UNSUPPORTED, PaymentState.ERROR, UNSUPPORTED_CARD_MESSAGE),
    ],
)
def test_each_outcome_leaves_the_payment_in_pays_state(
    outcome: SandboxOutcome, state: PaymentState, message: str | None
) -> None:
    assert outcome.state_after_authorisation is state
    assert outcome.gateway_message == message


def test_the_processing_error_keeps_pays_exact_wording() -> None:
    assert PROCESSING_ERROR_MESSAGE == "This transaction could be not be processed."


@pytest.mark.parametrize("number", ["4242 4242 4242 4242", "4000-0000-0000-0002"])
def test_sandbox_numbers_match_however_they_were_spaced(number: str) -> None:
    assert outcome_for(number) is not Out.UNSUPPORTED


@pytest.mark.parametrize("number", ["4242424242424241", "5555555555554444", "4000000000000000"])
def test_any_other_number_is_unsupported_as_in_pays_sandbox(number: str) -> None:
    assert outcome_for(number) is Out.UNSUPPORTED
    assert sandbox_card(number) is None


@pytest.mark.parametrize("number", [card.number for card in SANDBOX_CARDS if card.number != "222100000000000"])
def test_every_sandbox_card_passes_the_card_page_checks(number: str) -> None:
    assert validate_card_number(number).digits == number


def test_the_fifteen_digit_mastercard_from_pay_md_fails_the_mastercard_length_rule() -> None:
    with pytest.raises(CardError) as caught:
        validate_card_number("222100000000000")
    assert caught.value.reason == "numberIncorrectLength"
