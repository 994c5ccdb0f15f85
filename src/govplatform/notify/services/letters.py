"""Letters to a print contractor: the nightly print run, and the contractor's response files.

Notify hands letters to DVLA once a day: every live letter still "created"
at the 17:30 (London) deadline is collected, sent, and marked "sending"
(notifications-api ``collate_letter_pdfs_to_be_sent``,
``dao_get_letters_to_be_printed``, ``update_letter_notifications_to_sent_to_dvla``);
a response file later marks each one "delivered", and Royal Mail's
returned-letter list marks it "returned-letter" (``update_letter_notifications_statuses``,
``process_returned_letters_list``). Here the contractor collects folders by
SFTP instead, and the folders are the whole interface (docs/notify-letters.md):

    outbox/
      .staging/<run id>/            being written, or waiting for its commit: never collect
      2026-11-26-3f9c2a1b/          one complete run, collected by the contractor
        manifest.csv                notification_id,service_id,postage,pages,sheets,file
        <notification id>.pdf       one A4 PDF per letter, printed double-sided
    inbox/
      <any name>.csv                a response file: notification_id,status[,date]
      processed/                    response files applied (never read again)
      rejected/<name>, <name>.error.txt    a malformed file, and which lines are wrong

Files follow the database, never lead it. A run is written under
``.staging`` and renamed into the outbox only when the unit of work that
marks its letters "sending" commits; if it rolls back the staging folder is
deleted, so a crash leaves no half run visible and no letter marked sending.
If the process dies between the commit and the rename, the next run finds
the staged folder, sees its letters committed (their ``provider_reference``
is the run id) and publishes it. A response file likewise moves to
``processed/`` only after its statuses commit; re-reading one is harmless,
because a letter only ever moves forward (sending -> delivered -> returned-letter).

Manifests are CSV as RFC 4180 describes (header row, CRLF line ends, UTF-8).
"""

from __future__ import annotations

import asyncio
import base64
import csv
import dataclasses
import datetime as dt
import io
import json
import math
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction, defer

from govplatform.core.interfaces import (
    ParseLimits,
    ParseStopped,
    SecretBox,
    UnitOfWork,
    open_private,
    parse_untrusted,
    private_folder,
    untrusted_parser,
    utcnow,
)
from govplatform.notify.models import Notification
from govplatform.notify.services import callbacks
from govplatform.notify.services.templates import TemplateSnapshot, get_template
from govplatform.notify.templates import precompiled
from govplatform.notify.templates.letter import PostalAddress
from govplatform.notify.templates.letter_pdf import page_count, render_letter_pdf
from govplatform.notify.templates.placeholders import Personalisation
from govplatform.notify.templates.precompiled import LETTER_MAX_PAGE_COUNT

log = structlog.get_logger("govplatform.notify.letters")

LONDON = ZoneInfo("Europe/London")
PRINT_DEADLINE = dt.time(17, 30)  # notifications-utils letter_timings.LETTER_PROCESSING_DEADLINE
PROVIDER = "print"
MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("notification_id", "service_id", "postage", "pages", "sheets", "file")
STAGING = ".staging"
STALE_STAGING = dt.timedelta(days=1)
RESPONSE_COLUMNS = ("notification_id", "status", "date")
RESPONSE_STATUSES = {"received": "delivered", "returned": "returned-letter"}
# Letters only move forward: Royal Mail can return a letter already dispatched, never the reverse.
FORWARD = {"sending": {"delivered", "returned-letter"}, "delivered": {"returned-letter"}}
PROCESSED = "processed"
REJECTED = "rejected"
BATCH = 200
# A day's response file of 100,000 letters reads in about a second of CPU and under 200 MB (measured).
RESPONSE_LIMITS = ParseLimits(cpu_seconds=60, memory_bytes=512 * 1024 * 1024, wall_seconds=120)

T = TypeVar("T")


def print_cutoff(now: dt.datetime) -> dt.datetime:
    """The latest 17:30 London time at or before ``now``, in UTC: letters created before it are due.

    As Notify's collation task: run after the deadline it takes today's
    letters; run before it (after midnight, say) it takes yesterday's.
    """
    local = now.astimezone(LONDON)
    day = local.date() if local.time() >= PRINT_DEADLINE else local.date() - dt.timedelta(days=1)
    return dt.datetime.combine(day, PRINT_DEADLINE, tzinfo=LONDON).astimezone(dt.UTC)


