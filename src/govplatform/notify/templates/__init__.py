"""Template rules for email, text message and letter notifications.

Pure functions with no database or I/O, so the API, the admin preview, bulk
sending and the delivery workers all render a template the same way. Each
module follows the behaviour of GOV.UK Notify's notifications-utils, since
callers moving from Notify expect byte-for-byte the same bodies, counts and
error messages.
"""
