import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.notify.templates.placeholders import Personalisation
from govplatform.notify.templates.sms import (
    EMPTY_MESSAGE,
    GSM7_BASIC,
    GSM7_EXTENSION,
    SMS_ALLOWED,
    SMS_CHARACTER_LIMIT,
    WELSH_NON_GSM,
    fragment_count,
    incompatible_characters,
    render_sms,
    sanitise_sms,
    too_long_message,
)


def sms(template: str, prefix: str | None = None, **values: object) -> object:
    return render_sms(template, Personalisation(values), prefix=prefix)


def test_the_gsm_alphabet_has_128_basic_characters_and_9_extension_characters() -> None:
    assert len(GSM7_BASIC) == 128  # ESC, which leads into the extension table, is one of them
    assert "\x1b" in GSM7_BASIC
    assert len(GSM7_EXTENSION) == 9


@pytest.mark.parametrize(
    ("content", "sent"),
    [
        ("Hello £5 @ 50% [ok] {x} ~ | € ^ \\", "Hello £5 @ 50% [ok] {x} ~ | € ^ \\"),
        ("café über ñ à", "café über ñ à"),
        ("ç ō ś Å ą", "c o s Å a"),
        ("ḗ", "e"),
        ("“smart” ‘quotes’ – and — dashes…", "\"smart\" 'quotes' - and - dashes..."),
        ("zero\u200bwidth\u200c\u200d\u2060\ufeff\u180e", "zerowidth"),
        ("no\u00a0break\u202fspace\ttab", "no break space tab"),
        ("Łódź", "Lódz"),  # ó is kept: it is a Welsh letter
        ("emoji 😀 and 中文 and ДОМ", "emoji ? and ?? and ???"),
        ("Welsh ŵ ŷ â ê î ô û Ŵ", "Welsh ŵ ŷ â ê î ô û Ŵ"),
        ("ﬁ ligature", "? ligature"),
    ],
)
def test_content_is_downgraded_to_the_sms_alphabet_as_notify_does(content: str, sent: str) -> None:
    assert sanitise_sms(content) == sent


def test_incompatible_characters_are_those_sent_as_question_marks() -> None:
    assert incompatible_characters("a?😀é–中") == {"😀", "中"}


@pytest.mark.parametrize(
    ("length", "unicode", "fragments"),
    [
        (0, False, 1),
        (1, False, 1),
        (160, False, 1),
        (161, False, 2),
        (306, False, 2),
        (307, False, 3),
        (918, False, 6),
        (919, False, 7),
        (70, True, 1),
        (71, True, 2),
        (134, True, 2),
        (135, True, 3),
    ],
)
def test_fragments_follow_the_gsm_and_ucs2_part_sizes(length: int, unicode: bool, fragments: int) -> None:
    assert fragment_count(length, unicode=unicode) == fragments


@pytest.mark.parametrize(
    ("content", "characters", "fragments", "unicode"),
    [
        ("a" * 160, 160, 1, False),
        ("a" * 161, 161, 2, False),
        ("€" * 80, 80, 1, False),
        ("€" * 81, 81, 2, False),
        ("ŵ" + "a" * 69, 70, 1, True),
        ("ŵ" + "a" * 70, 71, 2, True),
        ("ŵ" + "{" * 35, 36, 2, True),  # Notify doubles extension characters even in UCS-2
        ("é" * 160, 160, 1, False),  # é is in GSM-7
        ("á" * 70, 70, 1, True),  # á is a Welsh letter outside GSM-7
        ("…" * 160, 160, 1, False),  # counted before downgrading to "..."
        ("😀" * 100, 100, 1, False),  # each becomes "?"
    ],
)
def test_messages_are_counted_and_split_the_way_notify_bills_them(
    content: str, characters: int, fragments: int, unicode: bool
) -> None:
    message = render_sms(content, Personalisation())
    assert (message.character_count, message.fragment_count, message.is_unicode) == (characters, fragments, unicode)


def test_the_prefix_is_the_service_name_and_a_colon_and_counts_towards_fragments() -> None:
    message = render_sms("a" * 150, Personalisation(), prefix="  Council Tax  ")
    assert message.content == "Council Tax: " + "a" * 150
    assert message.character_count == 163
    assert message.fragment_count == 2
    assert message.character_count_without_prefix == 146  # Notify subtracts the unstripped prefix


