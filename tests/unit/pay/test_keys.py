import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.core.interfaces import KeyFormat
from govplatform.pay.keys import CHECKSUM_LENGTH, KeyFormatError, PayKeyFormat

FORMAT = PayKeyFormat("server-secret")
KEY_SHAPE = re.compile(r"^api_(test|live)_[0-9a-v]{26}[0-9a-v]{32}$")


def issue(key_type: str, key_format: PayKeyFormat = FORMAT) -> str:
    return key_format.issue(uuid.uuid4(), uuid.uuid4(), "key", key_type).shown_once


@pytest.mark.parametrize("key_type", ["test", "live"])
def test_issued_keys_have_pays_prefix_a_26_digit_random_part_and_a_32_character_checksum(key_type: str) -> None:
    key = issue(key_type)
    assert KEY_SHAPE.match(key)
    assert key.startswith(f"api_{key_type}_")
    assert FORMAT.parse(key) == key_type


def test_the_checksum_is_base32hex_of_hmac_sha1_over_prefix_and_random_part() -> None:
    import base64
    import hashlib
    import hmac

    key = issue("live")
    body, checksum = key[:-CHECKSUM_LENGTH], key[-CHECKSUM_LENGTH:]
    digest = hmac.new(FORMAT._checksum_key, body.encode(), hashlib.sha1).digest()
    assert checksum == base64.b32hexencode(digest).decode().lower().rstrip("=")


def test_keys_carry_at_least_128_random_bits() -> None:
    keys = {issue("test")[9:35] for _ in range(200)}
    assert len(keys) == 200
    assert len({key[0] for key in keys}) > 1  # the leading digit varies: the 26 digits hold all 130 bits


def test_the_stored_hash_is_the_lookup_hash_and_never_the_key() -> None:
    issued = FORMAT.issue(uuid.uuid4(), uuid.uuid4(), "key", "live")
    assert issued.secret_hash == FORMAT.lookup_hash(issued.shown_once)
    assert issued.secret_hash is not None and issued.shown_once not in issued.secret_hash
    assert issued.secret_encrypted is None
    assert re.fullmatch(r"[0-9a-f]{64}", issued.secret_hash)


def test_the_format_implements_the_platform_key_format_protocol() -> None:
    key_format: KeyFormat = FORMAT
    assert key_format.component == "pay" and key_format.key_types == ("test", "live")


def test_an_unknown_key_type_is_refused() -> None:
    with pytest.raises(KeyFormatError, match="test, live"):
        issue("sandbox")


def flip(text: str, position: int) -> str:
    replacement = "0" if text[position] != "0" else "1"
    return text[:position] + replacement + text[position + 1 :]


KEY = issue("live")


TAMPERED = [
    ("", "starts with"),
    ("gpk_" + KEY[9:], "starts with"),
    ("api_demo_" + KEY[9:], "starts with"),
    (KEY.replace("api_live_", "api_test_"), "checksum"),  # the prefix is inside the checksum
    (KEY.upper(), "starts with"),
    ("API_LIVE_" + KEY[9:], "starts with"),
    ("api_live_" + KEY[9:].upper(), "characters"),
    (KEY[:-1], "checksum"),
    (KEY + "0", "wrong length"),
    ("api_live_" + "0" * CHECKSUM_LENGTH, "wrong length"),
    (flip(KEY, 9), "checksum"),
    (flip(KEY, 30), "checksum"),
    (flip(KEY, len(KEY) - 1), "checksum"),
    (KEY[:20] + "w" + KEY[21:], "characters"),
    (KEY[:20] + " " + KEY[21:], "characters"),
]


# Ids without the key's random part: every pytest-xdist worker must collect the same ids.
@pytest.mark.parametrize(("presented", "message"), TAMPERED, ids=[f"{n}-{m}" for n, (_, m) in enumerate(TAMPERED)])
def test_tampered_or_malformed_keys_are_refused_with_a_clear_error(presented: str, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        FORMAT.parse(presented)
    assert FORMAT.lookup_hash(presented) is None


@given(st.integers(min_value=9, max_value=len(KEY) - 1), st.sampled_from("0123456789abcdefghijklmnopqrstuv"))
def test_changing_any_character_after_the_prefix_breaks_the_checksum(position: int, replacement: str) -> None:
    changed = KEY[:position] + replacement + KEY[position + 1 :]
    if changed != KEY:
        assert FORMAT.lookup_hash(changed) is None


def test_a_key_made_under_another_secret_fails_the_checksum() -> None:
    other = issue("test", PayKeyFormat("another-secret"))
    assert FORMAT.lookup_hash(other) is None


def test_a_shorter_random_part_as_java_writes_it_is_accepted_when_its_checksum_holds() -> None:
    body = "api_test_" + "1v" * 5
    assert FORMAT.parse(body + FORMAT.checksum(body)) == "test"


def test_a_server_secret_is_required() -> None:
    with pytest.raises(ValueError, match="secret"):
        PayKeyFormat("")
