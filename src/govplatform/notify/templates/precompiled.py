"""Precompiled letters: checking a PDF a service made itself before it is posted.

A service can send its own PDF instead of using a template (``POST
/v2/notifications/letter`` with ``content``). It goes to the same printer
and the same windowed envelopes as a templated letter, so Notify checks it
against the same physical rules, in this order:

1. The content must be base64. notifications-api's
   ``process_precompiled_letter_notifications`` decodes it with Python's
   lenient ``base64.b64decode`` (characters outside the alphabet are
   skipped; bad padding fails) and answers **400 BadRequestError "Cannot
   decode letter content (invalid base64 encoding)"** straight away.
2. It must be a PDF. Notify's API documentation lists **400 BadRequestError
   "Letter content is not a valid PDF"** for precompiled letters, which
   earlier versions of that function raised when PyPDF2 could not count
   the pages. (Current notifications-api leaves this to
   notifications-template-preview, which answers ``unable-to-read-the-file``
   and the notification becomes ``validation-failed``.) A PDF that needs a
   password to open counts as not a PDF: it could not be printed.
3. At most 10 pages (``LETTER_MAX_PAGE_COUNT``, 5 double-sided sheets).
   Notify accepts the request (201) and its sanitise step in
   template-preview reports ``letter-too-long``; notifications-api then
   sets the notification's status to **validation-failed** and the admin
   app explains "Validation failed because this letter is 11 pages long.
   Letters must be 10 pages or less (5 double-sided sheets of paper)."
4. Every page A4 portrait: within 2 mm of 210 x 297 mm, unrotated (or
   landscape media rotated by 90 or 270 degrees), as template-preview's
   ``_is_page_A4_portrait``; otherwise ``letter-not-a4-portrait-oriented``,
   again reported as **validation-failed**.
5. The recipient's address is read from the envelope window on page 1
   (template-preview's ``extract_address_block``: the text in the window
   24.6..120 x 39.5..66.3 mm widened by 3 mm on every side). Nothing there
   is Notify's ``address-is-empty``; here that is not raised but recorded
   (``address_lines`` is empty), so the caller decides, and the lines found
   can be checked with :class:`~.letter.PostalAddress`.

Errors carry Notify's code (``None`` for the two 400s the API answers at
once), so a caller can either refuse the request or, like Notify, accept it
and mark the notification ``validation-failed``. Not checked here: content
outside the printable area (template-preview renders every page to an image
to find it) and the NOTIFY tag.

The PDF comes from whoever holds an API key, so it is read by
:func:`check_precompiled` in a separate process under ``LIMITS`` (core's
``parse_untrusted``: a 30 KB PDF can inflate to 10 MB of content, or call
one small form a thousand times, and take minutes of CPU). pypdf's own
decompression limits are set to the same budget. A PDF that exceeds a limit
is refused like any PDF Notify cannot read: 400 "Letter content is not a
valid PDF".
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pypdf
import structlog
from pypdf import PageObject, PasswordType, PdfReader
from pypdf.errors import LimitReachedError

from govplatform.core.interfaces import (
    Limit,
    LimitExceeded,
    ParseLimits,
    ParseStopped,
    current_limits,
    parse_untrusted,
    untrusted_parser,
)
from govplatform.notify.templates.letter import PostalAddress
from govplatform.notify.templates.letter_pdf import A4_HEIGHT, A4_WIDTH, ADDRESS_WINDOW, PT, Box

LETTER_MAX_PAGE_COUNT = 10
A4_TOLERANCE_MM = 2.0
ADDRESS_SEARCH_MARGIN_MM = 3.0

INVALID_BASE64 = "Cannot decode letter content (invalid base64 encoding)"
NOT_A_PDF = "Letter content is not a valid PDF"
LETTER_TOO_LONG = "letter-too-long"
NOT_A4_PORTRAIT = "letter-not-a4-portrait-oriented"
ADDRESS_IS_EMPTY = "address-is-empty"
ADDRESS_IS_EMPTY_MESSAGE = "Validation failed because the address block is empty."

# A real letter reads in well under a second of CPU: ten pages of text, a logo, fonts, content streams
# of a few hundred KB; images are never decoded (text extraction does not look at them). The wall clock
# is far above the CPU limit because parsers run at a lower priority: on a busy machine they wait.
LIMITS = ParseLimits(cpu_seconds=5, memory_bytes=256 * 1024 * 1024, decompressed_bytes=5_000_000, wall_seconds=30)

log = structlog.get_logger("govplatform.notify.precompiled")


def too_long_message(pages: int) -> str:
    """The admin app's explanation of ``letter-too-long``."""
    return (
        f"Validation failed because this letter is {pages} pages long. "
        f"Letters must be {LETTER_MAX_PAGE_COUNT} pages or less "
        f"({LETTER_MAX_PAGE_COUNT // 2} double-sided sheets of paper)."
    )


