"""The search forms of the payments and refunds pages: what was typed, checked, kept for the form.

Dates are typed in GOV.UK date inputs (day, month, year) and mean London
calendar days, both ends included. A search that cannot be understood shows
its problems and no results, rather than results for a search no one made.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from govplatform.core.interfaces import N_, whole_number
from govplatform.pay.cards import CardBrand
from govplatform.pay.services.admin_queries import STATUSES, PaymentFilters, RefundFilters
from govplatform.pay.services.problems import Problem

TEXT_MAX = 255
DATE_PARTS = ("day", "month", "year")
PAYMENT_FIELDS = ("reference", "email", "state", "card_brand", "last_digits")


@dataclasses.dataclass(frozen=True)
class Search:
    """A checked search: the filters, what to put back in the form, and the query string to page or export it."""

    values: dict[str, str]
    problems: list[Problem]

    @property
    def query(self) -> dict[str, str]:
        return {name: value for name, value in self.values.items() if value}


def _day(params: Mapping[str, str], prefix: str, values: dict[str, str]) -> tuple[dt.date | None, Problem | None]:
    parts = [params.get(f"{prefix}-{part}", "").strip()[:4] for part in DATE_PARTS]
    for part, text in zip(DATE_PARTS, parts, strict=True):
        values[f"{prefix}-{part}"] = text
    if not any(parts):
        return None, None
    label = N_("The date from must be a real date") if prefix == "from" else N_("The date to must be a real date")
    numbers = [whole_number(part) for part in parts]
    if None in numbers:
        return None, Problem(f"{prefix}-day", label)
    day, month, year = (number or 0 for number in numbers)
    try:
        return dt.date(year, month, day), None
    except ValueError:
        return None, Problem(f"{prefix}-day", label)


def _days(params: Mapping[str, str], values: dict[str, str], problems: list[Problem]) -> tuple[dt.date | None, ...]:
    first, problem = _day(params, "from", values)
    if problem:
        problems.append(problem)
    last, problem = _day(params, "to", values)
    if problem:
        problems.append(problem)
    if first and last and last < first:
        problems.append(Problem("to-day", N_("The date to must be the same as or after the date from")))
    return first, last


def payment_search(params: Mapping[str, str]) -> tuple[PaymentFilters, Search]:
    values = {name: params.get(name, "").strip()[:TEXT_MAX] for name in PAYMENT_FIELDS}
    problems: list[Problem] = []
    if values["state"] not in STATUSES:
        values["state"] = ""
    if values["card_brand"] not in {brand.value for brand in CardBrand}:
        values["card_brand"] = ""
    if values["last_digits"] and not (len(values["last_digits"]) == 4 and values["last_digits"].isdigit()):
        problems.append(Problem("last_digits", N_("Enter the last 4 digits of the card, like 4242")))
    first, last = _days(params, values, problems)
    filters = PaymentFilters(
        reference=values["reference"] or None,
        email=values["email"] or None,
        status=values["state"] or None,
        card_brand=values["card_brand"] or None,
        last_digits=values["last_digits"] or None,
        from_day=first,
        to_day=last,
    )
    return filters, Search(values, problems)


def day_range(params: Mapping[str, str]) -> tuple[dt.date | None, dt.date | None, Search]:
    """The days of the daily totals page: both ends, or neither (the page then shows the last week)."""
    values: dict[str, str] = {}
    problems: list[Problem] = []
    first, last = _days(params, values, problems)
    if not problems and (first is None) != (last is None):
        field = "to-day" if last is None else "from-day"
        problems.append(Problem(field, N_("Enter both dates, or neither")))
    return first, last, Search(values, problems)


def refund_search(params: Mapping[str, str]) -> tuple[RefundFilters, Search]:
    values: dict[str, str] = {}
    problems: list[Problem] = []
    first, last = _days(params, values, problems)
    return RefundFilters(from_day=first, to_day=last), Search(values, problems)
