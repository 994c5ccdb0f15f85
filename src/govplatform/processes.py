"""The commands that start or seed the whole platform: serve (web, optionally with a worker), worker, and demo.

They live beside the composition root, not in a component's cli.py, because they start (or seed) every
component; every other command is in its component's cli.py (tests/unit/test_commands_home.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import secrets
import signal
from typing import Any

import typer

from govplatform.core.commands import command_context, console, describe_database, fail, run_with_platform
from govplatform.core.settings import Settings


def _check_database(settings: Settings) -> None:
    from sqlalchemy import text

    async def ping(platform: Any) -> None:
        async with platform.uow() as uow:
            await uow.session.execute(text("SELECT 1"))

    run_with_platform(ping)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    workers: int = typer.Option(1, help="Web processes"),
    with_worker: bool | None = typer.Option(
        None,
        "--with-worker/--without-worker",
        help="Run a job worker inside the web process (default: on with SQLite, off with PostgreSQL)",
    ),
) -> None:
    """Serve the platform over HTTP."""
    import uvicorn

    settings = command_context().settings()
    from govplatform.app import build_app  # checks settings that only the web needs (assets)
    from govplatform.core.settings import SettingsError

    try:
        build_app(settings)
    except SettingsError as error:
        fail(str(error), 2)
    _check_database(settings)
    embedded = settings.is_sqlite if with_worker is None else with_worker
    os.environ["GOVPLATFORM_EMBEDDED_WORKER"] = "true" if embedded else "false"
    console.print(
        f"Serving at http://{host}:{port} ({describe_database(settings)}, "
        f"{'with' if embedded else 'without'} an in-process worker)",
        highlight=False,
    )
    uvicorn.run(
        "govplatform.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        **proxy_options(settings),
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy options: X-Forwarded-For is believed only from GOVPLATFORM_TRUSTED_PROXIES.

    uvicorn's own default believes it from 127.0.0.1, so anything on the same machine could name any client
    address and so walk past per-address rate limits and throttles; with no trusted proxies, none is believed.
    """
    if not settings.trusted_proxies.strip():
        return {"proxy_headers": False}
    allowed = ",".join(entry.strip() for entry in settings.trusted_proxies.split(",") if entry.strip())
    return {"proxy_headers": True, "forwarded_allow_ips": allowed}


def worker(concurrency: int | None = typer.Option(None, help="Jobs run at once (default from settings)")) -> None:
    """Run background jobs until stopped (SIGTERM or Ctrl-C finishes running jobs first)."""
    from govplatform.core.jobs.worker import Worker, sqlite_worker_lock
    from govplatform.core.observability import configure_logging

    settings = command_context().settings()
    if concurrency is not None:
        settings = settings.model_copy(update={"worker_concurrency": max(1, concurrency)})
    configure_logging(settings.log_level)
    lock = sqlite_worker_lock(settings) if settings.is_sqlite else None
    if settings.is_sqlite and lock is None:
        fail("Another worker is already running on this SQLite database; on SQLite one worker runs.")

    async def work(platform: Any) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await Worker(platform.sessions, platform.tasks, settings, background_loops=platform.background_loops).run(stop)

    with contextlib.suppress(KeyboardInterrupt):
        run_with_platform(work)


