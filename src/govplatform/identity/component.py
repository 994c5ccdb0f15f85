"""Everything the identity component needs at run time, built once per process by the composition root.

Routes, pages and the CLI reach identity's services through this one object, so nothing is built at
import time and tests can build their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from govplatform.core.interfaces import (
    N_,
    AdminRegistry,
    AuditTarget,
    Messages,
    OutboundGuard,
    SecretBox,
    ServiceDirectory,
    Throttle,
    UnitOfWork,
)
from govplatform.identity.services.client_keys import ClientKeys
from govplatform.identity.services.keys import SigningKeys


@dataclasses.dataclass
class IdentityComponent:
    uow: Callable[..., UnitOfWork]
    box: SecretBox
    throttle: Throttle
    hash_secret: str  # keys the hashes of codes, tokens, sign-in cookies and client secrets
    base_url: str  # GOVPLATFORM_BASE_URL without its trailing slash
    directory: ServiceDirectory
    outbound: OutboundGuard  # fetches relying parties' JWKS URLs, sends them back-channel logout tokens
    secure_cookies: bool = True
    messages: Messages | None = None  # core's Messages (notify's): the code for a change of email address
    signing_keys: SigningKeys = dataclasses.field(init=False)
    client_keys: ClientKeys = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.signing_keys = SigningKeys(self.box, self.uow)
        self.client_keys = ClientKeys(self.outbound)

    @property
    def issuer(self) -> str:
        """One Login's issuers end in a slash, and `iss` must match it exactly."""
        return self.base_url + "/"

    @property
    def trustmark_url(self) -> str:
        """Discovery's `trustmarks` and every ID token's `vtm`: one address, so they cannot drift apart."""
        return self.issuer + "trustmark"

    @property
    def token_endpoint(self) -> str:
        return self.base_url + "/token"

    @property
    def authorization_endpoint(self) -> str:
        return self.base_url + "/authorize"


AUDIT_EVENTS = {
    "identity.client_created": N_("Sign-in client registered"),
    "identity.citizen_created": N_("Citizen account made by a command"),
    "identity.citizen_password_changed": N_("Citizen changed their password"),
    "identity.citizen_deleted": N_("Citizen deleted their account"),
    "identity.citizen_email_changed": N_("Citizen changed their email address"),
}


def declare_admin(registry: AdminRegistry) -> None:
    """Identity's audit names in core's admin pages (ADR 0016); its panel and section come with its admin pages.

    A citizen is named by no more than the words "Citizen account": their email is personal data, and
    the audit log is read by staff who have no need of it.
    """
    registry.add_audit_events(AUDIT_EVENTS)
    registry.add_audit_target(AuditTarget("relying_party", N_("Sign-in client"), name_in="name"))
    registry.add_audit_target(AuditTarget("citizen", N_("Citizen account")))
