"""A worker process for the crash test: the real Worker, with one slow test task registered.

Run as `python -m tests.integration.slow_worker`, with GOVPLATFORM_* settings in the
environment. The task records its effect as an audit row in the job's own transaction,
so the test can count how many times each job's effects were committed.
"""

import asyncio
import signal

from govplatform.core.interfaces import Actor
from govplatform.core.jobs.queue import JobContext
from govplatform.core.jobs.worker import Worker
from govplatform.core.platform import build_platform
from govplatform.core.services import audit
from govplatform.core.settings import load_settings


async def slow_effect(ctx: JobContext, payload: dict) -> None:
    await asyncio.sleep(payload.get("seconds", 0.1))
    audit.record(ctx.uow, Actor("system", None, "crash test"), "test.effect", "job", payload["n"])


async def write_then_wait(ctx: JobContext, payload: dict) -> None:
    """Write first, then wait: on SQLite the job holds the write lock while it waits, as a delivery does."""
    audit.record(ctx.uow, Actor("system", None, "crash test"), "test.effect", "job", payload["n"])
    await ctx.uow.session.flush()
    await asyncio.sleep(payload.get("seconds", 0.1))


async def main() -> None:
    platform = build_platform(load_settings())
    platform.tasks.register("test.slow", slow_effect)
    platform.tasks.register("test.write_then_wait", write_then_wait)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        await Worker(platform.sessions, platform.tasks, platform.settings).run(stop, grace_seconds=10)
    finally:
        await platform.dispose()


if __name__ == "__main__":
    asyncio.run(main())
