"""Prebuilt statements: compiled once per dialect, and refused where their SQL could not be."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.dialects.sqlite import aiosqlite

from govplatform.core.data_path import Prebuilt
from govplatform.core.models import Organisation

organisations = Organisation.__table__.c
BY_ID = Prebuilt(select(organisations.id, organisations.name).where(organisations.id == bindparam("id")))


def test_a_prebuilt_statement_is_compiled_once_per_dialect_in_the_drivers_own_parameter_style() -> None:
    for_postgres = BY_ID.compiled_for(asyncpg.dialect())
    for_sqlite = BY_ID.compiled_for(aiosqlite.dialect())
    assert "$1" in for_postgres.sql and "?" not in for_postgres.sql
    assert "?" in for_sqlite.sql and "$1" not in for_sqlite.sql
    assert for_postgres.parameters == for_sqlite.parameters == ("id",)
    assert for_postgres.columns == ("id", "name")
    assert BY_ID.compiled_for(asyncpg.dialect()) is for_postgres


def test_a_statement_whose_sql_changes_with_its_parameters_cannot_be_prebuilt() -> None:
    in_a_list = Prebuilt(select(organisations.id).where(organisations.name.in_(bindparam("names", expanding=True))))
    with pytest.raises(ValueError, match="expanding"):
        in_a_list.compiled_for(aiosqlite.dialect())


def test_a_prebuilt_statement_names_every_column() -> None:
    unnamed = Prebuilt(select(organisations.name + " (closed)"))
    with pytest.raises(ValueError, match="label"):
        unnamed.compiled_for(aiosqlite.dialect())
