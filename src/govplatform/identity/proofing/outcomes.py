"""The success rates Verify failed on, counted: each check's outcome and each route's, per person, first try
and eventually (issue 17 item 6).

A row names no one: the person is a keyed hash of their account id, so a second try is known to be a second
try, and the rows survive the account's deletion without pointing back to it. Each outcome is also counted in
`/metrics` (prometheus counters, labelled by route, step, result and whether it was the person's first try),
so a monitoring system sees the same figures the admin page shows, from the moment the process started.
"""

from __future__ import annotations

import dataclasses
import uuid

from prometheus_client import Counter
from sqlalchemy import select

from govplatform.core.interfaces import UnitOfWork, keyed_hash, utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import ProvingOutcome

STEPS = ("route", "document", "fraud", "knowledge")
OUTCOMES = Counter(
    "govplatform_identity_proving_outcomes_total",
    "Identity proving outcomes: each check (step=document, fraud, knowledge) and each whole route (step=route)",
    ["route", "step", "result", "try"],
)


def person_of(identity: IdentityComponent, citizen_id: uuid.UUID) -> str:
    return keyed_hash(identity.hash_secret, str(citizen_id), "identity-proving-person")


async def record(
    uow: UnitOfWork,
    identity: IdentityComponent,
    citizen_id: uuid.UUID,
    attempt_id: uuid.UUID,
    route: str,
    step: str,
    provider: str,
    passed: bool,
    detail: str,
) -> None:
    """One outcome, in the caller's unit of work. The counter moves only once the caller commits would be the
    ideal; it moves here, and a rolled-back journey step is rare enough (a database failure) to accept."""
    person = person_of(identity, citizen_id)
    earlier = await uow.session.scalar(
        select(ProvingOutcome.id)
        .where(ProvingOutcome.person == person, ProvingOutcome.route == route, ProvingOutcome.step == step)
        .limit(1)
    )
    first_try = earlier is None
    uow.session.add(
        ProvingOutcome(
            person=person,
            attempt_id=attempt_id,
            route=route,
            step=step,
            provider=provider,
            passed=passed,
            first_try=first_try,
            detail=detail[:32],
            occurred_at=utcnow(),
        )
    )
    OUTCOMES.labels(route, step, "passed" if passed else "failed", "first" if first_try else "later").inc()


@dataclasses.dataclass(frozen=True)
class Rate:
    """One route's or one check's figures. `people` tried it at least once; `first_try` of them passed at their
    first go, `eventually` passed at some go; `tries` counts every go."""

    route: str
    step: str
    tries: int
    people: int
    first_try: int
    eventually: int

    @property
    def first_try_percent(self) -> int:
        return round(100 * self.first_try / self.people) if self.people else 0

    @property
    def eventually_percent(self) -> int:
        return round(100 * self.eventually / self.people) if self.people else 0


@dataclasses.dataclass
class _Tally:
    tries: int = 0
    people: set[str] = dataclasses.field(default_factory=set)
    first_try: set[str] = dataclasses.field(default_factory=set)
    eventually: set[str] = dataclasses.field(default_factory=set)


async def rates(uow: UnitOfWork) -> list[Rate]:
    """Every route's and check's figures, by route then step (STEPS' order). Read in one pass over the rows,
    which hold no more than four short values each; issue 24 may move the counting into SQL."""
    o = ProvingOutcome
    rows = await uow.session.execute(select(o.route, o.step, o.person, o.passed, o.first_try))
    tallies: dict[tuple[str, str], _Tally] = {}
    for route, step, person, passed, first_try in rows:
        tally = tallies.setdefault((route, step), _Tally())
        tally.tries += 1
        tally.people.add(person)
        if passed:
            tally.eventually.add(person)
            if first_try:
                tally.first_try.add(person)
    found = [
        Rate(route, step, t.tries, len(t.people), len(t.first_try), len(t.eventually))
        for (route, step), t in tallies.items()
    ]
    return sorted(found, key=lambda rate: (rate.route, STEPS.index(rate.step) if rate.step in STEPS else len(STEPS)))
