import datetime
import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from govplatform.notify.templates import letter_pdf
from govplatform.notify.templates.letter_pdf import format_letter_date, page_count, render_letter_pdf
from govplatform.notify.templates.placeholders import Personalisation

MM_PER_PT = 25.4 / 72
# Where the envelope window is, in mm from the top-left of the page
# (notifications-template-preview's address block).
WINDOW_LEFT, WINDOW_TOP, WINDOW_RIGHT, WINDOW_BOTTOM = 24.6, 39.5, 120.0, 66.3
# Template-preview's printable area: 15 mm borders left and right, 5 mm top and bottom.
PRINTABLE_LEFT, PRINTABLE_TOP, PRINTABLE_RIGHT, PRINTABLE_BOTTOM = 15.0, 5.0, 195.0, 292.0

ADDRESS = ["Ms Ann Example", "1 High Street", "Smalltown", "sw1a1aa"]


@dataclass(frozen=True)
class Placed:
    text: str
    x: float  # mm from the left edge to the start of the text
    y: float  # mm from the top edge to the baseline
    size: float  # points
    font: str


def placed_text(pdf: bytes, page_number: int = 1) -> list[Placed]:
    page = PdfReader(BytesIO(pdf)).pages[page_number - 1]
    height = float(page.mediabox.height)
    found: list[Placed] = []

    def visit(text: Any, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if str(text).strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            base_font = str(font.get("/BaseFont", "")) if font else ""
            found.append(Placed(str(text).strip(), x * MM_PER_PT, (height - y) * MM_PER_PT, float(size), base_font))

    page.extract_text(visitor_text=visit)
    return found


def page_text(pdf: bytes, page_number: int = 1) -> str:
    return PdfReader(BytesIO(pdf)).pages[page_number - 1].extract_text()


def all_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


# PDF coordinates are written to 1/100 pt, so positions come back a little off.
EPSILON = 0.01


def in_window(piece: Placed) -> bool:
    return (
        WINDOW_LEFT - EPSILON <= piece.x <= WINDOW_RIGHT + EPSILON
        and WINDOW_TOP - EPSILON <= piece.y <= WINDOW_BOTTOM + EPSILON
    )


def letter(
    body: str = "Dear ((name)),\n\nYour appointment is on ((day)).",
    *,
    personalisation: dict[str, object] | None = None,
    address_lines: list[str] | None = None,
    subject: str = "Your appointment",
    contact_block: str | None = "Department of Examples\n10 Example Road\nLondon\nSW1A 2AA",
    logo_text: str | None = "Department of Examples",
    date: datetime.date = datetime.date(2026, 11, 26),
    language: str = "en",
) -> bytes:
    return render_letter_pdf(
        address_lines=ADDRESS if address_lines is None else address_lines,
        subject=subject,
        body=body,
        personalisation=Personalisation(personalisation or {"name": "Ann", "day": "Monday"}),
        contact_block=contact_block,
        logo_text=logo_text,
        date=date,
        language=language,
    )


def test_the_letter_is_a_one_page_a4_pdf_when_the_message_is_short() -> None:
    pdf = letter()

    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(BytesIO(pdf))
    assert page_count(pdf) == len(reader.pages) == 1
    assert float(reader.pages[0].mediabox.width) * MM_PER_PT == pytest.approx(210, abs=0.1)
    assert float(reader.pages[0].mediabox.height) * MM_PER_PT == pytest.approx(297, abs=0.1)


def test_the_address_is_printed_inside_the_envelope_window_in_capitals_with_a_formatted_postcode() -> None:
    pieces = placed_text(letter())

    address = [piece for piece in pieces if in_window(piece)]
    assert [piece.text for piece in address] == ["MS ANN EXAMPLE", "1 HIGH STREET", "SMALLTOWN", "SW1A 1AA"]
    for piece in address:
        assert piece.size == 8
        # The tops of the capitals (about 0.72 of the size) are inside the window too.
        assert piece.y - piece.size * 0.72 * MM_PER_PT >= WINDOW_TOP
        # 85 mm is the width Notify's stylesheet gives the address; capitals
        # are at most about 0.75 em wide in Helvetica.
        assert piece.x + len(piece.text) * piece.size * 0.75 * MM_PER_PT <= WINDOW_RIGHT
    # The lines are evenly spaced top to bottom and the last sits at the bottom of the window.
    baselines = [piece.y for piece in address]
    assert baselines == sorted(baselines)
    assert baselines[-1] == pytest.approx(WINDOW_BOTTOM - 2 * MM_PER_PT, abs=0.05)


def test_nothing_but_the_address_shows_through_the_envelope_window() -> None:
    pieces = placed_text(letter())

    assert {piece.text for piece in pieces if in_window(piece)} == {
        "MS ANN EXAMPLE",
        "1 HIGH STREET",
        "SMALLTOWN",
        "SW1A 1AA",
    }


def test_a_uk_country_line_is_dropped_and_an_international_address_keeps_its_country() -> None:
    uk = [piece.text for piece in placed_text(letter(address_lines=[*ADDRESS, "United Kingdom"])) if in_window(piece)]
    abroad = [
        piece.text
        for piece in placed_text(letter(address_lines=["Hr. Beispiel", "Hauptstraße 1", "10115 Berlin", "Germany"]))
        if in_window(piece)
    ]

    assert uk == ["MS ANN EXAMPLE", "1 HIGH STREET", "SMALLTOWN", "SW1A 1AA"]
    assert abroad == ["HR. BEISPIEL", "HAUPTSTRASSE 1", "10115 BERLIN", "GERMANY"]


def test_an_address_line_too_wide_for_the_window_is_cut_short_rather_than_spilling_out() -> None:
    long_line = "Flat 123, The Extremely Long Named Building Of Very Many Words Indeed"
    pieces = [piece for piece in placed_text(letter(address_lines=[long_line, *ADDRESS[1:]])) if in_window(piece)]

    first = pieces[0].text
    assert long_line.upper().startswith(first)
    assert len(first) < len(long_line)
    assert [piece.text for piece in pieces[1:]] == ["1 HIGH STREET", "SMALLTOWN", "SW1A 1AA"]


def test_the_body_is_printed_with_its_placeholders_filled_in() -> None:
    text = page_text(letter(personalisation={"Name": "Ann", "day": "Monday 1 December"}))

    assert "Dear Ann," in text
    assert "Your appointment is on Monday 1 December." in text
    assert "((" not in text


def test_the_date_and_then_the_subject_start_the_body_below_the_address() -> None:
    pieces = placed_text(letter(subject="Appointment for ((name))"))

    date = next(piece for piece in pieces if piece.text == "26 November 2026")
    subject = next(piece for piece in pieces if piece.text == "Appointment for Ann")
    body = next(piece for piece in pieces if piece.text.startswith("Dear Ann"))
    assert WINDOW_BOTTOM < date.y < subject.y < body.y
    assert date.x == subject.x == body.x == pytest.approx(15, abs=0.01)
    assert subject.size == 20
    assert "Bold" in subject.font


def test_the_contact_block_is_printed_top_right_and_the_logo_text_top_left() -> None:
    pieces = placed_text(letter())

    contact = [piece for piece in pieces if piece.x >= 125 - EPSILON and piece.y < 95]
    assert [piece.text for piece in contact] == ["Department of Examples", "10 Example Road", "London", "SW1A 2AA"]
    assert all(piece.size == 10 for piece in contact)
    logo = next(piece for piece in pieces if piece.y < WINDOW_TOP and piece.x < 30)
    assert logo.text == "Department of Examples"
    assert "Bold" in logo.font


def test_every_piece_of_text_on_every_page_is_inside_the_printable_area() -> None:
    body = "\n\n".join(f"Paragraph {number} " + "with quite a lot of words in it " * 10 for number in range(25))
    pdf = letter(body, contact_block="A very long contact block line that must be wrapped to fit\nLondon")

    contact = [piece.text for piece in placed_text(pdf) if piece.x >= 125 - EPSILON and piece.y < 95]
    assert len(contact) == 3
    assert " ".join(contact) == "A very long contact block line that must be wrapped to fit London"

    for number in range(1, page_count(pdf) + 1):
        for piece in placed_text(pdf, number):
            assert PRINTABLE_LEFT - EPSILON <= piece.x <= PRINTABLE_RIGHT, piece
            assert PRINTABLE_TOP <= piece.y <= PRINTABLE_BOTTOM, piece


def test_a_long_body_makes_several_pages_each_numbered_page_n_of_the_total() -> None:
    body = "\n\n".join(
        f"Paragraph {number}: " + "The quick brown fox jumps over the lazy dog. " * 8 for number in range(40)
    )

    pdf = letter(body)

    pages = page_count(pdf)
    assert pages >= 3
    for number in range(1, pages + 1):
        assert f"Page {number} of {pages}" in page_text(pdf, number)
    assert "Page 2 of" in page_text(pdf, 2)
    # Every paragraph made it, in order, and nothing was lost at the page breaks.
    text = " ".join(all_text(pdf).split())
    positions = [text.index(f"Paragraph {number}:") for number in range(40)]
    assert positions == sorted(positions)
    assert text.count("lazy dog.") == 40 * 8


def test_a_one_page_letter_is_numbered_page_1_of_1_as_notify_numbers_it() -> None:
    assert "Page 1 of 1" in page_text(letter())


def test_the_same_letter_renders_to_the_same_bytes_so_it_can_be_regenerated() -> None:
    first = letter()
    second = letter()
    welsh = letter(address_lines=["Mr Dŵr", "1 Stryd Fawr", "Caerdydd", "CF10 1AA"], language="cy")

    assert first == second
    assert welsh == letter(address_lines=["Mr Dŵr", "1 Stryd Fawr", "Caerdydd", "CF10 1AA"], language="cy")
    assert first != letter(date=datetime.date(2026, 11, 27))


def test_the_bytes_are_the_same_in_another_process_with_different_hash_seeds() -> None:
    script = (
        "import datetime, hashlib\n"
        "from govplatform.notify.templates.letter_pdf import render_letter_pdf\n"
        "from govplatform.notify.templates.placeholders import Personalisation\n"
        "pdf = render_letter_pdf(address_lines=['Mr Ŵ Jones', '1 Stryd', 'Caerdydd', 'CF10 1AA'],\n"
        "    subject='Eich cais', body='Mae’r dŵr yn oer.\\n\\n* un\\n* dau', personalisation=Personalisation({}),\n"
        "    contact_block='Adran\\nCaerdydd', logo_text='Adran', date=datetime.date(2026, 11, 26), language='cy')\n"
        "print(hashlib.sha256(pdf).hexdigest())\n"
    )

    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }

    expected = render_letter_pdf(
        address_lines=["Mr Ŵ Jones", "1 Stryd", "Caerdydd", "CF10 1AA"],
        subject="Eich cais",
        body="Mae’r dŵr yn oer.\n\n* un\n* dau",
        personalisation=Personalisation({}),
        contact_block="Adran\nCaerdydd",
        logo_text="Adran",
        date=datetime.date(2026, 11, 26),
        language="cy",
    )
    assert digests == {hashlib.sha256(expected).hexdigest()}


