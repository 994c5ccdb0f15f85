"""What each of Notify's v2 responses must carry: fields from notify.md, their types from the OpenAPI spec.

notify.md (section 1; in the reference material, tests/reference.py) lists the fields of every
response, taken from notifications-api's code; the published OpenAPI spec gives
their JSON types. The two agree on the field names, except where noted below.
Where notify.md (or the notifications-api code it was written from) says the
wire differs from the spec, the spec's shape is adjusted here, and each
adjustment says why, so the rest of each type still comes from the spec file.
"""

from __future__ import annotations

from typing import Any

from tests.integration.notify.notify_openapi import NotifySpec, Pick, Shape

STRING = Shape(frozenset({"string"}))
NULL = Shape(frozenset({"null"}))
EMPTY_OBJECT = Shape(frozenset({"object"}), properties={})
# notify.md section 1: "Time format is %Y-%m-%dT%H:%M:%S.%fZ" (the docs' space-separated times are wrong).
TIMESTAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"

# The fields notify.md lists for each response (section 1). The spec lists the same names, except:
# - a notification: notify.md gives letters `estimated_delivery`, which the spec lacks; the spec has no
#   `line_7` and names `one_click_unsubscribe_url` as the code does (the docs' `line_7` and
#   `one_click_unsubscribe` are wrong, notify.md says), so on those the two agree.
# - nothing the spec lists is missing from notify.md.
# test_notify_md_and_the_spec_name_the_same_fields checks these lists against the spec file.
TEMPLATE_REF = {"id", "version", "uri"}
SENT = {"id", "reference", "uri", "template", "scheduled_for", "content"}
SENT_CONTENT = {
    "sms": {"body", "from_number"},
    "email": {"subject", "body", "from_email", "one_click_unsubscribe_url"},
    "letter": {"body", "subject"},
}
SENT_FIELDS = {
    "sms": SENT,
    "email": SENT | {"sanitised_content"},
    "letter": SENT,
    "precompiled": {"id", "reference", "postage"},
}
NOTIFICATION = {
    "id", "reference", "email_address", "phone_number", "line_1", "line_2", "line_3", "line_4", "line_5", "line_6",
    "postcode", "type", "status", "template", "body", "subject", "created_at", "created_by_name", "sent_at",
    "completed_at", "scheduled_for", "postage", "one_click_unsubscribe_url", "is_cost_data_ready", "cost_in_pounds",
    "cost_details",
}  # fmt: skip
LETTER_ONLY = {"estimated_delivery"}
# notify.md gives the sms and letter details; for email the spec's branch has none, and Notify sends {}.
COST_DETAILS = {"sms": {"billable_sms_fragments", "international_rate_multiplier", "sms_rate"}, "email": set(),
                "letter": {"billable_sheets_of_paper", "postage"}}  # fmt: skip
PAGE_LINKS = {"current", "next"}
TEMPLATE = {
    "id", "type", "created_at", "updated_at", "created_by", "version", "body", "subject", "name", "postage",
    "letter_contact_block", "personalisation",
}  # fmt: skip
PREVIEW = {"id", "type", "version", "body", "html", "subject", "postage"}
RECEIVED_TEXT = {"id", "user_number", "notify_number", "created_at", "service_id", "content"}
ERROR_ENVELOPE = {"status_code", "errors"}
ERROR = {"error", "message"}

# Which oneOf branch of the spec a notification is: its type, or "precompiled letter".
NOTIFICATION_VARIANTS = {"sms": "sms", "email": "email", "letter": "letter", "precompiled": "precompiled letter"}


class Wire:
    """The spec's shapes for the responses the official client reads, adjusted as notify.md says."""

    def __init__(self, spec: NotifySpec) -> None:
        self.spec = spec

    def sent(self, kind: str) -> Shape:
        """POST /v2/notifications/{sms,email,letter}: kind is sms, email, letter or precompiled."""
        path = "/v2/notifications/" + ("letter" if kind == "precompiled" else kind)
        shape = self.spec.response(path, "post", 201)
        if kind == "precompiled":
            return shape.variant("SendPrecompiledLetterResponse")
        if kind == "letter":
            shape = shape.variant("SendNormalLetterResponse")
        # `reference` is null when the caller gave none: notifications-api's own response schemas say
        # {"type": ["string", "null"]} (app/v2/notifications/notification_schemas.py, post_sms_response and
        # the others); the spec says string.
        shape = shape.with_field("reference", shape.field("reference").or_null())
        if kind == "email":
            # `sanitised_content`: the spec shows one example key (first_name) and allows null; notify.md says
            # an email response always carries it, {} or {key: {unsanitised, sanitised}}. So: always an
            # object, any keys, each value shaped as the spec's example entry.
            spec_field = shape.field("sanitised_content")
            assert spec_field.properties is not None
            (entry,) = spec_field.properties.values()
            shape = shape.with_field("sanitised_content", Shape(frozenset({"object"}), values=entry))
        return shape

    def notification(self, kind: str, value: Any) -> Shape:
        """GET /v2/notifications/{id}, and each item of a page: the spec's branch for `kind`, adjusted."""
        shape = self.spec.response("/v2/notifications/{notification_id}", "get", 200)
        return self._notification(shape, NOTIFICATION_VARIANTS[kind], value)

    def _notification(self, spec_shape: Shape, variant: str, value: Any) -> Shape:
        shape = spec_shape.variant(variant)
        # `sent_at` and `completed_at` are null until the message is sent or reaches a final status
        # (notifications-api Notification.serialize: get_dt_string_or_none(sent_at), completed_at());
        # the spec says string. Tests check they are times once a message is delivered.
        for name in ("sent_at", "completed_at"):
            shape = shape.with_field(name, shape.field(name).or_null())
        if "letter" in variant:
            # `estimated_delivery`: letters only, in notify.md and not in the spec; a time, so a string.
            shape = shape.with_field("estimated_delivery", STRING)
        if isinstance(value, dict) and value.get("is_cost_data_ready") is False:
            # Until cost data is ready Notify sends `cost_in_pounds` null and `cost_details` {}
            # (notifications-api Notification.serialize_with_cost_data); the spec's number and notify.md's
            # per-type details (sms: fragments, multiplier, rate; letters: sheets, postage) apply once it is.
            shape = shape.with_field("cost_in_pounds", NULL).with_field("cost_details", EMPTY_OBJECT)
        return shape

    def page_of_notifications(self) -> Shape:
        return self.spec.response("/v2/notifications", "get", 200)

    def pick_notification(self, kinds: dict[str, str]) -> Pick:
        """For `conform`: each item of a page is the branch its kind (by id, from what was sent) says."""

        def pick(spec_shape: Shape, value: Any) -> Shape:
            return self._notification(spec_shape, NOTIFICATION_VARIANTS[kinds[value["id"]]], value)

        return pick

    def template(self, template_type: str, version: bool = False) -> Shape:
        path = "/v2/template/{template_id}" + ("/version/{version}" if version else "")
        return self.spec.response(path, "get", 200).variant(template_type)

    def templates(self) -> Shape:
        return self.spec.response("/v2/templates", "get", 200)

    def preview(self) -> Shape:
        return self.spec.response("/v2/template/{template_id}/preview", "post", 200)

    def received_texts(self) -> Shape:
        return self.spec.response("/v2/received-text-messages", "get", 200)

    def error(self, path: str, method: str, status: int) -> Shape:
        return self.spec.response(path, method, status)