def demo() -> None:
    """Seed the demo public body, service and staff user (once), and print how to sign in."""
    import segno

    from govplatform.core.migrate import upgrade_to_head
    from govplatform.core.services import demo as demo_data
    from govplatform.core.services.staff import totp_uri

    context = command_context()
    settings = context.settings(creates=True)
    if not context.database_was_there:  # made here, as `db upgrade` would (make run has run it already)
        try:
            upgrade_to_head(settings)
        except Exception as error:
            fail(f"Cannot migrate the database ({describe_database(settings)}): {str(error).splitlines()[0][:200]}")

    async def work(platform: Any) -> Any:
        async with platform.uow() as uow:
            created = await demo_data.seed(uow, platform.cipher)
            if created is not None:
                # Saved before the commit: if the commit fails the next run seeds and saves again.
                demo_data.save_credentials(platform.settings.var_dir, created)
            await uow.commit()
            return created

    created = run_with_platform(work)
    entries = run_with_platform(_demo_data_uses)
    templates_made = run_with_platform(_demo_templates)
    shop_ready = run_with_platform(_demo_parking_shop)
    shop_signs_in = run_with_platform(_demo_parking_sign_in)
    resident = run_with_platform(_demo_resident)
    exchange = run_with_platform(_demo_exchange)
    seeded = created is not None
    credentials = created or demo_data.load_credentials(settings.var_dir)
    console.print("Demo data " + ("created." if seeded else "was already there; nothing changed."), highlight=False)
    console.print(f"The transparency log holds {entries} records: {settings.base_url}/transparency", highlight=False)
    if templates_made:
        console.print(f"Added {templates_made} example message templates to the demo service.", highlight=False)
    if shop_ready and shop_signs_in:
        console.print(f"Example service: {settings.base_url}/examples/parking-permits", highlight=False)
    if credentials is None:
        console.print(
            "The demo user's credentials file is missing from var/; create a user with `govplatform user create`."
        )
    else:
        uri = totp_uri(credentials.totp_secret, credentials.email, settings.platform_name)
        console.print(f"\nSign in at {settings.base_url}/sign-in", highlight=False)
        console.print(f"  Email:       {credentials.email}", highlight=False)
        console.print(f"  Password:    {credentials.password}", highlight=False)
        console.print(
            f"  TOTP secret: {credentials.totp_secret}  (add it to an authenticator app, or scan:)", highlight=False
        )
        segno.make(uri, error="l").terminal(compact=True)
        console.print(f"  Service ID:  {credentials.service_id}\n", highlight=False)
    _print_resident(resident, settings)
    if exchange is not None:
        console.print(
            "The exchange: the demo council asks the demo vehicle licensing agency's records:", highlight=False
        )
        console.print(f"  Register of agreements: {settings.base_url}/exchange/register", highlight=False)
        console.print(f"  Council's key:  {exchange.council_key_id} (private key in {exchange.council_key_file})",
                      highlight=False)  # fmt: skip
        console.print(f"  Agreement:      {exchange.agreement_id}", highlight=False)
        console.print("  A driving licence given to prove an identity is checked in the agency's records:",
                      highlight=False)  # fmt: skip
        console.print(f"  Identity proofing: {exchange.proofing_agreement_id}\n", highlight=False)


DEMO_TEMPLATES = (
    (
        "email",
        "Bin collection reminder",
        "Your bin collection on ((day))",
        "Dear ((name))\n\nYour ((bin)) bin will be collected on ((day)).\n\n((late??Put it out by 7am.))",
    ),
    ("sms", "Bin collection text", None, "Your ((bin)) bin is collected on ((day)). Reply STOP to stop these texts."),
    (
        "letter",
        "Missed collection letter",
        "Your missed bin collection",
        "Dear ((name))\n\nWe are sorry we missed your ((bin)) bin on ((day)). "
        "We will collect it within 2 working days.",
    ),
)


async def _demo_templates(platform: Any) -> int:
    """Example templates for the demo service, once, so the Notify pages and API have something to show."""
    import uuid

    from govplatform.core.commands import CLI_ACTOR
    from govplatform.core.services import demo as demo_data
    from govplatform.notify.services import templates

    credentials = demo_data.load_credentials(platform.settings.var_dir)
    if credentials is None:
        return 0
    service_id = uuid.UUID(str(credentials.service_id))
    async with platform.uow() as uow:
        if await templates.list_templates(uow, service_id, include_archived=True):
            return 0
        for kind, name, subject, body in DEMO_TEMPLATES:
            await templates.create_template(uow, CLI_ACTOR, service_id, kind, name, body, subject)
        await uow.commit()
    return len(DEMO_TEMPLATES)


async def _demo_parking_shop(platform: Any) -> bool:
    """Give the example parking-permit shop a Pay test key of the demo service, once; whether it has one."""
    import uuid

    from govplatform.core.commands import CLI_ACTOR
    from govplatform.core.services import api_keys
    from govplatform.core.services import demo as demo_data
    from govplatform.examples import parking_shop

    var_dir = platform.settings.var_dir
    if parking_shop.load_key(var_dir) is not None:
        return True
    credentials = demo_data.load_credentials(var_dir)
    if credentials is None:
        return False
    async with platform.uow() as uow:
        _, shown = await api_keys.create_key(
            uow, CLI_ACTOR, platform.key_formats["pay"], uuid.UUID(str(credentials.service_id)), "Parking shop", "test"
        )
        await uow.commit()
    parking_shop.save_key(var_dir, shown)  # after the commit: a saved key always exists in the database
    return True


