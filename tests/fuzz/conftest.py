"""The API fuzzing tier: schemathesis against every machine API, on PostgreSQL only.

DESIGN.md runs the fuzz tier once, on PostgreSQL, to keep CI inside its time:
so `make test` runs it when GOVPLATFORM_TEST_DATABASE_URL names a PostgreSQL
server (as `.ci/run`'s PostgreSQL run does) and skips it with one line on SQLite;
tests/tiers.py does both for every PostgreSQL-only tier and marks every test here
`fuzz`, so `-m "not fuzz"` leaves the tier out of any run. `make test-fuzz` runs it alone.

At the end of a run the tier prints how many examples it tried per operation.
"""

from __future__ import annotations

import pytest

from tests.fuzz.tally import TAKES_NO_INPUT, TRIED


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