def test_the_pdf_creation_date_is_the_letter_date() -> None:
    metadata = PdfReader(BytesIO(letter(date=datetime.date(2026, 3, 5)))).metadata

    assert metadata is not None
    assert metadata.creation_date is not None
    assert metadata.creation_date.date() == datetime.date(2026, 3, 5)


@pytest.mark.parametrize(
    ("date", "english", "welsh"),
    [
        (datetime.date(2026, 1, 1), "1 January 2026", "1 Ionawr 2026"),
        (datetime.date(2026, 2, 9), "9 February 2026", "9 Chwefror 2026"),
        (datetime.date(2026, 5, 31), "31 May 2026", "31 Mai 2026"),
        (datetime.date(2026, 7, 4), "4 July 2026", "4 Gorffennaf 2026"),
        (datetime.date(2026, 11, 26), "26 November 2026", "26 Tachwedd 2026"),
        (datetime.date(2026, 12, 25), "25 December 2026", "25 Rhagfyr 2026"),
    ],
)
def test_dates_are_written_day_month_year_with_welsh_month_names_in_welsh(
    date: datetime.date, english: str, welsh: str
) -> None:
    assert format_letter_date(date) == english
    assert format_letter_date(date, "cy") == welsh


def test_a_welsh_letter_is_dated_in_welsh() -> None:
    text = page_text(letter("Annwyl ((name)),", language="cy"))

    assert "26 Tachwedd 2026" in text
    assert "November" not in text


