"""A member's signed query is answered with only the agreed fields, signed over the question, recorded in the
transparency log in the same transaction, and its receipt verifies once a checkpoint covers it."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms
from sqlalchemy import select
from typer.testing import CliRunner

from govplatform.cli import app
from govplatform.core.platform import Platform
from govplatform.exchange.models import Query
from govplatform.transparency.models import PendingEntry
from govplatform.transparency.receipt import parse_receipt, verify_receipt
from tests.integration.exchange.support import jwk_key
from tests.integration.exchange.world import Signed, make_world


@dataclasses.dataclass
class Received:
    status_code: int
    headers: httpx.Headers
    request: Any


def _verify_answer(response: httpx.Response, request_headers: dict[str, str], url: str, gateway: list[dict]) -> str:
    """Check the gateway's signature on the answer as a member would: over its status, digest, type, and the
    request's own signature (RFC 9421 `req`)."""
    keys = {entry["kid"]: jwk_key(entry) for entry in gateway}
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519, key_resolver=MappingKeyResolver(public_keys=keys, private_keys={})
    )
    results = verifier.verify(
        Received(response.status_code, response.headers, Signed("POST", url, request_headers)),
        max_age=dt.timedelta(seconds=60), body=response.content,
        require_components=("@status", "content-digest", "content-type", '"signature";req;key="sig1"'),
    )  # fmt: skip
    return str(results[0].parameters["keyid"])


async def test_a_signed_query_is_answered_with_the_agreed_fields_signed_over_the_question_and_logged(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform)
    content = json.dumps(world.body()).encode()
    headers = world.sign(content)
    response = await client.post("/api/exchange/v1/queries", content=content, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["data"] == {"make": "FORD", "colour": "Blue"}
    assert (
        answer["source"]["provider"]["name"] == "Vehicle Licensing Agency"
        and answer["source"]["signed_by"] == "gateway"
    )
    gateway = (await client.get("/exchange/directory")).json()["gateway"]["keys"]
    assert _verify_answer(response, headers, world.url, gateway).startswith("gateway/")

    async with platform.uow(read_only=True) as uow:
        [row] = list(await uow.session.scalars(select(Query)))
        pending = [json.loads(p.data) for p in await uow.session.scalars(select(PendingEntry))]
    assert (row.outcome, row.consumer_id, row.agreement_id, row.fields) == (
        "answered",
        world.council,
        world.agreement,
        ["make", "colour"],
    )
    [use] = [entry for entry in pending if entry["type"] == "data-use"]
    assert use["who"] == {"organisation": {"id": str(world.council), "name": "Anytown Council"}}
    assert use["what"] == ["vehicle-colour", "vehicle-make"] and use["via"]["asked_by"] == "member"
    assert use["via"]["agreement"] == str(world.agreement) and "MORGA" not in json.dumps(pending)
    assert row.leaf_hash == answer["leaf_hash"] and answer["receipt_url"].endswith("/receipts/" + row.leaf_hash)

    path = "/api/exchange/v1/receipts/" + answer["leaf_hash"]
    early = await client.get(path)
    assert early.status_code == 404 and early.json()["error"] == "receipt_not_ready"
    await platform.components["transparency"].integrate_all()
    receipt = await client.get(path)
    assert receipt.status_code == 200
    entry = parse_receipt(receipt.text).extra
    assert entry is not None and json.loads(entry)["via"]["agreement"] == str(world.agreement)
    transparency = platform.components["transparency"]
    verify_receipt(entry, receipt.text, transparency.verifier_keys, transparency.origin)
    assert (await client.get("/api/exchange/v1/receipts/" + "0" * 64)).json()["error"] == "receipt_unknown"


async def test_a_person_the_dataset_does_not_hold_gets_the_same_shape_of_answer_without_data(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform)
    held = await world.ask(client)
    absent = await world.ask(client, world.body(subject={"scheme": "driving-licence", "value": "JONES710238SJ9AB"}))
    assert held.status_code == absent.status_code == 200
    assert set(held.json()) == set(absent.json()) and set(held.json()["data"]) == set(absent.json()["data"])
    assert absent.json()["data"] == {"make": None, "colour": None}
    typed_otherwise = await world.ask(client, world.body(subject={"scheme": "nino", "value": "ab 12 34 56 c"}))
    assert typed_otherwise.json()["data"] == {"make": "FORD", "colour": "Blue"}


async def test_a_downloaded_receipt_is_checked_offline_by_verify_receipt_and_a_tampered_one_is_not(
    platform: Platform, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    world = await make_world(platform)
    answer = (await world.ask(client)).json()
    await platform.components["transparency"].integrate_all()
    receipt = (await client.get("/api/exchange/v1/receipts/" + answer["leaf_hash"])).text
    key = str(platform.components["transparency"].verifier_keys[0])
    saved = tmp_path / "receipt.txt"
    saved.write_text(receipt)
    checked = CliRunner().invoke(app, ["transparency", "verify-receipt", str(saved), "--key", key])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith("OK: entry ") and str(world.agreement) in checked.stdout
    lines = receipt.split("\n")
    entry = json.loads(base64.b64decode(lines[1].removeprefix("extra ")))
    entry["what"] = ["vehicle-colour"]  # the receipt's holder claims less was shared than was
    lines[1] = "extra " + base64.b64encode(json.dumps(entry, separators=(",", ":")).encode()).decode()
    saved.write_text("\n".join(lines))
    refused = CliRunner().invoke(app, ["transparency", "verify-receipt", str(saved), "--key", key])
    assert refused.exit_code == 1 and "does not check out" in refused.stderr
    other = CliRunner().invoke(app, ["transparency", "verify-receipt", str(saved), "--key", "not-a-key"])
    assert other.exit_code == 2
