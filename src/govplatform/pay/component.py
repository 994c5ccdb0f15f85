"""Everything the pay component needs at run time, built once per process by the composition root.

Routes, pages, tasks and the CLI reach pay's services through this one
object, so nothing is built at import time and tests can build their own
(with their own processors). What core's admin pages show for pay (its
dashboard panel, its section of a service, its audit events' names) is
declared here too, by `declare_admin` at start-up.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable

from govplatform.core.interfaces import (
    N_,
    AdminRegistry,
    ApiKeyStore,
    AuditTarget,
    DashboardPanel,
    KeyFormat,
    LocalWindows,
    NavEntry,
    OutboundGuard,
    Role,
    SecretBox,
    ServiceDirectory,
    ServiceLink,
    UnitOfWork,
    service_page,
)
from govplatform.pay.processors.base import CardProcessor
from govplatform.pay.services import audit_targets
from govplatform.pay.services.public_limits import DatabaseCounts, PublicLimiter, PublicLimits
from govplatform.pay.services.rate_limits import Limits, RateLimiter


@dataclasses.dataclass
class PayComponent:
    uow: Callable[..., UnitOfWork]
    box: SecretBox
    keys: ApiKeyStore
    key_format: KeyFormat
    processors: dict[str, CardProcessor]  # by name: "sandbox" always, "stripe" when configured
    base_url: str
    live_processor: str = "sandbox"  # what live keys reach (test keys reach only the sandbox)
    directory: ServiceDirectory | None = None  # services' names, for the payment pages' header
    rate_limiter: RateLimiter = dataclasses.field(default_factory=lambda: RateLimiter(LocalWindows(), Limits()))
    # Counts the payments public pages start, per client address and per link, in a store every web process
    # shares. The composition root gives it Redis or the database and the key of its address hashes; left
    # out, it counts in the database under a key of this process's own.
    public_limiter: PublicLimiter | None = None
    # Checks webhook URLs when they are set and sends every webhook (core's outbound guard: https in production
    # on live and test accounts alike; the composition root gives it the operator's settings).
    outbound: OutboundGuard = dataclasses.field(default_factory=lambda: OutboundGuard(require_https=True))

    def __post_init__(self) -> None:
        if self.public_limiter is None:
            self.public_limiter = PublicLimiter(DatabaseCounts(self.uow), PublicLimits(), secrets.token_hex(32))

    def processor_for(self, live: bool) -> str:
        return self.live_processor if live else "sandbox"


AUDIT_EVENTS = {
    "pay.payment_link_activated": N_("Payment link turned on"),
    "pay.payment_link_created": N_("Payment link created"),
    "pay.payment_link_deactivated": N_("Payment link turned off"),
    "pay.payments_exported": N_("Payments downloaded"),
    "pay.refund_created": N_("Refund made"),
    "pay.refunds_exported": N_("Refunds downloaded"),
    "pay.settings_changed": N_("Payment settings changed"),
    "pay.webhook_activated": N_("Webhook turned on"),
    "pay.webhook_created": N_("Webhook created"),
    "pay.webhook_deactivated": N_("Webhook turned off"),
    "pay.webhook_secret_regenerated": N_("Webhook signing secret replaced"),
}


def declare_admin(registry: AdminRegistry) -> None:
    """Pay's panel on a service's dashboard, its section in the service's navigation, and its audit names."""
    registry.add_panel(
        DashboardPanel(
            "pay",
            N_("Payments"),
            N_("Card payments, refunds and payment links, through the Pay-compatible API."),
            (
                ServiceLink(N_("Live payments"), service_page("/pay/live/payments")),
                ServiceLink(N_("Test payments"), service_page("/pay/test/payments")),
                ServiceLink(N_("Payment settings"), service_page("/pay/settings"), role=Role.ADMIN),
            ),
            order=20,
        )
    )
    registry.add_nav_entry(
        NavEntry("pay", N_("Payments"), service_page("/pay/live/payments"), order=20, section=service_page("/pay/"))
    )
    registry.add_audit_events(AUDIT_EVENTS)
    registry.add_audit_target(AuditTarget("payment_link", N_("Payment link"), find=audit_targets.payment_links))
    registry.add_audit_target(AuditTarget("webhook", N_("Webhook"), find=audit_targets.webhooks))
    registry.add_audit_target(AuditTarget("refund", N_("Payment refund"), find=audit_targets.refunds))
