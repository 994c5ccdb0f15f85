"""The identity `govplatform identity citizen create --level` stands for, for demos and tests: the evidence and
scores that proving it by the platform's own routes would have recorded, so the level is computed by the same
scorer (never just written down) and the same rules bind the documents to the account.

A passport stands for the passport route (a UK passport checked with its issuer, fraud 1, verification 2:
M1A); a licence alone for the licence route (a photocard licence checked with DVLA, activity 1, fraud 2,
verification 2: M1B); P1 for a document with fraud 1 and verification 1 (L1A). docs/identity-proofing.md
gives the scores' reasons.
"""

from __future__ import annotations

import datetime as dt
import re

from govplatform.core.interfaces import localise
from govplatform.identity.proofing.checks import DocumentKind
from govplatform.identity.proofing.documents import DocumentRefused, check_driving_licence
from govplatform.identity.proofing.gpg45 import Evidence, IdentityScores, one_login_level
from govplatform.identity.proofing.scoring import STRENGTH, VALIDITY_FROM_ISSUER_RECORD
from govplatform.identity.services.proven import Proved

LEVELS = ("P1", "P2")
DOCUMENT_YEARS = 5


def command_proof(
    level: str | None,
    given_name: str | None,
    family_name: str | None,
    born: dt.date | None,
    passport: str | None,
    driving_licence: str | None,
) -> Proved:
    """Raises ValueError with a message for the command line."""
    if level not in LEVELS:
        raise ValueError("--level must be P1 or P2 when a passport or driving licence is given")
    if not (given_name and family_name and born):
        raise ValueError("--level needs --given-name, --family-name and --birth-date: the identity proved")
    if passport is None and driving_licence is None:
        raise ValueError("--level needs --passport or --driving-licence: the document that proved it")
    expires = dt.date.today().replace(month=1, day=1) + dt.timedelta(days=365 * DOCUMENT_YEARS)
    evidence, passport_claim, permit = [], None, None
    if passport is not None:
        if not re.fullmatch(r"\d{9}", passport):
            raise ValueError("--passport must be a UK passport number: 9 digits")
        evidence.append(_evidence(DocumentKind.UK_PASSPORT))
        passport_claim = {"documentNumber": passport, "icaoIssuerCode": "GBR", "expiryDate": expires.isoformat()}
    if driving_licence is not None:
        try:
            number = check_driving_licence(driving_licence, family_name, given_name, born, female=None)
        except DocumentRefused as refused:
            raise ValueError(f"--driving-licence: {localise(refused)}") from None
        evidence.append(_evidence(DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE))
        permit = {"personalNumber": number, "expiryDate": expires.isoformat(), "issueNumber": "01", "issuedBy": "DVLA"}
    if level == "P1":
        scores = IdentityScores(activity=0, fraud=1, verification=1)
    elif passport is not None:
        scores = IdentityScores(activity=0, fraud=1, verification=2)
    else:
        scores = IdentityScores(activity=1, fraud=2, verification=2)
    reached = one_login_level(evidence, scores)
    if reached != level:  # the scorer, not the option, decides; a mismatch is a bug in the table above
        raise ValueError(f"the evidence given meets {reached}, not {level}")
    route = "command"
    return Proved(reached, route, given_name, family_name, born, tuple(evidence), scores, passport_claim, permit)


def _evidence(kind: DocumentKind) -> Evidence:
    return Evidence(kind.value, STRENGTH[kind], VALIDITY_FROM_ISSUER_RECORD)
