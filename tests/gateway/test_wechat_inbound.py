"""WeChat inbound XML → InboundMessage, hostile XML, and passive replies."""

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import xmltodict  # type: ignore[import-untyped]
from wechatpy import parse_message  # type: ignore[import-untyped]

from gateway.channels.wechat import ACK, parse, read_xml, text_reply
from gateway.channels.wechat.inbound import VOICE_WITHOUT_RECOGNITION
from gateway.channels.wechat.safexml import MAX_XML_BYTES
from gateway.messages import InboundMessage, MalformedPayload

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
ACCOUNT = "gh_10f6c3c3ac5a"
CREATED = "1740816000"


def wx(msg_type: str, **fields: str) -> str:
    """A WeChat push as the server sends it: text in CDATA, numbers bare."""
    head = {"ToUserName": ACCOUNT, "FromUserName": OPENID, "CreateTime": CREATED}
    parts = [f"<{k}><![CDATA[{v}]]></{k}>" for k, v in head.items()]
    parts.append(f"<MsgType><![CDATA[{msg_type}]]></MsgType>")
    parts += [f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()]
    return "<xml>" + "\n".join(parts) + "</xml>"


MSG_ID = "24968375230216582"


def key(*parts: str) -> str:
    """The dedupe key written out independently: "wx_" + SHA-256 of the parts."""
    return "wx_" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


TEXT = InboundMessage(
    channel="wechat",
    provider_message_id=key("message", OPENID, MSG_ID),
    sender=OPENID,
    text="",
    kind="text",
    received_at=NOW,
)
UNSUPPORTED = replace(TEXT, kind="unsupported")


def event(name: str, event_key: str = "", scene: str | None = None) -> InboundMessage:
    return replace(
        TEXT,
        provider_message_id=key("event", OPENID, CREATED, name, event_key),
        kind="event",
        event=name,
        scene=scene,
    )


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        # text in traditional script → simplified
        (
            wx("text", Content="先診療後付費是什麼", MsgId=MSG_ID),
            replace(TEXT, text="先诊疗后付费是什么"),
        ),
        # full-width digits in an amount
        (
            wx("text", Content="花了２．３万，能报多少？", MsgId=MSG_ID),
            replace(TEXT, text="花了2.3万，能报多少？"),
        ),
        # bytes in, as the ASGI body arrives
        (wx("text", Content="住院", MsgId=MSG_ID).encode(), replace(TEXT, text="住院")),
        # voice with WeChat's speech recognition result
        (
            wx("voice", MediaId="m1", Format="amr", Recognition="住院能报多少？", MsgId=MSG_ID),
            replace(TEXT, kind="voice", text="住院能报多少？"),
        ),
        # voice while recognition is off: an empty Recognition element
        (
            wx("voice", MediaId="m1", Format="amr", Recognition="", MsgId=MSG_ID),
            replace(UNSUPPORTED, note=VOICE_WITHOUT_RECOGNITION),
        ),
        # voice with no Recognition element at all
        (
            wx("voice", MediaId="m1", Format="amr", MsgId=MSG_ID),
            replace(UNSUPPORTED, note=VOICE_WITHOUT_RECOGNITION),
        ),
        # plain subscribe (searched the account): no scene
        (wx("event", Event="subscribe", EventKey=""), event("subscribe")),
        # subscribe by scanning a campaign QR code: qrscene_ prefix stripped
        (
            wx("event", Event="subscribe", EventKey="qrscene_guyang-2025", Ticket="t"),
            event("subscribe", "qrscene_guyang-2025", scene="guyang-2025"),
        ),
        # a follower scans a campaign QR code again: SCAN with the bare scene
        (
            wx("event", Event="SCAN", EventKey="guyang-2025", Ticket="t"),
            event("SCAN", "guyang-2025", scene="guyang-2025"),
        ),
        # unsubscribe (for opt-out)
        (wx("event", Event="unsubscribe"), event("unsubscribe")),
        # a menu click is an event without a campaign scene
        (wx("event", Event="CLICK", EventKey="MENU_POLICY"), event("CLICK", "MENU_POLICY")),
        # picture: unsupported
        (
            wx("image", PicUrl="http://mmbiz/x", MediaId="m2", MsgId=MSG_ID),
            replace(UNSUPPORTED, note="image message"),
        ),
        # location: unsupported
        (
            wx(
                "location",
                Location_X="40.9",
                Location_Y="110.0",
                Scale="15",
                Label="固阳县",
                MsgId=MSG_ID,
            ),
            replace(UNSUPPORTED, note="location message"),
        ),
        # link: unsupported
        (
            wx("link", Title="t", Description="d", Url="http://x", MsgId=MSG_ID),
            replace(UNSUPPORTED, note="link message"),
        ),
        # video and short video: unsupported
        (
            wx("video", MediaId="m3", ThumbMediaId="m4", MsgId=MSG_ID),
            replace(UNSUPPORTED, note="video message"),
        ),
        (
            wx("shortvideo", MediaId="m3", ThumbMediaId="m4", MsgId=MSG_ID),
            replace(UNSUPPORTED, note="shortvideo message"),
        ),
        # a type wechatpy does not know, without MsgId: deduplicated like an event
        (
            wx("hologram"),
            replace(
                UNSUPPORTED,
                provider_message_id=key("event", OPENID, CREATED, "", ""),
                note="hologram message",
            ),
        ),
    ],
)
def test_parse(xml: str | bytes, expected: InboundMessage) -> None:
    assert parse(xml, received_at=NOW) == expected


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        # one user's retry of a message: the same key
        (wx("text", Content="a", MsgId=MSG_ID), wx("text", Content="a", MsgId=MSG_ID), True),
        # two users whose messages share a MsgId: different keys
        (
            wx("text", Content="a", MsgId=MSG_ID),
            wx("text", Content="b", MsgId=MSG_ID).replace(OPENID, "oOtherUser000000000000000000"),
            False,
        ),
        # a subscribe and a menu click in the same second: different keys
        (wx("event", Event="subscribe"), wx("event", Event="CLICK", EventKey="M1"), False),
        # two menu clicks in the same second on different items: different keys
        (
            wx("event", Event="CLICK", EventKey="M1"),
            wx("event", Event="CLICK", EventKey="M2"),
            False,
        ),
        # a retried event: the same key
        (wx("event", Event="SCAN", EventKey="s"), wx("event", Event="SCAN", EventKey="s"), True),
    ],
)
def test_dedupe_keys(first: str, second: str, same: bool) -> None:
    a, b = parse(first).provider_message_id, parse(second).provider_message_id

    assert (a == b) is same
    assert len(a) <= 80 and OPENID not in a  # fits receipts; no OpenID stored in clear


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
    + wx("text", MsgId=MSG_ID).replace("<![CDATA[oyOR", "&lol9;<![CDATA[oyOR")
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"
)
EXTERNAL_DTD = '<!DocType xml SYSTEM "http://127.0.0.1:9/evil.dtd">' + wx("text", MsgId=MSG_ID)


