"""Daily totals for reconciliation: London days in summer and winter, refunds on their own day, and always the
sum of the payments themselves, through `services.ledger` and through the page."""

from __future__ import annotations

import datetime as dt
import re

import httpx
from sqlalchemy import select

from govplatform.core.platform import Platform
from govplatform.pay.models import Payment, Refund
from govplatform.pay.services import ledger
from tests.integration.pay.admin_support import paid, pay_path, signed_in_member, stored_payment
from tests.integration.pay.support import bearer, pay_key, pay_service

UTC = dt.UTC


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


async def test_a_payment_at_23_30_utc_on_a_summer_day_counts_on_the_next_london_day(platform: Platform) -> None:
    service_id = await pay_service(platform)
    await stored_payment(platform, service_id, amount=1000, succeeded_at=at(2024, 7, 1, 23, 30))
    await stored_payment(platform, service_id, amount=200, succeeded_at=at(2024, 7, 1, 22, 59), surcharge=50)
    async with platform.uow(read_only=True) as uow:
        days = await ledger.daily_totals(uow, service_id, True, dt.date(2024, 7, 1), dt.date(2024, 7, 2))
    assert [(day.day, day.payments, day.gross) for day in days] == [
        (dt.date(2024, 7, 1), 1, 250),
        (dt.date(2024, 7, 2), 1, 1000),
    ]


async def test_a_payment_at_23_30_utc_on_a_winter_day_counts_on_the_same_london_day(platform: Platform) -> None:
    service_id = await pay_service(platform)
    await stored_payment(platform, service_id, amount=1000, succeeded_at=at(2024, 1, 15, 23, 30))
    await stored_payment(platform, service_id, amount=300, succeeded_at=at(2024, 1, 16, 0, 0))
    async with platform.uow(read_only=True) as uow:
        days = await ledger.daily_totals(uow, service_id, True, dt.date(2024, 1, 15), dt.date(2024, 1, 16))
    assert [(day.day, day.payments, day.gross) for day in days] == [
        (dt.date(2024, 1, 15), 1, 1000),
        (dt.date(2024, 1, 16), 1, 300),
    ]


async def test_refunds_count_on_the_london_day_they_succeeded_and_net_is_gross_less_refunds(
    platform: Platform,
) -> None:
    service_id = await pay_service(platform)
    await stored_payment(
        platform,
        service_id,
        amount=5000,
        succeeded_at=at(2024, 7, 1, 10),
        refunds=((700, at(2024, 7, 2, 23, 15), "success"), (100, at(2024, 7, 1, 12), "error"), (50, None, "submitted")),
    )
    await stored_payment(platform, service_id, amount=999, succeeded_at=at(2024, 7, 1, 11), state="ERROR")
    await stored_payment(platform, service_id, amount=888, succeeded_at=at(2024, 7, 1, 11), live=False)
    async with platform.uow(read_only=True) as uow:
        days = await ledger.daily_totals(uow, service_id, True, dt.date(2024, 7, 1), dt.date(2024, 7, 4))
        test_days = await ledger.daily_totals(uow, service_id, False, dt.date(2024, 7, 1), dt.date(2024, 7, 1))
    figures = [(day.day.day, day.payments, day.gross, day.refunds, day.refunded, day.net) for day in days]
    assert figures == [(1, 1, 5000, 0, 0, 5000), (2, 0, 0, 0, 0, 0), (3, 0, 0, 1, 700, -700), (4, 0, 0, 0, 0, 0)]
    assert ledger.totals(days).net == 4300
    assert [(day.payments, day.gross) for day in test_days] == [(1, 888)], "the test account is counted apart"


async def test_the_daily_totals_always_equal_the_sum_of_the_payments_and_refunds_rows(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    made = [await paid(platform, client, key, amount=amount) for amount in (1000, 2550, 125)]
    await paid(platform, client, key, amount=4400, number="4000000000000002")
    await client.post(f"/v1/payments/{made[1]}/refunds", json={"amount": 550}, headers=bearer(key))
    today = ledger.london_day(dt.datetime.now(UTC))
    async with platform.uow(read_only=True) as uow:
        days = await ledger.daily_totals(uow, service_id, False, today - dt.timedelta(days=1), today)
        rows = (
            await uow.session.scalars(select(Payment).where(Payment.service_id == service_id, Payment.live.is_(False)))
        ).all()
        given = (await uow.session.scalars(select(Refund).where(Refund.service_id == service_id))).all()
    succeeded = [row for row in rows if row.state == "SUCCESS"]
    whole = ledger.totals(days)
    assert whole.payments == len(succeeded) == 3
    assert whole.gross == sum(row.amount + (row.corporate_surcharge or 0) for row in succeeded) == 3675
    assert whole.refunded == sum(refund.amount for refund in given if refund.status == "success") == 550
    assert whole.net == 3125


async def test_the_daily_totals_page_shows_each_london_day_and_the_total(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    await stored_payment(platform, service_id, amount=1000, succeeded_at=at(2024, 7, 1, 23, 30))
    await stored_payment(
        platform,
        service_id,
        amount=2000,
        succeeded_at=at(2024, 7, 2, 8),
        refunds=((500, at(2024, 7, 2, 9), "success"),),
    )
    await signed_in_member(platform, client, service_id, "viewer")
    page = f"{pay_path(service_id, 'live')}/daily-totals"
    query = {"from-day": "1", "from-month": "7", "from-year": "2024", "to-day": "2", "to-month": "7", "to-year": "2024"}
    shown = await client.get(page, params=query)
    assert shown.status_code == 200
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", shown.text.split("<tbody", 1)[1].split("</tbody>")[0]))
    assert "1 July 2024 0 £0.00 0 £0.00 £0.00" in cells
    assert "2 July 2024 2 £30.00 1 £5.00 £25.00" in cells
    assert "Total 2 £30.00 1 £5.00 £25.00" in cells
    default = await client.get(page)
    assert default.status_code == 200 and default.text.count('<th scope="row" class="govuk-table__header"') == 7
    today = ledger.london_day(dt.datetime.now(UTC))
    assert f'name="to-year" type="text" value="{today.year}"' in default.text, "the form shows the last 7 days"
    year = {**query, "to-year": "2025", "to-month": "7", "to-day": "2"}
    too_long = await client.get(page, params=year)
    assert too_long.status_code == 400 and "Choose a range of no more than a year" in too_long.text
    one_end = await client.get(page, params={"from-day": "1", "from-month": "7", "from-year": "2024"})
    assert one_end.status_code == 400 and "Enter both dates, or neither" in one_end.text