async def _demo_resident(platform: Any) -> Any:
    """The demo resident (a citizen account), made once; None if their file under var/ is gone."""
    from govplatform.core.commands import CLI_ACTOR
    from govplatform.identity.services import demo as identity_demo

    async with platform.uow() as uow:
        identity = platform.components["identity"]
        resident = await identity_demo.seed_resident(uow, CLI_ACTOR, identity, platform.settings.var_dir)
        await uow.commit()
    return resident


def _print_resident(resident: Any, settings: Any) -> None:
    import segno

    from govplatform.core.services.staff import totp_uri
    from govplatform.identity.services.demo import RESIDENT_FILE

    if resident is None:
        console.print(f"The demo resident's file {RESIDENT_FILE} is missing from var/; make a citizen with "
                      "`govplatform identity citizen create`.", highlight=False)  # fmt: skip
        return
    console.print("The demo resident (a citizen account) signs in to the example service:", highlight=False)
    console.print(f"  Start at:    {settings.base_url}/examples/parking-permits", highlight=False)
    console.print(f"  Email:       {resident.email}", highlight=False)
    console.print(f"  Password:    {resident.password}", highlight=False)
    console.print(f"  TOTP secret: {resident.totp_secret}  (add it to an authenticator app, or scan:)", highlight=False)
    segno.make(totp_uri(resident.totp_secret, resident.email, settings.platform_name), error="l").terminal(compact=True)
    console.print()


async def _demo_parking_sign_in(platform: Any) -> bool:
    """Register the example shop as a relying party of the platform's own provider, once for each base URL.

    Like any outside service it has an RSA key pair of its own for private_key_jwt: the public key is
    registered, the private key kept under var/ (owner-only). Registered again if the base URL has changed,
    since the redirect URIs are absolute.
    """
    import uuid

    from govplatform.core.commands import CLI_ACTOR
    from govplatform.core.services import demo as demo_data
    from govplatform.examples import parking_shop, parking_sign_in
    from govplatform.identity.services import clients

    var_dir = platform.settings.var_dir
    base = platform.settings.base_url.rstrip("/")
    saved = parking_sign_in.load_registration(var_dir)
    if saved is not None and saved.base_url == base:
        await _parking_asks_for_licences(platform, saved.client_id)
        return True
    credentials = demo_data.load_credentials(var_dir)
    if credentials is None:
        return False
    private_pem, public_pem = parking_sign_in.new_key_pair()
    identity = platform.components["identity"]
    async with platform.uow() as uow:
        client, _ = await clients.create_relying_party(
            uow,
            CLI_ACTOR,
            identity.directory,
            identity.hash_secret,
            service_id=uuid.UUID(str(credentials.service_id)),
            name="Parking permits (example service)",
            redirect_uris=[base + parking_shop.CALLBACK],
            post_logout_redirect_uris=[base + parking_shop.SIGNED_OUT],
            back_channel_logout_uri=base + parking_shop.BACK_CHANNEL,
            public_key_pem=public_pem,
            scopes=["openid", "email"],
            levels=["P0", "P2"],  # P2 only when the resident asks to have their vehicle filled in
            claims=[parking_sign_in.DRIVING_PERMIT],
            pkce_required=True,
        )
        await uow.commit()
    registration = parking_sign_in.Registration(client.client_id, private_pem, secrets.token_urlsafe(32), base)
    parking_sign_in.save_registration(var_dir, registration)  # after the commit, as the shop's Pay key
    return True


async def _parking_asks_for_licences(platform: Any, client_id: str) -> None:
    """A shop registered before it could fill in a vehicle (P0 only, no claims) may now ask for P2 and the
    proved licence, as a team would change its client's settings."""
    from govplatform.examples.parking_sign_in import DRIVING_PERMIT
    from govplatform.identity.models import RelyingParty

    async with platform.uow() as uow:
        client = await uow.session.get(RelyingParty, client_id)
        if client is None or ("P2" in client.levels and DRIVING_PERMIT in client.claims):
            return
        client.levels = sorted({*client.levels, "P2"})
        client.claims = [*client.claims, DRIVING_PERMIT] if DRIVING_PERMIT not in client.claims else client.claims
        await uow.commit()


