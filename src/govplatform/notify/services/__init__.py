"""Notify's business rules: templates, sending, reading notifications back, delivery, limits."""
