"""The country on the last line of an international letter, and its postage zone.

Notify recognises about 250 countries and territories with many synonyms
(notifications-utils ``countries/``, built from the FCDO country register).
That register belongs in the ``registers`` component, which ``notify`` may
not import; until it is offered through an interface this small built-in
table covers the UK's own names (which mean "not international") and the
countries that most UK public-sector post goes to. A country not listed here
is not recognised, so its letter is rejected as having no valid postcode:
the safe way to fail.
"""

from __future__ import annotations

import re
from enum import Enum


class Postage(Enum):
    UK = "united-kingdom"
    EUROPE = "europe"
    REST_OF_WORLD = "rest-of-world"


UNITED_KINGDOM = "United Kingdom"

_UK_NAMES = (
    "United Kingdom",
    "UK",
    "U.K.",
    "Great Britain",
    "Britain",
    "GB",
    "England",
    "Scotland",
    "Wales",
    "Cymru",
    "Northern Ireland",
    "United Kingdom of Great Britain and Northern Ireland",
)

_EUROPE = (
    "Albania", "Andorra", "Austria", "Belgium", "Bosnia and Herzegovina", "Bulgaria", "Croatia",
    "Cyprus", "Czechia", "Denmark", "Estonia", "Faroe Islands", "Finland", "France", "Germany",
    "Gibraltar", "Greece", "Greenland", "Hungary", "Iceland", "Ireland", "Italy", "Kosovo", "Latvia",
    "Liechtenstein", "Lithuania", "Luxembourg", "Malta", "Moldova", "Monaco", "Montenegro",
    "Netherlands", "North Macedonia", "Norway", "Poland", "Portugal", "Romania", "San Marino",
    "Serbia", "Slovakia", "Slovenia", "Spain", "Sweden", "Switzerland", "Turkey", "Ukraine",
    "Vatican City",
)  # fmt: skip

_REST_OF_WORLD = (
    "Australia", "Bangladesh", "Brazil", "Canada", "China", "Egypt", "Ghana", "Hong Kong", "India",
    "Jamaica", "Japan", "Kenya", "Malaysia", "Mexico", "New Zealand", "Nigeria", "Pakistan",
    "Philippines", "Singapore", "South Africa", "South Korea", "Sri Lanka", "Thailand",
    "United Arab Emirates", "United States", "Zimbabwe",
)  # fmt: skip

_SYNONYMS = {
    "Eire": "Ireland",
    "Republic of Ireland": "Ireland",
    "Holland": "Netherlands",
    "The Netherlands": "Netherlands",
    "Czech Republic": "Czechia",
    "Deutschland": "Germany",
    "España": "Spain",
    "USA": "United States",
    "US": "United States",
    "United States of America": "United States",
    "America": "United States",
    "UAE": "United Arab Emirates",
    "Korea": "South Korea",
    "Türkiye": "Turkey",
}


def _normalise(name: str) -> str:
    name = name.lower().replace("&", "and")
    name = re.sub(r"[.'’]", "", name)
    name = re.sub(r"[,()\-]", " ", name)
    name = " ".join(name.split())
    return name.removeprefix("the ")


_COUNTRIES: dict[str, tuple[str, Postage]] = {}
for _name in _UK_NAMES:
    _COUNTRIES[_normalise(_name)] = (UNITED_KINGDOM, Postage.UK)
for _names, _zone in ((_EUROPE, Postage.EUROPE), (_REST_OF_WORLD, Postage.REST_OF_WORLD)):
    for _name in _names:
        _COUNTRIES[_normalise(_name)] = (_name, _zone)
for _synonym, _canonical in _SYNONYMS.items():
    _COUNTRIES[_normalise(_synonym)] = _COUNTRIES[_normalise(_canonical)]


def find_country(line: str) -> tuple[str, Postage] | None:
    """The canonical name and postage zone for a country line, or None if not a known country."""
    return _COUNTRIES.get(_normalise(line))
