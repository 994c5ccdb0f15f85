"""Identity's errors: rules broken by staff or the CLI (shown as they are), and OAuth errors in One Login's
format (RFC 6749 section 5.2 and 4.1.2.1: `error` and `error_description`, with the status One Login uses).
"""

from __future__ import annotations

from typing import Any

from govplatform.core.interfaces import UserFacingError


class IdentityError(UserFacingError):
    """A relying party or a citizen could not be made as asked; the message says why."""


class OAuthError(Exception):
    """An error answered in OAuth's format: a JSON body at /token, a redirect or a page at /authorize."""

    def __init__(self, error: str, description: str, status_code: int = 400, headers: dict[str, str] | None = None):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status_code = status_code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.description}
