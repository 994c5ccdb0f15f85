"""Every message the pages show has a Welsh translation, and the catalogue matches the code."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "src/govplatform/core/translations"


def test_every_message_in_the_code_is_in_the_welsh_catalogue(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_",
            "-k",
            "gettext_",
            "--no-location",
            "--omit-header",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        in_code = {message.id for message in read_po(handle) if message.id}
    assert "Skip to main content" in in_code and len(in_code) > 100, "extraction found the messages"
    with (TRANSLATIONS / "cy/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="cy")
    missing = sorted(in_code - {m.id for m in catalogue if m.id and m.string and not m.fuzzy}, key=str)
    assert not missing, f"run `make translations` and translate: {missing}"


def test_welsh_translations_keep_every_placeholder() -> None:
    import re

    with (TRANSLATIONS / "cy/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="cy")
    for message in catalogue:
        if message.id and isinstance(message.id, str):
            placeholders = sorted(re.findall(r"%\(\w+\)s", message.id))
            assert placeholders == sorted(re.findall(r"%\(\w+\)s", message.string)), message.id
