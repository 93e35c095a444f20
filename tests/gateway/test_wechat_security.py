"""WeChat signatures, replay window and safe mode, with WeChat's official vectors."""

import hashlib

import pytest
from wechatpy.crypto import PrpCrypto  # type: ignore[import-untyped]

from gateway.channels.wechat import (
    WeChatCrypto,
    check_signature,
    decrypt,
    encrypt_reply,
    parse,
    read_xml,
    text_reply,
    verify_url,
)
from gateway.messages import BadSignature, MalformedPayload, StaleTimestamp

# Plain-mode vector (wechatpy tests/test_utils.py).
PLAIN = {"token": "test", "timestamp": "1410685589", "nonce": "test"}
PLAIN_SIGNATURE = "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"
PLAIN_NOW = 1410685589

# Safe-mode vector (WeChat's Python Sample.py).
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAFE_TOKEN, APP_ID = "spamtest", "wx2c2769f8efd9abc2"
SAFE_TIMESTAMP, SAFE_NONCE = "1409735669", "1320562132"
SAFE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAFE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG"
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6"
    "tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp"
    "3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhv"
    "Ql+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
SAFE_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    f"<Encrypt><![CDATA[{SAFE_ENCRYPT}]]></Encrypt></xml>"
)
SAFE_NOW = 1409735669


def crypto(app_id: str = APP_ID) -> WeChatCrypto:
    return WeChatCrypto(SAFE_TOKEN, AES_KEY, app_id)


def sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def test_independent_signer_matches_both_vectors() -> None:
    assert sha1_sorted(*PLAIN.values()) == PLAIN_SIGNATURE
    assert sha1_sorted(SAFE_TOKEN, SAFE_TIMESTAMP, SAFE_NONCE, SAFE_ENCRYPT) == SAFE_MSG_SIGNATURE


@pytest.mark.parametrize(
    ("signature", "valid"),
    [
        # the official vector
        (PLAIN_SIGNATURE, True),
        # one hex digit changed
        ("f21891de399b4e33a1a93c9a7b8a8fffb5a443fe", False),
        # missing
        (None, False),
        # empty
        ("", False),
        # non-ASCII (compare_digest on str would raise TypeError)
        ("签名", False),
        # the signature of another token
        (sha1_sorted("other", PLAIN["timestamp"], PLAIN["nonce"]), False),
    ],
)
def test_check_signature(signature: str | None, valid: bool) -> None:
    assert check_signature(**PLAIN, signature=signature, now=PLAIN_NOW) is valid


@pytest.mark.parametrize(
    ("skew", "fresh"),
    [
        # at the edge of the window, both directions
        (-300, True),
        (300, True),
        # one second beyond: a replay (or a badly wrong clock)
        (-301, False),
        (301, False),
        # a day old
        (-86400, False),
    ],
)
def test_timestamp_window(skew: int, fresh: bool) -> None:
    now = PLAIN_NOW - skew  # the request's timestamp is `skew` seconds from now

    if fresh:
        assert check_signature(**PLAIN, signature=PLAIN_SIGNATURE, now=now)
    else:
        with pytest.raises(StaleTimestamp):
            check_signature(**PLAIN, signature=PLAIN_SIGNATURE, now=now)


def test_a_forged_signature_is_refused_before_the_clock_is_looked_at() -> None:
    assert check_signature(**PLAIN, signature="0" * 40, now=0) is False


def test_a_signed_non_numeric_timestamp_is_malformed() -> None:
    signature = sha1_sorted("test", "yesterday", "test")

    with pytest.raises(MalformedPayload, match="timestamp"):
        check_signature("test", "yesterday", "test", signature, now=PLAIN_NOW)


def test_verify_url_plain_echoes_echostr() -> None:
    echo = verify_url(**PLAIN, echostr="5837397520", signature=PLAIN_SIGNATURE, now=PLAIN_NOW)

    assert echo == "5837397520"


def test_verify_url_plain_refuses_a_forged_signature() -> None:
    with pytest.raises(BadSignature):
        verify_url(**PLAIN, echostr="5837397520", signature="0" * 40, now=PLAIN_NOW)


def _encrypted_echostr(plain: str) -> tuple[str, str]:
    encrypted = PrpCrypto(crypto().key).encrypt(plain, APP_ID).decode()
    return encrypted, sha1_sorted(SAFE_TOKEN, SAFE_TIMESTAMP, SAFE_NONCE, encrypted)


