"""Parsers for tests/integration/test_untrusted.py: each behaves like one kind of hostile file.

A module of its own, with nothing but these, because the parser's child imports it.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from govplatform.core.interfaces import UserFacingError, check_zip_size, untrusted_parser


def _note_pid(path: str) -> None:
    Path(path).write_text(str(os.getpid()))


@untrusted_parser
def words(text: str, *, upper: bool = False) -> list[str]:
    return (text.upper() if upper else text).split()


@untrusted_parser
def refuse(name: str) -> None:
    raise UserFacingError("The column %(name)s appears twice", name=name)


@untrusted_parser
def spin(pid_file: str) -> None:
    _note_pid(pid_file)
    while True:
        pass


@untrusted_parser
def hoard(pid_file: str) -> None:
    _note_pid(pid_file)
    kept = []
    while True:
        kept.append(bytearray(10_000_000))


@untrusted_parser
def wait(pid_file: str) -> None:
    _note_pid(pid_file)
    time.sleep(600)


@untrusted_parser
def crash(pid_file: str) -> None:
    _note_pid(pid_file)
    os.kill(os.getpid(), signal.SIGSEGV)


@untrusted_parser
def unzip(data: bytes) -> str:
    check_zip_size(data)
    return "read"


@untrusted_parser
def process_id() -> int:
    return os.getpid()
