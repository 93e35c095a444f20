"""WeChat Official Account messages in, passive replies out.

Text and voice (with WeChat's own speech recognition, 语音识别) become text for the NLU;
subscribe and SCAN events carry the campaign scene of a parametric QR code (带参数二维码);
every other message type is `unsupported`, so the gateway can ask for text instead.
"""

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime

from wechatpy import parse_message  # type: ignore[import-untyped]
from wechatpy.events import ScanEvent, SubscribeScanEvent  # type: ignore[import-untyped]
from wechatpy.messages import TextMessage, VoiceMessage  # type: ignore[import-untyped]
from wechatpy.replies import TextReply  # type: ignore[import-untyped]

from gateway.channels.wechat.safexml import read_xml, required
from gateway.messages import InboundMessage, Kind, MalformedPayload
from gateway.text import normalize_text, xml_safe

# The acknowledgement that stops WeChat's retries without sending the user anything.
ACK = "success"

QR_SCENE_PREFIX = "qrscene_"
VOICE_WITHOUT_RECOGNITION = "voice message without Recognition: speech recognition is off"


def dedupe_key(fields: dict[str, str]) -> str:
    """The retry-stable key of a WeChat push, for the receipts table: "wx_" + 64 hex.

    A message is its sender + MsgId: MsgIds are not unique across users, so MsgId alone
    dropped a second user's message as a retry of the first. An event (no MsgId) is its
    sender + CreateTime + Event + EventKey, so two different events in the same second (a
    subscribe and a menu click) are both handled. Hashed: the key holds an OpenID, and an
    EventKey can be long; retries hash alike, so dedupe is unchanged.
    """
    sender = required(fields, "FromUserName")
    msg_id = fields.get("MsgId")
    if msg_id:
        parts = ["message", sender, msg_id]
    else:
        created = required(fields, "CreateTime")
        parts = ["event", sender, created, fields.get("Event", ""), fields.get("EventKey", "")]
    return "wx_" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _message(
    fields: dict[str, str],
    kind: Kind,
    text: str,
    received_at: datetime,
    *,
    event: str | None = None,
    scene: str | None = None,
    note: str | None = None,
) -> InboundMessage:
    sender = required(fields, "FromUserName")
    return InboundMessage(
        channel="wechat",
        provider_message_id=dedupe_key(fields),
        sender=sender,
        text=text,
        kind=kind,
        received_at=received_at,
        event=event,
        scene=scene,
        note=note,
    )


def _wechatpy_message(xml: str | bytes) -> object:
    try:
        return parse_message(xml)
    except (AttributeError, KeyError, TypeError, ValueError) as error:  # e.g. <Event/>
        raise MalformedPayload(f"unreadable WeChat message: {error!r}") from None


def _scene(fields: dict[str, str], wechat: object) -> str | None:
    """The QR campaign scene: "qrscene_<scene>" on subscribe, the bare scene on SCAN."""
    key = fields.get("EventKey", "")
    if isinstance(wechat, SubscribeScanEvent):
        return key.removeprefix(QR_SCENE_PREFIX) or None
    if isinstance(wechat, ScanEvent):
        return key or None
    return None


def parse(xml: str | bytes, *, received_at: datetime | None = None) -> InboundMessage:
    """Normalise a verified (and, in safe mode, decrypted) WeChat message.

    wechatpy classifies the message; values are read from `read_xml`'s fields, which are
    guaranteed to be strings (wechatpy would hand back a dict for a nested element).
    """
    fields = read_xml(xml)  # refuses DTDs and malformed XML before wechatpy parses it
    required(fields, "FromUserName")
    message_type = required(fields, "MsgType").lower()
    received_at = received_at or datetime.now(UTC)
    wechat = _wechatpy_message(xml)
    if isinstance(wechat, TextMessage):
        required(fields, "MsgId")
        return _message(fields, "text", normalize_text(fields.get("Content", "")), received_at)
    if isinstance(wechat, VoiceMessage):
        required(fields, "MsgId")
        recognition = normalize_text(fields.get("Recognition", ""))
        if recognition:
            return _message(fields, "voice", recognition, received_at)
        return _message(fields, "unsupported", "", received_at, note=VOICE_WITHOUT_RECOGNITION)
    if message_type == "event":
        event = required(fields, "Event")
        return _message(fields, "event", "", received_at, event=event, scene=_scene(fields, wechat))
    return _message(fields, "unsupported", "", received_at, note=f"{message_type} message")


def _cdata(text: str) -> str:
    # wechatpy writes fields as <![CDATA[…]]> without escaping; a "]]>" in an answer (say, one
    # quoting the resident) would end the section and let text inject XML elements.
    return xml_safe(text).replace("]]>", "]]]]><![CDATA[>")


def text_reply(inbound: Mapping[str, str], text: str, *, now: int | None = None) -> str:
    """The passive reply XML (被动回复) to the message whose fields are `inbound`.

    `inbound` is `read_xml(body)` of the message being answered: the reply goes from its
    ToUserName (the account) to its FromUserName (the resident).
    """
    reply = TextReply(
        source=_cdata(inbound["ToUserName"]),
        target=_cdata(inbound["FromUserName"]),
        content=_cdata(text),
        time=now if now is not None else int(datetime.now(UTC).timestamp()),
    )
    rendered: str = reply.render()
    return rendered
