"""Property tests of the payment state machine, against the real services and database.

Hypothesis draws a programme of steps on a few payments of one fresh service and key:
the service's API calls (create, plain or setting up an agreement or charging one;
GET, which mints a next_url token; cancel; capture; refunds of any amount, more than
is left, or with a stale `refund_amount_available`), the paying user's page
submissions (open a next_url token, newest or old and used; a sandbox card; the 3-D
Secure answer; confirm; cancel), the expiry sweep (after making the payment 91
minutes or 121 hours older), the capture and refund jobs, and moving a payment's
history back to around a London midnight on an earlier day. The sandbox processor is
wrapped in `Recording`, which notes every call per payment and can be told to fail
its next call of one kind (raise ProcessorError, or answer an error) or to let one
more step happen to the same payment while it is answering, as another request, the
job worker or the expiry sweep would. Any step may be refused (a 4xx answer,
JourneyRefused); nothing else may go wrong. After every step:

1. no payment moves backwards (created < started < submitted < capturable < finished),
   and a finished payment never changes state (not even success -> error, which the
   state machine allows for an abandoned capture but nothing here should do);
2. each payment's ledger events are a path of `states.TRANSITIONS` starting at
   CREATED and ending at its state, one event per move, and only ever grow;
3. nothing is charged twice: at most one authorisation and one capture per payment,
   a capture only of a payment in success that is not yet captured, never a capture
   of a released authorisation, refunds only of a captured payment, each refund sent
   once and together never more than the amount (a capture or refund asked for twice
   at once, by a request and a job, counts once: see `Recording`);
4. the daily totals reconcile: for every London day, `ledger.daily_totals` shows the
   payments that succeeded that day and the refunds that succeeded that day, and the
   whole range nets to the money taken less the money the processor gave back;
5. GET /v1/payments/{id} shows the database's state and `amount_available` =
   amount - refunds that have not failed.

Each example's service and key are new, so examples do not see each other's
payments (the database is the test's own and rolled back at the end). Races and
failures that matter are pinned with @example, so every run tries them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from govplatform.app import build_app
from govplatform.core.interfaces import JobContext
from govplatform.core.models import Job
from govplatform.core.platform import Platform
from govplatform.pay.cards import luhn_valid, validate_card_number
from govplatform.pay.component import PayComponent
from govplatform.pay.models import Payment, PaymentEvent
from govplatform.pay.models import Refund as RefundRow
from govplatform.pay.processors.base import (
    Authorisation,
    AuthorisationResult,
    CaptureResult,
    CardProcessor,
    Outcome,
    ProcessorError,
    RefundResult,
    ReportedDispute,
)
from govplatform.pay.sandbox_cards import sandbox_card
from govplatform.pay.services import journey, ledger, operations, payments, refunds
from govplatform.pay.services.journey import JourneyRefused
from govplatform.pay.states import FINISHED_STATUSES, TRANSITIONS, PaymentState, RefundStatus
from govplatform.pay.tasks import NotYet, PayTasks
from tests.integration.pay.support import bearer, card, pay_key, pay_of, pay_service, payment_body

LONDON = ZoneInfo("Europe/London")  # the day a payment counts on, worked out here independently of ledger.py
SUCCESS_CARD = "4242424242424242"
THREE_DS_CARD = "4000002500003155"
NOT_A_SANDBOX_CARD = "4111111111111129"  # passes Luhn, a Visa, but the sandbox does not know it: error P0050
CARDS = (
    SUCCESS_CARD,
    "4000000000000002",  # declined
    "4000000000000069",  # expired card
    "4000000000000127",  # CVC error
    "4000000000000119",  # processing error
    THREE_DS_CARD,
    NOT_A_SANDBOX_CARD,
)
RANK = {"created": 0, "started": 1, "submitted": 2, "capturable": 3}
FINISHED = 4
OPERATIONS = ("authorise", "complete_three_d_secure", "capture", "cancel", "refund", "charge_instrument")
MEANWHILE = (
    "user_cancel",
    "service_cancel",
    "expire",
    "run_jobs",
    "capture",
    "refund",
    "confirm",
    "three_ds",  # the 3-D Secure answer sent again (a double click, a second tab)
    "card",  # the card form sent again
)
ENDINGS = ("confirm",) * 4 + ("confirm_capture",) * 2 + ("user_cancel", "service_cancel", "expire", "stop")
DAYS_BACK = 364  # the totals are checked from this many London days ago to tomorrow (366 days, ledger's most)


# --- The steps -------------------------------------------------------------------------------------------
# A step names a payment by `p`, taken modulo how many the example has made so far.


@dataclasses.dataclass(frozen=True)
class Create:
    kind: str  # "plain", "set_up" (sets up a new agreement), or "recurring" (charges the newest agreement)
    delayed: bool
    amount: int


@dataclasses.dataclass(frozen=True)
class Get:
    p: int


@dataclasses.dataclass(frozen=True)
class Open:
    p: int
    pick: int  # -2: a fresh next_url from a GET (a user resuming); -1: the newest; otherwise any, perhaps used


@dataclasses.dataclass(frozen=True)
class Card:
    p: int
    number: str


@dataclasses.dataclass(frozen=True)
class ThreeDS:
    p: int
    authenticated: bool


@dataclasses.dataclass(frozen=True)
class Confirm:
    p: int


@dataclasses.dataclass(frozen=True)
class UserCancel:
    p: int


@dataclasses.dataclass(frozen=True)
class ServiceCancel:
    p: int


@dataclasses.dataclass(frozen=True)
class Capture:
    p: int


@dataclasses.dataclass(frozen=True)
class Expire:
    p: int
    back: str  # "none" (sweep only), "minutes" (91 minutes older first) or "days" (121 hours older first)


@dataclasses.dataclass(frozen=True)
class Refund:
    p: int
    how: str  # "part", "all", "over" (more than is left), or "stale" (a wrong refund_amount_available)
    amount: int


@dataclasses.dataclass(frozen=True)
class RunJobs:
    pass


@dataclasses.dataclass(frozen=True)
class Backdate:
    """Everything the payment and its refunds did so far happened earlier, the payment's success (or
    creation) moved to `minutes` from the London midnight that began the day `days` ago."""

    p: int
    days: int
    minutes: int


@dataclasses.dataclass(frozen=True)
class Fault:
    op: str
    kind: str  # "raise" (ProcessorError) or "answer" (an error answer)


@dataclasses.dataclass(frozen=True)
class Meanwhile:
    op: str
    action: str  # what happens to the same payment while the processor is answering `op`


payment_ref = st.integers(min_value=0, max_value=2)
amounts = st.integers(min_value=1, max_value=5000)
creates = st.builds(
    Create, kind=st.sampled_from(("plain", "plain", "set_up", "recurring")), delayed=st.booleans(), amount=amounts
)
any_step = st.one_of(
    creates,
    st.builds(Get, payment_ref),
    st.builds(Open, payment_ref, st.integers(min_value=-2, max_value=4)),
    st.builds(Card, payment_ref, st.sampled_from(CARDS)),
    st.builds(ThreeDS, payment_ref, st.booleans()),
    st.builds(Confirm, payment_ref),
    st.builds(UserCancel, payment_ref),
    st.builds(ServiceCancel, payment_ref),
    st.builds(Capture, payment_ref),
    st.builds(Expire, payment_ref, st.sampled_from(("none", "minutes", "days"))),
    st.builds(Refund, payment_ref, st.sampled_from(("part", "all", "over", "stale")), amounts),
    st.just(RunJobs()),
    st.builds(
        Backdate,
        payment_ref,
        st.integers(min_value=1, max_value=DAYS_BACK - 1),
        st.integers(min_value=-45, max_value=45),
    ),
)
processor_steps = st.one_of(
    st.builds(Fault, st.sampled_from(OPERATIONS), st.sampled_from(("raise", "answer"))),
    st.builds(Meanwhile, st.sampled_from(OPERATIONS), st.sampled_from(MEANWHILE)),
)


AFTERWARDS: dict[str, Callable[[int], tuple[object, ...]]] = {  # what may happen after a user paid (or not)
    "nothing": lambda p: (),
    "user cancels": lambda p: (UserCancel(p),),
    "service cancels": lambda p: (ServiceCancel(p),),
    "service captures": lambda p: (Capture(p),),
    "expiry": lambda p: (Expire(p, "days"),),
    "user pays again": lambda p: (Open(p, -2), Card(p, SUCCESS_CARD), Confirm(p)),
    "old token": lambda p: (Open(p, 0), ThreeDS(p, True), Confirm(p)),
    "refund too much": lambda p: (Refund(p, "over", 1),),
}


def _paying(p: int, number: str, ending: str, refund: int, afterwards: str) -> tuple[object, ...]:
    """What a paying user (and then the service) usually does: the steps that get a payment somewhere."""
    path: list[object] = [Open(p, -2), Card(p, number)]
    if number == THREE_DS_CARD:
        path.append(ThreeDS(p, True))
    if ending.startswith("confirm"):
        path.append(Confirm(p))
    if ending == "confirm_capture":
        path.append(Capture(p))
    elif ending == "user_cancel":
        path.append(UserCancel(p))
    elif ending == "service_cancel":
        path.append(ServiceCancel(p))
    elif ending == "expire":
        path.append(Expire(p, "minutes"))
    if refund:
        path.append(Refund(p, "part", refund))
    return (*path, *AFTERWARDS[afterwards](p))


paying = st.builds(
    _paying,
    payment_ref,
    st.sampled_from((SUCCESS_CARD,) * 3 + (THREE_DS_CARD,) + CARDS),
    st.sampled_from(ENDINGS),
    st.one_of(st.just(0), amounts),
    st.sampled_from(tuple(AFTERWARDS)),
)
# Runs of steps, weighted towards payments that get far enough for captures, refunds and totals to
# matter, and towards processor trouble just before them; any step can still come at any time.
runs = st.one_of(
    paying,
    paying,
    st.tuples(st.lists(processor_steps, min_size=1, max_size=2), paying).map(lambda pair: (*pair[0], *pair[1])),
    st.lists(any_step, min_size=1, max_size=3).map(tuple),
)
programmes = st.lists(runs, min_size=2, max_size=10).map(lambda items: [step for item in items for step in item])


# --- The processor ---------------------------------------------------------------------------------------


@dataclasses.dataclass(eq=False)  # told apart by identity: two calls may carry the same figures
class Call:
    """One call the pay services made of the processor, and what came of it."""

    op: str  # "capture raised" etc. when told to raise: nothing reached the processor
    payment_id: str | None
    processor_id: str | None
    ok: bool = False  # authorised, captured or refunded
    amount: int | None = None
    refund_id: str | None = None
    state_then: str | None = None  # the payment's state when a capture or refund was asked for
    captured_then: bool = False  # whether the database already showed the payment captured
    refund_status_then: str | None = None  # the refund's status when it was sent
    overlapped: bool = False  # another call for the same capture or refund was in flight meanwhile


class Recording:
    """The sandbox processor, noting every call per payment, failing or letting a step happen as told.

    Where money moves it behaves as Stripe does (and `processors/stripe.py` relies on): two
    captures of one authorisation, or two sends of one refund id, that are in flight at once
    take the money once and get one answer. Such overlapping calls are marked, so the
    invariants count them as one; a second capture or refund made after the first was
    answered is a second charge.
    """

    name = "sandbox"

    def __init__(self, inner: CardProcessor, harness: Harness) -> None:
        self.inner = inner
        self.harness = harness
        self.faults: dict[str, str] = {}
        self.meanwhile: dict[str, str] = {}
        self.calls: list[Call] = []
        self.owner: dict[str, str] = {}  # processor id -> payment id
        self.in_flight: dict[tuple[str, str], list[Call]] = defaultdict(list)
        self.captured: dict[str, CaptureResult] = {}  # processor id -> its capture
        self.refunded: dict[str, RefundResult] = {}  # refund id -> the processor's answer

    @contextmanager
    def _flight(self, key: tuple[str, str], call: Call) -> Iterator[None]:
        others = self.in_flight[key]
        if others:
            call.overlapped = True
            for other in others:
                other.overlapped = True
        others.append(call)
        try:
            yield
        finally:
            others.remove(call)

    async def _before(self, op: str, payment_id: str | None) -> bool:
        """Let the step due meanwhile happen; then raise, or return True to answer an error, as told."""
        action = self.meanwhile.pop(op, None)
        if action is not None and payment_id is not None:
            event(f"meanwhile {action} during {op}")
            try:
                await self.harness.act(action, payment_id)
            except BaseException as error:  # the services may swallow it (journey._ask does); the test must not
                self.harness.nested_errors.append(error)
                raise
        fault = self.faults.pop(op, None)
        if fault is not None:
            event(f"fault: {fault} on {op}")
        if fault == "raise":
            self.calls.append(Call(f"{op} raised", payment_id, None))
            raise ProcessorError(f"{op}: told to fail by the test")
        return fault == "answer"

    async def _payment_then(self, payment_id: str | None) -> tuple[str | None, bool]:
        if payment_id is None:
            return None, False
        async with self.harness.pay.uow(read_only=True) as uow:
            payment = await payments.get(uow, payment_id)
            assert payment is not None
            return payment.state, payment.captured_at is not None

    async def authorise(self, request: Authorisation) -> AuthorisationResult:
        if await self._before("authorise", request.payment_id):
            result = AuthorisationResult(Outcome.ERROR, message="error answer from the test")
        else:
            result = await self.inner.authorise(request)
        if result.processor_id:
            self.owner[result.processor_id] = request.payment_id
        ok = result.outcome is Outcome.AUTHORISED
        self.calls.append(Call("authorise", request.payment_id, result.processor_id, ok, request.amount))
        return result

    async def complete_three_d_secure(self, processor_id: str, authenticated: bool) -> AuthorisationResult:
        payment_id = self.owner.get(processor_id)
        if await self._before("complete_three_d_secure", payment_id):
            result = AuthorisationResult(Outcome.ERROR, processor_id, message="error answer from the test")
        else:
            result = await self.inner.complete_three_d_secure(processor_id, authenticated)
        ok = result.outcome is Outcome.AUTHORISED
        self.calls.append(Call("complete_three_d_secure", payment_id, processor_id, ok))
        return result

    async def capture(self, processor_id: str, amount: int) -> CaptureResult:
        payment_id = self.owner.get(processor_id)
        state, captured = await self._payment_then(payment_id)
        call = Call("capture", payment_id, processor_id, amount=amount, state_then=state, captured_then=captured)
        with self._flight(("capture", processor_id), call):
            answer_error = await self._before("capture", payment_id)
            if call.overlapped and processor_id in self.captured:
                result = self.captured[processor_id]
            elif answer_error:
                result = CaptureResult(captured=False, message="error answer from the test")
            else:
                result = await self.inner.capture(processor_id, amount)
                if result.captured:
                    self.captured.setdefault(processor_id, result)
        call.ok = result.captured
        self.calls.append(call)
        return result

    async def cancel(self, processor_id: str) -> None:
        payment_id = self.owner.get(processor_id)
        await self._before("cancel", payment_id)  # an error answer to a cancel is no answer at all
        await self.inner.cancel(processor_id)
        self.calls.append(Call("cancel", payment_id, processor_id, ok=True))

    async def refund(self, processor_id: str, amount: int, refund_id: str) -> RefundResult:
        payment_id = self.owner.get(processor_id)
        state, captured = await self._payment_then(payment_id)
        async with self.harness.pay.uow(read_only=True) as uow:
            row = await uow.session.get(RefundRow, refund_id)
            status = row.status if row is not None else None
        call = Call("refund", payment_id, processor_id, False, amount, refund_id, state, captured, status)
        with self._flight(("refund", refund_id), call):
            answer_error = await self._before("refund", payment_id)
            if call.overlapped and refund_id in self.refunded:
                result = self.refunded[refund_id]
            elif answer_error:
                result = RefundResult(succeeded=False, message="error answer from the test")
            else:
                result = await self.inner.refund(processor_id, amount, refund_id)
            self.refunded.setdefault(refund_id, result)
        call.ok = result.succeeded
        self.calls.append(call)
        return result

    async def charge_instrument(
        self, instrument: str, payment_id: str, amount: int, description: str
    ) -> AuthorisationResult:
        if await self._before("charge_instrument", payment_id):
            result = AuthorisationResult(Outcome.ERROR, message="error answer from the test")
        else:
            result = await self.inner.charge_instrument(instrument, payment_id, amount, description)
        if result.processor_id:
            self.owner[result.processor_id] = payment_id
        ok = result.outcome is Outcome.AUTHORISED
        self.calls.append(Call("charge_instrument", payment_id, result.processor_id, ok, amount))
        return result

    async def disputes(self, processor_ids: list[str]) -> list[ReportedDispute]:
        return await self.inner.disputes(processor_ids)


def money_moves(calls: list[Call], op: str) -> int:
    """How many of these calls took or gave back money: overlapping calls for one thing count once."""
    made = [call for call in calls if call.op == op and call.ok]
    at_once = {call.refund_id if op == "refund" else call.processor_id for call in made if call.overlapped}
    return len([call for call in made if not call.overlapped]) + len(at_once)


def london_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=LONDON).astimezone(dt.UTC)


# --- Driving the steps -----------------------------------------------------------------------------------


class Harness:
    """One example: a fresh service and key, its payments, and what has been seen of them."""

    def __init__(self, platform: Platform, client: httpx.AsyncClient, service_id: uuid.UUID, key: str) -> None:
        self.platform = platform
        self.pay: PayComponent = pay_of(platform)
        self.client = client
        self.service_id = service_id
        self.key = key
        self.recorder = Recording(self.pay.processors["sandbox"], self)
        self.payments: list[str] = []
        self.tokens: dict[str, list[str]] = defaultdict(list)
        self.agreements: list[str] = []
        self.rank: dict[str, int] = {}
        self.finished: dict[str, str] = {}
        self.events: dict[str, list[str]] = {}
        self.shown: dict[str, object] = {}
        self.nested_errors: list[BaseException] = []  # raised by a step that happened while the processor answered

    # --- The API, as a service calls it: every answer must be one Pay gives --------------------------------

    async def api(self, method: str, path: str, allowed: set[int], body: object = None) -> httpx.Response:
        response = await self.client.request(method, path, json=body, headers=bearer(self.key))
        assert response.status_code in allowed, f"{method} {path} {body}: {response.status_code} {response.text}"
        return response

    def remember_token(self, payment_id: str, body: dict[str, Any]) -> None:
        link = body["_links"].get("next_url")
        if link:
            self.tokens[payment_id].append(link["href"].rsplit("/", 1)[-1])

    async def create(self, step: Create) -> None:
        body = payment_body(amount=step.amount, reference=f"R{len(self.payments)}")
        if step.delayed:
            body["delayed_capture"] = True
        if step.kind == "set_up":
            wanted = {"reference": "AG", "description": "Instalments", "user_identifier": "u"}
            agreement = await self.api("POST", "/v1/agreements", {201}, wanted)
            self.agreements.append(agreement.json()["agreement_id"])
            body["set_up_agreement"] = self.agreements[-1]
        elif step.kind == "recurring":
            if not self.agreements:
                return
            body = {
                "amount": step.amount,
                "reference": f"R{len(self.payments)}",
                "description": "Instalment",
                "authorisation_mode": "agreement",
                "agreement_id": self.agreements[-1],
            }
        response = await self.api("POST", "/v1/payments", {201, 400}, body)
        if response.status_code == 400:  # an agreement not (or no longer) active
            assert step.kind == "recurring" and response.json()["code"] == "P0103", response.text
            return
        created = response.json()
        self.payments.append(created["payment_id"])
        self.remember_token(created["payment_id"], created)

    async def refund(self, step: Refund, payment_id: str) -> None:
        shown = (await self.api("GET", f"/v1/payments/{payment_id}", {200})).json()
        available = shown["refund_summary"]["amount_available"]
        body: dict[str, object] = {"amount": step.amount}
        if step.how == "all":
            body = {"amount": max(available, 1), "refund_amount_available": available}
        elif step.how == "over":
            body = {"amount": available + step.amount, "refund_amount_available": available}
        elif step.how == "stale":
            body = {"amount": step.amount, "refund_amount_available": available + step.amount}
        response = await self.api("POST", f"/v1/payments/{payment_id}/refunds", {202, 400, 412}, body)
        if step.how in ("over", "stale"):
            assert response.status_code != 202, f"{step}: {body} was accepted with {available} available"

    # --- Time passing ------------------------------------------------------------------------------------

    async def expire(self, payment_id: str, back: str) -> None:
        if back != "none":
            older = dt.timedelta(minutes=91) if back == "minutes" else dt.timedelta(hours=121)
            async with self.pay.uow() as uow:
                payment = await payments.get(uow, payment_id, for_update=True)
                assert payment is not None
                payment.created_at -= older
                await uow.commit()
        await operations.expire_due(self.pay)

    async def backdate(self, step: Backdate, payment_id: str) -> None:
        target = london_midnight(dt.datetime.now(LONDON).date() - dt.timedelta(days=step.days))
        target += dt.timedelta(minutes=step.minutes)
        async with self.pay.uow() as uow:
            payment = await payments.get(uow, payment_id, for_update=True)
            assert payment is not None
            shift = (payment.succeeded_at or payment.created_at) - target
            if shift <= dt.timedelta(0):
                return
            for field in ("created_at", "updated_at", "succeeded_at", "capture_submitted_at", "captured_at"):
                if getattr(payment, field) is not None:
                    setattr(payment, field, getattr(payment, field) - shift)
            for row in await refunds.of_payment(uow, payment_id):
                row.created_at -= shift
                if row.succeeded_at is not None:
                    row.succeeded_at -= shift
            await uow.commit()

    async def run_jobs(self) -> None:
        """Run this example's queued capture and refund jobs once each, as the worker would."""
        handlers: dict[str, Any] = {}
        PayTasks(self.pay).register(lambda name, handler: handlers.__setitem__(name, handler))
        async with self.pay.uow(read_only=True) as uow:
            kinds = (operations.CAPTURE_TASK, refunds.REFUND_TASK)
            jobs = (await uow.session.scalars(select(Job).where(Job.kind.in_(kinds), Job.status == "queued"))).all()
            ours = select(RefundRow.id).where(RefundRow.service_id == self.service_id)
            refund_ids = set((await uow.session.scalars(ours)).all())
        for job in jobs:
            if job.payload.get("payment_id") not in self.payments and job.payload.get("refund_id") not in refund_ids:
                continue  # another example's
            async with self.platform.uow() as uow:
                try:
                    await handlers[job.kind](JobContext(uow, job.id, 1), dict(job.payload))
                except NotYet:
                    continue  # the worker would try again later
                row = await uow.session.get(Job, job.id)
                assert row is not None
                row.status = "done"
                await uow.commit()

    # --- The steps -----------------------------------------------------------------------------------------

    async def act(self, action: str, payment_id: str) -> None:
        """One thing done to one payment (also while the processor answers); refusals are fine."""
        pay = self.pay
        try:
            if action == "get":
                self.remember_token(payment_id, (await self.api("GET", f"/v1/payments/{payment_id}", {200})).json())
            elif action == "confirm":
                await journey.confirm(pay, payment_id)
            elif action == "user_cancel":
                await journey.cancel_by_user(pay, payment_id)
            elif action == "service_cancel":
                await self.api("POST", f"/v1/payments/{payment_id}/cancel", {204, 409})
            elif action == "capture":
                await self.api("POST", f"/v1/payments/{payment_id}/capture", {204, 409})
            elif action == "expire":
                await self.expire(payment_id, "minutes")
            elif action == "run_jobs":
                await self.run_jobs()
            elif action == "three_ds":
                await journey.complete_three_d_secure(pay, payment_id, True)
            elif action == "card":
                await journey.submit_card(pay, payment_id, card(SUCCESS_CARD))
            elif action == "refund":
                await self.refund(Refund(0, "all", 1), payment_id)
            else:
                raise AssertionError(action)
        except JourneyRefused:
            pass

    async def run(self, step: Any) -> None:
        if isinstance(step, Create):
            await self.create(step)
        elif isinstance(step, RunJobs):
            await self.run_jobs()
        elif isinstance(step, Fault):
            self.recorder.faults[step.op] = step.kind
        elif isinstance(step, Meanwhile):
            self.recorder.meanwhile[step.op] = step.action
        elif self.payments:
            await self.run_on(step, self.payments[step.p % len(self.payments)])

    async def run_on(self, step: object, payment_id: str) -> None:
        try:
            match step:
                case Get():
                    await self.act("get", payment_id)
                case Open(pick=pick):
                    if pick == -2:
                        await self.act("get", payment_id)
                    tokens = self.tokens[payment_id]
                    if tokens:
                        await journey.open_token(self.pay, tokens[-1 if pick < 0 else pick % len(tokens)])
                case Card(number=number):
                    await journey.submit_card(self.pay, payment_id, card(number))
                case ThreeDS(authenticated=authenticated):
                    await journey.complete_three_d_secure(self.pay, payment_id, authenticated)
                case Confirm():
                    await self.act("confirm", payment_id)
                case UserCancel():
                    await self.act("user_cancel", payment_id)
                case ServiceCancel():
                    await self.act("service_cancel", payment_id)
                case Capture():
                    await self.act("capture", payment_id)
                case Expire(back=back):
                    await self.expire(payment_id, back)
                case Refund():
                    await self.refund(step, payment_id)
                case Backdate():
                    await self.backdate(step, payment_id)
                case _:
                    raise AssertionError(step)
        except JourneyRefused:
            pass

    # --- The invariants ------------------------------------------------------------------------------------

    async def check(self) -> None:
        today = dt.datetime.now(LONDON).date()
        async with self.pay.uow(read_only=True) as uow:
            ours = select(Payment).where(Payment.service_id == self.service_id)
            rows = {payment.id: payment for payment in (await uow.session.scalars(ours)).all()}
            events = {payment_id: await payments.events(uow, payment_id) for payment_id in rows}
            theirs = select(RefundRow).where(RefundRow.service_id == self.service_id)
            refund_rows = list((await uow.session.scalars(theirs)).all())
            first, last = today - dt.timedelta(days=DAYS_BACK), today + dt.timedelta(days=1)
            days = await ledger.daily_totals(uow, self.service_id, False, first, last)
        assert set(rows) == set(self.payments)
        refunds_of: dict[str, list[RefundRow]] = defaultdict(list)
        for row in refund_rows:
            refunds_of[row.payment_id].append(row)
        for payment_id, payment in rows.items():
            self.check_moves(payment)
            self.check_events(payment, events[payment_id])
            self.check_charges(payment, refunds_of[payment_id])
            seen = (payment.state, payment.version, sorted((row.id, row.status) for row in refunds_of[payment_id]))
            if self.shown.get(payment_id) != seen:  # a GET of a payment that has not changed shows the same
                await self.check_api(payment, refunds_of[payment_id])
                self.shown[payment_id] = seen
        self.check_totals(rows, refund_rows, days)

    def check_moves(self, payment: Payment) -> None:
        """(1) Never backwards; a finished payment stays as it finished (success -> error included)."""
        state = PaymentState[payment.state]
        rank = FINISHED if state.status in FINISHED_STATUSES else RANK[state.status.value]
        assert rank >= self.rank.get(payment.id, 0), f"{payment.id} moved back to {state.name}"
        self.rank[payment.id] = rank
        if payment.id in self.finished:
            before = self.finished[payment.id]
            assert payment.state == before, f"{payment.id} moved from {before} to {payment.state} after finishing"
        elif rank == FINISHED:
            self.finished[payment.id] = payment.state
        took_money = payment.succeeded_at is not None
        assert took_money == (state is PaymentState.SUCCESS), f"{payment.id}: {state.name}, {payment.succeeded_at}"

    def check_events(self, payment: Payment, found: list[PaymentEvent]) -> None:
        """(2) The ledger events: CREATED first, each next one an allowed move, the last the state."""
        names = [row.state for row in found]
        assert names[0] == PaymentState.CREATED.name, names
        for before, after in itertools.pairwise(names):
            assert PaymentState[after] in TRANSITIONS[PaymentState[before]], f"{payment.id}: {names}"
        assert names[-1] == payment.state, f"{payment.id}: events {names}, state {payment.state}"
        seen = self.events.get(payment.id, [])
        assert names[: len(seen)] == seen, f"{payment.id}: events were {seen}, now {names}"
        self.events[payment.id] = names

    def check_charges(self, payment: Payment, refund_rows: list[RefundRow]) -> None:
        """(3) One authorisation; one capture, of a success; refunds of a capture, within its amount."""
        calls = [call for call in self.recorder.calls if call.payment_id == payment.id]
        authorising = ("authorise", "complete_three_d_secure", "charge_instrument")
        authorised = [call for call in calls if call.ok and call.op in authorising]
        assert len(authorised) <= 1, f"{payment.id} authorised {len(authorised)} times: {authorised}"
        captures = money_moves(calls, "capture")
        assert captures <= 1, f"{payment.id} captured {captures} times: {calls}"
        for call in calls:
            if call.op == "capture":
                assert call.state_then == PaymentState.SUCCESS.name, f"capture asked of a {call.state_then} payment"
                assert not call.captured_then, f"{payment.id} was captured already: {calls}"
                assert call.amount == payment.amount
            if call.op == "refund":
                assert call.state_then == PaymentState.SUCCESS.name and call.captured_then, call
                sent = call.refund_status_then
                assert sent == RefundStatus.SUBMITTED.value, f"refund {call.refund_id} sent when it was {sent}"
        if captures:
            releases = [call for call in calls if call.op == "cancel"]
            assert not releases, f"{payment.id} captured and released: {calls}"
        assert (payment.captured_at is not None) == bool(captures), f"{payment.id}: {payment.captured_at}, {calls}"
        refunded = {call.refund_id: call.amount or 0 for call in calls if call.op == "refund" and call.ok}
        assert money_moves(calls, "refund") == len(refunded), f"{payment.id}: a refund made twice: {calls}"
        assert sum(refunded.values()) <= payment.amount, f"{payment.id} refunded {refunded} of {payment.amount}"
        succeeded = {row.id for row in refund_rows if row.status == RefundStatus.SUCCESS.value}
        assert succeeded == set(refunded), f"{payment.id}: refunds {succeeded}, the processor made {set(refunded)}"
        not_failed = sum(row.amount for row in refund_rows if row.status != RefundStatus.ERROR.value)
        assert not_failed <= payment.amount, f"{payment.id}: {not_failed} of {payment.amount} refunded or refunding"

    async def check_api(self, payment: Payment, refund_rows: list[RefundRow]) -> None:
        """(5) What the service sees agrees with the database."""
        shown = (await self.api("GET", f"/v1/payments/{payment.id}", {200})).json()
        state = PaymentState[payment.state]
        assert shown["state"]["status"] == state.status.value, (shown["state"], payment.state)
        assert shown["state"]["finished"] == state.finished
        assert shown["state"].get("code") == state.code
        not_failed = sum(row.amount for row in refund_rows if row.status != RefundStatus.ERROR.value)
        total = payment.amount + (payment.corporate_surcharge or 0)
        assert shown["refund_summary"]["amount_available"] == total - not_failed, (shown["refund_summary"], not_failed)

    def check_totals(self, rows: dict[str, Payment], refund_rows: list[RefundRow], days: list[ledger.DayTotal]) -> None:
        """(4) The daily totals are the payments that succeeded less the refunds, London day by London day."""
        gross: Counter[dt.date] = Counter()
        refunded: Counter[dt.date] = Counter()
        for payment in rows.values():
            if payment.succeeded_at is not None:
                day = payment.succeeded_at.astimezone(LONDON).date()
                gross[day] += payment.amount + (payment.corporate_surcharge or 0)
        for row in refund_rows:
            if row.status == RefundStatus.SUCCESS.value:
                assert row.succeeded_at is not None
                refunded[row.succeeded_at.astimezone(LONDON).date()] += row.amount
        first, last = days[0].day, days[-1].day
        assert all(first <= day <= last for day in (*gross, *refunded)), (gross, refunded)
        for total in days:
            assert (total.gross, total.refunded) == (gross[total.day], refunded[total.day]), (total, gross, refunded)
        whole = ledger.totals(days)
        taken = sum(payment.amount for payment in rows.values() if payment.succeeded_at is not None)
        given_back = {
            call.refund_id: call.amount or 0 for call in self.recorder.calls if call.op == "refund" and call.ok
        }
        assert whole.net == taken - sum(given_back.values()), (whole, taken, given_back)


