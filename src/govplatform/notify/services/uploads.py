"""Checked files of recipients waiting for "Send": encrypted, under the platform's var dir, for an hour.

Between the check page and "Send" the file must outlive the request that
uploaded it. Three places could hold it:

- a table: not wanted for an hour's scratch space (a migration, and rows of
  up to 10 MB that retention would have to purge);
- the browser, posting the file back: a file input cannot be filled in again,
  so the check page would need all of it in a hidden field, sending up to
  10 MB of personal data through the page and back;
- a file on the server: chosen. It is sealed with the component's SecretBox
  (AES-GCM; the upload id is the associated data) and written with
  owner-only permissions to `<var dir>/notify/uploads/<upload id>`. Inside
  the seal are the service, template and uploader it belongs to, checked on
  every read, so an upload id is no use to anyone else.

Sending claims the file by renaming it (atomic, so a "Send" pressed twice
sends once) and deletes it once the bulk send is committed. Files older than
an hour are refused, and deleted whenever someone uploads a new file.

The cost: the check and the send must reach processes that see the same var
dir (one machine, or a shared volume), as the letters' print folder already
must. A send that finds no file says so and asks for the file again; nothing
has been sent at that point, so nothing is lost.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from govplatform.core.interfaces import SecretBox
from govplatform.notify.services.spreadsheets import Recipient

KEEP_FOR = dt.timedelta(hours=1)
SHOWN_ROWS = 5  # rows kept for the check page; the rest stay in the file until it is sent
_CLAIMED = ".sending"
_WRITING = ".part"


@dataclasses.dataclass(frozen=True)
class StoredUpload:
    """A file that passed its check, with what the check page shows of it."""

    id: uuid.UUID
    service_id: uuid.UUID
    template_id: uuid.UUID
    template_version: int
    filename: str
    uploaded_by: str
    data: bytes
    row_count: int
    first_rows: list[Recipient]

    def belongs_to(self, service_id: uuid.UUID, template_id: uuid.UUID, uploaded_by: str) -> bool:
        return (self.service_id, self.template_id, self.uploaded_by) == (service_id, template_id, uploaded_by)


class UploadStore:
    """One encrypted file per upload; built by the composition root with the folder and the component's box."""

    def __init__(self, folder: Path, box: SecretBox, keep_for: dt.timedelta = KEEP_FOR) -> None:
        self.folder = folder
        self.box = box
        self.keep_for = keep_for

    def _path(self, upload_id: uuid.UUID, suffix: str = "") -> Path:
        return self.folder / f"{upload_id}{suffix}"

    def save(self, upload: StoredUpload) -> None:
        """Seal and write the upload; first delete any upload past its hour."""
        self.remove_expired()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        sealed = self.box.encrypt_text(json.dumps(_envelope(upload)), str(upload.id))
        writing = self._path(upload.id, _WRITING)
        descriptor = os.open(writing, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(sealed)
        os.replace(writing, self._path(upload.id))

    def load(self, upload_id: uuid.UUID) -> StoredUpload | None:
        """The upload, unless it has been sent, has expired, or never existed."""
        return self._read(self._path(upload_id), upload_id)

    def claim(self, upload_id: uuid.UUID) -> StoredUpload | None:
        """Take the upload for sending: of two requests that claim it, only one gets it."""
        claimed = self._path(upload_id, _CLAIMED)
        try:
            os.rename(self._path(upload_id), claimed)
        except FileNotFoundError:
            return None
        found = self._read(claimed, upload_id)
        if found is None:
            claimed.unlink(missing_ok=True)
        return found

    def release(self, upload_id: uuid.UUID) -> None:
        """Give a claimed upload back, when sending it was refused (a daily limit, say)."""
        with contextlib.suppress(FileNotFoundError):
            os.rename(self._path(upload_id, _CLAIMED), self._path(upload_id))

    def discard(self, upload_id: uuid.UUID) -> None:
        for suffix in ("", _CLAIMED):
            self._path(upload_id, suffix).unlink(missing_ok=True)

    def remove_expired(self) -> int:
        """Delete every upload older than the hour it is kept for; returns how many."""
        if not self.folder.is_dir():
            return 0
        oldest = time.time() - self.keep_for.total_seconds()
        removed = 0
        for path in self.folder.iterdir():
            try:
                if path.stat().st_mtime < oldest:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # sent or removed by another request meanwhile
        return removed

    def _read(self, path: Path, upload_id: uuid.UUID) -> StoredUpload | None:
        try:
            if path.stat().st_mtime < time.time() - self.keep_for.total_seconds():
                return None
            sealed = path.read_text(encoding="ascii")
        except FileNotFoundError:
            return None
        return _upload(upload_id, json.loads(self.box.decrypt_text(sealed, str(upload_id))))


def _envelope(upload: StoredUpload) -> dict[str, Any]:
    return {
        "service_id": str(upload.service_id),
        "template_id": str(upload.template_id),
        "template_version": upload.template_version,
        "filename": upload.filename,
        "uploaded_by": upload.uploaded_by,
        "data": base64.b64encode(upload.data).decode("ascii"),
        "row_count": upload.row_count,
        "first_rows": [dataclasses.asdict(row) for row in upload.first_rows],
    }


def _upload(upload_id: uuid.UUID, values: dict[str, Any]) -> StoredUpload:
    return StoredUpload(
        id=upload_id,
        service_id=uuid.UUID(values["service_id"]),
        template_id=uuid.UUID(values["template_id"]),
        template_version=int(values["template_version"]),
        filename=str(values["filename"]),
        uploaded_by=str(values["uploaded_by"]),
        data=base64.b64decode(values["data"]),
        row_count=int(values["row_count"]),
        first_rows=[Recipient(**row) for row in values["first_rows"]],
    )
