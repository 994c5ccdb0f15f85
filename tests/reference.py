"""The published specs and test vectors some tests check against, and the one way those tests skip without them.

The material (GOV.UK Notify's OpenAPI description from alphagov/notifications-tech-docs, GOV.UK Pay's
from alphagov/pay-publicapi, transparency-dev/merkle's RFC 6962 proof vectors, C2SP signed-note vectors,
the wire notes notify.md and pay.md, the forms corpus) lives in ../shared/reference beside the repository.
CI always has it; a person with a bare clone does not, and nothing of it is copied in here.

So a test that needs it is marked `reference` (`@pytest.mark.reference`, or it asks for the
`reference_dir` fixture, which marks it), and where the folder is absent every such test is skipped
here, in one place, so that pytest's summary folds them into one line, and the run ends by saying how
many it skipped. GOVPLATFORM_TEST_REFERENCE_DIR names another folder (tests of this mechanism use it).

A module that needs the material at collection time, to parametrize, reads it with `reference_json` or
`reference_files`, which give an empty answer where it is absent rather than failing the import.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
REFERENCE_DIR = Path(os.environ.get("GOVPLATFORM_TEST_REFERENCE_DIR") or REPOSITORY.parent / "shared" / "reference")
NO_REFERENCE = (
    "needs the reference material (published specs and test vectors) in ../shared/reference "
    "beside the repository; CI has it"
)
_skipped: list[str] = []


def reference_present() -> bool:
    return REFERENCE_DIR.is_dir()


def reference_json(relative: str, absent: Any) -> Any:
    """A JSON file of the material, or `absent` where the material is not here (the tests using it are skipped)."""
    if not reference_present():
        return absent
    return json.loads((REFERENCE_DIR / relative).read_text(encoding="utf-8"))


def reference_files(relative: str, pattern: str) -> list[Path]:
    """The material's files under a folder, sorted; none where the material is not here."""
    return sorted((REFERENCE_DIR / relative).rglob(pattern)) if reference_present() else []


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The material's folder; a test that asks for it is marked `reference` at collection."""
    return REFERENCE_DIR


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "reference_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.reference)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # First among the setup hooks, so it also answers for a test whose parameters come from the material
    # (an empty list where it is absent, which pytest would otherwise skip with a line of its own).
    if item.get_closest_marker("reference") is not None and not reference_present():
        pytest.skip(NO_REFERENCE)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Counted from the reports, which reach the controller's hooks under pytest-xdist (setup hooks run in workers).
    skip = report.longrepr if report.when == "setup" and report.skipped else None
    if isinstance(skip, tuple) and skip[2] == f"Skipped: {NO_REFERENCE}":
        _skipped.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped:
        terminalreporter.write_line(
            f"{len(_skipped)} tests skipped: the reference material is not beside the repository "
            f"({REFERENCE_DIR} is absent); CI has it and runs them",
            yellow=True,
            bold=True,
        )
