"""Reading and checking a file of recipients for bulk sending, as Notify's admin checks an upload.

A file is CSV, TSV or XLSX (at most 10 MB and 100,000 rows, Notify's limits).
The first row names the columns: the recipient column ("email address",
"phone number", or "address line 1" to "address line 7" and "postcode" for
letters) and one column for each of the template's placeholders, matched the
way placeholders match personalisation (case, spaces, _ and - ignored).

Every row is checked before anything is sent, so a file either goes out whole
or not at all, and the report names each bad row by its spreadsheet row
number (the header is row 1) with the same messages the API gives.

A file is checked by :func:`check_upload`, in a separate process under
``LIMITS`` (core's ``parse_untrusted``): 10 MB can still cost far more to
read than it weighs. An XLSX is a zip archive, so it is refused if its parts
unpack to more than the limit's 100 MB (100,000 rows of a dozen columns
unpack to about 25 MB); 10 MB of empty CSV lines become ten million rows,
about 700 MB of lists, and are stopped by the memory limit.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from collections.abc import Iterator

import structlog
from openpyxl import load_workbook

from govplatform.core.interfaces import (
    N_,
    LimitExceeded,
    ParseLimits,
    ParseStopped,
    UserFacingError,
    check_zip_size,
    parse_untrusted,
    untrusted_parser,
)
from govplatform.notify import recipients
from govplatform.notify.errors import NotifyError
from govplatform.notify.services import content
from govplatform.notify.services.templates import TemplateSnapshot
from govplatform.notify.templates.letter import PostalAddress
from govplatform.notify.templates.placeholders import missing_personalisation_message, normalise_key

MAX_ROWS = 100_000
MAX_BYTES = 10 * 1024 * 1024
RECIPIENT_COLUMNS = {"email": ("email address",), "sms": ("phone number",)}
ADDRESS_COLUMNS = (*(f"address line {n}" for n in range(1, 8)), "postcode")
SHOWN_ERRORS = 500
# Checking 100,000 rows takes 6-12 s of CPU and about 250 MB on the CI machine (measured).
LIMITS = ParseLimits(cpu_seconds=60, memory_bytes=512 * 1024 * 1024, decompressed_bytes=100_000_000, wall_seconds=120)
TOO_LARGE_TO_CHECK = N_("The file is too large to check: split it into smaller files and try again")
UNREADABLE = N_("The file is not a spreadsheet Notify can read")

log = structlog.get_logger("govplatform.notify.spreadsheets")


@dataclasses.dataclass(frozen=True)
class RowProblem:
    row: int  # as the spreadsheet numbers it: the header is row 1
    message: str


@dataclasses.dataclass(frozen=True)
class Recipient:
    row: int
    recipient: str
    normalised: str
    personalisation: dict[str, str]
    international: bool = False
    rate_multiplier: float = 1.0


@dataclasses.dataclass
class CheckedFile:
    rows: list[Recipient]
    problems: list[RowProblem]
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0 and bool(self.rows)


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """The file's cells as text, rows of columns; UserFacingError if it cannot be read."""
    if len(data) > MAX_BYTES:
        raise UserFacingError(N_("The file must be smaller than 10MB"))
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _xlsx(data)
    if name.endswith((".csv", ".tsv", ".txt")):
        text = _decoded(data)
        dialect = "excel-tab" if name.endswith(".tsv") or "\t" in text.split("\n", 1)[0] else "excel"
        try:
            return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""), dialect)]
        except csv.Error:  # a field past csv's 128 KB, say
            raise UserFacingError(UNREADABLE) from None
    raise UserFacingError(N_("The file must be a CSV, TSV or XLSX spreadsheet"))


