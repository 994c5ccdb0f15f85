"""Signing keys come from settings, are named after the origin, and rotate with two signatures."""

import pytest

from govplatform.app import build_app, transparency_service
from govplatform.core.platform import Platform, build_platform
from govplatform.core.settings import SettingsError
from govplatform.transparency.checkpoint import open_checkpoint
from govplatform.transparency.note import SignerKey, parse_note


async def test_during_a_rotation_checkpoints_carry_both_signatures(platform: Platform) -> None:
    origin = platform.settings.resolved_transparency_origin
    old, new = SignerKey.generate(origin), SignerKey.generate(origin)
    settings = platform.settings.model_copy(update={"transparency_signing_keys": f"{old},{new}"})
    rotated = build_platform(settings, sessions=platform.sessions)
    log = transparency_service(rotated)
    async with rotated.uow() as uow:
        await log.append(uow, b"during the rotation")
        await uow.commit()
    await log.integrate_all()
    async with rotated.uow() as uow:
        signed = (await log.latest_checkpoint(uow)).signed_note
    assert {s.key_id for s in parse_note(signed).signatures} == {old.key_id, new.key_id}
    for key in (old, new):  # a verifier that knows either key accepts it
        assert open_checkpoint(signed, [key.verifier], origin).size == 1
    assert [str(k) for k in log.verifier_keys] == [str(old.verifier), str(new.verifier)]


def test_a_signing_key_named_after_another_log_stops_start_up_with_one_line(platform: Platform) -> None:
    other = SignerKey.generate("elsewhere.example/log")
    settings = platform.settings.model_copy(update={"transparency_signing_keys": str(other)})
    with pytest.raises(SettingsError, match="GOVPLATFORM_TRANSPARENCY_SIGNING_KEYS"):
        build_app(settings, build_platform(settings, sessions=platform.sessions))


def test_a_malformed_signing_key_stops_start_up_with_one_line(platform: Platform) -> None:
    settings = platform.settings.model_copy(update={"transparency_signing_keys": "PRIVATE+KEY+nonsense"})
    with pytest.raises(SettingsError, match="GOVPLATFORM_TRANSPARENCY_SIGNING_KEYS"):
        build_app(settings, build_platform(settings, sessions=platform.sessions))
