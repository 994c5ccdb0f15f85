"""Notify API keys and tokens, checked with the official Python client's own token maker."""

import time
import uuid

import jwt
import pytest
from notifications_python_client.authentication import create_jwt_token

from govplatform.core.platform import Platform
from govplatform.core.services import api_keys
from govplatform.core.services.api_keys import StoredKeys
from govplatform.notify.auth import NotifyAuthError, authenticate
from govplatform.notify.keys import NotifyKeyFormat
from tests.helpers import CLI, service_with_org


async def new_key(platform: Platform, key_type: str = "normal", name: str = "My Case System") -> tuple[str, object]:
    service_id = await service_with_org(platform, f"Council {uuid.uuid4().hex[:6]}", "Bins")
    async with platform.uow() as uow:
        key, shown = await api_keys.create_key(uow, CLI, NotifyKeyFormat(platform.cipher), service_id, name, key_type)
        await uow.commit()
    return shown, key


def client_parts(shown: str) -> tuple[str, str]:
    """How notifications-python-client slices a key: service id, then secret."""
    return shown[-73:-37], shown[-36:]


async def check(platform: Platform, header: str | None, now: float | None = None):
    async with platform.uow(read_only=True) as uow:
        return await authenticate(uow, StoredKeys(platform.cipher), header, now)


async def test_a_token_made_by_the_official_client_authenticates_its_key(platform: Platform) -> None:
    shown, key = await new_key(platform, "team")
    assert shown.startswith("my_case_system-")
    service_id, secret = client_parts(shown)
    assert uuid.UUID(service_id) == key.service_id
    found = await check(platform, f"Bearer {create_jwt_token(secret, service_id)}")
    assert found.key_id == key.id and found.key_type == "team" and found.service.id == key.service_id


async def test_the_secret_is_stored_encrypted_not_as_text(platform: Platform) -> None:
    shown, key = await new_key(platform)
    _, secret = client_parts(shown)
    assert key.secret_hash is None and key.secret_encrypted and secret not in key.secret_encrypted


@pytest.mark.parametrize(
    ("header", "status", "message"),
    [
        (None, 401, "Unauthorized: authentication token must be provided"),
        ("", 401, "Unauthorized: authentication token must be provided"),
        ("Basic abc", 401, "Unauthorized: authentication bearer scheme must be used"),
        ("Bearer", 401, "Unauthorized: authentication bearer scheme must be used"),
        ("Bearer not-a-jwt", 403, "Invalid token: make sure your API token matches the example at"),
    ],
)
async def test_missing_and_malformed_headers_get_notifys_errors(platform: Platform, header, status, message) -> None:
    with pytest.raises(NotifyAuthError) as refused:
        await check(platform, header)
    assert refused.value.status_code == status and str(refused.value).startswith(message)


async def test_a_token_without_iss_or_with_a_bad_iss_is_refused(platform: Platform) -> None:
    no_iss = jwt.encode({"iat": int(time.time())}, "x" * 36, algorithm="HS256")
    bad_iss = jwt.encode({"iss": "not-a-uuid", "iat": int(time.time())}, "x" * 36, algorithm="HS256")
    unknown = create_jwt_token("x" * 36, str(uuid.uuid4()))
    for token, message in [
        (no_iss, "Invalid token: iss field not provided"),
        (bad_iss, "Invalid token: service id is not the right data type"),
        (unknown, "Invalid token: service not found"),
    ]:
        with pytest.raises(NotifyAuthError) as refused:
            await check(platform, f"Bearer {token}")
        assert refused.value.status_code == 403 and str(refused.value) == message


async def test_a_token_signed_with_another_secret_is_not_found(platform: Platform) -> None:
    shown, _ = await new_key(platform)
    service_id, _ = client_parts(shown)
    with pytest.raises(NotifyAuthError, match="Invalid token: API key not found"):
        await check(platform, f"Bearer {create_jwt_token(str(uuid.uuid4()), service_id)}")


