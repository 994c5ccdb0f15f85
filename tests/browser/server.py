"""A real `govplatform serve` process on a fresh SQLite database, seeded with the demo, for the browser.

Why a real server and not the ASGI app in this process: the browser must reach
the pages over TCP, and a separate process is what operators run (`serve` with
its in-process worker), so start-up, static assets and headers are tested too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.conftest import CHEAP_PASSWORDS

ROOT = Path(__file__).resolve().parents[2]
RECOVERY_WAIT_SECONDS = 20
START_SECONDS = 90.0  # a start takes seconds; on a shared two-core machine under load it has taken over 30


@dataclasses.dataclass(frozen=True)
class DemoUser:
    """What `govplatform demo` writes to var/demo-credentials.json."""

    email: str
    password: str
    totp_secret: str
    organisation_id: str
    service_id: str


@dataclasses.dataclass(frozen=True)
class LiveServer:
    url: str
    env: dict[str, str]
    log: Path
    demo: DemoUser

    def cli(self, *args: str) -> str:
        """Run `govplatform ARGS` on this server's database and settings; returns what it printed."""
        return run_cli(self.env, *args)


class ServerDidNotStart(Exception):
    pass


def run_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "govplatform", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, f"govplatform {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_env(var_dir: Path, url: str) -> dict[str, str]:
    # Nothing from the outer shell's GOVPLATFORM_* may point this server at another database.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GOVPLATFORM_")}
    env.update(
        {
            "GOVPLATFORM_ENVIRONMENT": "test",
            "GOVPLATFORM_VAR_DIR": str(var_dir),
            "GOVPLATFORM_DATABASE_URL": f"sqlite+aiosqlite:///{var_dir / 'browser.db'}",
            "GOVPLATFORM_FRONTEND_DIR": str(ROOT / "node_modules/govuk-frontend/dist/govuk"),
            "GOVPLATFORM_BASE_URL": url,
            "GOVPLATFORM_LOG_LEVEL": "warning",
            # argon2's least cost, as in-process tests have it
            **{f"GOVPLATFORM_{name.upper()}": str(value) for name, value in CHEAP_PASSWORDS.items()},
            # The operator allows this machine on purpose: the pages' webhooks and callbacks point at it.
            "GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS": "127.0.0.1",
            # A lost second factor's wait (72 hours in production): long enough for the browser to try the
            # account during it (tests/browser/test_identity_recovery.py), short enough to wait out.
            "GOVPLATFORM_IDENTITY_FACTOR_RECOVERY_WAIT_SECONDS": str(RECOVERY_WAIT_SECONDS),
            # Each browser context is a visitor of its own, named by X-Forwarded-For (conftest.new_context), as
            # behind a real proxy: one visitor's sends and guesses are not another's (core's throttle is per
            # client address), however many journeys the tier runs against one server.
            "GOVPLATFORM_TRUSTED_PROXIES": "127.0.0.1",
        }
    )
    return env


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerDidNotStart(f"govplatform serve exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise ServerDidNotStart(
        f"govplatform serve did not answer /healthz within {START_SECONDS:.0f} s:\n{log.read_text()[-4000:]}"
    )


@contextlib.contextmanager
def running_server(var_dir: Path, host: str = "127.0.0.1") -> Iterator[LiveServer]:
    """Migrate and seed a new database in `var_dir`, serve it on a free port, and stop it afterwards.

    The server listens on 127.0.0.1 either way; `host` is the name its base URL (and so the browser) uses:
    `localhost` where passkeys are tested, since browsers refuse an IP address as a WebAuthn relying party id.
    """
    port = free_port()
    url = f"http://{host}:{port}"
    env = server_env(var_dir, url)
    run_cli(env, "db", "upgrade")
    run_cli(env, "demo")
    demo = DemoUser(**json.loads((var_dir / "demo-credentials.json").read_text()))
    server = LiveServer(url, env, var_dir / "serve.log", demo)
    with serving(env, port, server.log):
        yield server


@contextlib.contextmanager
def serving(env: dict[str, str], port: int, log_path: Path, with_worker: bool = True) -> Iterator[None]:
    """`govplatform serve` on 127.0.0.1:`port` with `env`, until it answers /healthz; stopped afterwards."""
    worker = "--with-worker" if with_worker else "--without-worker"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "govplatform", "serve", "--host", "127.0.0.1", "--port", str(port), worker],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(f"http://127.0.0.1:{port}", process, log_path)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
