"""The table .ci/run prints at its end: each step, each test tier against its budget, and the total."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tiers import CI_LIMIT_SECONDS, TIERS, report, tier_of


def write(path: Path, *lines: dict[str, object]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_a_test_s_tier_is_the_folder_it_sits_in() -> None:
    assert tier_of("tests/unit/transparency/test_note.py::test_x") == "unit"
    assert tier_of("tests/corpus/test_forms.py::test_x[a/b]") == "corpus"
    assert tier_of("tests/helpers.py::test_x") is None


def test_every_tier_named_in_the_design_has_a_budget() -> None:
    assert set(TIERS) == {"unit", "integration", "browser", "fuzz", "corpus", "scale"}
    assert all(tier.budget_seconds > 0 for tier in TIERS.values())
    assert {name for name, tier in TIERS.items() if tier.postgres_only} == {"fuzz", "corpus", "scale"}


def test_the_table_shows_each_tier_under_its_step_and_flags_a_tier_over_budget_without_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    over = TIERS["integration"].budget_seconds + 61
    timings = write(
        tmp_path / "timings.jsonl",
        {"step": "lint", "seconds": 70},
        {
            "database": "PostgreSQL",
            "tiers": {"unit": 30, "integration": over},
            "tests": {"unit": 9},
            "seconds": over + 50,
        },
        {"step": "tests on PostgreSQL: make test", "seconds": over + 55},
        {"total": over + 200},
    )
    assert report(timings) == 0
    printed = capsys.readouterr().out.splitlines()
    step = next(i for i, line in enumerate(printed) if "tests on PostgreSQL: make test" in line)
    assert "unit tier on PostgreSQL (9 tests)" in printed[step + 1] and "0:30" in printed[step + 1]
    assert any("OVER BUDGET: the integration tier" in line and "(on PostgreSQL)" in line for line in printed)
    assert not any("OVER BUDGET: the unit tier" in line for line in printed)
    assert any(line.split()[0] == "total" and "60:00" in line for line in printed)


def test_a_run_over_the_ci_limit_fails_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    timings = write(tmp_path / "timings.jsonl", {"step": "lint", "seconds": 60}, {"total": CI_LIMIT_SECONDS + 1})
    assert report(timings) == 1
    assert "OVER ITS LIMIT" in capsys.readouterr().out


def test_the_tiers_of_a_run_whose_step_failed_are_still_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    timings = write(
        tmp_path / "timings.jsonl",
        {"database": "SQLite", "tiers": {"integration": 300}, "tests": {"integration": 5}, "seconds": 320},
        {"total": 400},
    )
    assert report(timings) == 0
    out = capsys.readouterr().out
    assert "unfinished (a step failed)" in out and "integration tier on SQLite (5 tests)" in out


def test_with_several_workers_the_time_outside_the_tiers_is_the_step_less_their_share_of_the_summed_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    timings = write(
        tmp_path / "timings.jsonl",
        {"database": "SQLite", "tiers": {"integration": 600}, "tests": {"integration": 5}, "seconds": 390}
        | {"workers": 2},
        {"step": "tests on SQLite: make test-integration", "seconds": 400},
        {"total": 460},
    )
    assert report(timings) == 0
    printed = capsys.readouterr().out.splitlines()
    assert any("integration tier on SQLite (5 tests)" in line and "10:00" in line for line in printed)
    assert any("start-up and collection" in line and "1:40" in line for line in printed)  # 400 - 600 / 2
