"""Passwords are argon2id at the settings' cost; a change of cost locks no one out; production refuses weak ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import extract_parameters

from govplatform.core.services import passwords
from govplatform.core.settings import SettingsError, load_settings
from tests.conftest import use_cheap_passwords
from tests.unit.test_settings import PRODUCTION_SECRETS


@pytest.fixture(autouse=True)
def cost_restored() -> Iterator[None]:
    yield
    use_cheap_passwords()


def test_by_default_a_password_is_hashed_with_rfc_9106s_second_recommended_option(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path)
    passwords.use_cost(settings.password_hash_time_cost, settings.password_hash_memory_kib)
    stored = passwords.hash_password("correct horse battery staple")
    parameters = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (3, 64 * 1024, 4)
    assert passwords.verify_password(stored, "correct horse battery staple")
    assert not passwords.verify_password(stored, "correct horse battery stapler")


def test_a_password_hashed_at_one_cost_verifies_after_the_operator_changes_it_and_is_then_hashed_again() -> None:
    passwords.use_cost(2, 19 * 1024)
    stored = passwords.hash_password("a password from before the change")
    assert passwords.rehashed(stored, "a password from before the change") is None, "current: nothing to do"
    passwords.use_cost(1, 32)
    assert passwords.verify_password(stored, "a password from before the change")
    again = passwords.rehashed(stored, "a password from before the change")
    assert again is not None and extract_parameters(again).memory_cost == 32
    assert passwords.verify_password(again, "a password from before the change")


def test_an_unknown_account_or_a_damaged_hash_never_verifies() -> None:
    assert not passwords.verify_password(None, "not a real password, used for timing")  # the dummy's own password
    assert not passwords.verify_password("", "anything")
    assert not passwords.verify_password("", "not a real password, used for timing")
    assert not passwords.verify_password("$argon2id$not-a-hash", "anything")


@pytest.mark.parametrize("environment", ["production", "development"])
@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("password_hash_time_cost", 1, "GOVPLATFORM_PASSWORD_HASH_TIME_COST must be at least 2"),
        ("password_hash_memory_kib", 19 * 1024 - 1, "GOVPLATFORM_PASSWORD_HASH_MEMORY_KIB must be at least 19456"),
    ],
)
def test_every_environment_but_tests_refuses_a_cost_below_owasps_minimum_naming_the_setting(
    tmp_path: Path, environment: str, setting: str, value: int, named: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(var_dir=tmp_path, environment=environment, **{setting: value}, **PRODUCTION_SECRETS)
    minimum = {"password_hash_time_cost": 2, "password_hash_memory_kib": 19 * 1024}
    assert load_settings(var_dir=tmp_path, environment=environment, **minimum, **PRODUCTION_SECRETS)


def test_a_cost_argon2_cannot_use_is_refused_in_any_environment(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="GOVPLATFORM_PASSWORD_HASH_MEMORY_KIB"):
        load_settings(var_dir=tmp_path, environment="test", password_hash_memory_kib=8)
