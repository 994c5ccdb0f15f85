"""The identity provider under load: the token exchange, /userinfo, discovery and the JWKS, and whole sign-in
journeys per second with the share of their CPU spent hashing passwords (issue 15's "Performance").

Why a separate script: every token request needs a code of its own (single use) and a client assertion
with a jti of its own, which one repeated request line cannot be, and a journey is five requests with
cookies and CSRF tokens. Steps, on one scratch database:

1. the yardstick's GET /hello and POST /accept, measured with the load generator bench/run.py picks;
2. a service, a private_key_jwt client (a generated RSA key) through the CLI, and citizens (password and
   authenticator app) made through the identity service layer, as `identity citizen create` makes them;
3. `govplatform serve --without-worker`; discovery, the JWKS and /userinfo (with an access token from one
   real journey over HTTP) through the same load generator;
4. the token exchange: N codes prepared through the identity service layer in the scratch database (a
   sign-in started and finished with `sign_in.start` and `sign_in.issue_code`, exactly what the code page
   does after the right TOTP code; a code lives 300 s, so they are made just before the load) and N
   assertions signed beforehand; then keep-alive connections POST /token, each code once, until the time
   or the codes run out. Only 200s count;
5. journeys: simulated browsers each doing /authorize, the email, password and code pages and the token
   request, one journey after another, each citizen's TOTP code used once per 30-second step. The server's
   CPU per journey comes from /proc (bench/profiling.py); the argon2 share is the time of one
   `verify_password` with the platform's own parameters, timed in this process on a stored hash, divided
   by the server's CPU per journey (one password check per journey).

    .venv/bin/python bench/identity.py                          # SQLite
    .venv/bin/python bench/identity.py --database postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402
import profiling  # noqa: E402
import pyotp  # noqa: E402
import run as bench_run  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from joserfc import jwt  # noqa: E402
from joserfc.jwk import RSAKey  # noqa: E402
from notify_delivery import settings_for  # noqa: E402
from scenarios import Context  # noqa: E402

from browser import Browser, Reply  # noqa: E402
from govplatform.app import register_components  # noqa: E402
from govplatform.core.interfaces import Actor, hash_password, verify_password  # noqa: E402
from govplatform.core.platform import build_platform  # noqa: E402
from govplatform.identity.services import citizens, sign_in  # noqa: E402
from govplatform.identity.services.authorisation import check_request  # noqa: E402

BENCH = Actor("cli", None, "bench")
PASSWORD = "a long benchmark passphrase"  # noqa: S105 (the benchmark citizens' own)
UA = {"User-Agent": "govplatform-bench/1"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REDIRECT_URI = "https://service.example.gov.uk/callback"


def assertion(key: RSAKey, client_id: str, audience: str) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 300,
    }
    return jwt.encode({"alg": "RS256"}, claims, key)


def authorise_query(client_id: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "scope": "openid email",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "state": uuid.uuid4().hex,
        "nonce": uuid.uuid4().hex,
    }


async def make_citizens(env: dict[str, str], count: int) -> list[tuple[str, pyotp.TOTP]]:
    platform = build_platform(settings_for(env))
    register_components(platform)
    identity = platform.components["identity"]
    made = []
    async with platform.uow() as uow:
        for n in range(count):
            secret = pyotp.random_base32()
            email = f"bench-{n}-{uuid.uuid4().hex[:6]}@example.com"
            await citizens.create_citizen(uow, BENCH, identity.box, email=email, password=PASSWORD, totp_secret=secret)
            made.append((email, pyotp.TOTP(secret)))
        await uow.commit()
    await platform.dispose()
    return made


async def make_codes(env: dict[str, str], client_id: str, count: int) -> list[str]:
    """`count` codes for one citizen, each from a sign-in started and finished through the service layer."""
    platform = build_platform(settings_for(env))
    register_components(platform)
    identity = platform.components["identity"]
    codes: list[str] = []
    async with platform.uow() as uow:
        citizen = await citizens.create_citizen(
            uow,
            BENCH,
            identity.box,
            email=f"codes-{uuid.uuid4().hex[:6]}@example.com",
            password=PASSWORD,
            totp_secret=pyotp.random_base32(),
        )
        await uow.commit()
    for start in range(0, count, 500):
        async with platform.uow() as uow:
            for _ in range(start, min(start + 500, count)):
                query = authorise_query(client_id)
                checked = await check_request(uow, identity, {k: [v] for k, v in query.items()}, 100)
                token = await sign_in.start(uow, identity, checked)
                row = await sign_in.find(uow, identity, token)
                assert row is not None
                code, _ = await sign_in.issue_code(uow, identity, row, citizen.id)
                codes.append(code)
            await uow.commit()
    await platform.dispose()
    return codes


async def exchange_codes(port: int, forms: list[dict[str, str]], connections: int, seconds: float) -> tuple[int, float]:
    """POST /token with each form once, on `connections` keep-alive connections; (200s, seconds taken)."""
    queue = list(reversed(forms))
    ok = 0
    started = time.monotonic()
    deadline = started + seconds

    async def connection() -> None:
        nonlocal ok
        browser = Browser(port)
        try:
            while queue and time.monotonic() < deadline:
                reply = await browser.request("POST", "/token", form=queue.pop(), headers=UA)
                ok += reply.status == 200
        finally:
            await browser.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return ok, time.monotonic() - started


def _expect(reply: Reply, status: int, step: str) -> Reply:
    if reply.status != status:
        raise RuntimeError(f"{step} answered {reply.status}, not {status}: {reply.body[:300]!r}")
    return reply


def _csrf(reply: Reply) -> str:
    found = CSRF.search(reply.text)
    if found is None:
        raise RuntimeError("the page has no CSRF token")
    return found.group(1)


async def journey(browser: Browser, client_id: str, key: RSAKey, base: str, email: str, totp: pyotp.TOTP) -> dict:
    """One whole sign-in as a browser and the service make it: /authorize, three pages, /token."""
    browser.forget_cookies()
    query = authorise_query(client_id)
    started = _expect(await browser.request("GET", "/authorize?" + urlencode(query), headers=UA), 302, "authorize")
    page = _expect(
        await browser.request("GET", urlsplit(started.header("location") or "").path, headers=UA), 200, "email"
    )
    sent = await browser.request("POST", "/identity/sign-in/email", form={"email": email, "csrf_token": _csrf(page)})
    _expect(sent, 303, "email")
    page = _expect(await browser.request("GET", "/identity/sign-in/password", headers=UA), 200, "password page")
    form = {"password": PASSWORD, "csrf_token": _csrf(page)}
    _expect(await browser.request("POST", "/identity/sign-in/password", form=form, headers=UA), 303, "password")
    page = _expect(await browser.request("GET", "/identity/sign-in/code", headers=UA), 200, "code page")
    form = {"code": totp.now(), "csrf_token": _csrf(page)}
    back = _expect(await browser.request("POST", "/identity/sign-in/code", form=form, headers=UA), 302, "code")
    code = parse_qs(urlsplit(back.header("location") or "").query)["code"][0]
    token_form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion(key, client_id, f"{base}/token"),
    }
    tokens = _expect(await browser.request("POST", "/token", form=token_form, headers=UA), 200, "token")
    body = tokens.json()
    assert isinstance(body, dict)
    return body


async def journeys(
    port: int,
    pid: int,
    client_id: str,
    key: RSAKey,
    base: str,
    people: list[tuple[str, pyotp.TOTP]],
    users: int,
    seconds: float,
) -> tuple[int, int, dict[str, float]]:
    """Journeys finished in `seconds` by `users` browsers, failures, and the CPU the window took."""
    free = list(people)  # each citizen once: their code is accepted once per 30-second step
    done, failed = 0, 0
    before = profiling.cpu_seconds(pid)
    deadline = time.monotonic() + seconds

    async def user() -> None:
        nonlocal done, failed
        browser = Browser(port)
        try:
            while free and time.monotonic() < deadline:
                email, totp = free.pop()
                try:
                    await journey(browser, client_id, key, base, email, totp)
                    done += 1
                except Exception as error:
                    failed += 1
                    if failed == 1:
                        print(f"first failed journey: {error}")
                    await browser.close()
        finally:
            await browser.close()

    await asyncio.gather(*(user() for _ in range(users)))
    after = profiling.cpu_seconds(pid)
    return done, failed, {who: after[who] - before.get(who, 0.0) for who in after}


def argon2_seconds(rounds: int = 20) -> float:
    stored = hash_password(PASSWORD)
    started = time.process_time()
    for _ in range(rounds):
        assert verify_password(stored, PASSWORD)
    return (time.process_time() - started) / rounds


def main(args: argparse.Namespace) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="govplatform-identity-"))
    servers: list[bench_run.Server] = []
    generator = bench_run.pick_generator("auto")
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    try:
        with bench_run.scratch_database(args.database, scratch, args.postgres_admin_url, args.keep) as (url, db_text):
            env = {k: v for k, v in os.environ.items() if not k.startswith("GOVPLATFORM_")}
            env.update(
                GOVPLATFORM_VAR_DIR=str(scratch / "var"),
                GOVPLATFORM_DATABASE_URL=url,
                GOVPLATFORM_LOG_LEVEL="warning",
                GOVPLATFORM_TEMPLATE_RELOAD="false",
                GOVPLATFORM_FRONTEND_DIR=str(ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
            )
            govplatform = Path(sys.executable).parent / "govplatform"
            subprocess.run([str(govplatform), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
            say(
                f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; database: {db_text}; load average "
                f"{os.getloadavg()[0]:.1f}; generator: {generator}, {args.connections} connections; "
                f"{args.duration:.0f} s per measurement"
            )
            # 1. the yardstick
            port = bench_run.free_port()
            yardstick = Path(args.yardstick).resolve()
            bench_run.create_yardstick_table(yardstick, url)
            command = [sys.executable, str(yardstick), "--port", str(port), "--workers", "1", "--database-url", url]
            server = bench_run.start_server("yardstick", command, env, port, "/hello", scratch)
            baseline = {}
            try:
                for scenario in bench_run.YARDSTICK_SCENARIOS:
                    request = bench_run.request_for(scenario)
                    bench_run.measure(args, generator, port, request, 2)
                    baseline[scenario.name] = bench_run.measure(args, generator, port, request, args.duration)
            finally:
                server.stop()
            hello, accept = baseline["hello"].ok_per_second, baseline["accept"].ok_per_second
            say(f"yardstick GET /hello {hello:.0f} ok/s; POST /accept {accept:.0f} ok/s")
            # 2. a client and citizens
            context = Context(govplatform=govplatform, env=env, cwd=ROOT)
            service_id = context.platform_service()["service_id"]
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = scratch / "client.pem"
            pem.write_bytes(
                private.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
            client_id = context.cli(
                "identity",
                "client",
                "create",
                "--service",
                service_id,
                "--name",
                "Bench service",
                "--redirect-uri",
                REDIRECT_URI,
                "--public-key-file",
                str(pem),
            )["client_id"]
            key = RSAKey.import_key(
                private.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
            people = asyncio.run(make_citizens(env, args.citizens))
            # 3. the provider's reads
            port = bench_run.free_port()
            base = f"http://{bench_run.HOST}:{port}"
            env["GOVPLATFORM_BASE_URL"] = base
            command = [str(govplatform), "serve", "--host", bench_run.HOST, "--port", str(port)]
            servers.append(
                bench_run.start_server("platform", [*command, "--without-worker"], env, port, "/healthz", scratch)
            )
            pid = servers[-1].process.pid
            first = asyncio.run(journey(Browser(port), client_id, key, base, *people.pop()))
            bearer = {**UA, "Authorization": f"Bearer {first['access_token']}"}
            reads = [
                ("discovery", "/.well-known/openid-configuration", UA, hello, 0.5),
                ("JWKS", "/.well-known/jwks.json", UA, hello, 0.5),
                ("userinfo", "/userinfo", bearer, accept, 0.3),
            ]
            for name, path, headers, against, target in reads if not args.journeys_only else []:
                request = loadgen.Request("GET", path, headers)
                bench_run.measure(args, generator, port, request, 1)
                measured = bench_run.measure(args, generator, port, request, args.duration)
                rate = measured.ok_per_second
                base_name = "/hello" if against == hello else "/accept"
                say(
                    f"{name} GET {path}: {rate:.0f} ok/s, ratio {rate / against:.3f} of {base_name} "
                    f"(target {target}){'' if rate / against >= target else ' NOT MET'}; p50 {measured.p50_ms:.1f} "
                    f"ms, p99 {measured.p99_ms:.1f} ms"
                )
            # 4. the token exchange
            if not args.journeys_only:
                prepared = time.monotonic()
                codes = asyncio.run(make_codes(env, client_id, args.codes))
                audience = f"{base}/token"
                forms = [
                    {
                        "grant_type": "authorization_code",
                        "code": code,
                        "redirect_uri": REDIRECT_URI,
                        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        "client_assertion": assertion(key, client_id, audience),
                    }
                    for code in codes
                ]
                say(f"prepared {len(codes)} codes and assertions in {time.monotonic() - prepared:.1f} s")
                warm = max(1, len(forms) // 20)
                asyncio.run(exchange_codes(port, forms[:warm], args.connections, 5))
                ok, took = asyncio.run(exchange_codes(port, forms[warm:], args.connections, args.duration))
                rate = ok / max(took, 1e-9)
                say(
                    f"token POST /token: {ok} of {len(forms) - warm} codes exchanged in {took:.1f} s: {rate:.0f} ok/s, "
                    f"ratio {rate / accept:.3f} of /accept (target 0.2){'' if rate / accept >= 0.2 else ' NOT MET'}"
                )
            # 5. journeys
            hashing = argon2_seconds()
            done, failed, cpu = asyncio.run(
                journeys(port, pid, client_id, key, base, people, args.users, args.duration)
            )
            if failed:
                print("the platform's log, last lines:", *servers[-1].log_lines()[-15:], sep="\n")
            server_cpu = cpu.get("platform", 0.0)
            say(
                f"journeys: {done} in {args.duration:.0f} s with {args.users} users: {done / args.duration:.1f}/s "
                f"({failed} failed); CPU per journey: "
                + ", ".join(f"{who} {seconds / max(done, 1) * 1000:.0f} ms" for who, seconds in cpu.items())
            )
            if done and server_cpu:
                share = hashing / (server_cpu / done)
                say(
                    f"argon2 verify_password: {hashing * 1000:.0f} ms CPU each (timed in-process); one per journey "
                    f"= {share:.0%} of the server's CPU per journey"
                )
    finally:
        for server in servers:
            server.stop()
    if args.output:
        Path(args.output).write_text("\n".join(lines) + "\n")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-admin-url", default="postgresql://root@127.0.0.1/postgres")
    parser.add_argument("--yardstick", default=str(ROOT.parent / "shared" / "bench" / "yardstick.py"))
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of each measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--codes", type=int, default=3000, help="codes prepared for the token exchange")
    parser.add_argument("--citizens", type=int, default=200, help="citizens for the journeys (one journey each)")
    parser.add_argument("--users", type=int, default=8, help="simulated browsers doing journeys")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--journeys-only", action="store_true", help="skip the reads and the token exchange")
    parser.add_argument("--output", help="also write the report's lines to this file")
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
