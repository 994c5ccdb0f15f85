import json
import stat
from pathlib import Path

import pytest

from govplatform.core.settings import SettingsError, load_settings, normalise_database_url


def test_a_wrong_setting_names_itself_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOVPLATFORM_WORKER_CONCURRENCY", "lots")
    with pytest.raises(SettingsError) as caught:
        load_settings(var_dir=tmp_path)
    assert "GOVPLATFORM_WORKER_CONCURRENCY" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unknown_database_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="GOVPLATFORM_DATABASE_URL"):
        load_settings(var_dir=tmp_path, database_url="mysql://localhost/x")


def test_an_encryption_key_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="GOVPLATFORM_ENCRYPTION_KEYS"):
        load_settings(var_dir=tmp_path, encryption_keys="c2hvcnQ=")


def test_production_requires_secrets_to_be_set(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="required in production"):
        load_settings(var_dir=tmp_path, environment="production")


def test_the_embedded_default_generates_secrets_once_and_keeps_them(tmp_path: Path) -> None:
    first = load_settings(var_dir=tmp_path)
    second = load_settings(var_dir=tmp_path)
    assert first.session_secret and first.session_secret == second.session_secret
    assert first.encryption_key_list() == second.encryption_key_list()
    stored = tmp_path / "secrets.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert set(json.loads(stored.read_text())) == {
        "api_key_hash_secret",
        "encryption_keys",
        "session_secret",
        "transparency_subject_secret",
        "transparency_signing_seed",
        "notify_provider_callback_secret",
    }


def test_a_secret_added_by_a_later_release_is_generated_without_changing_the_others(tmp_path: Path) -> None:
    (tmp_path / "secrets.json").write_text(json.dumps({"session_secret": "kept", "api_key_hash_secret": "kept too"}))
    settings = load_settings(var_dir=tmp_path)
    assert settings.session_secret == "kept" and settings.api_key_hash_secret == "kept too"
    assert settings.transparency_subject_secret and settings.encryption_keys


def test_the_transparency_origin_defaults_to_the_host_name(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path, base_url="https://platform.example.gov.uk:8443/x")
    assert settings.resolved_transparency_origin == "platform.example.gov.uk/transparency"


def test_the_default_database_is_sqlite_under_var(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'govplatform.db'}"


def test_plain_database_urls_get_the_async_driver() -> None:
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert normalise_database_url("sqlite:///var/x.db") == "sqlite+aiosqlite:///var/x.db"


PRODUCTION_SECRETS = {
    "api_key_hash_secret": "h" * 32,
    "encryption_keys": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "session_secret": "s" * 32,
    "transparency_subject_secret": "t" * 32,
    "transparency_signing_seed": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "notify_provider_callback_secret": "n" * 32,
}


def test_production_sends_cookies_over_https_only_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert load_settings(var_dir=tmp_path, environment="production", **PRODUCTION_SECRETS).secure_cookies is True
    overridden = load_settings(var_dir=tmp_path, environment="production", secure_cookies=False, **PRODUCTION_SECRETS)
    assert overridden.secure_cookies is False
    monkeypatch.setenv("GOVPLATFORM_SECURE_COOKIES", "false")
    assert load_settings(var_dir=tmp_path, environment="production", **PRODUCTION_SECRETS).secure_cookies is False


def test_development_does_not_need_https_for_its_cookies_unless_told_to(tmp_path: Path) -> None:
    assert load_settings(var_dir=tmp_path, environment="development").secure_cookies is False
    assert load_settings(var_dir=tmp_path, environment="test", secure_cookies=True).secure_cookies is True
