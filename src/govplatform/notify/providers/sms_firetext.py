"""Texts sent through Firetext, the UK SMS gateway GOV.UK Notify uses, the way Notify uses it.

Why Firetext, and why copy Notify: a service moving off GOV.UK Notify can bring its
Firetext account and expect the same behaviour, and Notify's handling of Firetext has
been worn smooth by years of government traffic. What is followed, from
alphagov/notifications-api:

* Sending (``app/clients/sms/firetext.py``, ``FiretextClient.try_send_sms``): one
  form-encoded POST to ``https://www.firetext.co.uk/api/sendsms/json`` with ``apiKey``
  (a second, international key for numbers outside the UK when one is configured),
  ``from``, ``to`` (international format without ``+``), ``message`` and
  ``reference`` (the notification id, which comes back on the receipt), a 60 second
  timeout, and a JSON answer whose ``code`` must be 0; any other code, or an answer
  that is not that JSON, is a failed request. Firetext's answer carries no message id
  of its own, so the notification id is the provider reference.
* Receipts (``app/notifications/notifications_sms_callback.py``
  ``process_firetext_response``, ``app/celery/process_sms_client_response_tasks.py``,
  ``get_firetext_responses`` and ``firetext_codes`` in ``app/clients/sms/firetext.py``,
  ``_decide_permanent_temporary_failure`` in ``app/dao/notifications_dao.py``): a form
  with ``status`` and ``reference`` required, ``code`` (a detailed failure code) and
  ``time`` (UK local time) besides, and ``mobile``, which is never needed and never kept.
* Inbound texts (``app/notifications/receive_notifications.py``
  ``receive_firetext_sms``): a form with ``source``, ``destination``, ``message`` and
  ``time``; Firetext sends no id for an inbound text.

The send never raises for a gateway problem: it answers with an Outcome, and the
worker decides about retries. Nothing that identifies a person (number, text) is put
in a result's ``detail`` or an error message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from types import TracebackType
from typing import Final
from zoneinfo import ZoneInfo

import httpx
import phonenumbers

from govplatform.notify.providers.base import InboundText, Outcome, Receipt, SendResult, TextMessage

FIRETEXT_URL: Final = "https://www.firetext.co.uk/api/sendsms/json"
LONDON: Final = ZoneInfo("Europe/London")

# Receipt `status` values, as Notify reads them (firetext_responses).
_DELIVERED, _DECLINED, _PENDING = "0", "1", "2"

# Detailed codes on a declined receipt, and whether Notify counts each as a permanent or a
# temporary failure (firetext_codes, "GOV.UK Notify -> SMS suppliers -> Detailed failure statuses").
FIRETEXT_CODES: Final[Mapping[str, tuple[Outcome, str]]] = {
    "000": (Outcome.TEMPORARY, "No error reported"),
    "101": (Outcome.PERMANENT, "Unknown Subscriber"),
    "102": (Outcome.TEMPORARY, "Absent Subscriber"),
    "103": (Outcome.TEMPORARY, "Subscriber Busy"),
    "104": (Outcome.TEMPORARY, "No Subscriber Memory"),
    "201": (Outcome.PERMANENT, "Invalid Number"),
    "301": (Outcome.PERMANENT, "SMS Not Supported"),
    "302": (Outcome.TEMPORARY, "SMS Not Supported"),
    "401": (Outcome.PERMANENT, "Message Rejected"),
    "900": (Outcome.TEMPORARY, "Routing Error"),
}

_DIGIT_RUN = re.compile(r"\+?\d[\d ()-]{5,}\d")
_SHORT_CODE = re.compile(r"[1-9]\d{3,5}")


def london_time_to_utc(value: str, what: str) -> dt.datetime:
    """A gateway timestamp ("YYYY-MM-DD HH:MM:SS", UK local time unless it carries an offset) in UTC.

    Notify does the same (``datetime.fromisoformat``, then the local zone when there is no
    offset). A time in the hour that happens twice when the clocks go back is read as the
    first (BST) one; a time in the hour skipped when they go forward is read as GMT.
    """
    text = value.strip()
    if len(text) < len("YYYY-MM-DD HH:MM"):
        raise ValueError(f"{what} {value[:40]!r} is not a date and time (expected YYYY-MM-DD HH:MM:SS)")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} {value[:40]!r} is not a date and time (expected YYYY-MM-DD HH:MM:SS)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    return parsed.astimezone(dt.UTC)


def international_number(value: str, what: str, *, short_code: bool = False) -> str:
    """A phone number as the platform stores it: international format without '+', e.g. "447700900123".

    Accepts "+447700900123", "00447700900123", "447700900123" and a UK national "07700 900123".
    Digits that start with neither '0' nor '+' are taken to be international already, as
    gateways send them. With ``short_code``, a 4 to 6 digit short code (a service's inbound
    number can be one) is kept as it is. The number itself never appears in an error.
    """
    text = value.strip()
    if short_code and _SHORT_CODE.fullmatch(text):
        return text
    if text[:1].isdigit() and not text.startswith("0"):
        text = "+" + text  # "00" before a country code is read as the UK's international prefix
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        raise ValueError(f"{what} is not a phone number") from None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise ValueError(f"{what} is not a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).removeprefix("+")


def _required(form: Mapping[str, str], field: str, what: str) -> str:
    value = form.get(field)
    if value is None or not str(value).strip():
        raise ValueError(f"{what}: {field} missing")
    return str(value)


def _scrub(text: str, message: TextMessage) -> str:
    """Firetext's own words for a refusal, with anything that could be the number or the text taken out."""
    text = " ".join(str(text).split())
    secrets = [" ".join(message.content.split())] if len(message.content.strip()) >= 8 else []
    to = message.to.replace("+", "")
    if to:
        secrets += [to, "0" + to[2:]] if to.startswith("44") else [to]
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return _DIGIT_RUN.sub("[number]", text)[:120]


