"""The checks the journey uses, registered by the composition root (app.py): identity defines the interfaces
(checks.py) and never imports a provider from a component above it, so the exchange can add one that looks
records up in another public body's dataset (issue 18) by registering it here at start-up.

A document check registered later is asked first for the kinds it handles, so a real source registered
beside the sandbox takes over the documents it knows; the sandbox answers for the rest. `handles` is asked at
each try, not once at start-up, because whether a source can answer may change while the platform runs (the
exchange's check handles a document only while an agreement lets it ask).
"""

from __future__ import annotations

import dataclasses

from govplatform.identity.proofing.checks import DocumentCheck, DocumentKind, FraudCheck, KnowledgeCheck
from govplatform.identity.proofing.sandbox import SandboxDocumentCheck, SandboxFraudCheck, SandboxKnowledgeCheck


@dataclasses.dataclass
class ProofingChecks:
    knowledge: KnowledgeCheck
    fraud: FraudCheck
    documents: list[DocumentCheck] = dataclasses.field(default_factory=list)

    @classmethod
    def sandbox(cls) -> ProofingChecks:
        """The sandbox checks: the documented test identities (docs/identity-proofing.md), and no one else."""
        return cls(SandboxKnowledgeCheck(), SandboxFraudCheck(), [SandboxDocumentCheck()])

    def add_document_check(self, check: DocumentCheck) -> None:
        self.documents.insert(0, check)

    async def document_check(self, kind: DocumentKind) -> DocumentCheck | None:
        for check in self.documents:
            if await check.handles(kind):
                return check
        return None
