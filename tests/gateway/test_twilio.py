"""Twilio SMS webhook: signature table, public URL, payload table, TwiML."""

import base64
import hashlib
import hmac
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gateway.channels.twilio import parse, public_url, twiml, verify
from gateway.messages import InboundMessage, MalformedPayload

# Twilio's official test vector (twilio-python tests/unit/test_request_validator.py).
VECTOR_TOKEN = "12345"
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="

TOKEN = "test-auth-token"
URL = "https://healthaid.example.org/sms/twilio"
SMS = {
    "MessageSid": "SM0123456789abcdef0123456789abcdef",
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "From": "+8613800138000",
    "To": "+15005550006",
    "Body": "先診療後付費是什麼？",
    "NumMedia": "0",
    "NumSegments": "1",
    "SmsStatus": "received",
    "ApiVersion": "2010-04-01",
}


def sign(url: str, params: Mapping[str, str], token: str = TOKEN) -> str:
    """Twilio's scheme written out independently of the library under test."""
    data = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(token.encode(), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def test_independent_signer_matches_the_official_vector() -> None:
    assert sign(VECTOR_URL, VECTOR_PARAMS, VECTOR_TOKEN) == VECTOR_SIGNATURE


WITH_ADDON = {**SMS, "AddOns": '{"status":"successful"}'}


@pytest.mark.parametrize(
    ("url", "params", "signature", "token", "valid"),
    [
        # Twilio's official vector
        (VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE, VECTOR_TOKEN, True),
        # the official vector with one parameter changed
        (VECTOR_URL, {**VECTOR_PARAMS, "Digits": "1235"}, VECTOR_SIGNATURE, VECTOR_TOKEN, False),
        # our own body with Chinese text, signed correctly
        (URL, SMS, sign(URL, SMS), TOKEN, True),
        # the same with the explicit default port (Twilio signs either way)
        ("https://healthaid.example.org:443/sms/twilio", SMS, sign(URL, SMS), TOKEN, True),
        # Chinese text altered after signing
        (URL, {**SMS, "Body": "先诊疗后付费是什么？"}, sign(URL, SMS), TOKEN, False),
        # forged: signed with another auth token
        (URL, SMS, sign(URL, SMS, "other-token"), TOKEN, False),
        # missing signature header
        (URL, SMS, None, TOKEN, False),
        # empty signature header
        (URL, SMS, "", TOKEN, False),
        # a non-ASCII header value is simply invalid, not an exception
        (URL, SMS, "签名", TOKEN, False),
        # Twilio added a parameter we do not know: validating all received params works…
        (URL, WITH_ADDON, sign(URL, WITH_ADDON), TOKEN, True),
        # …validating only the known subset fails
        (URL, SMS, sign(URL, WITH_ADDON), TOKEN, False),
        # wrong scheme: Twilio called https, a proxy handed us http
        (URL.replace("https:", "http:"), SMS, sign(URL, SMS), TOKEN, False),
        # wrong query string (Twilio signs it as part of the URL)
        (URL + "?x=1", SMS, sign(URL, SMS), TOKEN, False),
        # no auth token configured: nothing is valid
        (URL, SMS, sign(URL, SMS, ""), "", False),
    ],
)
def test_verify(
    url: str, params: Mapping[str, str], signature: str | None, token: str, valid: bool
) -> None:
    assert verify(url, params, signature, token) is valid


@pytest.mark.parametrize(
    ("base_url", "path", "query", "request_url", "expected"),
    [
        # no public base URL: the request URL as the app saw it
        (
            None,
            "/sms/twilio",
            "",
            "http://127.0.0.1:8000/sms/twilio",
            "http://127.0.0.1:8000/sms/twilio",
        ),
        # behind a TLS proxy: the public origin replaces the internal one
        (
            "https://healthaid.example.org",
            "/sms/twilio",
            "",
            "http://127.0.0.1:8000/sms/twilio",
            URL,
        ),
        # a trailing slash on the base URL does not double the slash
        ("https://healthaid.example.org/", "/sms/twilio", "", "http://x/sms/twilio", URL),
        # the query string is kept
        (
            "https://healthaid.example.org",
            "/sms/twilio",
            "region=guyang",
            "http://x/",
            URL + "?region=guyang",
        ),
        # a base URL with a path prefix (mounted under /bot)
        (
            "https://example.org/bot",
            "/sms/twilio",
            "",
            "http://x/",
            "https://example.org/bot/sms/twilio",
        ),
        # empty string counts as unset
        ("", "/sms/twilio", "", "http://x/sms/twilio", "http://x/sms/twilio"),
    ],
)
def test_public_url(
    base_url: str | None, path: str, query: str, request_url: str, expected: str
) -> None:
    assert public_url(base_url, path, query, request_url) == expected


NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


EXPECTED = InboundMessage(
    channel="sms",
    provider_message_id=SMS["MessageSid"],
    sender=SMS["From"],
    text="先诊疗后付费是什么？",
    kind="text",
    received_at=NOW,
)


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        # an ordinary Chinese SMS, normalised to simplified
        (SMS, EXPECTED),
        # full-width digits and extra blanks
        (
            {**SMS, "Body": " 花了２．３万 \n能报多少 "},
            replace(EXPECTED, text="花了2.3万 能报多少"),
        ),
        # unknown parameters are ignored
        (WITH_ADDON, EXPECTED),
        # a picture without text cannot be answered
        (
            {**SMS, "Body": "", "NumMedia": "1"},
            replace(EXPECTED, text="", kind="unsupported", note="media message without text"),
        ),
        # a picture with text: the text is answered
        ({**SMS, "Body": "发票", "NumMedia": "2"}, replace(EXPECTED, text="发票")),
        # an empty SMS is still a (blank) text message
        ({**SMS, "Body": ""}, replace(EXPECTED, text="")),
        # NumMedia absent (older API versions)
        ({k: v for k, v in SMS.items() if k != "NumMedia"}, EXPECTED),
        # a picture without a caption: Twilio leaves Body out
        (
            {k: v for k, v in {**SMS, "NumMedia": "1"}.items() if k != "Body"},
            replace(EXPECTED, text="", kind="unsupported", note="media message without text"),
        ),
        # a status callback about a message we sent: its status, nothing to answer
        (
            {
                "MessageSid": SMS["MessageSid"],
                "MessageStatus": "delivered",
                "SmsStatus": "delivered",
                "From": SMS["To"],
                "To": SMS["From"],
            },
            replace(EXPECTED, text="", kind="status", event="delivered"),
        ),
        # an older status callback with SmsStatus only
        (
            {"MessageSid": SMS["MessageSid"], "SmsStatus": "failed", "To": SMS["From"]},
            replace(EXPECTED, text="", kind="status", event="failed"),
        ),
    ],
)
def test_parse(form: Mapping[str, str], expected: InboundMessage) -> None:
    assert parse(form, received_at=NOW) == expected


