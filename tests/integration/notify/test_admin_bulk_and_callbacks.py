"""Notify's bulk sending and callbacks pages through the app: files uploaded as a browser sends them
(multipart/form-data), checked, kept encrypted, sent and followed; callbacks set, refused, removed and their
deliveries listed; and who may do which."""

from __future__ import annotations

import io
import os
import re
import time
import uuid
from pathlib import Path

import httpx
from openpyxl import Workbook
from sqlalchemy import func, select

from govplatform.core.interfaces import utcnow
from govplatform.core.models import Job
from govplatform.core.outbound import OutboundGuard
from govplatform.core.platform import Platform
from govplatform.notify.models import BulkChunk, BulkSend, CallbackDelivery, ServiceCallback
from govplatform.notify.services import bulk, callbacks
from govplatform.notify.services import settings as notify_settings
from tests.helpers import CLI, csrf_from, post_form
from tests.integration.notify.support import live_service, template
from tests.integration.notify.test_admin_pages import notify_path, signed_in_member
from tests.outbound_support import public_dns, use_guard

PUBLIC_DNS = OutboundGuard(require_https=True, resolver=public_dns())  # example.gov.uk as public DNS would answer
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
EMAIL = "Hello ((name)), your bin goes out on ((day))."
PEOPLE = b"email address,name,day\nada@example.com,Ada,Tuesday\nbob@example.com,Bob,Friday\ncy@example.com,Cy,Monday\n"


def uploads_dir(platform: Platform) -> Path:
    return platform.settings.var_dir / "notify" / "uploads"


def stored_uploads(platform: Platform) -> set[str]:
    folder = uploads_dir(platform)
    return {path.name for path in folder.iterdir()} if folder.is_dir() else set()


async def upload(
    client: httpx.AsyncClient,
    page: str,
    filename: str,
    data: bytes,
    content_type: str = "text/csv",
    token: str | None = None,
) -> httpx.Response:
    """Load the upload page (for its CSRF token), then post the file as a browser does: multipart/form-data."""
    shown = await client.get(page)
    fields = {"csrf_token": csrf_from(shown.text) if token is None else token}
    return await client.post(page, data=fields, files={"file": (filename, data, content_type)})


async def email_upload_page(
    platform: Platform, client: httpx.AsyncClient, role: str = "editor"
) -> tuple[uuid.UUID, str]:
    service_id = await live_service(platform)
    template_id = await template(platform, service_id, "email", EMAIL, "Bins on ((day))")
    await signed_in_member(platform, client, service_id, role)
    return service_id, f"{notify_path(service_id)}/templates/{template_id}/upload"


async def send(client: httpx.AsyncClient, check_page: str) -> httpx.Response:
    shown = await client.get(check_page)
    version = re.search(r'name="template_version" value="(\d+)"', shown.text)
    assert version, shown.text
    form = {"csrf_token": csrf_from(shown.text), "template_version": version.group(1)}
    return await client.post(f"{check_page}/send", data=form)


async def run_chunks(platform: Platform, bulk_send_id: str) -> int:
    """Do what the worker does with the bulk send's queued chunk jobs; returns how many there were."""
    async with platform.uow(read_only=True) as uow:
        jobs = (await uow.session.scalars(select(Job).where(Job.kind == bulk.CHUNK_TASK))).all()
    payloads = [job.payload for job in jobs if job.payload["bulk_send_id"] == bulk_send_id]
    for payload in payloads:
        async with platform.uow() as uow:
            await bulk.send_chunk(uow, platform.cipher, payload)
            await uow.commit()
    return len(payloads)


async def bulk_send_count(platform: Platform, service_id: uuid.UUID) -> int:
    async with platform.uow(read_only=True) as uow:
        return int(await uow.session.scalar(select(func.count()).where(BulkSend.service_id == service_id)) or 0)


# Bulk sending ----------------------------------------------------------------------------------------------------


