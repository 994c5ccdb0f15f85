"""`govplatform transparency verify` (witness a log from outside), `verify-receipt` (check a receipt offline),
`prove` (print a receipt) and `integrate`.

`verify` reads a log over HTTP and touches no database; `verify-receipt` reads nothing but its file; `prove` and
`integrate` run on the platform that the root command lends through core's command kit (core/commands.py).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer

from govplatform.core.interfaces import console, fail, run_with_platform
from govplatform.transparency.note import NoteError, VerifierKey
from govplatform.transparency.receipt import parse_receipt, verify_receipt
from govplatform.transparency.services.log import LogRequestError
from govplatform.transparency.services.witness import FetchError, WitnessError, WitnessState, witness

transparency_cli = typer.Typer(help="The transparency log.", no_args_is_help=True)


@transparency_cli.command("verify-receipt")
def verify_receipt_command(
    file: Annotated[Path, typer.Argument(help="A receipt (c2sp.org/tlog-proof@v1) that carries its entry")],
    key: Annotated[str, typer.Option(help="The log's verifier key, from a source you trust")],
    entry: Annotated[Path | None, typer.Option(help="The entry's bytes, when the receipt does not carry them")] = None,
) -> None:
    """Check offline that the entry is in the log: the checkpoint's signature by --key, and the inclusion proof."""
    try:
        verifier = VerifierKey.parse(key)
    except NoteError as error:
        _fail(f"--key {key[:40]!r} is not a verifier key: {error}", 2)
    try:
        text = file.read_text(encoding="utf-8")
        given = entry.read_bytes() if entry is not None else None
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"Cannot read the receipt: {error}", 2)
    try:
        carried = parse_receipt(text).extra
        data = given if given is not None else carried
        if data is None:
            _fail("The receipt does not carry its entry: give it with --entry FILE", 2)
        checkpoint = verify_receipt(data, text, [verifier], verifier.name)
    except ValueError as error:
        _fail(f"The receipt does not check out: {error}")
    typer.echo(f"OK: entry {parse_receipt(text).index} is in {verifier.name}, proved against a checkpoint of "
               f"{checkpoint.size} entries signed by {verifier.name}")  # fmt: skip
    typer.echo(data.decode("utf-8", errors="replace"))


@transparency_cli.command("verify")
def verify(
    url: Annotated[str, typer.Option(help="The log's address, e.g. https://platform.example.gov.uk/transparency")],
    key: Annotated[list[str] | None, typer.Option(help="A verifier key you trust (repeat for several)")] = None,
    state: Annotated[Path | None, typer.Option(help="A file that remembers the keys and the last tree seen")] = None,
) -> None:
    """Check the log's signature, every entry and tile, and consistency with the last run; non-zero on failure."""
    saved = WitnessState.load(state) if state else None
    keys = list(key or [])
    if saved is not None:
        if keys and sorted(keys) != sorted(saved.keys):
            _fail(f"{state} pins other keys; keys are pinned on the first run and never taken from the log", 2)
        current = saved
    else:
        if not keys:
            _fail("give --key VKEY (from a source you trust) on the first run", 2)
        for text in keys:
            try:
                VerifierKey.parse(text)
            except NoteError as error:
                _fail(f"--key {text[:40]!r} is not a verifier key: {error}", 2)
        current = WitnessState(keys=keys)

    async def run() -> None:
        async with httpx.AsyncClient(timeout=30, follow_redirects=False) as client:
            result = await witness(client, url.rstrip("/"), current)
        typer.echo(
            f"OK: {result.size} entries; signature, entries, tiles and root check out"
            + (f"; consistent with the {result.previous_size} seen before" if result.previous_size else "")
        )
        if state:
            import base64

            current.size, current.root = result.size, base64.b64encode(result.root).decode()
            current.checkpoint = result.checkpoint
            current.save(state)

    try:
        asyncio.run(run())
    except WitnessError as error:
        _fail(f"VERIFICATION FAILED: {error}", 1)
    except FetchError as error:
        _fail(str(error), 3)


@transparency_cli.command("prove")
def prove(index: int = typer.Option(..., help="The entry's index in the log")) -> None:
    """Print a receipt (c2sp.org/tlog-proof@v1) for one entry, against the latest checkpoint."""

    async def work(platform: Any) -> str:
        log = platform.components["transparency"]
        async with platform.uow() as uow:
            receipt: str = await log.receipt(uow, index)
            return receipt

    try:
        receipt = run_with_platform(work)
    except LogRequestError as error:
        fail(str(error))
    sys.stdout.write(receipt)


@transparency_cli.command("integrate")
def integrate() -> None:
    """Integrate every pending entry into the log now and publish a checkpoint (on demand)."""

    async def work(platform: Any) -> int:
        size: int = await platform.components["transparency"].integrate_all()
        return size

    console.print(f"The log holds {run_with_platform(work)} entries; its checkpoint is published.", highlight=False)


def _fail(message: str, code: int = 1) -> NoReturn:
    sys.stderr.write(message + "\n")
    raise typer.Exit(code)
