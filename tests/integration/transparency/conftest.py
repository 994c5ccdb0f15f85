import pytest

from govplatform.core.platform import Platform
from govplatform.transparency.services.log import TransparencyService, signer_keys


def make_service(platform: Platform, batch_size: int = 50_000) -> TransparencyService:
    settings = platform.settings
    origin = settings.resolved_transparency_origin
    return TransparencyService(
        origin,
        signer_keys(origin, settings.transparency_signing_keys, settings.transparency_signing_seed),
        settings.transparency_subject_secret,
        batch_size,
        platform.uow,
    )


@pytest.fixture
def transparency(platform: Platform) -> TransparencyService:
    return make_service(platform)


async def fill(platform: Platform, count: int, prefix: str = "record") -> list[bytes]:
    """Append `count` entries and integrate them; returns the entries in index order."""
    log = platform.components["transparency"]
    entries = [f"{prefix} {n}".encode() for n in range(count)]
    async with platform.uow() as uow:
        for entry in entries:
            await log.append(uow, entry)
        await uow.commit()
    await log.integrate_all()
    return entries
