"""The store of checked files waiting to be sent: sealed on disk, claimed once, gone after an hour."""

from __future__ import annotations

import base64
import os
import time
import uuid
from pathlib import Path

import pytest

from govplatform.core.crypto import DecryptionError, FieldCipher
from govplatform.notify.services.spreadsheets import Recipient
from govplatform.notify.services.uploads import StoredUpload, UploadStore

DATA = b"email address,name\nada@example.com,Ada\n"


def store(tmp_path: Path) -> UploadStore:
    return UploadStore(tmp_path / "uploads", FieldCipher([os.urandom(32)]))


def an_upload() -> StoredUpload:
    first = Recipient(2, "ada@example.com", "ada@example.com", {"name": "Ada"})
    return StoredUpload(
        uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), 3, "people.csv", "editor@example.gov.uk", DATA, 1, [first]
    )


def test_an_upload_is_sealed_on_disk_with_owner_only_permissions_and_read_back_whole(tmp_path: Path) -> None:
    uploads, upload = store(tmp_path), an_upload()
    uploads.save(upload)
    path = tmp_path / "uploads" / str(upload.id)
    sealed = path.read_bytes()
    assert b"ada@example.com" not in sealed and base64.b64encode(DATA) not in sealed
    assert path.stat().st_mode & 0o777 == 0o600
    assert uploads.load(upload.id) == upload
    assert upload.belongs_to(upload.service_id, upload.template_id, "editor@example.gov.uk")
    assert not upload.belongs_to(upload.service_id, upload.template_id, "someone.else@example.gov.uk")


def test_a_sealed_upload_cannot_be_passed_off_as_another(tmp_path: Path) -> None:
    uploads, upload = store(tmp_path), an_upload()
    uploads.save(upload)
    other = uuid.uuid4()
    os.rename(tmp_path / "uploads" / str(upload.id), tmp_path / "uploads" / str(other))
    with pytest.raises(DecryptionError):
        uploads.load(other)


def test_only_one_of_two_claims_gets_the_upload_and_a_released_one_can_be_claimed_again(tmp_path: Path) -> None:
    uploads, upload = store(tmp_path), an_upload()
    uploads.save(upload)
    assert uploads.claim(upload.id) == upload
    assert uploads.claim(upload.id) is None and uploads.load(upload.id) is None
    uploads.release(upload.id)
    assert uploads.claim(upload.id) == upload
    uploads.discard(upload.id)
    assert list((tmp_path / "uploads").iterdir()) == []


def test_an_upload_older_than_an_hour_is_refused_and_removed_when_the_next_one_is_saved(tmp_path: Path) -> None:
    uploads, old, new = store(tmp_path), an_upload(), an_upload()
    uploads.save(old)
    two_hours_ago = time.time() - 7200
    os.utime(tmp_path / "uploads" / str(old.id), (two_hours_ago, two_hours_ago))
    assert uploads.load(old.id) is None and uploads.claim(old.id) is None
    uploads.save(old)
    os.utime(tmp_path / "uploads" / str(old.id), (two_hours_ago, two_hours_ago))
    uploads.save(new)
    assert [path.name for path in (tmp_path / "uploads").iterdir()] == [str(new.id)]