def not_a4_message(invalid_pages: Sequence[int]) -> str:
    """The admin app's explanation of ``letter-not-a4-portrait-oriented``."""
    numbers = [str(page) for page in invalid_pages]
    if len(numbers) == 1:
        listed, verb = f"page {numbers[0]}", "is"
    else:
        listed, verb = f"pages {', '.join(numbers[:-1])} and {numbers[-1]}", "are"
    return f"Validation failed because {listed} {verb} not A4 portrait size."


class PrecompiledLetterError(Exception):
    """Notify would not print this PDF.

    ``code`` is template-preview's validation code (``letter-too-long``…),
    for which Notify accepts the request and then fails the notification with
    status ``validation-failed``; it is ``None`` for the errors Notify's API
    answers at once with a 400 BadRequestError.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        page_count: int | None = None,
        invalid_pages: tuple[int, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.page_count = page_count
        self.invalid_pages = invalid_pages


@dataclass(frozen=True)
class PrecompiledLetter:
    """A PDF that passed the checks, with what was learned from it."""

    content: bytes
    pages: int
    address_lines: tuple[str, ...]

    @property
    def has_address(self) -> bool:
        return bool(self.address_lines)

    @property
    def address(self) -> PostalAddress:
        """The address found in the window, for Notify's address checks."""
        return PostalAddress("\n".join(self.address_lines))

    @property
    def billable_sheets(self) -> int:
        """Sheets of paper, printed on both sides."""
        return math.ceil(self.pages / 2)


async def check_precompiled(content_b64: str) -> PrecompiledLetter | PrecompiledLetterError:
    """Decode and check a precompiled letter in a separate process under ``LIMITS``.

    Returns the error rather than raising it, so that the caller can report it
    in Notify's order, after checks that need the database.
    """
    try:
        return await parse_untrusted(validate_precompiled, content_b64, limits=LIMITS)
    except PrecompiledLetterError as error:
        return error
    except ParseStopped as stopped:
        log.warning("notify.precompiled_refused", limit=getattr(stopped, "limit", None), reason=stopped.message)
        return PrecompiledLetterError(NOT_A_PDF)


@untrusted_parser
def validate_precompiled(content_b64: str) -> PrecompiledLetter:
    """Decode and check a precompiled letter, raising :class:`PrecompiledLetterError`.

    Run it through :func:`check_precompiled`, never on the event loop: its cost is the sender's to choose.
    """
    try:
        content = base64.b64decode(content_b64)
    except (binascii.Error, ValueError) as error:
        raise PrecompiledLetterError(INVALID_BASE64) from error
    budget = current_limits().decompressed_bytes
    try:
        with pypdf.apply_configuration(None, **_decompression_limits(budget)):
            return _validate(content)
    except LimitReachedError as error:
        raise LimitExceeded(Limit.DECOMPRESSED_SIZE, f"the PDF unpacks to more than {budget} bytes") from error


@untrusted_parser
def count_pages(content: bytes) -> int:
    """How many pages a precompiled letter's PDF has, for the print run (through ``parse_untrusted``)."""
    with pypdf.apply_configuration(None, **_decompression_limits(current_limits().decompressed_bytes)):
        return _open(content)[1]


def _decompression_limits(budget: int) -> dict[str, int]:
    """pypdf's limits on what one stream may unpack to, set to the parse's budget.

    Not the declared length of a stream as stored: the request's size limit bounds that, and a
    scanned letter's images are large and are never decoded here.
    """
    names = (
        "zlib_maximum_output_length",
        "lzw_maximum_output_length",
        "run_length_maximum_output_length",
        "brotli_maximum_output_length",
        "jbig2_maximum_output_length",
        "array_based_stream_maximum_output_length",
        "stream_decoding_work_maximum_length",
        "xmp_maximum_input_length",
    )
    return {name: budget for name in names}


