"""Letters as printable PDFs, laid out the way Notify lays them out.

A letter is printed on A4, folded and posted in a windowed C5/DL envelope,
so the recipient's address has to sit exactly where the envelope window is
and nothing else may show through it. Everything else follows Notify's
letter template so that a letter sent here looks like one sent by Notify.

Layout (millimetres from the top-left corner of an A4 page, 210 x 297):

- **Address window** ``24.6..120 x 39.5..66.3``: the window constants in
  notifications-template-preview ``app/precompiled.py``
  (``ADDRESS_LEFT_FROM_LEFT_OF_PAGE = 24.60``, ``ADDRESS_TOP_FROM_TOP_OF_PAGE
  = 39.50``, ``ADDRESS_RIGHT_FROM_LEFT_OF_PAGE = 120.0``,
  ``ADDRESS_BOTTOM_FROM_TOP_OF_PAGE = 66.30``). notifications-utils'
  print stylesheet (``jinja_templates/letter_pdf/_main_css.jinja2``) agrees:
  with the first page's margins (15 mm left, 10 mm top, 15 mm bottom) its
  ``#to`` box (``left: 9.6mm``, ``bottom: 215.8mm``, ``max-height: 26.7mm``,
  ``width: 85mm``) runs from 24.6 mm to 109.6 mm across and from 39.5 mm to
  66.2 mm down. The address is printed as that stylesheet prints it: 8 pt,
  8.5 pt line spacing, in capitals, with its last line at the bottom of the
  window, raised 2 pt so descenders stay inside (template-preview's
  ``setRise(2)`` when it rewrites a precompiled address). Lines too wide for
  the 85 mm box are cut, as the stylesheet's ``overflow: hidden`` cuts them.
- **Printable area** ``15..195 x 5..292``: template-preview's borders
  (15 mm left and right, 5 mm top and bottom), which precompiled letters are
  checked against. Everything drawn here stays inside it.
- **Logo** ``15..85 x 10..28``: the stylesheet's ``#logo`` (70 x 18 mm at the
  top-left of the first page). ``logo_text`` is set there in bold, because
  this platform has no logo images yet.
- **Contact block** ``125..195``, last line at 82.2 mm, at most 132 pt tall,
  10 pt on 12 pt: the stylesheet's ``#from`` (``bottom: 199.8mm``,
  ``max-height: 132pt``); lines beyond those 11 are left off. The
  stylesheet puts it 71.2 mm wide against a
  10 mm right margin (to 200 mm), outside template-preview's printable area,
  so it is moved to template-preview's service-address column (125 mm to
  the 195 mm border) instead.
- **Body** from 15 mm, 137.5 mm wide (``#content``), starting at 104 mm on
  the first page (10 mm margin + ``padding-top: 94mm``) and at 15 mm on the
  others, down to 282 mm (15 mm bottom margin). It holds the date, the
  subject (20 pt bold on 23.4 pt) and the message: 12.5 pt on 16 pt with
  16 pt between blocks, ``#`` headings at 14 pt bold on 17.4 pt, bullets
  indented 0.8 em and numbers 1.4 em.
- **Page numbers** "Page 1 of 2" at 10 pt, right-aligned in the bottom
  margin (the stylesheet's ``@bottom-right``), on every page as Notify does,
  one-page letters included. They stop at the 195 mm border.

Content follows notifications-utils ``LetterPreviewTemplate``: the address is
normalised by :class:`~.letter.PostalAddress`; placeholders are filled with
lists as bullets in the body and as "a, b and c" in the subject and contact
block; the date reads "26 November 2026", with Welsh month names for Welsh
letters (``ENGLISH_TO_WELSH_MONTHS``); the body is Notify's letter Markdown
(:func:`.markdown.parse`) where ``#`` is the only heading, other headings are
paragraphs, ``---`` starts a new page, inset text and code are plain text,
images and tables are dropped, and a link prints as "text: example.com" with
the address in bold. Words are wrapped at spaces only, so a hyphenated word
is never split (Notify uses non-breaking hyphens for the same effect).

Fonts: the PDF core font Helvetica needs nothing embedded and keeps files
small, but it only has the WinAnsi (Windows-1252) characters, which are
Latin-1 plus the typographic quotes, dashes and bullet. When every character
of the letter is in that set Helvetica is used. Otherwise (Welsh ŵ and ŷ,
other scripts) the letter uses DejaVu Sans from the system's fonts-dejavu
package, embedded as a subset, so nothing new is bundled with this project;
DejaVu covers Latin, Greek and Cyrillic but not, for example, Chinese, whose
characters are then replaced by "?". Where DejaVu is not installed, Helvetica
is used with each unsupported character replaced by its unaccented form or
"?", so a letter is always produced.

The output is deterministic: the creation date is the letter's date at
midnight UTC and nothing else varies, so a letter can be regenerated on
demand from its notification instead of being stored.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import TTFFont
from pypdf import PdfReader

from govplatform.notify.templates import markdown
from govplatform.notify.templates.email import do_nice_typography, render_subject
from govplatform.notify.templates.formatting import remove_whitespace_before_punctuation, strip_unsupported_characters
from govplatform.notify.templates.letter import PostalAddress
from govplatform.notify.templates.placeholders import ListStyle, Personalisation, replace_placeholders

PT = 25.4 / 72  # one point in millimetres

A4_WIDTH = 210.0
A4_HEIGHT = 297.0


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in millimetres measured from the top-left corner of the page."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x <= self.right and self.top <= y <= self.bottom

    def expanded(self, margin: float) -> Box:
        return Box(self.left - margin, self.top - margin, self.right + margin, self.bottom + margin)


ADDRESS_WINDOW = Box(24.6, 39.5, 120.0, 66.3)
PRINTABLE_AREA = Box(15.0, 5.0, A4_WIDTH - 15.0, A4_HEIGHT - 5.0)
LOGO_AREA = Box(15.0, 10.0, 85.0, 28.0)
CONTACT_BLOCK_AREA = Box(125.0, 82.2 - 132 * PT, PRINTABLE_AREA.right, 82.2)

ADDRESS_WIDTH = 85.0
ADDRESS_FONT_SIZE = 8.0
ADDRESS_LINE_HEIGHT = 8.5 * PT
# Text at the bottom of a box is raised 2 pt so descenders (g, j, p, q, y) stay inside.
BASELINE_RISE = 2 * PT

CONTACT_FONT_SIZE = 10.0
CONTACT_LINE_HEIGHT = 12 * PT
LOGO_FONT_SIZE = 14.0
LOGO_LINE_HEIGHT = 17 * PT

BODY_LEFT = 15.0
BODY_WIDTH = 137.5
BODY_TOP_FIRST_PAGE = 10.0 + 94.0
BODY_TOP = 15.0
BODY_BOTTOM_MARGIN = 15.0

FONT_SIZE = 12.5
LINE_HEIGHT = 16 * PT
BLOCK_SPACING = 16 * PT
SUBJECT_FONT_SIZE = 20.0
SUBJECT_LINE_HEIGHT = 23.4 * PT
SUBJECT_SPACE_ABOVE = 18.16 * PT
SUBJECT_SPACE_BELOW = 7.68 * PT
HEADING_FONT_SIZE = 14.0
HEADING_LINE_HEIGHT = 17.4 * PT
BULLET_INDENT = 0.8 * FONT_SIZE * PT
NUMBER_INDENT = 1.4 * FONT_SIZE * PT
PAGE_NUMBER_FONT_SIZE = 10.0

ENGLISH_TO_WELSH_MONTHS = {
    "January": "Ionawr",
    "February": "Chwefror",
    "March": "Mawrth",
    "April": "Ebrill",
    "May": "Mai",
    "June": "Mehefin",
    "July": "Gorffennaf",
    "August": "Awst",
    "September": "Medi",
    "October": "Hydref",
    "November": "Tachwedd",
    "December": "Rhagfyr",
}
WELSH = frozenset({"cy", "welsh"})

CORE_FONT = "Helvetica"
CORE_FONT_ENCODING = "windows-1252"
UNICODE_FONT = "DejaVuSans"
DEJAVU_DIRECTORY = Path("/usr/share/fonts/truetype/dejavu")
DEJAVU_REGULAR = DEJAVU_DIRECTORY / "DejaVuSans.ttf"
DEJAVU_BOLD = DEJAVU_DIRECTORY / "DejaVuSans-Bold.ttf"

# Inline Markdown that letters render: backslash escapes, images (dropped),
# links and bare URLs (printed, not linked) and hard line breaks.
_ESCAPED = r"\\([\\`*{}\[\]()#+\-.!_>~|])"
_IMAGE = r"!\[[^\]]*\]\([^)]*\)"
_LINK = r"\[(?P<label>(?:[^\[\]]|\[[^\]]*\])*)\]\(\s*(?P<target>[^\s)]*?)(?:\s+[\"'][^\"']*[\"'])?\s*\)"
_URL = r"https?://[^\s<]+[^<.,:\"')\]\s]"
_INLINE = re.compile(f"(?P<escaped>{_ESCAPED})|(?P<image>{_IMAGE})|(?P<link>{_LINK})|(?P<url>{_URL})|(?P<newline>\n)")
_SCHEME = re.compile(r"^https?://")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Typography Notify adds that has a plain equivalent, for the Latin-1 fallback.
_PLAIN_EQUIVALENTS = str.maketrans(
    {"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "..."}
    | {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2022": "*"}
)


def format_letter_date(date: datetime.date, language: str = "en") -> str:
    """The date as a letter prints it: "26 November 2026", or "26 Tachwedd 2026" in Welsh."""
    month = date.strftime("%B")
    if language.lower() in WELSH:
        month = ENGLISH_TO_WELSH_MONTHS[month]
    return f"{date.day} {month} {date.year}"


def page_count(pdf: bytes) -> int:
    """How many pages a PDF has."""
    return len(PdfReader(BytesIO(pdf)).pages)


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of inline text and whether it is bold."""

    text: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class _Fonts:
    family: str
    unicode: bool
    clean: Callable[[str], str]


