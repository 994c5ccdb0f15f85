"""A print contractor's response file is read in a separate process with limits, like any file sent to us.

The contractor uploads response files to the inbox over SFTP; the worker reads
them (services/letters.py). A file that needs more than its limits (here one
of 60 MB against a memory limit of 32 MiB) is rejected whole, with the reason,
as a malformed one is, and nothing in it is applied.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest

from govplatform.core.platform import Platform
from govplatform.notify.services import letters


async def test_a_response_file_past_its_limits_is_rejected_with_the_reason(
    platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(letters, "RESPONSE_LIMITS", dataclasses.replace(letters.RESPONSE_LIMITS, memory_bytes=32 << 20))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    line = f"{uuid.uuid4()},received,2026-11-26\n"
    (inbox / "huge.csv").write_text("notification_id,status,date\n" + line * (60_000_000 // len(line)))

    async with platform.uow() as uow:
        result = await letters.read_responses(uow, inbox)
        await uow.commit()

    assert result.rejected == ("huge.csv",) and result.processed == ()
    explanation = (inbox / "rejected" / "huge.csv.error.txt").read_text()
    assert "line 1: the file could not be read: the file needed more than 32 MiB of memory to read" in explanation
