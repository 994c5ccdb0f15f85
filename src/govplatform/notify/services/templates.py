"""Templates: created and edited by staff, read by the API, versioned on every edit.

Every edit writes a new `TemplateVersion` in the same transaction as the
template row, so the version a notification was sent with can always be shown,
and the API's GET /v2/template/{id}/version/{v} reads the history directly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sqlalchemy import select

from govplatform.core.interfaces import N_, Actor, UnitOfWork, UserFacingError, utcnow
from govplatform.notify.interfaces import MessageTemplate
from govplatform.notify.models import Template, TemplateVersion
from govplatform.notify.templates import sms as sms_rules
from govplatform.notify.templates.placeholders import find_placeholders

TEMPLATE_TYPES = ("email", "sms", "letter")
POSTAGE = ("first", "second", "economy")


@dataclasses.dataclass(frozen=True)
class TemplateSnapshot:
    """A template at one version, detached from the session."""

    id: uuid.UUID
    service_id: uuid.UUID
    type: str
    name: str
    subject: str | None
    content: str
    postage: str | None
    letter_contact_block: str | None
    version: int
    archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime | None
    created_by: str

    @property
    def placeholders(self) -> list[str]:
        return find_placeholders(self.subject or "", self.content)


def _snapshot(row: Template | TemplateVersion, template_id: uuid.UUID) -> TemplateSnapshot:
    return TemplateSnapshot(
        id=template_id,
        service_id=row.service_id,
        type=row.type,
        name=row.name,
        subject=row.subject,
        content=row.content,
        postage=row.postage,
        letter_contact_block=row.letter_contact_block,
        version=row.version,
        archived=row.archived,
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
    )


def _checked(template_type: str, name: str, content: str, subject: str | None, postage: str | None) -> None:
    if template_type not in TEMPLATE_TYPES:
        raise UserFacingError(N_("Template type must be one of: %(types)s"), types=", ".join(TEMPLATE_TYPES))
    if not name.strip():
        raise UserFacingError(N_("Enter a template name"))
    if len(name) > 255:
        raise UserFacingError(N_("The template name must be 255 characters or fewer"))
    if not content.strip():
        raise UserFacingError(N_("Enter the message"))
    if template_type in ("email", "letter") and not (subject or "").strip():
        raise UserFacingError(N_("Enter a subject"))
    if template_type == "sms":
        count = len(sms_rules.sanitise_sms(content))
        if count > sms_rules.SMS_CHARACTER_LIMIT:
            raise UserFacingError(
                N_("Text messages cannot be longer than %(limit)s characters"), limit=sms_rules.SMS_CHARACTER_LIMIT
            )
    if postage is not None and postage not in POSTAGE:
        raise UserFacingError(N_("Postage must be one of: %(postage)s"), postage=", ".join(POSTAGE))


def _version_of(template: Template) -> TemplateVersion:
    return TemplateVersion(
        template_id=template.id,
        version=template.version,
        service_id=template.service_id,
        type=template.type,
        name=template.name,
        subject=template.subject,
        content=template.content,
        postage=template.postage,
        letter_contact_block=template.letter_contact_block,
        archived=template.archived,
        created_at=template.created_at,
        updated_at=template.updated_at,
        created_by=template.created_by,
    )


async def create_template(
    uow: UnitOfWork,
    actor: Actor,
    service_id: uuid.UUID,
    template_type: str,
    name: str,
    content: str,
    subject: str | None = None,
    postage: str | None = None,
    letter_contact_block: str | None = None,
) -> TemplateSnapshot:
    if template_type == "letter" and postage is None:
        postage = "second"
    _checked(template_type, name, content, subject, postage)
    template = Template(
        id=uuid.uuid4(),
        service_id=service_id,
        type=template_type,
        name=name.strip(),
        subject=subject.strip() if subject and template_type != "sms" else None,
        content=content,
        postage=postage if template_type == "letter" else None,
        letter_contact_block=letter_contact_block if template_type == "letter" else None,
        version=1,
        archived=False,
        created_at=utcnow(),
        updated_at=None,
        created_by=actor.label,
    )
    uow.session.add(template)
    uow.session.add(_version_of(template))
    return _snapshot(template, template.id)


async def update_template(
    uow: UnitOfWork,
    actor: Actor,
    service_id: uuid.UUID,
    template_id: uuid.UUID,
    name: str,
    content: str,
    subject: str | None = None,
    postage: str | None = None,
    letter_contact_block: str | None = None,
    archived: bool = False,
) -> TemplateSnapshot:
    """Save an edit as a new version; an edit that changes nothing makes no version."""
    template = await _row(uow, service_id, template_id)
    if template.type == "letter" and postage is None:
        postage = template.postage
    _checked(template.type, name, content, subject, postage)
    changes = {
        "name": name.strip(),
        "subject": subject.strip() if subject and template.type != "sms" else None,
        "content": content,
        "postage": postage if template.type == "letter" else None,
        "letter_contact_block": letter_contact_block if template.type == "letter" else None,
        "archived": archived,
    }
    if all(getattr(template, field) == value for field, value in changes.items()):
        return _snapshot(template, template.id)
    for field, value in changes.items():
        setattr(template, field, value)
    template.version += 1
    template.updated_at = utcnow()
    template.created_by = actor.label
    uow.session.add(_version_of(template))
    return _snapshot(template, template.id)


async def _row(uow: UnitOfWork, service_id: uuid.UUID, template_id: uuid.UUID) -> Template:
    template = await uow.session.get(Template, template_id)
    if template is None or template.service_id != service_id:
        raise LookupError("no such template")
    return template


async def get_template(
    uow: UnitOfWork, service_id: uuid.UUID, template_id: uuid.UUID, version: int | None = None
) -> TemplateSnapshot | None:
    """The template at its latest version, or at the version asked for; None if the service has no such one."""
    if version is None:
        template = await uow.session.get(Template, template_id)
        if template is None or template.service_id != service_id:
            return None
        return _snapshot(template, template_id)
    row = await uow.session.get(TemplateVersion, (template_id, version))
    if row is None or row.service_id != service_id:
        return None
    return _snapshot(row, template_id)


async def list_templates(
    uow: UnitOfWork, service_id: uuid.UUID, template_type: str | None = None, include_archived: bool = False
) -> list[TemplateSnapshot]:
    query = select(Template).where(Template.service_id == service_id).order_by(Template.created_at.desc())
    if template_type is not None:
        query = query.where(Template.type == template_type)
    if not include_archived:
        query = query.where(Template.archived.is_(False))
    return [_snapshot(row, row.id) for row in (await uow.session.scalars(query)).all()]


async def versions(uow: UnitOfWork, service_id: uuid.UUID, template_id: uuid.UUID) -> list[TemplateSnapshot]:
    query = (
        select(TemplateVersion)
        .where(TemplateVersion.template_id == template_id, TemplateVersion.service_id == service_id)
        .order_by(TemplateVersion.version.desc())
    )
    return [_snapshot(row, template_id) for row in (await uow.session.scalars(query)).all()]


def _offered(template: TemplateSnapshot) -> MessageTemplate:
    return MessageTemplate(
        template.id,
        template.service_id,
        template.type,
        template.name,
        template.subject,
        tuple(template.placeholders),
        template.version,
    )


class TemplateCatalogue:
    """Notify's `ServiceTemplates` (notify/interfaces.py), for higher components."""

    async def list_templates(
        self, uow: UnitOfWork, service_id: uuid.UUID, template_type: str | None = None
    ) -> list[MessageTemplate]:
        return [_offered(found) for found in await list_templates(uow, service_id, template_type)]

    async def get_template(
        self, uow: UnitOfWork, service_id: uuid.UUID, template_id: uuid.UUID
    ) -> MessageTemplate | None:
        found = await get_template(uow, service_id, template_id)
        return None if found is None or found.archived else _offered(found)
