"""Alembic environment: runs migrations on the async engine built from settings."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from govplatform.core.database import create_engine
from govplatform.core.settings import load_settings
from govplatform.models_registry import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    url = config.attributes.get("database_url")
    settings = load_settings()
    engine = create_engine(settings, url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_main())