def _decoded(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserFacingError(N_("The file is not text: save it as CSV (UTF-8) and try again"))


def _xlsx(data: bytes) -> list[list[str]]:
    check_zip_size(data)  # a zip bomb is refused before openpyxl unpacks anything
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = [
            ["" if cell is None else str(cell).strip() for cell in row] for row in sheet.iter_rows(values_only=True)
        ]
        book.close()
    except (MemoryError, LimitExceeded):
        raise
    except (zipfile.BadZipFile, IndexError, KeyError, ValueError, TypeError, OSError, SyntaxError):
        # openpyxl's errors for a broken file: a bad zip, a missing part, XML that does not parse
        # (xml.etree's ParseError is a SyntaxError), a value of the wrong type.
        raise UserFacingError(UNREADABLE) from None
    return rows


def _columns(header: list[str], template: TemplateSnapshot) -> dict[str, int]:
    wanted = _recipient_columns(template.type) + tuple(template.placeholders)
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = normalise_key(name)
        if not key:
            continue
        if key in positions:
            raise UserFacingError(N_("The column %(name)s appears twice"), name=name)
        positions[key] = index
    missing = [name for name in wanted if normalise_key(name) not in positions]
    if template.type == "letter":
        optional = set(ADDRESS_COLUMNS) - {"address line 1", "address line 2"}
        missing = [name for name in missing if name not in optional]
    if missing:
        raise UserFacingError(N_("The file is missing a column called: %(names)s"), names=", ".join(missing))
    return positions


def _recipient_columns(kind: str) -> tuple[str, ...]:
    return ADDRESS_COLUMNS if kind == "letter" else RECIPIENT_COLUMNS[kind]


def _rows(table: list[list[str]]) -> Iterator[tuple[int, list[str]]]:
    for number, row in enumerate(table[1:], start=2):
        if any(cell for cell in row):
            yield number, row


async def check_upload(
    filename: str, data: bytes, template: TemplateSnapshot, *, sms_prefix: str | None, allowed: set[str] | None
) -> CheckedFile:
    """:func:`check_file` in a separate process under ``LIMITS``; a file past a limit cannot be sent."""
    try:
        return await parse_untrusted(
            check_file, filename, data, template, limits=LIMITS, sms_prefix=sms_prefix, allowed=allowed
        )
    except ParseStopped as stopped:
        log.warning("notify.spreadsheet_refused", limit=getattr(stopped, "limit", None), reason=stopped.message)
        raise UserFacingError(TOO_LARGE_TO_CHECK) from None


@untrusted_parser
def check_file(
    filename: str, data: bytes, template: TemplateSnapshot, *, sms_prefix: str | None, allowed: set[str] | None
) -> CheckedFile:
    """Read and check every row; `allowed` limits recipients (a trial-mode service's team and guest list).

    The file is the uploader's: run this through :func:`check_upload`, not on the event loop.
    """
    table = read_table(filename, data)
    if not table or not any(cell for cell in table[0]):
        raise UserFacingError(N_("The file is empty"))
    positions = _columns(table[0], template)
    checked = CheckedFile([], [])
    for number, row in _rows(table):
        if len(checked.rows) + checked.problem_count >= MAX_ROWS:
            raise UserFacingError(N_("The file has too many rows: up to 100,000 can be sent at once"))
        values = {name: (row[index] if index < len(row) else "") for name, index in positions.items()}
        found = _check_row(number, values, template, sms_prefix, allowed)
        if isinstance(found, RowProblem):
            checked.problem_count += 1
            if len(checked.problems) < SHOWN_ERRORS:
                checked.problems.append(found)
        else:
            checked.rows.append(found)
    if not checked.rows and not checked.problem_count:
        raise UserFacingError(N_("The file has no rows of recipients"))
    return checked


def _check_row(
    number: int, values: dict[str, str], template: TemplateSnapshot, sms_prefix: str | None, allowed: set[str] | None
) -> Recipient | RowProblem:
    personalisation = {name: values.get(normalise_key(name), "") for name in template.placeholders}
    empty = [name for name, value in personalisation.items() if value == ""]
    if empty:
        return RowProblem(number, missing_personalisation_message(empty))
    try:
        if template.type == "letter":
            address = {key.replace(" ", "_"): values.get(normalise_key(key), "") for key in ADDRESS_COLUMNS}
            postal = PostalAddress.from_personalisation({k: v for k, v in address.items() if v})
            problem = postal.error()
            if problem:
                return RowProblem(number, problem)
            personalisation.update({k: v for k, v in address.items() if v})
            content.fill(template, personalisation)
            return Recipient(number, postal.lines[0], postal.lines[0], personalisation)
        content.fill(template, personalisation, sms_prefix=sms_prefix)
        if template.type == "email":
            given = values.get(normalise_key("email address"), "")
            address_text = recipients.validate_email_address(given)
            recipient, normalised, international, multiplier = address_text, address_text.lower(), False, 1.0
        else:
            given = values.get(normalise_key("phone number"), "")
            number_found = recipients.validate_phone_number(given, international=True)
            recipient, normalised = given, number_found.normalised
            international = number_found.international and not number_found.crown_dependency
            multiplier = float(number_found.rate_multiplier)
    except recipients.InvalidRecipientError as error:
        return RowProblem(number, error.message)
    except NotifyError as error:
        return RowProblem(number, "; ".join(error.messages))
    if allowed is not None and normalised not in allowed:
        return RowProblem(number, "You cannot send to this recipient while the service is in trial mode")
    return Recipient(number, recipient, normalised, personalisation, international, multiplier)
