"""Everything the exchange needs at run time, built once per process by the composition root.

Routes, pages and the CLI reach the exchange's services through this one object, so nothing is built at
import time and tests can build their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from govplatform.core.interfaces import (
    ANYONE,
    N_,
    AdminRegistry,
    AuditTarget,
    LocalWindows,
    Notices,
    OutboundGuard,
    PlatformPage,
    SecretBox,
    UnitOfWork,
    Windows,
)
from govplatform.exchange.services.directory import MemberDirectory
from govplatform.exchange.services.gateway_keys import GatewayKeys
from govplatform.exchange.services.query_cache import QueryCache
from govplatform.transparency.interfaces import TransparencyLog


@dataclasses.dataclass
class ExchangeComponent:
    uow: Callable[..., UnitOfWork]
    box: SecretBox
    base_url: str  # GOVPLATFORM_BASE_URL without its trailing slash: the directory's issuer
    hash_secret: str  # keys the record store's subject hashes (settings.api_key_hash_secret)
    log: TransparencyLog  # agreements' changes and every answered query
    windows: Windows = dataclasses.field(default_factory=LocalWindows)  # query rates (core's; Redis when set)
    queries_per_second: int = 50  # per consumer organisation (settings.exchange_queries_per_second)
    notices: Notices | None = None  # core's, so a change in one process reaches the others' query caches
    outbound: OutboundGuard | None = None  # core's guard, for the providers' own systems (services/provider_calls.py)
    provider_seconds: float = 5.0  # how long a provider's system has to answer (settings.exchange_provider_seconds)
    gateway_keys: GatewayKeys = dataclasses.field(init=False)
    directory: MemberDirectory = dataclasses.field(init=False)
    cache: QueryCache = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.cache = QueryCache(self.uow, self.notices)
        self.gateway_keys = GatewayKeys(self.box, self.uow)
        self.directory = MemberDirectory(self.uow, self.gateway_keys, self.base_url)


AGREEMENTS_PAGE = "/admin/exchange/agreements"
AUDIT_EVENTS = {
    "exchange.key_registered": N_("Exchange key registered"),
    "exchange.key_retired": N_("Exchange key retired"),
    "exchange.gateway_key_rotated": N_("Exchange gateway key rotated"),
    "exchange.dataset_declared": N_("Exchange dataset declared"),
    "exchange.dataset_loaded": N_("Exchange dataset's records loaded"),
    "exchange.agreement_drafted": N_("Data-sharing agreement drafted"),
    "exchange.agreement_approved": N_("Data-sharing agreement approved"),
    "exchange.agreement_signed_off": N_("Data-sharing agreement signed off"),
    "exchange.agreement_suspended": N_("Data-sharing agreement suspended"),
    "exchange.agreement_resumed": N_("Data-sharing agreement resumed"),
    "exchange.agreement_revoked": N_("Data-sharing agreement revoked"),
    "exchange.consent_given": N_("Citizen gave consent to a data-sharing agreement"),
    "exchange.consent_withdrawn": N_("Citizen withdrew consent to a data-sharing agreement"),
}


def declare_admin(registry: AdminRegistry) -> None:
    """The exchange's audit names in core's admin pages (ADR 0016), and its platform page: the data-sharing
    agreements of the organisations the staff member holds a role in (admin_pages.py decides which they see)."""
    registry.add_platform_page(
        PlatformPage("exchange-agreements", N_("Data-sharing agreements"), AGREEMENTS_PAGE, role=ANYONE, order=40)
    )
    registry.add_audit_events(AUDIT_EVENTS)
    registry.add_audit_target(AuditTarget("exchange_key", N_("Exchange key")))
    registry.add_audit_target(AuditTarget("exchange_dataset", N_("Exchange dataset")))
    registry.add_audit_target(AuditTarget("exchange_agreement", N_("Data-sharing agreement")))