def test_headings_lists_and_paragraphs_follow_notifys_letter_markdown() -> None:
    body = (
        "# Before your visit\n\n"
        "Bring these:\n\n"
        "* your passport\n"
        "* a utility bill\n\n"
        "Then:\n\n"
        "1. Arrive early\n"
        "2. Ask at the desk\n\n"
        "## Not a heading in letters\n\n"
        "Read [the guidance](https://www.gov.uk/guidance) first."
    )
    pieces = placed_text(letter(body))
    texts = [piece.text for piece in pieces]

    heading = next(piece for piece in pieces if piece.text == "Before your visit")
    assert heading.size == 14
    assert "Bold" in heading.font
    second_level = next(piece for piece in pieces if piece.text == "Not a heading in letters")
    assert second_level.size == 12.5
    assert "Bold" not in second_level.font
    # Bullets are drawn, not typed, and the item text is indented past them.
    passport = next(piece for piece in pieces if piece.text == "your passport")
    assert passport.x > 15
    assert "•" not in "".join(texts)
    assert "*" not in "".join(texts)
    assert "1." in texts
    assert "2." in texts
    arrive = next(piece for piece in pieces if piece.text == "Arrive early")
    number = next(piece for piece in pieces if piece.text == "1.")
    assert number.y == pytest.approx(arrive.y)
    assert number.x < arrive.x
    # A link prints its text and its address without the scheme, the address in bold.
    assert "Read the guidance:" in texts
    link = next(piece for piece in pieces if piece.text == "www.gov.uk/guidance")
    assert "Bold" in link.font


