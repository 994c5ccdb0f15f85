"""Email "delivery" into a folder, for development and test environments.

Not a mock: each email is built exactly as the SMTP provider builds it and
written as an RFC 5322 `.eml` file, which any mail client opens, so a
developer sees the real headers, both parts and the unsubscribe link without a
mail server. Writing the file stands in for the receiving server's 250, so the
result is DELIVERED with the Message-ID as the reference, as from SMTP.

Files are named by notification id: when the worker sends a notification again
(after a crash between the write and the status update) the new copy replaces
the old one instead of appearing twice, much as the stable Message-ID lets a
real mailbox recognise a repeat. Each file is written to a temporary name and
renamed into place, so a reader never sees half a message.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

from govplatform.core.interfaces import private_folder
from govplatform.notify.providers.base import EmailMessage, Outcome, SendResult
from govplatform.notify.providers.mime import message_id_header, render


class SandboxEmailProvider:
    """Writes each email to `folder`/<notification id>.eml; the folder is created when missing."""

    name = "sandbox"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def path_for(self, notification_id: uuid.UUID) -> Path:
        return self.folder / f"{notification_id}.eml"

    async def send(self, message: EmailMessage) -> SendResult:
        try:
            content = render(message)
        except ValueError as error:
            return SendResult(
                outcome=Outcome.TECHNICAL,
                provider=self.name,
                detail=f"the message could not be built: {type(error).__name__}",
            )
        try:
            await asyncio.to_thread(self._write, self.path_for(message.notification_id), content)
        except OSError as error:  # a full disk or a folder we may not write to: ours to fix
            return SendResult(
                outcome=Outcome.TECHNICAL,
                provider=self.name,
                detail=f"could not write the .eml file: {error.strerror or type(error).__name__}",
            )
        return SendResult(
            outcome=Outcome.DELIVERED,
            provider=self.name,
            reference=message_id_header(message.message_id),
            detail=f"written to {self.path_for(message.notification_id).name}",
        )

    def _write(self, path: Path, content: bytes) -> None:
        private_folder(path.parent)
        # mkstemp creates the file 0600: a message is for its recipient, not for other accounts.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(content)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
