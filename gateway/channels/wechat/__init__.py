"""WeChat Official Account channel: `security` (signatures, safe mode), `inbound` (parse,
passive replies), `api` (customer-service messages), `safexml` (hardened XML reading)."""

from gateway.channels.wechat.inbound import ACK, parse, text_reply
from gateway.channels.wechat.safexml import read_xml
from gateway.channels.wechat.security import (
    WeChatCrypto,
    check_signature,
    decrypt,
    encrypt_reply,
    verify_url,
)

__all__ = [
    "ACK",
    "WeChatCrypto",
    "check_signature",
    "decrypt",
    "encrypt_reply",
    "parse",
    "read_xml",
    "text_reply",
    "verify_url",
]
