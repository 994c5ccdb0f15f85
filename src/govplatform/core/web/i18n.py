"""English and Welsh: gettext catalogues, and the language of the current request.

Catalogues are the .po files under core/translations, read with Babel when the
app is built, so there is no compile step to forget. The language comes from
`?lang=` (the language switch) or the `govplatform_lang` cookie that the switch
sets. That cookie remembers a choice the user made, so it is strictly
necessary and needs no consent (ICO guidance on PECR, user-interface
customisation cookies).
"""

from __future__ import annotations

import contextvars
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("en", "cy")
LANGUAGE_COOKIE = "govplatform_lang"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("language", default="en")
_catalogues: dict[str, gettext.NullTranslations] = {"en": gettext.NullTranslations()}


# Each catalogue as read, by its file's path, modification time and size: an app built again in the same process
# (the test suite builds one per test) reuses it instead of parsing thousands of lines of Welsh again; an edited
# file is read afresh, and replaces the one kept.
_read: dict[Path, tuple[tuple[int, int], gettext.GNUTranslations]] = {}


def load_catalogues(directory: Path = TRANSLATIONS_DIR) -> None:
    for language in LANGUAGES[1:]:
        po_path = directory / language / "LC_MESSAGES" / "messages.po"
        status = po_path.stat()
        version = (status.st_mtime_ns, status.st_size)
        kept = _read.get(po_path)
        if kept is None or kept[0] != version:
            kept = _read[po_path] = (version, _read_catalogue(po_path, language))
        _catalogues[language] = kept[1]


def _read_catalogue(po_path: Path, language: str) -> gettext.GNUTranslations:
    with po_path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def set_language(language: str) -> contextvars.Token[str]:
    return _current.set(language if language in LANGUAGES else "en")


def reset_language(token: contextvars.Token[str]) -> None:
    _current.reset(token)


def current_language() -> str:
    return _current.get()


def gettext_(message: str) -> str:
    return _catalogues.get(_current.get(), _catalogues["en"]).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return _catalogues.get(_current.get(), _catalogues["en"]).ngettext(singular, plural, n)


def choose_language(query_value: str | None, cookie_value: str | None) -> str:
    for candidate in (query_value, cookie_value):
        if candidate in LANGUAGES:
            return candidate
    return "en"


def localise(error: Exception) -> str:
    """A user-facing error's message in the current language, placeholders filled in."""
    template = getattr(error, "template", None)
    if template is None:
        return str(error)
    params = getattr(error, "params", {})
    translated = gettext_(template)
    return translated % params if params else translated
