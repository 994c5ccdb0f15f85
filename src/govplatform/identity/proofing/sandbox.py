"""The sandbox identity checks: a real implementation of each check's interface that answers for documented,
invented test identities, as Pay's sandbox answers test card numbers. No real person's data: every name,
number and answer here was made up for the platform, and docs/identity-proofing.md lists them with the
outcome each reaches.

Anyone else is unknown to the sandbox, as a stranger is to a real source: their document is not found, no
questions can be asked, and the fraud check finds no record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from govplatform.identity.proofing.checks import (
    Address,
    Claimant,
    DocumentClaim,
    DocumentKind,
    DocumentResult,
    DocumentStatus,
    FraudIndicator,
    FraudResult,
    KnowledgeResult,
    Question,
    QuestionQuality,
)

MEDIUM, LOW = QuestionQuality.MEDIUM, QuestionQuality.LOW
QUESTIONS = {
    "bank": Question("bank", "Which of these banks do you have a current account with?",
                     "Gyda pha un o’r banciau hyn y mae gennych gyfrif cyfredol?",
                     ("Coastline Bank", "Hillside Building Society", "Riverside Bank", "None of these"), MEDIUM,
                     ("Coastline Bank", "Cymdeithas Adeiladu Hillside", "Riverside Bank", "Dim un o’r rhain")),
    "loan": Question("loan", "How much is the monthly payment on your loan?",
                     "Faint yw’r taliad misol ar eich benthyciad?",
                     ("Up to £100", "£101 to £250", "£251 to £500", "More than £500"), MEDIUM,
                     ("Hyd at £100", "£101 i £250", "£251 i £500", "Mwy na £500")),
    "phone": Question("phone", "In which year did you start your mobile phone contract?",
                      "Ym mha flwyddyn y dechreuoch chi eich contract ffôn symudol?",
                      ("2019", "2020", "2021", "2022"), MEDIUM),
    "street": Question("street", "Which of these streets have you lived on?",
                       "Ar ba un o’r strydoedd hyn rydych chi wedi byw?",
                       ("Quarry Lane", "Harbour Row", "Chapel Street", "None of these"), LOW,
                       ("Quarry Lane", "Harbour Row", "Chapel Street", "Dim un o’r rhain")),
    "town": Question("town", "Which of these towns have you lived in?",
                     "Ym mha un o’r trefi hyn rydych chi wedi byw?",
                     ("Aberdaron", "Llanfair", "Penrhos", "None of these"), LOW,
                     ("Aberdaron", "Llanfair", "Penrhos", "Dim un o’r rhain")),
    "moved": Question("moved", "In which year did you move to your current address?",
                      "Ym mha flwyddyn y symudoch chi i’ch cyfeiriad presennol?",
                      ("2015", "2017", "2019", "2021"), LOW),
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class SandboxIdentity:
    key: str
    outcome: str  # what the documented journey ends in, for docs and tests
    given_names: str
    surname: str
    birth_date: dt.date
    document: DocumentKind
    number: str
    expiry_date: dt.date
    document_status: DocumentStatus
    answers: dict[str, str]  # question id -> the right answer
    always_wrong: bool  # the knowledge source's record disagrees with whatever is answered
    fraud_found: bool
    indicators: tuple[FraudIndicator, ...]
    active_since: dt.date | None
    address: Address
    issue_number: str | None = None

    def is_claimant(self, claimant: Claimant) -> bool:
        return (
            claimant.surname.strip().lower() == self.surname.lower()
            and " ".join(claimant.given_names.lower().split()) == self.given_names.lower()
            and claimant.birth_date == self.birth_date
        )


_EXPIRES, _SINCE = dt.date(2034, 6, 30), dt.date(2009, 9, 1)
_MEDIUM_ANSWERS = {"bank": "Riverside Bank", "loan": "£101 to £250", "phone": "2021"}
IDENTITIES: tuple[SandboxIdentity, ...] = (
    SandboxIdentity("p2-passport", "P2 by a passport", "Alys", "Pennant", dt.date(1984, 5, 19),
                    DocumentKind.UK_PASSPORT, "530000101", _EXPIRES, DocumentStatus.VALID, _MEDIUM_ANSWERS, False,
                    True, (), _SINCE,
                    address=Address("7 Heol y Dderwen", "Llanfair", "ZZ99 1AP")),
    SandboxIdentity("p2-driving-licence", "P2 by a driving licence", "Bryn", "Howells", dt.date(1979, 11, 2),
                    DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE, "HOWEL711029B99XY", _EXPIRES, DocumentStatus.VALID,
                    {"bank": "Coastline Bank", "loan": "Up to £100", "phone": "2019"}, False, True, (), _SINCE,
                    issue_number="12",
                    address=Address("22 Ffordd yr Harbwr", "Aberdaron", "ZZ99 2BH")),
    SandboxIdentity("p1", "P1: a thin record (no credit history), so only low-quality questions", "Carys", "Lloyd",
                    dt.date(1992, 8, 23), DocumentKind.UK_PASSPORT, "530000202", _EXPIRES, DocumentStatus.VALID,
                    {"street": "Harbour Row", "town": "Penrhos", "moved": "2019"}, False, False, (), None,
                    address=Address("3 Stryd y Capel", "Penrhos", "ZZ99 3CL")),
    SandboxIdentity("document-fails", "Fails at the document check: the passport was reported stolen", "Dafydd",
                    "Price", dt.date(1970, 1, 30), DocumentKind.UK_PASSPORT, "530000303", _EXPIRES,
                    DocumentStatus.CANCELLED, _MEDIUM_ANSWERS, False, True, (), _SINCE,
                    address=Address("1 Lôn y Felin", "Llanfair", "ZZ99 4DP")),
    SandboxIdentity("knowledge-fails", "Fails at the knowledge check: no answer matches the record", "Efa",
                    "Roberts", dt.date(1988, 12, 12), DocumentKind.UK_PASSPORT, "530000404", _EXPIRES,
                    DocumentStatus.VALID, _MEDIUM_ANSWERS, True, True, (), _SINCE,
                    address=Address("9 Rhes y Cei", "Aberdaron", "ZZ99 5ER")),
    SandboxIdentity("fraud-flagged", "Flagged by the fraud check: the identity was reported stolen", "Ffion",
                    "Hughes", dt.date(1995, 4, 4), DocumentKind.UK_PASSPORT, "530000505", _EXPIRES,
                    DocumentStatus.VALID, _MEDIUM_ANSWERS, False, True, (FraudIndicator.IDENTITY_REPORTED_STOLEN,),
                    _SINCE,
                    address=Address("15 Heol y Bryn", "Penrhos", "ZZ99 6FH")),
)  # fmt: skip


def _identity_of(claimant: Claimant) -> SandboxIdentity | None:
    return next((known for known in IDENTITIES if known.is_claimant(claimant)), None)


class SandboxDocumentCheck:
    name = "sandbox"

    def __init__(self, source: str = "Sandbox document issuer") -> None:
        self.source = source

    async def handles(self, kind: DocumentKind) -> bool:
        return True

    async def check(self, claimant: Claimant, claim: DocumentClaim) -> DocumentResult:
        record = next((k for k in IDENTITIES if k.document is claim.kind and k.number == claim.number), None)
        if record is None:
            return DocumentResult(claim.kind, DocumentStatus.NOT_FOUND, reads_record=False)
        if not record.is_claimant(claimant) or claim.expiry_date != record.expiry_date:
            return DocumentResult(claim.kind, DocumentStatus.DETAILS_DIFFER, reads_record=True)
        if record.expiry_date < dt.date.today():
            return DocumentResult(claim.kind, DocumentStatus.EXPIRED, reads_record=True)
        if claim.issue_number is not None and record.issue_number not in (None, claim.issue_number):
            return DocumentResult(claim.kind, DocumentStatus.DETAILS_DIFFER, reads_record=True)
        return DocumentResult(claim.kind, record.document_status, reads_record=True)


class SandboxKnowledgeCheck:
    name = "sandbox"
    source = "Sandbox credit reference agency"

    async def questions(self, claimant: Claimant) -> tuple[Question, ...]:
        known = _identity_of(claimant)
        return tuple(QUESTIONS[question] for question in known.answers) if known else ()

    async def mark(self, claimant: Claimant, answers: dict[str, str]) -> KnowledgeResult:
        known = _identity_of(claimant)
        if known is None:
            return KnowledgeResult(0, 0, None, reads_record=False)
        asked = [QUESTIONS[question] for question in known.answers]
        right = 0 if known.always_wrong else sum(answers.get(q) == a for q, a in known.answers.items())
        lowest = LOW if any(question.quality is LOW for question in asked) else MEDIUM
        return KnowledgeResult(len(asked), right, lowest, reads_record=True)


class SandboxFraudCheck:
    name = "sandbox"
    source = "Sandbox fraud prevention service"

    async def check(self, claimant: Claimant) -> FraudResult:
        known = _identity_of(claimant)
        if known is None or (not known.fraud_found and not known.indicators):
            return FraudResult(False, (), None, reads_record=False)  # nothing held: no record read
        return FraudResult(True, known.indicators, known.active_since, reads_record=True,
                           address_confirmed=_same_address(claimant.address, known.address))  # fmt: skip


def _same_address(typed: Address | None, held: Address) -> bool:
    """The same first line, town and postcode, whatever the case, spacing and punctuation."""

    def plain(value: str) -> str:
        return " ".join("".join(c for c in value.lower() if c.isalnum() or c.isspace()).split())

    return typed is not None and all(plain(a) == plain(b) for a, b in zip(
        (typed.line_1, typed.town, typed.postcode), (held.line_1, held.town, held.postcode), strict=True))  # fmt: skip
