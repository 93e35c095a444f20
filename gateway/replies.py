"""What the gateway itself says to residents (everything else comes from Rasa)."""

from gateway.text import MAX_MESSAGE_CHARS

BUSY = "系统繁忙，请稍后再试。"
TOO_LONG = f"您的消息太长了，请分几次发送，每次不超过{MAX_MESSAGE_CHARS}字。"
RATE_LIMITED = "您发送得太快了，请稍等一分钟再发。"
OPTED_OUT = "您已退订，本号码将不再收到回复。如需恢复，请回复“订阅”。"
OPTED_IN = "您已恢复订阅，欢迎继续提问。回复“退订”可停止接收。"
# WeChat: 退订 stops the broadcasts (群发通知) only; a follower's own questions are still answered.
WECHAT_OPTED_OUT = "已退订群发通知，您仍可随时提问。如需恢复，请回复“订阅”。"
WECHAT_OPTED_IN = "已恢复接收群发通知。回复“退订”可停止接收。"
UNSUPPORTED = "目前支持文字和语音消息，请用文字或语音告诉我您的问题。"
# SMS: a picture (MMS) without text. SMS has no voice, so UNSUPPORTED's 「语音」 would mislead.
TEXT_ONLY = "暂时只能看文字，请用文字描述您的问题。"
NO_MORE_PAGES = "没有更多内容了，请继续提问。"
EMPTY_WEB = "请输入您的问题。"

# SMS and WeChat keywords (docs/conversation.md, issue 4). Compared after normalisation and
# upper-casing.
OPT_OUT_WORDS = frozenset({"退订", "TD", "STOP", "UNSUBSCRIBE"})
OPT_IN_WORDS = frozenset({"订阅", "START"})
MORE_WORDS = frozenset({"更多", "下一页", "MORE"})
