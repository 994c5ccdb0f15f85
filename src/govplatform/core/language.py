"""Words people read: messages marked for translation, errors safe to show, and the request's language.

Part of what other components may use from core; they import it through `core/interfaces.py`. Each
function imports the web shell's i18n where it is first used, as it did before this module was split out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator


def N_(message: str) -> str:
    """Marks a message for the translation catalogue; it is translated where it is shown."""
    return message


class UserFacingError(Exception):
    """A rule was broken; the message is safe to show, in English or translated.

    The message is a template with %(name)s placeholders and the values beside
    it, so a page can translate the template and then fill it in.
    """

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


def gettext_(message: str) -> str:
    """The message in the request's language (English or Welsh)."""
    from govplatform.core.web import i18n

    return i18n.gettext_(message)


LANGUAGES = ("en", "cy")


@contextlib.contextmanager
def in_language(language: str) -> Iterator[None]:
    """Translate in this language (English if it is not one of ours) inside the block, then as before.

    For pages whose language is not the visitor's choice: a payment page speaks the language the
    service chose for the payment.
    """
    from govplatform.core.web import i18n

    token = i18n.set_language(language if language in LANGUAGES else "en")
    try:
        yield
    finally:
        i18n.reset_language(token)


def current_language() -> str:
    """The request's language: "en" or "cy"."""
    from govplatform.core.web import i18n

    return i18n.current_language()


def localise(error: Exception) -> str:
    """A UserFacingError's message in the request's language, with its values filled in."""
    from govplatform.core.web import i18n

    return i18n.localise(error)


MONTHS = (
    N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"),
    N_("August"), N_("September"), N_("October"), N_("November"), N_("December"),
)  # fmt: skip


def long_date(value: dt.date) -> str:
    """ "7 December 2026", the month in the page's language (GOV.UK's date style; a datetime's own date)."""
    return f"{value.day} {gettext_(MONTHS[value.month - 1])} {value.year}"
