"""A bare clone's `make test`: what needs ../shared/reference or PostgreSQL skips in one line each, and says so.

Runs pytest itself in another process on a few real test files, with the reference material pointed
at a folder that does not exist and no PostgreSQL, as a person with a fresh clone has it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "two workers"])
def test_a_run_without_the_reference_material_or_postgresql_skips_each_in_one_line_and_counts(
    tmp_path: Path, workers: list[str]
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GOVPLATFORM_TEST_DATABASE_URL"}
    env |= {"GOVPLATFORM_TEST_REFERENCE_DIR": str(tmp_path / "absent"), "GOVPLATFORM_TEST_TIMINGS": str(tmp_path / "t")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            *workers,
            "tests/unit/transparency/test_note.py",
            "tests/fuzz",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    skipped = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 2, skipped
    reference = next(line for line in skipped if "../shared/reference" in line)
    count = int(re.match(r"SKIPPED \[(\d+)\]", reference).group(1))  # type: ignore[union-attr]
    assert count >= 5
    assert f"{count} tests skipped: the reference material is not beside the repository" in run.stdout
    assert any("the fuzz tier runs on PostgreSQL only" in line for line in skipped)
    assert re.search(r"\d+ passed", run.stdout)  # the tests of test_note.py that need no vectors ran
    timings = json.loads((tmp_path / "t").read_text(encoding="utf-8"))
    assert timings["database"] == "SQLite" and set(timings["tiers"]) == {"unit", "fuzz"}
