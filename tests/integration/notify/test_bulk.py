"""Bulk sending: a file is checked whole, then becomes exactly one notification per row."""

from __future__ import annotations

import io
import uuid

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from govplatform.app import register_components
from govplatform.core.interfaces import UserFacingError
from govplatform.core.models import Job
from govplatform.core.platform import Platform
from govplatform.notify.models import BulkChunk, BulkSend, Notification
from govplatform.notify.services import bulk, spreadsheets
from govplatform.notify.services import settings as notify_settings
from govplatform.notify.services.templates import TemplateSnapshot
from tests.helpers import CLI
from tests.integration.notify.support import live_service, template

EMAIL = "Hello ((name)), your bin goes out on ((day))."


async def email_template(platform: Platform) -> tuple[uuid.UUID, TemplateSnapshot]:
    service_id = await live_service(platform)
    template_id = await template(platform, service_id, "email", EMAIL, "Bins on ((day))")
    async with platform.uow(read_only=True) as uow:
        return service_id, await bulk.template_for(uow, service_id, template_id)


def csv_file(rows: list[str], header: str = "email address,name,day") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def check(data: bytes, found: TemplateSnapshot, filename: str = "people.csv") -> spreadsheets.CheckedFile:
    return spreadsheets.check_file(filename, data, found, sms_prefix=None, allowed=None)


async def test_every_row_is_checked_and_bad_rows_are_reported_by_spreadsheet_row_number(platform: Platform) -> None:
    _, found = await email_template(platform)
    data = csv_file(["a@example.com,Ada,Tuesday", "not-an-email,Bob,Friday", ",Cy,Monday", "d@example.com,,Monday"])
    checked = check(data, found)
    assert not checked.ok and len(checked.rows) == 1
    assert [(p.row, p.message) for p in checked.problems] == [
        (3, "Not a valid email address"),
        (4, "Not a valid email address"),
        (5, "Missing personalisation: name"),
    ]


async def test_columns_match_placeholders_the_way_notify_matches_them(platform: Platform) -> None:
    _, found = await email_template(platform)
    checked = check(csv_file(["a@example.com,Ada,Tuesday"], header="Email_Address, NAME ,Day"), found)
    assert checked.ok and checked.rows[0].personalisation == {"name": "Ada", "day": "Tuesday"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"email address,name\na@example.com,Ada\n", "The file is missing a column called: day"),
        (b"email address,name,day,Name\n", "The column Name appears twice"),
        (b"email address,name,day\n\n\n", "The file has no rows of recipients"),
    ],
)
async def test_a_file_that_cannot_be_sent_says_why(platform: Platform, data: bytes, message: str) -> None:
    _, found = await email_template(platform)
    with pytest.raises(UserFacingError, match=message):
        check(data, found)


async def test_an_xlsx_spreadsheet_is_read_like_a_csv(platform: Platform) -> None:
    _, found = await email_template(platform)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["email address", "name", "day"], ["a@example.com", "Ada", "Tuesday"], ["b@example.com", "Bo", 7]):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    checked = check(buffer.getvalue(), found, "people.xlsx")
    assert checked.ok and [row.personalisation["day"] for row in checked.rows] == ["Tuesday", "7"]
    with pytest.raises(UserFacingError, match="not a spreadsheet"):
        check(b"PK\x03\x04 broken", found, "broken.xlsx")


async def test_more_than_100000_rows_are_refused(platform: Platform) -> None:
    _, found = await email_template(platform)
    data = csv_file([f"p{i}@example.com,A,B" for i in range(100_001)])
    with pytest.raises(UserFacingError, match="too many rows"):
        check(data, found)


async def test_a_trial_mode_service_may_send_only_to_its_team_and_guest_list(platform: Platform) -> None:
    service_id, found = await email_template(platform)
    async with platform.uow() as uow:
        policy = await notify_settings.change_limits(uow, CLI, service_id, "Bin collections", live=False)
        await uow.commit()
    register_components(platform)
    async with platform.uow(read_only=True) as uow:
        allowed = await bulk.allowed_recipients(uow, platform.components["notify"].team, service_id, policy)
    assert allowed == set()
    checked = spreadsheets.check_file("f.csv", csv_file(["a@example.com,A,B"]), found, sms_prefix=None, allowed=allowed)
    assert [p.message for p in checked.problems] == [
        "You cannot send to this recipient while the service is in trial mode"
    ]


async def created(platform: Platform, rows: int) -> tuple[uuid.UUID, BulkSend]:
    service_id, found = await email_template(platform)
    checked = check(csv_file([f"person{i}@example.com,P{i},Tuesday" for i in range(rows)]), found)
    register_components(platform)
    notify = platform.components["notify"]
    async with platform.uow() as uow:
        policy = await notify_settings.policy_for(uow, service_id, "Bin collections")
        made = await bulk.create_bulk_send(uow, platform.cipher, notify.limits, CLI, policy, found, "p.csv", checked)
        await uow.commit()
    return service_id, made


async def test_each_row_becomes_exactly_one_notification_even_if_a_chunk_runs_twice(platform: Platform) -> None:
    service_id, made = await created(platform, 2500)
    async with platform.uow(read_only=True) as uow:
        chunks = (await uow.session.scalars(select(BulkChunk).where(BulkChunk.bulk_send_id == made.id))).all()
        assert [chunk.index for chunk in chunks] == [0, 1, 2]
        assert "person1@example.com" not in chunks[0].rows, "rows are stored encrypted"
    for index in (0, 1, 2, 1):
        async with platform.uow() as uow:
            await bulk.send_chunk(uow, platform.cipher, {"bulk_send_id": str(made.id), "index": index})
            await uow.commit()
    async with platform.uow(read_only=True) as uow:
        count = await uow.session.scalar(select(func.count()).where(Notification.job_id == made.id))
        rows = await uow.session.scalar(
            select(func.count(func.distinct(Notification.job_row_number))).where(Notification.job_id == made.id)
        )
        jobs = await uow.session.scalar(select(func.count()).where(Job.kind == "notify.deliver_email"))
        state = await bulk.progress(uow, service_id, made.id)
    assert count == rows == 2500 and jobs is not None and jobs >= 2500
    assert state is not None and (state.processed_rows, state.status) == (2500, "finished")


async def test_a_bulk_send_counts_against_the_daily_limit(platform: Platform) -> None:
    service_id, found = await email_template(platform)
    async with platform.uow() as uow:
        await notify_settings.change_limits(uow, CLI, service_id, "Bin collections", daily_limits={"email": 3})
        policy = await notify_settings.policy_for(uow, service_id, "Bin collections")
        await uow.commit()
    register_components(platform)
    notify = platform.components["notify"]
    checked = check(csv_file([f"p{i}@example.com,A,B" for i in range(4)]), found)
    async with platform.uow() as uow:
        with pytest.raises(Exception, match=r"Exceeded send limits \(email: 3\) for today"):
            await bulk.create_bulk_send(uow, platform.cipher, notify.limits, CLI, policy, found, "p.csv", checked)
