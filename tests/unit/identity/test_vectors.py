"""Vectors of trust are read as One Login reads them (identity.md section 1, "vtr rules")."""

from __future__ import annotations

import pytest

from govplatform.identity.services.vectors import Vector, VectorRefused, parse_vtr

ALL = ["P0", "P1", "P2"]


@pytest.mark.parametrize(
    ("vtr", "expected"),
    [
        (None, Vector("Cl.Cm", None)),
        ("", Vector("Cl.Cm", None)),
        ("[]", Vector("Cl.Cm", None)),
        ('["Cl.Cm"]', Vector("Cl.Cm", None)),
        ('["Cm.Cl"]', Vector("Cl.Cm", None)),
        ('["Cl"]', Vector("Cl", None)),
        ('["Cl.Cm.P0"]', Vector("Cl.Cm", "P0")),
        ('["Cl.P0"]', Vector("Cl", "P0")),
        ('["Cl.Cm.P2"]', Vector("Cl.Cm", "P2")),
        ('["Cl.Cm", "Cl"]', Vector("Cl", None)),
        ('["Cl.Cm.P2", "Cl.Cm.P1"]', Vector("Cl.Cm", "P1")),
        ('["Cl.Cm.Xx"]', Vector("Cl.Cm", None)),
    ],
)
def test_a_valid_vtr_gives_the_lowest_vector_asked_for(vtr: str | None, expected: Vector) -> None:
    assert parse_vtr(vtr, ALL) == expected


@pytest.mark.parametrize(
    "vtr",
    [
        '["Cl.P2"]',  # identity needs Cl.Cm
        '["Cl.Cm.P1.P2"]',  # at most one P part
        '["Cl.Cm.P0", "Cl.Cm.P2"]',  # identity and non-identity mixed
        '["Cm"]',
        '["P2"]',
        '["Cl.Cm.P9"]',
        "Cl.Cm",
        '{"vtr": "Cl.Cm"}',
        "[1]",
        '["Cl.Cm.P3"]',  # not a level the client registered
    ],
)
def test_an_invalid_vtr_is_refused(vtr: str) -> None:
    with pytest.raises(VectorRefused):
        parse_vtr(vtr, ALL)


def test_p0_is_refused_for_a_client_that_did_not_register_it() -> None:
    with pytest.raises(VectorRefused):
        parse_vtr('["Cl.Cm.P0"]', ["P2"])