def render_letter_pdf(
    *,
    address_lines: list[str],
    subject: str,
    body: str,
    personalisation: Personalisation,
    contact_block: str | None,
    logo_text: str | None,
    date: datetime.date,
    language: str = "en",
) -> bytes:
    """An A4 PDF of the letter, ready to print and post in a windowed envelope.

    ``address_lines`` are the recipient's address as sent (they are
    normalised, not validated: check them with :class:`~.letter.PostalAddress`
    before sending). ``subject``, ``body`` and ``contact_block`` are the
    template's, with placeholders filled from ``personalisation``.
    ``language`` is ``"en"`` or ``"cy"`` (Welsh).
    """
    address = _address_lines(address_lines)
    filled_subject = render_subject(subject, personalisation)
    contact = _contact_lines(contact_block, personalisation)
    logo = " ".join((logo_text or "").split())
    date_text = format_letter_date(date, language)
    source = strip_unsupported_characters(replace_placeholders(body, personalisation, list_style=ListStyle.BULLETS))
    blocks = markdown.parse(source + "\n")

    fonts = _choose_fonts([*address, filled_subject, *contact, logo, date_text, *_texts_in(blocks)])
    pdf = _LetterPDF(fonts)
    pdf.set_creation_date(datetime.datetime.combine(date, datetime.time(), tzinfo=datetime.UTC))
    pdf.set_lang("cy-GB" if language.lower() in WELSH else "en-GB")
    pdf.add_page()
    _draw_logo(pdf, logo)
    _draw_address(pdf, address)
    _draw_contact_block(pdf, contact)

    writer = _BodyWriter(pdf)
    writer.paragraph([Run(date_text)])
    writer.subject(filled_subject)
    for block in blocks:
        writer.block(block)
    return bytes(pdf.output())


