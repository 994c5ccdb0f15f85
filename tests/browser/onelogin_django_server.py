"""Runs the Django relying party (onelogin_django/rp_service) beside the platform's live server: registers it
as a private_key_jwt client with a freshly generated RSA key, migrates its SQLite file and serves it with
Django's own server on 127.0.0.1 and a free port, in the relying party's own environment (.venv-onelogin-django).

The browser visits it at http://localhost:PORT: the library rewrites a redirect URI on 127.0.0.1 to
localhost (One Login's admin tool refuses 127.0.0.1), so a service visited at 127.0.0.1 would send the
citizen back to another host, where its session cookie is not sent, and the callback would find no state.
The registered redirect URI is therefore the one the library sends, http://localhost:PORT/one-login/callback/.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.browser.server import ROOT, LiveServer, ServerDidNotStart, free_port

PYTHON = ROOT / ".venv-onelogin-django/bin/python"
PROJECT = ROOT / "tests/browser/onelogin_django"
START_SECONDS = 60.0
NO_VENV = f"the Django relying party needs its environment: run `make install` (no {PYTHON})"


@dataclasses.dataclass(frozen=True)
class DjangoService:
    url: str  # as the browser visits it: http://localhost:PORT
    client_id: str
    log: Path


def _key_pair(directory: Path) -> tuple[Path, str]:
    """The public key's PEM file for the platform, and the private key as the library wants it (base64 PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = directory / "rp-public.pem"
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return public, base64.b64encode(private).decode()


def _register(platform: LiveServer, port: int, public_key: Path) -> str:
    made = json.loads(
        platform.cli(
            "identity", "client", "create", "--service", platform.demo.service_id, "--name", "Django service",
            "--redirect-uri", f"http://localhost:{port}/one-login/callback/",
            "--post-logout-redirect-uri", f"http://localhost:{port}/signed-out/",
            "--back-channel-logout-uri", f"http://127.0.0.1:{port}/one-login/back-channel-logout/",
            "--public-key-file", str(public_key), "--levels", "P0", "--json",
        )
    )  # fmt: skip
    client_id: str = made["client_id"]
    return client_id


def _wait_until_healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerDidNotStart(f"the Django service exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    tail = log.read_text()[-4000:]
    raise ServerDidNotStart(f"the Django service did not start within {START_SECONDS:.0f} s:\n{tail}")


@contextlib.contextmanager
def running_django_service(platform: LiveServer, directory: Path) -> Iterator[DjangoService]:
    """The Django service, registered with `platform` and serving until the block ends."""
    port = free_port()
    public_key, private_key_b64 = _key_pair(directory)
    client_id = _register(platform, port, public_key)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GOVPLATFORM_", "DJANGO_"))}
    env.update(
        {
            "PYTHONPATH": str(PROJECT),
            "DJANGO_SETTINGS_MODULE": "rp_service.settings",
            "RP_SECRET_KEY": secrets.token_urlsafe(32),
            "RP_DATABASE": str(directory / "django.sqlite3"),
            "RP_CLIENT_ID": client_id,
            "RP_CLIENT_SECRET": private_key_b64,
            "RP_OPENID_CONFIG_URL": f"{platform.url}/.well-known/openid-configuration",
            "RP_POST_LOGOUT_REDIRECT_URI": f"http://localhost:{port}/signed-out/",
        }
    )
    migrated = subprocess.run(
        [str(PYTHON), "-m", "django", "migrate", "--noinput"], env=env, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, f"django migrate failed:\n{migrated.stdout}\n{migrated.stderr}"
    log_path = directory / "django.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(PYTHON), "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(port, process, log_path)
        yield DjangoService(f"http://localhost:{port}", client_id, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
