"""Notify's admin pages, for one service at /admin/services/{service_id}/notify/...

One module per area. The composition root includes `router` and adds
`PAGES_TEMPLATES` to the web shell's template folders; the pages' Jinja
files are under its `notify/` folder (the `templates` package beside them
holds notify's message template rules, not pages). It also gives the bulk
pages their upload store (`app.state.notify_uploads`) and raises the body
limit for the upload form alone (`bulk.UPLOAD_PATH`, `bulk.UPLOAD_BODY_BYTES`).
"""

from pathlib import Path

from fastapi import APIRouter

from govplatform.notify.pages import (
    bulk,
    callbacks,
    limits,
    messages,
    senders,
    sending,
    team,
    templates,
    usage,
)

PAGES_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

router = APIRouter(include_in_schema=False)
for area in (templates, sending, bulk, messages, team, senders, callbacks, usage, limits):
    router.include_router(area.router)
