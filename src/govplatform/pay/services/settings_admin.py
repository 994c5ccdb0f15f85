"""A service's payment settings as its admins change them: checked, saved and audited.

`services.settings.change` stores them; this checks what was typed first.
The names are what the payment pages show in their header (English, and
Welsh for payments made in Welsh). Each return URL rule is a prefix that a
live payment's return_url must start with, one a line; a rule must itself be
an https URL, because a rule like "http" or "h" would let any address through.
"""

from __future__ import annotations

import dataclasses
import uuid
from urllib.parse import urlsplit

from govplatform.core.interfaces import N_, Actor, UnitOfWork, record_audit
from govplatform.pay.models import PaySettings
from govplatform.pay.services import settings
from govplatform.pay.services.problems import Problem

NAME_MAX = 255
RULE_MAX = 2000
RULES_MAX = 50


@dataclasses.dataclass(frozen=True)
class ChosenSettings:
    name_en: str
    name_cy: str
    return_url_prefixes: str


def check_settings(name_en: str, name_cy: str, return_url_prefixes: str) -> tuple[ChosenSettings | None, list[Problem]]:
    problems: list[Problem] = []
    name_en, name_cy = name_en.strip(), name_cy.strip()
    for field, value in (("name_en", name_en), ("name_cy", name_cy)):
        if len(value) > NAME_MAX:
            problems.append(Problem(field, N_("The name must be 255 characters or fewer")))
    rules = [line.strip() for line in return_url_prefixes.splitlines() if line.strip()]
    if len(rules) > RULES_MAX:
        problems.append(Problem("return_url_prefixes", N_("Enter no more than 50 return URL rules")))
    for rule in rules:
        parts = urlsplit(rule) if len(rule) <= RULE_MAX else None
        if parts is None or parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
            problems.append(
                Problem(
                    "return_url_prefixes",
                    N_("Each return URL rule must be an address that starts with https://, not %(rule)s"),
                    {"rule": rule[:100]},
                )
            )
            break
    if problems:
        return None, problems
    return ChosenSettings(name_en, name_cy, "\n".join(rules)), []


async def save_settings(uow: UnitOfWork, actor: Actor, service_id: uuid.UUID, chosen: ChosenSettings) -> PaySettings:
    saved = await settings.change(
        uow,
        service_id,
        name_en=chosen.name_en,
        name_cy=chosen.name_cy,
        return_url_prefixes=chosen.return_url_prefixes,
    )
    record_audit(
        uow,
        actor,
        "pay.settings_changed",
        "service",
        service_id,
        service_id,
        return_url_rules=len(settings.return_url_prefixes(saved)),
    )
    return saved