@pytest.mark.parametrize(
    ("length", "prefix", "too_long"),
    [(918, None, False), (919, None, True), (918, "Service", False), (919, "Service", True)],
)
def test_the_918_character_limit_excludes_the_prefix(length: int, prefix: str | None, too_long: bool) -> None:
    assert render_sms("a" * length, Personalisation(), prefix=prefix).is_too_long is too_long


def test_the_limit_counts_extension_characters_once() -> None:
    assert not render_sms("€" * 918, Personalisation()).is_too_long


def test_the_too_long_message_is_notifys_wording() -> None:
    assert too_long_message(1029) == (
        "Your message is too long. Text messages cannot be longer than 918 characters. "
        "Your message is 1029 characters long."
    )


def test_a_long_personalisation_value_makes_a_message_too_long() -> None:
    message = sms("Hello ((Name))\nYour thing is due soon", name="🚫" * 1000)
    assert message.character_count_without_prefix == 1029  # notifications-api's own example
    assert message.is_too_long


@pytest.mark.parametrize(
    ("template", "values", "content"),
    [
        ("Hello ((name)) .", {"name": "Ann"}, "Hello Ann."),
        ("  a   b \t c , d  ", {}, "a b c, d"),
        ("a\n\n\n\n\nb", {}, "a\n\nb"),
        ("a\r\nb", {}, "a\nb"),
        ("You owe ((items))", {"items": ["rent", "tax", "fees"]}, "You owe rent, tax and fees"),
        ("((a??Shown)) ((b??Hidden))", {"a": "yes", "b": "no"}, "Shown"),
        ("Ref: ((ref))", {"ref": 12345}, "Ref: 12345"),
    ],
)
def test_text_messages_are_filled_in_and_tidied_before_sending(
    template: str, values: dict[str, object], content: str
) -> None:
    assert render_sms(template, Personalisation(values)).content == content


@pytest.mark.parametrize(("template", "values"), [("((name))", {"name": ""}), ("  ((a))  ((b)) ", {"a": " ", "b": ""})])
def test_a_message_that_fills_in_to_nothing_is_empty(template: str, values: dict[str, object]) -> None:
    assert render_sms(template, Personalisation(values)).is_empty
    assert render_sms(template, Personalisation(values), prefix="Service").is_empty
    assert EMPTY_MESSAGE == "Your message is empty."


def test_a_message_with_content_is_not_empty() -> None:
    assert not render_sms("((name))", Personalisation({"name": "x"}), prefix="Service").is_empty


@given(st.integers(min_value=0, max_value=5000), st.booleans())
def test_fragment_count_never_falls_as_a_message_grows(length: int, unicode: bool) -> None:
    assert fragment_count(length, unicode=unicode) <= fragment_count(length + 1, unicode=unicode)


@given(st.integers(min_value=1, max_value=5000))
def test_the_same_length_never_needs_fewer_parts_as_ucs2_than_as_gsm(length: int) -> None:
    assert fragment_count(length, unicode=True) >= fragment_count(length, unicode=False)


@given(st.text())
def test_sanitised_content_only_ever_holds_characters_a_phone_can_receive(content: str) -> None:
    assert set(sanitise_sms(content)) <= SMS_ALLOWED


@given(st.text(alphabet=st.sampled_from(sorted(SMS_ALLOWED))))
def test_content_already_in_the_alphabet_is_sent_unchanged(content: str) -> None:
    assert sanitise_sms(content) == content


@given(st.text(alphabet=st.sampled_from(sorted(GSM7_BASIC - {"\r", "\n", "\x1b"}))))
def test_a_message_in_basic_gsm_is_never_sent_as_unicode(content: str) -> None:
    message = render_sms(content, Personalisation())
    assert not message.is_unicode
    assert message.fragment_count == fragment_count(message.character_count, unicode=False)


def test_welsh_letters_outside_gsm_are_exactly_those_that_force_unicode() -> None:
    assert "ŵ" in WELSH_NON_GSM and "é" not in WELSH_NON_GSM and "ö" not in WELSH_NON_GSM
    assert SMS_CHARACTER_LIMIT == 918
