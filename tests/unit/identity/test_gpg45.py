"""GPG 45's scorer: every profile of identity.md's table is met by exactly its own minimums and not by anything
less, One Login's levels come from the profiles it accepts, and more or stronger evidence or higher scores
never lower the level (property tests)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.identity.proofing.gpg45 import (
    BY_CODE,
    PROFILES,
    Evidence,
    IdentityScores,
    gpg45_level,
    met_profiles,
    one_login_level,
)

# identity.md section 4, written out by hand: code -> (evidence [(strength, validity)], activity, fraud, verification)
TABLE = {
    "L1A": ([(2, 2)], 0, 1, 1), "L1B": ([(3, 2)], 0, 0, 1), "L1C": ([(1, 1)], 3, 2, 2),
    "L2A": ([(1, 1), (1, 1)], 2, 1, 2), "L2B": ([(1, 1), (1, 1)], 2, 2, 1), "L3A": ([(1, 1)] * 3, 2, 1, 1),
    "M1A": ([(4, 2)], 0, 1, 2), "M1B": ([(3, 2)], 1, 2, 2), "M1C": ([(3, 3)], 0, 0, 3), "M1D": ([(2, 2)], 2, 1, 3),
    "M2A": ([(2, 2), (2, 2)], 3, 2, 2), "M2B": ([(3, 2), (2, 2)], 1, 1, 2), "M2C": ([(3, 2), (2, 2)], 0, 1, 3),
    "M3A": ([(2, 2)] * 3, 2, 2, 2),
    "H1A": ([(4, 3)], 0, 1, 3), "H1B": ([(3, 3)], 2, 1, 3), "H1C": ([(4, 3)], 0, 0, 4),
    "H2A": ([(2, 2), (2, 2)], 3, 2, 3), "H2B": ([(4, 2), (3, 2)], 0, 2, 3), "H2C": ([(3, 3), (2, 2)], 1, 1, 3),
    "H2D": ([(3, 3), (2, 2)], 0, 1, 3), "H2E": ([(4, 3), (3, 3)], 0, 0, 3), "H3A": ([(2, 2)] * 3, 2, 2, 3),
    "V1A": ([(4, 3)], 0, 3, 3), "V1B": ([(4, 4)], 0, 1, 3), "V1C": ([(4, 3)], 1, 1, 4), "V1D": ([(4, 4)], 0, 0, 4),
    "V2A": ([(3, 3), (3, 3)], 3, 2, 3), "V2B": ([(4, 3), (3, 3)], 0, 2, 3), "V2C": ([(4, 3), (2, 2)], 2, 2, 3),
    "V2D": ([(4, 4), (4, 4)], 0, 0, 3), "V3A": ([(3, 3), (2, 2), (2, 2)], 3, 3, 3),
}  # fmt: skip
LEVEL_OF = {"L": "low", "M": "medium", "H": "high", "V": "very high"}


def _minimum(code: str) -> tuple[list[Evidence], IdentityScores]:
    slots, activity, fraud, verification = TABLE[code]
    return [Evidence("document", s, v) for s, v in slots], IdentityScores(activity, fraud, verification)


def test_the_profiles_are_identity_md_s_table_exactly() -> None:
    assert {p.code: (list(p.evidence), p.activity, p.fraud, p.verification) for p in PROFILES} == TABLE
    assert all(p.level == LEVEL_OF[p.code[0]] for p in PROFILES)


@pytest.mark.parametrize("code", sorted(TABLE))
def test_each_profile_is_met_by_its_own_minimums(code: str) -> None:
    evidence, scores = _minimum(code)
    assert BY_CODE[code] in met_profiles(evidence, scores)


@pytest.mark.parametrize("code", sorted(TABLE))
def test_each_profile_is_not_met_when_any_one_minimum_is_one_short(code: str) -> None:
    evidence, scores = _minimum(code)
    profile = BY_CODE[code]
    for name in ("activity", "fraud", "verification"):
        if getattr(scores, name) > 0:
            assert not profile.met_by(evidence, dataclasses.replace(scores, **{name: getattr(scores, name) - 1}))
    for index, piece in enumerate(evidence):
        for field in ("strength", "validity"):
            weaker = dataclasses.replace(piece, **{field: getattr(piece, field) - 1})
            assert not profile.met_by([*evidence[:index], weaker, *evidence[index + 1 :]], scores), (code, index, field)
    if len(evidence) > 1:
        assert not profile.met_by(evidence[:-1], scores)  # one piece never fills two slots


def test_one_login_levels_come_only_from_the_profiles_it_accepts() -> None:
    assert one_login_level(*_minimum("L1A")) == "P1"
    for code in ("M1A", "M1B", "M1C", "M2B"):
        assert one_login_level(*_minimum(code)) == "P2", code
    assert one_login_level(*_minimum("H1A")) == "P3"
    # M1D is GPG 45 medium, but One Login does not accept it: what else it meets decides.
    evidence, scores = _minimum("M1D")
    assert gpg45_level(evidence, scores) == "medium"
    assert one_login_level(evidence, scores) == "P1"  # [22] 2/1/3 also meets L1A
    assert one_login_level([], IdentityScores(4, 4, 4)) == "P0"
    assert one_login_level([Evidence("document", 4, 4)], IdentityScores()) == "P0"


def test_a_passport_checked_in_person_style_meets_p2_and_a_weak_document_alone_does_not() -> None:
    passport = Evidence("uk_passport", 4, 2)  # a genuine, valid passport checked electronically: M1A's 42
    assert one_login_level([passport], IdentityScores(activity=0, fraud=1, verification=2)) == "P2"
    assert one_login_level([passport], IdentityScores(activity=0, fraud=1, verification=1)) == "P1"
    assert one_login_level([Evidence("bank_account", 2, 1)], IdentityScores(3, 3, 3)) == "P0"


def test_scores_outside_zero_to_four_are_refused() -> None:
    with pytest.raises(ValueError):
        Evidence("document", 5, 1)
    with pytest.raises(ValueError):
        IdentityScores(activity=-1)


_ORDER = ("P0", "P1", "P2", "P3")
scores_st = st.builds(IdentityScores, *(st.integers(0, 4) for _ in range(3)))
evidence_st = st.lists(st.builds(Evidence, st.just("document"), st.integers(1, 4), st.integers(1, 4)), max_size=4)


@given(evidence_st, evidence_st, scores_st)
def test_more_evidence_never_lowers_the_level(
    evidence: list[Evidence], more: list[Evidence], scores: IdentityScores
) -> None:
    before, after = one_login_level(evidence, scores), one_login_level(evidence + more, scores)
    assert _ORDER.index(after) >= _ORDER.index(before)
    assert {p.code for p in met_profiles(evidence, scores)} <= {p.code for p in met_profiles(evidence + more, scores)}


@given(evidence_st, scores_st, st.integers(0, len(_ORDER)), st.sampled_from(["strength", "validity"]))
def test_stronger_evidence_never_lowers_the_level(
    evidence: list[Evidence], scores: IdentityScores, which: int, field: str
) -> None:
    if not evidence:
        return
    index = which % len(evidence)
    piece = evidence[index]
    stronger = dataclasses.replace(piece, **{field: min(4, getattr(piece, field) + 1)})
    changed = [*evidence[:index], stronger, *evidence[index + 1 :]]
    assert _ORDER.index(one_login_level(changed, scores)) >= _ORDER.index(one_login_level(evidence, scores))


@given(evidence_st, scores_st, st.sampled_from(["activity", "fraud", "verification"]))
def test_a_higher_identity_score_never_lowers_the_level(
    evidence: list[Evidence], scores: IdentityScores, name: str
) -> None:
    higher = dataclasses.replace(scores, **{name: min(4, getattr(scores, name) + 1)})
    assert _ORDER.index(one_login_level(evidence, higher)) >= _ORDER.index(one_login_level(evidence, scores))
