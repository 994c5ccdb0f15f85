"""What higher components see of notify (notify/interfaces.py): a service's live templates and what they need."""

from __future__ import annotations

from govplatform.core.platform import Platform
from govplatform.notify.interfaces import ServiceTemplates
from govplatform.notify.services import templates
from tests.helpers import CLI
from tests.integration.notify.support import live_service


async def test_a_higher_component_lists_a_services_live_templates_with_the_personalisation_each_needs(
    platform: Platform,
) -> None:
    ours = await live_service(platform, "Parking permits")
    theirs = await live_service(platform, "Bins")
    catalogue: ServiceTemplates = platform.components["notify.templates"]
    async with platform.uow() as uow:
        receipt = await templates.create_template(
            uow, CLI, ours, "email", "Receipt", "Dear ((name)), you paid ((amount)).", "Paid"
        )
        text = await templates.create_template(uow, CLI, ours, "sms", "Reminder", "Your permit ends ((date))")
        old = await templates.create_template(uow, CLI, ours, "email", "Old", "Gone", "Gone")
        await templates.update_template(uow, CLI, ours, old.id, "Old", "Gone", "Gone", archived=True)
        other = await templates.create_template(uow, CLI, theirs, "email", "Bins", "Bins", "Bins")
        await uow.commit()
    async with platform.uow(read_only=True) as uow:
        listed = await catalogue.list_templates(uow, ours)
        emails = await catalogue.list_templates(uow, ours, "email")
        found = await catalogue.get_template(uow, ours, receipt.id)
        archived = await catalogue.get_template(uow, ours, old.id)
        not_ours = await catalogue.get_template(uow, ours, other.id)
    assert {template.id for template in listed} == {receipt.id, text.id}
    assert [template.id for template in emails] == [receipt.id]
    assert found is not None and found.placeholders == ("name", "amount") and found.subject == "Paid"
    assert archived is None and not_ours is None