# Content ---------------------------------------------------------------------


def _address_lines(lines: Sequence[str]) -> list[str]:
    raw = "\n".join(lines)
    normalised = PostalAddress(raw, allow_international=True).lines or [line.strip() for line in lines if line.strip()]
    return [line.upper() for line in normalised]


def _contact_lines(contact_block: str | None, personalisation: Personalisation) -> list[str]:
    if not contact_block:
        return []
    filled = replace_placeholders(contact_block, personalisation, list_style=ListStyle.PROSE)
    return [remove_whitespace_before_punctuation(line.strip()) for line in filled.splitlines()]


def _texts_in(blocks: Iterable[markdown.Block]) -> Iterable[str]:
    """Every piece of text the body will print."""
    for block in blocks:
        match block:
            case markdown.Heading(text=text) | markdown.Paragraph(text=text) | markdown.Text(text=text):
                yield from (run.text for run in _inline_runs(text))
            case markdown.Code(text=text):
                yield do_nice_typography(text)
            case markdown.Inset(children=children):
                yield from _texts_in(children)
            case markdown.MarkdownList(items=items):
                for item in items:
                    yield from _texts_in(item.children)


def _inline_runs(text: str) -> list[Run]:
    """Notify's letter rendering of inline Markdown, as runs of plain and bold text."""
    runs: list[Run] = []
    position = 0
    for match in _INLINE.finditer(text):
        runs.append(Run(text[position : match.start()]))
        position = match.end()
        if match["escaped"]:
            runs.append(Run(match["escaped"][1]))
        elif match["link"]:
            label = "".join(run.text for run in _inline_runs(match["label"]))
            runs.extend([Run(f"{label}: "), Run(_SCHEME.sub("", match["target"]), bold=True)])
        elif match["url"]:
            runs.append(Run(_SCHEME.sub("", match["url"]), bold=True))
        elif match["newline"]:
            runs.append(Run("\n"))
    runs.append(Run(text[position:]))
    return [Run(do_nice_typography(run.text), run.bold) for run in runs if run.text]