@pytest.mark.parametrize(
    ("form", "error"),
    [
        # no MessageSid: cannot deduplicate
        ({k: v for k, v in SMS.items() if k != "MessageSid"}, "MessageSid"),
        # no sender
        ({k: v for k, v in SMS.items() if k != "From"}, "From"),
        # no Body at all (not merely empty), no picture, not a status callback
        ({k: v for k, v in SMS.items() if k != "Body"}, "Body"),
        # a status callback without MessageSid
        ({"MessageStatus": "delivered", "To": SMS["From"]}, "MessageSid"),
        # empty sender
        ({**SMS, "From": ""}, "From"),
        # NumMedia not a number
        ({**SMS, "NumMedia": "x"}, "NumMedia"),
    ],
)
def test_parse_refuses(form: Mapping[str, str], error: str) -> None:
    with pytest.raises(MalformedPayload, match=error):
        parse(form, received_at=NOW)


def test_parse_stamps_the_current_time_by_default() -> None:
    assert parse(SMS).received_at.tzinfo is UTC


def _messages(xml: str) -> list[str]:
    root = ET.fromstring(xml.encode())
    assert root.tag == "Response"
    return [message.text or "" for message in root.findall("Message")]


@pytest.mark.parametrize(
    "messages",
    [
        # nothing to say: an empty <Response/>
        [],
        # one Chinese answer
        ["住院押金不用交。"],
        # characters that need escaping, and two pages
        ["<b>报销</b> & “更多”", "第二页 ' \" >"],
    ],
)
def test_twiml_round_trip(messages: list[str]) -> None:
    xml = twiml(messages)

    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert _messages(xml) == messages


def test_twiml_escapes_and_drops_control_characters() -> None:
    xml = twiml(["a<b>\x00c"])

    assert "<b>" not in xml
    assert _messages(xml) == ["a<b>c"]
