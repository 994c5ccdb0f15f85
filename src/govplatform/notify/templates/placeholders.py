"""Placeholders: finding ``((name))`` in template text and filling them in.

Callers of Notify's API send personalisation written however their code
spells it (``first_name``, ``First Name``, ``first-name``), and templates are
written by people, so Notify matches a placeholder to a key ignoring case,
spaces, underscores and hyphens (notifications-utils ``InsensitiveDict``).
Everything here follows notifications-utils ``field.py``:

- a placeholder is ``((`` + one or more characters other than brackets + ``))``;
- ``((flag??text))`` is optional content: the text shows when the value is
  one of yes/y/true/t/1/include/show in any case, and disappears otherwise;
- only ``None`` or an absent key is missing; ``""`` and ``0`` are values;
- numbers and booleans are shown with ``str()`` (``5``, ``1.5``, ``True``);
- a list value becomes Markdown bullets (``"\\n\\n* a\\n* b"``) in email and
  letters and ``"a, b and c"`` in text messages and subject lines; ``None``
  and blank items are dropped, and a list with nothing left is ``""``;
- when rendering HTML, the template text and every value are HTML-escaped
  *before* any Markdown runs, so a value can never inject tags (it can still
  contain Markdown; ``sanitise_content_for`` exists for that).

Missing names are reported in the order the placeholders first appear
(subject before body), each name exactly as written in the template, which
is the order of Notify's "Missing personalisation: a, b" message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from govplatform.notify.templates.formatting import escape_html, strip_and_remove_obscure_whitespace

PLACEHOLDER_PATTERN = re.compile(r"\(\(([^()]+)\)\)")
CONDITIONAL_SEPARATOR = "??"
_IGNORED_IN_KEYS = str.maketrans("", "", " _-")
_TRUTHY = frozenset({"yes", "y", "true", "t", "1", "include", "show"})


class ListStyle(Enum):
    """How a list value is written out, which depends on the channel."""

    BULLETS = "bullets"  # email and letter bodies: Markdown bullet points
    PROSE = "prose"  # text messages and subject lines: "a, b and c"


def normalise_key(key: str) -> str:
    """The form in which two personalisation keys are compared."""
    return key.translate(_IGNORED_IN_KEYS).lower()


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One ``((...))`` occurrence: its name and, if optional, the text it guards."""

    body: str

    @property
    def name(self) -> str:
        return self.body.split(CONDITIONAL_SEPARATOR, 1)[0]

    @property
    def conditional_text(self) -> str | None:
        if CONDITIONAL_SEPARATOR not in self.body:
            return None
        return self.body.split(CONDITIONAL_SEPARATOR, 1)[1]


class Personalisation:
    """Personalisation values looked up the way Notify matches placeholder names.

    When two keys normalise to the same form, the later one wins, as it does
    when Notify builds its insensitive dictionary.
    """

    def __init__(self, values: Mapping[str, object] | None = None) -> None:
        self._raw = dict(values or {})
        self._values: dict[str, object] = {}
        for key, value in self._raw.items():
            self._values[normalise_key(str(key))] = value

    def with_escaped_keys(self) -> Personalisation:
        """The same values keyed as they appear in HTML-escaped template text."""
        return Personalisation({escape_html(str(key)): value for key, value in self._raw.items()})

    def get(self, name: str) -> object | None:
        return self._values.get(normalise_key(name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalise_key(name) in self._values


def find_placeholders(*texts: str) -> list[str]:
    """Placeholder names in order of first appearance across ``texts``.

    Names are de-duplicated exactly as written (``Name`` and ``name`` are both
    listed), which is how Notify lists them in a template's personalisation.
    """
    seen: dict[str, None] = {}
    for text in texts:
        for match in PLACEHOLDER_PATTERN.finditer(text or ""):
            seen.setdefault(Placeholder(match[1]).name, None)
    return list(seen)


def missing_personalisation(texts: Iterable[str], personalisation: Personalisation) -> list[str]:
    """Names whose value is absent or ``None``, in template order."""
    return [name for name in find_placeholders(*texts) if personalisation.get(name) is None]


def missing_personalisation_message(missing: Sequence[str]) -> str:
    """Notify's 400 BadRequestError message for missing personalisation."""
    return f"Missing personalisation: {', '.join(missing)}"


def is_truthy(value: object) -> bool:
    """Whether optional content shows for this value (Notify's ``str2bool``)."""
    if not value:
        return False
    return str(value).lower() in _TRUTHY


def format_list(items: Sequence[str], style: ListStyle) -> str:
    if style is ListStyle.BULLETS:
        return "\n\n" + "\n".join(f"* {item}" for item in items)
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def value_as_text(value: object, style: ListStyle) -> str:
    """The text a non-missing personalisation value stands for."""
    if isinstance(value, list | tuple):
        items = [strip_and_remove_obscure_whitespace(str(item)) for item in value if item is not None]
        items = [item for item in items if item]
        return format_list(items, style) if items else ""
    return str(value)


def replace_placeholders(
    text: str,
    personalisation: Personalisation,
    *,
    list_style: ListStyle,
    html: bool = False,
) -> str:
    """Fill every placeholder that has a value; leave missing ones as written.

    With ``html=True`` the template text and the values are escaped (Notify's
    ``Field(html="escape")``); otherwise both pass through unchanged.
    """
    sanitise = escape_html if html else _unchanged
    source = sanitise(text)
    lookup = personalisation.with_escaped_keys() if html else personalisation

    def replace(match: re.Match[str]) -> str:
        placeholder = Placeholder(match[1])
        value = lookup.get(placeholder.name)
        if value is None:
            return match[0]
        replacement = sanitise(value_as_text(value, list_style))
        if placeholder.conditional_text is None:
            return replacement
        return placeholder.conditional_text if is_truthy(replacement) else ""

    return PLACEHOLDER_PATTERN.sub(replace, source)


def _unchanged(value: str) -> str:
    return value
