"""What higher components (forms, exchange) may use from notify: plain data types and protocols.

They import notify only through this module (an import-linter contract keeps
it so). To send from a service's template and read the message's status they
use core's `Messages`, naming the service (notify implements it); here they
find the templates a service has, to offer a choice and to know which
personalisation a template needs.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Protocol

from govplatform.core.interfaces import UnitOfWork

__all__ = ["MessageTemplate", "ServiceTemplates"]


@dataclasses.dataclass(frozen=True)
class MessageTemplate:
    """A service's template at its current version, as a caller choosing one sees it."""

    id: uuid.UUID
    service_id: uuid.UUID
    type: str  # email, sms, letter
    name: str
    subject: str | None
    placeholders: tuple[str, ...]  # what the personalisation must hold
    version: int


class ServiceTemplates(Protocol):
    """A service's live (not archived) templates; the composition root lends notify's implementation."""

    async def list_templates(
        self, uow: UnitOfWork, service_id: uuid.UUID, template_type: str | None = None
    ) -> list[MessageTemplate]: ...

    async def get_template(
        self, uow: UnitOfWork, service_id: uuid.UUID, template_id: uuid.UUID
    ) -> MessageTemplate | None:
        """The template, or None if the service has no such live template."""
        ...
