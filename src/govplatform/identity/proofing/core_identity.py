"""The coreIdentityJWT: the proved identity, signed for one service, as One Login issues it at /userinfo.

One Login's shape (identity.md section 1): ES256, signed with a DID key whose `kid` is the provider's did:web
identifier and the key's id (`did:web:host#kid`), published at /.well-known/did.json; claims `sub` (the same
pairwise subject as the ID token), `iss`, `aud`, `nbf`, `iat`, `exp` 30 minutes on, `vot` the level reached,
`vtm`, and `vc` with the verified name and birth date. The DID keys are a set apart from the ID token keys
(services/keys.py), so neither kind of token verifies as the other.
"""

from __future__ import annotations

from typing import Any

from joserfc import jwt

from govplatform.core.interfaces import utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.services.proven import Proved

LIFETIME_SECONDS = 30 * 60
VC_TYPE = ["VerifiableCredential", "IdentityCheckCredential"]


def claims_for(identity: IdentityComponent, subject: str, client_id: str, proved: Proved) -> dict[str, Any]:
    now = int(utcnow().timestamp())
    name_parts = [{"type": "GivenName", "value": part} for part in proved.given_names.split()]
    name_parts.append({"type": "FamilyName", "value": proved.family_name})
    return {
        "sub": subject,
        "iss": identity.issuer,
        "aud": client_id,
        "nbf": now,
        "iat": now,
        "exp": now + LIFETIME_SECONDS,
        "vot": proved.level,
        "vtm": identity.trustmark_url,
        "vc": {
            "type": VC_TYPE,
            "credentialSubject": {
                "name": [{"nameParts": name_parts}],
                "birthDate": [{"value": proved.birth_date.isoformat()}],
            },
        },
    }


async def sign(identity: IdentityComponent, subject: str, client_id: str, proved: Proved) -> str:
    ring = await identity.did_keys.ring()
    kid, key = ring.signers["ES256"]
    header = {"alg": "ES256", "kid": f"{identity.did}#{kid}", "typ": "JWT"}
    return jwt.encode(header, claims_for(identity, subject, client_id, proved), key, algorithms=["ES256"])


async def did_document(identity: IdentityComponent) -> dict[str, Any]:
    """The provider's DID document: every published DID key as an assertion method (did:web, JsonWebKey2020)."""
    ring = await identity.did_keys.ring()
    methods = [
        {
            "type": "JsonWebKey2020",
            "id": f"{identity.did}#{jwk['kid']}",
            "controller": identity.did,
            "publicKeyJwk": {name: jwk[name] for name in ("kty", "crv", "x", "y", "alg", "kid") if name in jwk},
        }
        for jwk in ring.published
    ]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
        "id": identity.did,
        "assertionMethod": methods,
    }
