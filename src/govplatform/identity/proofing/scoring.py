"""From what the checks found to GPG 45's scores: the one table every route is scored by.

docs/identity-proofing.md gives this table with the reason for each score, following GPG 45's guidance for each
kind of evidence and check; a change here changes the levels people reach, so the two change together. The
scores given are deliberately the ones a remote, web-only check can earn: a document checked against its
issuer's record without reading its chip or comparing a photo earns validity 2, not 3, and a knowledge check
earns verification 2 at most. That is why the web routes reach One Login's P2 (M1A, M1B) and no higher.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from govplatform.identity.proofing.checks import (
    DocumentKind,
    DocumentResult,
    DocumentStatus,
    FraudResult,
    KnowledgeResult,
    QuestionQuality,
)
from govplatform.identity.proofing.gpg45 import Evidence, IdentityScores, one_login_level

# GPG 45's strength of each kind of evidence, and the validity a check against the issuer's record earns.
STRENGTH = {DocumentKind.UK_PASSPORT: 4, DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE: 3}
VALIDITY_FROM_ISSUER_RECORD = 2
ACTIVITY_DAYS = ((3 * 365, 3), (2 * 365, 2), (180, 1))  # at least this much history earns this activity score


def document_evidence(result: DocumentResult) -> Evidence | None:
    """A document whose issuer's record is current and matches is evidence; anything else is none."""
    if result.status is not DocumentStatus.VALID:
        return None
    return Evidence(result.kind.value, STRENGTH[result.kind], VALIDITY_FROM_ISSUER_RECORD)


def verification_score(result: KnowledgeResult) -> int:
    """Every question right: 2 when all were of medium quality, 1 when any was low; all but one right (of three
    or more): 1; otherwise 0."""
    if result.asked == 0 or result.lowest_quality is None:
        return 0
    if result.right == result.asked:
        return 2 if result.lowest_quality is QuestionQuality.MEDIUM else 1
    if result.asked >= 3 and result.right == result.asked - 1:
        return 1
    return 0


def fraud_score(result: FraudResult) -> int:
    """Any indicator: 0. Known to the sources with none: 2. Unknown to them (a thin file) with none: 1."""
    if result.indicators:
        return 0
    return 2 if result.found else 1


def activity_score(result: FraudResult, today: dt.date) -> int:
    if result.indicators or not result.found or result.active_since is None:
        return 0
    days = (today - result.active_since).days
    return next((score for least, score in ACTIVITY_DAYS if days >= least), 0)


@dataclasses.dataclass(frozen=True)
class Scored:
    evidence: tuple[Evidence, ...]
    scores: IdentityScores
    level: str  # One Login's: P0 to P3


def score(
    documents: list[DocumentResult], knowledge: KnowledgeResult | None, fraud: FraudResult | None, today: dt.date
) -> Scored:
    """Everything the checks found, scored; the level is the highest One Login level its profiles meet."""
    evidence = tuple(found for found in map(document_evidence, documents) if found is not None)
    scores = IdentityScores(
        activity=activity_score(fraud, today) if fraud else 0,
        fraud=fraud_score(fraud) if fraud else 0,
        verification=verification_score(knowledge) if knowledge else 0,
    )
    return Scored(evidence, scores, one_login_level(evidence, scores))
