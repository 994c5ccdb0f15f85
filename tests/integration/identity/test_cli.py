"""`govplatform identity client create`, `citizen create` and `keys rotate`, as a script would run them."""

from __future__ import annotations

from pathlib import Path

import pyotp
from joserfc.jwk import RSAKey
from sqlalchemy import select

from govplatform.core.platform import build_platform
from govplatform.identity.models import Citizen, RelyingParty, SigningKey
from tests.conftest import make_settings
from tests.integration.test_cli import as_json, govplatform
from tests.integration.test_pay_cli import service


async def test_clients_and_citizens_are_made_by_command_and_printed_as_json(
    fresh_database: str, tmp_path: Path
) -> None:
    service_id = service(tmp_path, fresh_database)
    pem = tmp_path / "client.pem"
    pem.write_bytes(RSAKey.generate_key(2048).as_pem(private=False))
    run = lambda *args: govplatform(tmp_path, fresh_database, "identity", *args)  # noqa: E731
    keyed = as_json(
        run("client", "create", "--service", service_id, "--name", "Parking", "--redirect-uri",
            "https://parking.example.gov.uk/cb", "--redirect-uri", "https://parking.example.gov.uk/cb2",
            "--post-logout-redirect-uri", "https://parking.example.gov.uk/signed-out",
            "--public-key-file", str(pem), "--scopes", "openid email phone", "--levels", "P0,P2",
            "--id-token-alg", "RS256", "--json")
    )  # fmt: skip
    assert set(keyed) == {"client_id", "service_id", "name"} and keyed["service_id"] == service_id
    secret = as_json(
        run("client", "create", "--service", service_id, "--name", "Platform", "--redirect-uri",
            "https://platform.example.com/cb", "--token-auth-method", "client_secret_post", "--json")
    )  # fmt: skip
    assert len(secret["client_secret"]) >= 43
    totp = pyotp.random_base32()
    citizen = as_json(
        run("citizen", "create", "--email", "Resident@Example.com", "--password", "a long passphrase",
            "--totp-secret", totp, "--given-name", "Sam", "--family-name", "Jones", "--birth-date", "1985-04-19",
            "--json")
    )  # fmt: skip
    assert citizen["email"] == "resident@example.com"
    first = as_json(run("keys", "rotate", "--json"))["signing"]
    second = as_json(run("keys", "rotate", "--json"))["signing"]
    assert set(first) == {"ES256", "RS256"} and first != second

    platform = build_platform(make_settings(tmp_path, fresh_database))
    async with platform.uow(read_only=True) as uow:
        stored = await uow.session.get(RelyingParty, keyed["client_id"])
        person = await uow.session.scalar(select(Citizen).where(Citizen.email == "resident@example.com"))
        keys = {key.kid: key.state for key in await uow.session.scalars(select(SigningKey))}
    await platform.dispose()
    assert stored is not None and stored.levels == ["P0", "P2"] and stored.scopes == ["openid", "email", "phone"]
    assert stored.id_token_alg == "RS256" and stored.post_logout_redirect_uris == [
        "https://parking.example.gov.uk/signed-out"
    ]
    assert person is not None and str(person.id) == citizen["id"] and str(person.birth_date) == "1985-04-19"
    assert all(keys[kid] == "signing" for kid in second.values())
    assert all(keys[kid] == "retired" for kid in first.values()), "keys that signed stay published for a while"
    assert sorted(keys.values()).count("next") == 2, "each algorithm has its next key published before it signs"


def test_a_command_breaking_a_rule_says_why_in_one_line(fresh_database: str, tmp_path: Path) -> None:
    service_id = service(tmp_path, fresh_database)
    run = lambda *args: govplatform(tmp_path, fresh_database, "identity", *args)  # noqa: E731
    no_key = run("client", "create", "--service", service_id, "--name", "X", "--redirect-uri", "https://x.gov.uk/cb")
    assert no_key.returncode == 1 and "public key as PEM or a JWKS URL" in no_key.stderr
    assert "Traceback" not in no_key.stderr
    internal = run("client", "create", "--service", service_id, "--name", "X", "--redirect-uri", "https://x.gov.uk/cb",
                   "--jwks-url", "https://127.0.0.1/jwks.json")  # fmt: skip
    assert internal.returncode == 1 and "JWKS URL must lead to a server on the public internet" in internal.stderr
    bad_date = run("citizen", "create", "--email", "a@example.com", "--password", "a long passphrase",
                   "--totp-secret", pyotp.random_base32(), "--birth-date", "19/04/1985")  # fmt: skip
    assert bad_date.returncode == 2 and "--birth-date must be a date" in bad_date.stderr
