"""The suite's tiers, each with a time budget: which folder each is, where it runs, and how long it took.

A test's tier is the folder it sits in (tests/unit, tests/integration, ...), marked at collection
with the tier's name, so `-m browser` or `-m "not fuzz"` picks tiers out of any run. The integration
tier runs on both databases; the fuzz, corpus and scale tiers run once, on PostgreSQL, and skip with
one line on SQLite (DESIGN.md, to keep CI inside its time); unit tests use no database, and the browser
tier (with its axe-core accessibility checks) runs wherever Chromium is found, so `.ci/run` runs both
only in its PostgreSQL run. tests/corpus and tests/scale do not exist yet: a folder of that name is
picked up as its tier, with the budget below, as soon as it is created.

At the end of a run pytest prints each tier's duration against its budget (the sum of its tests'
set-up, call and tear-down times: start-up and collection are outside every tier). GOVPLATFORM_TEST_TIMINGS
names a file to which each run appends its figures as a JSON line; `python -m tests.tiers FILE` prints
them as one table with the steps `.ci/run` timed (see there for what an overrun does).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import is_postgres

CI_LIMIT_SECONDS = 60 * 60  # the whole of .ci/run, from its first line to its last


@dataclasses.dataclass(frozen=True)
class Tier:
    name: str
    budget_seconds: int  # per run; measured figures and the reason for each budget are in docs/architecture.md
    postgres_only: bool = False


TIERS = {
    tier.name: tier
    for tier in (
        Tier("unit", 2 * 60),
        # Since ADR 0026 a tier's time is its tests' time summed over pytest-xdist's workers (two on CI's machine).
        # In a clean-clone `.ci/run` of 2026-12-07 the integration tier summed 27:36 on SQLite (14:54 wall) and
        # 27:02 on PostgreSQL; in one process it had taken 24:59 and 30:02. It runs twice: the tier to cut next
        # (its slowest tests start the CLI or a server as a process: docs/architecture.md, "Tests").
        Tier("integration", 28 * 60),
        # 168 tests summed 23:36 beside the other tiers in that run (13:20 to 14:15 in one process): each test
        # drives Chromium and a server process, so two at once share the two cores rather than halve the time.
        Tier("browser", 24 * 60),
        Tier("fuzz", 6 * 60, postgres_only=True),
        Tier("corpus", 5 * 60, postgres_only=True),
        Tier("scale", 5 * 60, postgres_only=True),
    )
}
NOT_POSTGRES = (
    "the {tier} tier runs on PostgreSQL only: set GOVPLATFORM_TEST_DATABASE_URL=postgresql://... "
    "(then pytest tests/{tier})"
)
_seconds: dict[str, float] = defaultdict(float)
_tests: dict[str, int] = defaultdict(int)
_workers: set[str] = set()  # pytest-xdist's workers whose reports arrived (none in a one-process run)
_started = time.monotonic()


def tier_of(nodeid: str) -> str | None:
    parts = nodeid.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "tests" and parts[1] in TIERS else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = tier_of(item.nodeid)
        if tier is not None:
            item.add_marker(getattr(pytest.mark, tier))


def pytest_runtest_setup(item: pytest.Item) -> None:
    # One skip location for every PostgreSQL-only tier, so pytest's summary folds each into one line.
    tier = tier_of(item.nodeid)
    if tier is not None and TIERS[tier].postgres_only and not is_postgres():
        pytest.skip(NOT_POSTGRES.format(tier=tier))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tier = tier_of(report.nodeid)
    worker = getattr(getattr(report, "node", None), "gateway", None)
    if worker is not None:
        _workers.add(str(worker.id))
    if tier is not None:
        _seconds[tier] += report.duration
        _tests[tier] += int(report.when == "call" or (report.when == "setup" and not report.passed))


def _clock(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def over_budget(tier: str, seconds: float) -> str:
    budget = _clock(TIERS[tier].budget_seconds)
    return f"!!! OVER BUDGET: the {tier} tier took {_clock(seconds)}, its budget is {budget}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Under pytest-xdist each worker's reports reach the controller's hooks too: it alone sums and records them.
    if not _seconds or hasattr(terminalreporter.config, "workerinput"):
        return
    database = "PostgreSQL" if is_postgres() else "SQLite"
    terminalreporter.section(f"Time by tier, on {database} (budgets in tests/tiers.py)")
    for tier in TIERS:
        if tier in _seconds:
            seconds = _seconds[tier]
            budget = _clock(TIERS[tier].budget_seconds)
            terminalreporter.write_line(f"  {tier:<12} {_tests[tier]:5d} tests  {_clock(seconds):>6}  budget {budget}")
            if seconds > TIERS[tier].budget_seconds:
                terminalreporter.write_line(over_budget(tier, seconds), red=True, bold=True)
    wall = time.monotonic() - _started
    in_all = f"  {'in all':<12} {sum(_tests.values()):5d} tests  {_clock(wall):>6}"
    workers = f"; {len(_workers)} workers, each tier's time summed over them" if _workers else ""
    terminalreporter.write_line(f"{in_all}  (from collection on{workers})")
    record = os.environ.get("GOVPLATFORM_TEST_TIMINGS")
    if record:
        line = {"database": database, "tiers": dict(_seconds), "tests": dict(_tests), "seconds": wall}
        line["workers"] = max(len(_workers), 1)
        with Path(record).open("a", encoding="utf-8") as file:
            file.write(json.dumps(line) + "\n")


def report(path: Path) -> int:
    """Print what .ci/run recorded as one table; 1 if the whole run went over CI_LIMIT_SECONDS.

    Each pytest run writes its line before the step that ran it ends, so a run's tiers are held back
    and printed under that step (or under "unfinished" when the step failed).
    """
    print(f"  {'step, and the tiers of a test step':<48} {'took':>6}  {'budget':>6}")
    overruns: list[str] = []
    runs: list[dict[str, Any]] = []
    steps = 0.0
    total: float | None = None

    def print_runs(step_seconds: float | None) -> None:
        for run in runs:
            for tier, seconds in run["tiers"].items():
                label = f"{tier} tier on {run['database']} ({run['tests'].get(tier, 0)} tests)"
                print(f"      {label:<44} {_clock(seconds):>6}  {_clock(TIERS[tier].budget_seconds):>6}")
                if seconds > TIERS[tier].budget_seconds:
                    overruns.append(f"{over_budget(tier, seconds)} (on {run['database']})")
            # The step's own clock where it has one: pytest's starts only once the suite's imports are done. With
            # several workers the tiers' summed time is spread over them: what is left is start-up and the tail.
            wall = step_seconds if step_seconds is not None and len(runs) == 1 else run["seconds"]
            outside = max(wall - sum(run["tiers"].values()) / run.get("workers", 1), 0)
            print(f"      {'start-up and collection':<44} {_clock(outside):>6}")
        runs.clear()

    for text in path.read_text(encoding="utf-8").splitlines():
        line = json.loads(text)
        if "total" in line:
            total = line["total"]
        elif "step" in line:
            steps += line["seconds"]
            print(f"  {line['step']:<48} {_clock(line['seconds']):>6}")
            print_runs(line["seconds"])
        else:
            runs.append(line)
    if runs:
        print(f"  {'unfinished (a step failed)':<48}")
        print_runs(None)
    total = steps if total is None else total
    print(f"  {'set-up between steps (Chromium, PostgreSQL)':<48} {_clock(max(total - steps, 0)):>6}")
    print(f"  {'total':<48} {_clock(total):>6}  {_clock(CI_LIMIT_SECONDS):>6}")
    for overrun in overruns:
        print(overrun)
    if total > CI_LIMIT_SECONDS:
        print(f"!!! CI TOOK {_clock(total)}, OVER ITS LIMIT OF {_clock(CI_LIMIT_SECONDS)}: this fails the run")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(report(Path(sys.argv[1])))