def _validate(content: bytes) -> PrecompiledLetter:
    reader, pages = _open(content)
    if pages > LETTER_MAX_PAGE_COUNT:
        raise PrecompiledLetterError(too_long_message(pages), code=LETTER_TOO_LONG, page_count=pages)

    invalid = tuple(number for number, page in enumerate(reader.pages, start=1) if not is_a4_portrait(page))
    if invalid:
        raise PrecompiledLetterError(
            not_a4_message(invalid), code=NOT_A4_PORTRAIT, page_count=pages, invalid_pages=invalid
        )

    return PrecompiledLetter(content=content, pages=pages, address_lines=tuple(extract_address_lines(reader.pages[0])))


def _open(content: bytes) -> tuple[PdfReader, int]:
    # A PDF's header must be in its first 1024 bytes (ISO 32000-1, 7.5.2).
    if b"%PDF-" not in content[:1024]:
        raise PrecompiledLetterError(NOT_A_PDF)
    try:
        reader = PdfReader(BytesIO(content))
        # A PDF restricted only by an owner password opens with an empty user
        # password; one that needs a password to read cannot be printed.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise PrecompiledLetterError(NOT_A_PDF)
        pages = len(reader.pages)
    except (PrecompiledLetterError, LimitReachedError, MemoryError):
        raise
    except Exception as error:  # pypdf raises many kinds of error on a broken file
        raise PrecompiledLetterError(NOT_A_PDF) from error
    if pages == 0:
        raise PrecompiledLetterError(NOT_A_PDF)
    return reader, pages


def is_a4_portrait(page: PageObject) -> bool:
    width = float(page.mediabox.width) * PT
    height = float(page.mediabox.height) * PT
    rotation = page.rotation % 360

    def close(value: float, target: float) -> bool:
        return math.isclose(value, target, abs_tol=A4_TOLERANCE_MM)

    if close(width, A4_WIDTH) and close(height, A4_HEIGHT):
        return rotation in (0, 180)
    if close(width, A4_HEIGHT) and close(height, A4_WIDTH):
        return rotation in (90, 270)
    return False


@dataclass(frozen=True, slots=True)
class PositionedText:
    """A piece of text and where it starts (its baseline), in mm from the page's top-left."""

    text: str
    x: float
    y: float


def positioned_text(page: PageObject) -> list[PositionedText]:
    """The text pieces on a page with their positions, from pypdf's text extraction."""
    pieces: list[PositionedText] = []
    top = float(page.mediabox.top)
    left = float(page.mediabox.left)

    def visit(text: Any, cm: Any, tm: Any, _font: Any, size: Any) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        # pypdf can hand over several lines at once; later ones are assumed
        # to follow at the usual leading of 1.2 times the font size.
        leading = float(size or 0) * 1.2 * PT
        for number, line in enumerate(str(text).split("\n")):
            if line.strip():
                pieces.append(PositionedText(line, (x - left) * PT, (top - y) * PT + number * leading))

    page.extract_text(visitor_text=visit)
    return pieces


def text_in_box(page: PageObject, box: Box) -> list[str]:
    """Lines of text that start inside ``box``, top to bottom, pieces on a line joined by spaces."""
    found = [piece for piece in positioned_text(page) if box.contains(piece.x, piece.y)]
    lines: list[list[PositionedText]] = []
    for piece in sorted(found, key=lambda piece: (round(piece.y, 1), piece.x)):
        if lines and abs(lines[-1][0].y - piece.y) < 0.5:
            lines[-1].append(piece)
        else:
            lines.append([piece])
    joined = (" ".join(" ".join(piece.text.split()) for piece in line) for line in lines)
    return [line for line in joined if line]


def extract_address_lines(page: PageObject) -> list[str]:
    """The address showing through the envelope window, or ``[]`` if the window is blank."""
    try:
        return text_in_box(page, ADDRESS_WINDOW.expanded(ADDRESS_SEARCH_MARGIN_MM))
    except (LimitReachedError, MemoryError):
        raise  # a limit of the parse, not a broken stream: the letter is refused
    except Exception:  # an unreadable content stream leaves the address unknown, not the letter invalid
        return []
