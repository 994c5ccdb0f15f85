"""Pairwise subject identifiers: one citizen is a different `sub` to each sector, and the same to every
service in one sector.

As One Login's ClientSubjectHelper: `urn:fdc:gov.uk:2022:` + base64url(SHA-256(sector host, account id,
the account's own random salt)). The salt is stored with the account rather than derived from a server
secret, so rotating a server secret never changes a citizen's `sub` at a service; without the salt, the
subjects of two sectors cannot be linked to each other or to the account id (docs/adr/0017).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from urllib.parse import urlsplit

SUBJECT_PREFIX = "urn:fdc:gov.uk:2022:"


def sector_host(sector: str) -> str:
    """The sector as a host: a URL's host or a bare host name, lower case, without a leading `www.`."""
    text = sector.strip().lower()
    host = urlsplit(text).hostname if "://" in text else text.split("/", 1)[0].split(":", 1)[0]
    host = host or ""
    return host[4:] if host.startswith("www.") else host


def pairwise_subject(sector: str, account_id: uuid.UUID, salt: str) -> str:
    digest = hashlib.sha256(sector_host(sector).encode() + str(account_id).encode() + salt.encode()).digest()
    return SUBJECT_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")