class FiretextProvider:
    """Sends texts through Firetext's HTTP API and reads its receipts and inbound texts.

    ``url`` is Firetext's send URL (``FIRETEXT_URL``) or a stand-in's. Numbers outside
    the UK (not starting "44") go with ``international_api_key`` when one is given, as
    Notify keeps a separate Firetext account for them. Pass ``client`` to share a
    connection pool (it is then yours to close); otherwise the provider opens its own
    and ``aclose`` closes it.

    Receipt mapping (``parse_receipt``), Notify's exactly:

    ============  ==========================  ==================================
    ``status``    ``code``                    Outcome
    ============  ==========================  ==================================
    "0"           any or none                 DELIVERED
    "2"           any or none                 SENDING (pending with the network)
    "1"           101, 201, 301, 401          PERMANENT
    "1"           000, 102, 103, 104, 302,    TEMPORARY
                  900
    "1"           none, or one not above      PERMANENT (see below)
    other         -                           ValueError
    ============  ==========================  ==================================

    One more rule of Notify's needs the notification's history, which a provider never
    sees, so it is the worker's to apply: a "1" with no recognised code, for a
    notification that an earlier "2" receipt had already made pending, is a TEMPORARY
    failure, not a PERMANENT one (``_decide_permanent_temporary_failure``).
    """

    name = "firetext"

    def __init__(
        self,
        api_key: str,
        url: str,
        international_api_key: str | None = None,
        timeout: float = 60,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("Firetext needs an API key")
        self._api_key = api_key
        self._international_api_key = international_api_key or None
        self.url = url
        self.timeout = timeout
        self._client = client
        self._owns_client = client is None

    async def __aenter__(self) -> FiretextProvider:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool if the provider opened it."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    def _key_for(self, to: str) -> str:
        if not to.startswith("44") and self._international_api_key:
            return self._international_api_key
        return self._api_key

    def _result(self, outcome: Outcome, detail: str, reference: str | None = None) -> SendResult:
        return SendResult(outcome=outcome, provider=self.name, reference=reference, detail=detail)

    async def send(self, message: TextMessage) -> SendResult:
        to = message.to.replace("+", "")
        reference = str(message.notification_id)
        form = {
            "apiKey": self._key_for(to),
            "from": message.sender,
            "to": to,
            "message": message.content,
            "reference": reference,
        }
        try:
            response = await self._http().post(self.url, data=form, timeout=self.timeout)
        except httpx.TimeoutException:
            return self._result(Outcome.TEMPORARY, f"Firetext did not answer within {self.timeout:g}s")
        except httpx.TransportError as error:
            return self._result(Outcome.TEMPORARY, f"Firetext could not be reached ({type(error).__name__})")

        status = response.status_code
        if status == 429 or status >= 500:
            return self._result(Outcome.TEMPORARY, f"Firetext answered HTTP {status}")
        if status >= 300:
            return self._result(Outcome.TECHNICAL, f"Firetext answered HTTP {status}")
        try:
            answer = json.loads(response.content)
        except ValueError:
            return self._result(Outcome.TECHNICAL, f"Firetext answered HTTP {status} with a body that is not JSON")
        code = answer.get("code") if isinstance(answer, dict) else None
        if isinstance(code, str) and code.strip().lstrip("-").isdigit():
            code = int(code)
        if not isinstance(code, int) or isinstance(code, bool):
            return self._result(Outcome.TECHNICAL, "Firetext answered without a numeric code")
        if code != 0:
            description = _scrub(str(answer.get("description") or "no description"), message)
            return self._result(Outcome.TECHNICAL, f"Firetext refused the message: code {code}, {description}")
        return self._result(Outcome.SENDING, "queued by Firetext", reference)

    def parse_receipt(self, form: Mapping[str, str]) -> Receipt:
        """A delivery receipt Firetext POSTed; ValueError if it is not a usable one (see the class docstring)."""
        what = "Firetext receipt"
        raw_reference = _required(form, "reference", what).strip()
        try:
            reference = str(uuid.UUID(raw_reference))
        except ValueError:
            raise ValueError(f"{what}: reference is not a notification id") from None
        status = _required(form, "status", what).strip()
        received_at = london_time_to_utc(_required(form, "time", what), f"{what}: time")
        code = (form.get("code") or "").strip()
        known = FIRETEXT_CODES.get(code)
        reason = f" (code {code}: {known[1]})" if known else (f" (code {code})" if code else "")

        if status == _DELIVERED:
            return Receipt(reference, Outcome.DELIVERED, received_at, "delivered" + reason)
        if status == _PENDING:
            return Receipt(reference, Outcome.SENDING, received_at, "pending with the network" + reason)
        if status == _DECLINED:
            outcome = known[0] if known else Outcome.PERMANENT
            return Receipt(reference, outcome, received_at, "declined" + reason)
        raise ValueError(f"{what}: status {status[:10]!r} is not one Firetext sends (0, 1 or 2)")

    def parse_inbound(self, form: Mapping[str, str]) -> InboundText:
        """An inbound text Firetext POSTed; ValueError if a field is missing or not what it should be.

        Firetext gives an inbound text no id, so the provider reference is made from its
        fields: the same text POSTed twice (a retried webhook) gets the same reference,
        which lets the worker store it once.
        """
        what = "Firetext inbound text"
        source = international_number(_required(form, "source", what), f"{what}: source")
        destination = international_number(
            _required(form, "destination", what), f"{what}: destination", short_code=True
        )
        if "message" not in form:
            raise ValueError(f"{what}: message missing")
        content = str(form["message"])
        raw_time = _required(form, "time", what)
        received_at = london_time_to_utc(raw_time, f"{what}: time")
        digest = hashlib.sha256("\x1f".join((source, destination, raw_time.strip(), content)).encode()).hexdigest()
        return InboundText(
            provider_reference=f"firetext-{digest[:32]}",
            source_number=source,
            destination_number=destination,
            content=content,
            received_at=received_at,
        )
