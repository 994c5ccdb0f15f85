"""Core business rules: tenancy, API keys, staff and sessions, audit. The only place that decides."""
