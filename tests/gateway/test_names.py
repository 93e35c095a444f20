"""gateway/names.py: what pages show for recorded keys; unknown keys stay visible."""

import pytest

from gateway.names import channel_name, error_reason, outbox_status_name


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        (channel_name("sms"), "短信"),
        (channel_name("wechat"), "微信"),
        (channel_name("web"), "网页"),
        (channel_name("fax"), "fax"),  # a channel added later without a name: shown as is
        (outbox_status_name("queued"), "等待发送"),
        (outbox_status_name("undeliverable"), "无法送达"),
        (outbox_status_name("paused"), "paused"),
    ],
)
def test_keys_have_chinese_names(shown: str, expected: str) -> None:
    assert shown == expected


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        # WeChat's refusal outside the 48-hour window (gateway/channels/wechat/delivery.py)
        ("45015 response out of time limit or subscription is canceled", "不能主动发送"),
        # the outbox's own notes (gateway/outbox.py)
        ("gave up after 5 attempts: ConnectTimeout", "多次重试仍未发出"),
        ("recipient token expired", "收件人信息已过期删除"),
        # a broadcast row whose resident opted out before it was sent (registry/broadcasts.py)
        ("opted out after the message was queued", "居民已退订"),
        # outside the 48-hour window with no template configured, or the template refused
        ("no template configured: outside the 48-hour window", "未设置模板消息"),
        ("43101 user refuse to accept the msg rid: 1", "拒收模板消息"),
        ("40037 invalid template_id rid: 1", "模板ID无效"),
    ],
)
def test_known_errors_get_a_chinese_reason(error: str, reason: str) -> None:
    assert reason in error_reason(error)


def test_an_unknown_error_has_no_invented_reason() -> None:
    assert error_reason("99999 something new") == ""
    assert error_reason("ReadTimeout") == ""
