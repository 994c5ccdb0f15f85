"""Relying parties and citizens are made only as One Login's registry rules allow, and keep secrets as hashes."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from govplatform.core.platform import Platform
from govplatform.identity.errors import IdentityError
from govplatform.identity.models import Citizen, RelyingParty
from govplatform.identity.services import citizens, clients
from govplatform.identity.services.clients import secret_hash
from govplatform.identity.services.subjects import pairwise_subject
from tests.helpers import CLI
from tests.integration.identity.support import PASSWORD, a_citizen, a_client, a_service, identity_of


async def test_a_private_key_jwt_client_is_stored_with_its_key_and_a_sector_from_its_redirect_host(
    platform: Platform,
) -> None:
    made = await a_client(platform, scopes=["openid", "email"], levels=["P0"])
    async with platform.uow(read_only=True) as uow:
        stored = await uow.session.get(RelyingParty, made.client_id)
    assert stored is not None and stored.public_key_pem and "BEGIN PUBLIC KEY" in stored.public_key_pem
    assert stored.sector == "parking.example.gov.uk" and stored.id_token_alg == "ES256"
    assert stored.client_secret_hash is None and stored.active


async def test_a_client_secret_post_client_gets_a_secret_once_and_only_its_keyed_hash_is_stored(
    platform: Platform,
) -> None:
    made = await a_client(platform, token_auth_method="client_secret_post")
    assert made.secret and len(made.secret) >= 43
    async with platform.uow(read_only=True) as uow:
        stored = await uow.session.get(RelyingParty, made.client_id)
    assert stored is not None and stored.client_secret_hash != made.secret
    assert stored.client_secret_hash == secret_hash(identity_of(platform).hash_secret, made.secret)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"redirect_uris": ["http://parking.example.gov.uk/callback"]}, "https"),
        ({"redirect_uris": ["https://parking.example.gov.uk/callback#x"]}, "fragment"),
        ({"redirect_uris": []}, "at least one redirect URI"),
        ({"scopes": ["email"]}, "must include openid"),
        ({"scopes": ["openid", "wallet"]}, "must include openid"),
        ({"levels": ["P9"]}, "among P0"),
        ({"id_token_alg": "HS256"}, "ES256 or RS256"),
        ({"token_auth_method": "client_secret_post", "levels": ["P0", "P2"]}, "may not ask for identity"),
        ({"redirect_uris": ["https://a.example.gov.uk/cb", "https://b.example.gov.uk/cb"]}, "need a sector"),
    ],
)
async def test_a_client_breaking_a_registry_rule_is_refused_and_nothing_is_stored(
    platform: Platform, options: dict, message: str
) -> None:
    service_id = await a_service(platform)
    with pytest.raises(IdentityError, match=message):
        await a_client(platform, service_id, **options)
    async with platform.uow(read_only=True) as uow:
        assert list(await uow.session.scalars(select(RelyingParty).where(RelyingParty.service_id == service_id))) == []


async def test_a_client_for_a_service_that_does_not_exist_is_refused(platform: Platform) -> None:
    with pytest.raises(IdentityError, match="no service"):
        await a_client(platform, uuid.uuid4())


async def test_a_public_key_that_is_not_rsa_pem_is_refused(platform: Platform) -> None:
    identity = identity_of(platform)
    service_id = await a_service(platform)
    async with platform.uow() as uow:
        with pytest.raises(IdentityError, match="RSA public key"):
            await clients.create_relying_party(
                uow, CLI, identity.directory, identity.hash_secret, service_id=service_id, name="Bad key",
                redirect_uris=["https://x.example.gov.uk/cb"], public_key_pem="-----BEGIN PUBLIC KEY-----\nAAAA\n",
            )  # fmt: skip


async def test_a_citizens_email_is_normalised_and_unique_and_their_secrets_are_not_kept_in_clear(
    platform: Platform,
) -> None:
    person = await a_citizen(platform, "Resident.One@Example.COM ")
    async with platform.uow(read_only=True) as uow:
        stored = await uow.session.get(Citizen, person.id)
    assert stored is not None and stored.email == "resident.one@example.com"
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    assert stored.totp_secret_encrypted and person.totp.secret not in stored.totp_secret_encrypted
    assert identity_of(platform).box.decrypt_text(stored.totp_secret_encrypted, str(stored.id)) == person.totp.secret
    with pytest.raises(IdentityError, match="already an account"):
        await a_citizen(platform, "resident.one@example.com")


@pytest.mark.parametrize(
    ("email", "password", "secret", "message"),
    [
        ("not an email", PASSWORD, "JBSWY3DPEHPK3PXPJBSWY3DP", "correct format"),
        ("a@example.com", "short", "JBSWY3DPEHPK3PXPJBSWY3DP", "between 8 and 256"),
        ("a@example.com", PASSWORD, "not base32!", "base32"),
        ("a@example.com", PASSWORD, "JBSWY3DP", "16 base32 characters"),
    ],
)
async def test_a_citizen_breaking_a_rule_is_refused(
    platform: Platform, email: str, password: str, secret: str, message: str
) -> None:
    async with platform.uow() as uow:
        with pytest.raises(IdentityError, match=message):
            await citizens.create_citizen(
                uow, CLI, identity_of(platform).box, email=email, password=password, totp_secret=secret
            )


def test_pairwise_subjects_differ_between_sectors_and_agree_within_one() -> None:
    account = uuid.uuid4()
    one = pairwise_subject("parking.example.gov.uk", account, "salt")
    assert one.startswith("urn:fdc:gov.uk:2022:") and "=" not in one
    assert one == pairwise_subject("https://www.parking.example.gov.uk/anything", account, "salt")
    assert one != pairwise_subject("housing.example.gov.uk", account, "salt")
    assert one != pairwise_subject("parking.example.gov.uk", uuid.uuid4(), "salt")
    assert one != pairwise_subject("parking.example.gov.uk", account, "another salt")
