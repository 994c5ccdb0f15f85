import base64
import datetime
import io

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from govplatform.notify.templates.letter_pdf import render_letter_pdf
from govplatform.notify.templates.placeholders import Personalisation
from govplatform.notify.templates.precompiled import (
    INVALID_BASE64,
    LETTER_TOO_LONG,
    NOT_A4_PORTRAIT,
    NOT_A_PDF,
    PrecompiledLetter,
    PrecompiledLetterError,
    validate_precompiled,
)


def encoded(pdf: bytes) -> str:
    return base64.b64encode(pdf).decode("ascii")


def made_pdf(
    pages: int = 1,
    *,
    address: list[str] | None = None,
    page_format: str | tuple[float, float] = "A4",
    orientation: str = "portrait",
    other_text: str = "Dear customer, this is the body of the letter.",
) -> bytes:
    """A PDF such as a service might make itself, with the address where the window is."""
    pdf = FPDF(unit="mm", format=page_format, orientation=orientation)
    pdf.set_font("Helvetica", size=10)
    for number in range(1, pages + 1):
        pdf.add_page()
        if number == 1:
            for line_number, line in enumerate(address or [], start=1):
                pdf.text(26, 42 + 4 * line_number, line)
            pdf.text(20, 20, "Department of Examples")
        pdf.text(20, 110, f"{other_text} Page {number}.")
    return bytes(pdf.output())


ADDRESS = ["Ann Example", "1 High Street", "Smalltown", "SW1A 1AA"]


def test_a_good_pdf_is_accepted_with_its_page_count_bytes_and_the_address_in_the_window() -> None:
    pdf = made_pdf(3, address=ADDRESS)

    letter = validate_precompiled(encoded(pdf))

    assert isinstance(letter, PrecompiledLetter)
    assert letter.pages == 3
    assert letter.content == pdf
    assert letter.address_lines == tuple(ADDRESS)
    assert letter.has_address
    assert letter.address.error() is None
    assert letter.billable_sheets == 2


def test_the_result_is_immutable() -> None:
    letter = validate_precompiled(encoded(made_pdf(address=ADDRESS)))

    with pytest.raises(AttributeError):
        letter.pages = 2  # type: ignore[misc]


def test_a_letter_rendered_from_a_template_passes_and_its_address_is_read_back() -> None:
    pdf = render_letter_pdf(
        address_lines=["Ms Ann Example", "1 High Street", "Smalltown", "sw1a 1aa"],
        subject="Your appointment",
        body="Dear ((name)),\n\nSee you soon.",
        personalisation=Personalisation({"name": "Ann"}),
        contact_block="Department of Examples\nLondon\nSW1A 2AA",
        logo_text="Department of Examples",
        date=datetime.date(2026, 11, 26),
    )

    letter = validate_precompiled(encoded(pdf))

    assert letter.pages == 1
    assert letter.address_lines == ("MS ANN EXAMPLE", "1 HIGH STREET", "SMALLTOWN", "SW1A 1AA")


def test_text_outside_the_address_window_is_not_taken_for_the_address() -> None:
    letter = validate_precompiled(encoded(made_pdf(address=ADDRESS, other_text="Not an address")))

    assert all("Department" not in line and "Not an address" not in line for line in letter.address_lines)


def test_a_pdf_with_nothing_in_the_address_window_is_marked_as_having_no_address() -> None:
    letter = validate_precompiled(encoded(made_pdf(address=None)))

    assert letter.address_lines == ()
    assert not letter.has_address


def test_content_that_is_not_base64_is_refused_with_notifys_message() -> None:
    with pytest.raises(PrecompiledLetterError) as error:
        validate_precompiled("hi")

    assert error.value.message == INVALID_BASE64 == "Cannot decode letter content (invalid base64 encoding)"
    assert str(error.value) == INVALID_BASE64
    assert error.value.code is None


def test_content_with_characters_that_cannot_be_base64_is_refused_as_invalid_base64() -> None:
    with pytest.raises(PrecompiledLetterError) as error:
        validate_precompiled("JVBERi0xLjQ=é")

    assert error.value.message == INVALID_BASE64


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"Hello, this is a Word document really",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        b"%PDF-1.7\nthis is not really a PDF at all",
    ],
)
def test_base64_that_is_not_a_pdf_is_refused_with_notifys_message(content: bytes) -> None:
    with pytest.raises(PrecompiledLetterError) as error:
        validate_precompiled(encoded(content))

    assert error.value.message == NOT_A_PDF == "Letter content is not a valid PDF"
    assert error.value.code is None


def test_a_letter_of_11_pages_is_too_long() -> None:
    with pytest.raises(PrecompiledLetterError) as error:
        validate_precompiled(encoded(made_pdf(11, address=ADDRESS)))

    assert error.value.code == LETTER_TOO_LONG == "letter-too-long"
    assert error.value.page_count == 11
    assert error.value.message == (
        "Validation failed because this letter is 11 pages long. "
        "Letters must be 10 pages or less (5 double-sided sheets of paper)."
    )


def test_a_letter_of_10_pages_is_not_too_long() -> None:
    assert validate_precompiled(encoded(made_pdf(10, address=ADDRESS))).pages == 10


def test_pages_that_are_not_a4_portrait_are_refused_and_listed() -> None:
    writer = PdfWriter()
    page_formats: list[str | tuple[float, float]] = ["A4", (148.0, 210.0), "A4", (215.9, 279.4)]  # A5, US Letter
    for page_format in page_formats:
        writer.append(PdfReader(io.BytesIO(made_pdf(page_format=page_format, address=ADDRESS))))
    output = io.BytesIO()
    writer.write(output)

    with pytest.raises(PrecompiledLetterError) as error:
        validate_precompiled(encoded(output.getvalue()))

    assert error.value.code == NOT_A4_PORTRAIT == "letter-not-a4-portrait-oriented"
    assert error.value.invalid_pages == (2, 4)
    assert error.value.page_count == 4
    assert error.value.message == "Validation failed because pages 2 and 4 are not A4 portrait size."


def test_an_a4_landscape_page_is_refused_unless_it_is_rotated_to_portrait() -> None:
    landscape = made_pdf(orientation="landscape", address=ADDRESS)
    with pytest.raises(PrecompiledLetterError) as error:
        validate_precompiled(encoded(landscape))
    assert error.value.message == "Validation failed because page 1 is not A4 portrait size."

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(landscape)))
    writer.pages[0].rotate(90)
    output = io.BytesIO()
    writer.write(output)
    assert validate_precompiled(encoded(output.getvalue())).pages == 1


def test_a_page_within_2_mm_of_a4_counts_as_a4() -> None:
    assert validate_precompiled(encoded(made_pdf(page_format=(211.5, 295.5), address=ADDRESS))).pages == 1


def test_a_pdf_that_needs_a_password_to_open_is_refused_but_one_with_only_permissions_is_accepted() -> None:
    def encrypted(user_password: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(made_pdf(address=ADDRESS))))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
        output = io.BytesIO()
        writer.write(output)
        return output.getvalue()

    with pytest.raises(PrecompiledLetterError) as error:
        validate_precompiled(encoded(encrypted("secret")))
    assert error.value.message == NOT_A_PDF

    assert validate_precompiled(encoded(encrypted(""))).address_lines == tuple(ADDRESS)
