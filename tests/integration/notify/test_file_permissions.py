"""Notify's files of messages and letters are readable by their owner only (issue 13 fault 8).

The sandbox providers write each email and text message, with its recipient and
content, to files under var/notify; the print run writes each letter, with its
address, into the outbox. Each file is created 0600 and each folder the platform
creates 0700, whatever the umask (here 022, under which they came out readable
by every account on the machine).
"""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from govplatform.core.interfaces import AuthenticatedKey, utcnow
from govplatform.core.platform import Platform
from govplatform.core.services.staff import ServiceDirectory
from govplatform.notify.providers.base import EmailMessage, TextMessage
from govplatform.notify.providers.email_sandbox import SandboxEmailProvider
from govplatform.notify.providers.sms_sandbox import SandboxTextProvider
from govplatform.notify.services import settings
from govplatform.notify.services.letters import print_run
from govplatform.notify.services.sending import Sender, SendRequest
from govplatform.notify.services.templates import create_template
from tests.helpers import CLI, service_with_org


@pytest.fixture(autouse=True)
def umask_lets_everyone_read() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(folder: Path) -> dict[str, int]:
    """Every file and folder under ``folder`` (itself included, as "."), with its permission bits."""
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.stat().st_mode)
    return found


async def test_the_email_sandbox_writes_each_message_readable_by_its_owner_only(tmp_path: Path) -> None:
    notification_id = uuid.uuid4()
    message = EmailMessage(
        notification_id=notification_id,
        to="resident@example.com",
        from_address="Council <noreply@example.gov.uk>",
        subject="Your permit",
        html_body="<p>Your permit is ready.</p>",
        text_body="Your permit is ready.",
        message_id=f"{notification_id}@example.gov.uk",
    )
    await SandboxEmailProvider(tmp_path / "notify" / "email").send(message)
    assert modes(tmp_path / "notify") == {".": 0o700, "email": 0o700, f"email/{notification_id}.eml": 0o600}


async def test_the_text_message_sandbox_writes_its_file_readable_by_its_owner_only(tmp_path: Path) -> None:
    sandbox = SandboxTextProvider(tmp_path / "notify" / "sms.jsonl")
    await sandbox.send(TextMessage(notification_id=uuid.uuid4(), to="07700900123", sender="GOVUK", content="Hi"))
    assert modes(tmp_path / "notify") == {".": 0o700, "sms.jsonl": 0o600}


async def test_a_print_run_writes_letters_and_manifest_readable_by_their_owner_only(
    platform: Platform, tmp_path: Path
) -> None:
    service_id = await service_with_org(platform)
    async with platform.uow() as uow:
        await settings.change_limits(uow, CLI, service_id, "Test service", live=True)
        template = await create_template(uow, CLI, service_id, "letter", "Permit", "Dear ((name))", subject="Permit")
        service = await ServiceDirectory().describe(uow, service_id)
        assert service is not None
        policy = await settings.policy_for(uow, service_id, service.name)
        address = {"address_line_1": "A Resident", "address_line_2": "1 High Street", "address_line_3": "SW1A 1AA"}
        request = SendRequest("letter", template.id, "", "", {**address, "name": "Alys"})
        key = AuthenticatedKey(uuid.uuid4(), "key", "normal", "notify", service)
        accepted = await Sender(platform.cipher, ServiceDirectory(), "example.gov.uk").accept(uow, key, policy, request)
        await uow.commit()
    outbox = tmp_path / "letters" / "outbox"
    async with platform.uow() as uow:
        run = await print_run(uow, platform.cipher, outbox, today=utcnow().date(), cutoff=utcnow())
        await uow.commit()
    assert run.run_id is not None
    assert modes(tmp_path / "letters") == {
        ".": 0o700,
        "outbox": 0o700,
        "outbox/.staging": 0o700,
        f"outbox/{run.run_id}": 0o700,
        f"outbox/{run.run_id}/{accepted.id}.pdf": 0o600,
        f"outbox/{run.run_id}/manifest.csv": 0o600,
    }
