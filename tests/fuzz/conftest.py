"""The API fuzzing tier: schemathesis against every machine API, on PostgreSQL only.

DESIGN.md runs the fuzz tier once, on PostgreSQL, to keep CI inside its time:
so `make test` runs it when GOVPLATFORM_TEST_DATABASE_URL names a PostgreSQL
server (as `.ci/run`'s second run does) and skips it with one line on SQLite.
`make test-fuzz` runs it alone. Every test here carries the `fuzz` marker, so
`-m "not fuzz"` leaves the tier out of any run.

At the end of a run the tier prints how many examples it tried per operation.
"""

from __future__ import annotations

import pytest

from tests.conftest import is_postgres
from tests.fuzz.tally import TAKES_NO_INPUT, TRIED

NOT_POSTGRES = (
    "the fuzzing tier runs on PostgreSQL only: set GOVPLATFORM_TEST_DATABASE_URL=postgresql://... (make test-fuzz)"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/fuzz/" in item.nodeid:
            item.add_marker(pytest.mark.fuzz)


def pytest_runtest_setup(item: pytest.Item) -> None:
    # One skip location, so pytest's summary folds the whole tier into a single line on SQLite.
    if "tests/fuzz/" in item.nodeid and not is_postgres():
        pytest.skip(NOT_POSTGRES)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TRIED:
        return
    terminalreporter.section("API fuzzing: examples tried per operation")
    for label, count in sorted(TRIED.items()):
        note = "  (takes no input: every distinct request was sent)" if label in TAKES_NO_INPUT else ""
        terminalreporter.write_line(f"{count:6d}  {label}{note}")
    terminalreporter.write_line(f"{sum(TRIED.values()):6d}  in all, over {len(TRIED)} operations")


# schemathesis 4.32's pytest plugin relabels the running item through `Node._nodeid`, which pytest 9 no longer
# has (a node's id is `_id`, read through `nodeid`). Reading gives the id; the relabelling is dropped, as each
# operation is reported as a subtest under its own label anyway.
if not hasattr(pytest.Function, "_nodeid"):
    pytest.Function._nodeid = property(lambda self: self.nodeid, lambda self, value: None)  # type: ignore[attr-defined]
