"""Payments: a GOV.UK Pay-compatible service (public API v1, hosted payment pages, refunds).

This package starts with the rules that need no database: card checks
(`cards`), the sandbox processor's test cards (`sandbox_cards`), the payment
and refund state rules (`states`) and Pay's API key format (`keys`).
"""