# --- The test --------------------------------------------------------------------------------------------


class World:
    """The platform and an API client, with a short repr: Hypothesis prints it with each failing example."""

    def __init__(self, platform: Platform, client: httpx.AsyncClient) -> None:
        self.platform = platform
        self.client = client

    def __repr__(self) -> str:
        return "World()"


@pytest.fixture
async def world(platform: Platform) -> AsyncIterator[World]:
    """The app over ASGI, raising what the app did not answer itself, so that a failure shows its traceback."""
    app = build_app(platform.settings, platform)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield World(platform, client)


def test_the_unsupported_card_is_valid_but_unknown_to_the_sandbox() -> None:
    assert luhn_valid(NOT_A_SANDBOX_CARD) and sandbox_card(NOT_A_SANDBOX_CARD) is None
    validate_card_number(NOT_A_SANDBOX_CARD)


def days_since_summer() -> int:
    """How many days ago it was mid-July or mid-August (British Summer Time), at least two, within the year."""
    today = dt.datetime.now(LONDON).date()
    candidates = [dt.date(year, month, 15) for year in (today.year - 1, today.year) for month in (7, 8)]
    return min((today - day).days for day in candidates if (today - day).days >= 2)


SUMMER = days_since_summer()
PLAIN, DELAYED, SET_UP = Create("plain", False, 1000), Create("plain", True, 1000), Create("set_up", False, 1000)
PAID = [Open(0, -1), Card(0, SUCCESS_CARD), Confirm(0)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.lists(creates, min_size=1, max_size=2), programme=programmes)
# Races and failures worth trying every time (each passed when written, unless noted):
# the capture job runs while the request is capturing; the refund job while the request is refunding.
@example(first=[PLAIN], programme=[Meanwhile("capture", "run_jobs"), *PAID])
@example(first=[PLAIN], programme=[*PAID, Meanwhile("refund", "run_jobs"), Refund(0, "part", 10)])
@example(
    first=[PLAIN], programme=[*PAID, Fault("refund", "answer"), Meanwhile("refund", "run_jobs"), Refund(0, "part", 10)]
)
# Releasing an authorisation fails, when the user cancels and when the user cancels during authorisation.
@example(first=[PLAIN], programme=[Fault("cancel", "raise"), Open(0, -1), Card(0, SUCCESS_CARD), UserCancel(0)])
@example(first=[PLAIN], programme=[Meanwhile("authorise", "user_cancel"), Fault("cancel", "raise"), *PAID[:2]])
# The 3-D Secure answer sent twice; the user cancels, or the payment expires, while it is checked.
@example(
    first=[PLAIN],
    programme=[
        Meanwhile("complete_three_d_secure", "three_ds"),
        Open(0, -1),
        Card(0, THREE_DS_CARD),
        ThreeDS(0, True),
        Confirm(0),
    ],
)
@example(
    first=[PLAIN],
    programme=[
        Meanwhile("complete_three_d_secure", "user_cancel"),
        Open(0, -1),
        Card(0, THREE_DS_CARD),
        ThreeDS(0, True),
        Confirm(0),
    ],
)
@example(first=[PLAIN], programme=[Meanwhile("authorise", "expire"), *PAID])
# Delayed capture: the service cancels while capturing; the payment expires after 120 hours.
@example(first=[DELAYED], programme=[*PAID, Meanwhile("capture", "service_cancel"), Capture(0), Refund(0, "all", 1)])
@example(first=[DELAYED], programme=[*PAID, Expire(0, "days"), Capture(0), ServiceCancel(0)])
# A capture that fails and is taken by the job later, refunds refused until then; a refund the job finishes.
@example(
    first=[PLAIN],
    programme=[*PAID[:2], Fault("capture", "raise"), Confirm(0), Refund(0, "part", 1), RunJobs(), Refund(0, "part", 1)],
)
@example(
    first=[PLAIN],
    programme=[
        *PAID,
        Fault("refund", "raise"),
        Refund(0, "all", 1),
        Refund(0, "part", 1),
        RunJobs(),
        Refund(0, "part", 1),
    ],
)
# Refunds on earlier days, too much and stale; payments just after and just before a London midnight.
@example(
    first=[PLAIN, PLAIN],
    programme=[
        *PAID,
        Backdate(0, 3, -30),
        Refund(0, "part", 100),
        Backdate(0, SUMMER, 30),
        Refund(0, "over", 1),
        Refund(0, "stale", 5),
        Refund(0, "all", 1),
        Open(1, -1),
        Card(1, SUCCESS_CARD),
        Confirm(1),
        Backdate(1, SUMMER + 1, -15),
    ],
)
# Agreements: a recurring payment when the processor is down.
@example(
    first=[SET_UP],
    programme=[
        *PAID,
        Fault("charge_instrument", "raise"),
        Create("recurring", False, 500),
        Create("recurring", False, 700),
        Refund(2, "all", 1),
    ],
)
# Found by this test: the payment expires while the saved card is being charged (creating.charge_agreement).
@example(first=[SET_UP], programme=[*PAID, Meanwhile("charge_instrument", "expire"), Create("recurring", False, 500)])
async def test_no_sequence_moves_a_payment_backwards_charges_twice_or_unbalances_the_totals(
    world: World, first: list[Create], programme: list[object]
) -> None:
    service_id = await pay_service(world.platform)
    harness = Harness(world.platform, world.client, service_id, await pay_key(world.platform, service_id))
    pay = harness.pay
    original = pay.processors["sandbox"]
    pay.processors["sandbox"] = harness.recorder
    try:
        for step in [*first, *programme]:
            await harness.run(step)
            assert not harness.nested_errors, f"{step}: a step that happened meanwhile failed: {harness.nested_errors}"
            await harness.check()
    finally:
        pay.processors["sandbox"] = original
    for state in set(harness.finished.values()):
        event(f"a payment reached {state}")
    for call in harness.recorder.calls:
        event(f"processor: {call.op} {'ok' if call.ok else 'not ok'}{' (overlapping)' if call.overlapped else ''}")