async def _demo_exchange(platform: Any) -> Any:
    """The exchange's demo (exchange/services/demo.py), once: the agency, its people, dataset and agreement with
    the demo council, the council's key, and the agency's licences with identity proofing's agreement (added on
    its own to a demo seeded before them). None when the demo council is missing or the agency was made before
    but its file under var/ is gone."""
    import dataclasses
    import uuid

    from govplatform.core.commands import CLI_ACTOR
    from govplatform.core.interfaces import OrgRole, random_token
    from govplatform.core.services import demo as demo_data
    from govplatform.core.services import org_roles, staff, tenancy
    from govplatform.exchange.services import demo as exchange_demo

    var_dir = platform.settings.var_dir
    saved = exchange_demo.load(var_dir)
    credentials = demo_data.load_credentials(var_dir)
    exchange = platform.components["exchange"]
    owner, officer = "data-owner@vehicles.example.gov.uk", "cdo@vehicles.example.gov.uk"
    if saved is not None and saved.proofing_agreement_id is None:
        async with platform.uow() as uow:
            licences, proofing = await _demo_licences(platform, uow, uuid.UUID(saved.agency_id), owner, officer)
            saved = dataclasses.replace(saved, licences_id=str(licences), proofing_agreement_id=str(proofing))
            exchange_demo.save(var_dir, saved)
            await uow.commit()
    if saved is not None or credentials is None:
        return saved
    council = uuid.UUID(credentials.organisation_id)
    async with platform.uow() as uow:
        if any(org.name == exchange_demo.AGENCY for org in await tenancy.list_organisations(uow)):
            return None
        agency = await tenancy.create_organisation(uow, CLI_ACTOR, exchange_demo.AGENCY)
        await uow.session.flush()
        for email, role in ((owner, OrgRole.DATA_OWNER), (officer, OrgRole.CHIEF_DATA_OFFICER)):
            person, _ = await staff.create_ready_user(uow, CLI_ACTOR, platform.cipher, email, random_token(16), False)
            await uow.session.flush()
            await org_roles.grant(uow, CLI_ACTOR, org_roles.OPERATOR, agency.id, person.id, role)
        dataset = await exchange_demo.seed_dataset(uow, CLI_ACTOR, exchange.box, exchange.hash_secret, agency.id)
        agreement = await exchange_demo.seed_agreement(
            uow, CLI_ACTOR, exchange.log, council, dataset.id, owner, officer
        )
        key_id, key_file = await exchange_demo.seed_council_key(uow, CLI_ACTOR, council, var_dir)
        licences, proofing = await _demo_licences(platform, uow, agency.id, owner, officer)
        seeded = exchange_demo.DemoExchange(str(agency.id), str(dataset.id), str(agreement.id), key_id, str(key_file),
                                            str(licences), str(proofing))  # fmt: skip
        exchange_demo.save(var_dir, seeded)  # before the commit, as the other demo files
        await uow.commit()
    return seeded


async def _demo_licences(platform: Any, uow: Any, agency: Any, owner: str, officer: str) -> tuple[Any, Any]:
    """The agency's licences and the agreement that lets the platform's identity proofing check them."""
    from govplatform.core.commands import CLI_ACTOR
    from govplatform.exchange.services import demo as exchange_demo
    from govplatform.identity.interfaces import PROVING_SERVICE_ID

    exchange = platform.components["exchange"]
    proving = await platform.components["identity"].directory.describe(uow, PROVING_SERVICE_ID)
    if proving is None:
        raise RuntimeError("the platform's own service is missing; run `govplatform db upgrade`")
    dataset, agreement = await exchange_demo.seed_licences(
        uow, CLI_ACTOR, exchange.box, exchange.hash_secret, exchange.log, agency, proving.organisation_id, owner,
        officer,
    )  # fmt: skip
    return dataset.id, agreement.id


async def _demo_data_uses(platform: Any) -> int:
    """Record a few example uses of data, once, so a fresh platform's log is not empty."""
    from govplatform.core.services import demo as demo_data
    from govplatform.transparency.interfaces import DataUse

    log = platform.components["transparency"]
    async with platform.uow() as uow:
        size, _ = await log.head(uow)
        uses = await demo_data.example_data_uses(uow) if size == 0 else []
        for use in uses:
            await log.record_use(uow, DataUse(**dataclasses.asdict(use)))
        await uow.commit()
    total: int = await log.integrate_all()
    return total
