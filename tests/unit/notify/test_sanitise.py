import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.notify.templates.email import render_html_body, render_plain_text
from govplatform.notify.templates.placeholders import Personalisation
from govplatform.notify.templates.sanitise import (
    MARKDOWN_CHARACTERS,
    sanitise_content_for_errors,
    sanitise_personalisation,
    sanitise_value,
)

# Notify's published example (openapi/POST_notification_email.json, "Personalised email with sanitised field").
EVIL_NAME = "Amala, now [click this evil link](https://evil.link)"
EVIL_NAME_SANITISED = "Amala, now \\[click this evil link\\]\\(\\)"
NOTIFY_EXAMPLE_PERSONALISATION: dict[str, object] = {
    "first_name": EVIL_NAME,
    "appointment_date": "1 January 2018 at 1:00PM",
    "required_documents": ["passport", "utility bill", "other id"],
    "link_to_file": {
        "file": "aGVsbG8sYWxhbGEK",
        "filename": "amala_pigeon_affairs_bureau_invite.csv",
        "confirm_email_before_download": False,
        "retention_period": "4 weeks",
    },
}


@pytest.mark.parametrize("character", list(MARKDOWN_CHARACTERS))
def test_each_markdown_character_is_escaped_with_a_backslash(character: str) -> None:
    assert sanitise_value(f"a{character}b") == f"a\\{character}b"


def test_the_escaped_characters_are_the_ones_notify_escapes() -> None:
    assert set(MARKDOWN_CHARACTERS) == set("\\`*_{}[]()<>#+-.!|")


def test_a_hyphen_is_escaped_as_the_python_clients_integration_test_expects() -> None:
    assert sanitise_value("well-known - or not") == "well\\-known \\- or not"


def test_a_backslash_already_in_the_value_is_escaped_once_so_it_cannot_undo_another_escape() -> None:
    assert sanitise_value("\\[x]") == "\\\\\\[x\\]"


def test_a_markdown_link_loses_its_url_and_its_brackets_as_in_notifys_example() -> None:
    assert sanitise_value(EVIL_NAME) == EVIL_NAME_SANITISED


@pytest.mark.parametrize(
    ("value", "sanitised"),
    [
        ("Visit https://evil.example.com/login?x=1 now", "Visit  now"),
        ("HTTP://EVIL.COM", ""),
        ("[x](http://192.168.0.1/pay)", "\\[x\\]\\(\\)"),
        ("<https://evil.link>", "\\<\\>"),
        ("xhttps://evil.link", ""),
        (".https://evil.link", ""),
        ("1https://evil.link", ""),
        ("a ://evil.link", "a "),
        ("ftp://files.evil.link/a", ""),
    ],
)
def test_a_url_with_a_scheme_is_removed(value: str, sanitised: str) -> None:
    assert sanitise_value(value) == sanitised


@pytest.mark.parametrize(
    ("value", "sanitised"),
    [
        ("See gov.uk today", "See gov\\. uk today"),
        ("www.evil.com/login", "www\\. evil\\. com/login"),
        ("Go to GOV.UK.", "Go to GOV\\. UK\\."),
    ],
)
def test_a_bare_host_name_is_split_after_each_dot_so_mail_clients_do_not_link_it(value: str, sanitised: str) -> None:
    assert sanitise_value(value) == sanitised


def test_an_email_address_is_not_split_like_a_host_name() -> None:
    assert sanitise_value("amala@example.com") == "amala@example\\.com"


@pytest.mark.parametrize(
    "value",
    ["Amala", "Amala Smith", "Siân Ŵyn", "1 January 2018 at 1:00PM", "Smith & Sons", "line one\nline two", ""],
)
def test_ordinary_text_is_left_alone(value: str) -> None:
    assert sanitise_value(value) == value


def test_a_value_made_only_of_numbers_and_dots_is_escaped_but_not_split() -> None:
    assert sanitise_value("1.5") == "1\\.5"


def test_a_link_spelt_with_character_references_is_defused_too() -> None:
    value = "&lsqb;x&rsqb;&lpar;https&colon;&sol;&sol;evil&period;com&rpar;"
    assert "<a " in render_html_body("((name))", Personalisation({"name": value}))
    assert sanitise_value(value) == "\\[x\\]\\(\\)"
    assert "<a " not in render_html_body("((name))", Personalisation({"name": sanitise_value(value)}))


def test_an_ampersand_written_as_a_reference_still_reads_the_same_after_sanitising() -> None:
    assert sanitise_value("Tom &amp; Jerry") == "Tom &amp; Jerry"
    assert sanitise_value("&#38;lsqb;") == "&amp;lsqb;"
    rendered = render_html_body("((name))", Personalisation({"name": sanitise_value("&#38;lsqb;")}))
    assert "&amp;lsqb;" in rendered


