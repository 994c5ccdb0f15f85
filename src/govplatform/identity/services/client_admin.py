"""What the admin pages do to a service's registered clients beyond making one: list, find, change, turn off and on.

A change is checked by the same rules as a registration (`clients.check_registration`), and audited with the
names of the fields that changed, never their values: a key or a URI is not secret, but the log is read by
people who need to know what changed, not to copy it, and a client secret must never reach it. Turning a
client off takes effect at once: /authorize and /token read `active` from the row on every request and answer
One Login's `unauthorized_client` "client deactivated".
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select

from govplatform.core.interfaces import (
    Actor,
    AuditRecord,
    FoundTarget,
    OutboundGuard,
    UnitOfWork,
    random_token,
    record_audit,
)
from govplatform.identity.models import RelyingParty
from govplatform.identity.services.clients import Registration, check_registration, secret_hash


def client_page(service_id: uuid.UUID, client_id: str) -> str:
    return f"/admin/services/{service_id}/identity/clients/{client_id}"


async def relying_parties(uow: UnitOfWork, service_id: uuid.UUID) -> list[RelyingParty]:
    query = select(RelyingParty).where(RelyingParty.service_id == service_id).order_by(RelyingParty.name)
    return list(await uow.session.scalars(query))


async def relying_party(uow: UnitOfWork, service_id: uuid.UUID, client_id: str) -> RelyingParty | None:
    """The service's client with this id; None for another service's, so no page reveals that it exists."""
    if not client_id or len(client_id) > 64:
        return None
    found = await uow.session.get(RelyingParty, client_id)
    return found if found is not None and found.service_id == service_id else None


def registration_of(client: RelyingParty) -> Registration:
    """The client as it is, in the shape a change is asked in (the edit form starts from it)."""
    return Registration(
        name=client.name,
        redirect_uris=list(client.redirect_uris),
        post_logout_redirect_uris=list(client.post_logout_redirect_uris or []),
        back_channel_logout_uri=client.back_channel_logout_uri,
        public_key_pem=client.public_key_pem,
        jwks_url=client.jwks_url,
        token_auth_method=client.token_auth_method,
        sector=client.sector,
        scopes=list(client.scopes),
        claims=list(client.claims or []),
        levels=list(client.levels),
        id_token_alg=client.id_token_alg,
        pkce_required=client.pkce_required,
        max_age_enabled=client.max_age_enabled,
    )


async def change_relying_party(
    uow: UnitOfWork,
    actor: Actor,
    hash_secret: str,
    client: RelyingParty,
    wanted: Registration,
    outbound: OutboundGuard | None = None,
) -> str | None:
    """Change the client as asked (ClientRefused if a rule is broken, and nothing changes). Returns a new
    secret to show once when the client has just become a client_secret_post one; the caller commits."""
    values = await check_registration(wanted, outbound)
    changed = sorted(field for field, value in values.items() if getattr(client, field) != value)
    secret = None
    if values["token_auth_method"] == "client_secret_post" and client.client_secret_hash is None:
        secret = random_token(32)
        client.client_secret_hash = secret_hash(hash_secret, secret)
    elif values["token_auth_method"] == "private_key_jwt":
        client.client_secret_hash = None
    if not changed:
        return secret
    for field in changed:
        setattr(client, field, values[field])
    record_audit(
        uow, actor, "identity.client_changed", "relying_party", client.client_id, client.service_id,
        name=client.name, changed=changed,
    )  # fmt: skip
    return secret


def set_active(uow: UnitOfWork, actor: Actor, client: RelyingParty, active: bool) -> None:
    """Turn the client on or off; audited only when that changes something."""
    if client.active == active:
        return
    client.active = active
    action = "identity.client_reactivated" if active else "identity.client_deactivated"
    record_audit(uow, actor, action, "relying_party", client.client_id, client.service_id, name=client.name)


async def audit_targets(uow: UnitOfWork, records: Sequence[AuditRecord]) -> Mapping[str, FoundTarget]:
    """The audit log's names and links for clients (ADR 0016): one query for a page of the log."""
    ids = [record.target_id for record in records if len(record.target_id) <= 64]
    query = select(RelyingParty.client_id, RelyingParty.service_id, RelyingParty.name).where(
        RelyingParty.client_id.in_(list(dict.fromkeys(ids)))
    )
    rows = await uow.session.execute(query)
    return {row.client_id: FoundTarget(row.name, client_page(row.service_id, row.client_id)) for row in rows}