# Fonts -----------------------------------------------------------------------


def _encodes_in_core_font(text: str) -> bool:
    try:
        text.encode(CORE_FONT_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def _core_font_safe(text: str) -> str:
    """Text with each character the core font lacks replaced by a plain one, or by "?"."""
    characters = []
    for character in text:
        if not _encodes_in_core_font(character):
            plain = character.translate(_PLAIN_EQUIVALENTS)
            if plain == character:
                plain = "".join(c for c in unicodedata.normalize("NFKD", character) if not unicodedata.combining(c))
            character = plain if plain and _encodes_in_core_font(plain) else "?"
        characters.append(character)
    return "".join(characters)


def _choose_fonts(texts: Iterable[str]) -> _Fonts:
    if all(_encodes_in_core_font(_without_control_characters(text)) for text in texts):
        return _Fonts(CORE_FONT, unicode=False, clean=_without_control_characters)
    if DEJAVU_REGULAR.is_file() and DEJAVU_BOLD.is_file():
        return _Fonts(UNICODE_FONT, unicode=True, clean=_without_control_characters)
    return _Fonts(CORE_FONT, unicode=False, clean=lambda text: _core_font_safe(_without_control_characters(text)))


def _without_control_characters(text: str) -> str:
    return _CONTROL_CHARACTERS.sub("", text)


# Drawing ---------------------------------------------------------------------


class _LetterPDF(FPDF):
    def __init__(self, fonts: _Fonts) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.letter_fonts = fonts
        self.core_fonts_encoding = CORE_FONT_ENCODING
        if fonts.unicode:
            self.add_font(UNICODE_FONT, "", DEJAVU_REGULAR)
            self.add_font(UNICODE_FONT, "B", DEJAVU_BOLD)
        self.set_margins(BODY_LEFT, BODY_TOP, A4_WIDTH - BODY_LEFT - BODY_WIDTH)
        # Pages are broken by the body writer, which knows what must stay together.
        self.set_auto_page_break(False)
        self.alias_nb_pages()

    def use_font(self, size: float, *, bold: bool = False) -> None:
        self.set_font(self.letter_fonts.family, "B" if bold else "", size)

    def clean(self, text: str) -> str:
        """``text`` with only characters the current font can print ("?" for the others)."""
        text = self.letter_fonts.clean(text)
        font = self.current_font
        if isinstance(font, TTFFont):
            return "".join(c if c == "\n" or ord(c) in font.cmap else "?" for c in text)
        return text

    def footer(self) -> None:
        self.use_font(PAGE_NUMBER_FONT_SIZE)
        label = f"Page {self.page_no()} of {self.str_alias_nb_pages}"
        self.set_xy(PRINTABLE_AREA.left, A4_HEIGHT - BODY_BOTTOM_MARGIN + 1)
        self.cell(PRINTABLE_AREA.width, PAGE_NUMBER_FONT_SIZE * PT * 1.2, label, align="R")


def _baseline(top: float, line_height: float, size: float) -> float:
    """Where text of ``size`` points sits in a line box starting at ``top`` (fpdf's and browsers' rule of thumb)."""
    return top + line_height / 2 + 0.3 * size * PT


def _fit(pdf: _LetterPDF, text: str, width: float) -> str:
    """The longest start of ``text`` that fits in ``width``, as a box with hidden overflow shows it."""
    while text and pdf.get_string_width(text) > width:
        text = text[:-1]
    return text


def _plain_lines(pdf: _LetterPDF, text: str, *, size: float, width: float, bold: bool = False) -> list[str]:
    return [
        "".join(piece.text for piece in line) for line in _layout(pdf, [Run(text)], size=size, width=width, bold=bold)
    ]


def _draw_logo(pdf: _LetterPDF, logo: str) -> None:
    if not logo:
        return
    lines = _plain_lines(pdf, logo, size=LOGO_FONT_SIZE, width=LOGO_AREA.width, bold=True)
    lines = lines[: int(LOGO_AREA.height // LOGO_LINE_HEIGHT)]
    pdf.use_font(LOGO_FONT_SIZE, bold=True)
    for number, line in enumerate(lines):
        pdf.text(
            LOGO_AREA.left, _baseline(LOGO_AREA.top + number * LOGO_LINE_HEIGHT, LOGO_LINE_HEIGHT, LOGO_FONT_SIZE), line
        )


def _draw_address(pdf: _LetterPDF, address: list[str]) -> None:
    pdf.use_font(ADDRESS_FONT_SIZE)
    fitting = int((ADDRESS_WINDOW.height - BASELINE_RISE) // ADDRESS_LINE_HEIGHT)
    lines = [_fit(pdf, pdf.clean(line), ADDRESS_WIDTH) for line in address[:fitting]]
    baseline = ADDRESS_WINDOW.bottom - BASELINE_RISE - (len(lines) - 1) * ADDRESS_LINE_HEIGHT
    for line in lines:
        pdf.text(ADDRESS_WINDOW.left, baseline, line)
        baseline += ADDRESS_LINE_HEIGHT


def _draw_contact_block(pdf: _LetterPDF, contact: list[str]) -> None:
    if not contact:
        return
    lines = [
        wrapped
        for line in contact
        for wrapped in _plain_lines(pdf, line, size=CONTACT_FONT_SIZE, width=CONTACT_BLOCK_AREA.width)
    ]
    pdf.use_font(CONTACT_FONT_SIZE)
    lines = lines[: round(CONTACT_BLOCK_AREA.height / CONTACT_LINE_HEIGHT)]
    # The block grows upwards from its bottom edge, as Notify positions it.
    baseline = CONTACT_BLOCK_AREA.bottom - BASELINE_RISE - (len(lines) - 1) * CONTACT_LINE_HEIGHT
    for line in lines:
        if line:
            pdf.text(CONTACT_BLOCK_AREA.left, baseline, line)
        baseline += CONTACT_LINE_HEIGHT


@dataclass(frozen=True, slots=True)
class _Piece:
    """Text in one style placed on a line, ``x`` millimetres from the line's start."""

    text: str
    bold: bool
    x: float


def _layout(pdf: _LetterPDF, runs: Sequence[Run], *, size: float, width: float, bold: bool) -> list[list[_Piece]]:
    """Lines of pieces: the runs wrapped at spaces to ``width``, breaking at newlines.

    A word too long for a line of its own is cut wherever it has to be.
    """
    lines: list[list[_Piece]] = []
    line: list[_Piece] = []
    x = 0.0
    pending_space = False

    def measure(text: str, is_bold: bool) -> float:
        pdf.use_font(size, bold=is_bold)
        return pdf.get_string_width(text)

    def end_line() -> None:
        nonlocal line, x, pending_space
        lines.append(line)
        line, x, pending_space = [], 0.0, False

    def place(text: str, is_bold: bool) -> None:
        nonlocal x
        if line and line[-1].bold == is_bold:
            line[-1] = _Piece(line[-1].text + text, is_bold, line[-1].x)
        else:
            line.append(_Piece(text, is_bold, x))
        x += measure(text, is_bold)

    for run in runs:
        is_bold = bold or run.bold
        pdf.use_font(size, bold=is_bold)
        for part in re.split(r"(\n| +)", pdf.clean(run.text)):
            if not part:
                continue
            if part == "\n":
                end_line()
            elif part.isspace():
                pending_space = bool(line)
            else:
                space = measure(" ", is_bold) if pending_space else 0.0
                if line and x + space + measure(part, is_bold) > width:
                    end_line()
                    space = 0.0
                if space:
                    place(" ", is_bold)
                pending_space = False
                while measure(part, is_bold) > width - x:
                    head = _fit(pdf, part, width - x) or part[0]
                    place(head, is_bold)
                    end_line()
                    part = part[len(head) :]
                place(part, is_bold)
    if line or not lines:
        end_line()
    return lines


class _BodyWriter:
    """Flows the date, subject and message down the pages, starting new pages as needed."""

    def __init__(self, pdf: _LetterPDF) -> None:
        self.pdf = pdf
        self.y = BODY_TOP_FIRST_PAGE
        self.at_top = True  # nothing written since the page began
        self.bottom = A4_HEIGHT - BODY_BOTTOM_MARGIN

    def _new_page(self) -> None:
        self.pdf.add_page()
        self.y = BODY_TOP
        self.at_top = True

    def _space(self, height: float) -> None:
        if self.at_top:
            return
        if self.y + height >= self.bottom:
            self._new_page()
        else:
            self.y += height

    def _keep_together(self, height: float) -> None:
        """Start a new page unless ``height`` more fits on this one."""
        if not self.at_top and self.y + height > self.bottom:
            self._new_page()

    def _write(self, runs: Sequence[Run], *, size: float, line_height: float, left: float, bold: bool = False) -> None:
        pdf = self.pdf
        width = BODY_LEFT + BODY_WIDTH - left
        for line in _layout(pdf, runs, size=size, width=width, bold=bold):
            if self.y + line_height > self.bottom:
                self._new_page()
            baseline = _baseline(self.y, line_height, size)
            for piece in line:
                pdf.use_font(size, bold=piece.bold)
                pdf.text(left + piece.x, baseline, piece.text)
            self.y += line_height
            self.at_top = False

    def paragraph(self, runs: Sequence[Run], *, left: float = BODY_LEFT) -> None:
        if not "".join(run.text for run in runs).strip():
            return
        self._space(BLOCK_SPACING)
        self._keep_together(LINE_HEIGHT)
        self._write(runs, size=FONT_SIZE, line_height=LINE_HEIGHT, left=left)

    def subject(self, subject: str) -> None:
        self._space(SUBJECT_SPACE_ABOVE)
        self._keep_together(SUBJECT_LINE_HEIGHT + LINE_HEIGHT)
        self._write([Run(subject)], size=SUBJECT_FONT_SIZE, line_height=SUBJECT_LINE_HEIGHT, left=BODY_LEFT, bold=True)
        # The next block adds BLOCK_SPACING; the subject is followed by less.
        self.y += SUBJECT_SPACE_BELOW - BLOCK_SPACING

    def heading(self, text: str) -> None:
        runs = _inline_runs(text)
        if not runs:
            return
        self._space(BLOCK_SPACING)
        # A heading is kept with the first line of what follows it.
        self._keep_together(HEADING_LINE_HEIGHT + LINE_HEIGHT)
        self._write(runs, size=HEADING_FONT_SIZE, line_height=HEADING_LINE_HEIGHT, left=BODY_LEFT, bold=True)

    def block(self, block: markdown.Block, *, left: float = BODY_LEFT) -> None:
        match block:
            case markdown.Heading(level=1, text=text):
                self.heading(text)
            case markdown.Heading(text=text) | markdown.Paragraph(text=text) | markdown.Text(text=text):
                self.paragraph(_inline_runs(text), left=left)
            case markdown.Code(text=text):
                self.paragraph([Run(do_nice_typography(text))], left=left)
            case markdown.Rule():
                if not self.at_top:
                    self._new_page()
            case markdown.Inset(children=children):
                for child in children:
                    self.block(child, left=left)
            case markdown.MarkdownList():
                self.markdown_list(block, left=left)

    def markdown_list(self, markdown_list: markdown.MarkdownList, *, left: float) -> None:
        text_left = left + (NUMBER_INDENT if markdown_list.ordered else BULLET_INDENT)
        self._space(BLOCK_SPACING)
        for number, item in enumerate(markdown_list.items, start=1):
            if number > 1 and item.loose:
                self._space(BLOCK_SPACING)
            self._keep_together(LINE_HEIGHT)
            self._marker(markdown_list.ordered, number, text_left)
            # The item's first block starts on the marker's line.
            self.at_top = True
            for child in item.children:
                self.block(child, left=text_left)
            if self.at_top:  # an empty item still takes a line
                self.y += LINE_HEIGHT
                self.at_top = False

    def _marker(self, ordered: bool, number: int, text_left: float) -> None:
        pdf = self.pdf
        if ordered:
            pdf.use_font(FONT_SIZE)
            label = f"{number}."
            pdf.text(text_left - 1.5 - pdf.get_string_width(label), _baseline(self.y, LINE_HEIGHT, FONT_SIZE), label)
        else:
            pdf.set_fill_color(0)
            pdf.circle(text_left - 2.2, self.y + LINE_HEIGHT / 2, 0.75, style="F")
