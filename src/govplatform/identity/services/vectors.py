"""Vectors of trust (`vtr`), read as One Login reads them (VectorOfTrust.java, the simulator's vtr-validator).

The order of the rules matters and is One Login's: a missing or empty vtr means Cl.Cm; each vector's
C parts are sorted and joined (Cl or Cl.Cm), at most one P part, unknown parts ignored; P1 and above need
Cl.Cm; identity and non-identity vectors may not be mixed; of several, the lowest applies; the level must be
one the client registered. P0 means "no identity" and is accepted (govuk-onelogin-django always sends it).
"""

from __future__ import annotations

import dataclasses
import json

CREDENTIALS = ("Cl", "Cl.Cm")
LEVELS = ("P0", "P1", "P2", "P3", "P4")


class VectorRefused(ValueError):
    """The vtr is not valid: One Login answers invalid_request "Request vtr not valid"."""


@dataclasses.dataclass(frozen=True, order=True)
class Vector:
    credential: str  # Cl or Cl.Cm
    level: str | None  # P0..P4, or None when no P part was given

    @property
    def identity(self) -> bool:
        return self.level is not None and self.level != "P0"

    def rank(self) -> tuple[int, int]:
        return (LEVELS.index(self.level) if self.level else 0, CREDENTIALS.index(self.credential))


def parse_vector(text: str) -> Vector:
    parts = [part for part in text.split(".") if part]
    credential = sorted(part for part in parts if part in ("Cl", "Cm"))
    levels = [part for part in parts if part.startswith("P")]
    if len(levels) > 1 or not credential or credential[0] != "Cl" or len(set(credential)) != len(credential):
        raise VectorRefused(text)
    level = levels[0] if levels else None
    if level is not None and level not in LEVELS:
        raise VectorRefused(text)
    vector = Vector(".".join(credential), level)
    if vector.identity and vector.credential != "Cl.Cm":
        raise VectorRefused(text)
    return vector


def parse_vtr(text: str | None, client_levels: list[str]) -> Vector:
    """The vector that applies to a request, or VectorRefused."""
    if text is None or not text.strip():
        return Vector("Cl.Cm", None)
    try:
        given = json.loads(text)
    except ValueError:
        raise VectorRefused(text) from None
    if not isinstance(given, list) or not all(isinstance(item, str) for item in given):
        raise VectorRefused(text)
    if not given:
        return Vector("Cl.Cm", None)
    vectors = [parse_vector(item) for item in given]
    if len({vector.identity for vector in vectors}) > 1:
        raise VectorRefused(text)
    lowest = min(vectors, key=Vector.rank)
    if (lowest.level or "P0") not in client_levels:
        raise VectorRefused(text)
    return lowest
