"""The sandbox identity checks: each documented test identity, taken through the document, knowledge and fraud
checks with the details and answers docs/identity-proofing.md gives, reaches exactly its documented level;
strangers are unknown; and each check's facts become GPG 45 scores by the published table."""

from __future__ import annotations

import datetime as dt

import pytest

from govplatform.identity.proofing.checks import (
    Claimant,
    DocumentClaim,
    DocumentKind,
    DocumentResult,
    DocumentStatus,
    FraudIndicator,
    FraudResult,
    KnowledgeResult,
    QuestionQuality,
)
from govplatform.identity.proofing.sandbox import (
    IDENTITIES,
    SandboxDocumentCheck,
    SandboxFraudCheck,
    SandboxKnowledgeCheck,
)
from govplatform.identity.proofing.scoring import (
    activity_score,
    document_evidence,
    fraud_score,
    score,
    verification_score,
)

TODAY = dt.date(2026, 12, 7)
# The documented outcome of each identity when its own details and answers are given (docs/identity-proofing.md).
EXPECTED = {"p2-passport": "P2", "p2-driving-licence": "P2", "p1": "P1", "document-fails": "P0",
            "knowledge-fails": "P0", "fraud-flagged": "P0"}  # fmt: skip


async def _journey(key: str, answers: dict[str, str] | None = None) -> str:
    known = next(identity for identity in IDENTITIES if identity.key == key)
    claimant = Claimant(known.given_names, known.surname, known.birth_date)
    claim = DocumentClaim(known.document, known.number, known.expiry_date, known.issue_number)
    document = await SandboxDocumentCheck().check(claimant, claim)
    knowledge_check = SandboxKnowledgeCheck()
    asked = await knowledge_check.questions(claimant)
    assert len(asked) == 3
    knowledge = await knowledge_check.mark(claimant, known.answers if answers is None else answers)
    fraud = await SandboxFraudCheck().check(claimant)
    return score([document], knowledge, fraud, TODAY).level


def test_every_documented_identity_has_an_expected_outcome() -> None:
    assert {identity.key for identity in IDENTITIES} == set(EXPECTED)


@pytest.mark.parametrize("key", sorted(EXPECTED))
async def test_each_sandbox_identity_reaches_exactly_its_documented_level(key: str) -> None:
    assert await _journey(key) == EXPECTED[key]


async def test_wrong_answers_take_a_p2_identity_down() -> None:
    assert await _journey("p2-passport", {"bank": "Coastline Bank", "loan": "£101 to £250", "phone": "2021"}) == "P1"
    assert await _journey("p2-passport", {}) == "P0"


async def test_a_stranger_is_unknown_to_every_sandbox_check() -> None:
    stranger = Claimant("Sam", "Nobody", dt.date(1990, 1, 1))
    claim = DocumentClaim(DocumentKind.UK_PASSPORT, "999999999", dt.date(2030, 1, 1))
    assert (await SandboxDocumentCheck().check(stranger, claim)).status is DocumentStatus.NOT_FOUND
    assert await SandboxKnowledgeCheck().questions(stranger) == ()
    assert (await SandboxFraudCheck().check(stranger)).found is False


async def test_a_real_document_number_with_someone_else_s_details_differs_and_reads_the_record() -> None:
    alys = IDENTITIES[0]
    impostor = Claimant("Alys", "Pennant", dt.date(1984, 5, 20))
    result = await SandboxDocumentCheck().check(impostor, DocumentClaim(alys.document, alys.number, alys.expiry_date))
    assert result.status is DocumentStatus.DETAILS_DIFFER and result.reads_record


def test_documents_score_by_kind_and_only_when_valid() -> None:
    passport = document_evidence(DocumentResult(DocumentKind.UK_PASSPORT, DocumentStatus.VALID, True))
    licence = document_evidence(DocumentResult(DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE, DocumentStatus.VALID, True))
    assert passport is not None and (passport.strength, passport.validity) == (4, 2)
    assert licence is not None and (licence.strength, licence.validity) == (3, 2)
    for status in DocumentStatus:
        if status is not DocumentStatus.VALID:
            assert document_evidence(DocumentResult(DocumentKind.UK_PASSPORT, status, True)) is None


@pytest.mark.parametrize(
    ("asked", "right", "quality", "expected"),
    [(3, 3, QuestionQuality.MEDIUM, 2), (3, 3, QuestionQuality.LOW, 1), (3, 2, QuestionQuality.MEDIUM, 1),
     (3, 1, QuestionQuality.MEDIUM, 0), (2, 1, QuestionQuality.MEDIUM, 0), (0, 0, None, 0)],
)  # fmt: skip
def test_knowledge_answers_score_verification_by_the_table(
    asked: int, right: int, quality: QuestionQuality | None, expected: int
) -> None:
    assert verification_score(KnowledgeResult(asked, right, quality, True)) == expected


def test_fraud_and_activity_scores_follow_the_table() -> None:
    clean = FraudResult(True, (), TODAY - dt.timedelta(days=400), True)
    assert (fraud_score(clean), activity_score(clean, TODAY)) == (2, 1)
    assert activity_score(FraudResult(True, (), TODAY - dt.timedelta(days=179), True), TODAY) == 0
    assert activity_score(FraudResult(True, (), TODAY - dt.timedelta(days=3 * 365), True), TODAY) == 3
    thin = FraudResult(False, (), None, False)
    assert (fraud_score(thin), activity_score(thin, TODAY)) == (1, 0)
    flagged = FraudResult(True, (FraudIndicator.DECEASED,), TODAY - dt.timedelta(days=4000), True)
    assert (fraud_score(flagged), activity_score(flagged, TODAY)) == (0, 0)


def test_the_sandbox_driving_licence_number_is_well_formed_for_its_holder() -> None:
    from govplatform.identity.proofing.documents import check_driving_licence

    bryn = next(identity for identity in IDENTITIES if identity.key == "p2-driving-licence")
    assert (
        check_driving_licence(bryn.number, bryn.surname, bryn.given_names, bryn.birth_date, female=False) == bryn.number
    )


def test_the_documented_machine_readable_zones_read_back_as_the_sandbox_passports() -> None:
    from pathlib import Path

    from govplatform.identity.proofing.documents import read_passport_zone

    doc = (Path(__file__).resolve().parents[3] / "docs" / "identity-proofing.md").read_text()
    block = doc.split("```")[1].strip().splitlines()
    for first, second in zip(block[0::2], block[1::2], strict=True):
        key, line_1 = first.split()
        zone = read_passport_zone(line_1, second.strip(), TODAY)
        known = next(identity for identity in IDENTITIES if identity.key == key)
        assert (zone.document_number, zone.birth_date, zone.expiry_date) == (
            known.number,
            known.birth_date,
            known.expiry_date,
        )
        assert (zone.surname, zone.given_names) == (known.surname.upper(), known.given_names.upper())
