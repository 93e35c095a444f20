"""The one inbound message every channel normalises to, and the errors a channel may raise.

Exception tree (catch `InboundError` to answer any refused request uniformly)::

    InboundError              a provider request the gateway refuses to process
    ├── BadSignature          signature missing, forged, or computed over other data → HTTP 403
    ├── StaleTimestamp        signed, but too old or too far in the future (replay) → HTTP 403
    └── MalformedPayload      signed (or unsigned channel), but unparseable or a required
                              field is missing → HTTP 400; the message names the field

Personal data: `sender` is a raw phone number or WeChat OpenID and `text` may contain an ID
number until `gateway.text.redact_id_numbers` has run. Neither is ever logged; logs use
`gateway.text.sender_key` instead. `__repr__` hides both so an accidental `log.info(msg)` or a
pytest failure report cannot leak them.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Channel = Literal["sms", "wechat", "web"]
Kind = Literal["text", "voice", "event", "status", "unsupported"]

# Fields holding personal data, for adapters and the audit log to redact (cf. courier's
# per-channel redaction lists).
PERSONAL_FIELDS: frozenset[str] = frozenset({"sender", "text"})


class InboundError(Exception):
    """A provider request the gateway refuses to process."""


class BadSignature(InboundError):
    """The request's signature is missing or does not match."""


class StaleTimestamp(InboundError):
    """The signed timestamp is outside the accepted window (replay protection)."""


class MalformedPayload(InboundError):
    """The payload cannot be parsed or lacks a required field."""


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One resident message or event, independent of the provider that carried it.

    `provider_message_id` is the provider's retry-stable id, used for deduplication: Twilio's
    MessageSid; for WeChat a digest of sender + MsgId, or for events (which have no MsgId)
    of sender + CreateTime + Event + EventKey (`gateway.channels.wechat.inbound.dedupe_key`).
    `scene` is the campaign scene of a parametric QR code (带参数二维码).
    `note` says, for `kind == "unsupported"`, why, so the reply can tell the resident what to
    send instead (e.g. a voice message while speech recognition is off).
    `kind == "status"` is a provider's delivery report about a message we sent (Twilio status
    callback): `event` holds the status (delivered, failed …), and nothing is answered.
    """

    channel: Channel
    provider_message_id: str
    sender: str = field(repr=False)
    text: str = field(repr=False)
    kind: Kind
    received_at: datetime
    event: str | None = None
    scene: str | None = None
    note: str | None = None
