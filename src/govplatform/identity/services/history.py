"""The citizen's own account history: every sign-in, change of a factor and step of a recovery, for them to see.

One Login shows its users their account's activity so that someone who did not make a change notices it;
this is that list. The audit log (core) is staff's record and names no citizen; this table is the citizen's,
read only on their own account pages and deleted with the account. Each kind has a name in English and
Welsh here, so the page and any later reader agree on what happened; `detail` carries only what the page
shows beside it (a passkey's name, a phone number's last digits), never a code, secret or full address.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping

from sqlalchemy import delete, select

from govplatform.core.interfaces import N_, UnitOfWork, utcnow
from govplatform.identity.models import AccountEvent

# The kinds, in the words the history page uses. A kind may be added; none may be renamed (rows hold them).
KINDS: dict[str, str] = {
    "account_created": N_("Account created"),
    "signed_in": N_("Signed in"),
    "signed_out_everywhere": N_("Signed out on every device"),
    "session_ended": N_("Signed out on a device"),
    "password_changed": N_("Password changed"),
    "email_changed": N_("Email address changed"),
    "factor_added": N_("Way to get security codes added"),
    "factor_removed": N_("Way to get security codes removed"),
    "factor_changed": N_("Way to get security codes changed"),
    "passkey_added": N_("Passkey added"),
    "passkey_removed": N_("Passkey removed"),
    "refused_second_factor": N_("Security code or passkey refused"),
    "password_reset_requested": N_("Password reset link sent"),
    "password_reset": N_("Password reset with the emailed link"),
    "factor_recovery_requested": N_("Asked to replace a lost way to get security codes"),
    "factor_recovery_cancelled": N_("Replacing a lost way to get security codes cancelled"),
    "factor_recovery_completed": N_("Lost way to get security codes replaced"),
    "recovery_refused": N_("Account recovery step refused"),
}
KEPT = 200  # the newest events the history page lists


@dataclasses.dataclass(frozen=True)
class Event:
    kind: str
    name: str  # not translated: the page translates it (gettext_) in the reader's language
    detail: Mapping[str, object]
    at: object


def record(uow: UnitOfWork, citizen_id: uuid.UUID, kind: str, **detail: str) -> None:
    """A line of the citizen's history, in the caller's unit of work (so it exists only if the change commits)."""
    if kind not in KINDS:
        raise ValueError(f"unknown account event kind {kind!r}")
    uow.session.add(AccountEvent(citizen_id=citizen_id, kind=kind, detail=dict(detail), at=utcnow()))


async def events(uow: UnitOfWork, citizen_id: uuid.UUID, limit: int = KEPT) -> list[Event]:
    """The citizen's history, newest first."""
    rows = await uow.session.scalars(
        select(AccountEvent)
        .where(AccountEvent.citizen_id == citizen_id)
        .order_by(AccountEvent.at.desc(), AccountEvent.id)
        .limit(limit)
    )
    return [Event(row.kind, KINDS[row.kind], row.detail, row.at) for row in rows if row.kind in KINDS]


async def forget(uow: UnitOfWork, citizen_id: uuid.UUID) -> None:
    """The account is being deleted: its history goes with it. The caller commits."""
    await uow.session.execute(delete(AccountEvent).where(AccountEvent.citizen_id == citizen_id))
