"""The identity claims /userinfo adds for a service that asked for an identity level (One Login's vocabulary,
identity.md section 1): the coreIdentityJWT, and at P2 or above the passport, driving permit and address
proved, each only when the service asked for it in `claims` and is registered for it.

Read from the proof itself on each call (not from the code), so a proof withdrawn since the code was issued
gives no claims, and a level the citizen no longer holds gives none either.
"""

from __future__ import annotations

from typing import Any

from govplatform.identity.component import IdentityComponent
from govplatform.identity.profile import VOCAB
from govplatform.identity.proofing import core_identity
from govplatform.identity.proofing.gpg45 import covers
from govplatform.identity.services import proven


async def identity_claims(identity: IdentityComponent, row: Any) -> dict[str, Any]:
    """`row` is the access token's row (token_store.TOKEN): its citizen, subject, client, claims and level."""
    async with identity.uow(read_only=True) as uow:
        proved = await proven.find(uow, identity, row.citizen_id)
    if proved is None or not covers(proved.level, row.level):
        return {}
    asked = set(row.claims)
    found: dict[str, Any] = {}
    if VOCAB + "coreIdentityJWT" in asked:
        found[VOCAB + "coreIdentityJWT"] = await core_identity.sign(identity, row.subject, row.client_id, proved)
    if not covers(proved.level, "P2"):
        return found
    if VOCAB + "passport" in asked and proved.passport:
        found[VOCAB + "passport"] = [proved.passport]
    if VOCAB + "drivingPermit" in asked and proved.driving_permit:
        found[VOCAB + "drivingPermit"] = [proved.driving_permit]
    if VOCAB + "address" in asked and proved.address:
        found[VOCAB + "address"] = [proved.address]
    return found
