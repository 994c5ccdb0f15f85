"""A template filled in with one notification's personalisation, for each use of it.

The API's responses, the preview endpoint, the admin pages and the delivery
workers all need the same filled-in text; this is the one place that fills it,
so a preview never differs from what is sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from govplatform.notify.errors import bad_request
from govplatform.notify.services.templates import TemplateSnapshot
from govplatform.notify.templates import email as email_rules
from govplatform.notify.templates import sms as sms_rules
from govplatform.notify.templates.placeholders import (
    ListStyle,
    Personalisation,
    missing_personalisation,
    missing_personalisation_message,
    replace_placeholders,
)


@dataclasses.dataclass(frozen=True)
class FilledTemplate:
    body: str  # plain text with placeholders filled: the API's "body"
    subject: str | None
    html: str | None = None  # email only: the inner HTML
    text: str | None = None  # email only: the plain-text part
    sms: sms_rules.SmsMessage | None = None  # text messages only: as sent, prefix included


def check_personalisation(template: TemplateSnapshot, personalisation: Mapping[str, object]) -> Personalisation:
    """The personalisation as Notify looks values up; 400 'Missing personalisation: a, b' if any is missing."""
    values = Personalisation(personalisation)
    missing = missing_personalisation([template.subject or "", template.content], values)
    if missing:
        raise bad_request(missing_personalisation_message(missing))
    return values


def fill(
    template: TemplateSnapshot,
    personalisation: Mapping[str, object],
    *,
    sms_prefix: str | None = None,
    unsubscribe_url: str | None = None,
    with_parts: bool = False,
) -> FilledTemplate:
    """Fill the template in; checks size limits (Notify's messages) and missing values.

    `with_parts` renders the email's HTML and text parts, which only previews and delivery need.
    """
    values = check_personalisation(template, personalisation)
    if template.type == "email":
        body = email_rules.filled_body(template.content, values)
        size = len(body.encode("utf-8"))
        if size > email_rules.MAX_EMAIL_BYTES:
            raise bad_request(email_rules.too_long_message(size))
        subject = email_rules.render_subject(template.subject or "", values)
        if not with_parts:
            return FilledTemplate(body=body, subject=subject)
        return FilledTemplate(
            body=body,
            subject=subject,
            html=email_rules.render_html_body(template.content, values, unsubscribe_url=unsubscribe_url),
            text=email_rules.render_plain_text(template.content, values, unsubscribe_url=unsubscribe_url),
        )
    if template.type == "sms":
        message = sms_rules.render_sms(template.content, values, prefix=sms_prefix)
        if message.is_too_long:
            raise bad_request(sms_rules.too_long_message(message.character_count_without_prefix))
        if message.is_empty:
            raise bad_request(sms_rules.EMPTY_MESSAGE)
        body = replace_placeholders(template.content, values, list_style=ListStyle.PROSE).strip()
        return FilledTemplate(body=body, subject=None, sms=message)
    body = replace_placeholders(template.content, values, list_style=ListStyle.BULLETS).strip()
    subject = replace_placeholders(template.subject or "", values, list_style=ListStyle.PROSE).strip()
    return FilledTemplate(body=body, subject=subject)