def test_verify_url_safe_mode_decrypts_echostr() -> None:
    echostr, msg_signature = _encrypted_echostr("1616140317555161061")

    echo = verify_url(
        SAFE_TOKEN,
        SAFE_TIMESTAMP,
        SAFE_NONCE,
        echostr,
        msg_signature=msg_signature,
        crypto=crypto(),
        now=SAFE_NOW,
    )

    assert echo == "1616140317555161061"


def test_verify_url_safe_mode_refuses_a_forged_msg_signature() -> None:
    echostr, _ = _encrypted_echostr("1616140317555161061")

    with pytest.raises(BadSignature):
        verify_url(
            SAFE_TOKEN,
            SAFE_TIMESTAMP,
            SAFE_NONCE,
            echostr,
            msg_signature="0" * 40,
            crypto=crypto(),
            now=SAFE_NOW,
        )


def test_official_safe_mode_vector_decrypts() -> None:
    plaintext = decrypt(
        SAFE_BODY, SAFE_MSG_SIGNATURE, SAFE_TIMESTAMP, SAFE_NONCE, crypto(), now=SAFE_NOW
    )

    message = parse(plaintext)
    assert "\n<FromUserName>" in plaintext  # the plaintext's newlines are kept
    assert (message.kind, message.text) == ("text", "abcdteT")
    assert read_xml(plaintext)["MsgId"] == "6054768590064713728"
    assert message.sender == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


@pytest.mark.parametrize(
    ("body", "msg_signature", "now", "wechat_crypto", "error"),
    [
        # forged msg_signature
        (SAFE_BODY, "0" * 40, SAFE_NOW, crypto(), BadSignature),
        # missing msg_signature
        (SAFE_BODY, None, SAFE_NOW, crypto(), BadSignature),
        # the official vector replayed six minutes later
        (SAFE_BODY, SAFE_MSG_SIGNATURE, SAFE_NOW + 360, crypto(), StaleTimestamp),
        # encrypted for another Official Account (same token and key, other AppID)
        (SAFE_BODY, SAFE_MSG_SIGNATURE, SAFE_NOW, crypto("wx0000000000000000"), BadSignature),
        # no Encrypt field
        (
            "<xml><ToUserName>gh</ToUserName></xml>",
            SAFE_MSG_SIGNATURE,
            SAFE_NOW,
            crypto(),
            MalformedPayload,
        ),
        # not XML at all
        ("Encrypt=abc", SAFE_MSG_SIGNATURE, SAFE_NOW, crypto(), MalformedPayload),
        # correctly signed garbage (needs the token, so only a misconfigured sender)
        (
            "<xml><Encrypt>bm90IGEgY2lwaGVydGV4dA==</Encrypt></xml>",
            sha1_sorted(SAFE_TOKEN, SAFE_TIMESTAMP, SAFE_NONCE, "bm90IGEgY2lwaGVydGV4dA=="),
            SAFE_NOW,
            crypto(),
            MalformedPayload,
        ),
    ],
)
def test_decrypt_refuses(
    body: str,
    msg_signature: str | None,
    now: float,
    wechat_crypto: WeChatCrypto,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        decrypt(body, msg_signature, SAFE_TIMESTAMP, SAFE_NONCE, wechat_crypto, now=now)


def test_encrypted_round_trip_of_a_chinese_reply() -> None:
    inbound = read_xml(
        decrypt(SAFE_BODY, SAFE_MSG_SIGNATURE, SAFE_TIMESTAMP, SAFE_NONCE, crypto(), now=SAFE_NOW)
    )
    answer = "先诊疗后付费：县域内住院不用交押金，出院只付自付部分（一般不超过10%）。"
    reply = text_reply(inbound, answer, now=SAFE_NOW)

    envelope = encrypt_reply(reply, crypto(), nonce="987654321", timestamp=str(SAFE_NOW))
    fields = read_xml(envelope)
    decrypted = decrypt(
        envelope,
        fields["MsgSignature"],
        fields["TimeStamp"],
        fields["Nonce"],
        crypto(),
        now=SAFE_NOW,
    )

    assert answer not in envelope
    assert decrypted == reply
    assert read_xml(decrypted)["Content"] == answer
    assert read_xml(decrypted)["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
