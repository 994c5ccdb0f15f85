"""Where a sign-in for the platform's own pages may send the citizen afterwards: a path on this site, never
anywhere else (an open redirect would let a phishing link borrow the platform's address, OWASP ASVS 5.1.5).

Accepted: an absolute path ("/forms/parking?step=2"). Refused: anything with a scheme or a host
("https://x", "//x", "/\\x", which browsers read as "//x"), control characters or backslashes anywhere,
and anything very long.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_LENGTH = 2000


def same_site_path(candidate: str | None) -> str | None:
    """The path itself when it stays on this site, else None."""
    if not candidate or len(candidate) > MAX_LENGTH or not candidate.startswith("/"):
        return None
    if candidate.startswith("//") or "\\" in candidate or not candidate.isprintable() or not candidate.isascii():
        return None
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return None
    return candidate