async def test_an_editor_uploads_a_csv_checks_it_sends_it_and_sees_the_progress_page_say_finished(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id, page = await email_upload_page(platform, client)
    base = notify_path(service_id)
    template_page = (await client.get(page.removesuffix("/upload"))).text
    assert f'href="{page}"' in template_page and "Upload a list of recipients" in template_page
    form = (await client.get(page)).text
    assert 'enctype="multipart/form-data"' in form and "<code>email address</code>" in form
    assert "<code>name</code>" in form and "<code>day</code>" in form

    checked = await upload(client, page, "people.csv", PEOPLE)
    assert checked.status_code == 303, checked.text
    check_page = checked.headers["location"]
    upload_id = re.fullmatch(rf"{page}/({UUID})", check_page).group(1)
    sealed = (uploads_dir(platform) / upload_id).read_bytes()
    assert b"ada@example.com" not in sealed and b"Ada" not in sealed, "the file is kept encrypted"
    assert oct((uploads_dir(platform) / upload_id).stat().st_mode & 0o777) == "0o600"

    shown = (await client.get(check_page)).text
    assert "Check your file" in shown and "people.csv" in shown and "Send 3 messages" in shown
    assert "ada@example.com" in shown and "Hello Ada, your bin goes out on Tuesday." in shown

    sent = await send(client, check_page)
    assert sent.status_code == 303
    progress_page = sent.headers["location"]
    bulk_send_id = re.fullmatch(rf"{base}/bulk-sends/({UUID})", progress_page).group(1)
    assert upload_id not in stored_uploads(platform) and f"{upload_id}.sending" not in stored_uploads(platform)
    async with platform.uow(read_only=True) as uow:
        made = await uow.session.get(BulkSend, uuid.UUID(bulk_send_id))
        assert made is not None and (made.row_count, made.original_file_name) == (3, "people.csv")
    in_progress = (await client.get(progress_page)).text
    assert "In progress" in in_progress and "0 of 3" in in_progress and f'href="{progress_page}"' in in_progress
    assert 'http-equiv="refresh"' not in in_progress, "a timed refresh fails WCAG 2.2.1; the page has a button"

    assert await run_chunks(platform, bulk_send_id) == 1
    finished = (await client.get(progress_page)).text
    assert "Finished" in finished and "3 of 3" in finished and "In progress" not in finished
    listed = (await client.get(f"{base}/bulk-sends")).text
    assert f'href="{progress_page}">people.csv</a>' in listed and "email template" in listed

    gone = await client.get(check_page)
    assert gone.status_code == 410 and "Your file has expired or has already been sent" in gone.text
    token = csrf_from((await client.get(page)).text)
    resent = await client.post(f"{check_page}/send", data={"csrf_token": token, "template_version": "1"})
    assert resent.status_code == 410 and await bulk_send_count(platform, service_id) == 1, "sent once only"


async def test_an_xlsx_file_of_text_message_recipients_is_sent_like_a_csv(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await live_service(platform)
    template_id = await template(platform, service_id, "sms", "Your bin day is ((day))")
    await signed_in_member(platform, client, service_id, "editor")
    page = f"{notify_path(service_id)}/templates/{template_id}/upload"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["phone number", "day"], ["07700 900123", "Tuesday"], ["+447700900456", "Friday"]):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    checked = await upload(client, page, "phones.xlsx", buffer.getvalue(), xlsx)
    assert checked.status_code == 303, checked.text
    shown = (await client.get(checked.headers["location"])).text
    assert "Send 2 messages" in shown and "07700 900123" in shown and "Your bin day is Tuesday" in shown
    sent = await send(client, checked.headers["location"])
    bulk_send_id = sent.headers["location"].rsplit("/", 1)[1]
    async with platform.uow(read_only=True) as uow:
        chunks = await uow.session.scalar(select(func.count()).where(BulkChunk.bulk_send_id == uuid.UUID(bulk_send_id)))
    assert chunks == 1
    assert await run_chunks(platform, bulk_send_id) == 1
    assert "2 of 2" in (await client.get(sent.headers["location"])).text


async def test_a_file_with_bad_rows_gets_a_row_by_row_report_and_nothing_is_kept_or_sent(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id, page = await email_upload_page(platform, client)
    before = stored_uploads(platform)
    data = b"email address,name,day\nada@example.com,Ada,Tuesday\nnot-an-email,Bob,Friday\ncy@example.com,,Monday\n"
    report = await upload(client, page, "people.csv", data)
    assert report.status_code == 400
    assert "<title>Error: Your file has errors" in report.text and "There is a problem" in report.text
    assert '<a href="#file">2 rows of people.csv have errors</a>' in report.text
    rows = re.findall(r'<tr class="govuk-table__row">\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>([^<]+)</td>', report.text)
    assert rows == [("3", "Not a valid email address"), ("4", "Missing personalisation: name")]
    assert 'enctype="multipart/form-data"' in report.text, "the corrected file can be uploaded from the report"
    assert stored_uploads(platform) == before and await bulk_send_count(platform, service_id) == 0

    many = b"email address,name,day\n" + b"".join(b"bad%d,A,B\n" % i for i in range(600))
    long_report = await upload(client, page, "many.csv", many)
    assert long_report.status_code == 400 and "600 rows of many.csv have errors" in long_report.text
    assert long_report.text.count("Not a valid email address") == 500
    assert "100 more rows have errors that are not shown here." in long_report.text


async def test_an_unreadable_file_a_wrong_type_an_empty_file_and_no_file_each_get_a_clear_error(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id, page = await email_upload_page(platform, client)
    before = stored_uploads(platform)
    for filename, data, message in (
        ("broken.xlsx", b"PK\x03\x04 broken", "The file is not a spreadsheet Notify can read"),
        ("people.pdf", b"%PDF-1.7", "The file must be a CSV, TSV or XLSX spreadsheet"),
        ("empty.csv", b"", "The file is empty"),
        ("short.csv", b"email address,name\na@example.com,Ada\n", "The file is missing a column called: day"),
        ("", b"", "Select a CSV, TSV or XLSX file"),
    ):
        refused = await upload(client, page, filename, data)
        assert refused.status_code == 400, filename
        assert "<title>Error: Upload a list of recipients" in refused.text, filename
        assert f'<a href="#file">{message}</a>' in refused.text, filename
    assert stored_uploads(platform) == before and await bulk_send_count(platform, service_id) == 0


async def test_a_file_over_10mb_is_refused_and_only_the_upload_form_accepts_a_large_body(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id, page = await email_upload_page(platform, client)
    just_over = b"email address,name,day\n" + b"x" * (10 * 1024 * 1024)
    refused = await upload(client, page, "big.csv", just_over)
    assert refused.status_code == 400 and '<a href="#file">The file must be smaller than 10MB</a>' in refused.text
    far_over = await upload(client, page, "huge.csv", b"x" * (11 * 1024 * 1024))
    assert far_over.status_code == 413 and "The file must be smaller than 10MB" in far_over.text
    elsewhere = f"{notify_path(service_id)}/templates/new/email"
    token = csrf_from((await client.get(elsewhere)).text)
    large_form = await client.post(elsewhere, data={"csrf_token": token, "content": "x" * 2_000_000})
    assert large_form.status_code == 413, "the shell's 1,000,000-byte limit still holds everywhere else"


async def test_a_forged_upload_without_the_csrf_token_is_refused_and_nothing_is_kept(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id, page = await email_upload_page(platform, client)
    before = stored_uploads(platform)
    missing = await client.post(page, files={"file": ("people.csv", PEOPLE, "text/csv")})
    assert missing.status_code == 403 and "missing its security token" in missing.text
    wrong = await upload(client, page, "people.csv", PEOPLE, token="forged-" + "x" * 40)
    assert wrong.status_code == 403 and "security token was wrong" in wrong.text
    assert stored_uploads(platform) == before and await bulk_send_count(platform, service_id) == 0


async def test_a_viewer_sees_the_bulk_sends_but_cannot_upload_or_send(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id, page = await email_upload_page(platform, client, role="viewer")
    base = notify_path(service_id)
    assert (await client.get(f"{base}/bulk-sends")).status_code == 200
    assert "Upload a list of recipients" not in (await client.get(page.removesuffix("/upload"))).text
    assert (await client.get(page)).status_code == 403
    token = csrf_from((await client.get(f"{base}/bulk-sends")).text)
    assert (await upload(client, page, "people.csv", PEOPLE, token=token)).status_code == 403
    check_page = f"{page}/{uuid.uuid4()}"
    assert (await client.get(check_page)).status_code == 403
    sent = await client.post(f"{check_page}/send", data={"csrf_token": token, "template_version": "1"})
    assert sent.status_code == 403


async def test_an_upload_can_be_sent_only_by_the_person_who_uploaded_it(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id, page = await email_upload_page(platform, client)
    check_page = (await upload(client, page, "people.csv", PEOPLE)).headers["location"]
    client.cookies.clear()
    await signed_in_member(platform, client, service_id, "editor")
    assert (await client.get(check_page)).status_code == 410
    token = csrf_from((await client.get(page)).text)
    taken = await client.post(f"{check_page}/send", data={"csrf_token": token, "template_version": "1"})
    assert taken.status_code == 410 and await bulk_send_count(platform, service_id) == 0
    upload_id = check_page.rsplit("/", 1)[1]
    assert upload_id in stored_uploads(platform), "still there for the person who uploaded it"


async def test_a_send_over_the_daily_limit_is_refused_on_the_check_page_and_the_file_is_kept(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id, page = await email_upload_page(platform, client)
    async with platform.uow() as uow:
        await notify_settings.change_limits(uow, CLI, service_id, "Bin collections", daily_limits={"email": 2})
        await uow.commit()
    check_page = (await upload(client, page, "people.csv", PEOPLE)).headers["location"]
    refused = await send(client, check_page)
    assert refused.status_code == 400 and "<title>Error: Check your file" in refused.text
    assert (
        '<a href="#send">The messages could not be sent: Exceeded send limits (email: 2) for today</a>' in refused.text
    )
    assert check_page.rsplit("/", 1)[1] in stored_uploads(platform)
    assert await bulk_send_count(platform, service_id) == 0


async def test_a_template_changed_after_the_upload_must_be_checked_again_before_sending(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    _, page = await email_upload_page(platform, client)
    check_page = (await upload(client, page, "people.csv", PEOPLE)).headers["location"]
    token = csrf_from((await client.get(check_page)).text)
    edit = page.removesuffix("/upload") + "/edit"
    changed = {"name": "Bins", "subject": "Bins", "content": "Hi ((name)), bins on ((day)).", "action": "save"}
    assert (await post_form(client, edit, edit, changed)).status_code == 303
    stale = await client.post(f"{check_page}/send", data={"csrf_token": token, "template_version": "1"})
    assert stale.status_code == 400 and "<title>Error: Check your file" in stale.text
    assert '<a href="#send">The template has changed since you uploaded the file.' in stale.text
    assert "Hi Ada, bins on Tuesday." in stale.text, "the page now previews the new version"
    sent = await send(client, check_page)
    assert sent.status_code == 303
    async with platform.uow(read_only=True) as uow:
        made = await uow.session.get(BulkSend, uuid.UUID(sent.headers["location"].rsplit("/", 1)[1]))
    assert made is not None and made.template_version == 2


async def test_a_trial_mode_service_cannot_upload_letters_and_gets_row_errors_for_strangers(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await live_service(platform)
    async with platform.uow() as uow:
        await notify_settings.change_limits(uow, CLI, service_id, "Bin collections", live=False)
        await uow.commit()
    letter_id = await template(platform, service_id, "letter", "Dear ((name))", "Your permit")
    email_id = await template(platform, service_id, "email", EMAIL, "Bins")
    await signed_in_member(platform, client, service_id, "editor")
    base = notify_path(service_id)
    letter_page = f"{base}/templates/{letter_id}/upload"
    assert "only send messages to its team and guest list" in (await client.get(letter_page)).text
    letters = b"address line 1,address line 2,postcode,name\nA Person,1 High Street,SW1A 1AA,Ada\n"
    refused = await upload(client, letter_page, "letters.csv", letters)
    assert refused.status_code == 400 and "A service in trial mode cannot send letters" in refused.text
    report = await upload(client, f"{base}/templates/{email_id}/upload", "people.csv", PEOPLE)
    assert report.status_code == 400
    assert report.text.count("You cannot send to this recipient while the service is in trial mode") == 3


async def test_an_upload_older_than_an_hour_is_refused_and_removed_by_the_next_upload(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    _, page = await email_upload_page(platform, client)
    check_page = (await upload(client, page, "people.csv", PEOPLE)).headers["location"]
    old = uploads_dir(platform) / check_page.rsplit("/", 1)[1]
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert (await client.get(check_page)).status_code == 410
    assert (await upload(client, page, "people.csv", PEOPLE)).status_code == 303
    assert not old.exists()


async def test_a_member_of_another_service_sees_no_bulk_sends_or_callbacks_of_this_one(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id, page = await email_upload_page(platform, client)
    check_page = (await upload(client, page, "people.csv", PEOPLE)).headers["location"]
    progress_page = (await send(client, check_page)).headers["location"]
    other_id = await live_service(platform, "Other service")
    client.cookies.clear()
    await signed_in_member(platform, client, other_id, "admin")
    base = notify_path(service_id)
    for path in (page, f"{base}/bulk-sends", progress_page, f"{base}/callbacks", f"{base}/callbacks/delivery-receipts"):
        assert (await client.get(path)).status_code == 403, path
    own_progress = f"{notify_path(other_id)}/bulk-sends/{progress_page.rsplit('/', 1)[1]}"
    assert (await client.get(own_progress)).status_code == 404


# Callbacks --------------------------------------------------------------------------------------------------------


async def test_an_admin_sets_a_delivery_receipt_callback_and_its_token_is_never_shown(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    use_guard(platform, names=public_dns())  # example.gov.uk resolves as public DNS would answer
    service_id = await live_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    listing = f"{notify_path(service_id)}/callbacks"
    assert (await client.get(listing)).text.count("Not set: nothing is posted.") == 2
    form_page = f"{listing}/delivery-receipts"
    token = "a-secret-bearer-token-1234"
    saved = await post_form(
        client, form_page, form_page, {"url": "https://example.gov.uk/receipts", "bearer_token": token}
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{listing}?changed=1"
    shown = (await client.get(saved.headers["location"])).text
    assert "The callback has been saved" in shown and "https://example.gov.uk/receipts" in shown
    assert "Set (not shown)" in shown and token not in shown
    form = (await client.get(form_page)).text
    assert 'value="https://example.gov.uk/receipts"' in form and token not in form
    async with platform.uow(read_only=True) as uow:
        stored = (await callbacks.get_callbacks(uow, service_id))["delivery_status"]
    assert token not in stored.bearer_token, "stored encrypted"
    assert platform.cipher.decrypt_text(stored.bearer_token, str(stored.id)) == token


async def test_callback_errors_are_shown_against_their_fields_and_the_typed_token_is_not_sent_back(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    use_guard(platform, names=public_dns())
    service_id = await live_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    form_page = f"{notify_path(service_id)}/callbacks/received-text-messages"
    token = "a-secret-bearer-token-1234"
    bad_url = await post_form(client, form_page, form_page, {"url": "ftp://example.gov.uk", "bearer_token": token})
    assert bad_url.status_code == 400 and "<title>Error: Received text messages" in bad_url.text
    assert '<a href="#url">Enter a URL that starts with https://</a>' in bad_url.text
    assert 'value="ftp://example.gov.uk"' in bad_url.text and token not in bad_url.text
    short = await post_form(client, form_page, form_page, {"url": "https://example.gov.uk/in", "bearer_token": "short"})
    assert short.status_code == 400
    assert '<a href="#bearer_token">The bearer token must be at least 10 characters</a>' in short.text
    long_url = "https://example.gov.uk/" + "a" * 2000
    too_long = await post_form(client, form_page, form_page, {"url": long_url, "bearer_token": token})
    assert '<a href="#url">The URL must be 2,000 characters or fewer</a>' in too_long.text
    async with platform.uow(read_only=True) as uow:
        assert await callbacks.get_callbacks(uow, service_id) == {}
    assert (await client.get(f"{notify_path(service_id)}/callbacks/fax")).status_code == 404


async def test_an_admin_removes_a_callback(platform: Platform, client: httpx.AsyncClient) -> None:
    service_id = await live_service(platform)
    async with platform.uow() as uow:
        await callbacks.set_callback(
            uow, platform.cipher, CLI, service_id, "inbound_sms", "https://example.gov.uk/in", "x" * 12, PUBLIC_DNS
        )
        await uow.commit()
    await signed_in_member(platform, client, service_id, "admin")
    listing = f"{notify_path(service_id)}/callbacks"
    assert "https://example.gov.uk/in" in (await client.get(listing)).text
    removed = await post_form(client, listing, f"{listing}/received-text-messages/remove", {})
    assert removed.status_code == 303
    shown = (await client.get(removed.headers["location"])).text
    assert "The callback has been removed" in shown and "https://example.gov.uk/in" not in shown
    async with platform.uow(read_only=True) as uow:
        assert await callbacks.get_callbacks(uow, service_id) == {}


async def test_recent_callback_deliveries_are_listed_so_failures_show(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await live_service(platform)
    now = utcnow()
    async with platform.uow() as uow:
        uow.session.add_all(
            [
                CallbackDelivery(
                    id=uuid.uuid4(), service_id=service_id, callback_type="delivery_status", subject_id=uuid.uuid4(),
                    status="failed", attempts=6, last_status_code=500, last_error="the service answered 500",
                    created_at=now,
                ),
                CallbackDelivery(
                    id=uuid.uuid4(), service_id=service_id, callback_type="inbound_sms", subject_id=uuid.uuid4(),
                    status="sent", attempts=1, last_status_code=200, created_at=now,
                ),
            ]
        )  # fmt: skip
        await uow.commit()
    await signed_in_member(platform, client, service_id, "viewer")
    shown = (await client.get(f"{notify_path(service_id)}/callbacks")).text
    failed = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Delivery receipt(?:(?!</tr>).)*</tr>", shown, re.DOTALL).group(0)
    assert "Failed" in failed and ">6<" in failed and ">500<" in failed and "the service answered 500" in failed
    sent = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Received text message(?:(?!</tr>).)*</tr>", shown, re.DOTALL).group(0)
    assert "Sent" in sent and ">200<" in sent


async def test_viewers_and_editors_see_callbacks_but_only_admins_change_them(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await live_service(platform)
    async with platform.uow() as uow:
        await callbacks.set_callback(
            uow, platform.cipher, CLI, service_id, "delivery_status", "https://example.gov.uk/r", "x" * 12, PUBLIC_DNS
        )
        await uow.commit()
    listing = f"{notify_path(service_id)}/callbacks"
    for role in ("viewer", "editor"):
        client.cookies.clear()
        await signed_in_member(platform, client, service_id, role)
        shown = await client.get(listing)
        assert shown.status_code == 200 and "https://example.gov.uk/r" in shown.text
        assert "/callbacks/delivery-receipts" not in shown.text, "no change or remove for " + role
        assert (await client.get(f"{listing}/delivery-receipts")).status_code == 403
        data = {"url": "https://evil.example/", "bearer_token": "y" * 12}
        assert (await post_form(client, listing, f"{listing}/delivery-receipts", data)).status_code == 403
        assert (await post_form(client, listing, f"{listing}/delivery-receipts/remove", {})).status_code == 403
    async with platform.uow(read_only=True) as uow:
        row = await uow.session.scalar(select(ServiceCallback).where(ServiceCallback.service_id == service_id))
    assert row is not None and row.url == "https://example.gov.uk/r"


async def test_the_bulk_and_callback_pages_are_linked_from_the_service_and_are_in_welsh_when_asked(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await live_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    base = notify_path(service_id)
    service_page = (await client.get(f"/admin/services/{service_id}")).text
    assert f'href="{base}/bulk-sends"' in service_page and f'href="{base}/callbacks"' in service_page
    notify_nav = (await client.get(f"{base}/templates")).text
    assert f'href="{base}/bulk-sends"' in notify_nav and f'href="{base}/callbacks"' in notify_nav
    welsh = (await client.get(f"{base}/bulk-sends?lang=cy")).text
    assert '<h1 class="govuk-heading-l">Anfoniadau swmp</h1>' in welsh
    assert '<h1 class="govuk-heading-l">Galwadau yn ôl</h1>' in (await client.get(f"{base}/callbacks")).text