@dataclasses.dataclass(frozen=True)
class PrintRunResult:
    run_id: str | None  # None when no letter was due
    folder: Path | None  # where the run appears once the unit of work commits
    letters: int  # letters in the run
    sheets: int
    failed: int  # letters that could not be printed (technical-failure or validation-failed)
    recovered: int = 0  # earlier runs published now, after a crash between their commit and rename


@dataclasses.dataclass(frozen=True)
class ResponseResult:
    processed: tuple[str, ...]  # file names applied (moved to processed/ on commit)
    rejected: tuple[str, ...]  # file names moved to rejected/
    received: int
    returned: int
    unchanged: int  # letters the response could not move forward (already settled)
    unknown: tuple[str, ...]  # ids that match no printed letter


class _Unprintable(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status


async def print_run(
    uow: UnitOfWork, box: SecretBox, outbox: Path, *, today: dt.date, cutoff: dt.datetime
) -> PrintRunResult:
    """Write every due letter into a new run folder and mark it sending; the folder appears on commit."""
    recovered = await _recover_staged_runs(uow, outbox)
    due = await _due_letters(uow, cutoff)
    if not due:
        return PrintRunResult(None, None, 0, 0, 0, recovered)
    run_id = f"{today.isoformat()}-{uuid.uuid4().hex[:8]}"
    staging, folder = outbox / STAGING / run_id, outbox / run_id
    await asyncio.to_thread(private_folder, staging)  # letters carry names and addresses: 0700, files 0600
    _after_unit_of_work(
        uow, committed=lambda: _publish(staging, folder), abandoned=lambda: shutil.rmtree(staging, ignore_errors=True)
    )
    templates: dict[tuple[uuid.UUID, int], TemplateSnapshot | None] = {}
    manifest: list[tuple[str, ...]] = []
    sheets = failed = 0
    now = utcnow()
    for ids in _chunks(due, BATCH):
        # Loaded a batch at a time: precompiled letters carry their whole PDF.
        rows = (await uow.session.scalars(select(Notification).where(Notification.id.in_(ids)))).all()
        for row in sorted(rows, key=lambda row: (row.created_at, row.id)):
            row.updated_at = now
            try:
                template = await _template(uow, row, templates)
                sealed = row.document if template is None else row.personalisation
                pdf, pages = await asyncio.to_thread(_letter, box, row.id, sealed, template, today)
                if pages is None:  # the service's own PDF: read in a separate process, with limits
                    pages = await _precompiled_pages(pdf)
                await asyncio.to_thread(_write_letter, staging, row.id, pdf, pages)
            except _Unprintable as problem:
                row.status, row.completed_at = problem.status, now
                await callbacks.status_changed(uow, box, row)
                failed += 1
                log.warning(
                    "letters.unprintable", notification_id=str(row.id), status=problem.status, reason=str(problem)
                )
                continue
            row.status, row.sent_at, row.sent_by, row.provider_reference = "sending", now, PROVIDER, run_id
            row.billable_units = math.ceil(pages / 2)  # printed double-sided
            sheets += row.billable_units
            manifest.append(
                (
                    str(row.id),
                    str(row.service_id),
                    row.postage or "",
                    str(pages),
                    str(row.billable_units),
                    f"{row.id}.pdf",
                )
            )
        await uow.session.flush()
        for row in rows:
            uow.session.expunge(row)
    await asyncio.to_thread(_write_manifest, staging, manifest)
    log.info("letters.print_run", run_id=run_id, letters=len(manifest), sheets=sheets, failed=failed)
    return PrintRunResult(run_id, folder, len(manifest), sheets, failed, recovered)


async def _due_letters(uow: UnitOfWork, cutoff: dt.datetime) -> list[uuid.UUID]:
    query = (
        select(Notification.id)
        .where(
            Notification.type == "letter",
            Notification.status == "created",
            Notification.key_type != "test",
            Notification.created_at < cutoff,
        )
        .order_by(Notification.created_at, Notification.id)
        # Two runs at once (PostgreSQL) take different letters; SQLite has one writer anyway.
        .with_for_update(skip_locked=True)
    )
    return list((await uow.session.scalars(query)).all())


async def _template(
    uow: UnitOfWork, row: Notification, cache: dict[tuple[uuid.UUID, int], TemplateSnapshot | None]
) -> TemplateSnapshot | None:
    if row.template_id is None:
        return None  # precompiled
    key = (row.template_id, row.template_version)
    if key not in cache:
        cache[key] = await get_template(uow, row.service_id, row.template_id, row.template_version)
    if cache[key] is None:
        raise _Unprintable("technical-failure", "the template version is gone")
    return cache[key]


def _letter(
    box: SecretBox,
    notification_id: uuid.UUID,
    sealed: str | None,
    template: TemplateSnapshot | None,
    today: dt.date,
) -> tuple[bytes, int | None]:
    """One letter's PDF and, for a templated letter, its page count (None for a precompiled one).

    ``sealed`` is the encrypted personalisation, or for a precompiled letter its encrypted PDF.
    Runs in a thread, so a long run does not hold up the worker's other jobs.
    """
    try:
        pdf = letter_pdf(box, notification_id, sealed, template, today)
        return pdf, page_count(pdf) if template is not None else None
    except _Unprintable:
        raise
    except Exception as error:
        # Notify fails one letter it cannot render (technical-failure) and posts the rest.
        # Only the type is kept: messages may quote the letter's personal data.
        raise _Unprintable("technical-failure", type(error).__name__) from error


async def _precompiled_pages(pdf: bytes) -> int:
    try:
        return await parse_untrusted(precompiled.count_pages, pdf, limits=precompiled.LIMITS)
    except (ParseStopped, precompiled.PrecompiledLetterError) as error:
        # Read when it was accepted, so this is rare: Notify's sanitise step fails such a letter.
        raise _Unprintable("validation-failed", type(error).__name__) from None


def _write_letter(staging: Path, notification_id: uuid.UUID, pdf: bytes, pages: int) -> None:
    """Put one printable letter in the staging folder."""
    if pages > LETTER_MAX_PAGE_COUNT:
        # Notify's update_validation_failed_for_templated_letter: too long to print.
        raise _Unprintable("validation-failed", f"{pages} pages")
    _write_durably(staging / f"{notification_id}.pdf", pdf)


def letter_pdf(
    box: SecretBox, notification_id: uuid.UUID, sealed: str | None, template: TemplateSnapshot | None, today: dt.date
) -> bytes:
    """The letter as printed: rendered from its template version and personalisation, or its own PDF."""
    if template is None:
        if not sealed:
            raise _Unprintable("technical-failure", "the precompiled letter has no PDF")
        # Lenient, as validate_precompiled decoded it when the letter was accepted.
        return base64.b64decode(box.decrypt_text(sealed, str(notification_id)))
    values = json.loads(box.decrypt_text(sealed, str(notification_id))) if sealed else {}
    return render_letter_pdf(
        address_lines=PostalAddress.from_personalisation(values, allow_international=True).lines,
        subject=template.subject or "",
        body=template.content,
        personalisation=Personalisation(values),
        contact_block=template.letter_contact_block,
        logo_text=None,
        date=today,
    )


def _write_manifest(staging: Path, rows: Sequence[tuple[str, ...]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(MANIFEST_COLUMNS)
    writer.writerows(rows)
    _write_durably(staging / MANIFEST, text.getvalue().encode())
    _sync_directory(staging)


def _write_durably(path: Path, data: bytes) -> None:
    with open_private(path, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _sync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _publish(staging: Path, folder: Path) -> None:
    """Rename a committed run into the outbox, where the contractor sees it whole or not at all."""
    try:
        staging.rename(folder)
        _sync_directory(folder.parent)
    except FileNotFoundError:
        if not folder.is_dir():
            log.error("letters.publish_failed", run_id=folder.name, error="FileNotFoundError")
    except OSError as error:
        # The letters are committed as sending; the next run's recovery publishes the folder.
        log.error("letters.publish_failed", run_id=folder.name, error=type(error).__name__)


async def _recover_staged_runs(uow: UnitOfWork, outbox: Path) -> int:
    """Publish staged runs whose letters committed; delete day-old ones whose letters never did."""
    recovered = 0
    for staged, modified in await asyncio.to_thread(_staged_runs, outbox / STAGING):
        committed = await uow.session.scalar(
            select(Notification.id)
            .where(Notification.provider_reference == staged.name, Notification.sent_by == PROVIDER)
            .limit(1)
        )
        if committed is not None:
            log.warning("letters.run_recovered", run_id=staged.name)
            await asyncio.to_thread(_publish, staged, outbox / staged.name)
            recovered += 1
        elif utcnow() - modified > STALE_STAGING:
            # Not committed, and no run could still be writing it: a crash's leftover.
            await asyncio.to_thread(shutil.rmtree, staged, ignore_errors=True)
    return recovered


def _staged_runs(staging_root: Path) -> list[tuple[Path, dt.datetime]]:
    if not staging_root.is_dir():
        return []
    folders = sorted(path for path in staging_root.iterdir() if path.is_dir())
    return [(path, dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)) for path in folders]


def _after_unit_of_work(uow: UnitOfWork, *, committed: Callable[[], None], abandoned: Callable[[], None]) -> None:
    """Run ``committed`` once the unit of work commits, or ``abandoned`` if it ends any other way."""
    settled = False

    def on_commit(_session: Session) -> None:
        nonlocal settled
        if not settled:
            settled = True
            committed()

    def on_end(_session: Session, transaction: SessionTransaction) -> None:
        nonlocal settled
        if transaction.parent is None and not settled:  # the outermost transaction, not a SAVEPOINT
            settled = True
            abandoned()

    session = uow.session.sync_session
    event.listen(session, "after_commit", on_commit)
    event.listen(session, "after_transaction_end", on_end)


# Response files ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Response:
    notification_id: uuid.UUID
    status: str  # delivered or returned-letter
    on: dt.date | None


async def read_responses(uow: UnitOfWork, inbox: Path, *, box: SecretBox | None = None) -> ResponseResult:
    """Apply every response file in the inbox; a malformed file is rejected whole, with its reasons.

    With ``box`` (the component's), services that set a delivery-status callback are sent
    a receipt for each letter received or returned, as for every other final status.
    """
    now = utcnow()
    today = now.astimezone(LONDON).date()
    files = await asyncio.to_thread(_response_files, inbox)
    processed: list[Path] = []
    rejected: list[str] = []
    received = returned = unchanged = 0
    unknown: list[str] = []
    for path in files:
        responses, problems = await _read_response_file(path, today)
        if problems:
            await asyncio.to_thread(_reject, inbox, path, problems)
            rejected.append(path.name)
            log.warning("letters.response_rejected", file=path.name, problems=len(problems))
            continue
        rows = await _printed_letters(uow, {response.notification_id for response in responses})
        for response in responses:
            row = rows.get(response.notification_id)
            if row is None:
                unknown.append(str(response.notification_id))
            elif response.status in FORWARD.get(row.status, set()):
                row.status, row.updated_at = response.status, now
                row.completed_at = _completed_at(row, response.on, now)
                if box is not None:
                    await callbacks.status_changed(uow, box, row)
                received += response.status == "delivered"
                returned += response.status == "returned-letter"
            else:
                unchanged += 1
        processed.append(path)
        log.info("letters.response_read", file=path.name, letters=len(responses))
    if processed:
        _after_unit_of_work(uow, committed=lambda: _move_all(processed, inbox / PROCESSED), abandoned=lambda: None)
    return ResponseResult(
        tuple(path.name for path in processed), tuple(rejected), received, returned, unchanged, tuple(unknown)
    )


def _response_files(inbox: Path) -> list[Path]:
    # A name starting with "." is an upload still in progress (docs/notify-letters.md).
    if not inbox.is_dir():
        return []
    return sorted(
        path
        for path in inbox.iterdir()
        if path.is_file() and path.suffix.lower() == ".csv" and not path.name.startswith(".")
    )


async def _read_response_file(path: Path, today: dt.date) -> tuple[list[_Response], list[str]]:
    """A response file is the contractor's: read in a separate process, with limits (core's parse_untrusted)."""
    try:
        return await parse_untrusted(_parse_response_file, path, today, limits=RESPONSE_LIMITS)
    except ParseStopped as stopped:
        return [], [f"line 1: the file could not be read: {stopped.message}"]


@untrusted_parser
def _parse_response_file(path: Path, today: dt.date) -> tuple[list[_Response], list[str]]:
    """The file's responses, or every problem found in it with its line number."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], ["line 1: the file is not UTF-8 text"]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    responses: list[_Response] = []
    problems: list[str] = []
    header: list[str] | None = None
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                problem = _header_problem(header)
                if problem:
                    return [], [f"line {reader.line_num}: {problem}"]
                continue
            response = _response(header, row, today)
            if isinstance(response, str):
                problems.append(f"line {reader.line_num}: {response}")
            else:
                responses.append(response)
    except csv.Error as error:
        problems.append(f"line {reader.line_num}: {error}")
    if header is None:
        problems.append("line 1: the file is empty; the first line must be notification_id,status,date")
    return responses, problems


def _header_problem(header: list[str]) -> str | None:
    expected = "the first line must be notification_id,status or notification_id,status,date"
    if len(set(header)) != len(header) or not set(header) <= set(RESPONSE_COLUMNS):
        return f"unknown or repeated column; {expected}"
    if not {"notification_id", "status"} <= set(header):
        return f"a column is missing; {expected}"
    return None


def _response(header: list[str], row: list[str], today: dt.date) -> _Response | str:
    """One line of a response file, or what is wrong with it."""
    if len(row) != len(header):
        return f"expected {len(header)} fields, found {len(row)}"
    fields = dict(zip(header, row, strict=True))
    try:
        notification_id = uuid.UUID(fields["notification_id"].strip())
    except ValueError:
        return f"notification_id {fields['notification_id']!r} is not a notification ID"
    status = fields["status"].strip().lower()
    if status not in RESPONSE_STATUSES:
        return f"status must be received or returned, not {fields['status']!r}"
    raw_date = fields.get("date", "").strip()
    on = None
    if raw_date:
        problem = f"date {raw_date!r} must be a date written YYYY-MM-DD, not in the future"
        try:
            on = dt.date.fromisoformat(raw_date)
        except ValueError:
            return problem
        if len(raw_date) != len("2026-11-26") or on > today:
            return problem
    return _Response(notification_id, RESPONSE_STATUSES[status], on)


async def _printed_letters(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, Notification]:
    """The letters among ``ids`` that a print run sent; any other id is unknown to the printer."""
    found: dict[uuid.UUID, Notification] = {}
    for batch in _chunks(sorted(ids), 500):
        query = (
            select(Notification)
            .where(Notification.id.in_(batch), Notification.type == "letter", Notification.sent_by == PROVIDER)
            .options(defer(Notification.personalisation), defer(Notification.document))
        )
        found.update((row.id, row) for row in (await uow.session.scalars(query)).all())
    return found


def _completed_at(row: Notification, on: dt.date | None, now: dt.datetime) -> dt.datetime:
    """The day the contractor gives (its start, London time), never before the letter was sent; else now."""
    if on is None:
        return now
    start = dt.datetime.combine(on, dt.time(), tzinfo=LONDON).astimezone(dt.UTC)
    return max(start, row.sent_at) if row.sent_at else start


def _reject(inbox: Path, path: Path, problems: list[str]) -> None:
    target = _free_name(inbox / REJECTED, path.name)
    path.rename(target)
    explanation = f"{path.name} was not applied: nothing in it was read. Correct it and upload it again.\n\n"
    target.with_name(target.name + ".error.txt").write_text(explanation + "\n".join(problems) + "\n")


def _move_all(paths: list[Path], folder: Path) -> None:
    for path in paths:
        try:
            path.rename(_free_name(folder, path.name))
        except OSError as error:
            # Committed already; reading the file again next time changes nothing.
            log.error("letters.response_not_moved", file=path.name, error=type(error).__name__)


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem-2.csv``… if a file of that name is already there."""
    folder.mkdir(parents=True, exist_ok=True)
    candidate, number = folder / name, 1
    while candidate.exists() or candidate.with_name(candidate.name + ".error.txt").exists():
        number += 1
        candidate = folder / f"{Path(name).stem}-{number}{Path(name).suffix}"
    return candidate


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
