"""Twilio Programmable Messaging inbound webhook: signature, parsing and the TwiML reply.

Twilio signs HMAC-SHA1(auth token, URL + every POST parameter sorted by name), base64, in
the X-Twilio-Signature header. It adds parameters without notice, so the signature must be
checked over every parameter received, never a list of known ones; and the URL must be the
public one Twilio called (scheme included), not the one a TLS-terminating proxy forwards.
"""

from collections.abc import Mapping
from datetime import UTC, datetime

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]
from twilio.twiml.messaging_response import MessagingResponse  # type: ignore[import-untyped]

from gateway.messages import InboundMessage, Kind, MalformedPayload
from gateway.text import normalize_text, xml_safe

SIGNATURE_HEADER = "X-Twilio-Signature"
REQUIRED_FIELDS = ("MessageSid", "From", "Body")
# An inbound message's SmsStatus; anything else (queued, sent, delivered, undelivered, failed,
# read …) is a status callback about a message we sent.
INBOUND_STATUS = "received"


def verify(url: str, params: Mapping[str, str], signature: str | None, auth_token: str) -> bool:
    """True when `signature` is Twilio's signature of `url` and all of `params`.

    `params` must be the complete posted form (a Starlette FormData works and keeps repeated
    keys). A missing or empty signature is simply invalid.
    """
    if not signature or not auth_token:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def public_url(base_url: str | None, path: str, query: str, request_url: str) -> str:
    """The URL Twilio signed.

    Behind a reverse proxy the app sees http://127.0.0.1:8000/…, while Twilio signed
    https://public.host/…; HEALTHAID_PUBLIC_BASE_URL (`base_url`) restores the public origin.
    Without it the request URL is used as is (direct exposure, tests).
    """
    if not base_url:
        return request_url
    url = base_url.rstrip("/") + "/" + path.lstrip("/")
    return f"{url}?{query}" if query else url


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if value is None:
        raise MalformedPayload(f"Twilio webhook lacks the field {name}")
    return value


def _media_count(form: Mapping[str, str]) -> int:
    raw = form.get("NumMedia", "0") or "0"
    try:
        return int(raw)
    except ValueError:
        raise MalformedPayload(f"Twilio field NumMedia is not a number: {raw!r}") from None


def _delivery_status(form: Mapping[str, str]) -> str | None:
    """The status a status callback reports, or None for an inbound message.

    A status callback (a message's StatusCallback, or the number's status URL pointed at the
    message URL) has MessageStatus/SmsStatus and no Body; an inbound message always has Body.
    """
    if "Body" in form:
        return None
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    return status if status and status != INBOUND_STATUS else None


def parse(form: Mapping[str, str], *, received_at: datetime | None = None) -> InboundMessage:
    """Normalise a verified Twilio SMS/MMS webhook form.

    - A status callback (no Body, MessageStatus/SmsStatus other than "received") is `status`,
      its `event` the reported status: there is nothing to answer.
    - A picture message (NumMedia > 0) without text, Body empty or absent, is `unsupported`:
      the assistant answers text only. With text, the media are ignored and the text answered.
    - Otherwise MessageSid, From and Body are required (MalformedPayload names the missing one).
    """
    received_at = received_at or datetime.now(UTC)
    status = _delivery_status(form)
    if status is not None:
        return InboundMessage(
            channel="sms",
            provider_message_id=_required(form, "MessageSid"),
            sender=form.get("To", ""),  # the resident a message was sent to
            text="",
            kind="status",
            received_at=received_at,
            event=status,
        )
    media = _media_count(form)
    if media > 0 and "Body" not in form:
        form = {**form, "Body": ""}  # MMS without a caption: Twilio may leave Body out
    sid, sender, body = (_required(form, name) for name in REQUIRED_FIELDS)
    if not sid or not sender:
        raise MalformedPayload("Twilio webhook has an empty MessageSid or From")
    text = normalize_text(body)
    kind: Kind = "text"
    note = None
    if media > 0 and not text:
        kind, note = "unsupported", "media message without text"
    return InboundMessage(
        channel="sms",
        provider_message_id=sid,
        sender=sender,
        text=text,
        kind=kind,
        received_at=received_at,
        note=note,
    )


def twiml(messages: list[str]) -> str:
    """The TwiML reply: one <Message> per text (each sent as its own SMS), XML-escaped.

    An empty list gives an empty <Response/>: Twilio then sends nothing, which is how the
    gateway acknowledges a message it answers later or not at all.
    """
    response = MessagingResponse()
    for text in messages:
        response.message(xml_safe(text))
    return str(response.to_xml(xml_declaration=True))
