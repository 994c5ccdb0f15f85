"""GOV.UK Pay's API key format: `api_test_` or `api_live_`, a random part, a checksum.

Services paste keys made by GOV.UK Pay into their configuration, and some
check the shape, so ours look the same. The structure follows
alphagov/pay-publicauth (`TokenService`, `RandomIdGenerator`) and
pay-publicapi (`AuthorizationValidationFilter`):

- the random part is a 130-bit number written in base 32 with the digits
  0-9 then a-v (Java's `BigInteger.toString(32)`); we always write all 26
  digits, where Java drops leading zeros, so ours are always 26 characters;
- the checksum is the last 32 characters: HMAC-SHA1 of everything before it
  (prefix and random part), keyed with a server secret, in lower-case
  base32hex without padding (20 bytes make exactly 32 characters);
- the checksum is checked before any lookup, so a mistyped or made-up key
  costs one HMAC and no database query.

Where Pay stores a BCrypt hash with a fixed salt, we store HMAC-SHA256 of the
whole key under the server secret, as every platform key format does
(govplatform.core.services.api_keys): one fast hash per request. Both the
checksum key and the lookup key are derived from one server secret, each for
its own purpose, so neither can stand in for the other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid

from govplatform.core.interfaces import N_, IssuedKey

PREFIXES: dict[str, str] = {"test": "api_test_", "live": "api_live_"}
RANDOM_BITS = 130
RANDOM_LENGTH = 26  # 130 bits / 5 bits a digit
CHECKSUM_LENGTH = 32
_BASE32_DIGITS = "0123456789abcdefghijklmnopqrstuv"
_BASE32_SET = frozenset(_BASE32_DIGITS)


class KeyFormatError(ValueError):
    """The presented text is not a Pay API key; the message says which part is wrong."""


def _subkey(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), b"govplatform-pay-key\x00" + purpose.encode(), hashlib.sha256).digest()


def _base32(number: int) -> str:
    digits = []
    for _ in range(RANDOM_LENGTH):
        number, digit = divmod(number, 32)
        digits.append(_BASE32_DIGITS[digit])
    return "".join(reversed(digits))


class PayKeyFormat:
    """Pay API keys for the KeyFormat protocol in govplatform.core.interfaces."""

    component: str = "pay"
    key_types: tuple[str, ...] = ("test", "live")
    label: str = N_("Pay API")
    # Test keys reach only the sandbox processor; the admin pages show these names (translated there).
    key_type_labels: dict[str, str] = {"test": N_("Test"), "live": N_("Live")}  # noqa: RUF012 - read only

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a server secret is needed")
        self._checksum_key = _subkey(secret, "checksum")
        self._lookup_key = _subkey(secret, "lookup")

    def checksum(self, body: str) -> str:
        """The 32-character checksum of the prefix and random part."""
        digest = hmac.new(self._checksum_key, body.encode(), hashlib.sha1).digest()
        return base64.b32hexencode(digest).decode().lower().rstrip("=")

    def generate(self, key_type: str) -> str:
        if key_type not in PREFIXES:
            raise KeyFormatError(f"key type must be one of: {', '.join(self.key_types)}")
        body = PREFIXES[key_type] + _base32(secrets.randbits(RANDOM_BITS))
        return body + self.checksum(body)

    def parse(self, presented: str) -> str:
        """The key type ("test" or "live") of a well-formed key; KeyFormatError otherwise."""
        key_type = next((kind for kind, prefix in PREFIXES.items() if presented.startswith(prefix)), None)
        if key_type is None:
            raise KeyFormatError("an API key starts with api_test_ or api_live_")
        rest = presented[len(PREFIXES[key_type]) :]
        random_part, checksum = rest[:-CHECKSUM_LENGTH], rest[-CHECKSUM_LENGTH:]
        if len(rest) <= CHECKSUM_LENGTH or len(random_part) > RANDOM_LENGTH:
            raise KeyFormatError("an API key has the wrong length")
        if not set(random_part) <= _BASE32_SET or not set(checksum) <= _BASE32_SET:
            raise KeyFormatError("an API key has only the characters 0-9 and a-v after its prefix")
        expected = self.checksum(presented[:-CHECKSUM_LENGTH])
        if not hmac.compare_digest(expected, checksum):
            raise KeyFormatError("the API key's checksum does not match; check it was copied in full")
        return key_type

    def issue(self, service_id: uuid.UUID, key_id: uuid.UUID, name: str, key_type: str) -> IssuedKey:
        text = self.generate(key_type)
        return IssuedKey(shown_once=text, secret_hash=self._hash(text), secret_encrypted=None)

    def lookup_hash(self, presented: str) -> str | None:
        """HMAC-SHA256 of a key whose checksum holds, or None without touching the database."""
        try:
            self.parse(presented)
        except KeyFormatError:
            return None
        return self._hash(presented)

    def _hash(self, text: str) -> str:
        return hmac.new(self._lookup_key, text.encode(), hashlib.sha256).hexdigest()
