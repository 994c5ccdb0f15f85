"""Letters to a print contractor: print runs into an outbox folder, response files from an inbox folder.

Letters are accepted as the API accepts them (Sender.accept with a live key on
a live service), printed with print_run into a tmp_path outbox, and read back
as the contractor would: manifest.csv and the PDFs, opened with pypdf.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from govplatform.core.interfaces import AuthenticatedKey, utcnow
from govplatform.core.outbound import OutboundGuard
from govplatform.core.platform import Platform
from govplatform.core.services.staff import ServiceDirectory
from govplatform.notify.models import Notification
from govplatform.notify.services import callbacks, letters, settings
from govplatform.notify.services.letters import PrintRunResult, ResponseResult, print_cutoff, print_run, read_responses
from govplatform.notify.services.sending import Sender, SendRequest
from govplatform.notify.services.templates import create_template
from govplatform.notify.templates.letter_pdf import render_letter_pdf
from govplatform.notify.templates.placeholders import Personalisation
from tests.helpers import CLI, service_with_org
from tests.outbound_support import public_dns

ADDRESS = {
    "address_line_1": "Mr A Resident",
    "address_line_2": "Flat 2, 10 High Street",
    "address_line_3": "Llangefni",
    "address_line_4": "ll77 7tw",
}
TODAY = dt.date(2026, 11, 26)
LETTER_BODY = "Dear ((name)),\n\nYour parking permit ((permit)) is ready to collect."


@dataclass
class LetterService:
    platform: Platform
    service_id: uuid.UUID
    template_id: uuid.UUID
    sender: Sender

    async def send(self, key_type: str = "normal", template_id: uuid.UUID | None = None, **values: str) -> uuid.UUID:
        async with self.platform.uow() as uow:
            service = await ServiceDirectory().describe(uow, self.service_id)
            assert service is not None
            key = AuthenticatedKey(uuid.uuid4(), "key", key_type, "notify", service)
            policy = await settings.policy_for(uow, self.service_id, service.name)
            personalisation = {**ADDRESS, "name": "Alys", "permit": "PX-1234", **values}
            request = SendRequest("letter", template_id or self.template_id, "", "", personalisation)
            accepted = await self.sender.accept(uow, key, policy, request)
            await uow.commit()
        return accepted.id

    async def template(self, content: str) -> uuid.UUID:
        async with self.platform.uow() as uow:
            template = await create_template(uow, CLI, self.service_id, "letter", "Letter", content, subject="Notice")
            await uow.commit()
        return template.id


@pytest.fixture
async def service(platform: Platform) -> LetterService:
    service_id = await service_with_org(platform)
    async with platform.uow() as uow:
        await settings.change_limits(uow, CLI, service_id, "Test service", live=True)
        template = await create_template(
            uow,
            CLI,
            service_id,
            "letter",
            "Parking permit ready",
            LETTER_BODY,
            subject="Your parking permit",
            letter_contact_block="Parking Services\nCouncil Offices\nLlangefni",
        )
        await uow.commit()
    sender = Sender(platform.cipher, ServiceDirectory(), "example.gov.uk")
    return LetterService(platform, service_id, template.id, sender)


async def run(platform: Platform, outbox: Path, cutoff: dt.datetime | None = None) -> PrintRunResult:
    async with platform.uow() as uow:
        result = await print_run(uow, platform.cipher, outbox, today=TODAY, cutoff=cutoff or utcnow())
        await uow.commit()
    return result


async def respond(platform: Platform, inbox: Path) -> ResponseResult:
    async with platform.uow() as uow:
        result = await read_responses(uow, inbox)
        await uow.commit()
    return result


async def notification(platform: Platform, notification_id: uuid.UUID) -> Notification:
    async with platform.uow() as uow:
        row = await uow.session.get(Notification, notification_id)
    assert row is not None
    return row


async def set_created_at(platform: Platform, notification_id: uuid.UUID, when: dt.datetime) -> None:
    async with platform.uow() as uow:
        await uow.session.execute(
            update(Notification).where(Notification.id == notification_id).values(created_at=when)
        )
        await uow.commit()


def manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.csv").open(newline="") as file:
        return list(csv.DictReader(file))


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def visible_runs(outbox: Path) -> list[str]:
    """What a contractor collecting the outbox sees: every folder not starting with "."."""
    return sorted(path.name for path in outbox.iterdir() if not path.name.startswith(".")) if outbox.exists() else []


def staged(outbox: Path) -> list[str]:
    staging = outbox / ".staging"
    return sorted(path.name for path in staging.iterdir()) if staging.exists() else []


def write_response(inbox: Path, name: str, text: str) -> Path:
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_text(text)
    return path


# --- the print deadline ------------------------------------------------------------------------


def test_the_cut_off_is_half_past_five_london_time_in_winter_and_in_summer() -> None:
    winter_evening = dt.datetime(2026, 11, 26, 18, 0, tzinfo=dt.UTC)
    summer_evening = dt.datetime(2026, 7, 1, 17, 0, tzinfo=dt.UTC)  # 18:00 BST
    assert print_cutoff(winter_evening) == dt.datetime(2026, 11, 26, 17, 30, tzinfo=dt.UTC)
    assert print_cutoff(summer_evening) == dt.datetime(2026, 7, 1, 16, 30, tzinfo=dt.UTC)


def test_a_run_before_half_past_five_london_time_takes_the_previous_days_cut_off() -> None:
    after_midnight = dt.datetime(2026, 7, 2, 0, 30, tzinfo=dt.UTC)  # 01:30 BST
    afternoon = dt.datetime(2026, 11, 26, 17, 29, tzinfo=dt.UTC)
    assert print_cutoff(after_midnight) == dt.datetime(2026, 7, 1, 16, 30, tzinfo=dt.UTC)
    assert print_cutoff(afternoon) == dt.datetime(2026, 11, 25, 17, 30, tzinfo=dt.UTC)


# --- print runs --------------------------------------------------------------------------------


async def test_a_print_run_writes_each_letter_as_a_pdf_with_its_address_and_a_manifest_row(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    first = await service.send()
    second = await service.send(name="Bryn", address_line_1="Ms B Neighbour")
    outbox = tmp_path / "outbox"

    result = await run(platform, outbox)

    assert result.run_id is not None and result.run_id.startswith("2026-11-26-")
    assert result.folder == outbox / result.run_id
    assert (result.letters, result.sheets, result.failed) == (2, 2, 0)
    assert visible_runs(outbox) == [result.run_id]
    text = pdf_text(result.folder / f"{first}.pdf")
    for expected in ("MR A RESIDENT", "FLAT 2, 10 HIGH STREET", "LLANGEFNI", "LL77 7TW"):
        assert expected in text
    assert "Your parking permit PX-1234 is ready to collect." in text
    assert "Parking Services" in text and "26 November 2026" in text
    assert "MS B NEIGHBOUR" in pdf_text(result.folder / f"{second}.pdf")
    assert manifest(result.folder) == [
        {
            "notification_id": str(letter),
            "service_id": str(service.service_id),
            "postage": "second",
            "pages": "1",
            "sheets": "1",
            "file": f"{letter}.pdf",
        }
        for letter in (first, second)
    ]
    assert sorted(path.name for path in result.folder.iterdir()) == sorted(
        ["manifest.csv", f"{first}.pdf", f"{second}.pdf"]
    )


async def test_printed_letters_become_sending_with_a_sheet_of_paper_billed_for_every_two_pages(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    three_pages = await service.template("Page one\n\n---\n\nPage two\n\n---\n\nPage three")
    letter = await service.send(template_id=three_pages)
    before = utcnow()

    result = await run(platform, tmp_path / "outbox")

    row = await notification(platform, letter)
    assert (row.status, row.sent_by, row.billable_units) == ("sending", "print", 2)
    assert row.provider_reference == result.run_id
    assert row.sent_at is not None and row.sent_at >= before
    assert row.completed_at is None
    assert result.folder is not None
    assert manifest(result.folder)[0]["pages"] == "3" and manifest(result.folder)[0]["sheets"] == "2"
    assert len(PdfReader(result.folder / f"{letter}.pdf").pages) == 3


async def test_a_second_run_prints_nothing_that_the_first_printed(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    await service.send()
    outbox = tmp_path / "outbox"
    first = await run(platform, outbox)

    second = await run(platform, outbox)

    assert (second.run_id, second.folder, second.letters) == (None, None, 0)
    assert visible_runs(outbox) == [first.run_id]


async def test_letters_sent_with_a_test_key_are_never_printed(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    test_letter = await service.send(key_type="test")
    live_letter = await service.send()

    result = await run(platform, tmp_path / "outbox")

    assert result.folder is not None
    assert [row["notification_id"] for row in manifest(result.folder)] == [str(live_letter)]
    assert not (result.folder / f"{test_letter}.pdf").exists()
    assert (await notification(platform, test_letter)).status == "created"


async def test_letters_created_after_the_cut_off_wait_for_the_next_run(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    cutoff = print_cutoff(dt.datetime(2026, 11, 26, 17, 50, tzinfo=dt.UTC))
    on_time, late = await service.send(), await service.send()
    await set_created_at(platform, on_time, cutoff - dt.timedelta(minutes=1))
    await set_created_at(platform, late, cutoff)
    outbox = tmp_path / "outbox"

    today = await run(platform, outbox, cutoff)
    tomorrow = await run(platform, outbox, cutoff + dt.timedelta(days=1))

    assert today.folder is not None and tomorrow.folder is not None
    assert [row["notification_id"] for row in manifest(today.folder)] == [str(on_time)]
    assert [row["notification_id"] for row in manifest(tomorrow.folder)] == [str(late)]


async def test_a_run_whose_unit_of_work_never_commits_leaves_no_folder_and_no_letter_sending(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    letter = await service.send()
    outbox = tmp_path / "outbox"

    with pytest.raises(RuntimeError, match="worker died"):
        async with platform.uow() as uow:
            result = await print_run(uow, platform.cipher, outbox, today=TODAY, cutoff=utcnow())
            assert result.letters == 1 and result.folder is not None
            assert not result.folder.exists(), "the run must not be visible before the commit"
            raise RuntimeError("worker died")

    assert visible_runs(outbox) == [] and staged(outbox) == []
    assert (await notification(platform, letter)).status == "created"
    retried = await run(platform, outbox)
    assert retried.letters == 1 and visible_runs(outbox) == [retried.run_id]


async def test_a_run_committed_but_not_yet_renamed_is_published_by_the_next_run(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    letter = await service.send()
    outbox = tmp_path / "outbox"
    first = await run(platform, outbox)
    assert first.run_id is not None and first.folder is not None
    # As if the process died between the commit and the rename.
    first.folder.rename(outbox / ".staging" / first.run_id)
    assert visible_runs(outbox) == []

    second = await run(platform, outbox)

    assert (second.recovered, second.letters) == (1, 0)
    assert visible_runs(outbox) == [first.run_id]
    assert [row["notification_id"] for row in manifest(first.folder)] == [str(letter)]


async def test_a_staged_run_whose_letters_never_committed_stays_hidden_until_it_is_cleared_away(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    leftover = outbox / ".staging" / "2026-11-25-deadbeef"
    leftover.mkdir(parents=True)
    (leftover / "manifest.csv").write_text("notification_id,service_id,postage,pages,sheets,file\r\n")

    await run(platform, outbox)
    assert staged(outbox) == ["2026-11-25-deadbeef"] and visible_runs(outbox) == []

    two_days_ago = (utcnow() - dt.timedelta(days=2)).timestamp()
    os.utime(leftover, (two_days_ago, two_days_ago))
    await run(platform, outbox)
    assert staged(outbox) == []


async def test_a_precompiled_letter_is_written_to_the_run_exactly_as_it_was_sent(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    pdf = render_letter_pdf(
        address_lines=["Own PDF", "1 Street", "SW1A 1AA"],
        subject="Made elsewhere",
        body="Body",
        personalisation=Personalisation({}),
        contact_block=None,
        logo_text=None,
        date=TODAY,
    )
    letter = await precompiled(platform, service.service_id, base64.b64encode(pdf).decode())

    result = await run(platform, tmp_path / "outbox")

    assert result.folder is not None
    assert (result.folder / f"{letter}.pdf").read_bytes() == pdf
    assert manifest(result.folder)[0]["postage"] == "first"
    assert (await notification(platform, letter)).status == "sending"


async def test_a_letter_that_cannot_be_printed_fails_alone_and_the_rest_are_printed(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    eleven_pages = await service.template("\n\n---\n\n".join(f"Page {n}" for n in range(1, 12)))
    too_long = await service.send(template_id=eleven_pages)
    without_pdf = await precompiled(platform, service.service_id, None)
    good = await service.send()

    result = await run(platform, tmp_path / "outbox")

    assert (result.letters, result.failed) == (1, 2)
    assert result.folder is not None
    assert [row["notification_id"] for row in manifest(result.folder)] == [str(good)]
    assert (await notification(platform, too_long)).status == "validation-failed"
    failed = await notification(platform, without_pdf)
    assert failed.status == "technical-failure" and failed.completed_at is not None


async def precompiled(platform: Platform, service_id: uuid.UUID, content: str | None) -> uuid.UUID:
    notification_id = uuid.uuid4()
    async with platform.uow() as uow:
        uow.session.add(
            Notification(
                id=notification_id,
                service_id=service_id,
                template_id=None,
                template_version=1,
                api_key_id=uuid.uuid4(),
                key_type="normal",
                type="letter",
                recipient="Own PDF",
                normalised_recipient="Own PDF",
                reference="precompiled-1",
                status="created",
                created_at=utcnow(),
                postage="first",
                document=None if content is None else platform.cipher.encrypt_text(content, str(notification_id)),
            )
        )
        await uow.commit()
    return notification_id


# --- response files ----------------------------------------------------------------------------


async def printed(platform: Platform, service: LetterService, tmp_path: Path, count: int) -> list[uuid.UUID]:
    sent = [await service.send() for _ in range(count)]
    await run(platform, tmp_path / "outbox")
    return sent


async def test_a_response_file_marks_letters_received_or_returned_and_moves_to_processed(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    received, returned = await printed(platform, service, tmp_path, 2)
    inbox = tmp_path / "inbox"
    yesterday = utcnow().date() - dt.timedelta(days=1)
    write_response(
        inbox, "response-1.csv", f"notification_id,status,date\n{received},received,\n{returned},returned,{yesterday}\n"
    )

    result = await respond(platform, inbox)

    assert (result.processed, result.rejected, result.received, result.returned) == (("response-1.csv",), (), 1, 1)
    assert result.unknown == () and result.unchanged == 0
    delivered, sent_back = await notification(platform, received), await notification(platform, returned)
    assert delivered.status == "delivered" and delivered.completed_at is not None
    assert sent_back.status == "returned-letter" and sent_back.completed_at is not None
    assert sent_back.sent_at is not None and sent_back.completed_at >= sent_back.sent_at
    assert sorted(path.name for path in inbox.iterdir()) == ["processed"]
    assert [path.name for path in (inbox / "processed").iterdir()] == ["response-1.csv"]


async def test_services_with_a_delivery_status_callback_hear_of_letters_received_returned_and_failed(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    async with platform.uow() as uow:
        await callbacks.set_callback(
            uow, platform.cipher, CLI, service.service_id, "delivery_status", "https://example.org/cb", "a-long-token",
            OutboundGuard(require_https=True, resolver=public_dns()),  # example.org as public DNS would answer
        )  # fmt: skip
        await uow.commit()
    received, returned = await service.send(), await service.send()
    failed = await precompiled(platform, service.service_id, None)
    await run(platform, tmp_path / "outbox")
    write_response(tmp_path / "inbox", "r.csv", f"notification_id,status\n{received},received\n{returned},returned\n")

    async with platform.uow() as uow:
        await read_responses(uow, tmp_path / "inbox", box=platform.cipher)
        await uow.commit()

    async with platform.uow() as uow:
        receipts = await callbacks.recent_deliveries(uow, service.service_id)
    assert sorted(str(receipt.subject_id) for receipt in receipts) == sorted(map(str, (failed, received, returned)))


async def test_a_response_file_without_a_date_column_is_read(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    (letter,) = await printed(platform, service, tmp_path, 1)
    write_response(tmp_path / "inbox", "r.csv", f"\ufeffNotification_ID, Status\r\n{letter}, RECEIVED\r\n")

    result = await respond(platform, tmp_path / "inbox")

    assert result.received == 1
    assert (await notification(platform, letter)).status == "delivered"


async def test_unknown_ids_are_counted_and_reported_and_the_rest_of_the_file_is_applied(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    (letter,) = await printed(platform, service, tmp_path, 1)
    never_printed = await service.send(key_type="test")
    stranger = uuid.uuid4()
    write_response(
        tmp_path / "inbox",
        "r.csv",
        f"notification_id,status\n{stranger},received\n{never_printed},returned\n{letter},received\n",
    )

    result = await respond(platform, tmp_path / "inbox")

    assert result.unknown == (str(stranger), str(never_printed))
    assert result.received == 1 and result.processed == ("r.csv",)
    assert (await notification(platform, letter)).status == "delivered"
    assert (await notification(platform, never_printed)).status == "created"


async def test_a_malformed_response_file_is_rejected_whole_with_the_wrong_lines_explained(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    good, other = await printed(platform, service, tmp_path, 2)
    inbox = tmp_path / "inbox"
    write_response(
        inbox,
        "bad.csv",
        f"notification_id,status,date\n{good},received,\n{other},posted,\nnot-an-id,returned,\n{good},received,26/11/2026\n",
    )

    result = await respond(platform, inbox)

    assert (result.rejected, result.processed, result.received) == (("bad.csv",), (), 0)
    assert (await notification(platform, good)).status == "sending"
    assert not (inbox / "bad.csv").exists() and (inbox / "rejected" / "bad.csv").exists()
    explanation = (inbox / "rejected" / "bad.csv.error.txt").read_text()
    assert "line 3: status must be received or returned, not 'posted'" in explanation
    assert "line 4: notification_id 'not-an-id' is not a notification ID" in explanation
    assert "line 5: date '26/11/2026' must be a date written YYYY-MM-DD" in explanation
    assert "line 2" not in explanation


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "line 1: the file is empty"),
        ("id,status\n", "line 1: unknown or repeated column"),
        ("notification_id,date\n", "line 1: a column is missing"),
        (f"notification_id,status\n{uuid.UUID(int=1)},received,extra\n", "line 2: expected 2 fields, found 3"),
        (f'notification_id,status\n{uuid.UUID(int=1)},"received\n', "line 2: unexpected end of data"),
        ("notification_id,status,date\n{id},received,2999-01-01\n", "not in the future"),
    ],
)
async def test_each_kind_of_malformed_file_is_rejected_with_its_line_number(
    platform: Platform, tmp_path: Path, content: str, problem: str
) -> None:
    inbox = tmp_path / "inbox"
    write_response(inbox, "r.csv", content.replace("{id}", str(uuid.UUID(int=1))))

    result = await respond(platform, inbox)

    assert result.rejected == ("r.csv",)
    assert problem in (inbox / "rejected" / "r.csv.error.txt").read_text()


async def test_a_response_file_is_moved_only_when_its_statuses_are_committed(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    (letter,) = await printed(platform, service, tmp_path, 1)
    inbox = tmp_path / "inbox"
    write_response(inbox, "r.csv", f"notification_id,status\n{letter},received\n")

    async with platform.uow() as uow:
        await read_responses(uow, inbox)  # never committed

    assert (inbox / "r.csv").exists()
    assert (await notification(platform, letter)).status == "sending"
    assert (await respond(platform, inbox)).received == 1
    assert (await respond(platform, inbox)).processed == ()


async def test_a_delivered_letter_can_later_be_returned_but_a_returned_one_is_never_received_again(
    platform: Platform, service: LetterService, tmp_path: Path
) -> None:
    first, second = await printed(platform, service, tmp_path, 2)
    inbox = tmp_path / "inbox"
    write_response(inbox, "day-1.csv", f"notification_id,status\n{first},received\n{second},returned\n")
    await respond(platform, inbox)
    write_response(inbox, "day-1.csv", f"notification_id,status\n{first},returned\n{second},received\n")

    result = await respond(platform, inbox)

    assert (result.returned, result.received, result.unchanged) == (1, 0, 1)
    assert (await notification(platform, first)).status == "returned-letter"
    assert (await notification(platform, second)).status == "returned-letter"
    assert sorted(path.name for path in (inbox / "processed").iterdir()) == ["day-1-2.csv", "day-1.csv"]


async def test_an_upload_still_in_progress_is_left_alone(platform: Platform, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_response(inbox, ".r.csv", "notification_id,sta")
    write_response(inbox, "r.csv.part", "notification_id,sta")

    result = await respond(platform, inbox)

    assert (result.processed, result.rejected) == ((), ())
    assert sorted(path.name for path in inbox.iterdir()) == [".r.csv", "r.csv.part"]


def test_the_manifest_columns_are_those_the_contractor_documentation_lists() -> None:
    documented = (Path(__file__).parents[3] / "docs" / "notify-letters.md").read_text()
    assert ",".join(letters.MANIFEST_COLUMNS) in documented
    assert "notification_id,status,date" in documented