async def test_a_token_from_a_clock_more_than_30_seconds_out_is_refused(platform: Platform) -> None:
    shown, _ = await new_key(platform)
    service_id, secret = client_parts(shown)
    # The skew is measured from the token's own `iat` (whole seconds), not from the clock, so a slow
    # machine between signing and checking cannot move it past 30 s.
    issued_at = int(time.time())
    token = jwt.encode({"iss": service_id, "iat": issued_at}, secret, algorithm="HS256")
    assert await check(platform, f"Bearer {token}", now=issued_at + 29)
    for skew in (31, -31):
        with pytest.raises(NotifyAuthError, match="Your system clock must be accurate to within 30 seconds"):
            await check(platform, f"Bearer {token}", now=issued_at + skew)


async def test_a_token_signed_with_another_algorithm_is_refused(platform: Platform) -> None:
    shown, _ = await new_key(platform)
    service_id, secret = client_parts(shown)
    token = jwt.encode({"iss": service_id, "iat": int(time.time())}, secret * 2, algorithm="HS512")
    with pytest.raises(NotifyAuthError, match="Invalid token: algorithm used is not HS256"):
        await check(platform, f"Bearer {token}")


async def test_a_revoked_key_says_it_was_revoked(platform: Platform) -> None:
    shown, key = await new_key(platform)
    service_id, secret = client_parts(shown)
    async with platform.uow() as uow:
        await api_keys.revoke_key(uow, CLI, key.service_id, key.id)
        await uow.commit()
    with pytest.raises(NotifyAuthError, match="Invalid token: API key revoked"):
        await check(platform, f"Bearer {create_jwt_token(secret, service_id)}")


async def test_any_of_a_services_keys_can_sign(platform: Platform) -> None:
    _first, key = await new_key(platform, "normal", "first")
    async with platform.uow() as uow:
        second, shown_second = await api_keys.create_key(
            uow, CLI, NotifyKeyFormat(platform.cipher), key.service_id, "second", "test"
        )
        await uow.commit()
    service_id, secret = client_parts(shown_second)
    found = await check(platform, f"Bearer {create_jwt_token(secret, service_id)}")
    assert found.key_id == second.id and found.key_type == "test"


# --- a service's keys kept for a moment, as notifications-api keeps them ----------------------------


async def authenticate_with(platform: Platform, store: StoredKeys, shown: str) -> object:
    service_id, secret = client_parts(shown)
    async with platform.uow(read_only=True) as uow:
        return await authenticate(uow, store, f"Bearer {create_jwt_token(secret, service_id)}")


async def test_a_key_made_after_the_service_s_keys_were_kept_works_at_once(platform: Platform) -> None:
    store = StoredKeys(platform.cipher, ttl_seconds=60)
    first, key = await new_key(platform)
    await authenticate_with(platform, store, first)  # the service's one key is now kept
    async with platform.uow() as uow:
        _second_key, second = await api_keys.create_key(
            uow, CLI, NotifyKeyFormat(platform.cipher), key.service_id, "Another system", "normal"
        )
        await uow.commit()
    found = await authenticate_with(platform, store, second)
    assert found.key_name == "Another system"


async def test_a_key_revoked_in_this_process_is_refused_at_once_though_its_service_was_kept(
    platform: Platform,
) -> None:
    store = StoredKeys(platform.cipher, ttl_seconds=60)
    shown, key = await new_key(platform)
    await authenticate_with(platform, store, shown)
    async with platform.uow() as uow:
        await api_keys.revoke_key(uow, CLI, key.service_id, key.id)
        await uow.commit()
    with pytest.raises(NotifyAuthError) as refused:
        await authenticate_with(platform, store, shown)
    assert str(refused.value) == "Invalid token: API key revoked"


