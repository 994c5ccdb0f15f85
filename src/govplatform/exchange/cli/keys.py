"""`govplatform exchange key ...` and `gateway-key ...`: members' public keys and the gateway's own.

`key create` makes an Ed25519 pair on the machine it runs on, writes the private half to a file only its
owner can read, and registers only the public half: the platform never holds a member's private key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govplatform.core.interfaces import CLI_ACTOR, emit, fail, parse_id, record_audit, run_with_platform, user_facing
from govplatform.exchange.cli.common import AsJson, exchange_of
from govplatform.exchange.keys import private_pem, raw_public, read_public_pem
from govplatform.exchange.services import members
from govplatform.exchange.services.members import MemberKeyView

key_cli = typer.Typer(help="Members' public keys (their systems hold the private halves).", no_args_is_help=True)
gateway_cli = typer.Typer(help="The gateway's own signing keys.", no_args_is_help=True)


def _shown(key: MemberKeyView) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "organisation_id": str(key.organisation_id),
        "state": key.state,
        "public_jwk": key.jwk,
        "created_at": key.created_at,
        "retired_at": key.retired_at,
    }


def _register(organisation_id: Any, raw: bytes) -> MemberKeyView:
    async def work(platform: Any) -> MemberKeyView:
        async with platform.uow() as uow:
            made = await members.register_key(uow, CLI_ACTOR, organisation_id, raw)
            exchange_of(platform).directory.forget_after(uow)
            await uow.commit()
            return made

    return user_facing(lambda: run_with_platform(work))


@key_cli.command("create")
def key_create(
    org: Annotated[str, typer.Option(help="The organisation's ID")],
    out: Annotated[Path, typer.Option(help="Where to write the private key (PEM); it must not exist yet")],
    as_json: AsJson = False,
) -> None:
    """Make a key pair here, keep the private key in --out, and register only the public key."""
    organisation_id = parse_id(org, "--org")
    private = Ed25519PrivateKey.generate()
    try:  # O_EXCL: never overwrite a key someone may still be using; 0600: readable by its owner alone
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(f"--out {out} already exists; choose a new file (a private key is never overwritten)", 2)
    except OSError as error:
        fail(f"Cannot write --out {out}: {error.strerror}", 2)
    with os.fdopen(descriptor, "wb") as file:
        file.write(private_pem(private))
    try:
        made = _register(organisation_id, raw_public(private.public_key()))
    except BaseException:
        out.unlink(missing_ok=True)  # nothing registered: leave no orphan private key behind
        raise
    emit(as_json, {**_shown(made), "private_key_file": str(out)}, f"Registered {made.key_id}; private key in {out}")


@key_cli.command("register")
def key_register(
    org: Annotated[str, typer.Option(help="The organisation's ID")],
    public_key: Annotated[Path, typer.Option(help="The Ed25519 public key, PEM (made elsewhere, e.g. in an HSM)")],
    as_json: AsJson = False,
) -> None:
    """Register a public key whose private half was made elsewhere."""
    organisation_id = parse_id(org, "--org")
    try:
        raw = read_public_pem(public_key.read_bytes())
    except OSError as error:
        fail(f"Cannot read --public-key {public_key}: {error.strerror}", 2)
    except ValueError as error:
        fail(f"--public-key {public_key}: {error}", 2)
    made = _register(organisation_id, raw)
    emit(as_json, _shown(made), f"Registered {made.key_id}")


@key_cli.command("retire")
def key_retire(
    key_id: Annotated[str, typer.Option(help="The key's ID, {organisation id}/{key id}")],
    as_json: AsJson = False,
) -> None:
    """Stop a key signing new requests; it stays in the directory so old signatures still check."""

    async def work(platform: Any) -> MemberKeyView:
        async with platform.uow() as uow:
            retired = await members.retire_key(uow, CLI_ACTOR, key_id)
            exchange_of(platform).directory.forget_after(uow)
            await uow.commit()
            return retired

    retired = user_facing(lambda: run_with_platform(work))
    emit(as_json, _shown(retired), f"Retired {retired.key_id}")


@key_cli.command("list")
def key_list(
    org: Annotated[str | None, typer.Option(help="Only this organisation's keys")] = None,
    as_json: AsJson = False,
) -> None:
    """Every registered key, current and retired."""
    organisation_id = parse_id(org, "--org") if org else None

    async def work(platform: Any) -> list[MemberKeyView]:
        async with platform.uow(read_only=True) as uow:
            return await members.list_keys(uow, organisation_id)

    keys = run_with_platform(work)
    emit(as_json, {"keys": [_shown(key) for key in keys]}, "\n".join(f"{k.key_id} {k.state}" for k in keys) or "None")


@gateway_cli.command("rotate")
def gateway_rotate(as_json: AsJson = False) -> None:
    """Retire the gateway's signing key (kept published), sign with the published next key, publish a new next."""

    async def work(platform: Any) -> str:
        exchange = exchange_of(platform)
        async with platform.uow() as uow:
            signing = await exchange.gateway_keys.rotate(uow)
            exchange.directory.forget_after(uow)
            record_audit(
                uow, CLI_ACTOR, "exchange.gateway_key_rotated", "exchange_key", signing.split("/")[1], key_id=signing
            )
            await uow.commit()
            return signing

    signing = run_with_platform(work)
    emit(as_json, {"signing": signing}, f"The gateway now signs with {signing}")


@gateway_cli.command("list")
def gateway_list(as_json: AsJson = False) -> None:
    """The gateway's published keys (making the first pair if there is none): the anchor members pin."""

    async def work(platform: Any) -> list[Any]:
        ring = await exchange_of(platform).gateway_keys.ring()
        return ring.published

    published = run_with_platform(work)
    shown = [{"key_id": key.key_id, "state": key.state, "x": key.public_key} for key in published]
    emit(as_json, {"keys": shown}, "\n".join(f"{key['key_id']} {key['state']}" for key in shown))
