"""Notifications: a GOV.UK Notify-compatible service (email, text message and letter)."""