def test_the_sanitised_content_map_is_built_exactly_as_notifys_response_shows_it() -> None:
    personalisation, sanitised_content = sanitise_personalisation(NOTIFY_EXAMPLE_PERSONALISATION, ["first_name"])

    assert sanitised_content == {"first_name": {"unsanitised": EVIL_NAME, "sanitised": EVIL_NAME_SANITISED}}
    assert personalisation == {**NOTIFY_EXAMPLE_PERSONALISATION, "first_name": EVIL_NAME_SANITISED}


def test_the_sanitised_content_map_is_empty_when_nothing_is_listed() -> None:
    personalisation, sanitised_content = sanitise_personalisation(NOTIFY_EXAMPLE_PERSONALISATION, [])

    assert sanitised_content == {}
    assert personalisation == NOTIFY_EXAMPLE_PERSONALISATION


def test_a_listed_value_that_did_not_change_is_left_out_of_the_map() -> None:
    _, sanitised_content = sanitise_personalisation(NOTIFY_EXAMPLE_PERSONALISATION, ["appointment_date"])

    assert sanitised_content == {}


def test_values_that_were_not_listed_are_not_sanitised() -> None:
    personalisation, _ = sanitise_personalisation({"name": EVIL_NAME, "link": EVIL_NAME}, ["link"])

    assert personalisation == {"name": EVIL_NAME, "link": EVIL_NAME_SANITISED}


def test_listed_keys_match_personalisation_keys_ignoring_case_spaces_underscores_and_hyphens() -> None:
    personalisation, sanitised_content = sanitise_personalisation({"first_name": EVIL_NAME}, ["First-Name "])

    assert personalisation == {"first_name": EVIL_NAME_SANITISED}
    assert list(sanitised_content) == ["first_name"]


def test_a_listed_key_that_is_not_in_the_personalisation_is_ignored() -> None:
    assert sanitise_personalisation({"name": "Amala"}, ["surname"]) == ({"name": "Amala"}, {})


def test_each_item_of_a_list_value_is_sanitised() -> None:
    personalisation, sanitised_content = sanitise_personalisation(
        {"docs": ["passport", "[x](https://e.vil)", 3]}, ["docs"]
    )

    assert personalisation == {"docs": ["passport", "\\[x\\]\\(\\)", 3]}
    assert sanitised_content == {
        "docs": {"unsanitised": ["passport", "[x](https://e.vil)", 3], "sanitised": ["passport", "\\[x\\]\\(\\)", 3]}
    }


def test_numbers_booleans_nulls_and_file_uploads_pass_through_unchanged() -> None:
    personalisation = {
        "code": 12345,
        "flag": True,
        "none": None,
        "file": NOTIFY_EXAMPLE_PERSONALISATION["link_to_file"],
    }

    assert sanitise_personalisation(personalisation, list(personalisation)) == (personalisation, {})


def test_a_markdown_link_in_a_sanitised_value_is_no_longer_a_link_in_the_email() -> None:
    template = "Dear ((name))"
    unsanitised = render_html_body(template, Personalisation({"name": EVIL_NAME}))
    personalisation, _ = sanitise_personalisation({"name": EVIL_NAME}, ["name"])
    sanitised = render_html_body(template, Personalisation(personalisation))

    assert '<a style="word-wrap: break-word; color: #1d70b8;" href="https://evil.link">' in unsanitised
    assert "<a " not in sanitised
    assert "evil.link" not in sanitised
    assert "Dear Amala, now [click this evil link]()" in sanitised


def test_a_sanitised_value_reads_as_typed_in_the_plain_text_part() -> None:
    personalisation, _ = sanitise_personalisation({"name": "# Not a heading - see gov.uk"}, ["name"])

    assert render_plain_text("((name))", Personalisation(personalisation)) == "# Not a heading – see gov. uk\n"


_FRAGMENTS = [
    "[", "]", "(", ")", "<", ">", "*", "#", "-", ".", "\\", "!", "|", "`", "_", " ", "\n", "^", "x", "evil",
    "com", "https://", "http://", "www.", "evil.link", ":", "/", "&", ";", "lsqb", "lpar", "colon", "sol", "#58",
]  # fmt: skip


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=30).map("".join))
def test_no_sanitised_value_becomes_a_link_in_the_email(value: str) -> None:
    rendered = render_html_body("Hello ((name))", Personalisation({"name": sanitise_value(value)}))

    assert "<a " not in rendered


@pytest.mark.parametrize(
    ("value", "messages"),
    [
        (["first_name"], []),
        ([], []),
        ("first_name", ["sanitise_content_for first_name is not of type array"]),
        (None, ["sanitise_content_for None is not of type array"]),
        ({"first_name": True}, ["sanitise_content_for {first_name: True} is not of type array"]),
        (
            ["first_name", 1, 1, None],
            ["sanitise_content_for 1 is not of type string", "sanitise_content_for None is not of type string"],
        ),
    ],
)
def test_a_bad_sanitise_content_for_gets_notifys_validation_messages(value: object, messages: list[str]) -> None:
    assert sanitise_content_for_errors(value) == messages
