"""Talking to the running gateway as Twilio and WeChat do: signed form posts and signed XML."""

import hashlib
import itertools
import time
import xml.etree.ElementTree as ET

import httpx
from twilio.request_validator import RequestValidator

from tests.e2e.conftest import TWILIO_ACCOUNT, TWILIO_NUMBER, TWILIO_TOKEN, WECHAT, Stack

_ids = itertools.count(1)


def twilio_post(stack: Stack, body: str, sender: str, sid: str | None = None) -> httpx.Response:
    url = f"{stack.gateway}/sms/twilio"
    params = {
        "MessageSid": sid or f"SM{next(_ids):032d}",
        "AccountSid": TWILIO_ACCOUNT,
        "From": sender,
        "To": TWILIO_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)


def sms(stack: Stack, body: str, sender: str) -> str:
    """One SMS turn: the text of every <Message> in the TwiML reply, joined."""
    response = twilio_post(stack, body, sender)
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.text)
    return "\n".join(message.text or "" for message in root.iter("Message"))


def wechat_signature(timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([WECHAT["token"], timestamp, nonce])).encode()).hexdigest()


def wechat_text(
    stack: Stack, openid: str, content: str, msg_id: int | None = None
) -> httpx.Response:
    timestamp, nonce = str(int(time.time())), f"n{next(_ids)}"
    xml = (
        f"<xml><ToUserName><![CDATA[gh_e2e]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or next(_ids)}</MsgId></xml>"
    )
    params = {
        "signature": wechat_signature(timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    return httpx.post(
        f"{stack.gateway}/wechat",
        params=params,
        content=xml.encode(),
        headers={"content-type": "text/xml"},
        timeout=30,
    )


def wechat_reply_text(response: httpx.Response) -> str:
    """The Content of a passive reply, or '' for the plain `success` acknowledgement."""
    if response.text in ("success", ""):
        return ""
    return ET.fromstring(response.text).findtext("Content") or ""
