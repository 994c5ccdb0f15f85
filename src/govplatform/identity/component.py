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
    DashboardPanel,
    Messages,
    NavEntry,
    OutboundGuard,
    PlatformPage,
    Role,
    SecretBox,
    ServiceDirectory,
    ServiceLink,
    Throttle,
    UnitOfWork,
    service_page,
)
from govplatform.identity.proofing.providers import ProofingChecks
from govplatform.identity.services import client_admin
from govplatform.identity.services.client_keys import ClientKeys
from govplatform.identity.services.keys import CORE_IDENTITY, SigningKeys
from govplatform.transparency.interfaces import TransparencyLog


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
    # core's messaging (notify's): sign-up and change-of-email codes; None where notify is not
    messages: Messages | None = None
    factor_recovery_wait_seconds: int = 72 * 3600  # settings.identity_factor_recovery_wait_seconds (ADR 0022)
    # The identity checks (proofing/providers.py): the sandbox's unless the composition root registers others
    checks: ProofingChecks = dataclasses.field(default_factory=ProofingChecks.sandbox)
    # The transparency log: each check that reads a record about a person is written to it (issue 17 item 5)
    log: TransparencyLog | None = None
    signing_keys: SigningKeys = dataclasses.field(init=False)
    did_keys: SigningKeys = dataclasses.field(init=False)  # sign coreIdentityJWTs; published in did.json
    client_keys: ClientKeys = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.signing_keys = SigningKeys(self.box, self.uow)
        self.did_keys = SigningKeys(self.box, self.uow, purpose=CORE_IDENTITY)
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
    def did(self) -> str:
        """The provider's did:web identifier (W3C did:web: the host, a port's colon written %3A)."""
        host = self.base_url.split("://", 1)[-1].split("/", 1)[0]
        return "did:web:" + host.replace(":", "%3A")

    @property
    def token_endpoint(self) -> str:
        return self.base_url + "/token"

    @property
    def authorization_endpoint(self) -> str:
        return self.base_url + "/authorize"


# Proving's success rates for platform admins (pages/proving_rates.py), linked from core's admin home
PROVING_RATES_PAGE = "/admin/identity/proving"

AUDIT_EVENTS = {
    "identity.client_created": N_("Sign-in client registered"),
    "identity.citizen_created": N_("Citizen account created"),
    "identity.client_changed": N_("Sign-in client changed"),
    "identity.client_deactivated": N_("Sign-in client turned off"),
    "identity.client_reactivated": N_("Sign-in client turned on"),
    "identity.citizen_password_changed": N_("Citizen changed their password"),
    "identity.citizen_deleted": N_("Citizen deleted their account"),
    "identity.citizen_email_changed": N_("Citizen changed their email address"),
    "identity.citizen_session_ended": N_("Citizen signed out a device"),
    "identity.citizen_signed_out_everywhere": N_("Citizen signed out of every device"),
    "identity.citizen_session_end_refused": N_("Citizen's sign-out of a device refused: not a session of theirs"),
    "identity.citizen_password_reset": N_("Citizen reset their password with an emailed link"),
    "identity.citizen_factor_replaced": N_("Citizen replaced a lost way to get security codes"),
    "identity.recovery_refused": N_("Account recovery step refused"),
}


def declare_admin(registry: AdminRegistry) -> None:
    """Identity's panel on a service's dashboard, its section in the service's navigation, its audit names in
    core's admin pages (ADR 0016), and its platform page: proving's success rates, for platform admins.

    A citizen is named by no more than the words "Citizen account": their email is personal data, and
    the audit log is read by staff who have no need of it.
    """
    clients = service_page("/identity/clients")
    registry.add_panel(
        DashboardPanel(
            "identity",
            N_("Sign-in"),
            N_("OpenID Connect clients that sign citizens in through the One Login-compatible provider."),
            (
                ServiceLink(N_("Sign-in clients"), clients),
                ServiceLink(N_("Register a sign-in client"), service_page("/identity/clients/new"), role=Role.ADMIN),
            ),
            order=30,
        )
    )
    registry.add_nav_entry(NavEntry("identity", N_("Sign-in"), clients, order=30, section=service_page("/identity/")))
    registry.add_platform_page(
        PlatformPage("identity-proving-rates", N_("Identity proving success rates"), PROVING_RATES_PAGE)
    )
    registry.add_audit_events(AUDIT_EVENTS)
    registry.add_audit_target(
        AuditTarget("relying_party", N_("Sign-in client"), name_in="name", find=client_admin.audit_targets)
    )
    registry.add_audit_target(AuditTarget("citizen", N_("Citizen account")))
