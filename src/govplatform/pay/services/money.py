"""Amounts as people type and read them: pounds and pence in, pence stored, "£1,234.50" shown.

Pay keeps every amount in pence (an integer, as its API does); people type
pounds, with or without the pound sign, thousands commas or pence.
"""

from __future__ import annotations

import re

from govplatform.core.interfaces import N_
from govplatform.pay.services.problems import Problem

MIN_AMOUNT = 1
MAX_AMOUNT = 10_000_000  # £100,000, Pay's largest amount
_AMOUNT = re.compile(r"(\d{1,9})(?:\.(\d{1,2}))?")


def shown(pence: int) -> str:
    """An amount as the pages show it: £1,234.50 (and -£5.00 below zero)."""
    sign = "-" if pence < 0 else ""
    pence = abs(pence)
    return f"{sign}£{pence // 100:,}.{pence % 100:02d}"


def parse_pounds(text: str) -> int | None:
    """An amount typed in pounds ("12", "12.5", "£1,250.00") in pence; None if it is not one."""
    cleaned = text.strip().removeprefix("£").replace(",", "").strip()
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        return None
    pence = match.group(2) or "0"
    return int(match.group(1)) * 100 + int(pence.ljust(2, "0"))


def amount_problem(field: str, text: str, most: int = MAX_AMOUNT) -> tuple[int | None, Problem | None]:
    """The amount in pence, or what is wrong with it: missing, not money, or outside £0.01 to `most`."""
    if not text.strip():
        return None, Problem(field, N_("Enter an amount"))
    amount = parse_pounds(text)
    if amount is None:
        return None, Problem(field, N_("Enter an amount in pounds and pence, like 12.50"))
    if amount < MIN_AMOUNT:
        return None, Problem(field, N_("Enter an amount of at least £0.01"))
    if amount > most:
        return None, Problem(field, N_("Enter an amount of no more than %(most)s"), {"most": shown(most)})
    return amount, None
