"""`govplatform identity ...`: relying parties, citizens for demos and tests, and signing key rotation.

Each command runs on the platform that the root command lends through core's command kit
(core/commands.py, ADR 0014) and prints one JSON object with --json.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from govplatform.core.interfaces import (
    CLI_ACTOR,
    emit,
    fail,
    parse_id,
    run_with_platform,
    user_facing,
)
from govplatform.identity.component import IdentityComponent
from govplatform.identity.proofing.command import command_proof
from govplatform.identity.services import citizens, clients, proven

identity_cli = typer.Typer(help="Identity: a GOV.UK One Login-compatible sign-in.", no_args_is_help=True)
client_cli = typer.Typer(help="Relying parties (OpenID Connect clients).", no_args_is_help=True)
citizen_cli = typer.Typer(help="Citizen accounts.", no_args_is_help=True)
keys_cli = typer.Typer(
    help="The provider's signing keys (ID tokens; with --did, coreIdentityJWTs).", no_args_is_help=True
)
identity_cli.add_typer(client_cli, name="client")
identity_cli.add_typer(citizen_cli, name="citizen")
identity_cli.add_typer(keys_cli, name="keys")


def _identity(platform: Any) -> IdentityComponent:
    component: IdentityComponent = platform.components["identity"]
    return component


@client_cli.command("create")
def client_create(
    service: Annotated[str, typer.Option(help="The service's ID")],
    name: Annotated[str, typer.Option(help="The client's name")],
    redirect_uri: Annotated[list[str], typer.Option(help="A redirect URI (repeat for several)")],
    post_logout_redirect_uri: Annotated[list[str] | None, typer.Option(help="A post-logout redirect URI")] = None,
    back_channel_logout_uri: Annotated[str | None, typer.Option(help="Where logout tokens are sent")] = None,
    public_key_file: Annotated[Path | None, typer.Option(help="The client's RSA public key, PEM")] = None,
    jwks_url: Annotated[str | None, typer.Option(help="The client's JWKS URL")] = None,
    token_auth_method: Annotated[str, typer.Option(help="private_key_jwt or client_secret_post")] = "private_key_jwt",
    sector: Annotated[str | None, typer.Option(help="The sector host (default: the redirect URIs' host)")] = None,
    scopes: Annotated[str, typer.Option(help="Space-separated scopes")] = "openid email",
    claims: Annotated[str, typer.Option(help="Space-separated userinfo claims it may ask for (vocab URIs)")] = "",
    levels: Annotated[str, typer.Option(help="Comma-separated levels of confidence")] = "P0",
    id_token_alg: Annotated[str, typer.Option(help="ES256 or RS256")] = "ES256",
    require_pkce: Annotated[bool, typer.Option("--require-pkce", help="Refuse requests without PKCE")] = False,
    max_age_enabled: Annotated[
        bool, typer.Option("--max-age-enabled", help="Honour max_age in requests (One Login's MaxAgeEnabled)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Register a relying party; prints its client_id (and, for client_secret_post, its secret, once)."""
    service_id = parse_id(service, "--service")
    pem = None
    if public_key_file is not None:
        try:
            pem = public_key_file.read_text()
        except (OSError, UnicodeDecodeError) as error:
            fail(f"Cannot read --public-key-file {public_key_file}: {error}", 2)

    async def work(platform: Any) -> tuple[Any, str | None]:
        identity = _identity(platform)
        async with platform.uow() as uow:
            made = await clients.create_relying_party(
                uow,
                CLI_ACTOR,
                identity.directory,
                identity.hash_secret,
                service_id=service_id,
                name=name,
                redirect_uris=list(redirect_uri),
                post_logout_redirect_uris=list(post_logout_redirect_uri or []),
                back_channel_logout_uri=back_channel_logout_uri,
                public_key_pem=pem,
                jwks_url=jwks_url,
                token_auth_method=token_auth_method,
                sector=sector,
                scopes=scopes.split(),
                claims=claims.split(),
                levels=[level.strip() for level in levels.split(",") if level.strip()],
                id_token_alg=id_token_alg,
                pkce_required=require_pkce,
                outbound=identity.outbound,  # a JWKS URL on an internal address is refused now, as on the pages
                max_age_enabled=max_age_enabled,
            )
            await uow.commit()
            return made

    client, secret = user_facing(lambda: run_with_platform(work))
    values: dict[str, Any] = {"client_id": client.client_id, "service_id": client.service_id, "name": client.name}
    if secret:
        values["client_secret"] = secret
    emit(
        as_json,
        values,
        f"Client {client.name}: client_id {client.client_id}"
        + (f"\nclient_secret {secret}\nCopy it now: it is not shown again." if secret else ""),
    )


@citizen_cli.command("create")
def citizen_create(
    email: Annotated[str, typer.Option(help="Their email address")],
    password: Annotated[str, typer.Option(help="Their password")],
    totp_secret: Annotated[str, typer.Option(help="Their authenticator app's secret, base32")],
    given_name: Annotated[str | None, typer.Option(help="Given name")] = None,
    family_name: Annotated[str | None, typer.Option(help="Family name")] = None,
    birth_date: Annotated[str | None, typer.Option(help="Date of birth, YYYY-MM-DD")] = None,
    level: Annotated[str | None, typer.Option(help="An identity proved at P1 or P2")] = None,
    passport: Annotated[str | None, typer.Option(help="The UK passport number the identity was proved with")] = None,
    driving_licence: Annotated[
        str | None, typer.Option(help="The UK photocard driving licence number the identity was proved with")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Make a citizen account with a password and an authenticator app (for demos and tests), and with --level an
    identity proved by the documents given, recorded with the evidence and scores they stand for."""
    born = None
    if birth_date:
        try:
            born = dt.date.fromisoformat(birth_date)
        except ValueError:
            fail(f"--birth-date must be a date like 1985-04-19, not {birth_date!r}", 2)
    proved = None
    if level is not None or passport is not None or driving_licence is not None:
        try:
            proved = command_proof(level, given_name, family_name, born, passport, driving_licence)
        except ValueError as error:
            fail(str(error), 2)

    async def work(platform: Any) -> Any:
        async with platform.uow() as uow:
            citizen = await citizens.create_citizen(
                uow,
                CLI_ACTOR,
                _identity(platform).box,
                email=email,
                password=password,
                totp_secret=totp_secret,
                given_name=given_name,
                family_name=family_name,
                birth_date=born,
            )
            if proved is not None:
                await proven.record(uow, _identity(platform), citizen.id, proved)
            await uow.commit()
            return citizen

    citizen = user_facing(lambda: run_with_platform(work))
    shown = {"id": citizen.id, "email": citizen.email, "level": proved.level if proved else "P0"}
    emit(as_json, shown, f"Citizen {citizen.email}: {citizen.id}" + (f", proved at {proved.level}" if proved else ""))


@keys_cli.command("rotate")
def keys_rotate(
    did: Annotated[bool, typer.Option("--did", help="Rotate the DID keys that sign coreIdentityJWTs instead")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Sign with the keys published at the last rotation, retire the current ones, publish new next keys."""

    async def work(platform: Any) -> dict[str, str]:
        async with platform.uow() as uow:
            keys = _identity(platform).did_keys if did else _identity(platform).signing_keys
            signing = await keys.rotate(uow)
            await uow.commit()
            return signing

    signing = run_with_platform(work)
    emit(as_json, {"signing": signing}, "Now signing with " + ", ".join(f"{alg} {kid}" for alg, kid in signing.items()))
