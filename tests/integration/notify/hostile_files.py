"""Files that cost far more to read than they weigh, built here with zlib and zipfile (issue 13 fault 1).

Shared by the tests that send them to a real server and by bench/hostile_files.py,
which measures how other requests fare while they are read.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from openpyxl import Workbook

A4 = b"[0 0 595.28 841.89]"
# Text in the envelope window (template-preview's address block), so extraction reads every piece of it.
IN_THE_WINDOW = b"BT /F1 12 Tf 100 700 Td (AAAAAAAAAAAAAAAAAAAA) Tj ET\n"


def pdf_with(content: bytes, extra_objects: tuple[bytes, ...] = (), resources: bytes = b"") -> bytes:
    """A one-page A4 PDF whose page content is ``content``, deflated; objects 6 onwards are ``extra_objects``."""
    stream = zlib.compress(content, 9)
    objects = (
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox "
        + A4
        # The font lives here, and any extra resources (a form) with it.
        + b" /Resources << /Font << /F1 5 0 R >> "
        + resources
        + b" >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra_objects,
    )
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def inflating_pdf(inflated: int = 10_000_000) -> bytes:
    """About 30 KB of PDF whose content stream inflates to ``inflated`` bytes of text operators (the outside
    test's file: 6-19 s of text extraction)."""
    return pdf_with(IN_THE_WINDOW * (inflated // len(IN_THE_WINDOW)))


def repeated_form_pdf(form_bytes: int = 20_000, calls: int = 2_000) -> bytes:
    """About 1 KB of PDF that draws one 20 KB form 2,000 times: nothing large once unpacked, but minutes
    of CPU (500 calls took 20 s), within every limit pypdf has of its own."""
    line = b"BT /F1 12 Tf 1 0 0 1 100 700 Tm (A) Tj ET\n"
    form = zlib.compress(line * (form_bytes // len(line)), 9)
    xobject = (
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Length %d /Filter /FlateDecode >>\nstream\n" % len(form) + form + b"\nendstream"
    )
    return pdf_with(b"/Fm1 Do\n" * calls, (xobject,), b"/XObject << /Fm1 6 0 R >>")


def zip_bomb_xlsx(unpacked: int = 150_000_000) -> bytes:
    """A real XLSX whose first sheet's XML unpacks to ``unpacked`` bytes (about 150 KB as sent)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["email address", "name", "day", "time"])
    plain = io.BytesIO()
    book.save(plain)
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item, source.read(item))
                continue
            with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
                member.write(
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                )
                chunk = row * (1_000_000 // len(row))
                for _ in range(unpacked // len(chunk)):
                    member.write(chunk)
                member.write(b"</sheetData></worksheet>")
    return out.getvalue()


def empty_lines_csv(size: int = 10 * 1000 * 1000) -> bytes:
    """A CSV just under Notify's 10 MB: a header, then empty lines, each a row to the csv module (about
    700 MB of lists, and seconds of CPU, for nothing)."""
    header = b"email address,name,day,time\n"
    return header + b"\n" * (size - len(header))