@pytest.mark.parametrize(
    ("xml", "error"),
    [
        # not well-formed
        ("<xml><Content>住院</xml>", "malformed"),
        # not XML
        ("Body=hello", "malformed"),
        # empty body
        ("", "malformed"),
        # another root element
        ("<note><FromUserName>x</FromUserName></note>", "root"),
        # an empty <xml/>
        ("<xml/>", "root"),
        # no sender
        (wx("text", Content="hi", MsgId=MSG_ID).replace(OPENID, ""), "FromUserName"),
        # no message type
        ("<xml><FromUserName>x</FromUserName><CreateTime>1</CreateTime></xml>", "MsgType"),
        # text without MsgId: cannot be deduplicated
        (wx("text", Content="hi"), "MsgId"),
        # event without Event
        (wx("event", EventKey="x"), "Event"),
        # a repeated field (which one would be the real sender?)
        (
            wx("text", Content="a", MsgId=MSG_ID).replace("</xml>", "<Content>b</Content></xml>"),
            "repeated",
        ),
        # billion laughs: refused before expansion
        (BILLION_LAUGHS, "DTD"),
        # external entity (XXE) reading a local file
        (XXE, "DTD"),
        # external DTD, mixed-case DOCTYPE
        (EXTERNAL_DTD, "DTD"),
        # an undeclared entity is not expanded either
        (wx("text", MsgId=MSG_ID).replace("</xml>", "<Content>&xxe;</Content></xml>"), "malformed"),
        # bigger than any WeChat message
        (wx("text", Content="住" * MAX_XML_BYTES, MsgId=MSG_ID), "larger"),
        # bytes that are not UTF-8
        (wx("text", Content="?", MsgId=MSG_ID).encode().replace(b"?", b"\xff\xfe"), "UTF-8"),
    ],
)
def test_parse_refuses(xml: str | bytes, error: str) -> None:
    with pytest.raises(MalformedPayload, match=error):
        parse(xml, received_at=NOW)


def test_libraries_underneath_also_refuse_entity_declarations() -> None:
    # Defence in depth: without our DTD check, xmltodict (disable_entities=True by default)
    # and therefore wechatpy.parse_message still refuse to expand declared entities.
    for payload in (BILLION_LAUGHS, XXE):
        with pytest.raises(ValueError, match="entities are disabled"):
            xmltodict.parse(payload)
        with pytest.raises(ValueError, match="entities are disabled"):
            parse_message(payload)


def test_nested_elements_are_left_out_of_the_fields() -> None:
    xml = wx("event", Event="scancode_push").replace(
        "</xml>", "<ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo></xml>"
    )

    assert "ScanCodeInfo" not in read_xml(xml)
    assert parse(xml, received_at=NOW).event == "scancode_push"


def _reply_fields(xml: str) -> dict[str, str]:
    root = ET.fromstring(xml)
    return {child.tag: child.text or "" for child in root}


@pytest.mark.parametrize(
    "answer",
    [
        # an ordinary Chinese answer
        "住院押金不用交，出院只付自付部分。",
        # an answer quoting hostile text: "]]>" must not end the CDATA section
        "您说的是“]]><MsgType>news</MsgType>”吗？",
        # markup characters
        "<b>10%</b> & 起付线",
    ],
)
def test_text_reply_round_trip(answer: str) -> None:
    inbound = read_xml(wx("text", Content="问", MsgId=MSG_ID))

    fields = _reply_fields(text_reply(inbound, answer, now=1740816001))

    assert fields == {
        "MsgType": "text",
        "FromUserName": ACCOUNT,
        "ToUserName": OPENID,
        "CreateTime": "1740816001",
        "Content": answer,
    }


def test_text_reply_drops_characters_xml_cannot_carry() -> None:
    inbound = read_xml(wx("text", Content="问", MsgId=MSG_ID))

    assert _reply_fields(text_reply(inbound, "住\x00院", now=1))["Content"] == "住院"


def test_ack_is_the_documented_word() -> None:
    assert ACK == "success"