def test_a_list_personalisation_value_becomes_bullet_points() -> None:
    pieces = placed_text(letter("You need:\n\n((documents))", personalisation={"documents": ["passport", "bill"]}))

    items = [piece for piece in pieces if piece.text in {"passport", "bill"}]
    assert [piece.text for piece in items] == ["passport", "bill"]
    assert all(piece.x > 15 for piece in items)


def test_a_horizontal_rule_starts_a_new_page() -> None:
    pdf = letter("First page text.\n\n---\n\nSecond page text.")

    assert page_count(pdf) == 2
    assert "First page text." in page_text(pdf, 1)
    assert "Second page text." in page_text(pdf, 2)
    assert "Page 2 of 2" in page_text(pdf, 2)


def test_long_lines_are_wrapped_within_the_body_width() -> None:
    pieces = placed_text(letter("word " * 200))

    lines = [piece for piece in pieces if piece.text.startswith("word")]
    assert len(lines) > 5
    assert len({round(piece.y, 2) for piece in lines}) == len(lines)
    # 137.5 mm of 12.5 pt Helvetica holds well under 80 characters.
    assert all(len(piece.text) < 80 for piece in lines)


def test_latin_1_text_uses_the_built_in_helvetica_font() -> None:
    pieces = placed_text(letter("Café crème, naïve façade – “quoted”."))

    assert {piece.font for piece in pieces} <= {"/Helvetica", "/Helvetica-Bold"}
    assert "Café crème, naïve façade – “quoted”." in [piece.text for piece in pieces]


@pytest.mark.skipif(not letter_pdf.DEJAVU_REGULAR.is_file(), reason="fonts-dejavu is not installed")
def test_welsh_letters_outside_latin_1_embed_dejavu_sans_and_keep_every_character() -> None:
    pdf = letter(
        "Mae’r dŵr yn oer ac mae’r ŷd yn tyfu.", address_lines=["Mr Ŵ Jones", "1 Stryd", "Caerdydd", "CF10 1AA"]
    )
    pieces = placed_text(pdf)

    assert all("DejaVuSans" in piece.font for piece in pieces)
    assert "Mae’r dŵr yn oer ac mae’r ŷd yn tyfu." in [piece.text for piece in pieces]
    assert "MR Ŵ JONES" in [piece.text for piece in pieces if in_window(piece)]


def test_without_dejavu_unsupported_characters_are_replaced_so_a_letter_is_still_made(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(letter_pdf, "DEJAVU_REGULAR", tmp_path / "missing.ttf")

    pieces = placed_text(letter("Mae’r dŵr yn oer – 水."))

    assert {piece.font for piece in pieces} <= {"/Helvetica", "/Helvetica-Bold"}
    assert "Mae’r dwr yn oer – ?." in [piece.text for piece in pieces]


def test_page_count_counts_the_pages_of_a_pdf() -> None:
    assert page_count(letter("One.\n\n---\n\nTwo.\n\n---\n\nThree.")) == 3
