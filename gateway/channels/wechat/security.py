"""WeChat server verification: the plain signature, replay window, and safe mode (安全模式).

Plain mode signs sha1(sorted([token, timestamp, nonce])) in the query string. Safe mode adds
AES-256-CBC encryption and msg_signature = sha1(sorted([token, timestamp, nonce, Encrypt])).
All comparisons use hmac.compare_digest (wechatpy compares with !=, which leaks timing); we
check first and let wechatpy only decrypt.
"""

import hashlib
import hmac
import struct
import time

from wechatpy.crypto import WeChatCrypto  # type: ignore[import-untyped]
from wechatpy.exceptions import (  # type: ignore[import-untyped]
    InvalidAppIdException,
    InvalidSignatureException,
)

from gateway.channels.wechat.safexml import read_xml, required
from gateway.messages import BadSignature, MalformedPayload, StaleTimestamp

FRESHNESS_SECONDS = 300

__all__ = [
    "FRESHNESS_SECONDS",
    "WeChatCrypto",
    "check_freshness",
    "check_signature",
    "decrypt",
    "encrypt_reply",
    "verify_url",
]


def _sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _same(expected: str, given: str | None) -> bool:
    # Bytes, because compare_digest raises TypeError on non-ASCII str (a forged header).
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def check_freshness(timestamp: str, *, now: float | None = None) -> None:
    """Refuse a timestamp more than FRESHNESS_SECONDS away from `now` (a replayed request)."""
    try:
        sent = int(timestamp)
    except ValueError:
        raise MalformedPayload(f"timestamp is not an integer: {timestamp!r}") from None
    current = time.time() if now is None else now
    if abs(current - sent) > FRESHNESS_SECONDS:
        raise StaleTimestamp(f"timestamp {sent} is {current - sent:+.0f} s from now")


def check_signature(
    token: str, timestamp: str, nonce: str, signature: str | None, *, now: float | None = None
) -> bool:
    """True when the plain-mode `signature` matches; StaleTimestamp if it matches but is old.

    The signature is checked first so an unsigned request learns nothing about the clock.
    """
    if not _same(_sha1_sorted(token, timestamp, nonce), signature):
        return False
    check_freshness(timestamp, now=now)
    return True


def _decrypt(
    crypto: WeChatCrypto,
    encrypted: str,
    msg_signature: str | None,
    timestamp: str,
    nonce: str,
    now: float | None,
) -> str:
    if not _same(_sha1_sorted(crypto.token, timestamp, nonce, encrypted), msg_signature):
        raise BadSignature("msg_signature does not match")
    check_freshness(timestamp, now=now)
    try:
        plaintext: str = crypto.decrypt_message(
            {"Encrypt": encrypted}, msg_signature, timestamp, nonce
        )
    except InvalidAppIdException:
        raise BadSignature("encrypted for another AppID") from None
    except InvalidSignatureException:  # unreachable after _same, kept for safety
        raise BadSignature("msg_signature does not match") from None
    except (ValueError, struct.error, IndexError) as error:  # bad base64, padding, length
        raise MalformedPayload(f"cannot decrypt: {error}") from None
    return plaintext


def verify_url(
    token: str,
    timestamp: str,
    nonce: str,
    echostr: str,
    *,
    signature: str | None = None,
    msg_signature: str | None = None,
    crypto: WeChatCrypto | None = None,
    now: float | None = None,
) -> str:
    """The body to answer WeChat's GET handshake (服务器配置验证) with, or BadSignature.

    Plain: `signature` over token, timestamp, nonce; answer `echostr` as is. Safe mode,
    recognised by a `msg_signature` in the query (given `crypto`): echostr is encrypted and
    signed exactly like a message's Encrypt field; answer its decryption. Official Accounts
    have been seen to send the plain form even in safe mode, so both are accepted.
    """
    if msg_signature is not None and crypto is not None:
        return _decrypt(crypto, echostr, msg_signature, timestamp, nonce, now)
    if not check_signature(token, timestamp, nonce, signature, now=now):
        raise BadSignature("signature does not match")
    return echostr


def decrypt(
    xml_body: str | bytes,
    msg_signature: str | None,
    timestamp: str,
    nonce: str,
    crypto: WeChatCrypto,
    *,
    now: float | None = None,
) -> str:
    """The plaintext message XML inside a safe-mode POST body."""
    encrypted = required(read_xml(xml_body), "Encrypt")
    return _decrypt(crypto, encrypted, msg_signature, timestamp, nonce, now)


def encrypt_reply(reply_xml: str, crypto: WeChatCrypto, *, nonce: str, timestamp: str) -> str:
    """The safe-mode envelope for a passive reply. Do not encrypt the bare ACK "success"."""
    envelope: str = crypto.encrypt_message(reply_xml, nonce, timestamp)
    return envelope
