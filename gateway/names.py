"""What the pages show for the keys the system records: one mapping per kind of key.

Channels, outbox statuses and the outbox's known refusals are named here; topics by their
`title` in policies/answers/national.yaml (settlement/topics.py). A key without a name (a
channel or status added later) is shown as it is, never hidden and never an error.
"""

import re

CHANNEL_NAMES = {"sms": "短信", "wechat": "微信", "web": "网页"}
# registry/outbox_models.py's status column allows exactly these.
OUTBOX_STATUS_NAMES = {
    "queued": "等待发送",
    "sending": "正在发送",
    "sent": "已发送",
    "failed": "发送失败",
    "undeliverable": "无法送达",
}


# What the provider reported afterwards (Twilio's status callbacks, registry/delivery.py).
DELIVERY_STATUS_NAMES = {
    "accepted": "已受理",
    "queued": "排队中",
    "sending": "发送中",
    "sent": "已发出",
    "delivered": "已送达",
    "read": "已读",
    "undelivered": "未送达",
    "failed": "发送失败",
}


def channel_name(key: str) -> str:
    return CHANNEL_NAMES.get(key, key)


def outbox_status_name(key: str) -> str:
    return OUTBOX_STATUS_NAMES.get(key, key)


def delivery_status_name(key: str) -> str:
    return DELIVERY_STATUS_NAMES.get(key, key)


# Why the outbox gave a message up, by the start of its last_error (gateway/outbox.py and
# gateway/channels/wechat/delivery.py write them); the page shows the raw text beside it.
ERROR_REASONS = {
    "45015": "居民48小时内没有发过消息（或已取消关注），不能主动发送",
    "45047": "48小时内能主动发的条数已用完",
    "40003": "不是公众号的关注者",
    "43004": "居民已取消关注",
    "43101": "居民拒收模板消息（或已取消关注）",
    "40037": "模板消息的模板ID无效，请检查设置",
    "recipient token expired": "收件人信息已过期删除",
    "gave up": "多次重试仍未发出",
    "opted out": "居民已退订，未发送",
    "no template": "居民48小时内没有发过消息，又未设置模板消息，微信无法送达",
}
_FIRST_WORD = re.compile(r"^(\d+|gave up|recipient token expired|opted out|no template)")


def error_reason(error: str) -> str:
    """The Chinese reason for an outbox error, or "" when it is not one we know."""
    match = _FIRST_WORD.match(error)
    return ERROR_REASONS.get(match.group(1), "") if match else ""
