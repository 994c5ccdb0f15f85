"""Everything the notify component needs at run time, built once per process by the composition root.

Routes, tasks and the CLI reach notify's services through this one object,
so nothing is built at import time and tests can build their own. What core's
admin pages show for notify (its dashboard panel, its section of a service,
its audit events' names) is declared here too, by `declare_admin` at start-up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from govplatform.core.interfaces import (
    N_,
    PLATFORM_ADMINS,
    AdminRegistry,
    ApiKeyStore,
    AuditRecord,
    AuditTarget,
    DashboardPanel,
    NavEntry,
    OutboundGuard,
    SecretBox,
    ServiceDirectory,
    ServiceLink,
    UnitOfWork,
    service_page,
)
from govplatform.notify.providers.base import EmailProvider, TextProvider
from govplatform.notify.services import audit_targets
from govplatform.notify.services.callbacks import CallbackPolicy
from govplatform.notify.services.limits import SendingLimits
from govplatform.notify.services.sending import Sender


@dataclasses.dataclass
class NotifyComponent:
    uow: Callable[..., UnitOfWork]
    keys: ApiKeyStore
    box: SecretBox
    team: ServiceDirectory
    sender: Sender
    base_url: str
    email_provider: EmailProvider
    text_provider: TextProvider
    limits: SendingLimits  # Notify's rate and daily limits on the send endpoints
    provider_callback_secret: str = ""  # HTTP Basic password for gateways' receipts and inbound texts
    delivery_attempts: int = 5
    delivery_retry_seconds: float = 300.0
    email_batch_size: int = 20  # emails delivered in one worker job batch (see core's TaskRegistry.register_batch)
    sms_rate: float = 0.0227  # pounds per fragment, Notify's published rate from April 2025
    callback_policy: CallbackPolicy = dataclasses.field(default_factory=CallbackPolicy)
    # Checks services' callback URLs when they are set and makes every callback (core's outbound guard; the
    # composition root gives it the operator's settings).
    outbound: OutboundGuard = dataclasses.field(default_factory=lambda: OutboundGuard(require_https=True))


AUDIT_EVENTS = {
    "notify.bulk_send_created": N_("Bulk send started"),
    "notify.callback_removed": N_("Callback removed"),
    "notify.callback_set": N_("Callback set"),
    "notify.guest_added": N_("Added to the guest list"),
    "notify.guest_removed": N_("Removed from the guest list"),
    "notify.limits_changed": N_("Sending limits or trial mode changed"),
    "notify.reply_to_added": N_("Reply-to email address added"),
    "notify.reply_to_made_default": N_("Reply-to email address made the default"),
    "notify.reply_to_removed": N_("Reply-to email address removed"),
    "notify.sms_sender_added": N_("Text message sender added"),
    "notify.sms_sender_made_default": N_("Text message sender made the default"),
    "notify.sms_sender_removed": N_("Text message sender removed"),
}


def _guest_list(record: AuditRecord) -> str | None:
    return service_page("/notify/guest-list")(record.service_id) if record.service_id else None


def declare_admin(registry: AdminRegistry) -> None:
    """Notify's panel on a service's dashboard, its section in the service's navigation, and its audit names."""
    registry.add_panel(
        DashboardPanel(
            "notify",
            N_("Notifications"),
            N_("Emails, text messages and letters, through the Notify-compatible API."),
            (
                ServiceLink(N_("Templates"), service_page("/notify/templates")),
                ServiceLink(N_("Sent messages"), service_page("/notify/messages")),
                ServiceLink(N_("Bulk sends"), service_page("/notify/bulk-sends")),
                ServiceLink(N_("Usage"), service_page("/notify/usage")),
                ServiceLink(N_("Guest list"), service_page("/notify/guest-list")),
                ServiceLink(N_("Reply-to email addresses and text message senders"), service_page("/notify/senders")),
                ServiceLink(
                    N_("Callbacks: delivery receipts and received text messages"), service_page("/notify/callbacks")
                ),
                ServiceLink(N_("Limits and trial mode"), service_page("/notify/limits"), role=PLATFORM_ADMINS),
            ),
            order=10,
        )
    )
    registry.add_nav_entry(
        NavEntry(
            "notify", N_("Notifications"), service_page("/notify/templates"), order=10, section=service_page("/notify/")
        )
    )
    registry.add_audit_events(AUDIT_EVENTS)
    registry.add_audit_target(
        AuditTarget("reply_to", N_("Reply-to email address"), find=audit_targets.reply_to_addresses)
    )
    registry.add_audit_target(
        AuditTarget("sms_sender", N_("Text message sender"), name_in="sms_sender", find=audit_targets.sms_senders)
    )
    registry.add_audit_target(AuditTarget("bulk_send", N_("Bulk send"), find=audit_targets.bulk_sends))
    # A guest list entry is a person's email address or phone number: named on the guest list page, not in the log.
    registry.add_audit_target(AuditTarget("guest_list_entry", N_("Guest list entry"), url=_guest_list))
