"""`govplatform exchange agreement ...`: draft a data-sharing agreement, and move it through its approvals.

Drafting is the consumer's (the operator at the CLI drafts for it); every later step is a named person's, by
`--as EMAIL`, who must hold the organisation role the step needs (services/agreements.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer

from govplatform.core.interfaces import CLI_ACTOR, emit, fail, parse_id, run_with_platform, user_facing
from govplatform.exchange.cli.common import AsJson, exchange_of
from govplatform.exchange.services import agreements
from govplatform.exchange.services.agreements import AgreementView, Terms
from govplatform.transparency.interfaces import TransparencyLog

agreement_cli = typer.Typer(help="Data-sharing agreements and their approvals.", no_args_is_help=True)


def shown(view: AgreementView) -> dict[str, Any]:
    return {
        "id": str(view.id),
        "state": view.state,
        "consumer": {"id": str(view.consumer.id), "name": view.consumer.name},
        "provider": {"id": str(view.provider.id), "name": view.provider.name},
        "dataset": {"id": str(view.dataset.id), "name": view.dataset.name},
        "fields": list(view.fields),
        "data_items": list(view.data_items),
        "purpose": view.purpose,
        "basis": view.basis,
        "expires_on": view.expires_on.isoformat() if view.expires_on else None,
        "review_on": view.review_on.isoformat() if view.review_on else None,
    }


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date like 2027-12-31, not {value!r}", 2)


@agreement_cli.command("create")
def agreement_create(
    consumer: Annotated[str, typer.Option(help="The ID of the organisation that will ask")],
    provider: Annotated[str, typer.Option(help="The ID of the organisation that holds the dataset")],
    dataset: Annotated[str, typer.Option(help="The dataset's ID")],
    fields: Annotated[str, typer.Option(help="Comma-separated fields of the dataset")],
    purpose: Annotated[str, typer.Option(help="A short code queries name, e.g. resident-parking-permits")],
    basis: Annotated[str, typer.Option(help="consent, public-task, dea-part5-chN or statutory:NAME")],
    description: Annotated[str, typer.Option(help="The purpose in words, for the public register")] = "",
    expires: Annotated[str | None, typer.Option(help="The last day it may answer, YYYY-MM-DD")] = None,
    review: Annotated[str | None, typer.Option(help="When it will be reviewed, YYYY-MM-DD")] = None,
    retention: Annotated[str | None, typer.Option(help="How long the consumer keeps what it receives")] = None,
    security: Annotated[str | None, typer.Option(help="How the data is kept safe")] = None,
    dpia: Annotated[str | None, typer.Option(help="The data protection impact assessment's reference")] = None,
    consumer_role: Annotated[str, typer.Option(help="controller, joint-controller or processor")] = "controller",
    provider_role: Annotated[str, typer.Option(help="controller, joint-controller or processor")] = "controller",
    special_category_condition: Annotated[
        str | None, typer.Option(help="The Article 9 condition, when special-category fields are shared")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Draft an agreement for the consumer; the provider's data owner and chief data officer approve it."""
    terms = Terms(
        consumer_id=parse_id(consumer, "--consumer"), dataset_id=parse_id(dataset, "--dataset"),
        fields=fields.split(","), purpose=purpose, basis=basis, description=description,
        consumer_role=consumer_role, provider_role=provider_role,
        special_category_condition=special_category_condition, retention=retention, security=security,
        dpia_reference=dpia, review_on=_date(review, "--review"), expires_on=_date(expires, "--expires"),
    )  # fmt: skip
    provider_id = parse_id(provider, "--provider")

    async def work(platform: Any) -> AgreementView:
        exchange = exchange_of(platform)
        async with platform.uow() as uow:
            made = await agreements.draft(uow, CLI_ACTOR, exchange.log, terms)
            if made.provider.id != provider_id:
                fail(f"The dataset is {made.provider.name}'s, not that of --provider {provider}", 2)
            await uow.commit()
            return made

    made = user_facing(lambda: run_with_platform(work))
    emit(as_json, shown(made), f"Drafted agreement {made.id}")


Step = Callable[[Any, TransparencyLog, Any, str], Awaitable[AgreementView]]


def _step(step: Step, agreement: str, email: str, as_json: bool) -> None:
    agreement_id = parse_id(agreement, "--agreement")

    async def work(platform: Any) -> AgreementView:
        async with platform.uow() as uow:
            changed = await step(uow, exchange_of(platform).log, agreement_id, email)
            await uow.commit()
            return changed

    changed = user_facing(lambda: run_with_platform(work))
    emit(as_json, shown(changed), f"Agreement {changed.id} is now {changed.state}")


Agreement = Annotated[str, typer.Option(help="The agreement's ID")]
As = Annotated[str, typer.Option("--as", help="The email of the person acting (their organisation role counts)")]


@agreement_cli.command("approve")
def agreement_approve(agreement: Agreement, email: As, as_json: AsJson = False) -> None:
    """The provider's data owner approves a draft."""
    _step(agreements.approve, agreement, email, as_json)


@agreement_cli.command("sign-off")
def agreement_sign_off(agreement: Agreement, email: As, as_json: AsJson = False) -> None:
    """The provider's chief data officer signs off an approved agreement: it becomes active."""
    _step(agreements.sign_off, agreement, email, as_json)


@agreement_cli.command("suspend")
def agreement_suspend(agreement: Agreement, email: As, as_json: AsJson = False) -> None:
    """A data owner or chief data officer of either party suspends an active agreement."""
    _step(agreements.suspend, agreement, email, as_json)


@agreement_cli.command("resume")
def agreement_resume(agreement: Agreement, email: As, as_json: AsJson = False) -> None:
    """The provider's chief data officer makes a suspended agreement active again."""
    _step(agreements.resume, agreement, email, as_json)


@agreement_cli.command("revoke")
def agreement_revoke(agreement: Agreement, email: As, as_json: AsJson = False) -> None:
    """A data owner or chief data officer of either party ends an agreement for good."""
    _step(agreements.revoke, agreement, email, as_json)


@agreement_cli.command("list")
def agreement_list(as_json: AsJson = False) -> None:
    """Every agreement, drafts too, newest change first."""

    async def work(platform: Any) -> list[AgreementView]:
        async with platform.uow(read_only=True) as uow:
            return await agreements.list_agreements(uow)

    found = run_with_platform(work)
    human = "\n".join(f"{a.id} {a.state} {a.consumer.name} <- {a.provider.name}: {a.purpose}" for a in found)
    emit(as_json, {"agreements": [shown(a) for a in found]}, human or "None")
