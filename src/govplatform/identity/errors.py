"""Identity's errors: rules broken by staff or the CLI (shown as they are), and OAuth errors in One Login's
format (RFC 6749 section 5.2 and 4.1.2.1: `error` and `error_description`, with the status One Login uses).
"""

from __future__ import annotations

from typing import Any

from govplatform.core.interfaces import UserFacingError


class IdentityError(UserFacingError):
    """A relying party or a citizen could not be made as asked; the message says why.

    `field` names the form field the rule is about (the admin pages link their error summary to it);
    the CLI prints the message alone.
    """

    def __init__(self, template: str, *, field: str | None = None, **params: object) -> None:
        super().__init__(template, **params)
        self.field = field


class ClientRefused(IdentityError):
    """A client's registration broke one or more rules: every one is kept, so a form can show them all at once;
    the message (and the CLI's one line) is the first."""

    def __init__(self, problems: list[IdentityError]) -> None:
        first = problems[0]
        super().__init__(first.template, field=first.field, **first.params)
        self.problems = problems


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
