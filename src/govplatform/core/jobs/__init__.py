"""Background jobs: a table written in the same transaction as its cause, and the worker that runs it."""
