"""`govplatform exchange query ...`: ask an exchange as a member's own system would, and check the answer.

It runs on the member's machine, with the member's private key; it never touches the platform's database. It
signs the query under RFC 9421 (the same components and parameters any member's client uses), posts it, and
checks the gateway's signature on the answer against the directory of the exchange it asked, over the request's
own signature too, so an answer to another question cannot be passed off as this one's. With --gateway-key the
answer must be signed by that pinned key (docs/exchange.md, "Trusting the directory").
"""

from __future__ import annotations

import base64
import json
import secrets
import sys
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import httpx
import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import InvalidSignature
from starlette.datastructures import MutableHeaders

from govplatform.core.interfaces import emit, fail
from govplatform.exchange.cli.common import AsJson
from govplatform.exchange.keys import read_private_pem
from govplatform.exchange.signatures import HttpRequest, HttpResponse, sign_request, verify_response

TIMEOUT = 15.0


def _gateway_keys(url: str) -> dict[str, Ed25519PublicKey]:
    parts = urlsplit(url)
    directory = httpx.get(f"{parts.scheme}://{parts.netloc}/exchange/directory", timeout=TIMEOUT)
    directory.raise_for_status()
    keys = {}
    for entry in directory.json()["gateway"]["keys"]:
        x = entry["x"] + "=" * (-len(entry["x"]) % 4)
        keys[entry["kid"]] = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x))
    return keys


def query(
    url: Annotated[
        str, typer.Option(help="The exchange's query URL, e.g. https://platform.example/api/exchange/v1/queries")
    ],
    key: Annotated[Path, typer.Option(help="Your organisation's private key (PEM), as `key create` wrote it")],
    key_id: Annotated[str, typer.Option(help="The key's ID, {organisation id}/{key id}")],
    agreement: Annotated[str, typer.Option(help="The agreement's ID")],
    purpose: Annotated[str, typer.Option(help="The agreement's purpose code")],
    subject: Annotated[
        str,
        typer.Option(
            help="SCHEME:VALUE, e.g. driving-licence:MORGA657054SM9IJ; - reads it from standard input, so "
            "a person's identifier is not kept in shell history or shown in the list of processes"
        ),
    ],
    fields: Annotated[str, typer.Option(help="Comma-separated fields")],
    gateway_key: Annotated[str | None, typer.Option(help="Accept only answers signed by this gateway key id")] = None,
    as_json: AsJson = False,
) -> None:
    """Sign a query with your key, send it, and check the gateway's signature on the answer."""
    if subject == "-":
        subject = sys.stdin.readline(1024).strip()
    scheme, colon, value = subject.partition(":")
    if not colon:
        fail("--subject is SCHEME:VALUE, e.g. driving-licence:MORGA657054SM9IJ", 2)
    try:
        private = read_private_pem(key.read_bytes())
    except OSError as error:
        fail(f"Cannot read --key {key}: {error.strerror}", 2)
    except ValueError as error:
        fail(f"--key {key}: {error}", 2)
    body = {"agreement_id": agreement, "purpose": purpose, "subject": {"scheme": scheme, "value": value},
            "fields": [name.strip() for name in fields.split(",") if name.strip()]}  # fmt: skip
    content = json.dumps(body).encode()
    request = HttpRequest("POST", url, MutableHeaders(headers={"content-type": "application/json"}))
    sign_request(request, content, key_id, private, secrets.token_urlsafe(24))
    try:
        answer = httpx.post(url, content=content, headers=dict(request.headers), timeout=TIMEOUT)
        trusted = _gateway_keys(url)
    except (httpx.HTTPError, ValueError, KeyError) as error:
        fail(f"Could not reach the exchange at {url}: {type(error).__name__}")
    if gateway_key is not None:
        trusted = {kid: public for kid, public in trusted.items() if kid == gateway_key}
    response = HttpResponse(answer.status_code, MutableHeaders(raw=list(answer.headers.raw)), request)
    try:
        signed_by = verify_response(response, answer.content, trusted)
    except InvalidSignature as error:
        fail(f"The answer's signature does not check out: {error}")
    shown: dict[str, Any] = {"status": answer.status_code, "signed_by": signed_by, **answer.json()}
    if answer.status_code != 200:
        emit(as_json, shown, f"Refused ({answer.status_code} {shown.get('error')}): {shown.get('message')}")
        raise typer.Exit(1)
    emit(
        as_json,
        shown,
        json.dumps(shown["data"], indent=2) + f"\nSigned by {signed_by}; receipt: {shown['receipt_url']}",
    )
