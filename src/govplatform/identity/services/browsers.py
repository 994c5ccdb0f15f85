"""A browser and operating system in the plain words a citizen recognises ("Firefox", "Windows"), from the
User-Agent header, for the list of signed-in devices (services/devices.py).

The parsing is ua-parser's (the maintained Python port of uap-core's rules, with its rules package pinned
beside it): User-Agent strings change with every browser release, and a hand-written summary would be out
of date within months. Only the two family names are kept, never the header itself or a device model: the
header is a fingerprint, and the families are all a citizen needs to tell their phone from a library
computer. A few families are renamed to what a person calls them ("Mac OS X" is "macOS"; a mobile or
headless build is its browser's name). What ua-parser cannot name is None, shown as "an unknown browser".
"""

from __future__ import annotations

import dataclasses

from ua_parser import parse

MAX_USER_AGENT = 1000  # longer headers are cut before parsing: no browser sends more, and it bounds the work
MAX_NAME = 60  # the columns' width; ua-parser's families are far shorter
PLAIN = {
    "Mac OS X": "macOS",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "HeadlessChrome": "Chrome",
    "Chromium": "Chrome",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
}


@dataclasses.dataclass(frozen=True)
class Browser:
    """What a session's device is called on the devices page; None where it could not be told."""

    browser: str | None
    operating_system: str | None


def _plain(family: str | None) -> str | None:
    if not family or family == "Other":
        return None
    return PLAIN.get(family, family)[:MAX_NAME]


def describe(user_agent: str | None) -> Browser:
    """The browser and operating system a User-Agent header names, in plain words."""
    if not user_agent or not user_agent.strip():
        return Browser(None, None)
    found = parse(user_agent[:MAX_USER_AGENT])
    browser = found.user_agent.family if found.user_agent else None
    system = found.os.family if found.os else None
    return Browser(_plain(browser), _plain(system))
