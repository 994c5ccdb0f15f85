"""GPG 45 ("How to prove and verify someone's identity") as data: evidence scores, identity profiles, and a
scorer that finds every profile a set of evidence meets, mapped to One Login's levels P1 to P3.

Written by hand because GPG 45 is a published table, not a protocol any library implements; the profiles are
GOV.UK One Login's own (ipv-core-back's `Gpg45Profile`, summarised in ../shared/reference/identity.md section 4).

The rules the scorer keeps, as GPG 45 states them:
- Each piece of evidence has a strength and a validity score (1 to 4). A profile names evidence slots, each a
  minimum strength and validity; it is met when some assignment of *different* pieces of evidence to its
  slots meets every minimum. One piece never fills two slots.
- Activity, fraud and verification scores belong to the identity as a whole, not to a piece of evidence; a
  profile needs at least its minimum of each. Scores are never added up.
- The level achieved is the highest level among the profiles met. One Login accepts only some profiles for
  each of its levels (`ONE_LOGIN`); a profile outside them gives no One Login level even if GPG 45 calls it
  medium, so the level a service sees is the highest One Login level whose profiles include a met one.
More or stronger evidence, or a higher score, can only add profiles, never remove one: the level never falls
(tests/unit/identity/test_gpg45.py checks it as a property).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Sequence

SCORE_RANGE = range(0, 5)  # 0 (none) to 4; evidence scores start at 1


@dataclasses.dataclass(frozen=True)
class Evidence:
    """A piece of evidence as checked: what it is (for the record) and the scores the checks gave it."""

    kind: str  # "uk_passport", "uk_photocard_driving_licence", ...
    strength: int
    validity: int

    def __post_init__(self) -> None:
        if self.strength not in SCORE_RANGE or self.validity not in SCORE_RANGE:
            raise ValueError("strength and validity are scores from 0 to 4")

    def fills(self, slot: tuple[int, int]) -> bool:
        return self.strength >= slot[0] and self.validity >= slot[1]


@dataclasses.dataclass(frozen=True)
class IdentityScores:
    """The scores that belong to the whole identity: activity history, identity fraud, verification."""

    activity: int = 0
    fraud: int = 0
    verification: int = 0

    def __post_init__(self) -> None:
        if any(score not in SCORE_RANGE for score in (self.activity, self.fraud, self.verification)):
            raise ValueError("activity, fraud and verification are scores from 0 to 4")


@dataclasses.dataclass(frozen=True)
class Profile:
    code: str  # "M1A"
    level: str  # GPG 45's level of confidence: low, medium, high, very high
    evidence: tuple[tuple[int, int], ...]  # (strength, validity) minimums, one per piece of evidence
    activity: int
    fraud: int
    verification: int

    def met_by(self, evidence: Sequence[Evidence], scores: IdentityScores) -> bool:
        if scores.activity < self.activity or scores.fraud < self.fraud or scores.verification < self.verification:
            return False
        if len(evidence) < len(self.evidence):
            return False
        # At most three slots and a handful of pieces: trying every assignment is cheap and plainly right.
        return any(
            all(piece.fills(slot) for piece, slot in zip(chosen, self.evidence, strict=True))
            for chosen in itertools.permutations(evidence, len(self.evidence))
        )


def _profiles(level: str, table: str) -> list[Profile]:
    """Profiles from identity.md's notation: `L1A 22 0/1/1; M2B 32,22 1/1/2; ...`."""
    found = []
    for entry in table.split(";"):
        code, slots, scores = entry.split()
        activity, fraud, verification = (int(score) for score in scores.split("/"))
        evidence = tuple((int(slot[0]), int(slot[1])) for slot in slots.split(","))
        found.append(Profile(code, level, evidence, activity, fraud, verification))
    return found


PROFILES: tuple[Profile, ...] = (
    *_profiles("low", "L1A 22 0/1/1; L1B 32 0/0/1; L1C 11 3/2/2; L2A 11,11 2/1/2; L2B 11,11 2/2/1; L3A 11,11,11 2/1/1"),
    *_profiles(
        "medium",
        "M1A 42 0/1/2; M1B 32 1/2/2; M1C 33 0/0/3; M1D 22 2/1/3; M2A 22,22 3/2/2; M2B 32,22 1/1/2; M2C 32,22 0/1/3; "
        "M3A 22,22,22 2/2/2",
    ),
    *_profiles(
        "high",
        "H1A 43 0/1/3; H1B 33 2/1/3; H1C 43 0/0/4; H2A 22,22 3/2/3; H2B 42,32 0/2/3; H2C 33,22 1/1/3; "
        "H2D 33,22 0/1/3; H2E 43,33 0/0/3; H3A 22,22,22 2/2/3",
    ),
    *_profiles(
        "very high",
        "V1A 43 0/3/3; V1B 44 0/1/3; V1C 43 1/1/4; V1D 44 0/0/4; V2A 33,33 3/2/3; V2B 43,33 0/2/3; "
        "V2C 43,22 2/2/3; V2D 44,44 0/0/3; V3A 33,22,22 3/3/3",
    ),
)
BY_CODE = {profile.code: profile for profile in PROFILES}
GPG45_LEVELS = ("low", "medium", "high", "very high")

# One Login's levels (its `Vot` enum) and the profiles each accepts; P0 is "no identity".
ONE_LOGIN: dict[str, frozenset[str]] = {
    "P1": frozenset({"L1A"}),
    "P2": frozenset({"M1A", "M1B", "M2B", "M1C"}),
    "P3": frozenset({"H1A"}),
}
ONE_LOGIN_LEVELS = ("P0", "P1", "P2", "P3")


def met_profiles(evidence: Iterable[Evidence], scores: IdentityScores) -> list[Profile]:
    pieces = list(evidence)
    return [profile for profile in PROFILES if profile.met_by(pieces, scores)]


def gpg45_level(evidence: Iterable[Evidence], scores: IdentityScores) -> str | None:
    """GPG 45's own highest level of confidence met, or None."""
    levels = {profile.level for profile in met_profiles(evidence, scores)}
    return next((level for level in reversed(GPG45_LEVELS) if level in levels), None)


def one_login_level(evidence: Iterable[Evidence], scores: IdentityScores) -> str:
    """The highest of One Login's levels whose accepted profiles include a met one; "P0" when none."""
    met = {profile.code for profile in met_profiles(evidence, scores)}
    return next((vot for vot in reversed(ONE_LOGIN_LEVELS[1:]) if ONE_LOGIN[vot] & met), "P0")


def covers(held: str, wanted: str) -> bool:
    """Whether an identity proven at `held` (P0..P3) serves a request for `wanted`."""
    return ONE_LOGIN_LEVELS.index(held) >= ONE_LOGIN_LEVELS.index(wanted)