async def test_a_key_revoked_elsewhere_is_refused_once_the_kept_copy_is_older_than_its_time(
    platform: Platform,
) -> None:
    store = StoredKeys(platform.cipher, ttl_seconds=0.2)
    shown, key = await new_key(platform)
    await authenticate_with(platform, store, shown)
    async with platform.uow() as uow:  # as another web process revokes it: this process is not told
        stored = await uow.session.get(api_keys.ApiKey, key.id)
        assert stored is not None
        stored.revoked_at = stored.created_at
        await uow.commit()
    assert (await authenticate_with(platform, store, shown)).key_id == key.id, "still kept, as Notify keeps it"
    time.sleep(0.25)
    with pytest.raises(NotifyAuthError) as refused:
        await authenticate_with(platform, store, shown)
    assert str(refused.value) == "Invalid token: API key revoked"


async def test_keys_read_while_one_was_being_revoked_are_not_kept(platform: Platform, monkeypatch) -> None:
    store = StoredKeys(platform.cipher, ttl_seconds=60)
    shown, key = await new_key(platform)
    reads = 0
    real_read = api_keys.key_secrets

    async def read_during_a_revocation(*args, **kwargs):
        nonlocal reads
        reads += 1
        found = await real_read(*args, **kwargs)
        if reads == 1:
            api_keys._forget(key.service_id)  # a revocation committed while this read was under way
        return found

    monkeypatch.setattr(api_keys, "key_secrets", read_during_a_revocation)
    await authenticate_with(platform, store, shown)
    await authenticate_with(platform, store, shown)
    assert reads == 2, "the first read was used once and not kept"
    await authenticate_with(platform, store, shown)
    assert reads == 2, "the second was kept"


# --- exp and nbf, as PyJWT checks them for notifications-api (leeway 30 s) ------------------------


def signed(secret: str, service_id: str, **claims: object) -> str:
    return jwt.encode({"iss": service_id, "iat": int(time.time()), **claims}, secret, algorithm="HS256")


async def test_a_token_whose_exp_has_passed_is_refused_with_notifys_generic_message(platform: Platform) -> None:
    shown, _ = await new_key(platform)
    service_id, secret = client_parts(shown)
    assert await check(platform, f"Bearer {signed(secret, service_id, exp=int(time.time()) - 10)}"), "within leeway"
    with pytest.raises(NotifyAuthError) as refused:
        await check(platform, f"Bearer {signed(secret, service_id, exp=int(time.time()) - 60)}")
    assert refused.value.status_code == 403
    assert str(refused.value).startswith("Invalid token: make sure your API token matches the example at")


async def test_a_token_not_valid_until_later_is_refused_with_the_clock_message(platform: Platform) -> None:
    shown, _ = await new_key(platform)
    service_id, secret = client_parts(shown)
    assert await check(platform, f"Bearer {signed(secret, service_id, nbf=int(time.time()) + 10)}"), "within leeway"
    with pytest.raises(NotifyAuthError) as refused:
        await check(platform, f"Bearer {signed(secret, service_id, nbf=int(time.time()) + 120)}")
    assert refused.value.status_code == 403
    assert str(refused.value) == "Error: Your system clock must be accurate to within 30 seconds"


async def test_exp_and_nbf_that_are_not_numbers_are_refused(platform: Platform) -> None:
    shown, _ = await new_key(platform)
    service_id, secret = client_parts(shown)
    for claims in ({"exp": "tomorrow"}, {"nbf": "yesterday"}, {"exp": True}):
        with pytest.raises(NotifyAuthError) as refused:
            await check(platform, f"Bearer {signed(secret, service_id, **claims)}")
        assert refused.value.status_code == 403


async def test_a_future_exp_does_not_widen_the_30_second_iat_window(platform: Platform) -> None:
    shown, _ = await new_key(platform)
    service_id, secret = client_parts(shown)
    old = jwt.encode(
        {"iss": service_id, "iat": int(time.time()) - 120, "exp": int(time.time()) + 3600}, secret, algorithm="HS256"
    )
    with pytest.raises(NotifyAuthError, match="Your system clock must be accurate to within 30 seconds"):
        await check(platform, f"Bearer {old}")
