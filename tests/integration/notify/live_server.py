"""A real `govplatform serve` process on a fresh database, set up through the CLI, for the official client.

Shared by the tests that drive the unchanged notifications-python-client over
HTTP (test_official_client.py, test_client_conformance.py): the server, one
service with a test and a live key and a template of each type, all made the
way an operator would make them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from notifications_python_client.notifications import NotificationsAPIClient

from govplatform.notify.templates.letter_pdf import render_letter_pdf
from govplatform.notify.templates.placeholders import Personalisation
from tests.browser.server import free_port, run_cli, server_env
from tests.browser.server import serving as serving_process
from tests.integration.notify.receiver import Receiver


class Platform:
    def __init__(self, url: str, env: dict[str, str], var_dir: Path, database_url: str) -> None:
        self.url = url
        self.env = env
        self.var_dir = var_dir
        self.database_url = database_url

    def cli_json(self, *args: str) -> dict[str, Any]:
        return json.loads(run_cli(self.env, *args, "--json"))

    def client(self, key: str) -> NotificationsAPIClient:
        return NotificationsAPIClient(key, base_url=self.url)

    def secret(self, name: str) -> str:
        """One of the secrets the server generated into its var dir on first start (secrets.json)."""
        return str(json.loads((self.var_dir / "secrets.json").read_text())[name])


@contextlib.contextmanager
def serving(var_dir: Path, database_url: str) -> Iterator[Platform]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = server_env(var_dir, url)
    env["GOVPLATFORM_DATABASE_URL"] = database_url
    env["GOVPLATFORM_JOB_POLL_SECONDS"] = "0.2"
    with serving_process(env, port, var_dir / "serve.log"):
        yield Platform(url, env, var_dir, database_url)


class World:
    """One service with test and live keys and a template of each type."""

    receiver: Receiver

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        org_id = str(platform.cli_json("org", "create", "--name", "Borsetshire Council")["id"])
        self.service_id = platform.cli_json("service", "create", "--org", org_id, "--name", "Bin collections")["id"]
        self.test_key = self.key("test")
        self.live_key = self.key("live")
        platform.cli_json("notify", "limits", "--service", self.service_id, "--live")
        self.email_template = self.template(
            "email", "Reminder", "Hello ((name)), your bin is collected on ((day)) at ((time)).", "Bins on ((day))"
        )
        self.sms_template = self.template("sms", "Text reminder", "Hi ((name)), bins go out on ((day)).")
        self.letter_template = self.template(
            "letter", "Letter", "Dear ((name))\n\nYour collection day is changing.", "Collection changes"
        )

    def key(self, key_type: str) -> str:
        created = self.platform.cli_json(
            "notify", "key", "create", "--service", self.service_id, "--type", key_type, "--name", f"{key_type} key"
        )
        return str(created["key"])

    def template(self, template_type: str, name: str, body: str, subject: str | None = None) -> str:
        args = ["notify", "template", "create", "--service", self.service_id, "--type", template_type]
        args += ["--name", name, "--body", body] + (["--subject", subject] if subject else [])
        return str(self.platform.cli_json(*args)["id"])


def eventually(check: Callable[[], Any], seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def a_letter_pdf() -> bytes:
    """A real A4 letter with the address in the envelope window, as a service's own system would make one."""
    return render_letter_pdf(
        address_lines=["A. Person", "1 High Street", "SW1A 1AA"],
        subject="Your permit",
        body="Dear Ada\n\nYour permit is ready.",
        personalisation=Personalisation({}),
        contact_block=None,
        logo_text=None,
        date=dt.date(2026, 11, 26),
    )
